use super::*;
use crate::auth::Role;
use crate::guests::tests::{desk, Desk};
use crate::restrictions::{FlagKind, NewFlag};

/// A desk at 09:00 with a front-desk worker and `n` guests checked in.
fn morning(n: usize) -> (Desk, Session, Vec<i64>) {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let guests = (0..n)
        .map(|i| d.arrive(&mut pat, &format!("guest {i}")).id)
        .collect();
    (d, pat, guests)
}

fn next_shower() -> BookingTarget {
    BookingTarget::NextFree {
        kind: "shower".into(),
    }
}

fn at(resource_id: i64, start: &str) -> BookingTarget {
    BookingTarget::At {
        resource_id,
        start: start.into(),
    }
}

#[test]
fn book_next_free_spreads_over_the_showers_then_waits_for_the_first_to_be_clean() {
    let (mut d, mut pat, guests) = morning(7);
    let mut seen = Vec::new();
    for guest in &guests[..6] {
        let booking = book(&mut d.db, &d.clock, &mut pat, *guest, &next_shower()).expect("booked");
        assert_eq!(
            booking.starts_local, "09:00",
            "six showers are free at 09:00"
        );
        seen.push(booking.resource_name);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6, "one guest per shower");
    let seventh = book(&mut d.db, &d.clock, &mut pat, guests[6], &next_shower()).expect("booked");
    assert_eq!(
        (seventh.starts_local.as_str(), seventh.ends_local.as_str()),
        ("09:30", "09:50"),
        "the next slot starts after 20 minutes and the 10-minute cleaning"
    );
}

#[test]
fn two_bookings_never_overlap_on_one_shower_buffer_included() {
    let (mut d, mut pat, guests) = morning(3);
    book(&mut d.db, &d.clock, &mut pat, guests[0], &at(1, "10:00")).expect("10:00 on Shower 1");
    let err = book(&mut d.db, &d.clock, &mut pat, guests[1], &at(1, "10:25"))
        .expect_err("cleaning until 10:30");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    assert!(
        err.message.contains("taken or blocked at 10:25"),
        "{}",
        err.message
    );
    let err = book(&mut d.db, &d.clock, &mut pat, guests[1], &at(1, "09:35"))
        .expect_err("would run into 10:00");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    book(&mut d.db, &d.clock, &mut pat, guests[1], &at(1, "10:30")).expect("free after cleaning");
    book(&mut d.db, &d.clock, &mut pat, guests[2], &at(1, "09:30"))
        .expect("ends 09:50, clean by 10:00");
}

