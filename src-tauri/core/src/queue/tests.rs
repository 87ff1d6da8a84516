//! Tests of the nurse queue.
use super::incidents::{IncidentCounts, IncidentInput, IncidentKind, IncidentOutcome};
use super::*;
use crate::auth::Role;
use crate::clock::FixedClock;
use crate::days::stamp;
use crate::guests::tests::{desk, desk_at, Desk};
use crate::guests::GuestCard;
use crate::visits;
use chrono::{Duration, TimeZone};

const PASSWORD: &str = "orchard lantern pebble violin";
const TODAY: &str = "2026-11-28";

/// A desk at 09:00 on 28 November 2026 with a front-desk worker (pat), a nurse (nina) and
/// `n` guests checked in.
fn morning(n: usize) -> (Desk, Session, Session, Vec<GuestCard>) {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let nina = d.person("nina", &[Role::Nurse]);
    let guests = (0..n)
        .map(|i| d.arrive(&mut pat, &format!("guest {i}")))
        .collect();
    (d, pat, nina, guests)
}

fn input(guest_id: i64, reason: &str, priority: Priority, note: Option<&str>) -> JoinInput {
    JoinInput {
        guest_id,
        reason: reason.into(),
        priority,
        note: note.map(Into::into),
    }
}

/// Join for general health, no note.
fn joined(d: &mut Desk, session: &mut Session, guest_id: i64, priority: Priority) -> QueueEntry {
    joined_for(d, session, guest_id, "general_health", priority)
}

fn joined_for(
    d: &mut Desk,
    session: &mut Session,
    guest_id: i64,
    reason: &str,
    priority: Priority,
) -> QueueEntry {
    let answer = join(
        &mut d.db,
        &d.clock,
        session,
        &input(guest_id, reason, priority, None),
    )
    .expect("joined");
    full(d, answer)
}

/// The whole entry behind an answer, as nurses see it (the answer itself carries it only
/// for those who may read the clinical side).
fn full(d: &mut Desk, answer: QueueAnswer) -> QueueEntry {
    let today = Today::of(&d.db, &d.clock).expect("today");
    let row = storage::entry(d.db.conn(), answer.line.id)
        .expect("read")
        .expect("the answer names an entry");
    let entry = entry_view(d.db.conn(), &today, row).expect("entry view");
    if let Some(given) = &answer.entry {
        assert_eq!(given, &entry, "the answer's entry is the stored one");
    }
    assert_eq!(
        (&answer.line.number, answer.line.state),
        (&entry.number, entry.state),
        "the desk's line names the same number and state"
    );
    entry
}

fn called(d: &mut Desk, nurse: &mut Session, station: i64) -> QueueEntry {
    call_next(&mut d.db, &d.clock, nurse, station).expect("called next")
}

fn moved(d: &mut Desk, session: &mut Session, entry: i64, to: QueueState) -> QueueEntry {
    let answer = change(&mut d.db, &d.clock, session, entry, to, None)
        .unwrap_or_else(|err| panic!("moved to {to:?}: {}", err.message));
    full(d, answer)
}

fn undone(d: &mut Desk, session: &mut Session, entry: i64) -> QueueEntry {
    let answer = undo_last(&mut d.db, &d.clock, session, entry)
        .unwrap_or_else(|err| panic!("undone: {}", err.message));
    full(d, answer)
}

/// Call the next guest to `station`, see them and finish; returns who it was.
fn serve(d: &mut Desk, nurse: &mut Session, station: i64) -> QueueEntry {
    let entry = called(d, nurse, station);
    moved(d, nurse, entry.id, QueueState::InService);
    moved(d, nurse, entry.id, QueueState::Done)
}

fn check_out(d: &mut Desk, session: &mut Session, guest: &GuestCard) {
    let visit = guest.open_visit_id.expect("inside");
    visits::check_out(&mut d.db, &d.clock, session, visit).expect("checked out");
}

/// Every row of a query, each as its columns' values joined by `|`.
fn rows(d: &Desk, sql: &str) -> Vec<String> {
    let conn = d.db.conn();
    let mut statement = conn.prepare(sql).expect("prepare");
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|i| {
                    row.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<rusqlite::Result<Vec<_>>>()
                .map(|values| values.join("|"))
        })
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows")
}

const TABLES: [&str; 6] = [
    "queue_entries",
    "queue_events",
    "clinical_notes",
    "incidents",
    "queue_reasons",
    "nurse_stations",
];

/// Everything the queue keeps, and the whole audit log.
fn snapshot(d: &Desk) -> Vec<Vec<String>> {
    TABLES
        .iter()
        .map(|t| rows(d, &format!("SELECT * FROM {t} ORDER BY rowid")))
        .chain([rows(d, "SELECT * FROM audit_log ORDER BY id")])
        .collect()
}

/// Like [`snapshot`], without the audit entries a permission refusal adds on purpose.
fn snapshot_but_refusals(d: &Desk) -> Vec<Vec<String>> {
    TABLES
        .iter()
        .map(|t| rows(d, &format!("SELECT * FROM {t} ORDER BY rowid")))
        .chain([rows(
            d,
            "SELECT * FROM audit_log WHERE action <> 'permission.refused' ORDER BY id",
        )])
        .collect()
}

/// `act` is refused with `code` and a message saying `says`, and nothing at all changes
/// (not even the audit log).
fn refused<T: std::fmt::Debug>(
    d: &mut Desk,
    what: &str,
    code: ErrorCode,
    says: &str,
    act: impl FnOnce(&mut Desk) -> Result<T>,
) -> AppError {
    let before = snapshot(d);
    let err = act(d).expect_err(what);
    assert_eq!(err.code, code, "{what}: {}", err.message);
    assert!(
        err.message.contains(says),
        "{what}: the message says {says:?}: {}",
        err.message
    );
    assert_eq!(snapshot(d), before, "{what}: nothing changed");
    err
}

/// `act` is refused for the role, the refusal is audited, and nothing else changes.
fn denied<T: std::fmt::Debug>(d: &mut Desk, what: &str, act: impl FnOnce(&mut Desk) -> Result<T>) {
    let before = snapshot_but_refusals(d);
    let refusals = d.count("SELECT count(*) FROM audit_log WHERE action = 'permission.refused'");
    let err = act(d).expect_err(what);
    assert_eq!(
        err.code,
        ErrorCode::PermissionDenied,
        "{what} is refused by role: {}",
        err.message
    );
    assert_eq!(snapshot_but_refusals(d), before, "{what}: nothing changed");
    assert_eq!(
        d.count("SELECT count(*) FROM audit_log WHERE action = 'permission.refused'"),
        refusals + 1,
        "{what}: the refusal is in the audit log"
    );
}

fn state_of(d: &Desk, entry: i64) -> String {
    d.db.conn()
        .query_row(
            "SELECT state FROM queue_entries WHERE id = ?1",
            [entry],
            |row| row.get(0),
        )
        .expect("state")
}

fn column(d: &Desk, entry: i64, name: &str) -> Option<String> {
    d.db.conn()
        .query_row(
            &format!("SELECT CAST({name} AS TEXT) FROM queue_entries WHERE id = ?1"),
            [entry],
            |row| row.get(0),
        )
        .expect("column")
}

/// A row of `queue_events`, without its id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    from: Option<String>,
    to: String,
    by: Option<i64>,
    at: String,
    station: Option<i64>,
    undoes: Option<i64>,
}

fn step(
    from: Option<&str>,
    to: &str,
    by: &Session,
    at: DateTime<Utc>,
    station: Option<i64>,
) -> Step {
    Step {
        from: from.map(Into::into),
        to: to.into(),
        by: Some(by.staff_id),
        at: stamp(at),
        station,
        undoes: None,
    }
}

fn steps(d: &Desk, entry: i64) -> Vec<Step> {
    let conn = d.db.conn();
    let mut statement = conn
        .prepare(
            "SELECT from_state, to_state, by_staff, at, station_id, undoes FROM queue_events
             WHERE entry_id = ?1 ORDER BY id",
        )
        .expect("prepare");
    statement
        .query_map([entry], |row| {
            Ok(Step {
                from: row.get(0)?,
                to: row.get(1)?,
                by: row.get(2)?,
                at: row.get(3)?,
                station: row.get(4)?,
                undoes: row.get(5)?,
            })
        })
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("steps")
}

fn event_ids(d: &Desk, entry: i64) -> Vec<i64> {
    let conn = d.db.conn();
    let mut statement = conn
        .prepare("SELECT id FROM queue_events WHERE entry_id = ?1 ORDER BY id")
        .expect("prepare");
    statement
        .query_map([entry], |row| row.get(0))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("ids")
}

