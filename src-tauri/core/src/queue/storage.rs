//! SQL for the nurse queue: entries, their transitions, stations, reasons and notes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Priority, QueueState, ReasonOption};
use crate::days::{instant, stamp};
use crate::error::Result;

/// An entry as the rules need it.
#[derive(Debug, Clone)]
pub(crate) struct EntryRow {
    pub id: i64,
    pub service_date: String,
    pub number: i64,
    pub guest_id: i64,
    pub reason: String,
    pub priority: Priority,
    pub note: Option<String>,
    pub state: QueueState,
    pub station_id: Option<i64>,
    pub joined_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub changed_at: DateTime<Utc>,
}

const ENTRY: &str = "SELECT id, service_date, number, guest_id, reason, priority, note, state,
    station_id, joined_at, called_at, changed_at FROM queue_entries";

/// Call order: urgent first, then who joined first.
const CALL_ORDER: &str = "(priority = 'urgent') DESC, joined_at, id";

fn entry_row(row: &Row<'_>) -> rusqlite::Result<EntryRow> {
    let priority: String = row.get(5)?;
    let state: String = row.get(7)?;
    let joined: String = row.get(9)?;
    let called: Option<String> = row.get(10)?;
    let changed: String = row.get(11)?;
    Ok(EntryRow {
        id: row.get(0)?,
        service_date: row.get(1)?,
        number: row.get(2)?,
        guest_id: row.get(3)?,
        reason: row.get(4)?,
        priority: Priority::parse(&priority),
        note: row.get(6)?,
        state: QueueState::parse(&state),
        station_id: row.get(8)?,
        joined_at: instant(&joined)?,
        called_at: called.as_deref().map(instant).transpose()?,
        changed_at: instant(&changed)?,
    })
}

fn entries(conn: &Connection, sql: &str, values: impl rusqlite::Params) -> Result<Vec<EntryRow>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(values, entry_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn entry(conn: &Connection, id: i64) -> Result<Option<EntryRow>> {
    Ok(conn
        .prepare_cached(&format!("{ENTRY} WHERE id = ?1"))?
        .query_row([id], entry_row)
        .optional()?)
}

pub(crate) fn active_entry_of_guest(conn: &Connection, guest_id: i64) -> Result<Option<EntryRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "{ENTRY} WHERE guest_id = ?1 AND state IN ('waiting', 'called', 'in_service')"
        ))?
        .query_row([guest_id], entry_row)
        .optional()?)
}

pub(super) fn next_number(conn: &Connection, service_date: &str) -> Result<i64> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT coalesce(max(number), 0) + 1 FROM queue_entries WHERE service_date = ?1",
        [service_date],
        |row| row.get(0),
    )?)
}

pub(super) struct NewEntry<'a> {
    pub service_date: &'a str,
    pub number: i64,
    pub guest_id: i64,
    pub reason: &'a str,
    pub priority: Priority,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub staff_id: i64,
}

pub(super) fn insert_entry(conn: &Connection, new: &NewEntry<'_>) -> Result<i64> {
    let at = stamp(new.at);
    crate::db::cached_execute(
        conn,
        "INSERT INTO queue_entries (service_date, number, guest_id, reason, priority, note,
            state, joined_at, joined_by, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'waiting', ?7, ?8, ?7)",
        params![
            new.service_date,
            new.number,
            new.guest_id,
            new.reason,
            new.priority.as_str(),
            new.note,
            at,
            new.staff_id
        ],
    )?;
    let id = conn.last_insert_rowid();
    record_event(
        conn,
        id,
        new.at,
        Some(new.staff_id),
        None,
        QueueState::Waiting,
        None,
        None,
    )?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
fn record_event(
    conn: &Connection,
    entry_id: i64,
    at: DateTime<Utc>,
    staff_id: Option<i64>,
    from: Option<QueueState>,
    to: QueueState,
    station_id: Option<i64>,
    undoes: Option<i64>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO queue_events (entry_id, at, by_staff, from_state, to_state, station_id, undoes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        entry_id,
        stamp(at),
        staff_id,
        from.map(QueueState::as_str),
        to.as_str(),
        station_id,
        undoes
    ])?;
    Ok(())
}

