//! The nurse-station queue: guests wait under a number for the day (`N-014`) that staff call
//! out instead of a name. Urgent before routine, then arrival order. "Call next" takes the
//! first waiting entry inside one IMMEDIATE transaction, so two stations calling at the same
//! moment never get the same guest. Clinical notes are append-only and every read of them is
//! audited; the front desk sees numbers and states only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{self, Event};
use crate::auth::{self, Operation, Session};
use crate::clock::Clock;
use crate::days::{self, Today};
use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};
use crate::guests;

pub mod incidents;
mod storage;

/// The longest clinical note, in characters (about two pages).
pub const MAX_NOTE_CHARS: usize = 4000;
/// The longest non-clinical note on a queue entry.
pub const MAX_DESK_NOTE_CHARS: usize = 200;
/// How many finished entries of today the nurse view lists.
const FINISHED_SHOWN: u32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    Waiting,
    Called,
    InService,
    Done,
    /// Left without being seen.
    Left,
    Cancelled,
}

impl QueueState {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueState::Waiting => "waiting",
            QueueState::Called => "called",
            QueueState::InService => "in_service",
            QueueState::Done => "done",
            QueueState::Left => "left",
            QueueState::Cancelled => "cancelled",
        }
    }

    pub(crate) fn parse(text: &str) -> QueueState {
        match text {
            "called" => QueueState::Called,
            "in_service" => QueueState::InService,
            "done" => QueueState::Done,
            "left" => QueueState::Left,
            "cancelled" => QueueState::Cancelled,
            _ => QueueState::Waiting,
        }
    }

    /// Words for messages: "in service", "left without being seen".
    fn words(self) -> &'static str {
        match self {
            QueueState::InService => "in service",
            QueueState::Left => "left without being seen",
            other => other.as_str(),
        }
    }

    /// Still in the queue (waiting, called or being seen).
    fn is_active(self) -> bool {
        matches!(
            self,
            QueueState::Waiting | QueueState::Called | QueueState::InService
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    Routine,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::Routine => "routine",
        }
    }

    pub(crate) fn parse(text: &str) -> Priority {
        if text == "urgent" {
            Priority::Urgent
        } else {
            Priority::Routine
        }
    }
}

/// A reason category guests wait for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReasonOption {
    pub reason: String,
    pub label: String,
    pub active: bool,
}

/// A nurse station and what it is doing now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Station {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub active: bool,
    /// The number it has called or is seeing now.
    pub serving: Option<String>,
}

/// A queue entry as nurses and supervisors see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntry {
    #[ts(type = "number")]
    pub id: i64,
    /// The number to call out, `N-014`.
    pub number: String,
    #[ts(type = "number")]
    pub guest_id: i64,
    pub guest_code: String,
    pub guest_nickname: Option<String>,
    pub reason: String,
    pub reason_label: String,
    pub priority: Priority,
    /// The desk's short non-clinical note.
    pub note: Option<String>,
    pub state: QueueState,
    pub station: Option<String>,
    /// When the guest joined, `HH:MM` on the center's clock.
    pub joined_local: String,
    /// Seconds waited: until called, or until now while waiting.
    #[ts(type = "number")]
    pub waited_seconds: i64,
    /// What undoing the last transition would return the entry to, if it can be undone.
    pub undo_to: Option<QueueState>,
}

/// A line of the front desk's view: a number and its state, nothing clinical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeskLine {
    #[ts(type = "number")]
    pub id: i64,
    pub number: String,
    pub state: QueueState,
    pub station: Option<String>,
    #[ts(type = "number")]
    pub waited_seconds: i64,
}

/// What a queue action answers. The desk's line always; the whole entry (guest, reason,
/// note) only for those who may read the clinical side of the queue, so the front desk
/// never gets back more than its own view shows, whatever it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueueAnswer {
    pub line: DeskLine,
    pub entry: Option<QueueEntry>,
}

/// Today's queue for the front desk: numbers and states only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeskQueue {
    /// Waiting in call order, then called and in service.
    pub lines: Vec<DeskLine>,
    /// The reasons the desk may choose when adding a guest.
    pub reasons: Vec<ReasonOption>,
}

