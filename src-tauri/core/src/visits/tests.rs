use super::*;
use crate::auth::Role;
use crate::guests::tests::{desk, desk_at};
use chrono::TimeZone;

fn actions(d: &crate::guests::tests::Desk) -> Vec<String> {
    let mut statement =
        d.db.conn()
            .prepare("SELECT action FROM audit_log ORDER BY id")
            .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn a_guest_inside_cannot_be_checked_in_twice_and_leaves_from_the_list() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let guest = d.arrive(&mut pat, "Sunny");
    let err = check_in(&mut d.db, &d.clock, &mut pat, guest.id, false).expect_err("already inside");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    assert!(
        err.message.contains("already inside (checked in at 09:00)"),
        "{}",
        err.message
    );

    d.clock.advance(Duration::minutes(42));
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    assert_eq!(today.inside.len(), 1, "one guest inside");
    assert_eq!(today.inside[0].minutes_inside, 42, "time in the building");
    assert_eq!(today.occupancy.inside, 1, "occupancy counts them");

    check_out(&mut d.db, &d.clock, &mut pat, today.inside[0].visit_id).expect("checked out");
    let err =
        check_out(&mut d.db, &d.clock, &mut pat, today.inside[0].visit_id).expect_err("not inside");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    assert!(err.message.contains("not inside"), "{}", err.message);
    let err = check_out(&mut d.db, &d.clock, &mut pat, 999_999).expect_err("no such visit");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);

    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    assert!(today.inside.is_empty(), "nobody inside");
    assert_eq!(
        today.recent.first().map(|g| g.id),
        Some(guest.id),
        "the guest is among the recently seen"
    );
    assert_eq!(
        (today.visits_today, today.guests_today),
        (1, 1),
        "one visit today"
    );
    check_in(&mut d.db, &d.clock, &mut pat, guest.id, false).expect("back in after leaving");
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    assert_eq!(
        (today.visits_today, today.guests_today),
        (2, 1),
        "two visits, one guest"
    );
    assert!(
        today.recent.is_empty(),
        "someone inside is not offered as recent"
    );
    let log = actions(&d);
    assert!(
        log.contains(&"visit.check_in".to_string()) && log.contains(&"visit.check_out".to_string()),
        "{log:?}"
    );
}

#[test]
fn capacity_warns_at_ninety_percent_and_refuses_at_full_unless_a_supervisor_overrides() {
    let mut d = desk();
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    set_capacity(&mut d.db, &d.clock, &mut sam, "10").expect("capacity 10");
    for n in 0..8 {
        let checked = visits_arrive(&mut d, &mut pat, n);
        assert_eq!(
            checked.occupancy.level,
            OccupancyLevel::Normal,
            "{} of 10 is normal",
            n + 1
        );
    }
    let ninth = visits_arrive(&mut d, &mut pat, 8);
    assert_eq!(
        ninth.occupancy.level,
        OccupancyLevel::Warning,
        "9 of 10 is the 90 % warning"
    );
    let tenth = visits_arrive(&mut d, &mut pat, 9);
    assert_eq!(
        tenth.occupancy.level,
        OccupancyLevel::Full,
        "10 of 10 is full"
    );

    let new = NewGuest::default();
    let err = register_and_check_in(&mut d.db, &d.clock, &mut pat, &new, false).expect_err("full");
    assert_eq!(err.code, ErrorCode::CapacityReached, "{}", err.message);
    assert!(
        err.message.contains("full (10 of 10 inside)"),
        "{}",
        err.message
    );
    assert_eq!(
        d.count("SELECT count(*) FROM guests"),
        10,
        "the refused registration wrote nothing"
    );
    let err = register_and_check_in(&mut d.db, &d.clock, &mut pat, &new, true)
        .expect_err("front desk cannot override");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert!(
        actions(&d).contains(&"permission.refused".to_string()),
        "the refused override is audited"
    );

    let over = register_and_check_in(&mut d.db, &d.clock, &mut sam, &new, true)
        .expect("a supervisor overrides");
    assert!(over.over_capacity, "the check-in says it was over capacity");
    assert_eq!(over.occupancy.inside, 11, "11 inside");
    assert!(
        actions(&d).contains(&"visit.capacity_override".to_string()),
        "the override is audited"
    );
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    check_out(&mut d.db, &d.clock, &mut pat, today.inside[0].visit_id).expect("one leaves");
    check_out(&mut d.db, &d.clock, &mut pat, today.inside[1].visit_id).expect("another leaves");
    register_and_check_in(&mut d.db, &d.clock, &mut pat, &new, false)
        .expect("room again at 9 of 10");
}