/// Move an entry to `to`, stamping the state's time column; `staff_id` none is the system.
pub(crate) fn move_entry(
    conn: &Connection,
    row: &EntryRow,
    to: QueueState,
    station_id: Option<i64>,
    at: DateTime<Utc>,
    staff_id: Option<i64>,
) -> Result<()> {
    let column = match to {
        QueueState::Called => "called_at",
        QueueState::InService => "started_at",
        _ => "finished_at",
    };
    crate::db::cached_execute(
        conn,
        &format!(
            "UPDATE queue_entries SET state = ?2, station_id = ?3, changed_at = ?4, {column} = ?4
             WHERE id = ?1 AND state = ?5"
        ),
        params![
            row.id,
            to.as_str(),
            station_id,
            stamp(at),
            row.state.as_str()
        ],
    )?;
    record_event(
        conn,
        row.id,
        at,
        staff_id,
        Some(row.state),
        to,
        station_id,
        None,
    )
}

/// Return an entry to `back_to`, clearing the times of the states it leaves behind.
pub(super) fn undo_move(
    conn: &Connection,
    row: &EntryRow,
    back_to: QueueState,
    undone_event: i64,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<()> {
    let clear = match back_to {
        QueueState::Waiting => {
            "station_id = NULL, called_at = NULL, started_at = NULL, finished_at = NULL"
        }
        QueueState::Called => "started_at = NULL, finished_at = NULL",
        _ => "finished_at = NULL",
    };
    crate::db::cached_execute(
        conn,
        &format!("UPDATE queue_entries SET state = ?2, changed_at = ?3, {clear} WHERE id = ?1"),
        params![row.id, back_to.as_str(), stamp(at)],
    )?;
    let station = if back_to == QueueState::Waiting {
        None
    } else {
        row.station_id
    };
    record_event(
        conn,
        row.id,
        at,
        Some(staff_id),
        Some(row.state),
        back_to,
        station,
        Some(undone_event),
    )
}

/// The first entry to call today.
pub(super) fn first_waiting(conn: &Connection, service_date: &str) -> Result<Option<EntryRow>> {
    Ok(entries(
        conn,
        &format!(
            "{ENTRY} WHERE service_date = ?1 AND state = 'waiting' ORDER BY {CALL_ORDER} LIMIT 1"
        ),
        [service_date],
    )?
    .into_iter()
    .next())
}

/// Today's entries still in the queue: waiting in call order, then called and in service.
pub(super) fn active_entries(conn: &Connection, service_date: &str) -> Result<Vec<EntryRow>> {
    entries(
        conn,
        &format!(
            "{ENTRY} WHERE service_date = ?1 AND state IN ('waiting', 'called', 'in_service')
             ORDER BY state <> 'waiting', {CALL_ORDER}"
        ),
        [service_date],
    )
}

pub(super) fn finished_entries(
    conn: &Connection,
    service_date: &str,
    limit: u32,
) -> Result<Vec<EntryRow>> {
    entries(
        conn,
        &format!(
            "{ENTRY} WHERE service_date = ?1 AND state IN ('done', 'left', 'cancelled')
             ORDER BY changed_at DESC, id DESC LIMIT ?2"
        ),
        params![service_date, limit],
    )
}

/// The entry a station has called or is seeing.
pub(super) fn serving_at(conn: &Connection, station_id: i64) -> Result<Option<EntryRow>> {
    Ok(entries(
        conn,
        &format!(
            "{ENTRY} WHERE station_id = ?1 AND state IN ('called', 'in_service') ORDER BY id LIMIT 1"
        ),
        [station_id],
    )?
    .into_iter()
    .next())
}

#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub id: i64,
    pub from_state: Option<QueueState>,
    pub undoes: Option<i64>,
}

pub(super) fn last_event(conn: &Connection, entry_id: i64) -> Result<Option<EventRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, from_state, undoes FROM queue_events WHERE entry_id = ?1
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([entry_id], |row| {
            let from: Option<String> = row.get(1)?;
            Ok(EventRow {
                id: row.get(0)?,
                from_state: from.as_deref().map(QueueState::parse),
                undoes: row.get(2)?,
            })
        })
        .optional()?)
}

