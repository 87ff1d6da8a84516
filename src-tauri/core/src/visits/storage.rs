//! SQL for visits and anonymous tallies.

use crate::days::{instant, stamp};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::Result;

/// One visit as the rules need it.
#[derive(Debug, Clone)]
pub(super) struct Visit {
    pub id: i64,
    pub guest_id: i64,
    pub checked_in_at: DateTime<Utc>,
    pub checked_in_by: i64,
    pub checked_out: bool,
    pub voided: bool,
}

impl Visit {
    pub fn is_open(&self) -> bool {
        !self.checked_out && !self.voided
    }
}

const VISIT: &str = "SELECT id, guest_id, checked_in_at, checked_in_by,
    checked_out_at IS NOT NULL, voided_at IS NOT NULL FROM visits";

fn visit_row(row: &Row<'_>) -> rusqlite::Result<Visit> {
    Ok(Visit {
        id: row.get(0)?,
        guest_id: row.get(1)?,
        checked_in_at: instant(&row.get::<_, String>(2)?)?,
        checked_in_by: row.get(3)?,
        checked_out: row.get(4)?,
        voided: row.get(5)?,
    })
}

pub(super) fn visit(conn: &Connection, id: i64) -> Result<Option<Visit>> {
    Ok(
        crate::db::cached_row(conn, &format!("{VISIT} WHERE id = ?1"), [id], visit_row)
            .optional()?,
    )
}

pub(super) fn open_visit(conn: &Connection, guest_id: i64) -> Result<Option<Visit>> {
    Ok(crate::db::cached_row(
        conn,
        &format!("{VISIT} WHERE guest_id = ?1 AND checked_out_at IS NULL AND voided_at IS NULL"),
        [guest_id],
        visit_row,
    )
    .optional()?)
}

/// Guests whose nickname does not start with `prefix` (none, or with another name).
pub(super) fn guests_not_named(conn: &Connection, prefix: &str) -> Result<i64> {
    Ok(crate::db::cached_row(conn,
        "SELECT count(*) FROM guests WHERE nickname IS NULL OR substr(nickname, 1, length(?1)) <> ?1",
        [prefix],
        |row| row.get(0),
    )?)
}

pub(super) fn count_open(conn: &Connection) -> Result<u32> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT count(*) FROM visits WHERE checked_out_at IS NULL AND voided_at IS NULL",
        [],
        |row| row.get(0),
    )?)
}

pub(super) fn insert_visit(
    conn: &Connection,
    guest_id: i64,
    service_date: &str,
    at: DateTime<Utc>,
    staff_id: i64,
    over_capacity_by: Option<i64>,
    after_close: bool,
) -> Result<i64> {
    crate::db::cached_execute(conn,
        "INSERT INTO visits (guest_id, service_date, checked_in_at, checked_in_by, over_capacity_by, after_close)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![guest_id, service_date, stamp(at), staff_id, over_capacity_by, after_close],
    )?;
    let id = conn.last_insert_rowid();
    crate::guests::visited_on(conn, guest_id, service_date)?;
    Ok(id)
}

pub(super) fn check_out(
    conn: &Connection,
    id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE visits SET checked_out_at = ?2, checked_out_by = ?3 WHERE id = ?1",
        params![id, stamp(at), staff_id],
    )?;
    Ok(())
}

pub(super) fn void(
    conn: &Connection,
    id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
    reason: &str,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE visits SET voided_at = ?2, voided_by = ?3, void_reason = ?4 WHERE id = ?1",
        params![id, stamp(at), staff_id, reason],
    )?;
    let guest_id: i64 = crate::db::cached_row(
        conn,
        "SELECT guest_id FROM visits WHERE id = ?1",
        [id],
        |row| row.get(0),
    )?;
    crate::guests::visits_changed(conn, guest_id)
}

/// Someone inside, with their code and nickname.
pub(super) struct InsideRow {
    pub visit_id: i64,
    pub guest_id: i64,
    pub code: String,
    pub nickname: Option<String>,
    pub checked_in_at: DateTime<Utc>,
}