/// Today's queue for nurses and supervisors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NurseQueue {
    /// Waiting, in the order they will be called.
    pub waiting: Vec<QueueEntry>,
    /// Called or being seen.
    pub active: Vec<QueueEntry>,
    /// Done, left or cancelled today, the latest first.
    pub finished: Vec<QueueEntry>,
    pub stations: Vec<Station>,
    pub reasons: Vec<ReasonOption>,
}

/// A guest joining the queue.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JoinInput {
    #[ts(type = "number")]
    pub guest_id: i64,
    pub reason: String,
    pub priority: Priority,
    pub note: Option<String>,
}

/// A clinical note as nurses and supervisors read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClinicalNote {
    #[ts(type = "number")]
    pub id: i64,
    /// The queue number and date of the encounter, `N-014 on 2026-11-30`.
    pub encounter: String,
    pub written_local: String,
    pub author: String,
    pub body: String,
    /// The note this one corrects.
    #[ts(type = "number | null")]
    pub corrects: Option<i64>,
    /// A later note corrects this one.
    pub corrected: bool,
}

/// `N-014`.
pub fn number_text(number: i64) -> String {
    format!("N-{number:03}")
}

/// The audit actor and staff id of a session.
fn actor_of(session: &Session) -> (String, i64) {
    (format!("staff:{}", session.username), session.staff_id)
}

/// The object an audit entry names: the entry's number on its day.
fn audit_object(row: &storage::EntryRow) -> String {
    format!("queue:{}@{}", number_text(row.number), row.service_date)
}

fn entry_not_found() -> AppError {
    AppError::new(ErrorCode::NotFound, "that queue entry does not exist")
}

/// Add a checked-in guest to today's queue (front desk, nurses, supervisors).
pub fn join(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    input: &JoinInput,
) -> Result<QueueAnswer> {
    auth::authorize(db, clock, session, Operation::QueueAddAndView)?;
    let note = crate::text::clean_text("note", input.note.as_deref(), MAX_DESK_NOTE_CHARS)?;
    let today = Today::of(db, clock)?;
    let clinical = sees_clinical_side(session);
    let (actor, staff_id) = actor_of(session);
    db.write(|tx| {
        let reason = storage::reason(tx, &input.reason)?
            .filter(|r| r.active)
            .ok_or_else(|| {
                AppError::invalid_input(
                    "reason",
                    format!("{:?} is not one of the reasons", input.reason),
                )
            })?;
        let guest = guests::card(tx, input.guest_id)?;
        let who = guest.label();
        if guest.open_visit_id.is_none() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("{who} is not checked in; check them in first"),
            ));
        }
        let date = today.date.to_string();
        settle_earlier_days(tx, &today)?;
        if let Some(active) = storage::active_entry_of_guest(tx, guest.id)? {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{who} is already in the queue as {} ({})",
                    number_text(active.number),
                    active.state.words()
                ),
            ));
        }
        let number = storage::next_number(tx, &date)?;
        let id = storage::insert_entry(
            tx,
            &storage::NewEntry {
                service_date: &date,
                number,
                guest_id: guest.id,
                reason: &reason.reason,
                priority: input.priority,
                note: note.as_deref(),
                at: today.now,
                staff_id,
            },
        )?;
        let row = storage::entry(tx, id)?.ok_or_else(entry_not_found)?;
        let detail = format!(
            "reason={} priority={}",
            reason.reason,
            input.priority.as_str()
        );
        audit::record(
            tx,
            &Event::ok(
                today.now,
                &actor,
                "queue.join",
                &audit_object(&row),
                &detail,
            ),
        )?;
        answer(tx, &today, clinical, row)
    })
}

