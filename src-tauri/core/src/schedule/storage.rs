//! SQL for resources, opening hours and bookings.

use crate::days::{instant, stamp};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{BookingState, Kind, Resource, Taken};
use crate::error::{AppError, ErrorCode, Result};
use crate::restrictions::Scope;

/// Bookings that hold their resource.
const HOLDING: &str = "state IN ('booked', 'in_use', 'done')";

pub(super) fn kind(conn: &Connection, kind: &str) -> Result<Option<Kind>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT label, daily_limit, restriction_scope FROM resource_kinds WHERE kind = ?1",
        [kind],
        |row| {
            let scope: Option<String> = row.get(2)?;
            Ok(Kind {
                label: row.get(0)?,
                daily_limit: row.get(1)?,
                restriction_scope: scope.as_deref().and_then(Scope::parse),
            })
        },
    )
    .optional()?)
}

pub(super) fn hours(
    conn: &Connection,
    kind: &str,
    weekday: u32,
) -> Result<Option<(NaiveTime, NaiveTime)>> {
    let found: Option<(String, String)> = crate::db::cached_row(
        conn,
        "SELECT opens, closes FROM opening_hours WHERE kind = ?1 AND weekday = ?2",
        params![kind, weekday],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()?;
    Ok(found.and_then(|(opens, closes)| {
        Some((
            NaiveTime::parse_from_str(&opens, "%H:%M").ok()?,
            NaiveTime::parse_from_str(&closes, "%H:%M").ok()?,
        ))
    }))
}

const RESOURCE: &str =
    "SELECT id, kind, name, slot_minutes, buffer_minutes, active, out_of_order_reason,
    out_of_order_since IS NOT NULL FROM resources";

fn resource_row(row: &Row<'_>) -> rusqlite::Result<Resource> {
    let out_of_order: bool = row.get(7)?;
    let reason: Option<String> = row.get(6)?;
    Ok(Resource {
        id: row.get(0)?,
        kind: row.get(1)?,
        name: row.get(2)?,
        slot: Duration::minutes(row.get(3)?),
        buffer: Duration::minutes(row.get(4)?),
        active: row.get(5)?,
        out_of_order: out_of_order.then(|| reason.unwrap_or_default()),
    })
}

pub(super) fn resource(conn: &Connection, id: i64) -> Result<Option<Resource>> {
    Ok(crate::db::cached_row(
        conn,
        &format!("{RESOURCE} WHERE id = ?1"),
        [id],
        resource_row,
    )
    .optional()?)
}

pub(super) fn resource_of_booking(conn: &Connection, booking_id: i64) -> Result<Resource> {
    crate::db::cached_row(
        conn,
        &format!("{RESOURCE} WHERE id = (SELECT resource_id FROM bookings WHERE id = ?1)"),
        [booking_id],
        resource_row,
    )
    .optional()?
    .ok_or_else(|| AppError::new(ErrorCode::NotFound, "that booking does not exist"))
}

pub(super) fn resources_of(conn: &Connection, kind: &str) -> Result<Vec<Resource>> {
    let mut statement =
        conn.prepare_cached(&format!("{RESOURCE} WHERE kind = ?1 ORDER BY name"))?;
    let rows = statement.query_map([kind], resource_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Out of order (with a reason) or back in order (`None`).
pub(crate) fn set_out_of_order(
    conn: &Connection,
    id: i64,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE resources SET out_of_order_since = CASE WHEN ?2 IS NULL THEN NULL ELSE ?3 END,
                              out_of_order_reason = ?2 WHERE id = ?1",
        params![id, reason, stamp(at)],
    )?;
    Ok(())
}

pub(super) fn count_for_guest(
    conn: &Connection,
    guest_id: i64,
    kind: &str,
    service_date: &str,
) -> Result<u32> {
    Ok(crate::db::cached_row(
        conn,
        &format!(
            "SELECT count(*) FROM bookings b JOIN resources r ON r.id = b.resource_id
             WHERE b.guest_id = ?1 AND b.service_date = ?2 AND r.kind = ?3 AND b.{HOLDING}"
        ),
        params![guest_id, service_date, kind],
        |row| row.get(0),
    )?)
}

/// What holds a resource between `from` and `to` (bookings and blocked periods), by start.
pub(super) fn taken(
    conn: &Connection,
    resource_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Taken>> {
    // Bookings that hold the resource, and blocked periods of it or of its whole kind.
    // `+starts_at` keeps the search on bookings_resource_blocked: those ending after `from`
    // are today's, while every booking of the resource's history starts before `to`.
    let mut statement = conn.prepare_cached(&format!(
        "SELECT starts_at, blocked_until FROM bookings
         WHERE resource_id = ?1 AND {HOLDING} AND +starts_at < ?3 AND blocked_until > ?2
         UNION ALL
         SELECT starts_at, ends_at FROM blocked_periods
         WHERE (resource_id = ?1
                OR (resource_id IS NULL AND kind = (SELECT kind FROM resources WHERE id = ?1)))
           AND starts_at < ?3 AND ends_at > ?2
         ORDER BY 1"
    ))?;
    let rows = statement.query_map(params![resource_id, stamp(from), stamp(to)], |row| {
        Ok(Taken {
            starts: instant(&row.get::<_, String>(0)?)?,
            blocked_until: instant(&row.get::<_, String>(1)?)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[allow(clippy::too_many_arguments)] // one column each
pub(super) fn insert(
    conn: &Connection,
    resource_id: i64,
    guest_id: i64,
    service_date: &str,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    blocked_until: DateTime<Utc>,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<i64> {
    crate::db::cached_execute(conn,
        "INSERT INTO bookings (resource_id, guest_id, service_date, starts_at, ends_at, blocked_until,
                               state, created_at, created_by, changed_at, changed_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'booked', ?7, ?8, ?7, ?8)",
        params![resource_id, guest_id, service_date, stamp(starts), stamp(ends), stamp(blocked_until), stamp(at), staff_id],
    )?;
    let id = conn.last_insert_rowid();
    record_event(conn, id, at, Some(staff_id), None, BookingState::Booked)?;
    Ok(id)
}

fn record_event(
    conn: &Connection,
    booking_id: i64,
    at: DateTime<Utc>,
    by: Option<i64>,
    from: Option<BookingState>,
    to: BookingState,
) -> Result<()> {
    crate::db::cached_execute(conn,
        "INSERT INTO booking_events (booking_id, at, by_staff, from_state, to_state) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![booking_id, stamp(at), by, from.map(BookingState::as_str), to.as_str()],
    )?;
    Ok(())
}

pub(super) fn state_of(conn: &Connection, id: i64) -> Result<Option<BookingState>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT state FROM bookings WHERE id = ?1",
        [id],
        |row| row.get::<_, String>(0),
    )
    .optional()?
    .map(|text| BookingState::parse(&text)))
}

pub(super) fn set_state(
    conn: &Connection,
    id: i64,
    from: BookingState,
    to: BookingState,
    at: DateTime<Utc>,
    by: Option<i64>,
    blocked_until: Option<DateTime<Utc>>,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE bookings SET state = ?2, changed_at = ?3, changed_by = ?4,
             started_at = CASE WHEN ?2 = 'in_use' THEN ?3 ELSE started_at END,
             finished_at = CASE WHEN ?2 = 'done' THEN ?3 ELSE finished_at END,
             blocked_until = coalesce(?5, blocked_until)
         WHERE id = ?1",
        params![id, to.as_str(), stamp(at), by, blocked_until.map(stamp)],
    )?;
    record_event(conn, id, at, by, Some(from), to)
}

/// Mark bookings not started within the grace period as no-shows (their slot is free
/// again); returns how many.
pub(super) fn release_no_shows(
    conn: &Connection,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<usize> {
    let late: Vec<i64> = {
        let mut statement = conn
            .prepare_cached("SELECT id FROM bookings WHERE state = 'booked' AND starts_at <= ?1")?;
        let rows = statement.query_map([stamp(now - grace)], |row| row.get(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    for id in &late {
        set_state(
            conn,
            *id,
            BookingState::Booked,
            BookingState::NoShow,
            now,
            None,
            None,
        )?;
    }
    Ok(late.len())
}

/// One booking joined with its resource and guest.
pub(super) struct BookingRow {
    pub id: i64,
    pub resource_id: i64,
    pub resource_name: String,
    pub guest_id: i64,
    pub guest_code: String,
    pub guest_nickname: Option<String>,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub state: BookingState,
    pub started: Option<DateTime<Utc>>,
}

pub(super) fn booking_row(conn: &Connection, id: i64) -> Result<Option<BookingRow>> {
    Ok(crate::db::cached_row(conn,
            "SELECT b.id, b.resource_id, r.name, b.guest_id, g.code, g.nickname, b.starts_at, b.ends_at, b.state,
                    b.started_at
             FROM bookings b JOIN resources r ON r.id = b.resource_id JOIN guests g ON g.id = b.guest_id
             WHERE b.id = ?1",
            [id],
            |row| {
                Ok(BookingRow {
                    id: row.get(0)?,
                    resource_id: row.get(1)?,
                    resource_name: row.get(2)?,
                    guest_id: row.get(3)?,
                    guest_code: row.get(4)?,
                    guest_nickname: row.get(5)?,
                    starts: instant(&row.get::<_, String>(6)?)?,
                    ends: instant(&row.get::<_, String>(7)?)?,
                    state: BookingState::parse(&row.get::<_, String>(8)?),
                    started: row
                        .get::<_, Option<String>>(9)?
                        .map(|text| instant(&text))
                        .transpose()?,
                })
            },
        )
        .optional()?)
}

/// One waiting guest.
pub(super) struct Waiting {
    pub guest_id: i64,
    pub joined_at: DateTime<Utc>,
}

pub(super) fn join_waitlist(
    conn: &Connection,
    kind: &str,
    guest_id: i64,
    service_date: &str,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<i64> {
    crate::db::cached_execute(conn,
        "INSERT INTO waitlist (kind, guest_id, service_date, joined_at, joined_by, state, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'waiting', ?4)",
        params![kind, guest_id, service_date, stamp(at), staff_id],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn is_waiting(
    conn: &Connection,
    kind: &str,
    guest_id: i64,
    service_date: &str,
) -> Result<bool> {
    Ok(crate::db::cached_row(conn,
            "SELECT 1 FROM waitlist WHERE kind = ?1 AND guest_id = ?2 AND service_date = ?3 AND state = 'waiting'",
            params![kind, guest_id, service_date],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Waiting guests of a kind today who are still inside, in arrival order.
pub(super) fn waiting(conn: &Connection, kind: &str, service_date: &str) -> Result<Vec<Waiting>> {
    let mut statement = conn.prepare_cached(
        "SELECT w.guest_id, w.joined_at FROM waitlist w
         WHERE w.kind = ?1 AND w.service_date = ?2 AND w.state = 'waiting'
           AND EXISTS (SELECT 1 FROM visits v WHERE v.guest_id = w.guest_id
                       AND v.checked_out_at IS NULL AND v.voided_at IS NULL)
         ORDER BY w.joined_at, w.id",
    )?;
    let rows = statement.query_map(params![kind, service_date], |row| {
        Ok(Waiting {
            guest_id: row.get(0)?,
            joined_at: instant(&row.get::<_, String>(1)?)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Mark a guest's waiting entry of a kind as booked.
pub(super) fn waitlist_booked(
    conn: &Connection,
    kind: &str,
    guest_id: i64,
    service_date: &str,
    booking_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE waitlist SET state = 'booked', booking_id = ?4, changed_at = ?5
         WHERE kind = ?1 AND guest_id = ?2 AND service_date = ?3 AND state = 'waiting'",
        params![kind, guest_id, service_date, booking_id, stamp(at)],
    )?;
    Ok(())
}

/// A guest who leaves the building loses their bookings still to come and their places
/// on waitlists; returns how many bookings were cancelled.
pub(crate) fn guest_left(
    conn: &Connection,
    guest_id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<usize> {
    let future: Vec<i64> = {
        let mut statement = conn
            .prepare_cached("SELECT id FROM bookings WHERE guest_id = ?1 AND state = 'booked'")?;
        let rows = statement.query_map([guest_id], |row| row.get(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    for id in &future {
        set_state(
            conn,
            *id,
            BookingState::Booked,
            BookingState::Cancelled,
            at,
            Some(staff_id),
            None,
        )?;
    }
    crate::db::cached_execute(conn,
        "UPDATE waitlist SET state = 'removed', changed_at = ?2 WHERE guest_id = ?1 AND state = 'waiting'",
        params![guest_id, stamp(at)],
    )?;
    Ok(future.len())
}

/// At close-out: bookings still to come are cancelled, showers in use are finished, and
/// nobody is left waiting.
pub(crate) fn close_out(conn: &Connection, at: DateTime<Utc>, staff_id: i64) -> Result<()> {
    let open: Vec<(i64, String)> = {
        let mut statement = conn
            .prepare_cached("SELECT id, state FROM bookings WHERE state IN ('booked', 'in_use')")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    for (id, state) in open {
        let (from, to) = if state == "in_use" {
            (BookingState::InUse, BookingState::Done)
        } else {
            (BookingState::Booked, BookingState::Cancelled)
        };
        set_state(conn, id, from, to, at, Some(staff_id), None)?;
    }
    crate::db::cached_execute(
        conn,
        "UPDATE waitlist SET state = 'removed', changed_at = ?1 WHERE state = 'waiting'",
        [stamp(at)],
    )?;
    Ok(())
}

/// The days before `today` that left bookings open or guests on a waitlist (days nobody
/// closed out).
pub(super) fn open_earlier_days(conn: &Connection, today: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT service_date FROM bookings
         WHERE state IN ('booked', 'in_use') AND service_date < ?1
         UNION
         SELECT service_date FROM waitlist WHERE state = 'waiting' AND service_date < ?1",
    )?;
    let rows = statement.query_map([today], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Settle what one earlier day left open, by the system at its closing time `at`: a use
/// in progress is finished, a booking whose start had passed by more than `grace` is a
/// no-show (as the board would have marked it), one still to come is cancelled, and
/// nobody is left waiting. Returns the bookings and the waitlist places settled.
pub(super) fn settle_day(
    conn: &Connection,
    date: &str,
    at: DateTime<Utc>,
    grace: Duration,
) -> Result<(usize, usize)> {
    // Id, state, start, and when it last changed (a use is never finished before it began).
    let open: Vec<(i64, String, String, String)> = {
        let mut statement = conn.prepare_cached(
            "SELECT id, state, starts_at, changed_at FROM bookings
             WHERE service_date = ?1 AND state IN ('booked', 'in_use')",
        )?;
        let rows = statement.query_map([date], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let no_show_before = stamp(at - grace);
    for (id, state, starts_at, changed_at) in &open {
        let (from, to) = if state == "in_use" {
            (BookingState::InUse, BookingState::Done)
        } else if *starts_at <= no_show_before {
            (BookingState::Booked, BookingState::NoShow)
        } else {
            (BookingState::Booked, BookingState::Cancelled)
        };
        let when = at.max(instant(changed_at)?);
        set_state(conn, *id, from, to, when, None, None)?;
    }
    let waiting = crate::db::cached_execute(
        conn,
        "UPDATE waitlist SET state = 'removed', changed_at = ?2
         WHERE service_date = ?1 AND state = 'waiting'",
        params![date, stamp(at)],
    )?;
    Ok((open.len(), waiting))
}

pub(super) fn bookings_of_resource(
    conn: &Connection,
    resource_id: i64,
    service_date: &str,
) -> Result<Vec<i64>> {
    let mut statement = conn.prepare_cached(
        "SELECT id FROM bookings WHERE resource_id = ?1 AND service_date = ?2 ORDER BY starts_at",
    )?;
    let rows = statement.query_map(params![resource_id, service_date], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn resource_named(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT id FROM resources WHERE name = ?1",
        [name],
        |row| row.get(0),
    )
    .optional()?)
}

pub(super) fn insert_resource(
    conn: &Connection,
    input: &super::ResourceInput,
    name: &str,
) -> Result<i64> {
    crate::db::cached_execute(conn,
        "INSERT INTO resources (kind, name, slot_minutes, buffer_minutes, active) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![input.kind, name, input.slot_minutes, input.buffer_minutes, input.active],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn update_resource(
    conn: &Connection,
    id: i64,
    input: &super::ResourceInput,
    name: &str,
) -> Result<()> {
    crate::db::cached_execute(conn,
        "UPDATE resources SET kind = ?2, name = ?3, slot_minutes = ?4, buffer_minutes = ?5, active = ?6
         WHERE id = ?1",
        params![id, input.kind, name, input.slot_minutes, input.buffer_minutes, input.active],
    )?;
    Ok(())
}

pub(super) fn set_hours(
    conn: &Connection,
    kind: &str,
    weekday: u32,
    hours: Option<(NaiveTime, NaiveTime)>,
) -> Result<()> {
    match hours {
        Some((opens, closes)) => crate::db::cached_execute(conn,
            "INSERT INTO opening_hours (kind, weekday, opens, closes) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, weekday) DO UPDATE SET opens = excluded.opens, closes = excluded.closes",
            params![kind, weekday, opens.format("%H:%M").to_string(), closes.format("%H:%M").to_string()],
        )?,
        None => crate::db::cached_execute(conn,
            "DELETE FROM opening_hours WHERE kind = ?1 AND weekday = ?2",
            params![kind, weekday],
        )?,
    };
    Ok(())
}

/// Per kind on a date: done, no-shows, cancellations and whole minutes in use.
pub(crate) fn day_counts(conn: &Connection, service_date: &str) -> Result<Vec<super::KindCounts>> {
    let mut statement = conn.prepare_cached(
        "SELECT k.kind,
                count(b.id),
                count(CASE WHEN b.state = 'done' THEN 1 END),
                count(CASE WHEN b.state = 'no_show' THEN 1 END),
                count(CASE WHEN b.state = 'cancelled' THEN 1 END),
                coalesce(sum(CASE WHEN b.state = 'done' AND b.started_at IS NOT NULL
                    THEN CAST(round((julianday(b.finished_at) - julianday(b.started_at)) * 1440) AS INTEGER)
                    END), 0)
         FROM resource_kinds k
         LEFT JOIN resources r ON r.kind = k.kind
         LEFT JOIN bookings b ON b.resource_id = r.id AND b.service_date = ?1
         GROUP BY k.kind ORDER BY k.kind",
    )?;
    let rows = statement.query_map([service_date], |row| {
        Ok(super::KindCounts {
            kind: row.get(0)?,
            booked: row.get(1)?,
            done: row.get(2)?,
            no_shows: row.get(3)?,
            cancelled: row.get(4)?,
            minutes_in_use: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// [`day_counts`] of every date of a range, read at once for the report engine.
pub(crate) struct KindCountsByDay {
    /// Every kind, in [`day_counts`]'s order.
    kinds: Vec<String>,
    /// The dates with bookings: their counts per kind, every kind listed.
    days: std::collections::HashMap<String, Vec<super::KindCounts>>,
}

impl KindCountsByDay {
    /// What [`day_counts`] gives for a date of the range.
    pub(crate) fn on(&self, service_date: &str) -> Vec<super::KindCounts> {
        match self.days.get(service_date) {
            Some(counts) => counts.clone(),
            None => self.kinds.iter().map(|kind| no_uses(kind)).collect(),
        }
    }
}

fn no_uses(kind: &str) -> super::KindCounts {
    super::KindCounts {
        kind: kind.to_string(),
        booked: 0,
        done: 0,
        no_shows: 0,
        cancelled: 0,
        minutes_in_use: 0,
    }
}

/// [`day_counts`] for every date of `from..=to`, with three queries: one pass over the
/// range's bookings in date order, counted here (grouping them in SQL would sort them all).
pub(crate) fn day_counts_in_range(
    conn: &Connection,
    from: &str,
    to: &str,
) -> Result<KindCountsByDay> {
    let kinds = conn
        .prepare_cached("SELECT kind FROM resource_kinds ORDER BY kind")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    // Each resource and its kind's place in `kinds` (a center has a handful).
    let mut kind_of: Vec<(i64, usize)> = Vec::new();
    let mut statement = conn.prepare_cached("SELECT id, kind FROM resources")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let kind = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        if let Some(at) = kinds.iter().position(|k| k == kind) {
            kind_of.push((row.get(0)?, at));
        }
    }
    let no_day = || -> Vec<super::KindCounts> { kinds.iter().map(|kind| no_uses(kind)).collect() };
    let mut days: std::collections::HashMap<String, Vec<super::KindCounts>> =
        std::collections::HashMap::new();
    // The date being read and its counts.
    let mut current: Option<(String, Vec<super::KindCounts>)> = None;
    let mut statement = conn.prepare_cached(
        "SELECT service_date, resource_id, state,
                CASE WHEN state = 'done' AND started_at IS NOT NULL
                    THEN CAST(round((julianday(finished_at) - julianday(started_at)) * 1440) AS INTEGER)
                END
         FROM bookings WHERE service_date BETWEEN ?1 AND ?2
         ORDER BY service_date",
    )?;
    let mut rows = statement.query(params![from, to])?;
    while let Some(row) = rows.next()? {
        let resource: i64 = row.get(1)?;
        let Some(&(_, at)) = kind_of.iter().find(|(id, _)| *id == resource) else {
            continue;
        };
        let date = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        if current.as_ref().is_none_or(|(reading, _)| reading != date) {
            if let Some((reading, counts)) = current.take() {
                days.insert(reading, counts);
            }
            current = Some((date.to_string(), no_day()));
        }
        let Some(counts) = current.as_mut().and_then(|(_, day)| day.get_mut(at)) else {
            continue;
        };
        counts.booked += 1;
        match row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)? {
            "done" => counts.done += 1,
            "no_show" => counts.no_shows += 1,
            "cancelled" => counts.cancelled += 1,
            _ => {}
        }
        if let Some(minutes) = row.get::<_, Option<i64>>(3)? {
            counts.minutes_in_use += minutes;
        }
    }
    if let Some((reading, counts)) = current {
        days.insert(reading, counts);
    }
    Ok(KindCountsByDay { kinds, days })
}

#[allow(clippy::too_many_arguments)] // one column each
pub(super) fn insert_block(
    conn: &Connection,
    kind: &str,
    resource_id: Option<i64>,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    reason: &str,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<i64> {
    crate::db::cached_execute(conn,
        "INSERT INTO blocked_periods (kind, resource_id, starts_at, ends_at, reason, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![kind, resource_id, stamp(starts), stamp(ends), reason, stamp(at), staff_id],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Add or change a kind; a new kind opens 08:00–16:00 every day until told otherwise.
pub(super) fn save_kind(
    conn: &Connection,
    kind: &str,
    label: &str,
    input: &super::KindInput,
) -> Result<()> {
    crate::db::cached_execute(conn,
        "INSERT INTO resource_kinds (kind, label, default_slot_minutes, default_buffer_minutes, daily_limit, restriction_scope)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (kind) DO UPDATE SET label = excluded.label,
             default_slot_minutes = excluded.default_slot_minutes,
             default_buffer_minutes = excluded.default_buffer_minutes,
             daily_limit = excluded.daily_limit, restriction_scope = excluded.restriction_scope",
        params![
            kind,
            label,
            input.default_slot_minutes,
            input.default_buffer_minutes,
            input.daily_limit,
            input.restriction_scope.map(Scope::as_str)
        ],
    )?;
    crate::db::cached_execute(
        conn,
        "INSERT OR IGNORE INTO opening_hours (kind, weekday, opens, closes)
         SELECT ?1, weekday, '08:00', '16:00' FROM (SELECT 1 AS weekday UNION ALL SELECT 2 UNION ALL
             SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7)
         WHERE NOT EXISTS (SELECT 1 FROM opening_hours WHERE kind = ?1)",
        [kind],
    )?;
    Ok(())
}

pub(super) fn kinds(conn: &Connection) -> Result<Vec<super::KindSummary>> {
    // The three seeded kinds first, in their usual order, then added ones by name.
    let mut statement = conn.prepare_cached(
        "SELECT kind, label FROM resource_kinds
         ORDER BY CASE kind WHEN 'shower' THEN 1 WHEN 'computer' THEN 2 WHEN 'phone' THEN 3 ELSE 4 END, label",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(super::KindSummary {
            kind: row.get(0)?,
            label: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