#[test]
fn bad_bookings_are_refused_with_a_clear_message_and_nothing_written() {
    let (mut d, mut pat, guests) = morning(3);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let stranger = {
        let mut nurse = d.person("nina", &[Role::Nurse]);
        let guest = d.arrive(&mut nurse, "Walk-by");
        crate::visits::check_out(
            &mut d.db,
            &d.clock,
            &mut nurse,
            guest.open_visit_id.unwrap(),
        )
        .expect("left");
        guest.id
    };
    let code = guests::card(d.db.conn(), guests[1]).expect("card").code;
    restrictions::record(
        &mut d.db,
        &d.clock,
        &mut sam,
        &NewFlag {
            guest_code: code,
            kind: FlagKind::Restriction,
            scope: Some(Scope::Showers),
            reason: "flooded the floor".into(),
            starts_on: None,
            ends_on: Some("2026-12-31".into()),
        },
    )
    .expect("restricted from showers");
    set_out_of_order(&mut d.db, &d.clock, &mut sam, 2, Some("drain blocked"))
        .expect("Shower 2 out");
    book(&mut d.db, &d.clock, &mut pat, guests[0], &at(1, "11:00")).expect("the one shower today");

    let cases: Vec<(i64, BookingTarget, &str)> = vec![
        (stranger, next_shower(), "not checked in"),
        (guests[1], next_shower(), "restricted from the showers"),
        (
            guests[0],
            next_shower(),
            "already has 1 shower booking today",
        ),
        (
            guests[0],
            BookingTarget::NextFree {
                kind: "sauna".into(),
            },
            "not a kind",
        ),
    ];
    for (guest, target, expected) in cases {
        let err = book(&mut d.db, &d.clock, &mut pat, guest, &target).expect_err(expected);
        assert!(
            err.message.contains(expected),
            "{expected}: {}",
            err.message
        );
    }
    let computer_cases: Vec<(BookingTarget, &str)> = vec![
        (at(7, "08:30"), "already passed"),
        (at(7, "15:45"), "outside today's hours"),
        (at(7, "7 pm"), "not a time"),
        (at(7, "'; DROP TABLE bookings; --"), "not a time"),
        (at(999, "10:00"), "does not exist"),
    ];
    for (target, expected) in computer_cases {
        let err = book(&mut d.db, &d.clock, &mut pat, guests[0], &target).expect_err(expected);
        assert!(
            err.message.contains(expected),
            "{expected}: {}",
            err.message
        );
    }
    let err =
        book(&mut d.db, &d.clock, &mut pat, guests[2], &at(2, "10:00")).expect_err("out of order");
    assert!(
        err.message.contains("out of order: drain blocked"),
        "{}",
        err.message
    );
    assert_eq!(
        d.count("SELECT count(*) FROM bookings"),
        1,
        "only the good booking was written"
    );
    let err =
        set_out_of_order(&mut d.db, &d.clock, &mut pat, 3, Some("broken")).expect_err("front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
}

#[test]
fn a_booking_not_started_in_the_grace_period_is_a_no_show_and_frees_its_slot() {
    let (mut d, mut pat, guests) = morning(2);
    let first = book(&mut d.db, &d.clock, &mut pat, guests[0], &at(1, "09:05")).expect("09:05");
    d.clock.advance(Duration::minutes(15));
    let shown = board(&mut d.db, &d.clock, &mut pat, "shower").expect("board");
    assert_eq!(
        shown.resources[0].bookings[0].state,
        BookingState::NoShow,
        "not started by 09:15: a no-show"
    );
    let taken = book(&mut d.db, &d.clock, &mut pat, guests[1], &at(1, "09:15"))
        .expect("the slot is free again");
    assert_eq!(taken.resource_id, first.resource_id, "on the same shower");
    let err = change_state(&mut d.db, &d.clock, &mut pat, first.id, BookingState::InUse)
        .expect_err("too late");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    assert_eq!(
        d.count(
            "SELECT count(*) FROM booking_events WHERE to_state = 'no_show' AND by_staff IS NULL"
        ),
        1,
        "the system made the change, stamped like any other"
    );
}

#[test]
fn start_finish_and_cancel_follow_the_states_and_an_early_finish_frees_the_rest() {
    let (mut d, mut pat, guests) = morning(3);
    let booking = book(&mut d.db, &d.clock, &mut pat, guests[0], &at(1, "09:00")).expect("09:00");
    change_state(
        &mut d.db,
        &d.clock,
        &mut pat,
        booking.id,
        BookingState::InUse,
    )
    .expect("started");
    let err = change_state(
        &mut d.db,
        &d.clock,
        &mut pat,
        booking.id,
        BookingState::Cancelled,
    )
    .expect_err("in use");
    assert!(
        err.message.contains("in use cannot become cancelled"),
        "{}",
        err.message
    );
    d.clock.advance(Duration::minutes(5));
    change_state(
        &mut d.db,
        &d.clock,
        &mut pat,
        booking.id,
        BookingState::Done,
    )
    .expect("done at 09:05");
    book(&mut d.db, &d.clock, &mut pat, guests[1], &at(1, "09:15"))
        .expect("free after 09:05 + 10 min cleaning");
    let other = book(&mut d.db, &d.clock, &mut pat, guests[2], &at(3, "11:00")).expect("11:00");
    change_state(
        &mut d.db,
        &d.clock,
        &mut pat,
        other.id,
        BookingState::Cancelled,
    )
    .expect("cancelled");
    book(&mut d.db, &d.clock, &mut pat, guests[2], &at(3, "11:00"))
        .expect("a cancelled slot is free, and the limit counts it no more");
    let changes: i64 = d.count("SELECT count(*) FROM audit_log WHERE action LIKE 'booking.%'");
    assert_eq!(changes, 7, "four bookings and three changes are audited");
}

#[test]
fn two_desks_booking_the_same_slot_at_once_get_one_booking() {
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("desk.db");
    let clock = crate::clock::FixedClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 14, 0, 0)
            .unwrap(),
    );
    let password = "orchard lantern pebble violin";
    let (first_session, guests) = {
        let mut db = Database::open(&path).expect("db");
        let mut admin =
            auth::create_first_admin(&mut db, &clock, "admin", "Avery", password, password)
                .expect("admin");
        auth::create_staff(
            &mut db,
            &clock,
            &mut auth::Actor::Staff(&mut admin),
            &auth::NewStaff {
                username: "pat".into(),
                display_name: "Pat".into(),
                roles: vec![Role::FrontDesk],
                password: password.into(),
            },
        )
        .expect("pat");
        let mut pat = auth::testing::first_login(&mut db, &clock, "pat", password).expect("login");
        let guests: Vec<i64> = (0..2)
            .map(|_| {
                crate::visits::register_and_check_in(
                    &mut db,
                    &clock,
                    &mut pat,
                    &guests::NewGuest::default(),
                    false,
                )
                .expect("guest")
                .guest
                .id
            })
            .collect();
        (pat, guests)
    };
    let clock = std::sync::Arc::new(clock);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    // Two desks, each with its own connection, ask for Shower 1 at 10:00 at the same moment.
    let handles: Vec<_> = [
        (guests[0], first_session.clone()),
        (guests[1], first_session),
    ]
    .into_iter()
    .map(|(guest, mut session)| {
        let path = path.clone();
        let clock = clock.clone();
        let barrier = barrier.clone();
        std::thread::spawn(move || {
            let mut db = Database::open(&path).expect("second connection");
            barrier.wait();
            book(
                &mut db,
                clock.as_ref(),
                &mut session,
                guest,
                &at(1, "10:00"),
            )
        })
    })
    .collect();
    let outcomes: Vec<Result<Booking>> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    let wins = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(
        wins, 1,
        "exactly one desk gets Shower 1 at 10:00: {outcomes:?}"
    );
    let loser = outcomes
        .iter()
        .find_map(|o| o.as_ref().err())
        .expect("one refusal");
    assert_eq!(
        loser.code,
        ErrorCode::Conflict,
        "the other is told the slot is taken: {}",
        loser.message
    );
}

