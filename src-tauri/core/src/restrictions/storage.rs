//! SQL for alerts and restrictions.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Flag, FlagKind, Scope};
use crate::error::Result;
use crate::guests::code;

#[allow(clippy::too_many_arguments)] // one column each; a struct would only rename them
pub(super) fn insert(
    conn: &Connection,
    guest_id: i64,
    kind: FlagKind,
    scope: Option<Scope>,
    reason: &str,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<i64> {
    crate::db::cached_execute(conn,
        "INSERT INTO guest_flags (guest_id, kind, scope, reason, starts_on, ends_on, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            guest_id,
            match kind {
                FlagKind::Alert => "alert",
                FlagKind::Restriction => "restriction",
            },
            scope.map(Scope::as_str),
            reason,
            starts_on.to_string(),
            ends_on.map(|d| d.to_string()),
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            staff_id
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

const FLAG: &str =
    "SELECT f.id, f.guest_id, g.code, f.kind, f.scope, f.reason, f.starts_on, f.ends_on
    FROM guest_flags f JOIN guests g ON g.id = f.guest_id";

fn flag_row(row: &Row<'_>) -> rusqlite::Result<Flag> {
    let kind: String = row.get(3)?;
    let scope: Option<String> = row.get(4)?;
    Ok(Flag {
        id: row.get(0)?,
        guest_id: row.get(1)?,
        guest_code: code::display(&row.get::<_, String>(2)?),
        kind: if kind == "alert" {
            FlagKind::Alert
        } else {
            FlagKind::Restriction
        },
        scope: scope.as_deref().and_then(Scope::parse),
        reason: row.get(5)?,
        starts_on: row.get(6)?,
        ends_on: row.get(7)?,
    })
}

pub(super) fn flag(conn: &Connection, id: i64) -> Result<Option<Flag>> {
    Ok(
        crate::db::cached_row(conn, &format!("{FLAG} WHERE f.id = ?1"), [id], flag_row)
            .optional()?,
    )
}

pub(super) fn is_unlifted(conn: &Connection, id: i64) -> Result<bool> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT lifted_at IS NULL FROM guest_flags WHERE id = ?1",
        [id],
        |row| row.get(0),
    )
    .optional()?
    .unwrap_or(false))
}

pub(super) fn lift(conn: &Connection, id: i64, at: DateTime<Utc>, staff_id: i64) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE guest_flags SET lifted_at = ?2, lifted_by = ?3 WHERE id = ?1",
        params![
            id,
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            staff_id
        ],
    )?;
    Ok(())
}

/// Flags in force on `today` (dates compare as text: YYYY-MM-DD sorts like dates).
pub(super) fn active_for(conn: &Connection, guest_id: i64, today: NaiveDate) -> Result<Vec<Flag>> {
    let mut statement = conn.prepare_cached(&format!(
        "{FLAG} WHERE f.guest_id = ?1 AND f.lifted_at IS NULL AND f.starts_on <= ?2
           AND (f.ends_on IS NULL OR f.ends_on >= ?2)
         ORDER BY f.kind DESC, f.id"
    ))?;
    let rows = statement.query_map(params![guest_id, today.to_string()], flag_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Flags in force today or starting later, newest first.
pub(super) fn current(conn: &Connection, today: NaiveDate) -> Result<Vec<Flag>> {
    let mut statement = conn.prepare_cached(&format!(
        "{FLAG} WHERE f.lifted_at IS NULL AND (f.ends_on IS NULL OR f.ends_on >= ?1)
         ORDER BY f.id DESC LIMIT 500"
    ))?;
    let rows = statement.query_map([today.to_string()], flag_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