fn visits_arrive(d: &mut crate::guests::tests::Desk, session: &mut Session, n: usize) -> CheckedIn {
    let new = NewGuest {
        nickname: Some(format!("guest {n}")),
        ..Default::default()
    };
    register_and_check_in(&mut d.db, &d.clock, session, &new, false).expect("checked in")
}

#[test]
fn capacity_is_set_by_supervisors_within_bounds() {
    let mut d = desk();
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    for bad in ["0", "", "-3", "2001", "lots", "1e3"] {
        let err = set_capacity(&mut d.db, &d.clock, &mut sam, bad).expect_err("out of bounds");
        assert!(
            err.message.starts_with("building capacity:"),
            "{bad:?}: {}",
            err.message
        );
    }
    assert_eq!(
        capacity(&d.db).expect("read"),
        DEFAULT_CAPACITY,
        "unchanged by refusals"
    );
    let err = set_capacity(&mut d.db, &d.clock, &mut pat, "80").expect_err("front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert_eq!(
        set_capacity(&mut d.db, &d.clock, &mut sam, " 80 ").expect("set"),
        80,
        "trimmed and stored"
    );
}

#[test]
fn the_last_check_in_can_be_undone_for_five_minutes_by_whoever_made_it() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut kim = d.person("kim", &[Role::FrontDesk]);
    let guest = d.arrive(&mut pat, "Sunny");
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    let undoable = today.undoable.expect("pat can undo");
    assert_eq!(undoable.until_local, "09:05", "for five minutes");
    assert!(
        desk_today(&mut d.db, &d.clock, &mut kim)
            .expect("today")
            .undoable
            .is_none(),
        "kim has nothing to undo"
    );
    let err =
        undo_check_in(&mut d.db, &d.clock, &mut kim, undoable.visit_id).expect_err("not kim's");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);

    d.clock.advance(Duration::minutes(4));
    undo_check_in(&mut d.db, &d.clock, &mut pat, undoable.visit_id).expect("undone");
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    assert_eq!(
        (today.occupancy.inside, today.visits_today),
        (0, 0),
        "an undone visit does not count"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM visits WHERE voided_at IS NOT NULL AND void_reason = 'undone at the desk'"),
        1,
        "it is kept as a correction, not deleted"
    );

    let again = check_in(&mut d.db, &d.clock, &mut pat, guest.id, false).expect("checked in again");
    d.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let err = undo_check_in(&mut d.db, &d.clock, &mut pat, again.visit_id).expect_err("too late");
    assert!(err.message.contains("5 minutes"), "{}", err.message);
    assert!(
        desk_today(&mut d.db, &d.clock, &mut pat)
            .expect("today")
            .undoable
            .is_none(),
        "no undo offered after the window"
    );
}

#[test]
fn anonymous_tallies_count_for_the_day_and_link_to_no_one() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    assert_eq!(
        count_anonymous(&mut d.db, &d.clock, &mut pat).expect("one"),
        1,
        "first tally"
    );
    assert_eq!(
        count_anonymous(&mut d.db, &d.clock, &mut pat).expect("two"),
        2,
        "second tally"
    );
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    assert_eq!(
        (today.tallies_today, today.visits_today),
        (2, 0),
        "tallies are not visits"
    );
    let err = count_anonymous(&mut d.db, &d.clock, &mut d.admin)
        .expect_err("administrators do not count guests");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
}