/// Fill all six showers from 09:00 to closing (16:00) with one guest each slot.
fn fill_showers_until_closing(d: &mut Desk, pat: &mut Session) {
    let mut n = 0;
    loop {
        let guest = d.arrive(pat, &format!("filler {n}")).id;
        n += 1;
        if book(&mut d.db, &d.clock, pat, guest, &next_shower()).is_err() {
            let visit = guests::card(d.db.conn(), guest)
                .unwrap()
                .open_visit_id
                .unwrap();
            crate::visits::check_out(&mut d.db, &d.clock, pat, visit)
                .expect("the last filler leaves");
            break;
        }
    }
}

#[test]
fn when_nothing_is_free_guests_wait_in_order_and_a_freed_slot_goes_to_the_first() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    crate::visits::set_capacity(&mut d.db, &d.clock, &mut sam, "500").expect("a big day");
    let early = d.arrive(&mut pat, "Early").id;
    let err =
        join_waitlist(&mut d.db, &d.clock, &mut pat, early, "shower").expect_err("showers free");
    assert!(
        err.message.contains("free at 09:00; book it instead"),
        "{}",
        err.message
    );
    fill_showers_until_closing(&mut d, &mut pat);
    let late = d.arrive(&mut pat, "Late").id;
    let first =
        join_waitlist(&mut d.db, &d.clock, &mut pat, early, "shower").expect("first in line");
    join_waitlist(&mut d.db, &d.clock, &mut pat, late, "shower").expect("second in line");
    let err =
        join_waitlist(&mut d.db, &d.clock, &mut pat, early, "shower").expect_err("already waiting");
    assert!(err.message.contains("already waiting"), "{}", err.message);
    let shown = board(&mut d.db, &d.clock, &mut pat, "shower").expect("board");
    assert_eq!(shown.waiting.len(), 2, "two waiting");
    assert!(
        shown.call_next.is_none(),
        "nobody to call while nothing is free"
    );

    // A booking is cancelled: the first in line is the one to call.
    let cancelled = shown.resources[2].bookings[3].id;
    change_state(
        &mut d.db,
        &d.clock,
        &mut pat,
        cancelled,
        BookingState::Cancelled,
    )
    .expect("cancelled");
    let shown = board(&mut d.db, &d.clock, &mut pat, "shower").expect("board");
    let call = shown.call_next.expect("someone to call");
    assert_eq!(
        call.guest_id, first.guest_id,
        "the first to arrive is offered the slot"
    );
    book(&mut d.db, &d.clock, &mut pat, call.guest_id, &next_shower())
        .expect("booked from the waitlist");
    let shown = board(&mut d.db, &d.clock, &mut pat, "shower").expect("board");
    assert_eq!(
        shown.waiting.iter().map(|w| w.guest_id).collect::<Vec<_>>(),
        vec![late],
        "the booked guest leaves the waitlist"
    );
}