/// A guest who leaves the building (or whose check-in is undone) leaves the queue too:
/// a waiting or called place becomes "left without being seen". Returns how many.
pub(crate) fn guest_left(
    tx: &rusqlite::Connection,
    guest_id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<usize> {
    storage::guest_left(tx, guest_id, at, staff_id)
}

/// Today is closed out: whoever still waits left without being seen, encounters in
/// progress are finished.
pub(crate) fn day_closed(
    tx: &rusqlite::Connection,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<()> {
    storage::close_out(tx, at, staff_id)
}

/// Whether the guest has a place in the nurse queue now (waiting, called or being seen).
pub(crate) fn in_queue(conn: &rusqlite::Connection, guest_id: i64) -> Result<bool> {
    Ok(storage::active_entry_of_guest(conn, guest_id)?.is_some())
}

/// The days before `today` (`YYYY-MM-DD`) that left queue entries open.
pub(crate) fn open_earlier_days(conn: &rusqlite::Connection, today: &str) -> Result<Vec<String>> {
    storage::open_earlier_days(conn, today)
}

/// Entries that days nobody closed out left open are settled by the system at each day's
/// closing time, so they hold neither a guest nor a station today. Returns how many per
/// day. (A new service day settles every area; the queue also does it itself before
/// joining and calling, which must never see yesterday's queue.)
pub(crate) fn settle_earlier_days(
    tx: &rusqlite::Connection,
    today: &Today,
) -> Result<Vec<(String, usize)>> {
    let mut settled = Vec::new();
    for date in storage::open_earlier_days(tx, &today.date.to_string())? {
        let count = storage::settle_day(tx, &date, today.closing_of(&date)?)?;
        settled.push((date, count));
    }
    Ok(settled)
}

/// Call the first waiting guest to a station (nurses). Atomic across stations: the choice
/// and the change happen in one IMMEDIATE transaction.
pub fn call_next(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    station_id: i64,
) -> Result<QueueEntry> {
    auth::authorize(db, clock, session, Operation::QueueServe)?;
    let today = Today::of(db, clock)?;
    let (actor, staff_id) = actor_of(session);
    db.write(|tx| {
        let station = storage::station(tx, station_id)?
            .filter(|s| s.active)
            .ok_or_else(|| AppError::invalid_input("station", "choose a station in use"))?;
        settle_earlier_days(tx, &today)?;
        if let Some(busy) = storage::serving_at(tx, station.id)? {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is already with {}; finish it or mark it left first",
                    station.name,
                    number_text(busy.number)
                ),
            ));
        }
        let date = today.date.to_string();
        let row = storage::first_waiting(tx, &date)?
            .ok_or_else(|| AppError::new(ErrorCode::Conflict, "nobody is waiting for the nurse"))?;
        storage::move_entry(
            tx,
            &row,
            QueueState::Called,
            Some(station.id),
            today.now,
            Some(staff_id),
        )?;
        let detail = format!("station={}", station.name);
        audit::record(
            tx,
            &Event::ok(
                today.now,
                &actor,
                "queue.call",
                &audit_object(&row),
                &detail,
            ),
        )?;
        let row = storage::entry(tx, row.id)?.ok_or_else(entry_not_found)?;
        entry_view(tx, &today, row)
    })
}

/// Which transitions exist besides calling, and who may make them: the front desk may take
/// back a waiting entry it added; everything else is the nurses' work.
fn transition_permission(from: QueueState, to: QueueState) -> Option<Operation> {
    use QueueState::*;
    match (from, to) {
        (Waiting, Cancelled) => Some(Operation::QueueAddAndView),
        (Called, InService)
        | (InService, Done)
        | (Waiting, Left)
        | (Called, Left)
        | (Called, Cancelled) => Some(Operation::QueueServe),
        _ => None,
    }
}