/// (actor, action, detail) of the audit entries about an object, oldest first.
fn audited(d: &Desk, object: &str) -> Vec<(String, String, String)> {
    let conn = d.db.conn();
    let mut statement = conn
        .prepare("SELECT actor, action, detail FROM audit_log WHERE object = ?1 ORDER BY id")
        .expect("prepare");
    statement
        .query_map([object], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("audit")
}

fn actions(d: &Desk, object: &str) -> Vec<String> {
    audited(d, object).into_iter().map(|(_, a, _)| a).collect()
}

fn numbers(entries: &[QueueEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.number.as_str()).collect()
}

// 1. Order and numbers.

#[test]
fn urgent_is_called_before_routine_then_by_arrival_and_numbers_count_up() {
    let (mut d, mut pat, mut nina, g) = morning(6);
    let mut joined_numbers = Vec::new();
    for (guest, priority) in g.iter().zip([
        Priority::Routine,
        Priority::Urgent,
        Priority::Routine,
        Priority::Urgent,
    ]) {
        joined_numbers.push(joined(&mut d, &mut pat, guest.id, priority).number);
        d.clock.advance(Duration::minutes(1));
    }
    // Two routine entries at the very same instant: the one added first goes first.
    joined_numbers.push(joined(&mut d, &mut pat, g[4].id, Priority::Routine).number);
    joined_numbers.push(joined(&mut d, &mut pat, g[5].id, Priority::Routine).number);
    assert_eq!(
        joined_numbers,
        ["N-001", "N-002", "N-003", "N-004", "N-005", "N-006"],
        "numbers count up in the order guests join, whatever the priority"
    );
    let expected = ["N-002", "N-004", "N-001", "N-003", "N-005", "N-006"];
    let view = nurse_view(&mut d.db, &d.clock, &mut nina).expect("nurse view");
    assert_eq!(
        numbers(&view.waiting),
        expected,
        "urgent before routine, each in arrival order"
    );
    let lines = desk_view(&mut d.db, &d.clock, &mut pat)
        .expect("desk view")
        .lines;
    assert_eq!(
        lines.iter().map(|l| l.number.as_str()).collect::<Vec<_>>(),
        expected,
        "the desk sees the same order"
    );
    let served: Vec<String> = (0..6).map(|_| serve(&mut d, &mut nina, 1).number).collect();
    assert_eq!(served, expected, "call next follows that order");
    let err = call_next(&mut d.db, &d.clock, &mut nina, 1).expect_err("all seen");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
}

#[test]
fn numbers_restart_at_the_centers_local_midnight_and_yesterdays_waiting_are_settled() {
    // 28 November 23:58 in Boston is 29 November 04:58 UTC.
    let mut d = desk_at(Utc.with_ymd_and_hms(2026, 11, 29, 4, 58, 0).unwrap());
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let owl = d.arrive(&mut pat, "Night Owl");
    let late = d.arrive(&mut pat, "Late");
    assert_eq!(
        joined(&mut d, &mut pat, owl.id, Priority::Routine).number,
        "N-001"
    );
    assert_eq!(
        joined(&mut d, &mut pat, late.id, Priority::Routine).number,
        "N-002"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM queue_entries WHERE service_date = '2026-11-28'"),
        2,
        "23:58 in Boston is still the 28th although it is the 29th in UTC"
    );
    d.clock.advance(Duration::minutes(3));
    let early = d.arrive(&mut pat, "Early Bird");
    let first = joined(&mut d, &mut pat, early.id, Priority::Routine);
    assert_eq!(
        first.number, "N-001",
        "a new local day starts again at N-001"
    );
    assert_eq!(
        d.count(
            "SELECT count(*) FROM queue_entries WHERE service_date = '2026-11-29' AND number = 1"
        ),
        1,
        "the new number belongs to the 29th"
    );
    assert_eq!(
        d.count(
            "SELECT count(*) FROM queue_entries WHERE service_date = '2026-11-28' AND state = 'left'"
        ),
        2,
        "yesterday's waiting entries left without being seen"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM queue_events WHERE to_state = 'left' AND by_staff IS NULL"),
        2,
        "the system settled them, stamped like any other change"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM visits WHERE settled_at_day_end = 1"),
        2,
        "yesterday's guests are not inside today: settled at the day's end"
    );
    crate::visits::check_in(&mut d.db, &d.clock, &mut pat, owl.id, false)
        .expect("back again today");
    let again = joined(&mut d, &mut pat, owl.id, Priority::Routine);
    assert_eq!(
        again.number, "N-002",
        "a guest from yesterday checks in again and may queue today"
    );
    let view = desk_view(&mut d.db, &d.clock, &mut pat).expect("desk view");
    assert_eq!(
        view.lines
            .iter()
            .map(|l| l.number.as_str())
            .collect::<Vec<_>>(),
        ["N-001", "N-002"],
        "the desk sees today's queue only"
    );
}

#[test]
fn a_number_is_written_with_at_least_three_digits() {
    assert_eq!(number_text(1), "N-001", "padded to three digits");
    assert_eq!(number_text(14), "N-014", "padded to three digits");
    assert_eq!(number_text(999), "N-999", "three digits as they are");
    assert_eq!(number_text(1000), "N-1000", "a busy day goes past 999");
}

// 2. Transitions.

#[test]
fn every_transition_is_stamped_with_the_server_time_and_who_and_audited() {
    let (mut d, mut pat, mut nina, g) = morning(6);
    let t0 = d.clock.now();
    let entries: Vec<QueueEntry> = g
        .iter()
        .map(|guest| joined(&mut d, &mut pat, guest.id, Priority::Routine))
        .collect();
    let [a, b, c, e, f, h] = [0, 1, 2, 3, 4, 5].map(|i| entries[i].id);

    // waiting -> called -> in service -> done, a minute apart.
    d.clock.advance(Duration::minutes(1));
    let t1 = d.clock.now();
    let call = called(&mut d, &mut nina, 1);
    assert_eq!(call.id, a, "the first to join is called");
    assert_eq!(call.state, QueueState::Called, "called");
    assert_eq!(
        call.station.as_deref(),
        Some("Station 1"),
        "to the station that called"
    );
    d.clock.advance(Duration::minutes(1));
    let t2 = d.clock.now();
    let started = moved(&mut d, &mut nina, a, QueueState::InService);
    assert_eq!(started.state, QueueState::InService, "started");
    d.clock.advance(Duration::minutes(1));
    let t3 = d.clock.now();
    let done = moved(&mut d, &mut nina, a, QueueState::Done);
    assert_eq!(done.state, QueueState::Done, "finished");
    assert_eq!(done.waited_seconds, 60, "waited from joining until called");
    assert_eq!(
        steps(&d, a),
        [
            step(None, "waiting", &pat, t0, None),
            step(Some("waiting"), "called", &nina, t1, Some(1)),
            step(Some("called"), "in_service", &nina, t2, Some(1)),
            step(Some("in_service"), "done", &nina, t3, Some(1)),
        ],
        "each transition is a row with who, the server time and the station"
    );
    assert_eq!(
        [
            column(&d, a, "called_at"),
            column(&d, a, "started_at"),
            column(&d, a, "finished_at"),
            column(&d, a, "changed_at"),
        ],
        [t1, t2, t3, t3].map(|t| Some(stamp(t))),
        "the entry keeps the time of each state"
    );
    let object = format!("queue:N-001@{TODAY}");
    assert_eq!(
        audited(&d, &object)
            .into_iter()
            .map(|(actor, action, _)| (actor, action))
            .collect::<Vec<_>>(),
        [
            ("staff:pat", "queue.join"),
            ("staff:nina", "queue.call"),
            ("staff:nina", "queue.in_service"),
            ("staff:nina", "queue.done"),
        ]
        .map(|(actor, action)| (actor.to_string(), action.to_string())),
        "each transition is audited, by whom"
    );
    assert_eq!(
        column(&d, a, "station_id"),
        Some("1".into()),
        "a finished entry remembers where it was seen"
    );

    // Finishing with a clinical note writes the note in the same step.
    let second = called(&mut d, &mut nina, 1);
    assert_eq!(
        (second.id, second.station.as_deref()),
        (b, Some("Station 1")),
        "a finished station is free again"
    );
    moved(&mut d, &mut nina, b, QueueState::InService);
    change(
        &mut d.db,
        &d.clock,
        &mut nina,
        b,
        QueueState::Done,
        Some("Dressed a wound on the left forearm."),
    )
    .expect("finished with a note");
    assert_eq!(state_of(&d, b), "done", "finished");
    assert_eq!(
        rows(
            &d,
            &format!(
                "SELECT body, written_by, written_at FROM clinical_notes WHERE entry_id = {b}"
            )
        ),
        [format!(
            "Text(\"Dressed a wound on the left forearm.\")|Integer({})|Text({:?})",
            nina.staff_id,
            stamp(d.clock.now())
        )],
        "the note is kept with its author and time"
    );
    assert_eq!(
        actions(&d, &format!("queue:N-002@{TODAY}")),
        [
            "queue.join",
            "queue.call",
            "queue.in_service",
            "queue.done",
            "clinical_note.write"
        ],
        "the finish and the note are both audited"
    );

    // waiting -> left without being seen (nurse).
    d.clock.advance(Duration::minutes(1));
    let left = moved(&mut d, &mut nina, c, QueueState::Left);
    assert_eq!(left.state, QueueState::Left, "left without being seen");
    assert_eq!(
        steps(&d, c).last(),
        Some(&step(Some("waiting"), "left", &nina, d.clock.now(), None)),
        "stamped"
    );
    // called -> left.
    let call = called(&mut d, &mut nina, 2);
    assert_eq!(call.id, e, "the next in order");
    let left = moved(&mut d, &mut nina, e, QueueState::Left);
    assert_eq!(
        left.state,
        QueueState::Left,
        "a called guest who never came"
    );
    assert_eq!(
        steps(&d, e).last(),
        Some(&step(Some("called"), "left", &nina, d.clock.now(), Some(2))),
        "stamped"
    );
    // waiting -> cancelled by the front desk.
    let cancelled = moved(&mut d, &mut pat, h, QueueState::Cancelled);
    assert_eq!(
        cancelled.state,
        QueueState::Cancelled,
        "the desk takes it back"
    );
    assert_eq!(
        steps(&d, h).last(),
        Some(&step(
            Some("waiting"),
            "cancelled",
            &pat,
            d.clock.now(),
            None
        )),
        "stamped by the desk"
    );
    // called -> cancelled by the nurse.
    let call = called(&mut d, &mut nina, 2);
    assert_eq!(call.id, f, "the last one waiting");
    moved(&mut d, &mut nina, f, QueueState::Cancelled);
    assert_eq!(
        steps(&d, f).last(),
        Some(&step(
            Some("called"),
            "cancelled",
            &nina,
            d.clock.now(),
            Some(2)
        )),
        "stamped"
    );
    for (entry, number, action) in [
        (c, "N-003", "queue.left"),
        (e, "N-004", "queue.left"),
        (f, "N-005", "queue.cancelled"),
        (h, "N-006", "queue.cancelled"),
    ] {
        assert_eq!(
            actions(&d, &format!("queue:{number}@{TODAY}")).last(),
            Some(&action.to_string()),
            "the last change of {number} (entry {entry}) is audited"
        );
    }
    assert_eq!(
        d.count("SELECT count(*) FROM queue_events"),
        6 + 3 + 3 + 1 + 2 + 1 + 2,
        "one event per join and per transition, nothing else"
    );
}

#[test]
fn transitions_that_do_not_exist_are_refused_and_change_nothing() {
    let (mut d, mut pat, mut nina, g) = morning(6);
    use QueueState::*;
    // Urgent ones are called first: done, called, in service; routine ones stay waiting.
    let done = joined(&mut d, &mut pat, g[0].id, Priority::Urgent).id;
    let in_service = joined(&mut d, &mut pat, g[1].id, Priority::Urgent).id;
    let called_entry = joined(&mut d, &mut pat, g[2].id, Priority::Urgent).id;
    let waiting = joined(&mut d, &mut pat, g[3].id, Priority::Routine).id;
    let left = joined(&mut d, &mut pat, g[4].id, Priority::Routine).id;
    let cancelled = joined(&mut d, &mut pat, g[5].id, Priority::Routine).id;
    serve(&mut d, &mut nina, 1);
    called(&mut d, &mut nina, 1);
    moved(&mut d, &mut nina, in_service, InService);
    assert_eq!(called(&mut d, &mut nina, 2).id, called_entry, "urgent");
    moved(&mut d, &mut nina, left, Left);
    moved(&mut d, &mut pat, cancelled, Cancelled);
    let entries = [
        (waiting, Waiting),
        (called_entry, Called),
        (in_service, InService),
        (done, Done),
        (left, Left),
        (cancelled, Cancelled),
    ];
    for (entry, state) in entries {
        assert_eq!(state_of(&d, entry), state.as_str(), "set up");
    }
    // The only transitions `change` makes; calling is call_next's alone.
    let exist = [
        (Waiting, Left),
        (Waiting, Cancelled),
        (Called, InService),
        (Called, Left),
        (Called, Cancelled),
        (InService, Done),
    ];
    let all = [Waiting, Called, InService, Done, Left, Cancelled];
    let mut tried = 0;
    for (entry, from) in entries {
        for to in all {
            if exist.contains(&(from, to)) {
                continue;
            }
            tried += 1;
            refused(
                &mut d,
                &format!("{from:?} -> {to:?}"),
                ErrorCode::Conflict,
                &format!("cannot become {}", to.words()),
                |d| change(&mut d.db, &d.clock, &mut nina, entry, to, None),
            );
        }
    }
    assert_eq!(tried, 30, "every pair but the six that exist was tried");
    // Finishing one never started, with a note: refused too and the note is not written.
    refused(
        &mut d,
        "finishing a called entry",
        ErrorCode::Conflict,
        "is called and cannot become done",
        |d| {
            change(
                &mut d.db,
                &d.clock,
                &mut nina,
                called_entry,
                Done,
                Some("seen"),
            )
        },
    );
    refused(
        &mut d,
        "a note with something other than finishing",
        ErrorCode::InvalidInput,
        "a note goes with finishing",
        |d| {
            change(
                &mut d.db,
                &d.clock,
                &mut nina,
                called_entry,
                InService,
                Some("seen"),
            )
        },
    );
    refused(
        &mut d,
        "an entry that does not exist",
        ErrorCode::NotFound,
        "does not exist",
        |d| change(&mut d.db, &d.clock, &mut nina, 9999, Left, None),
    );
}

// 3. Undo.

#[test]
fn undo_returns_an_entry_to_where_it_was_and_is_itself_a_stamped_transition() {
    let (mut d, mut pat, mut nina, g) = morning(2);
    let a = joined(&mut d, &mut pat, g[0].id, Priority::Routine);
    d.clock.advance(Duration::minutes(1));
    let b = joined(&mut d, &mut pat, g[1].id, Priority::Routine);
    assert_eq!(a.undo_to, None, "joining cannot be undone");
    refused(
        &mut d,
        "undo of a join",
        ErrorCode::Conflict,
        "only just joined; cancel it instead",
        |d| undo_last(&mut d.db, &d.clock, &mut pat, a.id),
    );

    // Undo of a call.
    d.clock.advance(Duration::minutes(1));
    let call = called(&mut d, &mut nina, 1);
    assert_eq!(call.id, a.id, "first in");
    assert_eq!(
        call.undo_to,
        Some(QueueState::Waiting),
        "the view says undo would return it to waiting"
    );
    let call_event = *event_ids(&d, a.id).last().expect("call event");
    d.clock.advance(Duration::minutes(1));
    let back = undone(&mut d, &mut nina, a.id);
    assert_eq!(back.state, QueueState::Waiting, "back to waiting");
    assert_eq!(back.station, None, "no longer at a station");
    assert_eq!(back.undo_to, None, "an undo cannot be undone");
    assert_eq!(
        column(&d, a.id, "called_at"),
        None,
        "the call time is cleared"
    );
    assert_eq!(
        column(&d, a.id, "station_id"),
        None,
        "the station is cleared"
    );
    assert_eq!(
        steps(&d, a.id).last(),
        Some(&Step {
            undoes: Some(call_event),
            ..step(Some("called"), "waiting", &nina, d.clock.now(), None)
        }),
        "the undo is a transition naming the one it reverses"
    );
    assert_eq!(
        audited(&d, &format!("queue:N-001@{TODAY}")).last(),
        Some(&(
            "staff:nina".to_string(),
            "queue.undo".to_string(),
            "called -> waiting".to_string()
        )),
        "the undo is audited"
    );
    let view = nurse_view(&mut d.db, &d.clock, &mut nina).expect("view");
    assert!(
        view.stations.iter().all(|s| s.serving.is_none()),
        "Station 1 is free again: {:?}",
        view.stations
    );
    refused(
        &mut d,
        "undo twice",
        ErrorCode::Conflict,
        "was an undo already",
        |d| undo_last(&mut d.db, &d.clock, &mut nina, a.id),
    );
    let again = called(&mut d, &mut nina, 2);
    assert_eq!(
        (again.id, again.station.as_deref()),
        (a.id, Some("Station 2")),
        "the next call picks it again, ahead of those who joined after it"
    );
    assert_eq!(
        again.waited_seconds, 180,
        "its wait still runs from joining"
    );

    // Undo of a start.
    let started = moved(&mut d, &mut nina, a.id, QueueState::InService);
    assert_eq!(
        started.undo_to,
        Some(QueueState::Called),
        "the view says so"
    );
    let back = undone(&mut d, &mut nina, a.id);
    assert_eq!(back.state, QueueState::Called, "back to called");
    assert_eq!(
        back.station.as_deref(),
        Some("Station 2"),
        "still at its station"
    );
    assert_eq!(column(&d, a.id, "started_at"), None, "start time cleared");
    assert!(
        column(&d, a.id, "called_at").is_some(),
        "the call time is kept"
    );

    // Undo of a finish.
    moved(&mut d, &mut nina, a.id, QueueState::InService);
    let done = moved(&mut d, &mut nina, a.id, QueueState::Done);
    assert_eq!(
        done.undo_to,
        Some(QueueState::InService),
        "the view says so"
    );
    let back = undone(&mut d, &mut nina, a.id);
    assert_eq!(back.state, QueueState::InService, "back in service");
    assert_eq!(column(&d, a.id, "finished_at"), None, "finish time cleared");
    assert!(
        column(&d, a.id, "started_at").is_some(),
        "the start time is kept"
    );
    moved(&mut d, &mut nina, a.id, QueueState::Done);

    // Undo of a cancel, by the desk that cancelled.
    let cancelled = moved(&mut d, &mut pat, b.id, QueueState::Cancelled);
    assert_eq!(
        cancelled.undo_to,
        Some(QueueState::Waiting),
        "the view says so"
    );
    let back = undone(&mut d, &mut pat, b.id);
    assert_eq!(back.state, QueueState::Waiting, "waiting again");
    assert_eq!(column(&d, b.id, "finished_at"), None, "cancel time cleared");

    // Undo of "left without being seen".
    moved(&mut d, &mut nina, b.id, QueueState::Left);
    let back = undone(&mut d, &mut nina, b.id);
    assert_eq!(back.state, QueueState::Waiting, "waiting again");
    assert_eq!(
        d.count("SELECT count(*) FROM queue_events WHERE undoes IS NOT NULL"),
        5,
        "five undos, each recorded"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM audit_log WHERE action = 'queue.undo'"),
        5,
        "five undos, each audited"
    );
}

#[test]
fn undo_cannot_bring_back_a_guest_who_has_left_the_building() {
    let (mut d, mut pat, mut nina, g) = morning(2);
    let a = joined(&mut d, &mut pat, g[0].id, Priority::Routine);
    check_out(&mut d, &mut pat, &g[0]);
    assert_eq!(state_of(&d, a.id), "left", "checking out leaves the queue");
    refused(
        &mut d,
        "undo of the check-out's left",
        ErrorCode::Conflict,
        "has left the building",
        |d| undo_last(&mut d.db, &d.clock, &mut nina, a.id),
    );
    let b = joined(&mut d, &mut pat, g[1].id, Priority::Routine);
    moved(&mut d, &mut pat, b.id, QueueState::Cancelled);
    check_out(&mut d, &mut pat, &g[1]);
    refused(
        &mut d,
        "undo of a cancel once the guest is gone",
        ErrorCode::Conflict,
        "has left the building",
        |d| undo_last(&mut d.db, &d.clock, &mut pat, b.id),
    );
    // Back inside and queued again: the old entry cannot come back beside the new one.
    visits::check_in(&mut d.db, &d.clock, &mut pat, g[1].id, false).expect("back in");
    joined(&mut d, &mut pat, g[1].id, Priority::Routine);
    refused(
        &mut d,
        "undo while queued again",
        ErrorCode::Conflict,
        "in the queue again already",
        |d| undo_last(&mut d.db, &d.clock, &mut pat, b.id),
    );
}

#[test]
fn undoing_never_puts_two_guests_at_one_station() {
    let (mut d, mut pat, mut nina, g) = morning(3);
    let a = joined(&mut d, &mut pat, g[0].id, Priority::Routine);
    let b = joined(&mut d, &mut pat, g[1].id, Priority::Routine);
    let c = joined(&mut d, &mut pat, g[2].id, Priority::Routine);
    // a: seen and finished at Station 1; then Station 1 calls b.
    assert_eq!(serve(&mut d, &mut nina, 1).id, a.id, "a first");
    assert_eq!(called(&mut d, &mut nina, 1).id, b.id, "then b");
    refused(
        &mut d,
        "undo of a's finish while Station 1 has b",
        ErrorCode::Conflict,
        "with someone else",
        |d| undo_last(&mut d.db, &d.clock, &mut nina, a.id),
    );
    // b never came; Station 1 calls c; b's "left" cannot be undone onto Station 1.
    moved(&mut d, &mut nina, b.id, QueueState::Left);
    assert_eq!(called(&mut d, &mut nina, 1).id, c.id, "then c");
    refused(
        &mut d,
        "undo of b's left while Station 1 has c",
        ErrorCode::Conflict,
        "with someone else",
        |d| undo_last(&mut d.db, &d.clock, &mut nina, b.id),
    );
    let view = nurse_view(&mut d.db, &d.clock, &mut nina).expect("view");
    assert_eq!(
        view.stations[0].serving.as_deref(),
        Some("N-003"),
        "Station 1 has c, and only c"
    );
}

// 4. Call next across connections.

#[test]
fn two_stations_calling_next_at_the_same_moment_never_get_the_same_guest() {
    const ROUNDS: usize = 15;
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("desk.db");
    let clock = std::sync::Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap(),
    ));
    let (nurses, entries) = {
        let mut db = Database::open(&path).expect("db");
        let mut admin = auth::create_first_admin(
            &mut db,
            clock.as_ref(),
            "admin",
            "Avery",
            PASSWORD,
            PASSWORD,
        )
        .expect("admin");
        for (username, role) in [
            ("pat", Role::FrontDesk),
            ("nina", Role::Nurse),
            ("noel", Role::Nurse),
        ] {
            auth::create_staff(
                &mut db,
                clock.as_ref(),
                &mut auth::Actor::Staff(&mut admin),
                &auth::NewStaff {
                    username: username.into(),
                    display_name: username.into(),
                    roles: vec![role],
                    password: PASSWORD.into(),
                },
            )
            .expect("staff");
        }
        let mut pat =
            auth::testing::first_login(&mut db, clock.as_ref(), "pat", PASSWORD).expect("login");
        let mut entries: Vec<i64> = (0..2 * ROUNDS)
            .map(|i| {
                let guest = visits::register_and_check_in(
                    &mut db,
                    clock.as_ref(),
                    &mut pat,
                    &guests::NewGuest::default(),
                    false,
                )
                .expect("guest")
                .guest;
                let priority = if i % 3 == 0 {
                    Priority::Urgent
                } else {
                    Priority::Routine
                };
                join(
                    &mut db,
                    clock.as_ref(),
                    &mut pat,
                    &input(guest.id, "wound_care", priority, None),
                )
                .expect("joined")
                .line
                .id
            })
            .collect();
        entries.sort_unstable();
        let nurses: Vec<Session> = ["nina", "noel"]
            .into_iter()
            .map(|name| {
                auth::testing::first_login(&mut db, clock.as_ref(), name, PASSWORD).expect("login")
            })
            .collect();
        (nurses, entries)
    };
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    // Two stations, each with its own connection, call next at the same moment, round
    // after round, and finish whoever they got before the next round.
    let handles: Vec<_> = nurses
        .into_iter()
        .zip([1_i64, 2])
        .map(|(mut nurse, station)| {
            let path = path.clone();
            let clock = clock.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut db = Database::open(&path).expect("a connection of its own");
                let mut outcomes = Vec::new();
                for _ in 0..ROUNDS {
                    barrier.wait();
                    let outcome =
                        call_next(&mut db, clock.as_ref(), &mut nurse, station).and_then(|e| {
                            for to in [QueueState::InService, QueueState::Done] {
                                change(&mut db, clock.as_ref(), &mut nurse, e.id, to, None)?;
                            }
                            Ok(e.id)
                        });
                    outcomes.push(outcome);
                }
                outcomes
            })
        })
        .collect();
    let outcomes: Vec<Result<i64>> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    let mut got: Vec<i64> = outcomes
        .iter()
        .map(|o| {
            o.as_ref()
                .map(|id| *id)
                .unwrap_or_else(|err| panic!("every call found its own guest: {}", err.message))
        })
        .collect();
    got.sort_unstable();
    assert_eq!(
        got, entries,
        "each entry was called exactly once, never by both stations"
    );
    let db = Database::open(&path).expect("db");
    let count = |sql: &str| -> i64 {
        db.conn()
            .query_row(sql, [], |row| row.get(0))
            .expect("count")
    };
    assert_eq!(
        count("SELECT count(*) FROM queue_events WHERE to_state = 'called'"),
        i64::try_from(2 * ROUNDS).expect("small"),
        "one call per entry, no more"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT entry_id FROM queue_events WHERE to_state = 'called'
             GROUP BY entry_id HAVING count(*) <> 1)"
        ),
        0,
        "no entry was called twice"
    );
    assert_eq!(
        count("SELECT count(*) FROM queue_entries WHERE state <> 'done'"),
        0,
        "everyone was seen"
    );
}

