//! SQL for the daily counts that no other area already counts.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use crate::days::{instant, stamp};
use crate::error::Result;

pub(crate) struct VisitCounts {
    pub visits: u32,
    pub guests: u32,
    pub tallies: u32,
    pub after_close: u32,
}

pub(super) fn visit_counts(conn: &Connection, date: &str) -> Result<VisitCounts> {
    Ok(conn.query_row(
        "SELECT
            (SELECT count(*) FROM visits WHERE service_date = ?1 AND voided_at IS NULL),
            (SELECT count(DISTINCT guest_id) FROM visits
                WHERE service_date = ?1 AND voided_at IS NULL),
            (SELECT count(*) FROM anonymous_tallies WHERE service_date = ?1),
            (SELECT count(*) FROM visits
                WHERE service_date = ?1 AND voided_at IS NULL AND after_close = 1)
              + (SELECT count(*) FROM anonymous_tallies WHERE service_date = ?1 AND after_close = 1)",
        [date],
        |row| {
            Ok(VisitCounts {
                visits: row.get(0)?,
                guests: row.get(1)?,
                tallies: row.get(2)?,
                after_close: row.get(3)?,
            })
        },
    )?)
}

/// Guests first seen on a day (records merged into another are not counted twice).
pub(super) fn new_guests(conn: &Connection, date: &str) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM guests WHERE first_seen_date = ?1 AND merged_into IS NULL",
        [date],
        |row| row.get(0),
    )?)
}

/// Distinct guests with a visit in a range of service dates.
pub(super) fn unique_guests(conn: &Connection, from: &str, to: &str) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(DISTINCT guest_id) FROM visits
         WHERE service_date BETWEEN ?1 AND ?2 AND voided_at IS NULL",
        params![from, to],
        |row| row.get(0),
    )?)
}

/// Stays that overlap `[start, end)`: arrival and departure (now, for those still inside).
pub(super) fn stays(
    conn: &Connection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    // A stay is never longer than a day and a half in practice: looking back 36 hours from
    // the day's start keeps the index range small (visits_open catches anyone still in).
    let look_back = start - chrono::Duration::hours(36);
    let mut statement = conn.prepare_cached(
        "SELECT checked_in_at, checked_out_at FROM visits
         WHERE checked_in_at >= ?1 AND checked_in_at < ?2 AND voided_at IS NULL
           AND (checked_out_at IS NULL OR checked_out_at > ?3)
         UNION ALL
         SELECT checked_in_at, checked_out_at FROM visits
         WHERE checked_out_at IS NULL AND voided_at IS NULL AND checked_in_at < ?1",
    )?;
    let rows = statement.query_map(params![stamp(look_back), stamp(end), stamp(start)], |row| {
        let arrived: String = row.get(0)?;
        let left: Option<String> = row.get(1)?;
        Ok((
            instant(&arrived)?,
            left.as_deref().map(instant).transpose()?.unwrap_or(now),
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Alerts and restrictions recorded during `[start, end)`.
pub(super) fn flags_issued(
    conn: &Connection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(u32, u32)> {
    Ok(conn.query_row(
        "SELECT count(*) FILTER (WHERE kind = 'alert'), count(*) FILTER (WHERE kind = 'restriction')
         FROM guest_flags WHERE created_at >= ?1 AND created_at < ?2",
        params![stamp(start), stamp(end)],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}

pub(super) fn is_closed(conn: &Connection, date: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM day_closures WHERE service_date = ?1)",
        [date],
        |row| row.get(0),
    )?)
}
