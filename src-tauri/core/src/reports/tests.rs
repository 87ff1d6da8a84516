//! Tests of the daily counts: a hand-built day with every figure worked out by hand, a visit
//! across midnight, the two DST days of 2026, ranges and permissions, the CSV and XLSX
//! files (the XLSX read back with calamine, a reader other than the writer), atomic writes
//! and the small-cell threshold setting.

use std::collections::HashMap;

use super::export::{self, Suppression, COLUMNS};
use super::*;
use crate::auth::{self, Role, Session};
use crate::error::ErrorCode;
use crate::guests::tests::{desk_at, Desk};
use crate::guests::GuestCard;
use crate::queue::incidents::{self, IncidentCounts, IncidentInput, IncidentKind, IncidentOutcome};
use crate::queue::{self, JoinInput, Priority, QueueState, WaitFigures};
use crate::referrals::{self, PartnerInput, ReferralGroupCounts, ReferralInput, ReferralStatus};
use crate::restrictions::{self, FlagKind, NewFlag, Scope};
use crate::schedule::{self, BookingState, BookingTarget};
use crate::visits;
use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{NaiveTime, TimeZone};
use chrono_tz::America::New_York;

/// The password `Desk::person` gives everyone, to log in again after the clock moves.
const PASSWORD: &str = "orchard lantern pebble violin";

/// The hand-built scenario: a Tuesday with one returning guest, and the Wednesday counted.
const DAY_BEFORE: &str = "2026-11-17";
const DAY: &str = "2026-11-18";

/// The instant of a local wall-clock time in Boston (never an ambiguous or missing time).
fn local(date: &str, hhmm: &str) -> DateTime<Utc> {
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a date");
    let time = NaiveTime::parse_from_str(hhmm, "%H:%M").expect("a time");
    New_York
        .from_local_datetime(&date.and_time(time))
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a UTC instant")
}

/// Move the fixed clock forward to `at`.
fn move_to(d: &Desk, at: DateTime<Utc>) {
    let now = d.clock.now();
    assert!(at >= now, "the scenario only moves forward ({now} -> {at})");
    d.clock.advance(at - now);
}

/// Log in again when the session would be locked (idle for an hour) or ended (12 hours).
pub(crate) fn wake(d: &mut Desk, session: &mut Session) {
    let now = d.clock.now();
    if session.locked
        || now - session.last_activity >= Duration::minutes(55)
        || now - session.started_at >= Duration::hours(11)
    {
        let username = session.username.clone();
        *session = auth::login(&mut d.db, &d.clock, &username, PASSWORD).expect("logs in again");
    }
}

/// The report of a supervisor, who must be allowed it.
pub(crate) fn report_of(d: &mut Desk, sam: &mut Session, from: &str, to: &str) -> Report {
    wake(d, sam);
    compute(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(sam),
        from,
        to,
        &mut |_, _| {},
    )
    .unwrap_or_else(|e| panic!("report {from}..{to}: {}", e.message))
}

/// The peak of one hour, found by its label (the first one when the label repeats).
fn peak_at(day: &DayCounts, hour: &str) -> u32 {
    day.occupancy_by_hour
        .iter()
        .find(|h| h.hour == hour)
        .unwrap_or_else(|| panic!("{} has an hour {hour}", day.date))
        .peak
}

fn kind<'a>(day: &'a DayCounts, kind: &str) -> &'a schedule::KindCounts {
    day.services
        .iter()
        .find(|k| k.kind == kind)
        .unwrap_or_else(|| panic!("{} counts {kind}", day.date))
}

fn figures<'a>(list: &'a [WaitFigures], name: &str) -> &'a WaitFigures {
    list.iter()
        .find(|f| f.group == name)
        .unwrap_or_else(|| panic!("figures for {name}"))
}

/// The people of the scenario and the guests they serve.
struct Center {
    d: Desk,
    pat: Session,
    nina: Session,
    sam: Session,
    ada: GuestCard,
    bo: GuestCard,
    cy: GuestCard,
    eli: GuestCard,
}

impl Center {
    /// Move to a local time of `date` and keep everyone logged in.
    fn at(&mut self, date: &str, hhmm: &str) {
        move_to(&self.d, local(date, hhmm));
        wake(&mut self.d, &mut self.pat);
        wake(&mut self.d, &mut self.nina);
        wake(&mut self.d, &mut self.sam);
    }

    fn report(&mut self, from: &str, to: &str) -> Report {
        report_of(&mut self.d, &mut self.sam, from, to)
    }
}

fn join(c: &mut Center, guest_id: i64, reason: &str, priority: Priority) -> i64 {
    let input = JoinInput {
        guest_id,
        reason: reason.into(),
        priority,
        note: None,
    };
    queue::join(&mut c.d.db, &c.d.clock, &mut c.pat, &input)
        .unwrap_or_else(|e| panic!("joins the queue for {reason}: {}", e.message))
        .line
        .id
}

/// The nurse moves an entry on.
fn serve(c: &mut Center, entry: i64, to: QueueState) {
    queue::change(&mut c.d.db, &c.d.clock, &mut c.nina, entry, to, None)
        .unwrap_or_else(|e| panic!("entry {entry} becomes {to:?}: {}", e.message));
}

/// The nurse calls the next guest to station 1 and starts at once; returns the entry.
fn call(c: &mut Center) -> i64 {
    let entry = queue::call_next(&mut c.d.db, &c.d.clock, &mut c.nina, 1)
        .unwrap_or_else(|e| panic!("calls the next guest: {}", e.message))
        .id;
    serve(c, entry, QueueState::InService);
    entry
}

fn book(c: &mut Center, guest_id: i64, resource_id: i64, start: &str) -> i64 {
    let target = BookingTarget::At {
        resource_id,
        start: start.into(),
    };
    schedule::book(&mut c.d.db, &c.d.clock, &mut c.pat, guest_id, &target)
        .unwrap_or_else(|e| panic!("books resource {resource_id} at {start}: {}", e.message))
        .id
}

fn booking_to(c: &mut Center, booking: i64, to: BookingState) {
    schedule::change_state(&mut c.d.db, &c.d.clock, &mut c.pat, booking, to)
        .unwrap_or_else(|e| panic!("booking {booking} becomes {to:?}: {}", e.message));
}

fn check_out(c: &mut Center, visit_id: i64) {
    visits::check_out(&mut c.d.db, &c.d.clock, &mut c.pat, visit_id)
        .unwrap_or_else(|e| panic!("visit {visit_id} checks out: {}", e.message));
}

/// Who makes a referral: the front desk, the nurse or the supervisor.
#[derive(Clone, Copy)]
enum By {
    Pat,
    Nina,
    Sam,
}

fn refer(c: &mut Center, by: By, guest_id: i64, category: &str, partner_id: i64) -> i64 {
    let input = ReferralInput {
        guest_id,
        category: category.into(),
        partner_id,
        follow_up_date: None,
        note: None,
    };
    let who = match by {
        By::Pat => &mut c.pat,
        By::Nina => &mut c.nina,
        By::Sam => &mut c.sam,
    };
    referrals::make(&mut c.d.db, &c.d.clock, who, &input)
        .unwrap_or_else(|e| panic!("a {category} referral: {}", e.message))
        .id
}

fn refer_status(c: &mut Center, by: By, referral: i64, to: ReferralStatus) {
    let who = match by {
        By::Pat => &mut c.pat,
        By::Nina => &mut c.nina,
        By::Sam => &mut c.sam,
    };
    referrals::change_status(&mut c.d.db, &c.d.clock, who, referral, to)
        .unwrap_or_else(|e| panic!("referral {referral} becomes {to:?}: {}", e.message));
}

fn incident(c: &mut Center, kind: IncidentKind, doses: &str, ems: bool, guest: Option<&str>) {
    let input = IncidentInput {
        kind,
        occurred: None,
        naloxone_doses: doses.into(),
        ems_called: ems,
        outcome: if ems {
            IncidentOutcome::Transported
        } else {
            IncidentOutcome::RecoveredOnSite
        },
        guest_code: guest.map(Into::into),
        note: None,
    };
    incidents::record(&mut c.d.db, &c.d.clock, &mut c.nina, &input)
        .unwrap_or_else(|e| panic!("records an incident: {}", e.message));
}

fn flag(c: &mut Center, guest: &str, kind: FlagKind, scope: Option<Scope>, ends: Option<&str>) {
    let new = NewFlag {
        guest_code: guest.into(),
        kind,
        scope,
        reason: "for the staff at the desk".into(),
        starts_on: None,
        ends_on: ends.map(Into::into),
    };
    restrictions::record(&mut c.d.db, &c.d.clock, &mut c.sam, &new)
        .unwrap_or_else(|e| panic!("records a flag: {}", e.message));
}

