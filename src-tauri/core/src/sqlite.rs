//! What every SQLite connection of the app shares: how long to wait for another
//! connection's lock, and reading a pragma. The ground floor under `db` and `copy`.

use std::time::Duration;

use rusqlite::Connection;

use crate::error::Result;

/// How long a connection waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn pragma_text(conn: &Connection, name: &str) -> Result<String> {
    let value: rusqlite::types::Value =
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))?;
    Ok(match value {
        rusqlite::types::Value::Text(text) => text,
        rusqlite::types::Value::Integer(number) => number.to_string(),
        other => format!("{other:?}"),
    })
}
