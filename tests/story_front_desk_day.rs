//! Story: a busy morning at the front desk on a real database file. Regulars come back by
//! code, a newcomer is registered, the building fills up, a restriction is recorded, a
//! duplicate is merged, the day is closed, and the app restarts without losing anything.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use engagement_desk_core::auth::{self, Actor, NewStaff, Role};
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::guests::NewGuest;
use engagement_desk_core::restrictions::{self, FlagKind, NewFlag, Scope};
use engagement_desk_core::visits;
use engagement_desk_core::ErrorCode;
use engagement_desk_tests::{first_login, story_staff, TempDb, FIRST_PASSWORD};

const PASSWORD: &str = "orchard lantern pebble violin";

#[test]
fn a_morning_at_the_desk_from_opening_to_close_out() {
    let db = TempDb::new();
    // 08:00 in Boston.
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 13, 0, 0).unwrap());
    let mut database = Database::open(&db.path).expect("first start");
    let mut admin = auth::create_first_admin(
        &mut database,
        &clock,
        "avery",
        "Avery Admin",
        PASSWORD,
        PASSWORD,
    )
    .expect("first administrator");
    for (username, role) in [("pat", Role::FrontDesk), ("sam", Role::Supervisor)] {
        auth::create_staff(
            &mut database,
            &clock,
            &mut Actor::Staff(&mut admin),
            &NewStaff {
                username: username.into(),
                display_name: format!("Staff {username}"),
                roles: vec![role],
                password: FIRST_PASSWORD.into(),
            },
        )
        .expect("staff");
    }
    let mut pat = first_login(&mut database, &clock, "pat", FIRST_PASSWORD, PASSWORD);
    let mut sam = first_login(&mut database, &clock, "sam", FIRST_PASSWORD, PASSWORD);
    visits::set_capacity(&mut database, &clock, &mut sam, "3").expect("a small room today");

    // Three guests arrive; the third fills the room.
    let mut codes = Vec::new();
    for name in ["Sunny", "Kai", "Rowan"] {
        let new = NewGuest {
            nickname: Some(name.into()),
            ..Default::default()
        };
        let checked = visits::register_and_check_in(&mut database, &clock, &mut pat, &new, false)
            .expect("registered and checked in");
        codes.push(checked.guest.code.clone());
        clock.advance(Duration::minutes(3));
    }
    let refused =
        visits::register_and_check_in(&mut database, &clock, &mut pat, &NewGuest::default(), false)
            .expect_err("the room is full");
    assert_eq!(
        refused.code,
        ErrorCode::CapacityReached,
        "{}",
        refused.message
    );

    // Sunny leaves; a supervisor restricts Kai from the showers for a week.
    let today = visits::desk_today(&mut database, &clock, &mut pat).expect("desk");
    let sunny_visit = today
        .inside
        .iter()
        .find(|g| g.code == codes[0])
        .unwrap()
        .visit_id;
    visits::check_out(&mut database, &clock, &mut pat, sunny_visit).expect("Sunny leaves");
    restrictions::record(
        &mut database,
        &clock,
        &mut sam,
        &NewFlag {
            guest_code: codes[1].clone(),
            kind: FlagKind::Restriction,
            scope: Some(Scope::Showers),
            reason: "left the shower flooded".into(),
            starts_on: None,
            ends_on: Some("2026-12-05".into()),
        },
    )
    .expect("restriction");
    let kai =
        visits::lookup(&mut database, &clock, &mut pat, &codes[1].to_lowercase()).expect("lookup");
    assert_eq!(kai.flags.len(), 1, "the desk sees Kai's restriction");

    // Sunny comes back later by code typed without the dash; pat's screen had locked.
    clock.advance(Duration::minutes(40));
    auth::unlock_session(&mut database, &clock, &mut pat, PASSWORD).expect("pat unlocks");
    let back = visits::lookup(&mut database, &clock, &mut pat, &codes[0].replace('-', ""))
        .expect("lookup")
        .exact
        .expect("found by code");
    visits::check_in(&mut database, &clock, &mut pat, back.id, false).expect("back in");

    // The restart: nothing acknowledged is lost.
    drop(database);
    let mut database = Database::open(&db.path).expect("restart");
    let mut pat = auth::login(&mut database, &clock, "pat", PASSWORD).expect("pat again");
    let mut sam = auth::login(&mut database, &clock, "sam", PASSWORD).expect("sam again");
    let today = visits::desk_today(&mut database, &clock, &mut pat).expect("desk");
    assert_eq!(
        (
            today.occupancy.inside,
            today.visits_today,
            today.guests_today
        ),
        (3, 4, 3),
        "three inside, four visits by three guests"
    );

    // Rowan turns out to be Sunny, registered twice.
    let kept = visits::merge_guests(&mut database, &clock, &mut sam, &codes[0], &codes[2])
        .expect_err("both are inside: check one out first");
    assert_eq!(kept.code, ErrorCode::Conflict, "{}", kept.message);
    let rowan_visit = today
        .inside
        .iter()
        .find(|g| g.code == codes[2])
        .unwrap()
        .visit_id;
    visits::check_out(&mut database, &clock, &mut pat, rowan_visit).expect("Rowan leaves");
    let kept = visits::merge_guests(&mut database, &clock, &mut sam, &codes[0], &codes[2])
        .expect("merged");
    let old_code = visits::lookup(&mut database, &clock, &mut pat, &codes[2]).expect("lookup");
    assert_eq!(
        old_code.exact.map(|g| g.id),
        Some(kept.id),
        "Rowan's code finds Sunny"
    );

    // Close-out at 12:00: two still inside are checked out; the counts freeze.
    clock.advance(Duration::hours(3));
    let mut sam = auth::login(&mut database, &clock, "sam", PASSWORD).expect("sam after lunch");
    let closed = visits::close_day(&mut database, &clock, &mut sam).expect("closed");
    assert_eq!(
        (closed.visits, closed.guests, closed.checked_out_at_close),
        (4, 2, 2),
        "after the merge the four visits belong to two people; two were still inside"
    );
    let check = engagement_desk_core::audit::verify(&database).expect("verify");
    assert!(
        check.first_broken.is_none(),
        "the whole morning is in an intact audit log"
    );
}