/// Move an entry on: start, finish, left without being seen, cancel. Finishing may carry a
/// clinical note, written in the same transaction.
pub fn change(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    entry_id: i64,
    to: QueueState,
    clinical_note: Option<&str>,
) -> Result<QueueAnswer> {
    // The permission depends on where the entry is now: only those who may see the queue
    // look, then the transition's own permission, then the transaction checks that nothing
    // moved in between.
    auth::authorize(db, clock, session, Operation::QueueAddAndView)?;
    let seen = storage::entry(db.conn(), entry_id)?.ok_or_else(entry_not_found)?;
    let operation = transition_permission(seen.state, to).ok_or_else(|| {
        AppError::new(
            ErrorCode::Conflict,
            format!(
                "{} is {} and cannot become {}",
                number_text(seen.number),
                seen.state.words(),
                to.words()
            ),
        )
    })?;
    auth::authorize(db, clock, session, operation)?;
    let body = match clinical_note {
        Some(text) if to == QueueState::Done => {
            crate::text::clean_note("clinical note", text, MAX_NOTE_CHARS)?
        }
        Some(_) => {
            return Err(AppError::invalid_input(
                "clinical note",
                "a note goes with finishing an encounter",
            ))
        }
        None => None,
    };
    let today = Today::of(db, clock)?;
    let clinical = sees_clinical_side(session);
    let (actor, staff_id) = actor_of(session);
    db.write(|tx| {
        let row = storage::entry(tx, entry_id)?.ok_or_else(entry_not_found)?;
        if row.state != seen.state {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{} changed meanwhile (now {}); look again",
                    number_text(row.number),
                    row.state.words()
                ),
            ));
        }
        storage::move_entry(tx, &row, to, row.station_id, today.now, Some(staff_id))?;
        let action = format!("queue.{}", to.as_str());
        audit::record(
            tx,
            &Event::ok(today.now, &actor, &action, &audit_object(&row), ""),
        )?;
        if let Some(body) = &body {
            write_note(tx, &today, &actor, staff_id, &row, body, None)?;
        }
        let row = storage::entry(tx, row.id)?.ok_or_else(entry_not_found)?;
        answer(tx, &today, clinical, row)
    })
}

/// Undo the last transition of an entry (a mistaken call, start, finish, cancel or
/// "left"): the entry returns to the state before, and the undo is recorded as a transition
/// of its own. Joining is not undone; cancel instead. Only today's entries.
pub fn undo_last(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    entry_id: i64,
) -> Result<QueueAnswer> {
    auth::authorize(db, clock, session, Operation::QueueAddAndView)?;
    let seen = storage::entry(db.conn(), entry_id)?.ok_or_else(entry_not_found)?;
    let last = storage::last_event(db.conn(), entry_id)?;
    let (event_id, back_to) = undoable(&seen, last.as_ref())?;
    // Undoing needs the permission of the transition being undone.
    let operation = transition_permission(back_to, seen.state).unwrap_or(Operation::QueueServe);
    auth::authorize(db, clock, session, operation)?;
    let today = Today::of(db, clock)?;
    let clinical = sees_clinical_side(session);
    let (actor, staff_id) = actor_of(session);
    db.write(|tx| {
        let row = storage::entry(tx, entry_id)?.ok_or_else(entry_not_found)?;
        let last = storage::last_event(tx, entry_id)?;
        if last.as_ref().map(|e| e.id) != Some(event_id) || row.state != seen.state {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("{} changed meanwhile; look again", number_text(row.number)),
            ));
        }
        if row.service_date != today.date.to_string() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "only today's queue can be changed",
            ));
        }
        if back_to.is_active() {
            let guest = guests::card(tx, row.guest_id)?;
            if guest.open_visit_id.is_none() {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "{} has left the building; check them in first",
                        guest.label()
                    ),
                ));
            }
            if storage::active_entry_of_guest(tx, row.guest_id)?.is_some_and(|a| a.id != row.id) {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!("{} is in the queue again already", guest.label()),
                ));
            }
        }
        // Back at the station (called or in service): it must not be with someone else.
        if matches!(back_to, QueueState::Called | QueueState::InService) {
            if let Some(station) = row.station_id {
                if storage::serving_at(tx, station)?.is_some_and(|busy| busy.id != row.id) {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        "that station is with someone else now",
                    ));
                }
            }
        }
        storage::undo_move(tx, &row, back_to, event_id, today.now, staff_id)?;
        let detail = format!("{} -> {}", row.state.as_str(), back_to.as_str());
        audit::record(
            tx,
            &Event::ok(
                today.now,
                &actor,
                "queue.undo",
                &audit_object(&row),
                &detail,
            ),
        )?;
        let row = storage::entry(tx, row.id)?.ok_or_else(entry_not_found)?;
        answer(tx, &today, clinical, row)
    })
}