#[test]
fn a_guest_who_leaves_loses_the_days_bookings_still_to_come() {
    let (mut d, mut pat, guests) = morning(1);
    let booking = book(&mut d.db, &d.clock, &mut pat, guests[0], &at(1, "11:00")).expect("11:00");
    let visit = guests::card(d.db.conn(), guests[0])
        .unwrap()
        .open_visit_id
        .unwrap();
    crate::visits::check_out(&mut d.db, &d.clock, &mut pat, visit).expect("leaves");
    let shown = board(&mut d.db, &d.clock, &mut pat, "shower").expect("board");
    let kept = shown.resources[0]
        .bookings
        .iter()
        .find(|b| b.id == booking.id)
        .expect("kept on record");
    assert_eq!(
        kept.state,
        BookingState::Cancelled,
        "the booking is cancelled, not deleted"
    );
}

#[test]
fn the_board_shows_time_in_use_and_overstays() {
    let (mut d, mut pat, guests) = morning(1);
    let booking = book(&mut d.db, &d.clock, &mut pat, guests[0], &next_shower()).expect("09:00");
    change_state(
        &mut d.db,
        &d.clock,
        &mut pat,
        booking.id,
        BookingState::InUse,
    )
    .expect("in use");
    d.clock.advance(Duration::minutes(25));
    let shown = board(&mut d.db, &d.clock, &mut pat, "shower").expect("board");
    let line = &shown.resources[0].bookings[0];
    assert_eq!(line.minutes_in_use, Some(25), "elapsed time");
    assert!(line.overstay, "20-minute slot, 25 minutes in: an overstay");
    assert_eq!(
        shown.resources[1].next_free_local.as_deref(),
        Some("09:25"),
        "the other showers are free now"
    );
}

#[test]
fn supervisors_add_and_change_resources_and_hours_within_bounds() {
    let (mut d, mut pat, guests) = morning(1);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let new = ResourceInput {
        id: None,
        kind: "shower".into(),
        name: "Shower 7".into(),
        slot_minutes: 15,
        buffer_minutes: 5,
        active: true,
    };
    let err = save_resource(&mut d.db, &d.clock, &mut pat, &new).expect_err("front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    for (bad, field) in [
        (
            ResourceInput {
                slot_minutes: 0,
                ..new.clone()
            },
            "slot length:",
        ),
        (
            ResourceInput {
                slot_minutes: 600,
                ..new.clone()
            },
            "slot length:",
        ),
        (
            ResourceInput {
                buffer_minutes: -1,
                ..new.clone()
            },
            "buffer:",
        ),
        (
            ResourceInput {
                name: " ".into(),
                ..new.clone()
            },
            "name:",
        ),
        (
            ResourceInput {
                name: "Shower 1".into(),
                ..new.clone()
            },
            "name:",
        ),
        (
            ResourceInput {
                kind: "sauna".into(),
                ..new.clone()
            },
            "kind:",
        ),
        (
            ResourceInput {
                id: Some(999),
                ..new.clone()
            },
            "that resource",
        ),
    ] {
        let err = save_resource(&mut d.db, &d.clock, &mut sam, &bad).expect_err(field);
        assert!(err.message.starts_with(field), "{field}: {}", err.message);
    }
    assert_eq!(
        d.count("SELECT count(*) FROM resources"),
        12,
        "nothing was added"
    );
    let id = save_resource(&mut d.db, &d.clock, &mut sam, &new).expect("Shower 7");
    for other in 1..=6 {
        set_out_of_order(&mut d.db, &d.clock, &mut sam, other, Some("maintenance")).expect("out");
    }
    let booking =
        book(&mut d.db, &d.clock, &mut pat, guests[0], &next_shower()).expect("on Shower 7");
    assert_eq!(
        (booking.resource_id, booking.ends_local.as_str()),
        (id, "09:15"),
        "the new resource's own slot length applies"
    );

    let err = set_hours(
        &mut d.db,
        &d.clock,
        &mut sam,
        "computer",
        6,
        Some("16:00"),
        Some("08:00"),
    )
    .expect_err("closing before opening");
    assert!(err.message.starts_with("closes:"), "{}", err.message);
    let err = set_hours(&mut d.db, &d.clock, &mut sam, "computer", 8, None, None)
        .expect_err("no 8th day");
    assert!(err.message.starts_with("weekday:"), "{}", err.message);
    // 28 November 2026 is a Saturday: close computers today and a booking is refused.
    let err = set_hours(
        &mut d.db,
        &d.clock,
        &mut sam,
        "computer",
        6,
        Some("08:00"),
        None,
    )
    .expect_err("half an answer");
    assert!(err.message.starts_with("closes:"), "{}", err.message);
    set_hours(&mut d.db, &d.clock, &mut sam, "computer", 6, None, None)
        .expect("closed on Saturdays");
    let err = book(
        &mut d.db,
        &d.clock,
        &mut pat,
        guests[0],
        &BookingTarget::NextFree {
            kind: "computer".into(),
        },
    )
    .expect_err("closed");
    assert!(err.message.contains("closed today"), "{}", err.message);
}