/// The hand-built scenario, left at 16:30 on [`DAY`] with Ada still inside and the day
/// not closed. Times are Boston wall-clock times (EST, UTC-5).
///
/// The day before ([`DAY_BEFORE`]): Eli registers at 10:00 (his first visit), gets an alert
/// at 10:20 and leaves at 10:30.
///
/// [`DAY`]:
/// - 08:00 Ada registers and comes in; 08:30 Bo registers and comes in.
/// - 08:40 Eli is checked in by mistake and the check-in is undone at 08:42 (void).
/// - 09:00 Cy registers and comes in; 09:10 Eli comes in (not new: first seen the day
///   before).
/// - 09:15 two people decline a code (two anonymous tallies).
/// - Nurse queue: Ada joins 09:05 (wound care, routine), Bo 09:10 (medication, urgent), Cy
///   09:20 (testing, routine), Eli 09:25 (general health, routine). The urgent one first:
///   Bo called 09:30 (waited 20 min), done 09:45; Ada called 09:50 (45 min), done 10:05;
///   Cy marked left without being seen 10:10; Eli called 10:20 (55 min), done 10:30.
/// - Showers: booked at 09:20 — Ada on Shower 1 at 09:30 (in use 09:30, done 09:52: 22
///   minutes), Bo on Shower 2 at 09:30 (never starts: a no-show once the 10 minutes of
///   grace pass), Cy on Shower 3 at 10:00 (cancelled at 09:50). Eli on Computer 1 at 09:30
///   (in use 09:30, done 10:00: 30 minutes).
/// - Leaving: Ada 10:15, back 11:00 (her second visit) and still inside; Cy 11:45; Bo
///   12:00; Eli 13:20.
/// - Incidents: 10:40 overdose, 2 naloxone doses, EMS called; 11:30 medical, no naloxone,
///   no EMS; 11:40 overdose, 3 doses, no EMS.
/// - Referrals at 11:05, all to one on-site partner, then their outcomes at 11:10:
///   Ada housing advocate (accepted), Bo shelter (left made), Cy detox (declined), Eli
///   benefits (accepted, completed), Ada other (cancelled), Eli mental health (no-show).
/// - 12:30 an alert on Ada; 12:35 a restriction from the showers on Bo.
fn scenario() -> Center {
    let mut d = desk_at(local(DAY_BEFORE, "09:30"));
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let nina = d.person("nina", &[Role::Nurse]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let partner = referrals::save_partner(
        &mut d.db,
        &d.clock,
        &mut sam,
        &PartnerInput {
            id: None,
            name: "Harbor Health".into(),
            on_site: true,
            on_site_days: "1234567".into(),
            active: true,
        },
    )
    .expect("a supervisor adds a partner");
    move_to(&d, local(DAY_BEFORE, "10:00"));
    let eli = d.arrive(&mut pat, "Eli");
    // Ada, Bo and Cy register on the day; until then they hold Eli's card.
    let placeholder = eli.clone();
    let mut c = Center {
        d,
        pat,
        nina,
        sam,
        ada: placeholder.clone(),
        bo: placeholder.clone(),
        cy: placeholder,
        eli,
    };
    c.at(DAY_BEFORE, "10:20");
    let eli_code = c.eli.code.clone();
    flag(&mut c, &eli_code, FlagKind::Alert, None, None);
    c.at(DAY_BEFORE, "10:30");
    let visit = c.eli.open_visit_id.expect("Eli is inside");
    check_out(&mut c, visit);

    c.at(DAY, "08:00");
    c.ada = c.d.arrive(&mut c.pat, "Ada");
    c.at(DAY, "08:30");
    c.bo = c.d.arrive(&mut c.pat, "Bo");
    c.at(DAY, "08:40");
    let mistaken = visits::check_in(&mut c.d.db, &c.d.clock, &mut c.pat, c.eli.id, false)
        .expect("Eli checked in by mistake");
    c.at(DAY, "08:42");
    visits::undo_check_in(&mut c.d.db, &c.d.clock, &mut c.pat, mistaken.visit_id)
        .expect("the mistake is undone");
    c.at(DAY, "09:00");
    c.cy = c.d.arrive(&mut c.pat, "Cy");
    let (ada, bo, cy, eli) = (c.ada.id, c.bo.id, c.cy.id, c.eli.id);
    c.at(DAY, "09:05");
    let q_ada = join(&mut c, ada, "wound_care", Priority::Routine);
    c.at(DAY, "09:10");
    let eli_visit = visits::check_in(&mut c.d.db, &c.d.clock, &mut c.pat, eli, false)
        .expect("Eli comes back")
        .visit_id;
    let q_bo = join(&mut c, bo, "medication", Priority::Urgent);
    c.at(DAY, "09:15");
    for _ in 0..2 {
        visits::count_anonymous(&mut c.d.db, &c.d.clock, &mut c.pat).expect("a tally");
    }
    c.at(DAY, "09:20");
    let q_cy = join(&mut c, cy, "testing", Priority::Routine);
    let ada_shower = book(&mut c, ada, 1, "09:30");
    book(&mut c, bo, 2, "09:30");
    let cy_shower = book(&mut c, cy, 3, "10:00");
    let eli_computer = book(&mut c, eli, 7, "09:30");
    c.at(DAY, "09:25");
    let q_eli = join(&mut c, eli, "general_health", Priority::Routine);
    c.at(DAY, "09:30");
    booking_to(&mut c, ada_shower, BookingState::InUse);
    booking_to(&mut c, eli_computer, BookingState::InUse);
    assert_eq!(call(&mut c), q_bo, "the urgent entry is called first");
    c.at(DAY, "09:45");
    serve(&mut c, q_bo, QueueState::Done);
    c.at(DAY, "09:50");
    booking_to(&mut c, cy_shower, BookingState::Cancelled);
    assert_eq!(call(&mut c), q_ada, "then the earliest routine entry");
    c.at(DAY, "09:52");
    booking_to(&mut c, ada_shower, BookingState::Done);
    c.at(DAY, "10:00");
    booking_to(&mut c, eli_computer, BookingState::Done);
    c.at(DAY, "10:05");
    serve(&mut c, q_ada, QueueState::Done);
    c.at(DAY, "10:10");
    serve(&mut c, q_cy, QueueState::Left);
    c.at(DAY, "10:15");
    let visit = c.ada.open_visit_id.expect("Ada is inside");
    check_out(&mut c, visit);
    c.at(DAY, "10:20");
    assert_eq!(call(&mut c), q_eli, "Eli is the last one waiting");
    c.at(DAY, "10:30");
    serve(&mut c, q_eli, QueueState::Done);
    c.at(DAY, "10:40");
    let cy_code = c.cy.code.clone();
    incident(&mut c, IncidentKind::Overdose, "2", true, Some(&cy_code));
    c.at(DAY, "11:00");
    visits::check_in(&mut c.d.db, &c.d.clock, &mut c.pat, ada, false).expect("Ada is back");
    c.at(DAY, "11:05");
    let housing = refer(&mut c, By::Sam, ada, "housing_advocate", partner);
    refer(&mut c, By::Pat, bo, "shelter", partner);
    let detox = refer(&mut c, By::Nina, cy, "sud_detox", partner);
    let benefits = refer(&mut c, By::Sam, eli, "benefits", partner);
    let other = refer(&mut c, By::Pat, ada, "other", partner);
    let mental = refer(&mut c, By::Nina, eli, "mental_health", partner);
    c.at(DAY, "11:10");
    refer_status(&mut c, By::Sam, housing, ReferralStatus::Accepted);
    refer_status(&mut c, By::Nina, detox, ReferralStatus::Declined);
    refer_status(&mut c, By::Sam, benefits, ReferralStatus::Accepted);
    refer_status(&mut c, By::Sam, benefits, ReferralStatus::Completed);
    refer_status(&mut c, By::Pat, other, ReferralStatus::Cancelled);
    refer_status(&mut c, By::Nina, mental, ReferralStatus::NoShow);
    c.at(DAY, "11:30");
    incident(&mut c, IncidentKind::Medical, "", false, None);
    c.at(DAY, "11:40");
    incident(&mut c, IncidentKind::Overdose, "3", false, None);
    c.at(DAY, "11:45");
    let cy_visit = c.cy.open_visit_id.expect("Cy is inside");
    check_out(&mut c, cy_visit);
    c.at(DAY, "12:00");
    let bo_visit = c.bo.open_visit_id.expect("Bo is inside");
    check_out(&mut c, bo_visit);
    c.at(DAY, "12:30");
    let ada_code = c.ada.code.clone();
    flag(&mut c, &ada_code, FlagKind::Alert, None, None);
    c.at(DAY, "12:35");
    let bo_code = c.bo.code.clone();
    flag(
        &mut c,
        &bo_code,
        FlagKind::Restriction,
        Some(Scope::Showers),
        Some("2026-11-25"),
    );
    c.at(DAY, "13:20");
    check_out(&mut c, eli_visit);
    c.at(DAY, "16:30");
    c
}

/// Every figure of [`DAY`] as worked out by hand; `tallies` and `corrections` change
/// after the close-out, the rest does not.
fn assert_the_day(day: &DayCounts, tallies: u32, corrections: u32) {
    assert_eq!(day.date, DAY);
    // Ada twice, Bo, Cy, Eli; the undone check-in of Eli at 08:40 does not count.
    assert_eq!(day.visits, 5, "five check-ins, the undone one excluded");
    assert_eq!(day.unique_guests, 4, "Ada visiting twice is one guest");
    assert_eq!(
        day.new_guests, 3,
        "Ada, Bo and Cy are new; Eli was first seen the day before"
    );
    assert_eq!(day.anonymous_tallies, tallies, "anonymous tallies");
    assert_eq!(
        day.corrections_after_close, corrections,
        "records after the close-out"
    );

    // Inside: Ada 08:00-10:15 and 11:00-(16:30 now, or 17:00 at close), Bo 08:30-12:00,
    // Cy 09:00-11:45, Eli 09:10-13:20 (the void 08:40-08:42 not at all).
    // 08h: Ada then Bo: 2 (3 if the undone check-in counted).
    // 09h: 2 at 09:00, Cy arrives at 09:00 sharp, Eli at 09:10: 4.
    // 10h: 4 at the start, Ada leaves 10:15: peak 4.
    // 11h: Bo, Cy, Eli and Ada back at 11:00 sharp: 4; Cy leaves 11:45.
    // 12h: Bo leaves at 12:00 sharp, before anyone else is counted: Ada and Eli, 2.
    // 13h: Ada and Eli, Eli leaves 13:20: 2. 14h-16h: Ada alone: 1. 17h on: nobody.
    let expected: Vec<(String, u32)> = (0..24)
        .map(|h| {
            let peak = match h {
                8 => 2,
                9..=11 => 4,
                12 | 13 => 2,
                14..=16 => 1,
                _ => 0,
            };
            (format!("{h:02}:00"), peak)
        })
        .collect();
    let got: Vec<(String, u32)> = day
        .occupancy_by_hour
        .iter()
        .map(|h| (h.hour.clone(), h.peak))
        .collect();
    assert_eq!(got, expected, "occupancy by hour, worked out by hand");
    assert_eq!(
        day.peak_occupancy, 4,
        "four inside at most (09:10 to 10:15)"
    );

    // Showers: Ada done (09:30-09:52, 22 minutes), Bo a no-show, Cy cancelled.
    let shower = kind(day, "shower");
    assert_eq!(
        (
            shower.done,
            shower.no_shows,
            shower.cancelled,
            shower.minutes_in_use
        ),
        (1, 1, 1, 22),
        "showers: one done in 22 minutes, one no-show, one cancelled"
    );
    // Computers: Eli 09:30-10:00; phones unused.
    let computer = kind(day, "computer");
    assert_eq!(
        (
            computer.done,
            computer.no_shows,
            computer.cancelled,
            computer.minutes_in_use
        ),
        (1, 0, 0, 30),
        "computers: one use of 30 minutes"
    );
    let phone = kind(day, "phone");
    assert_eq!(
        (
            phone.done,
            phone.no_shows,
            phone.cancelled,
            phone.minutes_in_use
        ),
        (0, 0, 0, 0),
        "phones: unused"
    );

    // Nurse: waits of those seen are 20 (Bo), 45 (Ada), 55 (Eli) minutes. Nearest rank:
    // median = rank ceil(3 * 0.5) = 2nd = 45; 90th = rank ceil(3 * 0.9) = 3rd = 55.
    let all = &day.nurse.all;
    assert_eq!(
        (
            all.joined,
            all.seen,
            all.left_without_being_seen,
            all.cancelled
        ),
        (4, 3, 1, 0),
        "four joined, three seen, Cy left without being seen"
    );
    assert_eq!(all.median_wait_minutes, Some(45), "median wait");
    assert_eq!(all.p90_wait_minutes, Some(55), "90th percentile wait");
    let urgent = figures(&day.nurse.by_priority, "urgent");
    assert_eq!(
        (urgent.joined, urgent.seen, urgent.median_wait_minutes),
        (1, 1, Some(20)),
        "the one urgent entry, Bo, waited 20 minutes"
    );
    // Routine seen: 45 and 55. Median rank ceil(1.0) = 1st = 45; p90 rank ceil(1.8) = 55.
    let routine = figures(&day.nurse.by_priority, "routine");
    assert_eq!(
        (
            routine.joined,
            routine.seen,
            routine.left_without_being_seen,
            routine.median_wait_minutes,
            routine.p90_wait_minutes
        ),
        (3, 2, 1, Some(45), Some(55)),
        "routine entries: Ada, Cy (left) and Eli"
    );
    let testing = figures(&day.nurse.by_reason, "testing");
    assert_eq!(
        (
            testing.joined,
            testing.seen,
            testing.left_without_being_seen,
            testing.median_wait_minutes
        ),
        (1, 0, 1, None),
        "nobody seen for testing: no wait to report"
    );

    // Incidents: two overdoses and one medical; 2 + 0 + 3 doses; EMS once.
    assert_eq!(
        day.nurse.incidents,
        IncidentCounts {
            incidents: 3,
            overdoses: 2,
            naloxone_doses: 5,
            ems_called: 1,
        },
        "incidents, overdoses, naloxone doses and EMS calls"
    );

    // Referrals by group, in the categories' order, and their outcomes now.
    let referrals: Vec<(&str, [u32; 7])> = day
        .referrals
        .iter()
        .map(|g| {
            (
                g.grouping.as_str(),
                [
                    g.made,
                    g.open,
                    g.accepted,
                    g.completed,
                    g.declined,
                    g.no_show,
                    g.cancelled,
                ],
            )
        })
        .collect();
    assert_eq!(
        referrals,
        vec![
            // made, open, accepted, completed, declined, no-show, cancelled
            ("substance_use_treatment", [1, 0, 0, 0, 1, 0, 0]), // Cy detox, declined
            ("clinical", [1, 0, 0, 0, 0, 1, 0]),                // Eli mental health
            ("housing", [2, 1, 1, 0, 0, 0, 0]),                 // Ada accepted, Bo open
            ("documents_and_benefits", [1, 0, 0, 1, 0, 0, 0]),  // Eli completed
            ("other", [1, 0, 0, 0, 0, 0, 1]),                   // Ada cancelled
        ],
        "referrals per group and outcome"
    );

    // The alert on Eli was recorded the day before and is not counted here.
    assert_eq!(day.alerts_issued, 1, "the alert on Ada");
    assert_eq!(day.restrictions_issued, 1, "the restriction on Bo");
}

#[test]
fn a_hand_built_day_has_every_figure_worked_out_by_hand() {
    let mut c = scenario();
    let report = c.report(DAY_BEFORE, DAY);
    assert_eq!(
        (report.from.as_str(), report.to.as_str()),
        (DAY_BEFORE, DAY)
    );
    assert_eq!(
        report.generated_local, "2026-11-18 16:30:00",
        "generated on the center's clock"
    );
    assert_eq!(report.days.len(), 2, "two days");
    assert_the_day(&report.days[1], 2, 0);
    assert_eq!(
        report.days[1].status,
        DayStatus::Provisional,
        "not closed out yet: provisional"
    );
    assert_eq!(
        report.unique_guests_in_range, 4,
        "Eli on both days counts once: Ada, Bo, Cy, Eli"
    );

    // The day before: Eli 10:00-10:30, his first visit, and the alert on him.
    let before = &report.days[0];
    assert_eq!(
        (
            before.visits,
            before.unique_guests,
            before.new_guests,
            before.anonymous_tallies,
            before.peak_occupancy,
            before.alerts_issued,
            before.restrictions_issued
        ),
        (1, 1, 1, 0, 1, 1, 0),
        "the day before: one new guest, one visit, one alert"
    );
    assert_eq!(peak_at(before, "10:00"), 1, "Eli inside at 10:00");
    assert_eq!(peak_at(before, "11:00"), 0, "and gone by 11:00");
    assert_eq!(
        (
            before.nurse.all.joined,
            before.referrals.iter().map(|g| g.made).sum::<u32>()
        ),
        (0, 0),
        "nothing else that day"
    );

    // Close out at 17:00: Ada is checked out then; the numbers become final.
    c.at(DAY, "17:00");
    visits::close_day(&mut c.d.db, &c.d.clock, &mut c.sam).expect("the day is closed out");
    let closed = c.report(DAY, DAY);
    assert_eq!(closed.days[0].status, DayStatus::Final, "closed out: final");
    assert_the_day(&closed.days[0], 2, 0);

    // A tally after the close-out is a correction: counted, and counted apart.
    c.at(DAY, "17:30");
    visits::count_anonymous(&mut c.d.db, &c.d.clock, &mut c.pat).expect("a late tally");
    let corrected = c.report(DAY_BEFORE, DAY);
    assert_eq!(corrected.days[1].status, DayStatus::Final, "still final");
    assert_the_day(&corrected.days[1], 3, 1);
    assert_eq!(
        corrected.days[0].status,
        DayStatus::LeftOpen,
        "the day before had visits and was never closed out"
    );
}

#[test]
fn a_visit_nobody_ended_before_midnight_is_settled_at_the_end_of_its_day() {
    // Friday 20 November 2026, 22:30 EST: a late event, after the 17:00 closing time.
    let mut d = desk_at(local("2026-11-20", "22:30"));
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    move_to(&d, local("2026-11-20", "23:00"));
    let owl = d.arrive(&mut pat, "Night Owl");

    // 00:30 on the 21st: the first read of the new day settles the 20th. Nobody stays
    // overnight; someone who came in after closing time is counted inside to midnight.
    move_to(&d, local("2026-11-21", "00:30"));
    let report = report_of(&mut d, &mut sam, "2026-11-20", "2026-11-21");
    let (first, second) = (&report.days[0], &report.days[1]);
    assert_eq!(
        (
            first.visits,
            first.unique_guests,
            first.new_guests,
            first.settled_at_day_end
        ),
        (1, 1, 1, 1),
        "a visit of the 20th, where it began, settled at its day's end"
    );
    assert_eq!(
        first.status,
        DayStatus::LeftOpen,
        "the 20th waits for its close-out"
    );
    assert_eq!(
        (second.visits, second.unique_guests, second.new_guests),
        (0, 0, 0),
        "not a visit of the 21st"
    );
    assert_eq!(peak_at(first, "22:00"), 0, "not yet in at 22:00");
    assert_eq!(peak_at(first, "23:00"), 1, "in from 23:00 to the day's end");
    assert_eq!(peak_at(second, "00:00"), 0, "not inside on the 21st");
    assert_eq!(
        (first.peak_occupancy, second.peak_occupancy),
        (1, 0),
        "the peak of each day"
    );

    wake(&mut d, &mut pat);
    let err = visits::check_out(
        &mut d.db,
        &d.clock,
        &mut pat,
        owl.open_visit_id.expect("was in"),
    )
    .expect_err("already settled");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    let desk = visits::desk_today(&mut d.db, &d.clock, &mut pat).expect("the desk");
    assert_eq!(
        desk.occupancy.inside, 0,
        "the 21st starts with nobody inside"
    );
}

fn labels(day: &DayCounts) -> Vec<&str> {
    day.occupancy_by_hour
        .iter()
        .map(|h| h.hour.as_str())
        .collect()
}

#[test]
fn the_spring_forward_day_has_23_hours_and_the_fall_back_day_25() {
    // Sunday 8 March 2026: 02:00 EST becomes 03:00 EDT. 06:00 UTC is 01:00 EST.
    let mut d = desk_at(utc(2026, 3, 8, 6, 0));
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    move_to(&d, utc(2026, 3, 8, 6, 30)); // 01:30 EST
    let early = d.arrive(&mut pat, "Early Bird");
    assert_eq!(early.first_seen_date, "2026-03-08", "the local day");
    move_to(&d, utc(2026, 3, 8, 7, 30)); // 03:30 EDT, one real hour later
    visits::check_out(
        &mut d.db,
        &d.clock,
        &mut pat,
        early.open_visit_id.expect("in"),
    )
    .expect("leaves");
    let report = report_of(&mut d, &mut sam, "2026-03-07", "2026-03-09");
    let spring = &report.days[1];
    assert_eq!(spring.date, "2026-03-08");
    let expected: Vec<String> = (0..24)
        .filter(|h| *h != 2)
        .map(|h| format!("{h:02}:00"))
        .collect();
    assert_eq!(
        labels(spring),
        expected,
        "23 hours: 02:00 does not exist on the center's clock"
    );
    assert_eq!(
        (
            peak_at(spring, "01:00"),
            peak_at(spring, "03:00"),
            peak_at(spring, "04:00")
        ),
        (1, 1, 0),
        "in 01:30 EST to 03:30 EDT: the hours either side of the jump"
    );
    assert_eq!(spring.visits, 1, "a visit of the 8th");
    assert_eq!(
        (
            report.days[0].occupancy_by_hour.len(),
            report.days[2].occupancy_by_hour.len()
        ),
        (24, 24),
        "the days around it are ordinary"
    );
    assert_eq!(
        report.days[0].visits + report.days[2].visits,
        0,
        "only the 8th"
    );

    // Sunday 1 November 2026: 02:00 EDT becomes 01:00 EST. 05:00 UTC is 01:00 EDT.
    let mut d = desk_at(utc(2026, 11, 1, 5, 0));
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    move_to(&d, utc(2026, 11, 1, 5, 10)); // 01:10 EDT, the first 01:00 hour
    let first = d.arrive(&mut pat, "First");
    move_to(&d, utc(2026, 11, 1, 5, 40));
    visits::check_out(
        &mut d.db,
        &d.clock,
        &mut pat,
        first.open_visit_id.expect("in"),
    )
    .expect("leaves");
    move_to(&d, utc(2026, 11, 1, 6, 15)); // 01:15 EST, the repeated 01:00 hour
    let second = d.arrive(&mut pat, "Second");
    move_to(&d, utc(2026, 11, 1, 6, 20));
    let third = d.arrive(&mut pat, "Third");
    move_to(&d, utc(2026, 11, 1, 6, 45));
    visits::check_out(
        &mut d.db,
        &d.clock,
        &mut pat,
        second.open_visit_id.expect("in"),
    )
    .expect("leaves");
    move_to(&d, utc(2026, 11, 1, 6, 50));
    visits::check_out(
        &mut d.db,
        &d.clock,
        &mut pat,
        third.open_visit_id.expect("in"),
    )
    .expect("leaves");
    for guest in [&first, &second, &third] {
        assert_eq!(
            guest.first_seen_date, "2026-11-01",
            "the repeated hour is still the 1st"
        );
    }
    let report = report_of(&mut d, &mut sam, "2026-11-01", "2026-11-02");
    let autumn = &report.days[0];
    let mut expected: Vec<String> = vec!["00:00".into(), "01:00".into(), "01:00".into()];
    expected.extend((2..24).map(|h| format!("{h:02}:00")));
    assert_eq!(
        labels(autumn),
        expected,
        "25 hours: 01:00 twice on the center's clock"
    );
    let peaks: Vec<u32> = autumn.occupancy_by_hour.iter().map(|h| h.peak).collect();
    assert_eq!(
        &peaks[..4],
        &[0, 1, 2, 0],
        "one guest in the first 01:00 (EDT), two in the second (EST), nobody at 02:00"
    );
    assert_eq!(autumn.peak_occupancy, 2, "the day's peak");
    assert_eq!(
        (autumn.visits, autumn.new_guests),
        (3, 3),
        "three visits of the 1st"
    );
    assert_eq!(
        (
            report.days[1].occupancy_by_hour.len(),
            report.days[1].visits
        ),
        (24, 0),
        "the 2nd is an ordinary day with nobody"
    );
}

#[test]
fn a_range_counts_each_day_and_distinct_guests_and_bad_ranges_are_refused() {
    // Xan comes on the 17th and the 18th, Yara on the 18th; nobody on the 19th.
    let mut d = desk_at(local("2026-11-17", "09:00"));
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut nina = d.person("nina", &[Role::Nurse]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let xan = d.arrive(&mut pat, "Xan");
    move_to(&d, local("2026-11-17", "09:30"));
    visits::check_out(
        &mut d.db,
        &d.clock,
        &mut pat,
        xan.open_visit_id.expect("in"),
    )
    .expect("leaves");
    move_to(&d, local("2026-11-18", "09:00"));
    wake(&mut d, &mut pat);
    let back = visits::check_in(&mut d.db, &d.clock, &mut pat, xan.id, false).expect("back");
    let yara = d.arrive(&mut pat, "Yara");
    move_to(&d, local("2026-11-18", "09:30"));
    for visit in [back.visit_id, yara.open_visit_id.expect("in")] {
        visits::check_out(&mut d.db, &d.clock, &mut pat, visit).expect("leaves");
    }
    move_to(&d, local("2026-11-20", "09:00"));
    wake(&mut d, &mut sam);
    let mut told = Vec::new();
    let report = compute(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut sam),
        "2026-11-17",
        " 2026-11-19 ",
        &mut |done, total| told.push((done, total)),
    )
    .expect("a three-day report");
    let dates: Vec<&str> = report.days.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(
        dates,
        ["2026-11-17", "2026-11-18", "2026-11-19"],
        "three days, in order"
    );
    assert_eq!(told, [(1, 3), (2, 3), (3, 3)], "progress after each day");
    let per_day: Vec<u32> = report.days.iter().map(|d| d.unique_guests).collect();
    assert_eq!(per_day, [1, 2, 0], "guests per day");
    assert_eq!(
        report.unique_guests_in_range, 2,
        "Xan and Yara: distinct guests, not the sum of the days (3)"
    );

    let refused = |d: &mut Desk, sam: &mut Session, from: &str, to: &str| {
        wake(d, sam);
        let err = compute(
            &mut d.db,
            &d.clock,
            &mut Actor::Staff(sam),
            from,
            to,
            &mut |_, _| {},
        )
        .expect_err("refused");
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "{from:?}..{to:?} is invalid input: {}",
            err.message
        );
        err.message
    };
    let message = refused(&mut d, &mut sam, "2026-11-19", "2026-11-17");
    assert!(message.starts_with("to:"), "the field is named: {message}");
    for bad in [
        "2026-02-30",
        "",
        "yesterday",
        "'; DROP TABLE visits; --",
        "2026-11-17' OR '1'='1",
    ] {
        refused(&mut d, &mut sam, bad, "2026-11-19");
        refused(&mut d, &mut sam, "2026-11-17", bad);
    }
    assert_eq!(
        d.count("SELECT count(*) FROM visits"),
        3,
        "SQL-looking text changed nothing"
    );
    // Five years and a leap day at most: 2020-01-01 to 2024-12-31 is 1827 days.
    assert!(
        parse_range("2020-01-01", "2024-12-31").is_ok(),
        "exactly the longest range is allowed"
    );
    let message = refused(&mut d, &mut sam, "2020-01-01", "2025-01-01");
    assert!(
        message.contains("five years"),
        "one day more is refused: {message}"
    );

    // Only supervisors (and the command line for scheduled exports).
    let mut admin = auth::login(&mut d.db, &d.clock, "admin", PASSWORD).expect("admin");
    wake(&mut d, &mut pat);
    wake(&mut d, &mut nina);
    for (who, session) in [
        ("front desk", &mut pat),
        ("nurse", &mut nina),
        ("admin", &mut admin),
    ] {
        let err = compute(
            &mut d.db,
            &d.clock,
            &mut Actor::Staff(session),
            "2026-11-17",
            "2026-11-19",
            &mut |_, _| {},
        )
        .expect_err("not a supervisor");
        assert_eq!(
            err.code,
            ErrorCode::PermissionDenied,
            "{who} may not see the counts: {}",
            err.message
        );
    }
    let cli = compute(
        &mut d.db,
        &d.clock,
        &mut Actor::Cli {
            os_user: "scheduler".into(),
        },
        "2026-11-17",
        "2026-11-19",
        &mut |_, _| {},
    )
    .expect("the command line runs scheduled exports");
    assert_eq!(cli.days, report.days, "the same counts");
}