pub(super) fn inside(conn: &Connection) -> Result<Vec<InsideRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT v.id, v.guest_id, g.code, g.nickname, v.checked_in_at
         FROM visits v JOIN guests g ON g.id = v.guest_id
         WHERE v.checked_out_at IS NULL AND v.voided_at IS NULL
         ORDER BY v.checked_in_at",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(InsideRow {
            visit_id: row.get(0)?,
            guest_id: row.get(1)?,
            code: row.get(2)?,
            nickname: row.get(3)?,
            checked_in_at: instant(&row.get::<_, String>(4)?)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The guests of the latest `limit` counted visits, newest first (may repeat).
pub(super) fn recent_guests(conn: &Connection, limit: usize) -> Result<Vec<i64>> {
    let mut statement = conn.prepare_cached(
        "SELECT guest_id FROM visits WHERE voided_at IS NULL ORDER BY checked_in_at DESC LIMIT ?1",
    )?;
    let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The staff member's latest check-in since `since` that is still open.
pub(super) fn last_check_in_by(
    conn: &Connection,
    staff_id: i64,
    since: DateTime<Utc>,
) -> Result<Option<Visit>> {
    Ok(crate::db::cached_row(
        conn,
        &format!(
            "{VISIT} WHERE checked_in_by = ?1 AND checked_in_at >= ?2
                 AND checked_out_at IS NULL AND voided_at IS NULL
                 ORDER BY checked_in_at DESC LIMIT 1"
        ),
        params![staff_id, stamp(since)],
        visit_row,
    )
    .optional()?)
}

/// Counted visits and distinct guests on a service date.
pub(super) fn day_counts(conn: &Connection, service_date: &str) -> Result<(u32, u32)> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT count(*), count(DISTINCT guest_id) FROM visits
         WHERE service_date = ?1 AND voided_at IS NULL",
        [service_date],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}

pub(super) fn insert_tally(
    conn: &Connection,
    service_date: &str,
    at: DateTime<Utc>,
    staff_id: i64,
    after_close: bool,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO anonymous_tallies (service_date, counted_at, counted_by, after_close)
         VALUES (?1, ?2, ?3, ?4)",
        params![service_date, stamp(at), staff_id, after_close],
    )?;
    Ok(())
}

pub(super) fn count_tallies(conn: &Connection, service_date: &str) -> Result<u32> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT count(*) FROM anonymous_tallies WHERE service_date = ?1",
        [service_date],
        |row| row.get(0),
    )?)
}

/// A closed day as stored.
pub(super) struct ClosureRow {
    pub service_date: String,
    pub closed_at: DateTime<Utc>,
    pub closed_by: String,
    pub visits: u32,
    pub guests: u32,
    pub new_guests: u32,
    pub tallies: u32,
    pub checked_out_at_close: u32,
    /// Closed out after the day was over (from the days left open).
    pub closed_late: bool,
}

pub(super) fn closure(conn: &Connection, service_date: &str) -> Result<Option<ClosureRow>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT c.service_date, c.closed_at, s.username, c.visits, c.guests, c.new_guests,
                    c.tallies, c.checked_out_at_close, c.closed_late
             FROM day_closures c JOIN staff s ON s.id = c.closed_by
             WHERE c.service_date = ?1",
        [service_date],
        |row| {
            Ok(ClosureRow {
                service_date: row.get(0)?,
                closed_at: instant(&row.get::<_, String>(1)?)?,
                closed_by: row.get(2)?,
                visits: row.get(3)?,
                guests: row.get(4)?,
                new_guests: row.get(5)?,
                tallies: row.get(6)?,
                checked_out_at_close: row.get(7)?,
                closed_late: row.get(8)?,
            })
        },
    )
    .optional()?)
}

pub(super) fn insert_closure(conn: &Connection, row: &ClosureRow, staff_id: i64) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO day_closures (service_date, closed_at, closed_by, visits, guests, new_guests,
                                   tallies, checked_out_at_close, closed_late)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            row.service_date,
            stamp(row.closed_at),
            staff_id,
            row.visits,
            row.guests,
            row.new_guests,
            row.tallies,
            row.checked_out_at_close,
            row.closed_late
        ],
    )?;
    Ok(())
}