#[test]
fn the_daily_counts_have_uses_no_shows_cancellations_and_minutes() {
    let (mut d, mut pat, guests) = morning(3);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let used = book(&mut d.db, &d.clock, &mut pat, guests[0], &at(1, "09:00")).expect("booked");
    book(&mut d.db, &d.clock, &mut pat, guests[1], &at(2, "09:05")).expect("will not come");
    let cancelled =
        book(&mut d.db, &d.clock, &mut pat, guests[2], &at(3, "11:00")).expect("booked");
    change_state(&mut d.db, &d.clock, &mut pat, used.id, BookingState::InUse).expect("in");
    change_state(
        &mut d.db,
        &d.clock,
        &mut pat,
        cancelled.id,
        BookingState::Cancelled,
    )
    .expect("cancelled");
    d.clock.advance(Duration::minutes(18));
    change_state(&mut d.db, &d.clock, &mut pat, used.id, BookingState::Done)
        .expect("out after 18 min");
    let err =
        day_counts(&mut d.db, &d.clock, &mut pat, "2026-11-28").expect_err("supervisors only");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    let counts = day_counts(&mut d.db, &d.clock, &mut sam, "2026-11-28").expect("counts");
    let showers = counts.iter().find(|c| c.kind == "shower").expect("showers");
    assert_eq!(
        (
            showers.done,
            showers.no_shows,
            showers.cancelled,
            showers.minutes_in_use
        ),
        (1, 1, 1, 18),
        "one use of 18 minutes, one no-show, one cancellation"
    );
    assert!(
        day_counts(&mut d.db, &d.clock, &mut sam, "2026-02-30").is_err(),
        "a wrong date is refused"
    );
}

#[test]
fn a_blocked_period_keeps_bookings_out_of_it() {
    let (mut d, mut pat, guests) = morning(2);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let staff_meeting = BlockInput {
        kind: "shower".into(),
        resource_id: None,
        date: None,
        from: "09:00".into(),
        to: "10:00".into(),
        reason: "staff meeting".into(),
    };
    let err = block_period(&mut d.db, &d.clock, &mut pat, &staff_meeting).expect_err("front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    for (bad, field) in [
        (
            BlockInput {
                to: "08:00".into(),
                ..staff_meeting.clone()
            },
            "to:",
        ),
        (
            BlockInput {
                from: "nine".into(),
                ..staff_meeting.clone()
            },
            "from:",
        ),
        (
            BlockInput {
                reason: "".into(),
                ..staff_meeting.clone()
            },
            "reason:",
        ),
        (
            BlockInput {
                date: Some("2026-13-01".into()),
                ..staff_meeting.clone()
            },
            "date:",
        ),
        (
            BlockInput {
                resource_id: Some(7),
                ..staff_meeting.clone()
            },
            "resource:",
        ),
    ] {
        let err = block_period(&mut d.db, &d.clock, &mut sam, &bad).expect_err(field);
        assert!(err.message.starts_with(field), "{field}: {}", err.message);
    }
    block_period(&mut d.db, &d.clock, &mut sam, &staff_meeting).expect("blocked");
    let first =
        book(&mut d.db, &d.clock, &mut pat, guests[0], &next_shower()).expect("after the meeting");
    assert_eq!(
        first.starts_local, "10:00",
        "the first free slot is after the block"
    );
    let err = book(&mut d.db, &d.clock, &mut pat, guests[1], &at(2, "09:30")).expect_err("blocked");
    assert!(
        err.message.contains("taken or blocked at 09:30"),
        "{}",
        err.message
    );
}

