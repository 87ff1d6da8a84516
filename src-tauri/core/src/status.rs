//! What the app shows about itself on its first screen: version, database, schema.

use serde::Serialize;
use ts_rs::TS;

use crate::db::Database;
use crate::error::Result;
use crate::settings;

/// The app's state as the first screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub app_version: String,
    /// Where the database file is (`":memory:"` for an in-memory database).
    pub database_path: String,
    pub schema_version: u32,
    /// True when this start created the database.
    pub database_created: bool,
    /// Where the database was copied before this start migrated it, if it was.
    pub pre_migration_backup: Option<String>,
    /// The center's IANA time zone, which decides what "today" is.
    pub center_time_zone: String,
    /// Why the automatic backup at start could not be made, if it could not.
    pub backup_problem: Option<String>,
    /// What the full read of a large database after start found, if it found damage.
    pub integrity_problem: Option<String>,
}

/// Gather the status of an open database. Reveals no guest data, so any caller may ask.
pub fn app_status(db: &Database) -> Result<AppStatus> {
    let report = db.open_report();
    Ok(AppStatus {
        app_version: crate::APP_VERSION.to_string(),
        database_path: db
            .path()
            .map_or_else(|| ":memory:".to_string(), |path| path.display().to_string()),
        schema_version: report.schema_version,
        database_created: report.created,
        pre_migration_backup: report
            .pre_migration_backup
            .as_ref()
            .map(|path| path.display().to_string()),
        center_time_zone: settings::read(db, settings::CENTER_TIME_ZONE)?,
        backup_problem: None,
        integrity_problem: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_of_a_new_database() {
        let db = Database::open_in_memory().expect("in-memory database opens");
        let status = app_status(&db).expect("status");
        assert_eq!(
            status.database_path, ":memory:",
            "in-memory databases say so"
        );
        assert!(
            status.database_created,
            "a fresh in-memory database counts as created"
        );
        assert_eq!(
            status.schema_version,
            db.schema_version(),
            "status reports the open schema"
        );
        assert_eq!(
            status.pre_migration_backup, None,
            "nothing to back up in a new database"
        );
    }
}
