//! Story: a morning at the nurse station on a real database file. The desk queues three
//! guests, two nurses at two stations call, see and note; one guest leaves before being
//! called; an overdose is recorded; a mistaken call is undone; the app restarts; the
//! supervisor reads the notes (audited), closes the day, and the counts add up.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use engagement_desk_core::audit;
use engagement_desk_core::auth::{self, Role};
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::guests::NewGuest;
use engagement_desk_core::queue::incidents::{self, IncidentInput, IncidentKind, IncidentOutcome};
use engagement_desk_core::queue::{self, JoinInput, Priority, QueueState};
use engagement_desk_core::visits;
use engagement_desk_core::ErrorCode;
use engagement_desk_tests::{story_staff, TempDb, STORY_PASSWORD};

fn join(reason: &str, priority: Priority, guest_id: i64) -> JoinInput {
    JoinInput {
        guest_id,
        reason: reason.into(),
        priority,
        note: None,
    }
}

#[test]
fn a_morning_at_the_nurse_station() {
    let db = TempDb::new();
    // Monday 30 November 2026, 09:00 in Boston.
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap());
    let mut database = Database::open(&db.path).expect("first start");
    story_staff(
        &mut database,
        &clock,
        &[
            ("pat", Role::FrontDesk),
            ("nina", Role::Nurse),
            ("noor", Role::Nurse),
            ("sam", Role::Supervisor),
        ],
    );
    let mut pat = auth::login(&mut database, &clock, "pat", STORY_PASSWORD).expect("pat");
    let mut nina = auth::login(&mut database, &clock, "nina", STORY_PASSWORD).expect("nina");
    let mut noor = auth::login(&mut database, &clock, "noor", STORY_PASSWORD).expect("noor");
    let mut guests = Vec::new();
    for name in ["Ana", "Ben", "Cy"] {
        let new = NewGuest {
            nickname: Some(name.into()),
            ..Default::default()
        };
        guests.push(
            visits::register_and_check_in(&mut database, &clock, &mut pat, &new, false)
                .expect("in")
                .guest
                .id,
        );
    }

    // 09:00 Ana (wound care), 09:05 Ben (medication), 09:10 Cy (overdose follow-up, urgent).
    let ana = queue::join(
        &mut database,
        &clock,
        &mut pat,
        &join("wound_care", Priority::Routine, guests[0]),
    )
    .expect("Ana queued");
    assert_eq!(ana.line.number, "N-001", "the day's first number");
    assert_eq!(
        ana.entry, None,
        "the front desk's answer is its own line, nothing clinical"
    );
    clock.advance(Duration::minutes(5));
    queue::join(
        &mut database,
        &clock,
        &mut pat,
        &join("medication", Priority::Routine, guests[1]),
    )
    .expect("Ben queued");
    clock.advance(Duration::minutes(5));
    let cy = queue::join(
        &mut database,
        &clock,
        &mut pat,
        &join("overdose_follow_up", Priority::Urgent, guests[2]),
    )
    .expect("Cy queued");
    assert_eq!(cy.line.number, "N-003", "numbers count up through the day");

    // 09:12 both stations call at once: Cy (urgent) to Station 1, Ana (first routine) to 2.
    clock.advance(Duration::minutes(2));
    let first = queue::call_next(&mut database, &clock, &mut nina, 1).expect("Station 1 calls");
    let second = queue::call_next(&mut database, &clock, &mut noor, 2).expect("Station 2 calls");
    assert_eq!(
        (first.number.as_str(), second.number.as_str()),
        ("N-003", "N-001"),
        "urgent first, then the earliest routine"
    );
    // Noor called by mistake (Ana was in the bathroom): undo, Ana waits again in her place.
    let back = queue::undo_last(&mut database, &clock, &mut noor, second.id).expect("undone");
    assert_eq!(
        back.line.state,
        QueueState::Waiting,
        "an undone call waits again"
    );
    let again = queue::call_next(&mut database, &clock, &mut noor, 2).expect("called again");
    assert_eq!(again.number, "N-001", "Ana keeps her place after the undo");

    // Both are seen; notes written on finishing.
    for (nurse, entry, note) in [
        (
            &mut nina,
            &first,
            "Follow-up after Saturday's overdose; naloxone kit given.",
        ),
        (&mut noor, &again, "Left heel wound cleaned and dressed."),
    ] {
        queue::change(
            &mut database,
            &clock,
            nurse,
            entry.id,
            QueueState::InService,
            None,
        )
        .expect("start");
        clock.advance(Duration::minutes(10));
        queue::change(
            &mut database,
            &clock,
            nurse,
            entry.id,
            QueueState::Done,
            Some(note),
        )
        .expect("finish with a note");
    }

    // Ben leaves before being called: checking him out ends his place in the queue.
    let ben_visit = visits::desk_today(&mut database, &clock, &mut pat)
        .expect("today")
        .inside
        .into_iter()
        .find(|g| g.guest_id == guests[1])
        .expect("Ben inside")
        .visit_id;
    visits::check_out(&mut database, &clock, &mut pat, ben_visit).expect("Ben leaves");
    let empty = queue::call_next(&mut database, &clock, &mut nina, 1).expect_err("empty");
    assert_eq!(empty.code, ErrorCode::Conflict, "{}", empty.message);

    // An overdose in the bathroom at 09:30: two doses, EMS called, transport refused.
    incidents::record(
        &mut database,
        &clock,
        &mut nina,
        &IncidentInput {
            kind: IncidentKind::Overdose,
            occurred: Some("09:30".into()),
            naloxone_doses: "2".into(),
            ems_called: true,
            outcome: IncidentOutcome::RefusedTransport,
            guest_code: None,
            note: None,
        },
    )
    .expect("incident");
    drop(database);

    // A restart; the supervisor reads Cy's notes (audited), closes the day, counts.
    let mut database = Database::open(&db.path).expect("restart");
    let mut sam = auth::login(&mut database, &clock, "sam", STORY_PASSWORD).expect("sam");
    let notes = queue::read_notes(&mut database, &clock, &mut sam, first.id).expect("notes");
    assert_eq!(notes.len(), 1, "Cy's one note");
    assert!(notes[0].body.contains("naloxone kit"), "{:?}", notes[0]);
    let mut pat = auth::login(&mut database, &clock, "pat", STORY_PASSWORD).expect("pat again");
    let refused = queue::read_notes(&mut database, &clock, &mut pat, first.id).expect_err("no");
    assert_eq!(
        refused.code,
        ErrorCode::PermissionDenied,
        "the desk never reads notes"
    );
    visits::close_day(&mut database, &clock, &mut sam).expect("closed");
    let counts = queue::day_counts(&mut database, &clock, &mut sam, "2026-11-30").expect("counts");
    assert_eq!(
        (
            counts.all.joined,
            counts.all.seen,
            counts.all.left_without_being_seen
        ),
        (3, 2, 1),
        "three queued, two seen, Ben left"
    );
    // Waits to the call that stuck: Cy 2 minutes, Ana 12 minutes (the undone call at 09:12
    // does not count; she was called again at once).
    assert_eq!(
        (counts.all.median_wait_minutes, counts.all.p90_wait_minutes),
        (Some(2), Some(12)),
        "nearest-rank median and 90th percentile of 2 and 12 minutes"
    );
    let urgent = counts
        .by_priority
        .iter()
        .find(|f| f.group == "urgent")
        .expect("urgent");
    assert_eq!(
        (urgent.seen, urgent.median_wait_minutes),
        (1, Some(2)),
        "Cy"
    );
    let medication = counts
        .by_reason
        .iter()
        .find(|f| f.group == "medication")
        .expect("medication");
    assert_eq!(medication.left_without_being_seen, 1, "Ben");
    assert_eq!(
        (
            counts.incidents.overdoses,
            counts.incidents.naloxone_doses,
            counts.incidents.ems_called
        ),
        (1, 2, 1),
        "one overdose, two doses, EMS called"
    );

    // Every read and write of a note is in the audit log, and the chain holds.
    let conn = rusqlite::Connection::open(&db.path).expect("raw");
    let note_entries: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action IN ('clinical_note.write', 'clinical_note.read')",
            [],
            |row| row.get(0),
        )
        .expect("count");
    assert_eq!(note_entries, 3, "two notes written and one read");
    drop(conn);
    let report = audit::verify(&database).expect("verify");
    assert!(
        report.first_broken.is_none(),
        "the audit chain is intact: {report:?}"
    );
}