/// Check out everyone still inside; returns how many.
pub(super) fn check_out_everyone(
    conn: &Connection,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<u32> {
    let changed = crate::db::cached_execute(
        conn,
        "UPDATE visits SET checked_out_at = ?1, checked_out_by = ?2
         WHERE checked_out_at IS NULL AND voided_at IS NULL",
        params![stamp(at), staff_id],
    )?;
    Ok(u32::try_from(changed).unwrap_or(u32::MAX))
}

/// Guests whose first visit that was not undone was on a date (records merged into
/// another are counted once, as the survivor).
pub(super) fn new_guests_on(conn: &Connection, service_date: &str) -> Result<u32> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT count(*) FROM guests WHERE first_visit_date = ?1 AND merged_into IS NULL",
        [service_date],
        |row| row.get(0),
    )?)
}

/// Visits (undone ones excluded, as everywhere) and tallies recorded after the day was
/// closed (corrections).
pub(super) fn corrections_on(conn: &Connection, service_date: &str) -> Result<u32> {
    Ok(crate::db::cached_row(conn,
        "SELECT (SELECT count(*) FROM visits
                 WHERE service_date = ?1 AND after_close = 1 AND voided_at IS NULL)
              + (SELECT count(*) FROM anonymous_tallies WHERE service_date = ?1 AND after_close = 1)",
        [service_date],
        |row| row.get(0),
    )?)
}

/// The days before `today` with a visit nobody checked out.
pub(super) fn open_earlier_days(conn: &Connection, today: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT service_date FROM visits
         WHERE checked_out_at IS NULL AND voided_at IS NULL AND service_date < ?1",
    )?;
    let rows = statement.query_map([today], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Check out, by the system, everyone a day left inside, marked settled at day end: at
/// the day's closing time `closes`, or at the day's end `ends` for someone who checked in
/// after closing time. Returns how many.
pub(super) fn settle_day(
    conn: &Connection,
    service_date: &str,
    closes: DateTime<Utc>,
    ends: DateTime<Utc>,
) -> Result<u32> {
    let changed = crate::db::cached_execute(
        conn,
        "UPDATE visits SET checked_out_at = CASE WHEN checked_in_at < ?2 THEN ?2 ELSE ?3 END,
                           checked_out_by = NULL, settled_at_day_end = 1
         WHERE service_date = ?1 AND checked_out_at IS NULL AND voided_at IS NULL",
        params![service_date, stamp(closes), stamp(ends)],
    )?;
    Ok(u32::try_from(changed).unwrap_or(u32::MAX))
}

/// The visits of a date that nobody checked out (settled at day end).
pub(super) fn settled_on(conn: &Connection, service_date: &str) -> Result<u32> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT count(*) FROM visits
         WHERE service_date = ?1 AND voided_at IS NULL AND settled_at_day_end = 1",
        [service_date],
        |row| row.get(0),
    )?)
}

/// The days before `today`, newest first, on which a visit or a tally was recorded and
/// that were never closed out. Each step asks the indexes for the next date with records,
/// so the cost grows with the number of days, not of visits.
pub(super) fn days_left_open(conn: &Connection, today: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "WITH RECURSIVE
           visit_days(day) AS (
             SELECT max(service_date) FROM visits WHERE service_date < ?1
             UNION ALL
             SELECT (SELECT max(service_date) FROM visits WHERE service_date < visit_days.day)
             FROM visit_days WHERE visit_days.day IS NOT NULL),
           tally_days(day) AS (
             SELECT max(service_date) FROM anonymous_tallies WHERE service_date < ?1
             UNION ALL
             SELECT (SELECT max(service_date) FROM anonymous_tallies
                     WHERE service_date < tally_days.day)
             FROM tally_days WHERE tally_days.day IS NOT NULL)
         SELECT day FROM visit_days WHERE day IS NOT NULL
         UNION
         SELECT day FROM tally_days WHERE day IS NOT NULL
         EXCEPT
         SELECT service_date FROM day_closures
         ORDER BY 1 DESC",
    )?;
    let rows = statement.query_map([today], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