/// The last event of an entry if it can be undone, and the state it returns to.
fn undoable(
    row: &storage::EntryRow,
    last: Option<&storage::EventRow>,
) -> Result<(i64, QueueState)> {
    match last {
        Some(event) if event.undoes.is_none() => match event.from_state {
            Some(from) => Ok((event.id, from)),
            None => Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{} has only just joined; cancel it instead",
                    number_text(row.number)
                ),
            )),
        },
        Some(_) => Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "the last change of {} was an undo already",
                number_text(row.number)
            ),
        )),
        None => Err(entry_not_found()),
    }
}

/// How many days back a guest who left the queue without being seen is still someone the
/// desk should ask to see the nurse team.
pub const LEFT_UNSEEN_REMINDER_DAYS: i64 = 7;

/// Guests who left the queue without being seen in the last week (today included) and have
/// not been seen since: the desk asks them to see the nurse team. Guest ids only; the
/// caller decides what of them to show.
pub(crate) fn left_unseen_recently(conn: &rusqlite::Connection, today: &Today) -> Result<Vec<i64>> {
    let from = today.date - chrono::Duration::days(LEFT_UNSEEN_REMINDER_DAYS - 1);
    storage::left_unseen(conn, &from.to_string(), &today.date.to_string())
}

/// Today's queue for the front desk: numbers, states and stations, nothing clinical.
pub fn desk_view(db: &mut Database, clock: &dyn Clock, session: &mut Session) -> Result<DeskQueue> {
    auth::authorize(db, clock, session, Operation::QueueAddAndView)?;
    let today = Today::of(db, clock)?;
    let conn = db.conn();
    let rows = storage::active_entries(conn, &today.date.to_string())?;
    let stations = storage::stations(conn)?;
    let lines = rows
        .iter()
        .map(|row| desk_line(row, &stations, today.now))
        .collect();
    Ok(DeskQueue {
        lines,
        reasons: storage::reasons(conn, true)?,
    })
}

