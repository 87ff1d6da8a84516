//! Story: referrals across two days on a real database file. The front desk refers a guest
//! to shelter; a nurse refers the same guest to detox outside the center, records consent,
//! sends it; the guest later revokes consent; the recovery coach on site takes a warm
//! hand-off; after a restart the next day's follow-ups are right for each role, and the
//! supervisor's counts add up.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use engagement_desk_core::auth::{self, Role};
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::guests::NewGuest;
use engagement_desk_core::referrals::{
    self, ConsentInput, PartnerInput, ReferralInput, ReferralStatus,
};
use engagement_desk_core::visits;
use engagement_desk_core::ErrorCode;
use engagement_desk_tests::{story_staff, TempDb, STORY_PASSWORD};

fn partner(name: &str, on_site: bool, days: &str) -> PartnerInput {
    PartnerInput {
        id: None,
        name: name.into(),
        on_site,
        on_site_days: days.into(),
        active: true,
    }
}

#[test]
fn referrals_over_two_days() {
    let db = TempDb::new();
    // Monday 30 November 2026, 10:00 in Boston.
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap());
    let mut database = Database::open(&db.path).expect("first start");
    story_staff(
        &mut database,
        &clock,
        &[
            ("pat", Role::FrontDesk),
            ("nina", Role::Nurse),
            ("sam", Role::Supervisor),
        ],
    );
    let mut pat = auth::login(&mut database, &clock, "pat", STORY_PASSWORD).expect("pat");
    let mut nina = auth::login(&mut database, &clock, "nina", STORY_PASSWORD).expect("nina");
    let mut sam = auth::login(&mut database, &clock, "sam", STORY_PASSWORD).expect("sam");
    let shelter = referrals::save_partner(
        &mut database,
        &clock,
        &mut sam,
        &partner("Pine St Shelter", false, ""),
    )
    .expect("shelter");
    let detox = referrals::save_partner(
        &mut database,
        &clock,
        &mut sam,
        &partner("Harbor Health", false, ""),
    )
    .expect("detox");
    let coach = referrals::save_partner(
        &mut database,
        &clock,
        &mut sam,
        &partner("Recovery coaches", true, "1,3"),
    )
    .expect("coach on Mondays and Wednesdays");
    let new = NewGuest {
        nickname: Some("Ana".into()),
        ..Default::default()
    };
    let ana = visits::register_and_check_in(&mut database, &clock, &mut pat, &new, false)
        .expect("in")
        .guest;

    let refer = |category: &str, partner_id: i64, follow_up: Option<&str>| ReferralInput {
        guest_id: ana.id,
        category: category.into(),
        partner_id,
        follow_up_date: follow_up.map(str::to_string),
        note: None,
    };
    let bed = referrals::make(
        &mut database,
        &clock,
        &mut pat,
        &refer("shelter", shelter, Some("2026-12-01")),
    )
    .expect("the desk refers to shelter");
    let refused = referrals::make(
        &mut database,
        &clock,
        &mut pat,
        &refer("sud_detox", detox, None),
    )
    .expect_err("the desk does not make treatment referrals");
    assert_eq!(
        refused.code,
        ErrorCode::PermissionDenied,
        "{}",
        refused.message
    );
    let treatment = referrals::make(
        &mut database,
        &clock,
        &mut nina,
        &refer("sud_detox", detox, Some("2026-12-01")),
    )
    .expect("the nurse refers to detox");
    let unsent = referrals::change_status(
        &mut database,
        &clock,
        &mut nina,
        treatment.id,
        ReferralStatus::Sent,
    )
    .expect_err("no consent yet");
    assert_eq!(unsent.code, ErrorCode::Conflict, "{}", unsent.message);
    let consent = referrals::record_consent(
        &mut database,
        &clock,
        &mut nina,
        treatment.id,
        &ConsentInput {
            information: "Code, referral reason".into(),
            purpose: "Admission".into(),
            agreed_on: None,
            expires_on: Some("2026-12-31".into()),
        },
    )
    .expect("consent");
    let sent = referrals::change_status(
        &mut database,
        &clock,
        &mut nina,
        treatment.id,
        ReferralStatus::Sent,
    )
    .expect("sent under the consent");
    assert_eq!(
        sent.consent_id,
        Some(consent.id),
        "the referral keeps its consent"
    );
    referrals::revoke_consent(&mut database, &clock, &mut nina, treatment.id, consent.id)
        .expect("the guest changes their mind");

    // The recovery coach is here on Mondays: a warm hand-off.
    let handoff = referrals::make(
        &mut database,
        &clock,
        &mut nina,
        &refer("recovery_coach", coach, None),
    )
    .expect("warm hand-off");
    let today = referrals::today(&mut database, &clock, &mut nina).expect("today");
    assert_eq!(
        today.handoffs.len(),
        1,
        "only the coaches are on site on Monday"
    );
    assert_eq!(
        today.handoffs[0].referrals[0].id, handoff.id,
        "the hand-off is listed"
    );
    let desk_today = referrals::today(&mut database, &clock, &mut pat).expect("desk today");
    assert!(
        desk_today.handoffs[0].referrals.is_empty(),
        "the desk does not see a recovery-coach referral"
    );
    referrals::change_status(
        &mut database,
        &clock,
        &mut nina,
        handoff.id,
        ReferralStatus::Accepted,
    )
    .expect("hand-off done");
    drop(database);

    // Tuesday: a restart, and the follow-ups due.
    clock.advance(Duration::days(1));
    let mut database = Database::open(&db.path).expect("restart");
    let mut pat = auth::login(&mut database, &clock, "pat", STORY_PASSWORD).expect("pat");
    let mut nina = auth::login(&mut database, &clock, "nina", STORY_PASSWORD).expect("nina");
    let mut sam = auth::login(&mut database, &clock, "sam", STORY_PASSWORD).expect("sam");
    let for_desk = referrals::today(&mut database, &clock, &mut pat).expect("desk");
    let for_nurse = referrals::today(&mut database, &clock, &mut nina).expect("nurse");
    assert_eq!(
        for_desk.follow_ups.len(),
        1,
        "the desk follows up the general referral"
    );
    assert_eq!(for_nurse.follow_ups.len(), 2, "the nurse follows up both");
    assert!(
        for_desk
            .follow_ups
            .iter()
            .all(|f| f.referral_id != treatment.id),
        "the treatment referral's follow-up is not on the desk's list"
    );
    assert_eq!(
        for_desk.nurse_team_reminders.len(),
        1,
        "the desk is asked to send the guest to the nurse team instead: {:?}",
        for_desk.nurse_team_reminders
    );
    let shown = for_nurse
        .follow_ups
        .iter()
        .find(|f| f.referral_id == treatment.id)
        .expect("nurse");
    assert_eq!(
        shown.category_label, "Substance-use treatment: detox",
        "the nurse sees the category"
    );
    assert!(for_desk.handoffs.is_empty(), "nobody is on site on Tuesday");
    // The shelter is outside: it can only accept what was sent, and sending needs consent.
    let unsent = referrals::change_status(
        &mut database,
        &clock,
        &mut pat,
        bed.id,
        ReferralStatus::Accepted,
    )
    .expect_err("not sent yet");
    assert_eq!(unsent.code, ErrorCode::Conflict, "{}", unsent.message);
    referrals::record_consent(
        &mut database,
        &clock,
        &mut pat,
        bed.id,
        &ConsentInput {
            information: "Code and the need for a bed".into(),
            purpose: "A shelter bed".into(),
            agreed_on: None,
            expires_on: None,
        },
    )
    .expect("consent for the shelter");
    referrals::change_status(
        &mut database,
        &clock,
        &mut pat,
        bed.id,
        ReferralStatus::Sent,
    )
    .expect("sent");
    let taken = referrals::change_status(
        &mut database,
        &clock,
        &mut pat,
        bed.id,
        ReferralStatus::Accepted,
    )
    .expect("the shelter took Ana");
    assert_eq!(taken.status, ReferralStatus::Accepted, "accepted");

    let counts =
        referrals::day_counts(&mut database, &clock, &mut sam, "2026-11-30").expect("counts");
    let group = |name: &str| {
        counts
            .iter()
            .find(|g| g.grouping == name)
            .expect(name)
            .clone()
    };
    let treatment_group = group("substance_use_treatment");
    assert_eq!(
        (
            treatment_group.made,
            treatment_group.open,
            treatment_group.accepted
        ),
        (2, 1, 1),
        "detox still sent (open) and the coach hand-off accepted"
    );
    let housing = group("housing");
    assert_eq!((housing.made, housing.accepted), (1, 1), "the shelter bed");
    let printed =
        referrals::printout(&mut database, &clock, &mut nina, treatment.id).expect("print");
    assert_eq!(
        printed.notice,
        referrals::PART_2_NOTICE,
        "the Part 2 notice travels with it"
    );
}
