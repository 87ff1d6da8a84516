//! The identities hold on random simulated days run through the real operations: check-ins,
//! check-outs, undo, tallies, merges, the nurse queue and showers, close-outs with late
//! corrections after them, days left open (settled by the next day and closed late), over
//! spans that include both DST days of 2026.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::America::New_York;
use proptest::prelude::*;

use super::broken;
use crate::auth::{Actor, Role, Session};
use crate::clock::Clock;
use crate::days;
use crate::guests::tests::{desk_at, Desk};
use crate::guests::{GuestCard, NewGuest};
use crate::queue::{self, JoinInput, Priority, QueueState};
use crate::reports::tests::{report_of, wake};
use crate::reports::{self, DayStatus, Report};
use crate::schedule::{self, BookingState, BookingTarget};
use crate::visits;

fn local(date: NaiveDate, hhmm: &str) -> DateTime<Utc> {
    let time = NaiveTime::parse_from_str(hhmm, "%H:%M").expect("a time");
    days::local_instant(New_York, date, time)
}

/// One step at the desk; what it picks among is `pick` modulo the choices.
#[derive(Debug, Clone, Copy)]
enum Step {
    Register,
    CheckInAgain,
    CheckOut,
    Undo,
    Tally,
    Merge,
    JoinQueue,
    NurseSeesNext,
    BookShower,
    ShowerUsed,
    CloseOut,
}

/// Arrivals come more often than anything else.
const STEPS: [Step; 15] = [
    Step::Register,
    Step::Register,
    Step::Register,
    Step::CheckInAgain,
    Step::CheckInAgain,
    Step::JoinQueue,
    Step::CheckOut,
    Step::Undo,
    Step::Tally,
    Step::Merge,
    Step::JoinQueue,
    Step::NurseSeesNext,
    Step::BookShower,
    Step::ShowerUsed,
    Step::CloseOut,
];

struct World {
    d: Desk,
    pat: Session,
    sam: Session,
    nina: Session,
    guests: Vec<GuestCard>,
    last_check_in: Option<i64>,
    bookings: Vec<i64>,
}