/// Today's queue for nurses and supervisors: reasons, priorities, guests, stations.
pub fn nurse_view(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
) -> Result<NurseQueue> {
    auth::authorize(db, clock, session, Operation::ReadClinicalNotes)?;
    let today = Today::of(db, clock)?;
    let conn = db.conn();
    let date = today.date.to_string();
    let mut waiting = Vec::new();
    let mut active = Vec::new();
    for row in storage::active_entries(conn, &date)? {
        let view = entry_view(conn, &today, row)?;
        if view.state == QueueState::Waiting {
            waiting.push(view);
        } else {
            active.push(view);
        }
    }
    let finished = storage::finished_entries(conn, &date, FINISHED_SHOWN)?
        .into_iter()
        .map(|row| entry_view(conn, &today, row))
        .collect::<Result<Vec<_>>>()?;
    let stations = storage::stations(conn)?
        .into_iter()
        .map(|s| -> Result<Station> {
            Ok(Station {
                serving: storage::serving_at(conn, s.id)?.map(|row| number_text(row.number)),
                id: s.id,
                name: s.name,
                active: s.active,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(NurseQueue {
        waiting,
        active,
        finished,
        stations,
        reasons: storage::reasons(conn, false)?,
    })
}

/// Whether a session may see the queue's clinical side (reasons, notes, guests).
fn sees_clinical_side(session: &Session) -> bool {
    auth::allows(&session.roles, Operation::ReadClinicalNotes)
}

fn desk_line(
    row: &storage::EntryRow,
    stations: &[storage::StationRow],
    now: DateTime<Utc>,
) -> DeskLine {
    DeskLine {
        id: row.id,
        number: number_text(row.number),
        state: row.state,
        station: station_name(stations, row.station_id),
        waited_seconds: waited_seconds(row, now),
    }
}

/// The answer to a queue action, cut to what the session may see.
fn answer(
    conn: &rusqlite::Connection,
    today: &Today,
    clinical: bool,
    row: storage::EntryRow,
) -> Result<QueueAnswer> {
    let line = desk_line(&row, &storage::stations(conn)?, today.now);
    let entry = if clinical {
        Some(entry_view(conn, today, row)?)
    } else {
        None
    };
    Ok(QueueAnswer { line, entry })
}

fn station_name(stations: &[storage::StationRow], id: Option<i64>) -> Option<String> {
    id.and_then(|id| stations.iter().find(|s| s.id == id))
        .map(|s| s.name.clone())
}

fn waited_seconds(row: &storage::EntryRow, now: DateTime<Utc>) -> i64 {
    let until = match row.state {
        QueueState::Waiting => now,
        _ => row.called_at.unwrap_or(row.changed_at),
    };
    (until - row.joined_at).num_seconds().max(0)
}

fn entry_view(
    conn: &rusqlite::Connection,
    today: &Today,
    row: storage::EntryRow,
) -> Result<QueueEntry> {
    let guest = guests::card(conn, row.guest_id)?;
    let reason = storage::reason(conn, &row.reason)?;
    let station = match row.station_id {
        Some(id) => storage::station(conn, id)?.map(|s| s.name),
        None => None,
    };
    let last = storage::last_event(conn, row.id)?;
    let undo_to = undoable(&row, last.as_ref()).ok().map(|(_, to)| to);
    Ok(QueueEntry {
        id: row.id,
        number: number_text(row.number),
        guest_id: guest.id,
        guest_code: guest.code,
        guest_nickname: guest.nickname,
        reason_label: reason.map_or_else(|| row.reason.clone(), |r| r.label),
        reason: row.reason.clone(),
        priority: row.priority,
        note: row.note.clone(),
        state: row.state,
        station,
        joined_local: today.clock_text(row.joined_at),
        waited_seconds: waited_seconds(&row, today.now),
        undo_to,
    })
}

/// Write a clinical note on an encounter that has started (nurses); `corrects` names an
/// earlier note of the same guest that this one corrects.
pub fn add_note(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    entry_id: i64,
    body: &str,
    corrects: Option<i64>,
) -> Result<ClinicalNote> {
    auth::authorize(db, clock, session, Operation::QueueServe)?;
    let body = crate::text::clean_note("clinical note", body, MAX_NOTE_CHARS)?
        .ok_or_else(|| AppError::invalid_input("clinical note", "write the note first"))?;
    let today = Today::of(db, clock)?;
    let (actor, staff_id) = actor_of(session);
    db.write(|tx| {
        let row = storage::entry(tx, entry_id)?.ok_or_else(entry_not_found)?;
        if !matches!(row.state, QueueState::InService | QueueState::Done) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is {}; notes are written once the encounter has started",
                    number_text(row.number),
                    row.state.words()
                ),
            ));
        }
        if let Some(old) = corrects {
            let guest_of_old = storage::note_guest(tx, old)?
                .ok_or_else(|| AppError::invalid_input("corrects", "that note does not exist"))?;
            if guest_of_old != row.guest_id {
                return Err(AppError::invalid_input(
                    "corrects",
                    "that note belongs to another guest",
                ));
            }
        }
        let id = write_note(tx, &today, &actor, staff_id, &row, &body, corrects)?;
        storage::notes_of_guest(tx, row.guest_id)?
            .into_iter()
            .find(|note| note.id == id)
            .map(|note| note_view(&today, note))
            .ok_or_else(|| AppError::internal("the note just written is missing"))
    })
}

fn write_note(
    tx: &rusqlite::Connection,
    today: &Today,
    actor: &str,
    staff_id: i64,
    row: &storage::EntryRow,
    body: &str,
    corrects: Option<i64>,
) -> Result<i64> {
    let id = storage::insert_note(tx, row.id, today.now, staff_id, body, corrects)?;
    let detail = match corrects {
        Some(old) => format!("note={id} corrects={old}"),
        None => format!("note={id}"),
    };
    audit::record(
        tx,
        &Event::ok(
            today.now,
            actor,
            "clinical_note.write",
            &audit_object(row),
            &detail,
        ),
    )?;
    Ok(id)
}