/// A guest who leaves the building leaves the queue too: waiting or called entries become
/// "left without being seen". Returns how many.
pub(crate) fn guest_left(
    conn: &Connection,
    guest_id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<usize> {
    let rows = entries(
        conn,
        &format!("{ENTRY} WHERE guest_id = ?1 AND state IN ('waiting', 'called')"),
        [guest_id],
    )?;
    for row in &rows {
        move_entry(
            conn,
            row,
            QueueState::Left,
            row.station_id,
            at,
            Some(staff_id),
        )?;
    }
    Ok(rows.len())
}

/// At close-out: whoever still waits (or was called and never came) left without being
/// seen; encounters in progress are finished.
pub(crate) fn close_out(conn: &Connection, at: DateTime<Utc>, staff_id: i64) -> Result<()> {
    settle(conn, None, at, Some(staff_id)).map(|_| ())
}

/// The days before `today` that left entries open (days nobody closed out).
pub(super) fn open_earlier_days(conn: &Connection, today: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT service_date FROM queue_entries
         WHERE state IN ('waiting', 'called', 'in_service') AND service_date < ?1",
    )?;
    let rows = statement.query_map([today], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Settle the open entries of one earlier day by the system, at that day's closing time,
/// the same way as a close-out; returns how many.
pub(super) fn settle_day(conn: &Connection, date: &str, at: DateTime<Utc>) -> Result<usize> {
    settle(conn, Some(date), at, None)
}

/// Settle the open entries of one day (every day when `None`).
fn settle(
    conn: &Connection,
    date: Option<&str>,
    at: DateTime<Utc>,
    staff_id: Option<i64>,
) -> Result<usize> {
    let rows = entries(
        conn,
        &format!(
            "{ENTRY} WHERE state IN ('waiting', 'called', 'in_service')
             AND (?1 IS NULL OR service_date = ?1)"
        ),
        [date],
    )?;
    for row in &rows {
        let to = if row.state == QueueState::InService {
            QueueState::Done
        } else {
            QueueState::Left
        };
        // Never before the entry's last change (a guest who joined after closing time).
        move_entry(
            conn,
            row,
            to,
            row.station_id,
            at.max(row.changed_at),
            staff_id,
        )?;
    }
    Ok(rows.len())
}

#[derive(Debug, Clone)]
pub(crate) struct StationRow {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

fn station_row(row: &Row<'_>) -> rusqlite::Result<StationRow> {
    Ok(StationRow {
        id: row.get(0)?,
        name: row.get(1)?,
        active: row.get(2)?,
    })
}

/// Guests who left the queue without being seen on a day from `from` to `to` and have not
/// been seen by the nurse team since, by guest id.
pub(super) fn left_unseen(conn: &Connection, from: &str, to: &str) -> Result<Vec<i64>> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT e.guest_id FROM queue_entries e
         WHERE e.state = 'left' AND e.service_date BETWEEN ?1 AND ?2
           AND NOT EXISTS (SELECT 1 FROM queue_entries seen
                           WHERE seen.guest_id = e.guest_id AND seen.id > e.id
                             AND seen.state IN ('called', 'in_service', 'done'))
         ORDER BY e.guest_id",
    )?;
    let rows = statement.query_map(params![from, to], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn stations(conn: &Connection) -> Result<Vec<StationRow>> {
    let mut statement =
        conn.prepare_cached("SELECT id, name, active FROM nurse_stations ORDER BY name, id")?;
    let rows = statement.query_map([], station_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn station(conn: &Connection, id: i64) -> Result<Option<StationRow>> {
    Ok(conn
        .prepare_cached("SELECT id, name, active FROM nurse_stations WHERE id = ?1")?
        .query_row([id], station_row)
        .optional()?)
}

pub(super) fn station_named(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT id FROM nurse_stations WHERE name = ?1",
        [name],
        |row| row.get(0),
    )
    .optional()?)
}

pub(super) fn insert_station(conn: &Connection, name: &str, active: bool) -> Result<i64> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO nurse_stations (name, active) VALUES (?1, ?2)",
        params![name, active],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn update_station(conn: &Connection, id: i64, name: &str, active: bool) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE nurse_stations SET name = ?2, active = ?3 WHERE id = ?1",
        params![id, name, active],
    )?;
    Ok(())
}

fn reason_row(row: &Row<'_>) -> rusqlite::Result<ReasonOption> {
    Ok(ReasonOption {
        reason: row.get(0)?,
        label: row.get(1)?,
        active: row.get(2)?,
    })
}

/// The reasons in list order; only those offered when `offered_only`.
pub(super) fn reasons(conn: &Connection, offered_only: bool) -> Result<Vec<ReasonOption>> {
    let mut statement = conn.prepare_cached(
        "SELECT reason, label, active FROM queue_reasons WHERE active = 1 OR ?1 = 0
         ORDER BY sort_order, reason",
    )?;
    let rows = statement.query_map([offered_only], reason_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn reason(conn: &Connection, reason: &str) -> Result<Option<ReasonOption>> {
    Ok(conn
        .prepare_cached("SELECT reason, label, active FROM queue_reasons WHERE reason = ?1")?
        .query_row([reason], reason_row)
        .optional()?)
}

pub(super) fn save_reason(
    conn: &Connection,
    reason: &str,
    label: &str,
    active: bool,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO queue_reasons (reason, label, sort_order, active)
         VALUES (?1, ?2, (SELECT coalesce(max(sort_order), 0) + 1 FROM queue_reasons), ?3)
         ON CONFLICT (reason) DO UPDATE SET label = excluded.label, active = excluded.active",
        params![reason, label, active],
    )?;
    Ok(())
}

pub(super) fn insert_note(
    conn: &Connection,
    entry_id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
    body: &str,
    corrects: Option<i64>,
) -> Result<i64> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO clinical_notes (entry_id, written_at, written_by, body, corrects)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![entry_id, stamp(at), staff_id, body, corrects],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The guest a note is about (through its encounter, so merges follow).
pub(super) fn note_guest(conn: &Connection, note_id: i64) -> Result<Option<i64>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT e.guest_id FROM clinical_notes n JOIN queue_entries e ON e.id = n.entry_id
             WHERE n.id = ?1",
        [note_id],
        |row| row.get(0),
    )
    .optional()?)
}

