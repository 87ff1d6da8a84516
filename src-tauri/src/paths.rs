//! Where the database lives.

use std::path::{Path, PathBuf};

use engagement_desk_core::db::DEFAULT_FILE_NAME;
use engagement_desk_core::{files, AppError, ErrorCode, Result};

/// Must equal `identifier` in tauri.conf.json, so the CLI and the window agree on the
/// app-data folder (the OS data folder joined with it).
pub const APP_IDENTIFIER: &str = "org.engagementdesk.frontdesk";

/// The database to use: `--db PATH` or `ENGAGEMENT_DESK_DB` (clap reads both into
/// `explicit`), else `engagement-desk.db` in the OS's local app-data folder, which is
/// created (readable by its owner only) if missing. An explicit path's folder is never
/// created: a typo should not make a new empty database somewhere unexpected.
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
    // The *local* data folder (Tauri's `app_local_data_dir`): on Windows that is
    // %LOCALAPPDATA%, which stays on this PC. %APPDATA% is the roaming profile, which a
    // domain copies to a server and to every PC the person logs on to: guests' data must
    // not travel like that, and a database copied around at log-off is a database damaged
    // or rolled back. On Linux and macOS the local and roaming folders are the same one
    // (~/.local/share, ~/Library/Application Support), so nothing changes there.
    let local = dirs::data_local_dir().ok_or_else(|| {
        AppError::new(
            ErrorCode::Storage,
            "this system has no application-data folder; pass --db PATH or set ENGAGEMENT_DESK_DB",
        )
    })?;
    let roaming = dirs::data_dir().map(|dir| dir.join(APP_IDENTIFIER));
    let folder = default_folder(&local.join(APP_IDENTIFIER), roaming.as_deref());
    files::create_private_folder(&folder).map_err(|err| {
        AppError::new(
            ErrorCode::Storage,
            format!("cannot create the data folder {}: {err}", folder.display()),
        )
    })?;
    Ok(folder.join(DEFAULT_FILE_NAME))
}

/// The local folder, unless a database made before the default moved to it is still in
/// the roaming one and none is in the local one: that database goes on being used (the
/// README says how to move it), rather than a new empty one being started beside it.
fn default_folder(local: &Path, roaming: Option<&Path>) -> PathBuf {
    match roaming {
        Some(roaming)
            if roaming != local
                && roaming.join(DEFAULT_FILE_NAME).is_file()
                && !local.join(DEFAULT_FILE_NAME).exists() =>
        {
            roaming.to_path_buf()
        }
        _ => local.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_local_folder_is_the_default_unless_an_older_database_is_in_the_roaming_one() {
        let dir = tempfile::tempdir().expect("folder");
        let local = dir.path().join("Local").join(APP_IDENTIFIER);
        let roaming = dir.path().join("Roaming").join(APP_IDENTIFIER);
        assert_eq!(
            default_folder(&local, Some(&roaming)),
            local,
            "a new installation keeps its data in the local folder"
        );
        assert_eq!(
            default_folder(&local, Some(&local)),
            local,
            "where both are one folder (Linux, macOS) it is that one"
        );
        std::fs::create_dir_all(&roaming).unwrap();
        std::fs::write(roaming.join(DEFAULT_FILE_NAME), b"older").unwrap();
        assert_eq!(
            default_folder(&local, Some(&roaming)),
            roaming,
            "a database already in the roaming folder goes on being used, not a new empty one"
        );
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(local.join(DEFAULT_FILE_NAME), b"moved").unwrap();
        assert_eq!(
            default_folder(&local, Some(&roaming)),
            local,
            "once it is moved to the local folder, that one is used"
        );
    }
}