/// Every clinical note of the guest of an entry, oldest first (nurses and supervisors).
/// The read itself is in the audit log.
pub fn read_notes(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    entry_id: i64,
) -> Result<Vec<ClinicalNote>> {
    auth::authorize(db, clock, session, Operation::ReadClinicalNotes)?;
    let today = Today::of(db, clock)?;
    let (actor, _) = actor_of(session);
    db.write(|tx| {
        let row = storage::entry(tx, entry_id)?.ok_or_else(entry_not_found)?;
        let notes = storage::notes_of_guest(tx, row.guest_id)?;
        let code = guests::card(tx, row.guest_id)?.code.replace('-', "");
        let detail = format!("entry={} notes={}", row.id, notes.len());
        audit::record(
            tx,
            &Event::ok(
                today.now,
                &actor,
                "clinical_note.read",
                &format!("guest:{code}"),
                &detail,
            ),
        )?;
        Ok(notes
            .into_iter()
            .map(|note| note_view(&today, note))
            .collect())
    })
}

fn note_view(today: &Today, note: storage::NoteRow) -> ClinicalNote {
    ClinicalNote {
        id: note.id,
        encounter: format!("{} on {}", number_text(note.number), note.service_date),
        written_local: today.local(note.written_at),
        author: note.author,
        body: note.body,
        corrects: note.corrects,
        corrected: note.corrected,
    }
}

/// Add a reason category or change its label or whether it is offered (supervisors).
pub fn save_reason(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    reason: &str,
    label: &str,
    active: bool,
) -> Result<ReasonOption> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let reason = reason.trim();
    if reason.is_empty()
        || reason.len() > 40
        || !reason.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    {
        return Err(AppError::invalid_input(
            "reason",
            "use 1 to 40 lower-case letters and underscores, like foot_care",
        ));
    }
    let label = crate::text::clean_text("label", Some(label), 60)?
        .ok_or_else(|| AppError::invalid_input("label", "give the reason a name people read"))?;
    let now = clock.now();
    let (actor, _) = actor_of(session);
    db.write(|tx| {
        storage::save_reason(tx, reason, &label, active)?;
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "queue.reason",
                reason,
                &format!("label={label} active={active}"),
            ),
        )?;
        Ok(ReasonOption {
            reason: reason.to_string(),
            label,
            active,
        })
    })
}

/// Add a nurse station (no id) or rename one, or take it out of use (supervisors).
pub fn save_station(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    id: Option<i64>,
    name: &str,
    active: bool,
) -> Result<i64> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let name = crate::text::clean_text("name", Some(name), 40)?
        .ok_or_else(|| AppError::invalid_input("name", "give the station a name"))?;
    let now = clock.now();
    let (actor, _) = actor_of(session);
    db.write(|tx| {
        if storage::station_named(tx, &name)?.is_some_and(|other| Some(other) != id) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("name: {name} is already used"),
            ));
        }
        let id = match id {
            Some(id) => {
                let station = storage::station(tx, id)?.ok_or_else(|| {
                    AppError::new(ErrorCode::NotFound, "that station does not exist")
                })?;
                if !active && storage::serving_at(tx, station.id)?.is_some() {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        format!("{} is with a guest; finish first", station.name),
                    ));
                }
                storage::update_station(tx, id, &name, active)?;
                id
            }
            None => storage::insert_station(tx, &name, active)?,
        };
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "queue.station",
                &format!("station:{name}"),
                &format!("active={active}"),
            ),
        )?;
        Ok(id)
    })
}

/// The queue's figures for one reason or priority, or for the whole day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WaitFigures {
    /// The reason or priority these figures are for; `all` for the whole day.
    pub group: String,
    pub joined: u32,
    pub seen: u32,
    pub left_without_being_seen: u32,
    pub cancelled: u32,
    /// Minutes from joining to being called, for those seen (nearest-rank percentiles).
    #[ts(type = "number | null")]
    pub median_wait_minutes: Option<i64>,
    #[ts(type = "number | null")]
    pub p90_wait_minutes: Option<i64>,
}

/// The nurse queue's part of the daily counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueueCounts {
    pub all: WaitFigures,
    pub by_reason: Vec<WaitFigures>,
    pub by_priority: Vec<WaitFigures>,
    pub incidents: incidents::IncidentCounts,
}

