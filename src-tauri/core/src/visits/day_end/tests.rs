//! A day nobody closed out: what the next service day settles, the list of days left open
//! and their late close-out, and the closing time.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;

use super::*;
use crate::auth::Role;
use crate::guests::tests::{desk_at, Desk, PASSWORD};
use crate::queue::{self, JoinInput, Priority};
use crate::reports::tests::report_of;
use crate::reports::DayStatus;
use crate::schedule::{self, BookingTarget};
use crate::visits;

fn local(date: &str, hhmm: &str) -> DateTime<Utc> {
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a date");
    let time = NaiveTime::parse_from_str(hhmm, "%H:%M").expect("a time");
    days::local_instant(New_York, date, time)
}

fn move_to(d: &Desk, at: DateTime<Utc>) {
    let now = d.clock.now();
    assert!(at >= now, "the story only moves forward");
    d.clock.advance(at - now);
}

fn log_in(d: &mut Desk, username: &str) -> Session {
    auth::login(&mut d.db, &d.clock, username, PASSWORD).expect("logs in")
}

fn count(d: &Desk, sql: &str) -> i64 {
    d.count(sql)
}

/// Monday 30 November 2026 in Boston: three guests in, one leaves, one books a shower and
/// one joins the nurse queue; nobody closes out. Returns the desk, pat and sam.
fn monday_left_open() -> (Desk, Session, Session) {
    let mut d = desk_at(local("2026-11-30", "09:00"));
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let sam = d.person("sam", &[Role::Supervisor]);
    let ada = d.arrive(&mut pat, "Ada");
    let bo = d.arrive(&mut pat, "Bo");
    let cy = d.arrive(&mut pat, "Cy");
    visits::check_out(
        &mut d.db,
        &d.clock,
        &mut pat,
        ada.open_visit_id.expect("in"),
    )
    .expect("Ada leaves");
    schedule::book(
        &mut d.db,
        &d.clock,
        &mut pat,
        bo.id,
        &BookingTarget::NextFree {
            kind: "shower".into(),
        },
    )
    .expect("Bo books a shower");
    queue::join(
        &mut d.db,
        &d.clock,
        &mut pat,
        &JoinInput {
            guest_id: cy.id,
            reason: "general_health".into(),
            priority: Priority::Routine,
            note: None,
        },
    )
    .expect("Cy joins the queue");
    (d, pat, sam)
}