// 5. Stations.

#[test]
fn a_station_calls_one_guest_at_a_time_and_must_exist_and_be_in_use() {
    let (mut d, mut pat, mut nina, g) = morning(2);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    refused(
        &mut d,
        "call next on an empty queue",
        ErrorCode::Conflict,
        "nobody is waiting",
        |d| call_next(&mut d.db, &d.clock, &mut nina, 1),
    );
    let a = joined(&mut d, &mut pat, g[0].id, Priority::Routine);
    let b = joined(&mut d, &mut pat, g[1].id, Priority::Routine);
    called(&mut d, &mut nina, 1);
    refused(
        &mut d,
        "a station that has called someone",
        ErrorCode::Conflict,
        "Station 1 is already with N-001",
        |d| call_next(&mut d.db, &d.clock, &mut nina, 1),
    );
    moved(&mut d, &mut nina, a.id, QueueState::InService);
    refused(
        &mut d,
        "a station seeing someone",
        ErrorCode::Conflict,
        "Station 1 is already with N-001",
        |d| call_next(&mut d.db, &d.clock, &mut nina, 1),
    );
    refused(
        &mut d,
        "a station that does not exist",
        ErrorCode::InvalidInput,
        "station",
        |d| call_next(&mut d.db, &d.clock, &mut nina, 99),
    );
    refused(
        &mut d,
        "taking a busy station out of use",
        ErrorCode::Conflict,
        "is with a guest",
        |d| save_station(&mut d.db, &d.clock, &mut sam, Some(1), "Station 1", false),
    );
    save_station(&mut d.db, &d.clock, &mut sam, Some(2), "Station 2", false)
        .expect("Station 2 out of use");
    refused(
        &mut d,
        "a station out of use",
        ErrorCode::InvalidInput,
        "choose a station in use",
        |d| call_next(&mut d.db, &d.clock, &mut nina, 2),
    );
    refused(
        &mut d,
        "a second station with a name already used",
        ErrorCode::Conflict,
        "already used",
        |d| save_station(&mut d.db, &d.clock, &mut sam, None, "Station 1", true),
    );
    let three = save_station(&mut d.db, &d.clock, &mut sam, None, "Station 3", true)
        .expect("a new station");
    let call = called(&mut d, &mut nina, three);
    assert_eq!(
        (call.id, call.station.as_deref()),
        (b.id, Some("Station 3")),
        "a new station calls like the others"
    );
    let view = nurse_view(&mut d.db, &d.clock, &mut nina).expect("view");
    assert_eq!(
        view.stations
            .iter()
            .map(|s| (s.name.as_str(), s.active, s.serving.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("Station 1", true, Some("N-001")),
            ("Station 2", false, None),
            ("Station 3", true, Some("N-002")),
        ],
        "the nurse view shows each station and whom it serves"
    );
}

// 6. Permissions.

macro_rules! everyone {
    ($pat:ident, $nina:ident, $sam:ident, $ada:ident) => {
        [
            (Role::FrontDesk, &mut $pat),
            (Role::Nurse, &mut $nina),
            (Role::Supervisor, &mut $sam),
            (Role::Admin, &mut $ada),
        ]
    };
}

fn incident(kind: IncidentKind, occurred: Option<&str>, doses: &str, ems: bool) -> IncidentInput {
    IncidentInput {
        kind,
        occurred: occurred.map(Into::into),
        naloxone_doses: doses.into(),
        ems_called: ems,
        outcome: IncidentOutcome::RecoveredOnSite,
        guest_code: None,
        note: None,
    }
}

#[test]
fn every_queue_operation_is_allowed_or_refused_by_role() {
    use Role::*;
    let mut d = desk();
    let mut pat = d.person("pat", &[FrontDesk]);
    let mut nina = d.person("nina", &[Nurse]);
    let mut sam = d.person("sam", &[Supervisor]);
    let mut ada = d.person("ada", &[Admin]);
    let g: Vec<GuestCard> = (0..8)
        .map(|i| d.arrive(&mut pat, &format!("guest {i}")))
        .collect();

    // Adding to the queue: front desk, nurse, supervisor.
    let mut entries = Vec::new();
    for (i, (role, session)) in everyone!(pat, nina, sam, ada).into_iter().enumerate() {
        let what = format!("{role:?} adds to the queue");
        let add = input(g[i].id, "wound_care", Priority::Routine, None);
        if role == Admin {
            denied(&mut d, &what, |d| join(&mut d.db, &d.clock, session, &add));
        } else {
            entries.push(
                join(&mut d.db, &d.clock, session, &add)
                    .expect(&what)
                    .line
                    .id,
            );
        }
    }
    let [first, second, third] = [entries[0], entries[1], entries[2]];

    // Seeing the queue.
    for (role, session) in everyone!(pat, nina, sam, ada) {
        let what = format!("{role:?} sees the desk view");
        if role == Admin {
            denied(&mut d, &what, |d| desk_view(&mut d.db, &d.clock, session));
        } else {
            let view = desk_view(&mut d.db, &d.clock, session).expect(&what);
            assert_eq!(view.lines.len(), 3, "{what}: three waiting");
        }
        let what = format!("{role:?} sees the nurse view");
        if matches!(role, Nurse | Supervisor) {
            let view = nurse_view(&mut d.db, &d.clock, session).expect(&what);
            assert_eq!(view.waiting.len(), 3, "{what}: three waiting");
        } else {
            denied(&mut d, &what, |d| nurse_view(&mut d.db, &d.clock, session));
        }
    }

    // Calling, starting, finishing: nurses only.
    for (role, session) in everyone!(pat, nina, sam, ada) {
        if role != Nurse {
            denied(&mut d, &format!("{role:?} calls next"), |d| {
                call_next(&mut d.db, &d.clock, session, 1)
            });
        }
    }
    assert_eq!(called(&mut d, &mut nina, 1).id, first, "the nurse calls");
    for to in [QueueState::InService, QueueState::Done] {
        for (role, session) in everyone!(pat, nina, sam, ada) {
            if role != Nurse {
                denied(&mut d, &format!("{role:?} moves to {to:?}"), |d| {
                    change(&mut d.db, &d.clock, session, first, to, None)
                });
            }
        }
        moved(&mut d, &mut nina, first, to);
    }
    // Left without being seen: nurses only.
    for (role, session) in everyone!(pat, nina, sam, ada) {
        if role != Nurse {
            denied(&mut d, &format!("{role:?} marks left"), |d| {
                change(&mut d.db, &d.clock, session, second, QueueState::Left, None)
            });
        }
    }
    moved(&mut d, &mut nina, second, QueueState::Left);
    // Undoing needs the permission of what is undone: a nurse's "left", nurses only.
    for (role, session) in everyone!(pat, nina, sam, ada) {
        if role != Nurse {
            denied(&mut d, &format!("{role:?} undoes a left"), |d| {
                undo_last(&mut d.db, &d.clock, session, second)
            });
        }
    }
    undone(&mut d, &mut nina, second);

    // Cancelling a waiting entry: the desk, nurses and supervisors.
    denied(&mut d, "Admin cancels", |d| {
        change(
            &mut d.db,
            &d.clock,
            &mut ada,
            third,
            QueueState::Cancelled,
            None,
        )
    });
    moved(&mut d, &mut pat, third, QueueState::Cancelled);
    denied(&mut d, "Admin undoes a cancel", |d| {
        undo_last(&mut d.db, &d.clock, &mut ada, third)
    });
    undone(&mut d, &mut pat, third);
    moved(&mut d, &mut sam, third, QueueState::Cancelled);
    undone(&mut d, &mut sam, third);
    moved(&mut d, &mut nina, third, QueueState::Cancelled);
    // A called entry is the nurses' to cancel.
    assert_eq!(called(&mut d, &mut nina, 1).id, second, "the next one");
    for (role, session) in everyone!(pat, nina, sam, ada) {
        if role != Nurse {
            denied(&mut d, &format!("{role:?} cancels a called entry"), |d| {
                change(
                    &mut d.db,
                    &d.clock,
                    session,
                    second,
                    QueueState::Cancelled,
                    None,
                )
            });
        }
    }
    moved(&mut d, &mut nina, second, QueueState::Cancelled);

    // Clinical notes: nurses write; nurses and supervisors read.
    for (role, session) in everyone!(pat, nina, sam, ada) {
        let what = format!("{role:?} writes a clinical note");
        if role == Nurse {
            add_note(&mut d.db, &d.clock, session, first, "Wound clean.", None).expect(&what);
        } else {
            denied(&mut d, &what, |d| {
                add_note(&mut d.db, &d.clock, session, first, "Wound clean.", None)
            });
        }
    }
    for (role, session) in everyone!(pat, nina, sam, ada) {
        let what = format!("{role:?} reads clinical notes");
        if matches!(role, Nurse | Supervisor) {
            let notes = read_notes(&mut d.db, &d.clock, session, first).expect(&what);
            assert_eq!(notes.len(), 1, "{what}: the one note");
        } else {
            denied(&mut d, &what, |d| {
                read_notes(&mut d.db, &d.clock, session, first)
            });
        }
    }

    // Incidents: nurses and supervisors.
    for (role, session) in everyone!(pat, nina, sam, ada) {
        let what = format!("{role:?} records an incident");
        let typed = incident(IncidentKind::Overdose, None, "1", false);
        if matches!(role, Nurse | Supervisor) {
            incidents::record(&mut d.db, &d.clock, session, &typed).expect(&what);
            incidents::today(&mut d.db, &d.clock, session).expect(&what);
        } else {
            denied(&mut d, &what, |d| {
                incidents::record(&mut d.db, &d.clock, session, &typed)
            });
            denied(&mut d, &format!("{role:?} lists incidents"), |d| {
                incidents::today(&mut d.db, &d.clock, session)
            });
        }
    }

    // Counts and the lists of reasons and stations: supervisors.
    for (role, session) in everyone!(pat, nina, sam, ada) {
        if role == Supervisor {
            let counts = day_counts(&mut d.db, &d.clock, session, TODAY).expect("counts");
            assert_eq!(counts.incidents.incidents, 2, "both incidents counted");
            save_reason(&mut d.db, &d.clock, session, "foot_care", "Foot care", true)
                .expect("a new reason");
            save_station(&mut d.db, &d.clock, session, None, "Station 3", true)
                .expect("a new station");
        } else {
            denied(&mut d, &format!("{role:?} sees the counts"), |d| {
                day_counts(&mut d.db, &d.clock, session, TODAY)
            });
            denied(&mut d, &format!("{role:?} adds a reason"), |d| {
                save_reason(&mut d.db, &d.clock, session, "foot_care", "Foot care", true)
            });
            denied(&mut d, &format!("{role:?} adds a station"), |d| {
                save_station(&mut d.db, &d.clock, session, None, "Station 4", true)
            });
        }
    }
    assert_eq!(
        d.count("SELECT count(*) FROM nurse_stations"),
        3,
        "only the supervisor's station was added"
    );
}

#[test]
fn supervisors_manage_the_reasons_and_the_desk_is_offered_only_those_in_use() {
    let (mut d, mut pat, mut nina, g) = morning(1);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    save_reason(
        &mut d.db,
        &d.clock,
        &mut sam,
        "foot_care",
        "Foot care",
        true,
    )
    .expect("added");
    save_reason(&mut d.db, &d.clock, &mut sam, "testing", "Testing", false).expect("retired");
    let offered = desk_view(&mut d.db, &d.clock, &mut pat)
        .expect("desk")
        .reasons;
    let offered: Vec<&str> = offered.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        offered,
        [
            "wound_care",
            "medication",
            "overdose_follow_up",
            "general_health",
            "other",
            "foot_care"
        ],
        "the desk is offered the reasons in use, the new one last"
    );
    let all = nurse_view(&mut d.db, &d.clock, &mut nina)
        .expect("nurse")
        .reasons;
    assert!(
        all.iter()
            .any(|r| r.reason == "testing" && !r.active && r.label == "Testing"),
        "the nurse view still knows the retired reason and its new label: {all:?}"
    );
    let entry = joined_for(&mut d, &mut pat, g[0].id, "foot_care", Priority::Routine);
    assert_eq!(
        entry.reason_label, "Foot care",
        "the new reason can be used"
    );
    for bad in [
        "Foot Care",
        "",
        "foot-care",
        "'; DROP TABLE queue_reasons; --",
    ] {
        refused(
            &mut d,
            &format!("reason {bad:?}"),
            ErrorCode::InvalidInput,
            "lower-case letters and underscores",
            |d| save_reason(&mut d.db, &d.clock, &mut sam, bad, "Label", true),
        );
    }
    refused(
        &mut d,
        "a label with control characters",
        ErrorCode::InvalidInput,
        "control",
        |d| save_reason(&mut d.db, &d.clock, &mut sam, "x_ray", "X\u{7}ray", true),
    );
}

