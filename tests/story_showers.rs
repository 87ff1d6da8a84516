//! Story: the shower line on a real database file. Six showers fill, a guest waits, one
//! booking is a no-show and the waiting guest gets the slot; a restricted guest and a
//! second shower are refused; the day's counts add up, and all of it survives a restart.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use engagement_desk_core::auth::{self, Role};
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::guests::NewGuest;
use engagement_desk_core::schedule::{self, BookingState, BookingTarget, ResourceInput};
use engagement_desk_core::visits;
use engagement_desk_core::ErrorCode;
use engagement_desk_tests::{story_staff, TempDb, STORY_PASSWORD};

#[test]
fn a_morning_of_showers_with_a_waitlist_and_a_no_show() {
    let db = TempDb::new();
    // 14:50 in Boston on a Saturday: the showers close at 16:00.
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 19, 50, 0).unwrap());
    let mut database = Database::open(&db.path).expect("first start");
    story_staff(
        &mut database,
        &clock,
        &[("pat", Role::FrontDesk), ("sam", Role::Supervisor)],
    );
    let mut pat = auth::login(&mut database, &clock, "pat", STORY_PASSWORD).expect("pat");
    let mut sam = auth::login(&mut database, &clock, "sam", STORY_PASSWORD).expect("sam");
    // Only two showers today: the others are being repaired.
    for id in 3..=6 {
        schedule::set_out_of_order(&mut database, &clock, &mut sam, id, Some("tiles"))
            .expect("out");
    }
    let mut guests = Vec::new();
    for n in 0..6 {
        let new = NewGuest {
            nickname: Some(format!("guest {n}")),
            ..Default::default()
        };
        guests.push(
            visits::register_and_check_in(&mut database, &clock, &mut pat, &new, false)
                .expect("in")
                .guest
                .id,
        );
    }
    let next = BookingTarget::NextFree {
        kind: "shower".into(),
    };
    // 14:50, 15:20 on both showers: four slots before closing at 16:00.
    let mut booked = Vec::new();
    for guest in &guests[..4] {
        booked
            .push(schedule::book(&mut database, &clock, &mut pat, *guest, &next).expect("booked"));
    }
    let full = schedule::book(&mut database, &clock, &mut pat, guests[4], &next).expect_err("full");
    assert_eq!(full.code, ErrorCode::Conflict, "{}", full.message);
    schedule::join_waitlist(&mut database, &clock, &mut pat, guests[4], "shower").expect("waits");
    let second =
        schedule::book(&mut database, &clock, &mut pat, guests[0], &next).expect_err("one a day");
    assert!(second.message.contains("limit is 1"), "{}", second.message);

    // The first two start; the 15:20 guest on Shower 2 comes early, the one on Shower 1
    // never shows up.
    for booking in &booked[..2] {
        schedule::change_state(
            &mut database,
            &clock,
            &mut pat,
            booking.id,
            BookingState::InUse,
        )
        .expect("in");
    }
    clock.advance(Duration::minutes(20));
    for booking in &booked[..2] {
        schedule::change_state(
            &mut database,
            &clock,
            &mut pat,
            booking.id,
            BookingState::Done,
        )
        .expect("done");
    }
    schedule::change_state(
        &mut database,
        &clock,
        &mut pat,
        booked[3].id,
        BookingState::InUse,
    )
    .expect("the 15:20 guest on Shower 2 starts early");
    clock.advance(Duration::minutes(21));
    drop(database);

    // A restart: the no-show is found on the next look at the board.
    let mut database = Database::open(&db.path).expect("restart");
    let mut pat = auth::login(&mut database, &clock, "pat", STORY_PASSWORD).expect("pat again");
    let board = schedule::board(&mut database, &clock, &mut pat, "shower").expect("board");
    let states: Vec<BookingState> = board.resources[..2]
        .iter()
        .flat_map(|r| r.bookings.iter().map(|b| b.state))
        .collect();
    assert!(
        states.contains(&BookingState::NoShow),
        "the 15:20 booking became a no-show: {states:?}"
    );
    let call = board.call_next.expect("the waiting guest is called");
    assert_eq!(call.guest_id, guests[4], "first come, first served");
    let given = schedule::book(&mut database, &clock, &mut pat, call.guest_id, &next)
        .expect("gets the slot");
    assert!(
        given.starts_local.as_str() >= "15:30",
        "a slot after the no-show: {}",
        given.starts_local
    );

    // A supervisor adds a quick shower and reads the day's counts.
    let mut sam = auth::login(&mut database, &clock, "sam", STORY_PASSWORD).expect("sam again");
    schedule::save_resource(
        &mut database,
        &clock,
        &mut sam,
        &ResourceInput {
            id: None,
            kind: "shower".into(),
            name: "Quick shower".into(),
            slot_minutes: 10,
            buffer_minutes: 5,
            active: true,
        },
    )
    .expect("added");
    let counts =
        schedule::day_counts(&mut database, &clock, &mut sam, "2026-11-28").expect("counts");
    let showers = counts.iter().find(|c| c.kind == "shower").expect("showers");
    assert_eq!(
        (showers.done, showers.no_shows, showers.minutes_in_use),
        (2, 1, 40),
        "two showers of 20 minutes and one no-show"
    );
}