#[derive(Debug, Clone)]
pub(crate) struct NoteRow {
    pub id: i64,
    pub number: i64,
    pub service_date: String,
    pub written_at: DateTime<Utc>,
    pub author: String,
    pub body: String,
    pub corrects: Option<i64>,
    pub corrected: bool,
}

/// Every note on the guest's encounters, oldest first.
pub(super) fn notes_of_guest(conn: &Connection, guest_id: i64) -> Result<Vec<NoteRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT n.id, e.number, e.service_date, n.written_at, s.display_name, n.body, n.corrects,
                EXISTS (SELECT 1 FROM clinical_notes c WHERE c.corrects = n.id)
         FROM clinical_notes n
         JOIN queue_entries e ON e.id = n.entry_id
         JOIN staff s ON s.id = n.written_by
         WHERE e.guest_id = ?1
         ORDER BY n.id",
    )?;
    let rows = statement.query_map([guest_id], |row| {
        let written: String = row.get(3)?;
        Ok(NoteRow {
            id: row.get(0)?,
            number: row.get(1)?,
            service_date: row.get(2)?,
            written_at: instant(&written)?,
            author: row.get(4)?,
            body: row.get(5)?,
            corrects: row.get(6)?,
            corrected: row.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// What the daily counts need of an entry.
#[derive(Debug, Clone)]
pub(crate) struct CountRow {
    pub reason: String,
    pub priority: Priority,
    pub state: QueueState,
    /// Seconds from joining to being called, when called.
    pub wait_seconds: Option<i64>,
}

pub(super) fn count_rows(conn: &Connection, service_date: &str) -> Result<Vec<CountRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT reason, priority, state, joined_at, called_at FROM queue_entries
         WHERE service_date = ?1",
    )?;
    let rows = statement.query_map([service_date], |row| count_row(row, 0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// A [`CountRow`] from the columns reason, priority, state, joined_at, called_at, the
/// first of them at `first`.
fn count_row(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<CountRow> {
    let priority: String = row.get(first + 1)?;
    let state: String = row.get(first + 2)?;
    let joined = instant(&row.get::<_, String>(first + 3)?)?;
    let called: Option<String> = row.get(first + 4)?;
    Ok(CountRow {
        reason: row.get(first)?,
        priority: Priority::parse(&priority),
        state: QueueState::parse(&state),
        wait_seconds: called
            .as_deref()
            .map(instant)
            .transpose()?
            .map(|at| (at - joined).num_seconds()),
    })
}

/// [`count_rows`] of every service date of `from..=to`, by date.
pub(super) fn count_rows_in_range(
    conn: &Connection,
    from: &str,
    to: &str,
) -> Result<HashMap<String, Vec<CountRow>>> {
    let mut statement = conn.prepare_cached(
        "SELECT service_date, reason, priority, state, joined_at, called_at FROM queue_entries
         WHERE service_date BETWEEN ?1 AND ?2",
    )?;
    let mut by_date: HashMap<String, Vec<CountRow>> = HashMap::new();
    let mut rows = statement.query(params![from, to])?;
    while let Some(row) = rows.next()? {
        let entry = count_row(row, 1)?;
        let date = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        match by_date.get_mut(date) {
            Some(entries) => entries.push(entry),
            None => {
                by_date.insert(date.to_string(), vec![entry]);
            }
        }
    }
    Ok(by_date)
}
