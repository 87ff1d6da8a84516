//! SQL for staff accounts and roles.

use crate::days::stamp;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Role, StaffRecord};
use crate::error::{AppError, Result};

pub(super) fn count_staff(conn: &Connection) -> Result<i64> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT count(*) FROM staff",
        [],
        |row| row.get(0),
    )?)
}

/// Enabled accounts that hold the admin role.
pub(super) fn count_active_admins(conn: &Connection) -> Result<i64> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT count(*) FROM staff JOIN staff_roles ON staff_roles.staff_id = staff.id
         WHERE staff_roles.role = 'admin' AND staff.disabled = 0",
        [],
        |row| row.get(0),
    )?)
}

pub(crate) fn insert_staff(
    conn: &Connection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    roles: &[Role],
    must_change_password: bool,
    at: DateTime<Utc>,
) -> Result<i64> {
    crate::db::cached_execute(conn,
        "INSERT INTO staff (username, display_name, password_hash, must_change_password, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![username, display_name, password_hash, must_change_password, stamp(at)],
    )?;
    let id = conn.last_insert_rowid();
    set_roles(conn, id, roles, at)?;
    Ok(id)
}

pub(super) fn set_roles(
    conn: &Connection,
    id: i64,
    roles: &[Role],
    at: DateTime<Utc>,
) -> Result<()> {
    crate::db::cached_execute(conn, "DELETE FROM staff_roles WHERE staff_id = ?1", [id])?;
    for role in roles {
        crate::db::cached_execute(
            conn,
            "INSERT INTO staff_roles (staff_id, role) VALUES (?1, ?2)",
            params![id, role.as_str()],
        )?;
    }
    crate::db::cached_execute(
        conn,
        "UPDATE staff SET updated_at = ?2 WHERE id = ?1",
        params![id, stamp(at)],
    )?;
    Ok(())
}

pub(super) fn set_disabled(
    conn: &Connection,
    id: i64,
    disabled: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE staff SET disabled = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, disabled, stamp(at)],
    )?;
    Ok(())
}

pub(super) fn set_password(
    conn: &Connection,
    id: i64,
    hash: &str,
    must_change: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    crate::db::cached_execute(conn,
        "UPDATE staff SET password_hash = ?2, must_change_password = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, hash, must_change, stamp(at)],
    )?;
    Ok(())
}

pub(super) fn record_failure(
    conn: &Connection,
    id: i64,
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE staff SET failed_logins = ?2, locked_until = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, failures, locked_until.map(stamp), stamp(at)],
    )?;
    Ok(())
}

pub(super) fn record_success(
    conn: &Connection,
    id: i64,
    upgraded_hash: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE staff SET failed_logins = 0, locked_until = NULL,
             password_hash = COALESCE(?2, password_hash), updated_at = ?3 WHERE id = ?1",
        params![id, upgraded_hash, stamp(at)],
    )?;
    Ok(())
}

pub(super) fn clear_lockout(conn: &Connection, id: i64, at: DateTime<Utc>) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE staff SET failed_logins = 0, locked_until = NULL, updated_at = ?2 WHERE id = ?1",
        params![id, stamp(at)],
    )?;
    Ok(())
}

const COLUMNS: &str =
    "id, username, display_name, password_hash, disabled, must_change_password, failed_logins, locked_until";

fn record(conn: &Connection, row: &Row<'_>) -> rusqlite::Result<StaffRecord> {
    let id: i64 = row.get(0)?;
    let locked_until: Option<String> = row.get(7)?;
    Ok(StaffRecord {
        id,
        username: row.get(1)?,
        display_name: row.get(2)?,
        password_hash: row.get(3)?,
        disabled: row.get(4)?,
        must_change_password: row.get(5)?,
        failed_logins: row.get(6)?,
        locked_until: locked_until
            .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
            .map(|at| at.with_timezone(&Utc)),
        roles: roles_of(conn, id)?,
    })
}

fn roles_of(conn: &Connection, id: i64) -> rusqlite::Result<Vec<Role>> {
    let mut statement =
        conn.prepare_cached("SELECT role FROM staff_roles WHERE staff_id = ?1 ORDER BY role")?;
    let names = statement.query_map([id], |row| row.get::<_, String>(0))?;
    let mut roles = Vec::new();
    for name in names {
        // The CHECK constraint keeps unknown names out; skip rather than fail if one slips in.
        if let Ok(role) = Role::parse(&name?) {
            roles.push(role);
        }
    }
    roles.sort();
    Ok(roles)
}

pub(super) fn find_by_username(conn: &Connection, username: &str) -> Result<Option<StaffRecord>> {
    Ok(crate::db::cached_row(
        conn,
        &format!("SELECT {COLUMNS} FROM staff WHERE username = ?1"),
        [username],
        |row| record(conn, row),
    )
    .optional()?)
}

pub(super) fn find_by_id(conn: &Connection, id: i64) -> Result<Option<StaffRecord>> {
    Ok(crate::db::cached_row(
        conn,
        &format!("SELECT {COLUMNS} FROM staff WHERE id = ?1"),
        [id],
        |row| record(conn, row),
    )
    .optional()?)
}

pub(super) fn all_staff(conn: &Connection) -> Result<Vec<StaffRecord>> {
    let mut statement = conn.prepare(&format!("SELECT {COLUMNS} FROM staff ORDER BY username"))?;
    let rows = statement.query_map([], |row| record(conn, row))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(AppError::from)
}