/// The value at a nearest-rank percentile of sorted values.
pub fn nearest_rank(sorted: &[i64], percent: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (n * percent as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn figures<'a>(group: &str, entries: impl Iterator<Item = &'a storage::CountRow>) -> WaitFigures {
    let mut figures = WaitFigures {
        group: group.to_string(),
        joined: 0,
        seen: 0,
        left_without_being_seen: 0,
        cancelled: 0,
        median_wait_minutes: None,
        p90_wait_minutes: None,
    };
    let mut waits = Vec::new();
    for entry in entries {
        figures.joined += 1;
        match entry.state {
            QueueState::Done => {
                figures.seen += 1;
                if let Some(seconds) = entry.wait_seconds {
                    waits.push(seconds);
                }
            }
            QueueState::Left => figures.left_without_being_seen += 1,
            QueueState::Cancelled => figures.cancelled += 1,
            _ => {}
        }
    }
    waits.sort_unstable();
    // Whole minutes, rounded to the nearest.
    let minutes = |seconds: i64| (seconds + 30).div_euclid(60);
    figures.median_wait_minutes = nearest_rank(&waits, 50).map(minutes);
    figures.p90_wait_minutes = nearest_rank(&waits, 90).map(minutes);
    figures
}

/// The queue's counts for a local date (`YYYY-MM-DD`), for supervisors' daily report:
/// joined, seen, left without being seen, waits, by reason and priority, and incidents.
pub fn day_counts(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    date: &str,
) -> Result<QueueCounts> {
    auth::authorize(db, clock, session, Operation::Reports)?;
    let date = days::parse_date("date", date)?.to_string();
    counts_on(db.conn(), &date)
}

/// The queue's counts of a local date, for the report engine.
pub(crate) fn counts_on(conn: &rusqlite::Connection, date: &str) -> Result<QueueCounts> {
    let rows = storage::count_rows(conn, date)?;
    let reasons = storage::reasons(conn, false)?;
    Ok(counts_of(
        &rows,
        &reasons,
        incidents::storage::incident_counts(conn, date)?,
    ))
}

/// A day's counts from its entries and incidents (one day, or one date of a range).
fn counts_of(
    rows: &[storage::CountRow],
    reasons: &[ReasonOption],
    incidents: incidents::IncidentCounts,
) -> QueueCounts {
    let by_reason = reasons
        .iter()
        .map(|r| figures(&r.reason, rows.iter().filter(|e| e.reason == r.reason)))
        .collect();
    let by_priority = [Priority::Urgent, Priority::Routine]
        .into_iter()
        .map(|p| figures(p.as_str(), rows.iter().filter(|e| e.priority == p)))
        .collect();
    QueueCounts {
        all: figures("all", rows.iter()),
        by_reason,
        by_priority,
        incidents,
    }
}

/// The queue's entries and incidents of every date of a range, read at once for the
/// report engine; [`RangeCounts::on`] gives what [`counts_on`] gives for a date.
pub(crate) struct RangeCounts {
    reasons: Vec<ReasonOption>,
    rows: std::collections::HashMap<String, Vec<storage::CountRow>>,
    incidents: std::collections::HashMap<String, incidents::IncidentCounts>,
}

impl RangeCounts {
    /// The counts of one date of the range.
    pub(crate) fn on(&self, date: &str) -> QueueCounts {
        let rows = self.rows.get(date).map_or(&[][..], Vec::as_slice);
        let incidents = self
            .incidents
            .get(date)
            .cloned()
            .unwrap_or(incidents::IncidentCounts {
                incidents: 0,
                overdoses: 0,
                naloxone_doses: 0,
                ems_called: 0,
            });
        counts_of(rows, &self.reasons, incidents)
    }
}

/// The queue's counts of every date of `from..=to` (`YYYY-MM-DD`), with three queries.
pub(crate) fn counts_in_range(
    conn: &rusqlite::Connection,
    from: &str,
    to: &str,
) -> Result<RangeCounts> {
    Ok(RangeCounts {
        reasons: storage::reasons(conn, false)?,
        rows: storage::count_rows_in_range(conn, from, to)?,
        incidents: incidents::storage::incident_counts_in_range(conn, from, to)?,
    })
}

#[cfg(test)]
mod tests;