// 7. Clinical notes.

#[test]
fn clinical_notes_are_append_only_corrections_name_the_old_note_and_all_is_audited() {
    let (mut d, mut pat, mut nina, g) = morning(3);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let a = joined(&mut d, &mut pat, g[0].id, Priority::Urgent).id;
    let b = joined(&mut d, &mut pat, g[1].id, Priority::Urgent).id;
    let waiting = joined(&mut d, &mut pat, g[2].id, Priority::Routine).id;
    called(&mut d, &mut nina, 1);
    refused(
        &mut d,
        "a note on a called entry",
        ErrorCode::Conflict,
        "once the encounter has started",
        |d| add_note(&mut d.db, &d.clock, &mut nina, a, "Seen.", None),
    );
    refused(
        &mut d,
        "a note on a waiting entry",
        ErrorCode::Conflict,
        "is waiting; notes are written once the encounter has started",
        |d| add_note(&mut d.db, &d.clock, &mut nina, waiting, "Seen.", None),
    );
    moved(&mut d, &mut nina, a, QueueState::InService);

    let first = add_note(
        &mut d.db,
        &d.clock,
        &mut nina,
        a,
        "Abscess on the left forearm.\n\tDrained and dressed; back in two days.",
        None,
    )
    .expect("written");
    assert_eq!(
        (
            first.encounter.as_str(),
            first.author.as_str(),
            first.corrects,
            first.corrected
        ),
        ("N-001 on 2026-11-28", "Person nina", None, false),
        "a note names its encounter and author; lines and tabs are kept"
    );
    let fix = add_note(
        &mut d.db,
        &d.clock,
        &mut nina,
        a,
        "Correction: back in three days.",
        Some(first.id),
    )
    .expect("a correction");
    assert_eq!(
        fix.corrects,
        Some(first.id),
        "it names the note it corrects"
    );
    let notes = read_notes(&mut d.db, &d.clock, &mut sam, a).expect("read");
    assert_eq!(
        notes
            .iter()
            .map(|n| (n.id, n.corrects, n.corrected))
            .collect::<Vec<_>>(),
        [(first.id, None, true), (fix.id, Some(first.id), false)],
        "the old note is kept and marked corrected"
    );
    assert_eq!(
        notes[0].body, "Abscess on the left forearm.\n\tDrained and dressed; back in two days.",
        "the old note is unchanged"
    );

    // The database itself refuses to change or remove a note.
    let before = snapshot(&d);
    for sql in [
        "UPDATE clinical_notes SET body = 'nothing happened'",
        "DELETE FROM clinical_notes",
    ] {
        let err = d.db.conn().execute(sql, []).expect_err(sql);
        assert!(
            err.to_string().contains("append-only"),
            "{sql} is stopped by the trigger: {err}"
        );
    }
    assert_eq!(snapshot(&d), before, "the notes are as they were");

    // A correction must be about the same guest.
    called(&mut d, &mut nina, 2);
    moved(&mut d, &mut nina, b, QueueState::InService);
    refused(
        &mut d,
        "correcting another guest's note",
        ErrorCode::InvalidInput,
        "belongs to another guest",
        |d| {
            add_note(
                &mut d.db,
                &d.clock,
                &mut nina,
                b,
                "Wrong file.",
                Some(first.id),
            )
        },
    );
    refused(
        &mut d,
        "correcting a note that does not exist",
        ErrorCode::InvalidInput,
        "does not exist",
        |d| add_note(&mut d.db, &d.clock, &mut nina, b, "Hm.", Some(9999)),
    );
    refused(
        &mut d,
        "a note on an entry that does not exist",
        ErrorCode::NotFound,
        "does not exist",
        |d| add_note(&mut d.db, &d.clock, &mut nina, 9999, "Hm.", None),
    );

    // Bad notes: nothing written.
    let long = "x".repeat(MAX_NOTE_CHARS + 1);
    for (what, body, says) in [
        ("a note over 4000 characters", long.as_str(), "at most 4000"),
        ("an empty note", "", "write the note first"),
        ("a blank note", "  \n\t ", "write the note first"),
        ("a bell", "Seen.\u{7}", "control"),
        ("an escape", "\u{1b}[2J", "control"),
        ("a NUL", "Seen\0.", "control"),
        ("right-to-left override", "\u{202e}neeS", "text-direction"),
    ] {
        refused(&mut d, what, ErrorCode::InvalidInput, says, |d| {
            add_note(&mut d.db, &d.clock, &mut nina, b, body, None)
        });
    }
    // Finishing with a note that is too long finishes nothing.
    refused(
        &mut d,
        "finishing with a note over the limit",
        ErrorCode::InvalidInput,
        "at most 4000",
        |d| {
            change(
                &mut d.db,
                &d.clock,
                &mut nina,
                b,
                QueueState::Done,
                Some(&long),
            )
        },
    );
    assert_eq!(state_of(&d, b), "in_service", "still being seen");
    let full = "y".repeat(MAX_NOTE_CHARS);
    add_note(&mut d.db, &d.clock, &mut nina, b, &full, None).expect("exactly 4000 fits");
    // \r\n is kept as \n.
    let crlf = add_note(&mut d.db, &d.clock, &mut nina, b, "one\r\ntwo", None).expect("lines");
    assert_eq!(crlf.body, "one\ntwo", "Windows line ends become \\n");
    // A note can still be added once the encounter is done.
    moved(&mut d, &mut nina, a, QueueState::Done);
    add_note(
        &mut d.db,
        &d.clock,
        &mut nina,
        a,
        "Phoned the clinic.",
        None,
    )
    .expect("after");

    read_notes(&mut d.db, &d.clock, &mut nina, a).expect("read again");
    let writes = audited(&d, &format!("queue:N-001@{TODAY}"))
        .into_iter()
        .filter(|(_, action, _)| action == "clinical_note.write")
        .count();
    assert_eq!(writes, 3, "each of the three notes on N-001 is audited");
    assert_eq!(
        d.count("SELECT count(*) FROM audit_log WHERE action = 'clinical_note.write'"),
        d.count("SELECT count(*) FROM clinical_notes"),
        "one audit entry per note written"
    );
    let code = g[0].code.replace('-', "");
    assert_eq!(
        audited(&d, &format!("guest:{code}"))
            .into_iter()
            .filter(|(_, action, _)| action == "clinical_note.read")
            .map(|(actor, _, detail)| (actor, detail))
            .collect::<Vec<_>>(),
        [
            ("staff:sam".to_string(), format!("entry={a} notes=2")),
            ("staff:nina".to_string(), format!("entry={a} notes=3")),
        ],
        "every read is audited: who, which entry, how many notes"
    );
}