#[test]
fn the_next_service_day_starts_with_nobody_inside_and_settles_what_was_left_open() {
    let (mut d, _, _) = monday_left_open();
    assert_eq!(
        count(
            &d,
            "SELECT count(*) FROM visits WHERE checked_out_at IS NULL"
        ),
        2
    );

    // Tuesday 08:30: the first read of the day.
    move_to(&d, local("2026-12-01", "08:30"));
    let mut pat = log_in(&mut d, "pat");
    let desk = visits::desk_today(&mut d.db, &d.clock, &mut pat).expect("the desk");
    assert_eq!(
        desk.occupancy.inside, 0,
        "yesterday's guests are not inside today"
    );
    assert!(desk.inside.is_empty(), "nobody is listed inside");
    assert_eq!(
        (desk.visits_today, desk.guests_today),
        (0, 0),
        "nothing yet today"
    );

    let settled_at: Vec<String> = {
        let mut statement = d
            .db
            .conn()
            .prepare("SELECT checked_out_at FROM visits WHERE settled_at_day_end = 1 ORDER BY id")
            .expect("query");
        statement
            .query_map([], |row| row.get(0))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    assert_eq!(
        settled_at,
        vec![days::stamp(local("2026-11-30", "17:00")); 2],
        "Bo and Cy are checked out at Monday's closing time, marked settled"
    );
    assert_eq!(
        count(&d, "SELECT count(*) FROM visits WHERE settled_at_day_end = 1 AND checked_out_by IS NOT NULL"),
        0,
        "no person checked them out"
    );
    assert_eq!(
        count(
            &d,
            "SELECT count(*) FROM bookings WHERE state IN ('booked', 'in_use')"
        ),
        0,
        "Bo's booking is settled"
    );
    assert_eq!(
        count(
            &d,
            "SELECT count(*) FROM queue_entries WHERE state = 'left'"
        ),
        1,
        "Cy left the queue without being seen"
    );
    let detail: String =
        d.db.conn()
            .query_row(
                "SELECT detail FROM audit_log WHERE action = 'day.settle' AND actor = 'system'
               AND object = '2026-11-30'",
                [],
                |row| row.get(0),
            )
            .expect("the settlement is audited as a system action");
    assert_eq!(detail, "visits=2 bookings=1 waitlist=0 queue=1 at=17:00");
    let report = crate::audit::verify(&d.db).expect("verify");
    assert_eq!(report.first_broken, None, "no gap in the audit chain");

    // A second look settles nothing more and writes nothing.
    let entries = count(&d, "SELECT count(*) FROM audit_log");
    assert!(settle_earlier_days(&mut d.db, &d.clock)
        .expect("again")
        .is_empty());
    assert_eq!(
        count(&d, "SELECT count(*) FROM audit_log"),
        entries,
        "nothing to settle twice"
    );
}

#[test]
fn the_capacity_check_counts_only_todays_stays() {
    let (mut d, mut pat, mut sam) = monday_left_open();
    visits::set_capacity(&mut d.db, &d.clock, &mut sam, "2").expect("capacity 2");
    let refused = visits::register_and_check_in(
        &mut d.db,
        &d.clock,
        &mut pat,
        &crate::guests::NewGuest::default(),
        false,
    )
    .expect_err("Monday is full with Bo and Cy");
    assert_eq!(
        refused.code,
        ErrorCode::CapacityReached,
        "{}",
        refused.message
    );

    move_to(&d, local("2026-12-01", "09:00"));
    let mut pat = log_in(&mut d, "pat");
    for nickname in ["Di", "Ed"] {
        d.arrive(&mut pat, nickname);
    }
    let desk = visits::desk_today(&mut d.db, &d.clock, &mut pat).expect("the desk");
    assert_eq!(
        desk.occupancy.inside, 2,
        "only Tuesday's two count against the capacity"
    );
}

#[test]
fn a_supervisor_sees_the_days_left_open_and_closes_one_late() {
    let (mut d, _, _) = monday_left_open();
    move_to(&d, local("2026-12-02", "10:00"));
    let mut sam = log_in(&mut d, "sam");
    let mut pat = log_in(&mut d, "pat");
    d.arrive(&mut pat, "Wednesday guest");

    let refused = days_left_open(&mut d.db, &d.clock, &mut pat).expect_err("front desk");
    assert_eq!(
        refused.code,
        ErrorCode::PermissionDenied,
        "{}",
        refused.message
    );
    assert!(
        !refused.message.contains("2026-11-30"),
        "no day leaks: {}",
        refused.message
    );

    let open = days_left_open(&mut d.db, &d.clock, &mut sam).expect("the list");
    assert_eq!(
        open.total, 1,
        "Monday only: Tuesday had nobody, today is not over"
    );
    assert_eq!(
        open.days,
        vec![OpenDay {
            service_date: "2026-11-30".into(),
            visits: 3,
            guests: 3,
            tallies: 0,
            settled_at_day_end: 2,
        }],
        "Monday with its counts"
    );
    assert_eq!(open.closing_time, "17:00");
    let monday = report_of(&mut d, &mut sam, "2026-11-30", "2026-12-01");
    assert_eq!(
        monday.days[0].status,
        DayStatus::LeftOpen,
        "the report marks it"
    );
    assert_eq!(
        monday.days[0].settled_at_day_end, 2,
        "and says how many were settled"
    );
    assert_eq!(monday.days[0].visits, 3, "settled visits are visits");
    assert_eq!(
        monday.days[1].status,
        DayStatus::Provisional,
        "an empty day is not left open"
    );

    for (typed, code) in [
        ("", ErrorCode::InvalidInput),
        ("2026-13-01", ErrorCode::InvalidInput),
        ("'; DROP TABLE day_closures; --", ErrorCode::InvalidInput),
        ("2026-12-02", ErrorCode::InvalidInput),
        ("2027-01-01", ErrorCode::InvalidInput),
        ("2026-12-01", ErrorCode::Conflict),
    ] {
        let err = close_earlier_day(&mut d.db, &d.clock, &mut sam, typed).expect_err(typed);
        assert_eq!(err.code, code, "{typed:?}: {}", err.message);
        assert_eq!(
            count(&d, "SELECT count(*) FROM day_closures"),
            0,
            "{typed:?} closes nothing"
        );
    }
    let refused =
        close_earlier_day(&mut d.db, &d.clock, &mut pat, "2026-11-30").expect_err("front desk");
    assert_eq!(refused.code, ErrorCode::PermissionDenied);

    let closed =
        close_earlier_day(&mut d.db, &d.clock, &mut sam, "2026-11-30").expect("closed late");
    assert!(closed.closed_late, "flagged closed late");
    assert_eq!(
        (
            closed.visits,
            closed.guests,
            closed.new_guests,
            closed.checked_out_at_close
        ),
        (3, 3, 3, 2),
        "counts frozen as on a normal close-out; the settled ones were still inside at close"
    );
    assert_eq!(closed.closed_by, "sam");
    let again = close_earlier_day(&mut d.db, &d.clock, &mut sam, "2026-11-30").expect_err("twice");
    assert_eq!(again.code, ErrorCode::Conflict, "{}", again.message);
    assert_eq!(
        days_left_open(&mut d.db, &d.clock, &mut sam)
            .expect("list")
            .total,
        0
    );
    let report = report_of(&mut d, &mut sam, "2026-11-30", "2026-11-30");
    assert_eq!(
        report.days[0].status,
        DayStatus::ClosedLate,
        "final, closed late"
    );
    assert_eq!(
        count(
            &d,
            "SELECT count(*) FROM audit_log WHERE action = 'day.close' AND detail LIKE '% late'"
        ),
        1,
        "the late close-out is audited"
    );

    // Today's close-out is the normal one, not flagged.
    let today = close_day(&mut d.db, &d.clock, &mut sam).expect("today");
    assert!(!today.closed_late, "closed on its own day");
}

#[test]
fn settlement_uses_the_closing_time_on_both_dst_days() {
    for (day, next, closes) in [
        ("2026-03-08", "2026-03-09", "18:30"),
        ("2026-11-01", "2026-11-02", "18:30"),
        ("2026-03-08", "2026-03-09", "02:30"),
    ] {
        let mut d = desk_at(local(day, "00:30"));
        let mut sam = d.person("sam", &[Role::Supervisor]);
        let mut pat = d.person("pat", &[Role::FrontDesk]);
        set_closing_time(&mut d.db, &d.clock, &mut sam, closes).expect("closing time");
        d.arrive(&mut pat, "Early");
        move_to(&d, local(next, "09:00"));
        let mut pat = log_in(&mut d, "pat");
        visits::desk_today(&mut d.db, &d.clock, &mut pat).expect("the desk");
        let out: String =
            d.db.conn()
                .query_row("SELECT checked_out_at FROM visits", [], |row| row.get(0))
                .expect("settled");
        assert_eq!(
            out,
            days::stamp(local(day, closes)),
            "{day}: settled at {closes} on the center's clock"
        );
    }
    // 02:30 does not exist on 8 March in Boston: the first minute that does is 03:00 EDT.
    assert_eq!(
        local("2026-03-08", "02:30"),
        Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap()
    );
}

#[test]
fn supervisors_set_the_closing_time_and_bad_times_change_nothing() {
    let mut d = desk_at(local("2026-11-30", "09:00"));
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    assert_eq!(closing_time_text(&d.db), "17:00", "the default");
    for typed in [
        "",
        "25:00",
        "5pm",
        "18:3",
        "18:30:00",
        "'; DROP TABLE settings; --",
        "\u{202e}18:30",
    ] {
        let err = set_closing_time(&mut d.db, &d.clock, &mut sam, typed).expect_err(typed);
        assert_eq!(err.code, ErrorCode::InvalidInput, "{typed:?}");
        assert!(err.message.starts_with("closing time:"), "{}", err.message);
        assert_eq!(
            closing_time_text(&d.db),
            "17:00",
            "{typed:?} changes nothing"
        );
    }
    let err = set_closing_time(&mut d.db, &d.clock, &mut pat, "18:30").expect_err("front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        set_closing_time(&mut d.db, &d.clock, &mut sam, " 18:30 ").expect("set"),
        "18:30"
    );
    assert_eq!(closing_time_text(&d.db), "18:30");
    assert_eq!(
        count(
            &d,
            "SELECT count(*) FROM audit_log WHERE action = 'settings.center_closing_time'"
        ),
        1,
        "the change is audited"
    );
}

#[test]
fn an_undone_registration_is_no_new_guest_in_the_close_out_or_the_report() {
    let mut d = desk_at(local("2026-11-30", "09:00"));
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    d.person("sam", &[Role::Supervisor]);
    d.arrive(&mut pat, "Stays");
    let mistake = visits::register_and_check_in(
        &mut d.db,
        &d.clock,
        &mut pat,
        &crate::guests::NewGuest {
            nickname: Some("Typo".into()),
            ..Default::default()
        },
        false,
    )
    .expect("registered");
    visits::undo_check_in(&mut d.db, &d.clock, &mut pat, mistake.visit_id).expect("undone");
    move_to(&d, local("2026-11-30", "17:00"));
    let mut sam_now = log_in(&mut d, "sam");
    let closed = close_day(&mut d.db, &d.clock, &mut sam_now).expect("closed");
    assert_eq!(
        (closed.visits, closed.guests, closed.new_guests),
        (1, 1, 1),
        "the undone registration has no visit, so it is no new guest"
    );
    // A late check-in after close-out that is undone is no correction either.
    let mut pat = log_in(&mut d, "pat");
    let late = visits::register_and_check_in(
        &mut d.db,
        &d.clock,
        &mut pat,
        &crate::guests::NewGuest::default(),
        false,
    )
    .expect("late");
    visits::undo_check_in(&mut d.db, &d.clock, &mut pat, late.visit_id).expect("undone");
    let panel = visits::desk_today(&mut d.db, &d.clock, &mut pat).expect("desk");
    let report = report_of(&mut d, &mut sam_now, "2026-11-30", "2026-11-30");
    let day = &report.days[0];
    assert_eq!(
        (day.visits, day.unique_guests, day.new_guests),
        (1, 1, 1),
        "the report agrees with the close-out"
    );
    assert_eq!(
        panel.closed.map(|c| c.corrections),
        Some(day.corrections_after_close),
        "the close-out panel and the report count corrections alike"
    );
    assert_eq!(
        day.corrections_after_close, 0,
        "an undone late check-in is no correction"
    );

    // The typo comes back on Tuesday: that is their first visit, so they are new then.
    move_to(&d, local("2026-12-01", "10:00"));
    let mut pat = log_in(&mut d, "pat");
    visits::check_in(&mut d.db, &d.clock, &mut pat, mistake.guest.id, false).expect("back");
    let mut sam = log_in(&mut d, "sam");
    let tuesday = report_of(&mut d, &mut sam, "2026-11-30", "2026-12-01");
    assert_eq!(
        (tuesday.days[0].new_guests, tuesday.days[1].new_guests),
        (1, 1),
        "new on the day of their first visit that was not undone"
    );
}
