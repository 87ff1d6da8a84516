//! The one error type of Engagement Desk.
//!
//! Every failure that reaches a person (in the window or on the command line) is an
//! [`AppError`]: a code from a closed set, which programs match on, and a message a person
//! understands, which names the field or file concerned. The codes are mirrored in
//! TypeScript (`ui/src/lib/bindings/ErrorCode.ts`), generated from this file.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The closed set of error codes. Adding one is a change to the IPC contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Input failed validation; the message names the field.
    InvalidInput,
    /// The thing asked for does not exist.
    NotFound,
    /// The action clashes with the current state (already checked in, slot taken, ...).
    Conflict,
    /// The building is full; a supervisor may let the guest in anyway.
    CapacityReached,
    /// Nobody is logged in, or the session is locked.
    NotAuthenticated,
    /// The logged-in staff member's roles do not allow this action.
    PermissionDenied,
    /// There is no database file where one was expected.
    DatabaseMissing,
    /// The file exists but is not an Engagement Desk database; it was left untouched.
    NotEngagementDeskDatabase,
    /// The database was written by a newer version of Engagement Desk.
    DatabaseTooNew,
    /// The database is older than this version and must be migrated first.
    SchemaOutdated,
    /// The database file is damaged (failed an integrity check, truncated, ...).
    DatabaseCorrupt,
    /// Another program held the database for too long.
    DatabaseBusy,
    /// The database could not be opened at start, so nothing can be done until it is fixed.
    DatabaseUnavailable,
    /// The disk is full: the action was not saved (nothing saved earlier is lost).
    DiskFull,
    /// The database file or its disk is read-only: the action was not saved.
    ReadOnly,
    /// The app is already open on this database on this computer.
    AlreadyOpen,
    /// Reading or writing a file or the database failed.
    Storage,
    /// A bug: something that should not happen did. The message says what.
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order (used to check the TypeScript mirror).
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::CapacityReached,
        ErrorCode::NotAuthenticated,
        ErrorCode::PermissionDenied,
        ErrorCode::DatabaseMissing,
        ErrorCode::NotEngagementDeskDatabase,
        ErrorCode::DatabaseTooNew,
        ErrorCode::SchemaOutdated,
        ErrorCode::DatabaseCorrupt,
        ErrorCode::DatabaseBusy,
        ErrorCode::DatabaseUnavailable,
        ErrorCode::DiskFull,
        ErrorCode::ReadOnly,
        ErrorCode::AlreadyOpen,
        ErrorCode::Storage,
        ErrorCode::Internal,
    ];

    /// The code as it is written on the wire (`invalid_input`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::CapacityReached => "capacity_reached",
            ErrorCode::NotAuthenticated => "not_authenticated",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::DatabaseMissing => "database_missing",
            ErrorCode::NotEngagementDeskDatabase => "not_engagement_desk_database",
            ErrorCode::DatabaseTooNew => "database_too_new",
            ErrorCode::SchemaOutdated => "schema_outdated",
            ErrorCode::DatabaseCorrupt => "database_corrupt",
            ErrorCode::DatabaseBusy => "database_busy",
            ErrorCode::DatabaseUnavailable => "database_unavailable",
            ErrorCode::DiskFull => "disk_full",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::AlreadyOpen => "already_open",
            ErrorCode::Storage => "storage",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as it crosses every boundary: `{ code, message }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

/// Result with the one error type.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let mut message = message.into();
        // Messages quote what was typed; a huge paste must not come back as a huge error.
        if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
            message.truncate(cut);
            message.push('…');
        }
        AppError { code, message }
    }

    pub fn invalid_input(field: &str, problem: impl std::fmt::Display) -> Self {
        AppError::new(ErrorCode::InvalidInput, format!("{field}: {problem}"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AppError::new(ErrorCode::Internal, message)
    }

    /// Prefix the message with what was being done, keeping the code.
    pub fn context(self, doing: impl std::fmt::Display) -> Self {
        AppError::new(self.code, format!("{doing}: {}", self.message))
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode as Sqlite;
        let code = match err.sqlite_error_code() {
            Some(Sqlite::DatabaseBusy | Sqlite::DatabaseLocked) => ErrorCode::DatabaseBusy,
            Some(Sqlite::DatabaseCorrupt) => ErrorCode::DatabaseCorrupt,
            Some(Sqlite::NotADatabase) => ErrorCode::NotEngagementDeskDatabase,
            Some(Sqlite::DiskFull) => ErrorCode::DiskFull,
            Some(Sqlite::ReadOnly) => ErrorCode::ReadOnly,
            _ => ErrorCode::Storage,
        };
        let message = match code {
            ErrorCode::DatabaseBusy => {
                "the database is busy in another program; try again in a moment".to_string()
            }
            ErrorCode::DiskFull => DISK_FULL.to_string(),
            ErrorCode::ReadOnly => READ_ONLY.to_string(),
            _ => format!("database error: {err}"),
        };
        AppError::new(code, message)
    }
}

impl From<rusqlite_migration::Error> for AppError {
    fn from(err: rusqlite_migration::Error) -> Self {
        match err {
            rusqlite_migration::Error::RusqliteError { err, .. } => {
                AppError::from(err).context("migrating the database")
            }
            other => AppError::new(
                ErrorCode::Storage,
                format!("migrating the database failed: {other}"),
            ),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::StorageFull => AppError::new(ErrorCode::DiskFull, DISK_FULL),
            std::io::ErrorKind::ReadOnlyFilesystem => AppError::new(ErrorCode::ReadOnly, READ_ONLY),
            _ => AppError::new(ErrorCode::Storage, format!("file error: {err}")),
        }
    }
}

/// The longest message an error carries, in characters (then `…`).
pub const MAX_MESSAGE_CHARS: usize = 400;

/// What a person reads when the disk filled up in the middle of an action.
const DISK_FULL: &str = "the disk is full, so this was not saved (everything saved before is safe); free some space on the disk or ask IT, then try again";

/// What a person reads when the database cannot be written at all.
const READ_ONLY: &str = "the database cannot be written (the file or its disk is read-only), so this was not saved (everything saved before is safe); ask IT to make it writable, then try again";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_as_code_and_message() {
        let err = AppError::invalid_input("nickname", "must not be empty");
        let json = serde_json::to_value(&err).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"code": "invalid_input", "message": "nickname: must not be empty"}),
            "the UI relies on exactly {{code, message}}"
        );
    }

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).expect("serializable");
            assert_eq!(
                json,
                serde_json::Value::String(code.as_str().to_string()),
                "as_str and serde must agree for {code:?}"
            );
        }
    }

    #[test]
    fn a_huge_quoted_input_does_not_make_a_huge_message() {
        let err = AppError::invalid_input("kind", format!("{:?} is unknown", "é".repeat(300_000)));
        assert_eq!(
            err.message.chars().count(),
            MAX_MESSAGE_CHARS + 1,
            "cut to the limit, plus the ellipsis"
        );
        assert!(err.message.ends_with('…'), "the cut is shown");
        let short = AppError::invalid_input("kind", "is unknown");
        assert_eq!(
            short.message, "kind: is unknown",
            "short messages are untouched"
        );
    }

    #[test]
    fn full_and_read_only_disks_have_their_own_codes() {
        for (sqlite, code) in [
            (rusqlite::ffi::SQLITE_FULL, ErrorCode::DiskFull),
            (rusqlite::ffi::SQLITE_READONLY, ErrorCode::ReadOnly),
        ] {
            let err = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(sqlite), None);
            let err = AppError::from(err);
            assert_eq!(
                err.code, code,
                "SQLite code {sqlite} must reach the person as {code}"
            );
            assert!(
                err.message.contains("not saved"),
                "the message says the action was not saved: {}",
                err.message
            );
        }
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(
            AppError::from(full).code,
            ErrorCode::DiskFull,
            "a full disk while writing a file is reported as a full disk"
        );
    }

    #[test]
    fn busy_sqlite_errors_become_database_busy() {
        let err = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert_eq!(
            AppError::from(err).code,
            ErrorCode::DatabaseBusy,
            "a busy database must be reported as such, not as a generic failure"
        );
    }
}
