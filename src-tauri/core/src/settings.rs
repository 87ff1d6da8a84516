//! Center-wide settings (time zone, later capacity, idle lock, ...), stored as key/value rows.

use std::ops::RangeInclusive;

use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};

/// The key of the center's IANA time zone, which decides what "today" is.
pub const CENTER_TIME_ZONE: &str = "center_time_zone";

/// The default center time zone, seeded by the first migration.
pub const DEFAULT_TIME_ZONE: &str = "America/New_York";

/// Read a setting; a missing key is a `not_found` error naming it.
pub fn read(db: &Database, key: &str) -> Result<String> {
    storage::read(db, key)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("the setting {key} is not set")))
}

/// A numeric setting, or `default` when it is missing or outside `range`.
pub fn read_whole(db: &Database, key: &str, range: RangeInclusive<u32>, default: u32) -> u32 {
    read(db, key)
        .ok()
        .and_then(|value| value.parse::<u32>().ok())
        .filter(|value| range.contains(value))
        .unwrap_or(default)
}

/// A whole number typed into a settings field, within `range`; the error names the field,
/// the unit and the range.
pub fn parse_whole(
    field: &str,
    typed: &str,
    range: RangeInclusive<u32>,
    unit: &str,
) -> Result<u32> {
    let typed = typed.trim();
    typed
        .parse::<u32>()
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| {
            let shown: String = typed.chars().take(20).collect();
            AppError::invalid_input(
                field,
                format!(
                    "{shown:?} is not allowed; choose a whole number of {unit} from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// Store a setting inside the caller's transaction (the caller checks the permission and
/// writes the audit entry).
pub(crate) fn write(
    conn: &rusqlite::Connection,
    key: &str,
    value: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    storage::write(conn, key, value, at)
}

mod storage {
    use rusqlite::{params, Connection, OptionalExtension};

    use crate::db::Database;
    use crate::error::Result;

    pub(super) fn read(db: &Database, key: &str) -> Result<Option<String>> {
        Ok(crate::db::cached_row(
            db.conn(),
            "SELECT value FROM settings WHERE key = ?1",
            [key],
            |row| row.get(0),
        )
        .optional()?)
    }

    pub(super) fn write(
        conn: &Connection,
        key: &str,
        value: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        crate::db::cached_execute(conn,
            "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![key, value, at.format("%Y-%m-%dT%H:%M:%SZ").to_string()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_migration_seeds_the_center_time_zone() {
        let db = Database::open_in_memory().expect("in-memory database opens");
        assert_eq!(
            read(&db, CENTER_TIME_ZONE).expect("seeded"),
            DEFAULT_TIME_ZONE,
            "a new center counts its days in Boston's time zone until told otherwise"
        );
    }

    #[test]
    fn a_missing_setting_is_not_found_and_named() {
        let db = Database::open_in_memory().expect("in-memory database opens");
        let err = read(&db, "no_such_key").expect_err("missing key");
        assert_eq!(
            err.code,
            ErrorCode::NotFound,
            "missing settings are not_found"
        );
        assert!(
            err.message.contains("no_such_key"),
            "the message names the key: {}",
            err.message
        );
    }
}