#[test]
fn the_service_date_is_the_centers_local_day_across_the_dst_change() {
    // 1 November 2026, 23:30 EST = 2 November 04:30 UTC; the clocks went back that morning.
    let mut d = desk_at(Utc.with_ymd_and_hms(2026, 11, 2, 4, 30, 0).unwrap());
    let mut late = d.person("late", &[Role::FrontDesk]);
    let guest = d.arrive(&mut late, "Night Owl");
    assert_eq!(
        guest.first_seen_date, "2026-11-01",
        "23:30 local is still the 1st"
    );
    let today = desk_today(&mut d.db, &d.clock, &mut late).expect("today");
    assert_eq!(
        today.service_date, "2026-11-01",
        "the desk's day is the local day"
    );
    // 14 March 2027, 00:30 EST = 05:30 UTC, the night the clocks go forward.
    let mut d = desk_at(Utc.with_ymd_and_hms(2027, 3, 14, 5, 30, 0).unwrap());
    let mut early = d.person("early", &[Role::FrontDesk]);
    let guest = d.arrive(&mut early, "Early Bird");
    assert_eq!(
        guest.first_seen_date, "2027-03-14",
        "00:30 on the spring-forward day"
    );
    let visits: i64 = d.count("SELECT count(*) FROM visits WHERE service_date = '2027-03-14'");
    assert_eq!(visits, 1, "counted on the 14th");
}

#[test]
fn closing_the_day_checks_everyone_out_freezes_the_counts_and_later_changes_are_corrections() {
    let mut d = desk();
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let first = d.arrive(&mut pat, "Sunny");
    d.arrive(&mut pat, "Kai");
    check_out(&mut d.db, &d.clock, &mut pat, first.open_visit_id.unwrap()).expect("Sunny leaves");
    count_anonymous(&mut d.db, &d.clock, &mut pat).expect("tally");

    let err = close_day(&mut d.db, &d.clock, &mut pat).expect_err("front desk cannot close");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);

    d.clock.advance(Duration::minutes(30));
    let closed = close_day(&mut d.db, &d.clock, &mut sam).expect("closed");
    assert_eq!(
        (
            closed.visits,
            closed.guests,
            closed.new_guests,
            closed.tallies,
            closed.checked_out_at_close
        ),
        (2, 2, 2, 1, 1),
        "two visits by two new guests, one tally, Kai checked out at close"
    );
    assert_eq!(
        closed.closed_at_local, "09:30",
        "closed on the center's clock"
    );
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    assert_eq!(today.occupancy.inside, 0, "nobody is left inside");
    let err = close_day(&mut d.db, &d.clock, &mut sam).expect_err("once a day");
    assert!(
        err.message.contains("already closed at 09:30 by sam"),
        "{}",
        err.message
    );

    // Someone comes back after close-out: allowed, but recorded as a correction.
    check_in(&mut d.db, &d.clock, &mut pat, first.id, false).expect("late return");
    count_anonymous(&mut d.db, &d.clock, &mut pat).expect("late tally");
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    let closure = today.closed.expect("today is closed");
    assert_eq!(closure.visits, 2, "the frozen count does not move");
    assert_eq!(
        closure.corrections, 2,
        "the late visit and tally are corrections"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM visits WHERE after_close = 1"),
        1,
        "the late visit is marked on its row"
    );
    assert!(
        actions(&d).contains(&"day.close".to_string()),
        "the close-out is audited"
    );
}

#[test]
fn a_check_in_answers_with_the_guests_row_of_the_inside_list() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let guest = d.arrive(&mut pat, "Sunny");
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    check_out(&mut d.db, &d.clock, &mut pat, today.inside[0].visit_id).expect("checked out");
    d.clock.advance(Duration::minutes(5));
    let done = check_in(&mut d.db, &d.clock, &mut pat, guest.id, false).expect("checked in");
    let today = desk_today(&mut d.db, &d.clock, &mut pat).expect("today");
    assert_eq!(
        today.inside,
        vec![done.inside_row.clone()],
        "the desk can add the answer's row instead of reloading the list"
    );
    assert_eq!(done.inside_row.visit_id, done.visit_id);
}