// 8. The desk view.

#[test]
fn the_desk_view_shows_numbers_states_and_stations_and_nothing_clinical() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut nina = d.person("nina", &[Role::Nurse]);
    let sunny = d.arrive(&mut pat, "Sunny");
    let kai = d.arrive(&mut pat, "Kai");
    join(
        &mut d.db,
        &d.clock,
        &mut pat,
        &input(
            sunny.id,
            "wound_care",
            Priority::Urgent,
            Some("came with a friend"),
        ),
    )
    .expect("Sunny");
    join(
        &mut d.db,
        &d.clock,
        &mut pat,
        &input(
            kai.id,
            "testing",
            Priority::Routine,
            Some("prefers the side door"),
        ),
    )
    .expect("Kai");
    let seen = called(&mut d, &mut nina, 1);
    moved(&mut d, &mut nina, seen.id, QueueState::InService);
    add_note(
        &mut d.db,
        &d.clock,
        &mut nina,
        seen.id,
        "Abscess drained.",
        None,
    )
    .expect("note");
    d.clock.advance(Duration::minutes(7));
    let view = desk_view(&mut d.db, &d.clock, &mut pat).expect("desk view");
    assert_eq!(
        view.lines
            .iter()
            .map(|l| (
                l.number.as_str(),
                l.state,
                l.station.as_deref(),
                l.waited_seconds
            ))
            .collect::<Vec<_>>(),
        [
            ("N-002", QueueState::Waiting, None, 420),
            ("N-001", QueueState::InService, Some("Station 1"), 0),
        ],
        "waiting first, then those with a nurse; the wait runs until called"
    );
    for line in &view.lines {
        let value = serde_json::to_value(line).expect("json");
        let mut keys: Vec<&String> = value.as_object().expect("an object").keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["id", "number", "state", "station", "waitedSeconds"],
            "a desk line carries nothing but these"
        );
    }
    let lines = serde_json::to_string(&view.lines).expect("json");
    let whole = serde_json::to_string(&view).expect("json");
    for secret in [
        sunny.code.clone(),
        sunny.code.replace('-', ""),
        kai.code.clone(),
        kai.code.replace('-', ""),
        "Sunny".into(),
        "Kai".into(),
        "came with a friend".into(),
        "prefers the side door".into(),
        "Abscess".into(),
    ] {
        assert!(
            !whole.contains(&secret),
            "the desk view does not carry {secret:?}: {whole}"
        );
    }
    for reason in [
        "Wound care",
        "wound_care",
        "Testing",
        "testing",
        "urgent",
        "routine",
    ] {
        assert!(
            !lines.contains(reason),
            "the desk's lines do not say why or how urgently anyone waits ({reason}): {lines}"
        );
    }
}

