//! Tauri commands: each takes the state, calls the core and returns its `{code, message}`
//! error unchanged. Every command here must also be listed in build.rs.

use engagement_desk_core::status::{self, AppStatus};
use engagement_desk_core::AppError;

use crate::app::AppState;

/// The app's version, database and schema, or why the database could not be opened.
#[tauri::command(async)]
pub fn app_status(state: tauri::State<'_, AppState>) -> Result<AppStatus, AppError> {
    state.with_db(status::app_status)
}