/// A day with nothing, to fill in by hand.
fn blank_day(date: &str) -> DayCounts {
    let wait = |group: &str| WaitFigures {
        group: group.into(),
        joined: 0,
        seen: 0,
        left_without_being_seen: 0,
        cancelled: 0,
        median_wait_minutes: None,
        p90_wait_minutes: None,
    };
    DayCounts {
        date: date.into(),
        status: DayStatus::Provisional,
        visits: 0,
        unique_guests: 0,
        new_guests: 0,
        anonymous_tallies: 0,
        corrections_after_close: 0,
        settled_at_day_end: 0,
        peak_occupancy: 0,
        occupancy_by_hour: (0..24)
            .map(|h| HourOccupancy {
                hour: format!("{h:02}:00"),
                peak: 0,
            })
            .collect(),
        services: ["computer", "phone", "shower"]
            .map(|kind| schedule::KindCounts {
                kind: kind.into(),
                booked: 0,
                done: 0,
                no_shows: 0,
                cancelled: 0,
                minutes_in_use: 0,
            })
            .to_vec(),
        nurse: queue::QueueCounts {
            all: wait("all"),
            by_reason: vec![],
            by_priority: vec![wait("urgent"), wait("routine")],
            incidents: IncidentCounts {
                incidents: 0,
                overdoses: 0,
                naloxone_doses: 0,
                ems_called: 0,
            },
        },
        referrals: [
            "substance_use_treatment",
            "clinical",
            "housing",
            "documents_and_benefits",
            "other",
        ]
        .map(|grouping| ReferralGroupCounts {
            grouping: grouping.into(),
            made: 0,
            open: 0,
            accepted: 0,
            completed: 0,
            declined: 0,
            no_show: 0,
            cancelled: 0,
        })
        .to_vec(),
        alerts_issued: 0,
        restrictions_issued: 0,
    }
}