#[test]
fn every_queue_action_the_front_desk_may_take_answers_with_the_desk_line_only() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut nina = d.person("nina", &[Role::Nurse]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let sunny = d.arrive(&mut pat, "Sunny");
    let secrets = |card: &GuestCard| {
        vec![
            card.code.clone(),
            card.code.replace('-', ""),
            "Sunny".to_string(),
            "Wound care".to_string(),
            "wound_care".to_string(),
            "urgent".to_string(),
            "came with a friend".to_string(),
            "guestId".to_string(),
            "reason".to_string(),
        ]
    };
    let desk_only = |what: &str, answer: &QueueAnswer| {
        assert_eq!(answer.entry, None, "{what}: the front desk gets no entry");
        let json = serde_json::to_string(answer).expect("json");
        for secret in secrets(&sunny) {
            assert!(
                !json.contains(&secret),
                "{what}: the answer to the front desk does not carry {secret:?}: {json}"
            );
        }
    };
    let sunny_input = input(
        sunny.id,
        "wound_care",
        Priority::Urgent,
        Some("came with a friend"),
    );
    let joined = join(&mut d.db, &d.clock, &mut pat, &sunny_input).expect("joins");
    desk_only("join", &joined);
    assert_eq!(
        (joined.line.number.as_str(), joined.line.state),
        ("N-001", QueueState::Waiting),
        "the desk learns the number to tell the guest"
    );
    let cancelled = change(
        &mut d.db,
        &d.clock,
        &mut pat,
        joined.line.id,
        QueueState::Cancelled,
        None,
    )
    .expect("the desk takes it back");
    desk_only("cancel", &cancelled);
    let back = undo_last(&mut d.db, &d.clock, &mut pat, joined.line.id).expect("undone");
    desk_only("undo of a cancel", &back);
    assert_eq!(back.line.state, QueueState::Waiting, "waiting again");

    // Nurses and supervisors get the whole entry with the same line.
    for (who, session) in [("a nurse", &mut nina), ("a supervisor", &mut sam)] {
        let answer = change(
            &mut d.db,
            &d.clock,
            session,
            joined.line.id,
            QueueState::Cancelled,
            None,
        )
        .unwrap_or_else(|e| panic!("{who} cancels: {}", e.message));
        let entry = answer.entry.clone().expect("the whole entry");
        assert_eq!(
            (entry.reason.as_str(), entry.note.as_deref(), entry.guest_id),
            ("wound_care", Some("came with a friend"), sunny.id),
            "{who} sees why the guest waits"
        );
        assert_eq!(answer.line.number, entry.number, "the same number");
        let again = undo_last(&mut d.db, &d.clock, session, joined.line.id).expect("undone");
        assert!(again.entry.is_some(), "{who} gets the entry on undo too");
    }
}

// 9. Bad input on join.

