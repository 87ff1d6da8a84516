//! The window face: Tauri setup and the state the commands share.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;

use engagement_desk_core::db::Database;
use engagement_desk_core::{AppError, ErrorCode, Result};

use crate::{cli, commands, paths};

/// What every command reaches: the database, or why it could not be opened. The window
/// opens either way so the error can be shown to a person instead of a crash.
pub struct AppState {
    database: std::result::Result<Mutex<Database>, AppError>,
}

impl AppState {
    pub fn open(explicit_db: Option<&Path>) -> AppState {
        let database = paths::database_path(explicit_db)
            .and_then(|path| Database::open(&path))
            .map(Mutex::new);
        if let Err(err) = &database {
            cli::print_error(err);
        }
        AppState { database }
    }

    /// Run `work` with the database held; the lock is held only for that work.
    pub fn with_db<T>(&self, work: impl FnOnce(&Database) -> Result<T>) -> Result<T> {
        let database = self.database.as_ref().map_err(Clone::clone)?;
        let guard = database.lock().map_err(|_| {
            AppError::new(
                ErrorCode::Internal,
                "an earlier action failed while holding the database; restart the app",
            )
        })?;
        work(&guard)
    }
}

pub fn run(explicit_db: Option<&Path>) -> ExitCode {
    let state = AppState::open(explicit_db);
    let outcome = tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![commands::app_status])
        .run(tauri::generate_context!());
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            cli::print_error(&AppError::new(
                ErrorCode::Internal,
                format!("the window could not be started: {err}"),
            ));
            ExitCode::FAILURE
        }
    }
}