fn report_of_days(days: Vec<DayCounts>) -> Report {
    Report {
        from: days.first().map(|d| d.date.clone()).unwrap_or_default(),
        to: days.last().map(|d| d.date.clone()).unwrap_or_default(),
        generated_local: "2026-11-30 08:00:00".into(),
        unique_guests_in_range: 0,
        days,
    }
}

/// The CSV as a header and rows of column name to text.
fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.expect("a row");
            assert_eq!(record.len(), header.len(), "every row has every column");
            header
                .iter()
                .cloned()
                .zip(record.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

const NONE: Suppression = Suppression { threshold: None };
const TEN: Suppression = Suppression {
    threshold: Some(10),
};

#[test]
fn the_csv_has_the_stable_columns_one_row_per_day_and_hides_small_cells() {
    let mut c = scenario();
    let report = c.report(DAY_BEFORE, DAY);
    let (header, rows) = read_csv(&export::csv_bytes(&report, NONE).expect("a CSV"));
    let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(header, names, "the header is the columns, in order");
    assert_eq!(rows.len(), report.days.len(), "one row per day");
    let day = &report.days[1];
    let row = &rows[1];
    let expected = [
        ("date", DAY.to_string()),
        ("status", "provisional".to_string()),
        ("visits", day.visits.to_string()),
        ("unique_guests", "4".to_string()),
        ("new_guests", "3".to_string()),
        ("anonymous_tallies", "2".to_string()),
        ("peak_occupancy", "4".to_string()),
        ("showers_done", "1".to_string()),
        ("showers_no_shows", "1".to_string()),
        ("showers_cancelled", "1".to_string()),
        ("showers_minutes_in_use", "22".to_string()),
        ("workstations_done", "1".to_string()),
        ("workstations_minutes_in_use", "30".to_string()),
        ("nurse_joined", "4".to_string()),
        ("nurse_seen", "3".to_string()),
        ("nurse_left_without_being_seen", "1".to_string()),
        ("nurse_median_wait_minutes", "45".to_string()),
        ("nurse_p90_wait_minutes", "55".to_string()),
        ("incidents", "3".to_string()),
        ("overdoses", "2".to_string()),
        ("naloxone_doses", "5".to_string()),
        ("ems_called", "1".to_string()),
        ("referrals_made", "6".to_string()),
        ("referrals_substance_use_treatment", "1".to_string()),
        ("referrals_clinical", "1".to_string()),
        ("referrals_housing", "2".to_string()),
        ("referrals_documents_and_benefits", "1".to_string()),
        ("referrals_other", "1".to_string()),
        ("referrals_open", "1".to_string()),
        ("referrals_accepted", "1".to_string()),
        ("referrals_completed", "1".to_string()),
        ("referrals_declined", "1".to_string()),
        ("referrals_no_show", "1".to_string()),
        ("referrals_cancelled", "1".to_string()),
        ("alerts_issued", "1".to_string()),
        ("restrictions_issued", "1".to_string()),
    ];
    for (column, value) in &expected {
        assert_eq!(&row[*column], value, "{column} of {DAY} as in the report");
    }
    assert_eq!(rows[0]["date"], DAY_BEFORE, "the day before comes first");
    assert_eq!(rows[0]["nurse_median_wait_minutes"], "", "no wait: empty");

    // The same report suppressed: every small count of the day is hidden, zeros are not.
    let (_, hidden) = read_csv(&export::csv_bytes(&report, TEN).expect("a CSV"));
    assert_eq!(hidden[1]["visits"], "<11", "5 visits are a small cell");
    assert_eq!(hidden[1]["referrals_made"], "<11", "6 referrals too");
    assert_eq!(
        hidden[1]["nurse_median_wait_minutes"], "suppressed",
        "3 seen"
    );
    assert_eq!(
        hidden[1]["showers_minutes_in_use"], "22",
        "minutes are not people"
    );
    assert_eq!(hidden[1]["referrals_clinical"], "<11", "one referral");
    assert_eq!(hidden[0]["incidents"], "0", "zero stays zero");
    assert_eq!(hidden[1]["date"], DAY, "the date is not a count");

    // Hand-built days for the edges.
    let mut edges = blank_day("2026-11-19");
    edges.visits = 3;
    edges.unique_guests = 11;
    edges.new_guests = 0;
    edges.anonymous_tallies = 10;
    edges.peak_occupancy = 1;
    edges.alerts_issued = 12;
    let (_, rows) =
        read_csv(&export::csv_bytes(&report_of_days(vec![edges.clone()]), TEN).unwrap());
    let row = &rows[0];
    assert_eq!(row["visits"], "<11", "3 reads <11");
    assert_eq!(row["new_guests"], "0", "0 stays 0");
    assert_eq!(row["unique_guests"], "11", "11 is above the threshold");
    assert_eq!(
        row["anonymous_tallies"], "<11",
        "10 is the threshold itself"
    );
    assert_eq!(row["peak_occupancy"], "<11", "1 is the smallest small cell");
    assert_eq!(row["alerts_issued"], "12", "12 shows");
    let (_, rows) = read_csv(&export::csv_bytes(&report_of_days(vec![edges]), NONE).unwrap());
    assert_eq!(rows[0]["visits"], "3", "without suppression, the number");

    // Secondary suppression (group set): one group small (3 detox), the total (23) shown.
    // Hiding only the 3 would leave it as 23 - 20 - 0 - 0 - 0, so the next smallest shown
    // part (housing, 20) is hidden too.
    let mut one_group = blank_day("2026-11-20");
    one_group.referrals[0].made = 3;
    one_group.referrals[0].open = 3;
    one_group.referrals[2].made = 20;
    one_group.referrals[2].open = 20;
    // Secondary suppression (outcome set): 4 declined and 14 open of 18 housing
    // referrals; hiding the 4 alone would leave it as 18 - 14.
    let mut one_outcome = blank_day("2026-11-21");
    one_outcome.referrals[2].made = 18;
    one_outcome.referrals[2].open = 14;
    one_outcome.referrals[2].declined = 4;
    // Waits: 4 seen are too few to show how long they waited; 11 are enough.
    let mut waits = blank_day("2026-11-22");
    waits.nurse.all.joined = 15;
    waits.nurse.all.seen = 4;
    waits.nurse.all.left_without_being_seen = 11;
    waits.nurse.all.median_wait_minutes = Some(12);
    waits.nurse.all.p90_wait_minutes = Some(30);
    let mut enough = blank_day("2026-11-23");
    enough.nurse.all.joined = 11;
    enough.nurse.all.seen = 11;
    enough.nurse.all.median_wait_minutes = Some(12);
    enough.nurse.all.p90_wait_minutes = Some(30);
    let days = report_of_days(vec![one_group, one_outcome, waits, enough]);
    let (_, rows) = read_csv(&export::csv_bytes(&days, TEN).unwrap());

    let groups = [
        "referrals_substance_use_treatment",
        "referrals_clinical",
        "referrals_housing",
        "referrals_documents_and_benefits",
        "referrals_other",
    ];
    let outcomes = [
        "referrals_open",
        "referrals_accepted",
        "referrals_completed",
        "referrals_declined",
        "referrals_no_show",
        "referrals_cancelled",
    ];
    let row = &rows[0];
    assert_eq!(
        row["referrals_substance_use_treatment"], "<11",
        "3 is small"
    );
    assert_eq!(row["referrals_made"], "23", "the total is not small");
    assert_eq!(
        row["referrals_housing"], "suppressed",
        "another part (20, not small) is hidden so the 3 cannot be worked out from the total"
    );
    assert_eq!(row["referrals_clinical"], "0", "zeros need no hiding");
    let row = &rows[1];
    assert_eq!(row["referrals_declined"], "<11", "4 is small");
    assert_eq!(
        row["referrals_open"], "suppressed",
        "the only other outcome with referrals is hidden too"
    );
    assert_eq!(
        (
            row["referrals_made"].as_str(),
            row["referrals_housing"].as_str()
        ),
        ("18", "18"),
        "the total and its one group show"
    );
    // Whatever the rows, no total shown has exactly one hidden part.
    for row in &rows[..2] {
        for parts in [&groups[..], &outcomes[..]] {
            let hidden = parts
                .iter()
                .filter(|p| row[**p].parse::<i64>().is_err())
                .count();
            assert!(
                row["referrals_made"].parse::<i64>().is_err() || hidden != 1,
                "{}: a shown total with one hidden part gives it away: {row:?}",
                row["date"]
            );
        }
    }
    let row = &rows[2];
    assert_eq!(
        (
            row["nurse_median_wait_minutes"].as_str(),
            row["nurse_p90_wait_minutes"].as_str()
        ),
        ("suppressed", "suppressed"),
        "waits of 4 people are suppressed"
    );
    assert_eq!(
        row["nurse_left_without_being_seen"], "suppressed",
        "11 is hidden too: 15 joined less 11 left and none cancelled would give the 4 seen away"
    );
    let row = &rows[3];
    assert_eq!(
        (
            row["nurse_median_wait_minutes"].as_str(),
            row["nurse_p90_wait_minutes"].as_str()
        ),
        ("12", "30"),
        "waits of 11 people show"
    );
}

fn number(cell: Option<&Data>) -> Option<f64> {
    match cell {
        Some(Data::Float(n)) => Some(*n),
        Some(Data::Int(n)) => Some(*n as f64),
        _ => None,
    }
}

fn text(cell: Option<&Data>) -> Option<&str> {
    match cell {
        Some(Data::String(s)) => Some(s.as_str()),
        _ => None,
    }
}

const SHEETS: [&str; 8] = [
    "Summary",
    "Days",
    "Occupancy by hour",
    "Showers and workstations",
    "Nurse queue",
    "Incidents",
    "Referrals",
    "Alerts and restrictions",
];

/// Write a workbook to a file and open it with calamine.
fn open_xlsx(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> Xlsx<std::io::BufReader<std::fs::File>> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("written");
    open_workbook(&path).expect("calamine opens the workbook")
}

fn column(name: &str) -> u32 {
    u32::try_from(
        COLUMNS
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("a column {name}")),
    )
    .expect("few columns")
}