#[test]
fn bad_joins_are_refused_with_a_clear_message_and_nothing_written() {
    let (mut d, mut pat, mut nina, g) = morning(2);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let gone = d.arrive(&mut pat, "Walk-by");
    check_out(&mut d, &mut pat, &gone);
    let first = joined(&mut d, &mut pat, g[0].id, Priority::Routine);
    save_reason(
        &mut d.db,
        &d.clock,
        &mut sam,
        "testing",
        "Testing (HIV, HCV, STI)",
        false,
    )
    .expect("testing retired");
    let long = "n".repeat(MAX_DESK_NOTE_CHARS + 1);
    let other = g[1].id;
    let cases: Vec<(&str, JoinInput, ErrorCode, &str)> = vec![
        (
            "a guest not inside",
            input(gone.id, "general_health", Priority::Routine, None),
            ErrorCode::Conflict,
            "is not checked in",
        ),
        (
            "a guest already waiting",
            input(g[0].id, "medication", Priority::Urgent, None),
            ErrorCode::Conflict,
            "is already in the queue as N-001 (waiting)",
        ),
        (
            "an unknown reason",
            input(other, "haircut", Priority::Routine, None),
            ErrorCode::InvalidInput,
            "\"haircut\" is not one of the reasons",
        ),
        (
            "a retired reason",
            input(other, "testing", Priority::Routine, None),
            ErrorCode::InvalidInput,
            "not one of the reasons",
        ),
        (
            "an empty reason",
            input(other, "", Priority::Routine, None),
            ErrorCode::InvalidInput,
            "not one of the reasons",
        ),
        (
            "SQL for a reason",
            input(
                other,
                "'; DROP TABLE queue_entries; --",
                Priority::Routine,
                None,
            ),
            ErrorCode::InvalidInput,
            "not one of the reasons",
        ),
        (
            "a note over 200 characters",
            input(other, "other", Priority::Routine, Some(&long)),
            ErrorCode::InvalidInput,
            "at most 200 characters",
        ),
        (
            "a note of two lines",
            input(other, "other", Priority::Routine, Some("one\ntwo")),
            ErrorCode::InvalidInput,
            "control",
        ),
        (
            "a note with a bell",
            input(other, "other", Priority::Routine, Some("ding\u{7}")),
            ErrorCode::InvalidInput,
            "control",
        ),
        (
            "a note written right to left",
            input(other, "other", Priority::Routine, Some("\u{202e}tseug")),
            ErrorCode::InvalidInput,
            "text-direction",
        ),
        (
            "a guest who does not exist",
            input(9999, "other", Priority::Routine, None),
            ErrorCode::NotFound,
            "does not exist",
        ),
    ];
    for (what, typed, code, says) in cases {
        refused(&mut d, what, code, says, |d| {
            join(&mut d.db, &d.clock, &mut pat, &typed)
        });
    }
    called(&mut d, &mut nina, 1);
    refused(
        &mut d,
        "a guest already called",
        ErrorCode::Conflict,
        "is already in the queue as N-001 (called)",
        |d| {
            join(
                &mut d.db,
                &d.clock,
                &mut pat,
                &input(g[0].id, "other", Priority::Routine, None),
            )
        },
    );
    assert_eq!(first.number, "N-001", "set up");
    let fits = "n".repeat(MAX_DESK_NOTE_CHARS);
    let second = join(
        &mut d.db,
        &d.clock,
        &mut pat,
        &input(other, "other", Priority::Routine, Some(&fits)),
    )
    .expect("exactly 200 fits");
    assert_eq!(
        second.line.number, "N-002",
        "refused joins used up no number"
    );
    moved(&mut d, &mut pat, second.line.id, QueueState::Cancelled);
    let blank = join(
        &mut d.db,
        &d.clock,
        &mut pat,
        &input(other, "other", Priority::Routine, Some("   ")),
    )
    .expect("rejoined after a cancel");
    let blank = full(&mut d, blank);
    assert_eq!(blank.note, None, "a blank note is no note");
    assert_eq!(blank.number, "N-003", "a new number for the new place");
}

// 10. Check-out and close-out.