impl World {
    fn inside(&mut self) -> Vec<(i64, i64)> {
        wake(&mut self.d, &mut self.pat);
        visits::desk_today(&mut self.d.db, &self.d.clock, &mut self.pat)
            .map(|desk| {
                desk.inside
                    .iter()
                    .map(|g| (g.guest_id, g.visit_id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Do one step; refusals (full, not inside, nothing to call...) are part of the day.
    fn step(&mut self, step: Step, pick: usize) {
        wake(&mut self.d, &mut self.pat);
        match step {
            Step::Register => {
                let new = NewGuest::default();
                if let Ok(done) = visits::register_and_check_in(
                    &mut self.d.db,
                    &self.d.clock,
                    &mut self.pat,
                    &new,
                    false,
                ) {
                    self.last_check_in = Some(done.visit_id);
                    self.guests.push(done.guest);
                }
            }
            Step::CheckInAgain => {
                if let Some(guest) = self.guests.get(pick % self.guests.len().max(1)) {
                    let id = guest.id;
                    if let Ok(done) =
                        visits::check_in(&mut self.d.db, &self.d.clock, &mut self.pat, id, false)
                    {
                        self.last_check_in = Some(done.visit_id);
                    }
                }
            }
            Step::CheckOut => {
                let inside = self.inside();
                if let Some((_, visit)) = inside.get(pick % inside.len().max(1)) {
                    let _ = visits::check_out(&mut self.d.db, &self.d.clock, &mut self.pat, *visit);
                }
            }
            Step::Undo => {
                if let Some(visit) = self.last_check_in.take() {
                    let _ =
                        visits::undo_check_in(&mut self.d.db, &self.d.clock, &mut self.pat, visit);
                }
            }
            Step::Tally => {
                let _ = visits::count_anonymous(&mut self.d.db, &self.d.clock, &mut self.pat);
            }
            Step::Merge => {
                wake(&mut self.d, &mut self.sam);
                let n = self.guests.len();
                if n >= 2 {
                    let keep = self.guests[pick % n].code.clone();
                    let duplicate = self.guests[(pick / 7 + 1) % n].code.clone();
                    let _ = crate::visits::merge_guests(
                        &mut self.d.db,
                        &self.d.clock,
                        &mut self.sam,
                        &keep,
                        &duplicate,
                    );
                }
            }
            Step::JoinQueue => {
                let inside = self.inside();
                if let Some((guest, _)) = inside.get(pick % inside.len().max(1)) {
                    let input = JoinInput {
                        guest_id: *guest,
                        reason: "general_health".into(),
                        priority: if pick.is_multiple_of(5) {
                            Priority::Urgent
                        } else {
                            Priority::Routine
                        },
                        note: None,
                    };
                    let _ = queue::join(&mut self.d.db, &self.d.clock, &mut self.pat, &input);
                }
            }
            Step::NurseSeesNext => {
                wake(&mut self.d, &mut self.nina);
                let station = 1 + (pick % 2) as i64;
                if let Ok(called) =
                    queue::call_next(&mut self.d.db, &self.d.clock, &mut self.nina, station)
                {
                    let (db, clock) = (&mut self.d.db, &self.d.clock);
                    let _ = queue::change(
                        db,
                        clock,
                        &mut self.nina,
                        called.id,
                        QueueState::InService,
                        None,
                    );
                    if !pick.is_multiple_of(3) {
                        let _ = queue::change(
                            db,
                            clock,
                            &mut self.nina,
                            called.id,
                            QueueState::Done,
                            None,
                        );
                    }
                }
            }
            Step::BookShower => {
                let inside = self.inside();
                if let Some((guest, _)) = inside.get(pick % inside.len().max(1)) {
                    let target = BookingTarget::NextFree {
                        kind: "shower".into(),
                    };
                    if let Ok(booking) = schedule::book(
                        &mut self.d.db,
                        &self.d.clock,
                        &mut self.pat,
                        *guest,
                        &target,
                    ) {
                        self.bookings.push(booking.id);
                    }
                }
            }
            Step::ShowerUsed => {
                if let Some(id) = self
                    .bookings
                    .get(pick % self.bookings.len().max(1))
                    .copied()
                {
                    let to = if pick.is_multiple_of(2) {
                        BookingState::InUse
                    } else {
                        BookingState::Done
                    };
                    let _ = schedule::change_state(
                        &mut self.d.db,
                        &self.d.clock,
                        &mut self.pat,
                        id,
                        to,
                    );
                }
            }
            Step::CloseOut => {
                wake(&mut self.d, &mut self.sam);
                let _ = visits::close_day(&mut self.d.db, &self.d.clock, &mut self.sam);
            }
        }
    }

    fn report(&mut self, from: NaiveDate, to: NaiveDate) -> Report {
        report_of(
            &mut self.d,
            &mut self.sam,
            &from.to_string(),
            &to.to_string(),
        )
    }
}

/// A day: its steps as (which step, what it picks, minutes before it), and whether a
/// supervisor closes it out at the end of the day.
type Day = (Vec<(usize, usize, i64)>, bool);

fn a_day() -> impl Strategy<Value = Day> {
    (
        prop::collection::vec((0..STEPS.len(), 0..1000usize, 1..20i64), 0..36),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn the_identities_hold_on_random_days_through_the_real_operations(
        start in prop::sample::select(vec!["2026-03-06", "2026-10-30", "2026-11-27"]),
        plan in prop::collection::vec(a_day(), 4),
    ) {
        let first = NaiveDate::parse_from_str(start, "%Y-%m-%d").expect("a date");
        let mut d = desk_at(local(first, "07:30"));
        let pat = d.person("pat", &[Role::FrontDesk]);
        let sam = d.person("sam", &[Role::Supervisor]);
        let nina = d.person("nina", &[Role::Nurse]);
        let mut world = World { d, pat, sam, nina, guests: Vec::new(), last_check_in: None, bookings: Vec::new() };
        let mut date = first;
        for (steps, close_out) in &plan {
            let start = local(date, "08:00");
            let now = world.d.clock.now();
            world.d.clock.advance(start - now);
            for (step, pick, minutes) in steps {
                world.d.clock.advance(Duration::minutes(*minutes));
                world.step(STEPS[*step], *pick);
            }
            if *close_out {
                world.step(Step::CloseOut, 0);
                // A late correction now and then: a tally and a check-in after close-out.
                if steps.len() % 3 == 0 {
                    world.d.clock.advance(Duration::minutes(10));
                    world.step(Step::Tally, 0);
                    world.step(Step::Register, 0);
                }
            }
            date = date.succ_opt().expect("a next day");
        }
        // The morning after the last day: whatever was left open is settled.
        let now = world.d.clock.now();
        world.d.clock.advance(local(date, "09:00") - now);
        let last = date.pred_opt().expect("the last day");
        let report = world.report(first, last);
        let found = broken(&report);
        prop_assert!(found.is_empty(), "{found:?}");
        for day in &report.days {
            let single = world.report(day.date.parse().expect("a date"), day.date.parse().expect("a date"));
            prop_assert_eq!(&single.days[0], day, "a day alone counts as in its range");
            prop_assert!(broken(&single).is_empty(), "{:?}", broken(&single));
        }
        // Supervisors close the days left open late; the counts still add up.
        wake(&mut world.d, &mut world.sam);
        for day in report.days.iter().filter(|d| d.status == DayStatus::LeftOpen) {
            let closed = visits::close_earlier_day(&mut world.d.db, &world.d.clock, &mut world.sam, &day.date)
                .expect("closed late");
            prop_assert_eq!(
                (closed.visits, closed.guests, closed.new_guests, closed.tallies),
                (day.visits, day.unique_guests, day.new_guests, day.anonymous_tallies),
                "the late close-out freezes the report's figures"
            );
        }
        let after = world.report(first, last);
        prop_assert!(broken(&after).is_empty(), "{:?}", broken(&after));
        prop_assert!(
            after.days.iter().all(|d| d.status != DayStatus::LeftOpen),
            "no day is left open any more"
        );
    }
}

#[test]
fn a_report_that_counts_an_undone_registration_as_new_is_caught() {
    let mut d = desk_at(local(
        NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
        "09:00",
    ));
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let done =
        visits::register_and_check_in(&mut d.db, &d.clock, &mut pat, &NewGuest::default(), false)
            .expect("registered");
    visits::undo_check_in(&mut d.db, &d.clock, &mut pat, done.visit_id).expect("undone");
    let mut report = reports::compute(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut sam),
        "2026-11-30",
        "2026-11-30",
        &mut |_, _| {},
    )
    .expect("report");
    assert!(broken(&report).is_empty(), "{:?}", broken(&report));
    assert_eq!(report.days[0].new_guests, 0, "no visit, so no new guest");
    report.days[0].new_guests = 1;
    assert_eq!(
        broken(&report),
        vec![
            "2026-11-30: new 1 ≤ unique 0".to_string(),
            "2026-11-30 to 2026-11-30: new guests 1 ≤ unique guests 0".to_string()
        ],
        "the old definition breaks the identities on the day and over the range"
    );
}
