//! SQL for guests.

use crate::days::stamp;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{code, GuestCard, GuestRecord};
use crate::error::Result;

pub(crate) fn find_id_by_code(conn: &Connection, code: &str) -> Result<Option<i64>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT id FROM guests WHERE code = ?1",
        [code],
        |row| row.get(0),
    )
    .optional()?)
}

pub(crate) fn insert(
    conn: &Connection,
    code: &str,
    guest: &GuestRecord,
    service_date: &str,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<i64> {
    crate::db::cached_execute(conn,
        "INSERT INTO guests (code, nickname, nickname_key, birth_year, birth_year_answer, gender,
                             veteran_status, preferred_language, first_seen_date, created_at, created_by)
         VALUES (?1, ?2, ?11, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            code,
            guest.nickname,
            guest.birth_year,
            guest.birth_year_answer,
            guest.gender,
            guest.veteran_status,
            guest.preferred_language,
            service_date,
            stamp(at),
            staff_id,
            // Lowered in Rust, as the search box's text is: SQLite's lower() knows ASCII only.
            guest.nickname.as_deref().map(str::to_lowercase)
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The columns of a [`GuestCard`]; the last visit and the open visit come from the
/// visits index on (guest_id, checked_in_at).
const CARD: &str = "SELECT g.id, g.code, g.nickname, g.first_seen_date,
    (SELECT v.service_date FROM visits v WHERE v.guest_id = g.id AND v.voided_at IS NULL
      ORDER BY v.checked_in_at DESC LIMIT 1) AS last_visit,
    (SELECT v.id FROM visits v WHERE v.guest_id = g.id AND v.checked_out_at IS NULL
      AND v.voided_at IS NULL) AS open_visit
    FROM guests g";

fn card(row: &Row<'_>) -> rusqlite::Result<GuestCard> {
    let code: String = row.get(1)?;
    Ok(GuestCard {
        id: row.get(0)?,
        code: code::display(&code),
        nickname: row.get(2)?,
        first_seen_date: row.get(3)?,
        last_visit_date: row.get(4)?,
        open_visit_id: row.get(5)?,
    })
}

pub(crate) fn card_by_id(conn: &Connection, id: i64) -> Result<Option<GuestCard>> {
    Ok(crate::db::cached_row(conn, &format!("{CARD} WHERE g.id = ?1"), [id], card).optional()?)
}

/// The guest with `code`; a code merged into another record finds the surviving one.
pub(crate) fn find_by_code(conn: &Connection, code: &str) -> Result<Option<GuestCard>> {
    let found: Option<(i64, Option<i64>)> = crate::db::cached_row(
        conn,
        "SELECT id, merged_into FROM guests WHERE code = ?1",
        [code],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()?;
    let Some((mut id, mut merged_into)) = found else {
        return Ok(None);
    };
    // Follow merges (a chain is short; the bound guards against a cycle).
    for _ in 0..16 {
        let Some(next) = merged_into else { break };
        id = next;
        merged_into = crate::db::cached_row(
            conn,
            "SELECT merged_into FROM guests WHERE id = ?1",
            [id],
            |row| row.get(0),
        )?;
    }
    card_by_id(conn, id)
}

/// Guests (not merged away) whose nickname starts with `prefix` (lower case), most
/// recently seen first.
pub(crate) fn by_nickname_prefix(
    conn: &Connection,
    prefix: &str,
    limit: u32,
) -> Result<Vec<GuestCard>> {
    // The range [prefix, prefix + U+10FFFF) is an index range scan, unlike LIKE. Years of
    // guests share common starts ("ma": over a thousand), so the order comes from the
    // stored last-visit date in the same index; only the cards shown read their visits.
    let upper = format!("{prefix}\u{10FFFF}");
    let mut statement = conn.prepare_cached(&format!(
        "{CARD} WHERE g.id IN (
             SELECT id FROM guests
             WHERE nickname_key >= ?1 AND nickname_key < ?2 AND merged_into IS NULL
             ORDER BY last_visit_date IS NULL, last_visit_date DESC, nickname_key LIMIT ?3)
         ORDER BY last_visit IS NULL, last_visit DESC, g.nickname_key"
    ))?;
    let rows = statement.query_map(params![prefix, upper, limit], card)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The id of a code and the record it was merged into, if any (without following merges).
pub(crate) fn id_and_merge(conn: &Connection, code: &str) -> Result<Option<(i64, Option<i64>)>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT id, merged_into FROM guests WHERE code = ?1",
        [code],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()?)
}

pub(crate) fn code_of(conn: &Connection, id: i64) -> Result<String> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT code FROM guests WHERE id = ?1",
        [id],
        |row| row.get(0),
    )?)
}

/// Move the duplicate's history to the surviving record and point its code there.
/// Returns how many visits moved.
pub(crate) fn merge(conn: &Connection, keep: i64, duplicate: i64) -> Result<usize> {
    let moved = crate::db::cached_execute(
        conn,
        "UPDATE visits SET guest_id = ?1 WHERE guest_id = ?2",
        params![keep, duplicate],
    )?;
    // Everything else that names a guest follows (clinical notes name the queue entry).
    for table in [
        "guest_flags",
        "bookings",
        "waitlist",
        "queue_entries",
        "incidents",
        "referrals",
        "consents",
    ] {
        crate::db::cached_execute(
            conn,
            &format!("UPDATE {table} SET guest_id = ?1 WHERE guest_id = ?2"),
            params![keep, duplicate],
        )?;
    }
    // The survivor keeps its own answers; it takes the earlier first-seen date and the
    // duplicate's nickname when it has none.
    crate::db::cached_execute(conn,
        "UPDATE guests SET
            first_seen_date = min(first_seen_date, (SELECT first_seen_date FROM guests WHERE id = ?2)),
            nickname = coalesce(nickname, (SELECT nickname FROM guests WHERE id = ?2)),
            nickname_key = coalesce(nickname_key, (SELECT nickname_key FROM guests WHERE id = ?2))
         WHERE id = ?1",
        params![keep, duplicate],
    )?;
    crate::db::cached_execute(
        conn,
        "UPDATE guests SET merged_into = ?1 WHERE id = ?2",
        params![keep, duplicate],
    )?;
    refresh_visit_dates(conn, keep)?;
    refresh_visit_dates(conn, duplicate)?;
    Ok(moved)
}

/// A visit on `service_date` was recorded: the guest's stored last-visit date (the order
/// of the nickname search) moves forward to it, and their first-visit date (what makes
/// them a new guest on a day) is set if they had none.
pub(crate) fn visited_on(conn: &Connection, guest_id: i64, service_date: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE guests SET last_visit_date = max(coalesce(last_visit_date, ?2), ?2),
                           first_visit_date = min(coalesce(first_visit_date, ?2), ?2)
         WHERE id = ?1 AND (last_visit_date IS NULL OR last_visit_date < ?2
                            OR first_visit_date IS NULL OR first_visit_date > ?2)",
    )?
    .execute(params![guest_id, service_date])?;
    Ok(())
}

/// The guest's stored first and last visit dates, from their visits that were not undone
/// (after an undo or a merge).
pub(crate) fn refresh_visit_dates(conn: &Connection, guest_id: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE guests SET
            last_visit_date = (SELECT max(service_date) FROM visits
                               WHERE guest_id = ?1 AND voided_at IS NULL),
            first_visit_date = (SELECT min(service_date) FROM visits
                                WHERE guest_id = ?1 AND voided_at IS NULL)
         WHERE id = ?1",
    )?
    .execute([guest_id])?;
    Ok(())
}