#[test]
fn leaving_the_building_or_closing_the_day_settles_the_queue() {
    let (mut d, mut pat, mut nina, g) = morning(4);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let seeing = joined(&mut d, &mut pat, g[0].id, Priority::Urgent).id;
    let called_entry = joined(&mut d, &mut pat, g[1].id, Priority::Urgent).id;
    let waiting = joined(&mut d, &mut pat, g[2].id, Priority::Routine).id;
    let still_waiting = joined(&mut d, &mut pat, g[3].id, Priority::Routine).id;
    called(&mut d, &mut nina, 1);
    moved(&mut d, &mut nina, seeing, QueueState::InService);
    called(&mut d, &mut nina, 2);

    d.clock.advance(Duration::minutes(5));
    check_out(&mut d, &mut pat, &g[2]);
    assert_eq!(state_of(&d, waiting), "left", "a waiting guest who leaves");
    assert_eq!(
        steps(&d, waiting).last(),
        Some(&step(Some("waiting"), "left", &pat, d.clock.now(), None)),
        "stamped with who checked them out, and when"
    );
    check_out(&mut d, &mut pat, &g[1]);
    assert_eq!(
        state_of(&d, called_entry),
        "left",
        "a called guest who leaves"
    );
    let view = nurse_view(&mut d.db, &d.clock, &mut nina).expect("view");
    assert_eq!(
        view.stations[1].serving, None,
        "Station 2 is free once its guest has gone"
    );

    d.clock.advance(Duration::minutes(5));
    let err = visits::close_day(&mut d.db, &d.clock, &mut pat).expect_err("not the desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    visits::close_day(&mut d.db, &d.clock, &mut sam).expect("closed");
    assert_eq!(
        [state_of(&d, seeing), state_of(&d, still_waiting)],
        ["done".to_string(), "left".to_string()],
        "at close-out the one being seen is done and the one waiting left"
    );
    assert_eq!(
        steps(&d, seeing).last(),
        Some(&step(
            Some("in_service"),
            "done",
            &sam,
            d.clock.now(),
            Some(1)
        )),
        "stamped by the supervisor who closed"
    );
    assert_eq!(
        steps(&d, still_waiting).last(),
        Some(&step(Some("waiting"), "left", &sam, d.clock.now(), None)),
        "stamped by the supervisor who closed"
    );
    let view = nurse_view(&mut d.db, &d.clock, &mut nina).expect("view");
    assert!(
        view.waiting.is_empty() && view.active.is_empty(),
        "nobody is left in the queue"
    );
    assert!(
        view.stations.iter().all(|s| s.serving.is_none()),
        "every station is free"
    );
    let counts = day_counts(&mut d.db, &d.clock, &mut sam, TODAY).expect("counts");
    assert_eq!(
        (
            counts.all.joined,
            counts.all.seen,
            counts.all.left_without_being_seen
        ),
        (4, 1, 3),
        "one seen, three left without being seen"
    );
}

// 11. Incidents.

#[test]
fn incidents_are_recorded_with_their_time_doses_and_guest_and_counted() {
    let (mut d, _, mut nina, g) = morning(1);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let now = incidents::record(
        &mut d.db,
        &d.clock,
        &mut nina,
        &incident(IncidentKind::Overdose, None, "", false),
    )
    .expect("with defaults");
    assert_eq!(
        (
            now.occurred_local.as_str(),
            now.naloxone_doses,
            now.ems_called,
            now.guest_code.as_deref(),
            now.recorded_by.as_str()
        ),
        ("09:00", 0, false, None, "Person nina"),
        "no time is now; no doses is zero"
    );
    let earlier = incidents::record(
        &mut d.db,
        &d.clock,
        &mut sam,
        &IncidentInput {
            outcome: IncidentOutcome::Transported,
            note: Some("Fell on the stairs".into()),
            ..incident(IncidentKind::Medical, Some(" 08:15 "), "2", true)
        },
    )
    .expect("earlier today");
    assert_eq!(earlier.occurred_local, "08:15", "the time typed, local");
    assert_eq!(
        rows(
            &d,
            &format!(
                "SELECT occurred_at, service_date FROM incidents WHERE id = {}",
                earlier.id
            )
        ),
        ["Text(\"2026-11-28T13:15:00.000000Z\")|Text(\"2026-11-28\")"],
        "08:15 in Boston is stored as 13:15 UTC on today's date"
    );
    let code = g[0].code.clone();
    let with_guest = incidents::record(
        &mut d.db,
        &d.clock,
        &mut nina,
        &IncidentInput {
            guest_code: Some(code.replace('-', "").to_lowercase()),
            ..incident(IncidentKind::Overdose, Some("09:00"), "20", true)
        },
    )
    .expect("a known guest, typed loosely");
    assert_eq!(
        with_guest.guest_code.as_deref(),
        Some(code.as_str()),
        "linked to the guest"
    );
    assert_eq!(
        audited(&d, &format!("guest:{}", code.replace('-', "")))
            .into_iter()
            .filter(|(_, action, _)| action == "incident.record")
            .count(),
        1,
        "the guest's incident is audited under the guest"
    );

    let mut unknown = guests::code::generate();
    while unknown == code.replace('-', "") {
        unknown = guests::code::generate();
    }
    let cases: Vec<(&str, IncidentInput, &str)> = vec![
        (
            "a time still to come",
            incident(IncidentKind::Overdose, Some("09:01"), "1", false),
            "still to come",
        ),
        (
            "a time in words",
            incident(IncidentKind::Overdose, Some("7 pm"), "1", false),
            "not a time",
        ),
        (
            "an hour that does not exist",
            incident(IncidentKind::Overdose, Some("25:00"), "1", false),
            "not a time",
        ),
        (
            "SQL for a time",
            incident(
                IncidentKind::Overdose,
                Some("'; DROP TABLE incidents; --"),
                "1",
                false,
            ),
            "not a time",
        ),
        (
            "minus one dose",
            incident(IncidentKind::Overdose, None, "-1", false),
            "naloxone doses",
        ),
        (
            "21 doses",
            incident(IncidentKind::Overdose, None, "21", false),
            "from 0 to 20",
        ),
        (
            "doses in words",
            incident(IncidentKind::Overdose, None, "two", false),
            "naloxone doses",
        ),
        (
            "half a dose",
            incident(IncidentKind::Overdose, None, "1.5", false),
            "naloxone doses",
        ),
        (
            "an unknown guest code",
            IncidentInput {
                guest_code: Some(guests::code::display(&unknown)),
                ..incident(IncidentKind::Overdose, None, "1", false)
            },
            "no guest has the code",
        ),
        (
            "a mistyped guest code",
            IncidentInput {
                guest_code: Some("K0M-4QX".into()),
                ..incident(IncidentKind::Overdose, None, "1", false)
            },
            "guest code",
        ),
        (
            "a note over 500 characters",
            IncidentInput {
                note: Some("n".repeat(501)),
                ..incident(IncidentKind::Overdose, None, "1", false)
            },
            "at most 500",
        ),
    ];
    for (what, typed, says) in cases {
        refused(&mut d, what, ErrorCode::InvalidInput, says, |d| {
            incidents::record(&mut d.db, &d.clock, &mut nina, &typed)
        });
    }
    let listed = incidents::today(&mut d.db, &d.clock, &mut nina).expect("today");
    assert_eq!(
        listed.iter().map(|i| i.id).collect::<Vec<_>>(),
        [with_guest.id, now.id, earlier.id],
        "the latest first"
    );
    let counts = day_counts(&mut d.db, &d.clock, &mut sam, TODAY).expect("counts");
    assert_eq!(
        counts.incidents,
        IncidentCounts {
            incidents: 3,
            overdoses: 2,
            naloxone_doses: 22,
            ems_called: 2,
        },
        "three incidents, two overdoses, 0 + 2 + 20 doses, EMS twice"
    );
    let other_day = day_counts(&mut d.db, &d.clock, &mut sam, "2026-11-27").expect("counts");
    assert_eq!(other_day.incidents.incidents, 0, "counted on their own day");
}

// 12. Counts.

fn figures_of(
    group: &str,
    joined: u32,
    seen: u32,
    left: u32,
    cancelled: u32,
    median: Option<i64>,
    p90: Option<i64>,
) -> WaitFigures {
    WaitFigures {
        group: group.into(),
        joined,
        seen,
        left_without_being_seen: left,
        cancelled,
        median_wait_minutes: median,
        p90_wait_minutes: p90,
    }
}

#[test]
fn day_counts_give_seen_left_and_nearest_rank_waits_by_reason_and_priority() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut nina = d.person("nina", &[Role::Nurse]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let names = ["A", "B", "C", "D", "E", "F", "G", "H", "I"];
    let g: Vec<i64> = names.iter().map(|n| d.arrive(&mut pat, n).id).collect();
    let join_as = |d: &mut Desk, pat: &mut Session, i: usize, reason: &str, priority| {
        joined_for(d, pat, g[i], reason, priority).id
    };
    // 09:00:00
    let a = join_as(&mut d, &mut pat, 0, "wound_care", Priority::Routine);
    let b = join_as(&mut d, &mut pat, 1, "medication", Priority::Urgent);
    d.clock.advance(Duration::minutes(4));
    assert_eq!(serve(&mut d, &mut nina, 1).id, b, "09:04 B, waited 4:00");
    d.clock.advance(Duration::seconds(6 * 60 + 29));
    assert_eq!(
        serve(&mut d, &mut nina, 1).id,
        a,
        "09:10:29 A, waited 10:29"
    );
    d.clock.advance(Duration::seconds(31));
    // 09:11:00
    let c = join_as(&mut d, &mut pat, 2, "wound_care", Priority::Routine);
    let dd = join_as(&mut d, &mut pat, 3, "testing", Priority::Routine);
    let e = join_as(&mut d, &mut pat, 4, "wound_care", Priority::Urgent);
    let f = join_as(&mut d, &mut pat, 5, "general_health", Priority::Routine);
    d.clock.advance(Duration::seconds(150));
    assert_eq!(serve(&mut d, &mut nina, 1).id, e, "09:13:30 E, waited 2:30");
    d.clock.advance(Duration::seconds(17 * 60 + 30));
    assert_eq!(serve(&mut d, &mut nina, 1).id, c, "09:31 C, waited 20:00");
    moved(&mut d, &mut nina, dd, QueueState::Left);
    moved(&mut d, &mut pat, f, QueueState::Cancelled);
    d.clock.advance(Duration::minutes(9));
    // 09:40
    let g_entry = join_as(&mut d, &mut pat, 6, "medication", Priority::Routine);
    assert_eq!(serve(&mut d, &mut nina, 1).id, g_entry, "09:40 G, waited 0");
    let h = join_as(&mut d, &mut pat, 7, "other", Priority::Routine);
    d.clock.advance(Duration::minutes(10));
    // 09:50: H called after 10:00 but never came; I still waits.
    assert_eq!(called(&mut d, &mut nina, 1).id, h, "09:50 H");
    moved(&mut d, &mut nina, h, QueueState::Left);
    join_as(&mut d, &mut pat, 8, "general_health", Priority::Routine);

    let counts = day_counts(&mut d.db, &d.clock, &mut sam, TODAY).expect("counts");
    // Seen waits, in seconds: G 0, E 150, B 240, A 629, C 1200.
    // Median: rank ceil(5 * 0.5) = 3 -> 240 s = 4 min; p90: rank ceil(4.5) = 5 -> 20 min.
    assert_eq!(
        counts.all,
        figures_of("all", 9, 5, 2, 1, Some(4), Some(20)),
        "nine joined, five seen, D and H left, F cancelled, I still waiting"
    );
    assert_eq!(
        counts.by_priority,
        [
            // [150, 240]: median rank 1 -> 150 s = 2.5 min, rounded to 3; p90 rank 2 -> 4.
            figures_of("urgent", 2, 2, 0, 0, Some(3), Some(4)),
            // [0, 629, 1200]: median rank 2 -> 10:29, rounded to 10; p90 rank 3 -> 20.
            figures_of("routine", 7, 3, 2, 1, Some(10), Some(20)),
        ],
        "by priority"
    );
    assert_eq!(
        counts.by_reason,
        [
            figures_of("wound_care", 3, 3, 0, 0, Some(10), Some(20)),
            // [0, 240]: the nearest rank is a real wait (0), not the 2-minute midpoint.
            figures_of("medication", 2, 2, 0, 0, Some(0), Some(4)),
            figures_of("testing", 1, 0, 1, 0, None, None),
            figures_of("overdose_follow_up", 0, 0, 0, 0, None, None),
            figures_of("general_health", 2, 0, 0, 1, None, None),
            figures_of("other", 1, 0, 1, 0, None, None),
        ],
        "by reason, in the list's order, with no waits where nobody was seen"
    );
    let empty = day_counts(&mut d.db, &d.clock, &mut sam, "2026-11-27").expect("counts");
    assert_eq!(
        empty.all,
        figures_of("all", 0, 0, 0, 0, None, None),
        "another day has its own (empty) counts"
    );
    let err = day_counts(&mut d.db, &d.clock, &mut sam, "yesterday").expect_err("not a date");
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
}

#[test]
fn nearest_rank_takes_the_value_at_the_rounded_up_rank() {
    assert_eq!(nearest_rank(&[], 50), None, "no values, no percentile");
    assert_eq!(
        nearest_rank(&[7], 50),
        Some(7),
        "one value is every percentile"
    );
    assert_eq!(
        nearest_rank(&[7], 90),
        Some(7),
        "one value is every percentile"
    );
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(nearest_rank(&ten, 50), Some(5), "rank 5 of 10");
    assert_eq!(nearest_rank(&ten, 90), Some(9), "rank 9 of 10");
    assert_eq!(nearest_rank(&ten, 91), Some(10), "rank 9.1 rounds up to 10");
    assert_eq!(nearest_rank(&ten, 100), Some(10), "the largest");
    assert_eq!(
        nearest_rank(&ten, 0),
        Some(1),
        "rank 0 is taken as the first"
    );
    let four = [10, 20, 30, 40];
    assert_eq!(
        nearest_rank(&four, 50),
        Some(20),
        "rank 2 of 4, no averaging"
    );
    assert_eq!(nearest_rank(&four, 90), Some(40), "rank 3.6 rounds up to 4");
    let twenty: Vec<i64> = (1..=20).collect();
    assert_eq!(nearest_rank(&twenty, 90), Some(18), "rank 18 of 20");
    assert_eq!(nearest_rank(&twenty, 50), Some(10), "rank 10 of 20");
}

// 13. Merging guests.

#[test]
fn merging_a_duplicate_moves_its_queue_entries_and_its_notes_follow() {
    let (mut d, mut pat, mut nina, g) = morning(2);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let (keep, duplicate) = (&g[0], &g[1]);
    let old = joined(&mut d, &mut pat, duplicate.id, Priority::Routine).id;
    called(&mut d, &mut nina, 1);
    moved(&mut d, &mut nina, old, QueueState::InService);
    change(
        &mut d.db,
        &d.clock,
        &mut nina,
        old,
        QueueState::Done,
        Some("Tested for HCV; results next week."),
    )
    .expect("done with a note");
    check_out(&mut d, &mut pat, duplicate);
    visits::merge_guests(&mut d.db, &d.clock, &mut sam, &keep.code, &duplicate.code)
        .expect("merged");
    assert_eq!(
        d.count(&format!(
            "SELECT count(*) FROM queue_entries WHERE guest_id = {}",
            keep.id
        )),
        1,
        "the duplicate's queue entry now belongs to the kept record"
    );
    assert_eq!(
        d.count(&format!(
            "SELECT count(*) FROM queue_entries WHERE guest_id = {}",
            duplicate.id
        )),
        0,
        "nothing is left on the duplicate"
    );
    let new = joined(&mut d, &mut pat, keep.id, Priority::Routine);
    assert_eq!(new.number, "N-002", "the kept guest queues again today");
    called(&mut d, &mut nina, 1);
    moved(&mut d, &mut nina, new.id, QueueState::InService);
    let notes = read_notes(&mut d.db, &d.clock, &mut nina, new.id).expect("read");
    assert_eq!(
        notes
            .iter()
            .map(|n| (n.encounter.as_str(), n.body.as_str()))
            .collect::<Vec<_>>(),
        [("N-001 on 2026-11-28", "Tested for HCV; results next week.")],
        "the duplicate's note is read from the kept guest's encounter"
    );
    let fix = add_note(
        &mut d.db,
        &d.clock,
        &mut nina,
        new.id,
        "Results in ten days, not next week.",
        Some(notes[0].id),
    )
    .expect("the merged note is the same guest's and can be corrected");
    let notes = read_notes(&mut d.db, &d.clock, &mut sam, old).expect("read");
    assert_eq!(
        notes
            .iter()
            .map(|n| (n.id, n.corrected))
            .collect::<Vec<_>>(),
        [(notes[0].id, true), (fix.id, false)],
        "both encounters' notes, from either entry"
    );
}