#[test]
fn the_xlsx_opens_in_another_reader_with_its_sheets_headings_and_cells() {
    let mut c = scenario();
    let report = c.report(DAY_BEFORE, DAY);
    let dir = tempfile::tempdir().expect("a folder");
    let mut book = open_xlsx(
        dir.path(),
        "plain.xlsx",
        &export::xlsx_bytes(&report, NONE).expect("a workbook"),
    );
    assert_eq!(book.sheet_names(), SHEETS, "the sheets, in order");
    let shared = open_xlsx(
        dir.path(),
        "shared.xlsx",
        &export::xlsx_bytes(&report, TEN).expect("a workbook"),
    );
    assert_eq!(
        shared.sheet_names(),
        [
            "Summary",
            "Days",
            "Occupancy by hour",
            "Incidents",
            "Alerts and restrictions"
        ],
        "a workbook with small cells hidden leaves out the breakdowns that add up to the days"
    );
    for sheet in SHEETS {
        let range = book.worksheet_range(sheet).expect("the sheet reads");
        assert_eq!(
            text(range.get_value((0, 0))),
            Some(
                format!(
                    "Engagement Desk: {}",
                    if sheet == "Summary" {
                        "Daily counts: summary"
                    } else if sheet == "Days" {
                        "Daily counts: one row per day"
                    } else {
                        sheet
                    }
                )
                .as_str()
            ),
            "{sheet}: the title"
        );
        assert_eq!(
            text(range.get_value((1, 0))),
            Some("Range: 2026-11-17 to 2026-11-18"),
            "{sheet}: the range"
        );
        assert_eq!(
            text(range.get_value((2, 0))),
            Some("Generated: 2026-11-18 16:30:00"),
            "{sheet}: when it was generated"
        );
        assert_eq!(
            text(range.get_value((3, 0))),
            Some("Not suppressed: for use inside the center"),
            "{sheet}: says it is not suppressed"
        );
    }

    // Days: the header at row 5, the day before at row 6, the day at row 7.
    let days = book.worksheet_range("Days").expect("Days");
    for (i, c) in COLUMNS.iter().enumerate() {
        let col = u32::try_from(i).unwrap();
        assert_eq!(text(days.get_value((5, col))), Some(c.name), "header {i}");
    }
    assert_eq!(text(days.get_value((7, 0))), Some(DAY), "the day's row");
    assert_eq!(
        number(days.get_value((7, column("visits")))),
        Some(f64::from(report.days[1].visits)),
        "visits as a number, as in the report"
    );
    assert_eq!(
        number(days.get_value((7, column("naloxone_doses")))),
        Some(5.0),
        "naloxone doses as a number"
    );
    assert_eq!(
        number(days.get_value((6, column("visits")))),
        Some(1.0),
        "the day before's visit"
    );
    assert_eq!(
        text(days.get_value((7, column("status")))),
        Some("provisional"),
        "the status as text"
    );

    // Summary: the column name at 6 + i, the value over the range beside it.
    let summary = book.worksheet_range("Summary").expect("Summary");
    let at = |name: &str| 6 + column(name);
    assert_eq!(
        text(summary.get_value((at("visits"), 0))),
        Some("visits"),
        "the summary lists the columns"
    );
    assert_eq!(
        number(summary.get_value((at("visits"), 1))),
        Some(6.0),
        "visits over the range: 1 + 5"
    );
    assert_eq!(
        number(summary.get_value((at("unique_guests"), 1))),
        Some(4.0),
        "distinct guests over the range, not 1 + 4"
    );
    assert_eq!(
        number(summary.get_value((at("peak_occupancy"), 1))),
        Some(4.0),
        "the highest peak, not a sum"
    );
    assert_eq!(
        number(summary.get_value((at("alerts_issued"), 1))),
        Some(2.0),
        "alerts over the range: 1 + 1"
    );

    // Occupancy by hour: 24 rows of the day before, then the day; 09:00 of the day had 4.
    let hours = book.worksheet_range("Occupancy by hour").expect("hours");
    let row = 6 + 24 + 9;
    assert_eq!(text(hours.get_value((row, 0))), Some(DAY), "the day");
    assert_eq!(text(hours.get_value((row, 1))), Some("09:00"), "09:00");
    assert_eq!(number(hours.get_value((row, 2))), Some(4.0), "four inside");

    // Incidents: one row per day.
    let incidents = book.worksheet_range("Incidents").expect("incidents");
    assert_eq!(
        (
            number(incidents.get_value((7, 1))),
            number(incidents.get_value((7, 2))),
            number(incidents.get_value((7, 3))),
            number(incidents.get_value((7, 4)))
        ),
        (Some(3.0), Some(2.0), Some(5.0), Some(1.0)),
        "incidents, overdoses, doses, EMS"
    );

    // Suppressed: small counts are the text "<11"; zeros and minutes stay numbers.
    let mut book = open_xlsx(
        dir.path(),
        "suppressed.xlsx",
        &export::xlsx_bytes(&report, TEN).expect("a workbook"),
    );
    let days = book.worksheet_range("Days").expect("Days");
    assert_eq!(
        text(days.get_value((7, column("visits")))),
        Some("<11"),
        "5 visits are hidden as text"
    );
    assert_eq!(
        number(days.get_value((7, column("showers_minutes_in_use")))),
        Some(22.0),
        "minutes are not suppressed"
    );
    assert_eq!(
        number(days.get_value((6, column("incidents")))),
        Some(0.0),
        "zero stays the number 0"
    );
    assert_eq!(
        text(days.get_value((7, column("nurse_median_wait_minutes")))),
        Some("suppressed"),
        "waits of three people"
    );
    let summary = book.worksheet_range("Summary").expect("Summary");
    assert!(
        text(summary.get_value((3, 0)))
            .is_some_and(|t| t.starts_with("Counts from 1 to 10 are shown as <11;")),
        "the sheet says what is hidden"
    );
    let hours = book.worksheet_range("Occupancy by hour").expect("hours");
    assert_eq!(
        text(hours.get_value((row, 2))),
        Some("<11"),
        "four inside is a small cell"
    );
}