#[test]
fn supervisors_add_a_kind_and_set_the_no_show_grace() {
    let (mut d, mut pat, guests) = morning(1);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let laundry = KindInput {
        kind: "laundry".into(),
        label: "Laundry".into(),
        default_slot_minutes: 60,
        default_buffer_minutes: 0,
        daily_limit: 1,
        restriction_scope: None,
    };
    let err = save_kind(&mut d.db, &d.clock, &mut pat, &laundry).expect_err("front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    for (bad, field) in [
        (
            KindInput {
                kind: "Laundry Room".into(),
                ..laundry.clone()
            },
            "kind:",
        ),
        (
            KindInput {
                default_slot_minutes: 0,
                ..laundry.clone()
            },
            "slot length:",
        ),
        (
            KindInput {
                default_slot_minutes: 600,
                ..laundry.clone()
            },
            "slot length:",
        ),
        (
            KindInput {
                daily_limit: 0,
                ..laundry.clone()
            },
            "daily limit:",
        ),
        (
            KindInput {
                restriction_scope: Some(Scope::Building),
                ..laundry.clone()
            },
            "restricted by:",
        ),
    ] {
        let err = save_kind(&mut d.db, &d.clock, &mut sam, &bad).expect_err(field);
        assert!(err.message.starts_with(field), "{field}: {}", err.message);
    }
    save_kind(&mut d.db, &d.clock, &mut sam, &laundry).expect("laundry");
    save_resource(
        &mut d.db,
        &d.clock,
        &mut sam,
        &ResourceInput {
            id: None,
            kind: "laundry".into(),
            name: "Washer 1".into(),
            slot_minutes: 60,
            buffer_minutes: 0,
            active: true,
        },
    )
    .expect("a washer");
    let booking = book(
        &mut d.db,
        &d.clock,
        &mut pat,
        guests[0],
        &BookingTarget::NextFree {
            kind: "laundry".into(),
        },
    )
    .expect("a new kind is bookable at once");
    assert_eq!(booking.ends_local, "10:00", "an hour on the washer");

    for bad in ["0", "121", "soon"] {
        let err = set_no_show_grace(&mut d.db, &d.clock, &mut sam, bad).expect_err(bad);
        assert!(err.message.starts_with("no-show grace:"), "{}", err.message);
    }
    assert_eq!(
        set_no_show_grace(&mut d.db, &d.clock, &mut sam, "15").expect("15"),
        15,
        "stored"
    );
    assert_eq!(
        no_show_grace(&d.db).expect("read"),
        Duration::minutes(15),
        "and used"
    );
}

#[test]
fn close_out_cancels_bookings_to_come_and_finishes_those_in_use() {
    let (mut d, mut pat, guests) = morning(2);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let using = book(&mut d.db, &d.clock, &mut pat, guests[0], &next_shower()).expect("09:00");
    change_state(&mut d.db, &d.clock, &mut pat, using.id, BookingState::InUse).expect("in use");
    let later = book(&mut d.db, &d.clock, &mut pat, guests[1], &at(2, "11:00")).expect("11:00");
    crate::visits::close_day(&mut d.db, &d.clock, &mut sam).expect("closed");
    let shown = board(&mut d.db, &d.clock, &mut sam, "shower").expect("board");
    let state_of = |id: i64| {
        shown
            .resources
            .iter()
            .flat_map(|r| r.bookings.iter())
            .find(|b| b.id == id)
            .map(|b| b.state)
    };
    assert_eq!(
        state_of(using.id),
        Some(BookingState::Done),
        "the shower in use is finished"
    );
    assert_eq!(
        state_of(later.id),
        Some(BookingState::Cancelled),
        "the later booking is cancelled"
    );
}
