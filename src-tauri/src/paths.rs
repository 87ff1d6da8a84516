//! Where the database lives.

use std::path::{Path, PathBuf};

use engagement_desk_core::db::DEFAULT_FILE_NAME;
use engagement_desk_core::{AppError, ErrorCode, Result};

/// Must equal `identifier` in tauri.conf.json, so the CLI and the window agree on the
/// app-data folder (Tauri's `app_data_dir()` is the OS data folder joined with it).
pub const APP_IDENTIFIER: &str = "org.engagementdesk.frontdesk";

/// The database to use: `--db PATH` or `ENGAGEMENT_DESK_DB` (clap reads both into
/// `explicit`), else `engagement-desk.db` in the OS app-data folder, which is created if
/// missing. An explicit path's folder is never created: a typo should not make a new
/// empty database somewhere unexpected.
pub fn database_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        if path.as_os_str().is_empty() {
            return Err(AppError::invalid_input(
                "--db",
                "the database path is empty",
            ));
        }
        return Ok(path.to_path_buf());
    }
    let data_dir = dirs::data_dir().ok_or_else(|| {
        AppError::new(
            ErrorCode::Storage,
            "this system has no application-data folder; pass --db PATH or set ENGAGEMENT_DESK_DB",
        )
    })?;
    let folder = data_dir.join(APP_IDENTIFIER);
    std::fs::create_dir_all(&folder).map_err(|err| {
        AppError::new(
            ErrorCode::Storage,
            format!("cannot create the data folder {}: {err}", folder.display()),
        )
    })?;
    Ok(folder.join(DEFAULT_FILE_NAME))
}