#[test]
fn a_total_over_the_range_does_not_give_away_a_hidden_day() {
    // Visits 3, 25 and 30: the Days sheet hides the 3, so a range total of 58 beside 25
    // and 30 would give it away (58 - 25 - 30 = 3).
    let mut first = blank_day("2026-11-19");
    first.visits = 3;
    // New guests 4, 5 and 20: two hidden days; 29 - 20 = 9 would be their sum.
    first.new_guests = 4;
    // Peaks 3, 25 and 30: the highest is not a sum and gives nothing away.
    first.peak_occupancy = 3;
    // Three seen: the day's waits are hidden; the summary only points to the days.
    first.nurse.all.joined = 3;
    first.nurse.all.seen = 3;
    first.nurse.all.median_wait_minutes = Some(5);
    first.nurse.all.p90_wait_minutes = Some(9);
    // Referrals: detox 3 (hidden) and housing 20 (hidden with it) of 23 on the first day;
    // 12 and 15 of 27 on the second. Over the range detox 15 - 12 would give the 3 away,
    // and housing 35 - 15 the 20.
    first.referrals[0].made = 3;
    first.referrals[0].open = 3;
    first.referrals[2].made = 20;
    first.referrals[2].open = 20;
    let mut second = blank_day("2026-11-20");
    second.visits = 25;
    second.new_guests = 5;
    second.peak_occupancy = 25;
    second.referrals[0].made = 12;
    second.referrals[0].open = 12;
    second.referrals[2].made = 15;
    second.referrals[2].open = 15;
    let mut third = blank_day("2026-11-21");
    third.visits = 30;
    third.new_guests = 20;
    third.peak_occupancy = 30;
    let report = report_of_days(vec![first, second, third]);
    let dir = tempfile::tempdir().expect("a folder");
    let mut book = open_xlsx(
        dir.path(),
        "range.xlsx",
        &export::xlsx_bytes(&report, TEN).expect("a workbook"),
    );
    let days = book.worksheet_range("Days").expect("Days");
    assert_eq!(
        text(days.get_value((6, column("visits")))),
        Some("<11"),
        "the first day's 3 visits are hidden"
    );
    assert_eq!(
        text(days.get_value((6, column("referrals_housing")))),
        Some("suppressed"),
        "and its housing referrals (20) with the detox ones"
    );
    let summary = book.worksheet_range("Summary").expect("Summary");
    let over_range = |name: &str| summary.get_value((6 + column(name), 1)).cloned();
    for name in [
        "visits",
        "referrals_substance_use_treatment",
        "referrals_housing",
    ] {
        assert_eq!(
            over_range(name),
            Some(Data::String("suppressed".into())),
            "{name}: a range total beside one hidden day is hidden too (it is not small)"
        );
    }
    assert_eq!(
        over_range("new_guests"),
        Some(Data::String("suppressed".into())),
        "two hidden days would add up to 29 - 20 = 9, a small number: the total is hidden"
    );
    assert_eq!(
        over_range("referrals_made"),
        Some(Data::Float(50.0)),
        "referrals over the range show: two of their groups are hidden"
    );
    assert_eq!(
        over_range("peak_occupancy"),
        Some(Data::Float(30.0)),
        "the highest peak shows"
    );
    assert_eq!(
        over_range("nurse_median_wait_minutes"),
        Some(Data::String("see the days".into())),
        "waits are not added up"
    );
}

#[test]
fn write_file_puts_the_whole_file_in_place_or_fails_with_a_storage_error() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("counts.csv");
    export::write_file(&path, b"date,visits\n2026-11-18,5\n").expect("written");
    assert_eq!(
        std::fs::read(&path).expect("read back"),
        b"date,visits\n2026-11-18,5\n",
        "the file has the bytes"
    );
    export::write_file(&path, b"replaced\n").expect("written again");
    assert_eq!(
        std::fs::read(&path).expect("read back"),
        b"replaced\n",
        "a second write replaces the file whole"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("listed")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert_eq!(names, ["counts.csv"], "no temporary file is left behind");

    let missing = dir.path().join("no such folder").join("counts.csv");
    let err = export::write_file(&missing, b"x").expect_err("no folder to write into");
    assert_eq!(err.code, ErrorCode::Storage, "{}", err.message);
    assert!(!missing.exists(), "nothing was written");
}

#[test]
fn the_small_cell_threshold_is_ten_until_a_supervisor_changes_it() {
    let mut d = desk_at(local(DAY, "09:00"));
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    assert_eq!(small_cell_threshold(&d.db), 10, "the default is 10");
    assert_eq!(
        set_small_cell_threshold(&mut d.db, &d.clock, &mut sam, " 5 ").expect("set"),
        5,
        "a supervisor sets 5"
    );
    assert_eq!(small_cell_threshold(&d.db), 5, "and it is kept");
    for bad in ["0", "101", "abc", "", "-3", "5; DROP TABLE settings"] {
        let err = set_small_cell_threshold(&mut d.db, &d.clock, &mut sam, bad)
            .expect_err("out of range or not a number");
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "{bad:?}: {}",
            err.message
        );
    }
    let err = set_small_cell_threshold(&mut d.db, &d.clock, &mut pat, "7").expect_err("front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert_eq!(
        small_cell_threshold(&d.db),
        5,
        "refused changes leave it as it was"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM audit_log WHERE action = 'settings.small_cell_threshold'"),
        1,
        "the one change is audited"
    );
}