/// Story: nobody closed out Saturday. The app restarts on Monday morning: the desk starts
/// with nobody inside and room for everyone, Saturday's guests are checked out at its
/// closing time by the system (audited), the supervisor sees Saturday on the list of days
/// left open, closes it out late, and the report says so.
#[test]
fn a_day_nobody_closed_out_and_the_next_morning() {
    let db = TempDb::new();
    // Saturday 28 November 2026, 09:00 in Boston.
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap());
    let mut database = Database::open(&db.path).expect("first start");
    story_staff(
        &mut database,
        &clock,
        &[("pat", Role::FrontDesk), ("sam", Role::Supervisor)],
    );
    let mut pat = auth::login(&mut database, &clock, "pat", PASSWORD).expect("pat");
    let mut sam = auth::login(&mut database, &clock, "sam", PASSWORD).expect("sam");
    visits::set_capacity(&mut database, &clock, &mut sam, "2").expect("a small room");
    visits::set_closing_time(&mut database, &clock, &mut sam, "16:30").expect("closing time");
    for name in ["Sunny", "Kai"] {
        let new = NewGuest {
            nickname: Some(name.into()),
            ..Default::default()
        };
        visits::register_and_check_in(&mut database, &clock, &mut pat, &new, false)
            .expect("checked in");
    }
    drop(database);

    // Monday 30 November, 08:05: the app starts again; nobody closed Saturday.
    clock.advance(Duration::hours(47) + Duration::minutes(5));
    let mut database = Database::open(&db.path).expect("restart");
    let mut pat = auth::login(&mut database, &clock, "pat", PASSWORD).expect("pat");
    let desk = visits::desk_today(&mut database, &clock, &mut pat).expect("the desk");
    assert_eq!(desk.service_date, "2026-11-30");
    assert_eq!(
        desk.occupancy.inside, 0,
        "Saturday's guests are not inside on Monday"
    );
    for name in ["Ada", "Bo"] {
        let new = NewGuest {
            nickname: Some(name.into()),
            ..Default::default()
        };
        visits::register_and_check_in(&mut database, &clock, &mut pat, &new, false)
            .expect("room for Monday's guests: Saturday's do not count against capacity");
    }

    clock.advance(Duration::minutes(20));
    let mut sam = auth::login(&mut database, &clock, "sam", PASSWORD).expect("sam");
    let open = visits::days_left_open(&mut database, &clock, &mut sam).expect("days left open");
    assert_eq!(
        open.days
            .iter()
            .map(|d| (d.service_date.as_str(), d.visits, d.settled_at_day_end))
            .collect::<Vec<_>>(),
        vec![("2026-11-28", 2, 2)],
        "Saturday, both visits settled at day end"
    );
    assert_eq!(open.closing_time, "16:30");
    let closed =
        visits::close_earlier_day(&mut database, &clock, &mut sam, "2026-11-28").expect("late");
    assert!(closed.closed_late);
    let report = engagement_desk_core::reports::compute(
        &mut database,
        &clock,
        &mut Actor::Staff(&mut sam),
        "2026-11-28",
        "2026-11-30",
        &mut |_, _| {},
    )
    .expect("report");
    assert_eq!(
        report
            .days
            .iter()
            .map(|d| (
                d.status.as_str(),
                d.visits,
                d.settled_at_day_end,
                d.peak_occupancy
            ))
            .collect::<Vec<_>>(),
        vec![
            ("closed_late", 2, 2, 2),
            ("provisional", 0, 0, 0),
            ("provisional", 2, 0, 2)
        ],
        "Saturday closed late with its settled visits; Sunday nothing; Monday under way"
    );
    // Saturday's stays ended at 16:30, not at the settlement on Monday.
    let saturday = &report.days[0];
    let after_closing: u32 = saturday
        .occupancy_by_hour
        .iter()
        .filter(|h| h.hour.as_str() >= "17:00")
        .map(|h| h.peak)
        .sum();
    assert_eq!(after_closing, 0, "nobody inside after the closing time");
    let peak_at_four = saturday
        .occupancy_by_hour
        .iter()
        .find(|h| h.hour == "16:00")
        .map(|h| h.peak);
    assert_eq!(peak_at_four, Some(2), "inside until 16:30");
    let audit = engagement_desk_core::audit::verify(&database).expect("verify");
    assert_eq!(audit.first_broken, None, "no gap in the audit chain");
}