/// One day's counts with one query per figure, as the engine counted before it read a
/// whole range at once: the reference a range's days must match.
fn day_by_queries(
    conn: &rusqlite::Connection,
    zone: Tz,
    now: DateTime<Utc>,
    date: NaiveDate,
) -> DayCounts {
    let text = date.to_string();
    let (start, end) = days::range_bounds(zone, date, date);
    let count = |sql: &str| -> u32 {
        conn.query_row(sql, [&text], |row| row.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let visits = count("SELECT count(*) FROM visits WHERE service_date = ?1 AND voided_at IS NULL");
    let tallies = count("SELECT count(*) FROM anonymous_tallies WHERE service_date = ?1");
    let mut statement = conn
        .prepare(
            "SELECT checked_in_at, checked_out_at FROM visits
             WHERE checked_in_at >= ?1 AND checked_in_at < ?2 AND voided_at IS NULL
               AND (checked_out_at IS NULL OR checked_out_at > ?3)
             UNION ALL
             SELECT checked_in_at, checked_out_at FROM visits
             WHERE checked_out_at IS NULL AND voided_at IS NULL AND checked_in_at < ?1",
        )
        .expect("stays");
    let stamp = crate::days::stamp;
    let stays: Vec<(DateTime<Utc>, DateTime<Utc>)> = statement
        .query_map(
            rusqlite::params![stamp(start - Duration::hours(36)), stamp(end), stamp(start)],
            |row| {
                let arrived: String = row.get(0)?;
                let left: Option<String> = row.get(1)?;
                Ok((
                    crate::days::instant(&arrived)?,
                    left.as_deref()
                        .map(crate::days::instant)
                        .transpose()?
                        .unwrap_or(now),
                ))
            },
        )
        .expect("stays")
        .collect::<rusqlite::Result<_>>()
        .expect("stays");
    let (occupancy_by_hour, peak_occupancy) = occupancy(&stays, zone, start, end);
    let (alerts_issued, restrictions_issued) = conn
        .query_row(
            "SELECT count(*) FILTER (WHERE kind = 'alert'),
                    count(*) FILTER (WHERE kind = 'restriction')
             FROM guest_flags WHERE created_at >= ?1 AND created_at < ?2",
            rusqlite::params![stamp(start), stamp(end)],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("flags");
    let today = days::local_date(zone, now);
    DayCounts {
        status: match (
            count("SELECT count(*) FROM day_closures WHERE service_date = ?1"),
            count("SELECT count(*) FROM day_closures WHERE service_date = ?1 AND closed_late = 1"),
        ) {
            (1, 0) => DayStatus::Final,
            (1, _) => DayStatus::ClosedLate,
            _ if date < today && visits + tallies > 0 => DayStatus::LeftOpen,
            _ => DayStatus::Provisional,
        },
        visits,
        unique_guests: count(
            "SELECT count(DISTINCT guest_id) FROM visits
             WHERE service_date = ?1 AND voided_at IS NULL",
        ),
        // From the visits themselves, not the stored first-visit date.
        new_guests: count(
            "SELECT count(*) FROM guests g WHERE g.merged_into IS NULL
               AND (SELECT min(service_date) FROM visits v
                    WHERE v.guest_id = g.id AND v.voided_at IS NULL) = ?1",
        ),
        anonymous_tallies: tallies,
        corrections_after_close: count(
            "SELECT count(*) FROM visits
             WHERE service_date = ?1 AND voided_at IS NULL AND after_close = 1",
        ) + count(
            "SELECT count(*) FROM anonymous_tallies WHERE service_date = ?1 AND after_close = 1",
        ),
        settled_at_day_end: count(
            "SELECT count(*) FROM visits
             WHERE service_date = ?1 AND voided_at IS NULL AND settled_at_day_end = 1",
        ),
        peak_occupancy,
        occupancy_by_hour,
        services: crate::schedule::counts_on(conn, &text).expect("services"),
        nurse: queue::counts_on(conn, &text).expect("queue"),
        referrals: referrals::counts_on(conn, &text).expect("referrals"),
        alerts_issued,
        restrictions_issued,
        date: text,
    }
}

#[test]
fn a_range_is_read_at_once_and_each_day_counts_as_it_does_by_itself() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("demo.db");
    // 30 busy days ending on 2026-11-10 at 11:00 in Boston (guests still inside), with
    // 2026-11-01 inside: 25 hours long.
    let until = utc(2026, 11, 10, 16, 0);
    let plan = crate::demo::DemoPlan {
        years: 1,
        seed: 5,
        until,
    };
    let summary = crate::demo::generate_days(&path, &plan, 30, &mut |_| {}).expect("demo data");
    let (from, to) = (summary.first_day, summary.last_day);
    assert_eq!(
        (from.to_string(), to.to_string()),
        ("2026-10-12".to_string(), "2026-11-10".to_string())
    );
    let mut db = Database::open(&path).expect("opens");
    let zone = days::center_zone(&db).expect("the center's zone");
    let clock = crate::clock::FixedClock::new(until);

    let mut told = Vec::new();
    let range = compute(
        &mut db,
        &clock,
        &mut Actor::Cli {
            os_user: "test".into(),
        },
        &from.to_string(),
        &to.to_string(),
        &mut |done, total| told.push((done, total)),
    )
    .expect("the range's report");
    assert_eq!(told, (1..=30).map(|done| (done, 30)).collect::<Vec<_>>());
    assert_eq!(range.days.len(), 30);

    for (day, date) in range.days.iter().zip(from.iter_days()) {
        let alone = build(&db, until, date, date, &mut |_, _| {}).expect("one day");
        assert_eq!(alone.days.len(), 1);
        assert_eq!(day, &alone.days[0], "{date}: in the range and by itself");
        assert_eq!(
            day,
            &day_by_queries(db.conn(), zone, until, date),
            "{date}: read at once and one query per figure"
        );
    }

    // A range that starts and ends elsewhere splits the same days the same way.
    let (inner_from, inner_to) = (
        NaiveDate::from_ymd_opt(2026, 10, 31).expect("a date"),
        NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date"),
    );
    let inner = build(&db, until, inner_from, inner_to, &mut |_, _| {}).expect("three days");
    let offset = usize::try_from((inner_from - from).num_days()).expect("inside");
    assert_eq!(inner.days[..], range.days[offset..offset + 3]);

    // The day clocks go back has 25 hours, two of them 01:00, and people inside.
    let fall_back = &range.days[offset + 1];
    assert_eq!(fall_back.date, "2026-11-01");
    assert_eq!(fall_back.occupancy_by_hour.len(), 25);
    assert_eq!(fall_back.occupancy_by_hour[1].hour, "01:00");
    assert_eq!(fall_back.occupancy_by_hour[2].hour, "01:00");
    assert!(fall_back.peak_occupancy > 0);

    // Busy days, closed out but the last, with every part counted.
    let all = &range.days;
    assert!(all[..29].iter().all(|d| d.status == DayStatus::Final));
    assert_eq!(all[29].status, DayStatus::Provisional);
    assert!(all[29].occupancy_by_hour.iter().any(|hour| hour.peak > 0));
    assert!(all.iter().all(|d| d.visits > 100 && d.peak_occupancy > 0));
    assert!(all.iter().any(|d| d.services.iter().any(|k| k.done > 0)));
    assert!(all.iter().any(|d| d.nurse.all.seen > 0));
    assert!(all.iter().any(|d| d.referrals.iter().any(|g| g.made > 0)));

    // Distinct guests over the range: fewer than the days' sum, more than any one day.
    let distinct: u32 = db
        .conn()
        .query_row(
            "SELECT count(DISTINCT guest_id) FROM visits
             WHERE service_date BETWEEN ?1 AND ?2 AND voided_at IS NULL",
            [from.to_string(), to.to_string()],
            |row| row.get(0),
        )
        .expect("distinct guests");
    assert_eq!(range.unique_guests_in_range, distinct);
    let each_day: Vec<u32> = range.days.iter().map(|d| d.unique_guests).collect();
    assert!(distinct < each_day.iter().sum::<u32>());
    assert!(each_day.iter().all(|&guests| guests < distinct));
    let inner_distinct: u32 = db
        .conn()
        .query_row(
            "SELECT count(DISTINCT guest_id) FROM visits
             WHERE service_date BETWEEN '2026-10-31' AND '2026-11-02' AND voided_at IS NULL",
            [],
            |row| row.get(0),
        )
        .expect("distinct guests");
    assert_eq!(inner.unique_guests_in_range, inner_distinct);
}

#[test]
fn stored_instants_read_directly_are_what_rfc_3339_parsing_gives() {
    for text in [
        "2026-11-01T05:59:59.999999Z",
        "2026-11-01T06:00:00.000000Z",
        "2024-02-29T23:05:09.000123Z",
        "2000-01-01T00:00:00.000000Z",
    ] {
        assert_eq!(
            storage::stored_instant(text).expect("reads"),
            crate::days::instant(text).expect("parses"),
            "{text}"
        );
    }
    // Other forms go through the parser: offsets, fewer digits, a leap second.
    for text in [
        "2026-11-01T01:00:00.000000-05:00",
        "2026-11-01T06:00:00Z",
        "2026-11-01T06:00:00.5Z",
        "2016-12-31T23:59:60.000000Z",
    ] {
        assert_eq!(
            storage::stored_instant(text).expect("reads"),
            crate::days::instant(text).expect("parses"),
            "{text}"
        );
    }
    for text in [
        "2026-13-01T06:00:00.000000Z",
        "2026-02-30T06:00:00.000000Z",
        "soon",
    ] {
        assert!(storage::stored_instant(text).is_err(), "{text}");
        assert!(crate::days::instant(text).is_err(), "{text}");
    }
}

// ---- Complementary suppression against subtraction (issue 17, item 9) ----

/// What a reader of a suppressed export knows of a published text: a number; `<N`: 1 to
/// N - 1 (zeros are shown); `suppressed`: a hidden count, 1 or more. `(lo, hi)`, `hi` none
/// when unbounded.
fn reader_prior(text: &str, threshold: i64) -> (i64, Option<i64>) {
    if let Ok(n) = text.parse::<i64>() {
        return (n, Some(n));
    }
    if text == format!("<{}", threshold + 1) {
        return (1, Some(threshold));
    }
    if text == "suppressed" {
        return (1, None);
    }
    (0, None)
}

/// A reader's solver, written apart from the export's: every published cell of the days
/// and the range, the people still in the queue (never published) from 0 up, and the
/// published identities; each identity bounds each of its cells by the others (a part is
/// at least the total less the others at their largest, at most the total less the others
/// at their smallest), repeated until nothing changes. Returns what it pins to 1..=t: a
/// hidden cell, or the sum of an identity's hidden parts.
fn reader_disclosures(published: &export::Published, threshold: i64) -> Vec<String> {
    let rows: Vec<&Vec<String>> = published
        .days
        .iter()
        .chain(std::iter::once(&published.range))
        .collect();
    let mut texts: Vec<String> = Vec::new();
    for row in &rows {
        assert_eq!(row.len(), COLUMNS.len(), "every row has every column");
        texts.extend(row.iter().cloned());
        texts.push("(never published)".into());
    }
    let mut lo: Vec<i64> = Vec::new();
    let mut hi: Vec<Option<i64>> = Vec::new();
    for text in &texts {
        let (l, h) = reader_prior(text, threshold);
        lo.push(l);
        hi.push(h);
    }
    let identities = export::identities(published.days.len());
    let sum_hi = |hi: &[Option<i64>], cells: &mut dyn Iterator<Item = usize>| {
        let mut sum = 0i64;
        for c in cells {
            sum += hi[c]?;
        }
        Some(sum)
    };
    let mut changed = true;
    while changed {
        changed = false;
        for identity in &identities {
            let (upper, lower) = match identity.relation {
                export::Relation::Equal => (true, true),
                export::Relation::PartsAtMost => (true, false),
                export::Relation::PartsAtLeast => (false, true),
            };
            let t = identity.total;
            // upper: sum(parts) <= total; lower: sum(parts) >= total.
            if upper {
                let all_lo: i64 = identity.parts.iter().map(|p| lo[*p]).sum();
                if all_lo > lo[t] {
                    lo[t] = all_lo;
                    changed = true;
                }
                if let Some(total_hi) = hi[t] {
                    for p in &identity.parts {
                        let others: i64 = identity
                            .parts
                            .iter()
                            .filter(|o| *o != p)
                            .map(|o| lo[*o])
                            .sum();
                        let bound = total_hi - others;
                        if hi[*p].is_none_or(|h| bound < h) {
                            hi[*p] = Some(bound);
                            changed = true;
                        }
                    }
                }
            }
            if lower {
                if let Some(all_hi) = sum_hi(&hi, &mut identity.parts.iter().copied()) {
                    if hi[t].is_none_or(|h| all_hi < h) {
                        hi[t] = Some(all_hi);
                        changed = true;
                    }
                }
                for p in &identity.parts {
                    let others =
                        sum_hi(&hi, &mut identity.parts.iter().copied().filter(|o| o != p));
                    if let Some(others) = others {
                        if lo[t] - others > lo[*p] {
                            lo[*p] = lo[t] - others;
                            changed = true;
                        }
                    }
                }
            }
        }
    }
    let name = |cell: usize| {
        let (row, column) = (cell / export::WIDTH, cell % export::WIDTH);
        let column = COLUMNS
            .get(column)
            .map_or("nurse_still_in_queue", |c| c.name);
        format!("row {row} {column}")
    };
    let small = |v: i64| (1..=threshold).contains(&v);
    let shown = |cell: usize| texts[cell].parse::<i64>().is_ok();
    let mut found = Vec::new();
    for cell in 0..texts.len() {
        if !shown(cell) && hi[cell] == Some(lo[cell]) && small(lo[cell]) {
            found.push(format!("{} is {}", name(cell), lo[cell]));
        }
    }
    for identity in &identities {
        let hidden: Vec<usize> = identity
            .parts
            .iter()
            .copied()
            .filter(|p| !shown(*p))
            .collect();
        if hidden.is_empty() {
            continue;
        }
        let published: i64 = identity
            .parts
            .iter()
            .filter(|p| shown(**p))
            .map(|p| texts[*p].parse::<i64>().unwrap_or(0))
            .sum();
        let mut sum_lo: i64 = hidden.iter().map(|p| lo[*p]).sum();
        let mut sum_hi_now = sum_hi(&hi, &mut hidden.iter().copied());
        if identity.relation != export::Relation::PartsAtMost {
            sum_lo = sum_lo.max(lo[identity.total] - published);
        }
        if identity.relation != export::Relation::PartsAtLeast {
            if let Some(total_hi) = hi[identity.total] {
                let bound = total_hi - published;
                sum_hi_now = Some(sum_hi_now.map_or(bound, |h| h.min(bound)));
            }
        }
        if sum_hi_now == Some(sum_lo) && small(sum_lo) {
            let names: Vec<String> = hidden.iter().map(|p| name(*p)).collect();
            found.push(format!("{names:?} add up to {sum_lo}"));
        }
    }
    found
}

/// Every identity holds on the report's own numbers (so the list the export protects is
/// true of the counts).
fn assert_identities_hold(report: &Report) {
    let plain = export::published(report, NONE);
    let mut values: Vec<i64> = Vec::new();
    for row in plain.days.iter().chain(std::iter::once(&plain.range)) {
        let number = |name: &str| row[column(name) as usize].parse::<i64>().unwrap_or(0);
        values.extend(row.iter().map(|t| t.parse::<i64>().unwrap_or(0)));
        values.push(
            number("nurse_joined")
                - number("nurse_seen")
                - number("nurse_left_without_being_seen")
                - number("nurse_cancelled"),
        );
    }
    for identity in export::identities(report.days.len()) {
        let parts: i64 = identity.parts.iter().map(|p| values[*p]).sum();
        let total = values[identity.total];
        let holds = match identity.relation {
            export::Relation::Equal => parts == total,
            export::Relation::PartsAtMost => parts <= total,
            export::Relation::PartsAtLeast => parts >= total,
        };
        assert!(holds, "{identity:?}: parts {parts}, total {total}");
    }
}

/// Every published text tells the truth: numbers are the counts, `<N` only for 1..=t,
/// `suppressed` only for counts above zero, and every count from 1 to t is hidden.
fn assert_truthful(report: &Report, published: &export::Published, threshold: i64) {
    let plain = export::published(report, NONE);
    let rows = plain.days.iter().zip(&published.days);
    for (truth, shown) in rows.chain(std::iter::once((&plain.range, &published.range))) {
        for ((column, truth), shown) in COLUMNS.iter().zip(truth).zip(shown) {
            let Ok(value) = truth.parse::<i64>() else {
                continue;
            };
            if column.unit == "minutes" {
                if column.name.ends_with("in_use") {
                    assert_eq!(shown, truth, "{}: minutes are never hidden", column.name);
                }
                continue;
            }
            match shown.parse::<i64>() {
                Ok(n) => {
                    assert_eq!(n, value, "{}: a number shown is the count", column.name);
                    assert!(
                        !(1..=threshold).contains(&n),
                        "{}: {n} is small and shown",
                        column.name
                    );
                }
                Err(_) if shown.starts_with('<') => assert!(
                    (1..=threshold).contains(&value),
                    "{}: {shown} for {value}",
                    column.name
                ),
                Err(_) => assert!(value >= 1, "{}: suppressed for a zero", column.name),
            }
        }
    }
}

#[test]
fn a_queue_that_adds_up_does_not_give_away_who_left() {
    // 9 joined, 7 seen, 2 left, none cancelled, threshold 5: today's export showed 9, 7
    // and 0 beside <6, and 9 - 7 - 0 = 2.
    let mut day = blank_day("2026-11-19");
    day.nurse.all.joined = 9;
    day.nurse.all.seen = 7;
    day.nurse.all.left_without_being_seen = 2;
    day.nurse.all.median_wait_minutes = Some(12);
    day.nurse.all.p90_wait_minutes = Some(30);
    let report = report_of_days(vec![day]);
    let five = Suppression { threshold: Some(5) };
    let (_, rows) = read_csv(&export::csv_bytes(&report, five).expect("a CSV"));
    let row = &rows[0];
    assert_eq!(row["nurse_left_without_being_seen"], "<6", "2 is small");
    let shown = ["nurse_joined", "nurse_seen", "nurse_cancelled"]
        .iter()
        .all(|c| row[*c].parse::<i64>().is_ok());
    assert!(
        !shown,
        "joined, seen and cancelled cannot all show beside the hidden 2: {row:?}"
    );
    let published = export::published(&report, five);
    assert_eq!(
        reader_disclosures(&published, 5),
        Vec::<String>::new(),
        "nothing can be worked out"
    );
    assert_truthful(&report, &published, 5);
}

#[test]
fn two_hidden_days_that_add_up_to_a_small_number_hide_the_range_total() {
    // Alerts 1, 2 and 20 on three days: the two small days are hidden, and a range total
    // of 23 beside the 20 would say that they add up to 3.
    let mut days: Vec<DayCounts> = ["2026-11-19", "2026-11-20", "2026-11-21"]
        .iter()
        .map(|d| blank_day(d))
        .collect();
    days[0].alerts_issued = 1;
    days[1].alerts_issued = 2;
    days[2].alerts_issued = 20;
    let report = report_of_days(days);
    let dir = tempfile::tempdir().expect("a folder");
    let mut book = open_xlsx(
        dir.path(),
        "alerts.xlsx",
        &export::xlsx_bytes(&report, TEN).expect("a workbook"),
    );
    let summary = book.worksheet_range("Summary").expect("Summary");
    assert_ne!(
        summary.get_value((6 + column("alerts_issued"), 1)),
        Some(&Data::Float(23.0)),
        "the range total would give the two hidden days' sum away"
    );
    let published = export::published(&report, TEN);
    assert_eq!(reader_disclosures(&published, 10), Vec::<String>::new());
    // The Alerts sheet repeats the Days sheet's texts.
    let alerts = book
        .worksheet_range("Alerts and restrictions")
        .expect("the alerts sheet");
    for (d, texts) in published.days.iter().enumerate() {
        let row = 6 + u32::try_from(d).expect("few days");
        let cell = alerts.get_value((row, 1)).cloned();
        let expected = match texts[column("alerts_issued") as usize].parse::<f64>() {
            Ok(n) => Data::Float(n),
            Err(_) => Data::String(texts[column("alerts_issued") as usize].clone()),
        };
        assert_eq!(cell, Some(expected), "day {d}: as on the Days sheet");
    }
}

#[test]
fn the_csv_and_the_workbook_write_the_same_protected_texts_and_the_identities_hold() {
    let mut c = scenario();
    let report = c.report(DAY_BEFORE, DAY);
    assert_identities_hold(&report);
    let published = export::published(&report, TEN);
    let (_, rows) = read_csv(&export::csv_bytes(&report, TEN).expect("a CSV"));
    for (row, texts) in rows.iter().zip(&published.days) {
        for (column, text) in COLUMNS.iter().zip(texts) {
            assert_eq!(
                &row[column.name], text,
                "the CSV writes the protected texts"
            );
        }
    }
    assert_eq!(reader_disclosures(&published, 10), Vec::<String>::new());
    assert_truthful(&report, &published, 10);
    // Which columns are counts follows from their units.
    let cells = export::day_cells(&report.days[0]);
    for (column, cell) in COLUMNS.iter().zip(&cells) {
        let count = !matches!(column.unit, "text" | "YYYY-MM-DD" | "minutes");
        assert_eq!(
            matches!(cell, export::Cell::Count(_)),
            count,
            "{}: a count by its unit",
            column.name
        );
    }
}

/// A random day from 52 small numbers, kept to what the counts can be (guests at most
/// visits, overdoses and EMS calls at most incidents, corrections at most visits and
/// tallies; referrals made = their outcomes).
fn random_day(date: &str, n: &[u32]) -> DayCounts {
    let mut day = blank_day(date);
    day.visits = n[0];
    day.unique_guests = n[1].min(n[0]);
    day.new_guests = n[2].min(day.unique_guests);
    day.anonymous_tallies = n[3];
    day.corrections_after_close = n[4].min(n[0] + n[3]);
    day.settled_at_day_end = n[5].min(n[0]);
    day.peak_occupancy = n[5];
    for (k, first) in [(2, 6), (0, 9)] {
        let kind = &mut day.services[k];
        kind.done = n[first];
        kind.no_shows = n[first + 1];
        kind.cancelled = n[first + 2];
        kind.minutes_in_use = i64::from(n[first]) * 15;
        kind.booked = kind.done + kind.no_shows + kind.cancelled;
    }
    let all = &mut day.nurse.all;
    all.seen = n[12];
    all.left_without_being_seen = n[13];
    all.cancelled = n[14];
    all.joined = n[12] + n[13] + n[14] + n[15];
    if n[12] > 0 {
        all.median_wait_minutes = Some(10);
        all.p90_wait_minutes = Some(20);
    }
    let incidents = &mut day.nurse.incidents;
    incidents.incidents = n[16];
    incidents.overdoses = n[17].min(n[16]);
    incidents.ems_called = n[18].min(n[16]);
    incidents.naloxone_doses = i64::from(n[19]);
    day.alerts_issued = n[20];
    day.restrictions_issued = n[21];
    for (g, group) in day.referrals.iter_mut().enumerate() {
        let o = &n[22 + g * 6..28 + g * 6];
        group.open = o[0];
        group.accepted = o[1];
        group.completed = o[2];
        group.declined = o[3];
        group.no_show = o[4];
        group.cancelled = o[5];
        group.made = o.iter().sum();
    }
    day
}

fn small_number() -> impl proptest::strategy::Strategy<Value = u32> {
    use proptest::prelude::*;
    prop_oneof![5 => Just(0u32), 3 => 1..=12u32, 2 => 0..=40u32]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Random days of small numbers and a random threshold: what the export publishes
    /// (every day and the range) lets a reader solving the identities pin no hidden count,
    /// and no sum of an identity's hidden counts, to 1..=threshold; and it tells no lies.
    #[test]
    fn solving_the_published_identities_never_pins_a_small_count(
        numbers in proptest::collection::vec(proptest::collection::vec(small_number(), 52), 1..=5),
        threshold in 2i64..=12,
        spread in 0u32..=100,
    ) {
        let dates = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"];
        let days: Vec<DayCounts> = numbers
            .iter()
            .zip(dates)
            .map(|(n, date)| random_day(date, n))
            .collect();
        let most = days.iter().map(|d| d.unique_guests).max().unwrap_or(0);
        let all: u32 = days.iter().map(|d| d.unique_guests).sum();
        // Each new guest is new on one day only: the range has at least that many guests.
        let new: u32 = days.iter().map(|d| d.new_guests).sum();
        let mut report = report_of_days(days);
        report.unique_guests_in_range = (most + (all - most) * spread / 100).max(new);
        assert_identities_hold(&report);
        let suppression = Suppression { threshold: Some(u32::try_from(threshold).expect("small")) };
        let published = export::published(&report, suppression);
        let found = reader_disclosures(&published, threshold);
        proptest::prop_assert!(found.is_empty(), "worked out: {found:?}\n{published:?}");
        assert_truthful(&report, &published, threshold);
    }
}
