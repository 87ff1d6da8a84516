//! Tests of referrals.

use super::*;
use crate::auth::{self, Role};
use crate::guests::tests::{desk, Desk};
use chrono::{Datelike, Duration};

/// The password `Desk::person` gives everyone, to log in again after the clock moves.
const PASSWORD: &str = "orchard lantern pebble violin";

/// The day `desk()` starts on: Saturday, ISO weekday 6.
const TODAY: &str = "2026-11-28";
const TOMORROW: &str = "2026-11-29";

/// Clinical and substance-use-treatment categories, as seeded, in list order.
const SENSITIVE: [&str; 8] = [
    "sud_detox",
    "sud_outpatient",
    "sud_moud",
    "sud_residential",
    "recovery_coach",
    "mental_health",
    "medical",
    "testing",
];

/// Categories everyone at the desk works with, in list order.
const GENERAL: [&str; 5] = [
    "housing_advocate",
    "shelter",
    "id_documents",
    "benefits",
    "other",
];

/// A center on a Saturday morning with a front-desk worker, a nurse, a supervisor, two
/// partners and one guest inside.
struct Center {
    d: Desk,
    pat: Session,
    nina: Session,
    sam: Session,
    /// On site on Mondays and Saturdays: here today.
    clinic: i64,
    /// Outside the center: sending to it needs consent.
    outside: i64,
    guest: GuestCard,
}

fn center() -> Center {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let nina = d.person("nina", &[Role::Nurse]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let clinic = partner(&mut d, &mut sam, "Harbor Clinic", true, "16");
    let outside = partner(&mut d, &mut sam, "Bay Treatment Center", false, "");
    let guest = d.arrive(&mut pat, "Sunny");
    Center {
        d,
        pat,
        nina,
        sam,
        clinic,
        outside,
        guest,
    }
}

fn partner_input(name: &str, on_site: bool, days: &str) -> PartnerInput {
    PartnerInput {
        id: None,
        name: name.into(),
        on_site,
        on_site_days: days.into(),
        active: true,
    }
}

fn partner(d: &mut Desk, sam: &mut Session, name: &str, on_site: bool, days: &str) -> i64 {
    save_partner(
        &mut d.db,
        &d.clock,
        sam,
        &partner_input(name, on_site, days),
    )
    .expect("a supervisor adds a partner")
}

fn input(guest_id: i64, category: &str, partner_id: i64) -> ReferralInput {
    ReferralInput {
        guest_id,
        category: category.into(),
        partner_id,
        follow_up_date: None,
        note: None,
    }
}

fn due(guest_id: i64, category: &str, partner_id: i64, date: &str) -> ReferralInput {
    ReferralInput {
        follow_up_date: Some(date.into()),
        ..input(guest_id, category, partner_id)
    }
}

/// Make a referral that must succeed.
fn refer(d: &mut Desk, who: &mut Session, new: &ReferralInput) -> Referral {
    make(&mut d.db, &d.clock, who, new).unwrap_or_else(|e| {
        panic!(
            "{} makes a {} referral: {}",
            who.username, new.category, e.message
        )
    })
}

/// Change a status that must succeed.
fn moved(d: &mut Desk, who: &mut Session, id: i64, to: ReferralStatus) -> Referral {
    change_status(&mut d.db, &d.clock, who, id, to)
        .unwrap_or_else(|e| panic!("referral {id} becomes {to:?}: {}", e.message))
}

fn consent_input(agreed_on: Option<&str>, expires_on: Option<&str>) -> ConsentInput {
    ConsentInput {
        information: "name of the referral and how to reach the guest".into(),
        purpose: "intake appointment".into(),
        agreed_on: agreed_on.map(Into::into),
        expires_on: expires_on.map(Into::into),
    }
}

/// Log in again after moving the clock past the idle lock or the 12-hour limit.
fn login(d: &mut Desk, username: &str) -> Session {
    auth::login(&mut d.db, &d.clock, username, PASSWORD).expect("logs in again")
}

/// Rows in every referral table, to show that a refusal wrote nothing.
fn rows(d: &Desk) -> [i64; 5] {
    [
        "referrals",
        "referral_events",
        "referral_notes",
        "consents",
        "partners",
    ]
    .map(|table| d.count(&format!("SELECT count(*) FROM {table}")))
}

fn stored(d: &Desk, id: i64) -> storage::ReferralRow {
    storage::referral(d.db.conn(), id)
        .expect("read")
        .expect("the referral exists")
}

fn events(d: &Desk, id: i64) -> i64 {
    d.count(&format!(
        "SELECT count(*) FROM referral_events WHERE referral_id = {id}"
    ))
}

/// Audit entries of one action that succeeded: (actor, object, detail), oldest first.
fn audited(d: &Desk, action: &str) -> Vec<(String, String, String)> {
    let conn = d.db.conn();
    let mut statement = conn
        .prepare(
            "SELECT actor, object, detail FROM audit_log
             WHERE action = ?1 AND result = 'ok' ORDER BY id",
        )
        .expect("audit query");
    let entries = statement
        .query_map([action], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("audit rows")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("audit rows");
    entries
}

fn assert_refused(result: Result<impl std::fmt::Debug>, code: ErrorCode, why: &str) -> AppError {
    let err = result.expect_err(why);
    assert_eq!(err.code, code, "{why}: {}", err.message);
    err
}

#[test]
fn the_test_day_is_a_saturday() {
    let date = days::parse_date("date", TODAY).expect("date");
    assert_eq!(
        date.weekday().number_from_monday(),
        6,
        "the on-site partner here on days 1 and 6 is here on the test day"
    );
    let mut c = center();
    let today = today(&mut c.d.db, &c.d.clock, &mut c.nina).expect("today");
    assert_eq!(
        today
            .handoffs
            .iter()
            .map(|h| h.partner.id)
            .collect::<Vec<_>>(),
        vec![c.clinic],
        "desk() starts on {TODAY}, a day the clinic is here"
    );
}

#[test]
fn who_may_make_a_referral_depends_on_its_category_for_every_category() {
    let mut c = center();
    let categories = storage::categories(c.d.db.conn()).expect("categories");
    let names: Vec<&str> = categories.iter().map(|c| c.category.as_str()).collect();
    let seeded: Vec<&str> = SENSITIVE.iter().chain(GENERAL.iter()).copied().collect();
    assert_eq!(names, seeded, "the 13 seeded categories in list order");
    for category in &categories {
        let name = category.category.as_str();
        assert_eq!(
            category.sensitive,
            SENSITIVE.contains(&name),
            "{name} is sensitive exactly when it is clinical or SUD treatment"
        );
        let new = ReferralInput {
            note: Some("walked over together".into()),
            ..due(c.guest.id, name, c.outside, TODAY)
        };

        let before = rows(&c.d);
        let made = make(&mut c.d.db, &c.d.clock, &mut c.pat, &new);
        if category.sensitive {
            assert_refused(
                made,
                ErrorCode::PermissionDenied,
                &format!("front desk never makes a {name} referral"),
            );
            assert_eq!(
                rows(&c.d),
                before,
                "a refused {name} referral writes no referral, event or note"
            );
        } else {
            let made = made.unwrap_or_else(|e| panic!("front desk makes {name}: {}", e.message));
            assert_eq!(made.category, name, "the referral is the one asked for");
            assert_eq!(
                rows(&c.d)[..3],
                [before[0] + 1, before[1] + 1, before[2] + 1],
                "one referral, its 'made' event and its note"
            );
        }

        for (role, session) in [("nurse", &mut c.nina), ("supervisor", &mut c.sam)] {
            let made = make(&mut c.d.db, &c.d.clock, session, &new)
                .unwrap_or_else(|e| panic!("a {role} makes a {name} referral: {}", e.message));
            assert_eq!(
                (made.category.as_str(), made.sensitive, made.status),
                (name, category.sensitive, ReferralStatus::Made),
                "a {role}'s {name} referral is made as asked"
            );
        }

        let before = rows(&c.d);
        assert_refused(
            make(&mut c.d.db, &c.d.clock, &mut c.d.admin, &new),
            ErrorCode::PermissionDenied,
            &format!("an administrator makes no referral, not even {name}"),
        );
        assert_eq!(
            rows(&c.d),
            before,
            "the administrator's {name} wrote nothing"
        );
    }
    assert_eq!(
        c.d.count("SELECT count(*) FROM referrals"),
        5 + 2 * 13,
        "front desk made the 5 general ones, nurse and supervisor all 13 each"
    );
}

#[test]
fn front_desk_sees_sensitive_referrals_only_as_a_neutral_nurse_team_reminder() {
    let mut c = center();
    let mut made = Vec::new();
    for name in SENSITIVE.iter().chain(GENERAL.iter()) {
        let new = ReferralInput {
            note: Some(format!("about {name}")),
            ..due(c.guest.id, name, c.outside, TODAY)
        };
        made.push(refer(&mut c.d, &mut c.nina, &new));
    }

    let mine = for_guest(&mut c.d.db, &c.d.clock, &mut c.pat, &c.guest.code).expect("listed");
    let mut seen: Vec<&str> = mine.referrals.iter().map(|r| r.category.as_str()).collect();
    seen.sort_unstable();
    let mut general = GENERAL.to_vec();
    general.sort_unstable();
    assert_eq!(
        seen, general,
        "front desk's list of a guest's referrals holds only the general ones"
    );
    let all = for_guest(&mut c.d.db, &c.d.clock, &mut c.nina, &c.guest.code).expect("listed");
    assert_eq!(all.referrals.len(), 13, "a nurse sees all of them");
    assert_refused(
        for_guest(&mut c.d.db, &c.d.clock, &mut c.d.admin, &c.guest.code),
        ErrorCode::PermissionDenied,
        "an administrator sees no referrals",
    );

    // A sensitive referral answers the front desk exactly like an id that does not exist.
    let missing = 999_999;
    let nothing = |d: &mut Desk, pat: &mut Session, id: i64| -> Vec<AppError> {
        vec![
            open(&mut d.db, &d.clock, pat, id).unwrap_err(),
            add_note(&mut d.db, &d.clock, pat, id, "seen", None).unwrap_err(),
            change_status(&mut d.db, &d.clock, pat, id, ReferralStatus::Cancelled).unwrap_err(),
            printout(&mut d.db, &d.clock, pat, id).unwrap_err(),
            set_follow_up(&mut d.db, &d.clock, pat, id, Some(TOMORROW)).unwrap_err(),
            record_consent(&mut d.db, &d.clock, pat, id, &consent_input(None, None)).unwrap_err(),
            revoke_consent(&mut d.db, &d.clock, pat, id, 1).unwrap_err(),
        ]
    };
    let answers_for_missing = nothing(&mut c.d, &mut c.pat, missing);
    assert!(
        answers_for_missing
            .iter()
            .all(|e| e.code == ErrorCode::NotFound),
        "an id that does not exist is not found: {answers_for_missing:?}"
    );
    for r in &made {
        let name = r.category.as_str();
        if !r.sensitive {
            let detail = open(&mut c.d.db, &c.d.clock, &mut c.pat, r.id)
                .unwrap_or_else(|e| panic!("front desk opens {name}: {}", e.message));
            assert_eq!(detail.notes.len(), 1, "with its note");
            continue;
        }
        let before = rows(&c.d);
        let refused_reads = |d: &Desk| {
            d.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = 'referral.read'
                 AND result = 'refused' AND actor = 'staff:pat' AND object = 'referral:{}'",
                r.id
            ))
        };
        let refused_before = refused_reads(&c.d);
        assert_eq!(
            nothing(&mut c.d, &mut c.pat, r.id),
            answers_for_missing,
            "every answer about the {name} referral is word for word the answer about an id \
             that does not exist, so its id cannot be probed"
        );
        assert_eq!(rows(&c.d), before, "refusals on {name} wrote nothing");
        let now = stored(&c.d, r.id);
        assert_eq!(
            (now.status, now.follow_up_date.as_deref()),
            (ReferralStatus::Made, Some(TODAY)),
            "{name} is as the nurse left it"
        );
        assert_eq!(
            refused_reads(&c.d) - refused_before,
            7,
            "each refused look at the {name} referral is audited as a refused sensitive read"
        );
    }

    let desk_day = today(&mut c.d.db, &c.d.clock, &mut c.pat).expect("front desk's day");
    let offered: Vec<&str> = desk_day
        .categories
        .iter()
        .map(|c| c.category.as_str())
        .collect();
    assert_eq!(
        offered,
        GENERAL.to_vec(),
        "front desk is offered only the general categories"
    );
    let mut followed: Vec<&str> = desk_day
        .follow_ups
        .iter()
        .map(|f| f.category_label.as_str())
        .collect();
    followed.sort_unstable();
    let mut general_labels: Vec<&str> = made
        .iter()
        .filter(|r| !r.sensitive)
        .map(|r| r.category_label.as_str())
        .collect();
    general_labels.sort_unstable();
    assert_eq!(
        followed, general_labels,
        "the front desk's follow-ups are the general referrals' only"
    );
    assert_eq!(
        desk_day.nurse_team_reminders,
        vec![NurseTeamReminder {
            guest_code: c.guest.code.clone(),
            guest_nickname: Some("Sunny".into()),
        }],
        "the sensitive follow-ups reach the front desk as one neutral reminder for the guest"
    );
    let whole = serde_json::to_string(&desk_day).expect("json");
    for r in made.iter().filter(|r| r.sensitive) {
        for secret in [&r.category_label, &r.category] {
            assert!(
                !whole.contains(secret.as_str()),
                "nothing on the front desk's screen names {secret:?}"
            );
        }
        assert!(
            !whole.contains(&format!("\"referralId\":{},", r.id)),
            "nor the id of the {} referral",
            r.category
        );
    }
    for word in ["confidential", "Confidential", "\"sensitive\":true"] {
        assert!(
            !whole.contains(word),
            "the front desk's day never says {word:?}: {whole}"
        );
    }

    let nurse_day = today(&mut c.d.db, &c.d.clock, &mut c.nina).expect("nurse's day");
    assert_eq!(
        nurse_day.categories.len(),
        13,
        "a nurse is offered every category"
    );
    assert_eq!(
        nurse_day.follow_ups.len(),
        13,
        "a nurse follows up every referral, with what it is about"
    );
    assert!(
        nurse_day.nurse_team_reminders.is_empty(),
        "a nurse is not asked to send the guest to the nurse team for a referral of theirs"
    );
    assert_refused(
        today(&mut c.d.db, &c.d.clock, &mut c.d.admin),
        ErrorCode::PermissionDenied,
        "an administrator has no referrals screen",
    );
}

#[test]
fn every_read_of_a_sensitive_referral_is_audited_and_general_reads_are_not() {
    let mut c = center();
    let detox = refer(
        &mut c.d,
        &mut c.nina,
        &due(c.guest.id, "sud_detox", c.clinic, TODAY),
    );
    let shelter = refer(
        &mut c.d,
        &mut c.nina,
        &due(c.guest.id, "shelter", c.clinic, TODAY),
    );
    let other_guest = c.d.arrive(&mut c.pat, "Robin");
    refer(
        &mut c.d,
        &mut c.pat,
        &input(other_guest.id, "benefits", c.outside),
    );
    assert!(
        audited(&c.d, "referral.read").is_empty(),
        "making a referral is audited as such, not as a read"
    );

    let made = audited(&c.d, "referral.make");
    let detox_detail = &made[0].2;
    for secret in ["sud_detox", "detox", "Harbor Clinic"] {
        assert!(
            !detox_detail.contains(secret),
            "the audit of a sensitive referral does not name {secret:?}: {detox_detail}"
        );
    }
    assert!(
        made[1].2.contains("shelter"),
        "a general referral's audit names its category: {}",
        made[1].2
    );

    open(&mut c.d.db, &c.d.clock, &mut c.nina, shelter.id).expect("opened");
    for_guest(&mut c.d.db, &c.d.clock, &mut c.nina, &other_guest.code).expect("listed");
    for_guest(&mut c.d.db, &c.d.clock, &mut c.pat, &c.guest.code).expect("listed");
    assert!(
        audited(&c.d, "referral.read").is_empty(),
        "reading only general referrals writes no referral.read"
    );

    open(&mut c.d.db, &c.d.clock, &mut c.nina, detox.id).expect("opened");
    let reads = audited(&c.d, "referral.read");
    assert_eq!(
        reads,
        vec![(
            "staff:nina".to_string(),
            format!("referral:{}", detox.id),
            format!("referrals={}", detox.id)
        )],
        "opening a sensitive referral is audited, naming who and which"
    );

    for_guest(&mut c.d.db, &c.d.clock, &mut c.sam, &c.guest.code).expect("listed");
    let reads = audited(&c.d, "referral.read");
    assert_eq!(
        reads.len(),
        2,
        "listing a guest's sensitive referral is audited"
    );
    assert_eq!(
        (reads[1].0.as_str(), reads[1].2.clone()),
        ("staff:sam", format!("referrals={}", detox.id)),
        "the entry names the sensitive referral only: {:?}",
        reads[1]
    );

    today(&mut c.d.db, &c.d.clock, &mut c.nina).expect("today");
    let reads = audited(&c.d, "referral.read");
    assert_eq!(
        reads.len(),
        3,
        "today's list shows the detox follow-up and hand-off, so it is audited"
    );
    assert_eq!(
        reads[2].2,
        format!("referrals={}", detox.id),
        "once, though it is both a follow-up and a hand-off"
    );

    printout(&mut c.d.db, &c.d.clock, &mut c.sam, detox.id).expect("printed");
    assert_eq!(
        audited(&c.d, "referral.print").len(),
        1,
        "printing a sensitive referral is audited"
    );
}

#[test]
fn consent_audit_of_a_sensitive_referral_does_not_name_the_partner() {
    let mut c = center();
    let detox = refer(
        &mut c.d,
        &mut c.nina,
        &input(c.guest.id, "sud_detox", c.outside),
    );
    let consent = record_consent(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        detox.id,
        &consent_input(None, None),
    )
    .expect("recorded");
    let recorded = audited(&c.d, "consent.record");
    assert_eq!(recorded.len(), 1, "recording consent is audited");
    assert!(
        recorded[0].2.contains(&format!("consent={}", consent.id)),
        "naming the consent: {}",
        recorded[0].2
    );
    assert!(
        !recorded[0].2.contains("Bay Treatment Center"),
        "administrators read the audit log; a treatment partner's name would disclose SUD \
         treatment: {}",
        recorded[0].2
    );
}

#[test]
fn an_outside_referral_is_sent_only_under_a_consent_in_force_for_that_guest_and_partner() {
    let mut c = center();
    let other_outside = partner(&mut c.d, &mut c.sam, "County Housing Office", false, "");
    let r = refer(
        &mut c.d,
        &mut c.nina,
        &input(c.guest.id, "sud_outpatient", c.outside),
    );

    let before = rows(&c.d);
    let err = assert_refused(
        change_status(
            &mut c.d.db,
            &c.d.clock,
            &mut c.nina,
            r.id,
            ReferralStatus::Sent,
        ),
        ErrorCode::Conflict,
        "no consent, no sending outside",
    );
    assert!(
        err.message.contains("consent"),
        "the message says what is missing: {}",
        err.message
    );
    assert_eq!(rows(&c.d), before, "the refusal wrote nothing");
    assert_eq!(
        stored(&c.d, r.id).status,
        ReferralStatus::Made,
        "still made"
    );

    // A consent for another partner does not count.
    let elsewhere = refer(
        &mut c.d,
        &mut c.nina,
        &input(c.guest.id, "housing_advocate", other_outside),
    );
    record_consent(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        elsewhere.id,
        &consent_input(None, None),
    )
    .expect("consent for the housing office");
    assert_refused(
        change_status(
            &mut c.d.db,
            &c.d.clock,
            &mut c.nina,
            r.id,
            ReferralStatus::Sent,
        ),
        ErrorCode::Conflict,
        "a consent to disclose to another partner does not cover this one",
    );

    // Nor does another guest's consent for this partner.
    let robin = c.d.arrive(&mut c.pat, "Robin");
    let robins = refer(
        &mut c.d,
        &mut c.nina,
        &input(robin.id, "sud_outpatient", c.outside),
    );
    record_consent(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        robins.id,
        &consent_input(None, None),
    )
    .expect("Robin's consent");
    assert_refused(
        change_status(
            &mut c.d.db,
            &c.d.clock,
            &mut c.nina,
            r.id,
            ReferralStatus::Sent,
        ),
        ErrorCode::Conflict,
        "another guest's consent does not cover this guest",
    );
    assert_eq!(
        stored(&c.d, r.id).status,
        ReferralStatus::Made,
        "still made"
    );

    // A revoked consent does not count; revoking twice is refused.
    let revoked = record_consent(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        r.id,
        &consent_input(None, None),
    )
    .expect("recorded");
    let after =
        revoke_consent(&mut c.d.db, &c.d.clock, &mut c.nina, r.id, revoked.id).expect("revoked");
    assert!(
        !after.valid && after.revoked_local.is_some(),
        "a revoked consent is no longer in force"
    );
    let before = rows(&c.d);
    assert_refused(
        change_status(
            &mut c.d.db,
            &c.d.clock,
            &mut c.nina,
            r.id,
            ReferralStatus::Sent,
        ),
        ErrorCode::Conflict,
        "a revoked consent does not count",
    );
    assert_refused(
        revoke_consent(&mut c.d.db, &c.d.clock, &mut c.nina, r.id, revoked.id),
        ErrorCode::Conflict,
        "a consent is revoked once",
    );
    assert_refused(
        revoke_consent(&mut c.d.db, &c.d.clock, &mut c.nina, r.id, elsewhere.id),
        ErrorCode::NotFound,
        "a consent that is not this referral's is not revoked through it",
    );
    assert_eq!(rows(&c.d), before, "refusals wrote nothing");
    assert_eq!(stored(&c.d, r.id).consent_id, None, "sent under no consent");

    // A consent in force today: now it may be sent, and it remembers which consent.
    let good = record_consent(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        r.id,
        &consent_input(Some("2026-11-20"), Some("2027-05-28")),
    )
    .expect("recorded");
    assert!(good.valid, "in force from 20 November to next May");
    assert_eq!(
        (good.recorded_by.as_str(), good.partner_name.as_str()),
        ("Person nina", "Bay Treatment Center"),
        "who recorded it, and to whom it allows disclosure"
    );
    let sent = moved(&mut c.d, &mut c.nina, r.id, ReferralStatus::Sent);
    assert_eq!(
        (sent.status, sent.consent_id),
        (ReferralStatus::Sent, Some(good.id)),
        "sent, under the consent in force"
    );
    let detail = open(&mut c.d.db, &c.d.clock, &mut c.nina, r.id).expect("opened");
    assert_eq!(
        detail
            .consents
            .iter()
            .map(|c| (c.id, c.valid))
            .collect::<Vec<_>>(),
        vec![(good.id, true), (revoked.id, false)],
        "the referral shows its partner's consents for this guest, newest first"
    );
}

#[test]
fn an_on_site_partner_needs_no_consent_to_be_sent_to() {
    let mut c = center();
    let r = refer(
        &mut c.d,
        &mut c.nina,
        &input(c.guest.id, "sud_moud", c.clinic),
    );
    let sent = moved(&mut c.d, &mut c.nina, r.id, ReferralStatus::Sent);
    assert_eq!(
        (sent.status, sent.consent_id),
        (ReferralStatus::Sent, None),
        "nothing leaves the center, so no consent is needed"
    );
}

#[test]
fn a_consent_that_expired_yesterday_does_not_count() {
    let mut c = center();
    let r = refer(
        &mut c.d,
        &mut c.nina,
        &input(c.guest.id, "medical", c.outside),
    );
    let consent = record_consent(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        r.id,
        &consent_input(None, Some(TODAY)),
    )
    .expect("until the end of today");
    assert!(
        consent.valid && consent.agreed_on == TODAY,
        "in force today, agreed today: {consent:?}"
    );

    // 09:00 + 15 h 30 min = 00:30 the next day, local time.
    c.d.clock.advance(Duration::minutes(15 * 60 + 30));
    let mut nina = login(&mut c.d, "nina");
    let before = rows(&c.d);
    assert_refused(
        change_status(
            &mut c.d.db,
            &c.d.clock,
            &mut nina,
            r.id,
            ReferralStatus::Sent,
        ),
        ErrorCode::Conflict,
        "a consent until yesterday has expired after local midnight",
    );
    assert_eq!(rows(&c.d), before, "the refusal wrote nothing");
    assert_eq!(
        stored(&c.d, r.id).status,
        ReferralStatus::Made,
        "still made"
    );
    let detail = open(&mut c.d.db, &c.d.clock, &mut nina, r.id).expect("opened");
    assert!(
        !detail.consents[0].valid,
        "the screen shows the consent is no longer in force"
    );
}

#[test]
fn bad_consents_are_refused_and_nothing_is_written() {
    let mut c = center();
    let r = refer(
        &mut c.d,
        &mut c.nina,
        &input(c.guest.id, "sud_residential", c.outside),
    );
    let empty_info = ConsentInput {
        information: "  ".into(),
        ..consent_input(None, None)
    };
    let empty_purpose = ConsentInput {
        purpose: String::new(),
        ..consent_input(None, None)
    };
    let control = ConsentInput {
        purpose: "intake\u{0007}".into(),
        ..consent_input(None, None)
    };
    let huge = ConsentInput {
        information: "x".repeat(501),
        ..consent_input(None, None)
    };
    let cases = [
        (
            "agreed on",
            consent_input(Some(TOMORROW), None),
            "agreed tomorrow",
        ),
        (
            "until",
            consent_input(None, Some("2026-11-27")),
            "expired yesterday",
        ),
        (
            "agreed on",
            consent_input(Some("2026-13-40"), None),
            "no such date",
        ),
        (
            "until",
            consent_input(None, Some("yesterday")),
            "not a date",
        ),
        (
            "agreed on",
            consent_input(Some("28/11/2026"), None),
            "wrong format",
        ),
        ("information", empty_info, "no information named"),
        ("purpose", empty_purpose, "no purpose"),
        ("purpose", control, "control character"),
        ("information", huge, "over 500 characters"),
    ];
    let before = rows(&c.d);
    for (field, consent, why) in &cases {
        let err = assert_refused(
            record_consent(&mut c.d.db, &c.d.clock, &mut c.nina, r.id, consent),
            ErrorCode::InvalidInput,
            why,
        );
        assert!(
            err.message.starts_with(field),
            "{why}: the message names the field {field:?}: {}",
            err.message
        );
    }
    assert_eq!(rows(&c.d), before, "no bad consent was written");
    assert_refused(
        change_status(
            &mut c.d.db,
            &c.d.clock,
            &mut c.nina,
            r.id,
            ReferralStatus::Sent,
        ),
        ErrorCode::Conflict,
        "and none of them lets the referral be sent",
    );
}

#[test]
fn status_moves_forward_along_allowed_paths_and_each_change_is_recorded() {
    use ReferralStatus::*;
    let mut c = center();
    let fresh = |c: &mut Center| {
        let new = input(c.guest.id, "recovery_coach", c.clinic);
        refer(&mut c.d, &mut c.nina, &new).id
    };
    let paths: [&[ReferralStatus]; 6] = [
        &[Sent, Accepted, Completed],
        &[Declined],
        &[Accepted, NoShow],
        &[Cancelled],
        &[Sent, Declined],
        &[Accepted, Cancelled],
    ];
    for path in paths {
        let id = fresh(&mut c);
        let mut from = Made;
        for (step, &to) in path.iter().enumerate() {
            let r = moved(&mut c.d, &mut c.nina, id, to);
            assert_eq!(r.status, to, "{from:?} -> {to:?} is allowed");
            assert_eq!(
                events(&c.d, id),
                step as i64 + 2,
                "'made' and one event per change after {from:?} -> {to:?}"
            );
            let last: (Option<String>, String, i64) =
                c.d.db
                    .conn()
                    .query_row(
                        "SELECT from_status, to_status, by_staff FROM referral_events
                     WHERE referral_id = ?1 ORDER BY id DESC LIMIT 1",
                        [id],
                        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                    )
                    .expect("event");
            assert_eq!(
                last,
                (
                    Some(from.as_str().to_string()),
                    to.as_str().to_string(),
                    c.nina.staff_id
                ),
                "the event says from, to and who"
            );
            from = to;
        }
        let detail = open(&mut c.d.db, &c.d.clock, &mut c.sam, id).expect("opened");
        assert_eq!(
            detail.history.len(),
            path.len() + 1,
            "the history shows every change: {:?}",
            detail.history
        );
    }
}

#[test]
fn a_closed_referral_stays_closed_and_no_status_is_skipped_backwards() {
    use ReferralStatus::*;
    let mut c = center();
    let all = [Made, Sent, Accepted, Completed, Declined, NoShow, Cancelled];
    let reach = |c: &mut Center, path: &[ReferralStatus]| {
        let id = refer(
            &mut c.d,
            &mut c.nina,
            &input(c.guest.id, "shelter", c.clinic),
        )
        .id;
        for &to in path {
            moved(&mut c.d, &mut c.nina, id, to);
        }
        id
    };
    let closed: [(ReferralStatus, &[ReferralStatus]); 4] = [
        (Completed, &[Accepted, Completed]),
        (Declined, &[Declined]),
        (NoShow, &[NoShow]),
        (Cancelled, &[Cancelled]),
    ];
    for (state, path) in closed {
        let id = reach(&mut c, path);
        for to in all {
            let before = rows(&c.d);
            assert_refused(
                change_status(&mut c.d.db, &c.d.clock, &mut c.nina, id, to),
                ErrorCode::Conflict,
                &format!("a {state:?} referral cannot become {to:?}"),
            );
            assert_eq!(rows(&c.d), before, "{state:?} -> {to:?} wrote nothing");
            assert_eq!(stored(&c.d, id).status, state, "still {state:?}");
        }
    }
    let open_refused: [(&[ReferralStatus], ReferralStatus); 5] = [
        (&[], Made),
        (&[], Completed),
        (&[Sent], Made),
        (&[Sent], Sent),
        (&[Accepted], Sent),
    ];
    for (path, to) in open_refused {
        let id = reach(&mut c, path);
        let was = stored(&c.d, id).status;
        let before = events(&c.d, id);
        assert_refused(
            change_status(&mut c.d.db, &c.d.clock, &mut c.nina, id, to),
            ErrorCode::Conflict,
            &format!("{was:?} cannot become {to:?}"),
        );
        assert_eq!(
            (stored(&c.d, id).status, events(&c.d, id)),
            (was, before),
            "{was:?} -> {to:?} changed nothing"
        );
    }
}

#[test]
fn notes_are_append_only_and_corrections_point_at_what_they_correct() {
    let mut c = center();
    let r = refer(
        &mut c.d,
        &mut c.nina,
        &ReferralInput {
            note: Some("intake at 2pm".into()),
            ..input(c.guest.id, "sud_detox", c.outside)
        },
    );
    let other = refer(
        &mut c.d,
        &mut c.nina,
        &ReferralInput {
            note: Some("bring ID".into()),
            ..input(c.guest.id, "id_documents", c.outside)
        },
    );
    let first = open(&mut c.d.db, &c.d.clock, &mut c.nina, r.id)
        .expect("opened")
        .notes;
    assert_eq!(first.len(), 1, "the note made with the referral");
    let old = first[0].id;

    for sql in [
        format!("UPDATE referral_notes SET body = 'rewritten' WHERE id = {old}"),
        format!("DELETE FROM referral_notes WHERE id = {old}"),
    ] {
        let err =
            c.d.db
                .conn()
                .execute(&sql, [])
                .expect_err("notes cannot be changed in place");
        assert!(
            err.to_string().contains("append-only"),
            "the trigger says why: {err}"
        );
    }

    let correction = add_note(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        r.id,
        "intake at 3pm, not 2pm",
        Some(old),
    )
    .expect("corrected");
    assert_eq!(
        correction.corrects,
        Some(old),
        "the correction names the note it corrects"
    );
    let notes = open(&mut c.d.db, &c.d.clock, &mut c.nina, r.id)
        .expect("opened")
        .notes;
    assert_eq!(
        notes
            .iter()
            .map(|n| (n.body.as_str(), n.corrects, n.corrected))
            .collect::<Vec<_>>(),
        vec![
            ("intake at 2pm", None, true),
            ("intake at 3pm, not 2pm", Some(old), false)
        ],
        "the old note stays, marked corrected; the correction follows it"
    );

    let other_note = open(&mut c.d.db, &c.d.clock, &mut c.nina, other.id)
        .expect("opened")
        .notes[0]
        .id;
    let before = rows(&c.d);
    for (corrects, why) in [
        (
            other_note,
            "another referral's note is not corrected from here",
        ),
        (9999, "a note that does not exist is not corrected"),
    ] {
        let err = assert_refused(
            add_note(
                &mut c.d.db,
                &c.d.clock,
                &mut c.nina,
                r.id,
                "fix",
                Some(corrects),
            ),
            ErrorCode::InvalidInput,
            why,
        );
        assert!(
            err.message.starts_with("corrects"),
            "{why}: {}",
            err.message
        );
    }
    let cases = [
        ("x".repeat(MAX_NOTE_CHARS + 1), "over 4000 characters"),
        (
            "é".repeat(MAX_NOTE_CHARS + 1),
            "over 4000 characters, not bytes",
        ),
        (String::new(), "empty"),
        (" \n\t ".into(), "only white space"),
        ("ok\u{0000}".into(), "a NUL character"),
        ("ok\u{001b}[2J".into(), "an escape sequence"),
        ("ok\u{202e}evil".into(), "a text-direction override"),
    ];
    for (body, why) in &cases {
        let err = assert_refused(
            add_note(&mut c.d.db, &c.d.clock, &mut c.nina, r.id, body, None),
            ErrorCode::InvalidInput,
            why,
        );
        assert!(
            err.message.starts_with("note"),
            "{why}: names the field: {}",
            err.message
        );
    }
    assert_eq!(rows(&c.d), before, "no refused note was written");

    let longest = add_note(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        r.id,
        &"é".repeat(MAX_NOTE_CHARS),
        None,
    )
    .expect("exactly 4000 characters fit");
    assert_eq!(longest.body.chars().count(), MAX_NOTE_CHARS, "kept whole");
    let lines = add_note(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        r.id,
        "line one\r\n\tline two",
        None,
    )
    .expect("line breaks and tabs are allowed");
    assert_eq!(
        lines.body, "line one\n\tline two",
        "stored with plain line breaks"
    );
}

#[test]
fn bad_referrals_get_a_clear_message_and_change_nothing() {
    let mut c = center();
    let gone = partner(&mut c.d, &mut c.sam, "Closed Shelter", false, "");
    save_partner(
        &mut c.d.db,
        &c.d.clock,
        &mut c.sam,
        &PartnerInput {
            id: Some(gone),
            active: false,
            ..partner_input("Closed Shelter", false, "")
        },
    )
    .expect("made inactive");
    let g = c.guest.id;
    let with_note = |note: String| ReferralInput {
        note: Some(note),
        ..input(g, "shelter", c.outside)
    };
    let cases: Vec<(ReferralInput, ErrorCode, &str, &str)> = vec![
        (
            input(g, "dentist", c.outside),
            ErrorCode::InvalidInput,
            "category",
            "unknown category",
        ),
        (
            input(g, "", c.outside),
            ErrorCode::InvalidInput,
            "category",
            "no category",
        ),
        (
            input(g, "shelter' OR '1'='1", c.outside),
            ErrorCode::InvalidInput,
            "category",
            "SQL-looking category",
        ),
        (
            input(g, "SHELTER", c.outside),
            ErrorCode::InvalidInput,
            "category",
            "categories are exact",
        ),
        (
            input(g, "shelter", 9999),
            ErrorCode::InvalidInput,
            "destination",
            "no such partner",
        ),
        (
            input(g, "shelter", gone),
            ErrorCode::InvalidInput,
            "destination",
            "inactive partner",
        ),
        (
            input(g, "shelter", -1),
            ErrorCode::InvalidInput,
            "destination",
            "negative partner id",
        ),
        (
            input(9999, "shelter", c.outside),
            ErrorCode::NotFound,
            "that guest",
            "no such guest",
        ),
        (
            due(g, "shelter", c.outside, "2026-11-27"),
            ErrorCode::InvalidInput,
            "follow-up date",
            "follow-up before the referral",
        ),
        (
            due(g, "shelter", c.outside, "next week"),
            ErrorCode::InvalidInput,
            "follow-up date",
            "unparseable follow-up",
        ),
        (
            due(g, "shelter", c.outside, "2026-02-30"),
            ErrorCode::InvalidInput,
            "follow-up date",
            "no such day",
        ),
        (
            due(g, "shelter", c.outside, "2126-11-28"),
            ErrorCode::InvalidInput,
            "follow-up date",
            "a century away",
        ),
        (
            with_note("x".repeat(MAX_NOTE_CHARS + 1)),
            ErrorCode::InvalidInput,
            "note",
            "huge note",
        ),
        (
            with_note("ok\u{0008}".into()),
            ErrorCode::InvalidInput,
            "note",
            "control character",
        ),
        (
            with_note("ok\u{2066}".into()),
            ErrorCode::InvalidInput,
            "note",
            "bidi isolate",
        ),
    ];
    let before = rows(&c.d);
    let audit_before =
        c.d.count("SELECT count(*) FROM audit_log WHERE result = 'ok'");
    for (new, code, field, why) in &cases {
        let err = assert_refused(make(&mut c.d.db, &c.d.clock, &mut c.nina, new), *code, why);
        assert!(
            err.message.starts_with(field),
            "{why}: the message names {field:?}: {}",
            err.message
        );
    }
    assert_eq!(rows(&c.d), before, "no bad referral wrote anything");
    assert_eq!(
        c.d.count("SELECT count(*) FROM audit_log WHERE result = 'ok'"),
        audit_before,
        "nor an audit entry of success"
    );

    // SQL-looking text in a note is just text: stored verbatim, nothing else touched.
    let sql = "Robert'); DROP TABLE referrals; --";
    let r = refer(&mut c.d, &mut c.nina, &with_note(sql.into()));
    let notes = open(&mut c.d.db, &c.d.clock, &mut c.nina, r.id)
        .expect("opened")
        .notes;
    assert_eq!(notes[0].body, sql, "the note is kept as typed");
    assert_eq!(
        c.d.count("SELECT count(*) FROM referrals"),
        before[0] + 1,
        "and the referrals table is intact"
    );
}

#[test]
fn follow_ups_due_today_and_overdue_are_listed_and_closed_ones_are_not() {
    use ReferralStatus::*;
    let mut c = center();
    let g = c.guest.id;
    let (clinic, outside) = (c.clinic, c.outside);
    let refer_due = |c: &mut Center, category: &str, partner: i64, date: Option<&str>| {
        let new = ReferralInput {
            follow_up_date: date.map(Into::into),
            ..input(g, category, partner)
        };
        refer(&mut c.d, &mut c.nina, &new).id
    };
    let shelter = refer_due(&mut c, "shelter", outside, Some(TODAY));
    let sent = refer_due(&mut c, "sud_moud", clinic, Some(TODAY));
    let completed = refer_due(&mut c, "benefits", clinic, Some(TODAY));
    let cancelled = refer_due(&mut c, "id_documents", outside, Some(TODAY));
    let declined = refer_due(&mut c, "mental_health", outside, Some(TODAY));
    let tomorrow = refer_due(&mut c, "medical", outside, Some(TOMORROW));
    let later = refer_due(&mut c, "other", outside, Some("2026-11-30"));
    let _none = refer_due(&mut c, "housing_advocate", outside, None);
    moved(&mut c.d, &mut c.nina, sent, Sent);
    moved(&mut c.d, &mut c.nina, completed, Accepted);
    moved(&mut c.d, &mut c.nina, completed, Completed);
    moved(&mut c.d, &mut c.nina, cancelled, Cancelled);
    moved(&mut c.d, &mut c.nina, declined, Declined);

    let listed = |c: &mut Center, who: &str| -> Vec<(i64, bool)> {
        let session = if who == "nina" {
            &mut c.nina
        } else {
            &mut c.pat
        };
        today(&mut c.d.db, &c.d.clock, session)
            .expect("today")
            .follow_ups
            .iter()
            .map(|f| (f.referral_id, f.overdue))
            .collect()
    };
    assert_eq!(
        listed(&mut c, "nina"),
        vec![(shelter, false), (sent, false)],
        "due today and still open (made or sent); closed and future ones are not listed"
    );

    // The next day, 09:00.
    c.d.clock.advance(Duration::hours(24));
    c.nina = login(&mut c.d, "nina");
    c.pat = login(&mut c.d, "pat");
    assert_eq!(
        listed(&mut c, "nina"),
        vec![(shelter, true), (sent, true), (tomorrow, false)],
        "yesterday's are overdue, today's due; the one for the 30th is not yet"
    );
    assert_eq!(
        listed(&mut c, "pat"),
        vec![(shelter, true)],
        "the front desk's list has the general follow-ups only"
    );
    let reminders = today(&mut c.d.db, &c.d.clock, &mut c.pat)
        .expect("today")
        .nurse_team_reminders;
    assert_eq!(
        reminders.len(),
        1,
        "the sensitive ones ask the desk to send the guest to the nurse team, once: {reminders:?}"
    );
    let _ = later;

    // A referral made today cannot have its follow-up moved before today.
    let fresh = refer_due(&mut c, "shelter", outside, None);
    for (date, why) in [
        ("2026-11-28", "before the referral was made"),
        ("soon", "not a date"),
        ("2026-11-31", "no such day"),
    ] {
        let before = rows(&c.d);
        let err = assert_refused(
            set_follow_up(&mut c.d.db, &c.d.clock, &mut c.nina, fresh, Some(date)),
            ErrorCode::InvalidInput,
            why,
        );
        assert!(
            err.message.starts_with("follow-up date"),
            "{why}: {}",
            err.message
        );
        assert_eq!(rows(&c.d), before, "{why}: nothing written");
        assert_eq!(
            stored(&c.d, fresh).follow_up_date,
            None,
            "{why}: no follow-up set"
        );
    }
    let moved_up = set_follow_up(&mut c.d.db, &c.d.clock, &mut c.pat, fresh, Some(TOMORROW))
        .expect("on the day it was made");
    assert_eq!(moved_up.follow_up_date.as_deref(), Some(TOMORROW), "set");
    // An older referral may be given a date before today, as long as not before it was made.
    set_follow_up(&mut c.d.db, &c.d.clock, &mut c.nina, later, Some(TODAY))
        .expect("on the day it was made");
    set_follow_up(&mut c.d.db, &c.d.clock, &mut c.nina, tomorrow, None).expect("cleared");
    assert_eq!(
        listed(&mut c, "nina"),
        vec![(shelter, true), (sent, true), (later, true), (fresh, false)],
        "moved and cleared follow-ups are listed as they are now"
    );
}

#[test]
fn warm_hand_offs_list_on_site_partners_here_today_with_todays_referrals() {
    let mut c = center();
    let tuesday = partner(&mut c.d, &mut c.sam, "Tuesday Legal Aid", true, "2");
    let closed = partner(&mut c.d, &mut c.sam, "Mobile Unit", true, "6");
    save_partner(
        &mut c.d.db,
        &c.d.clock,
        &mut c.sam,
        &PartnerInput {
            id: Some(closed),
            active: false,
            ..partner_input("Mobile Unit", true, "6")
        },
    )
    .expect("inactive");
    let g = c.guest.id;
    let detox = refer(&mut c.d, &mut c.nina, &input(g, "sud_detox", c.clinic));
    let shelter = refer(&mut c.d, &mut c.pat, &input(g, "shelter", c.clinic));
    refer(&mut c.d, &mut c.pat, &input(g, "benefits", tuesday));
    refer(&mut c.d, &mut c.pat, &input(g, "benefits", c.outside));

    let handoffs = |c: &mut Center, nurse: bool| -> Vec<(i64, Vec<i64>)> {
        let session = if nurse { &mut c.nina } else { &mut c.pat };
        today(&mut c.d.db, &c.d.clock, session)
            .expect("today")
            .handoffs
            .into_iter()
            .map(|h| (h.partner.id, h.referrals.iter().map(|r| r.id).collect()))
            .collect()
    };
    assert_eq!(
        handoffs(&mut c, true),
        vec![(c.clinic, vec![detox.id, shelter.id])],
        "only the clinic is here on a Saturday (not Tuesday's partner, not an inactive one, \
         not an outside one), with today's referrals to it"
    );
    assert_eq!(
        handoffs(&mut c, false),
        vec![(c.clinic, vec![shelter.id])],
        "the front desk sees the clinic with the referrals it may see"
    );

    // Move the clinic to Tuesdays only: not here today any more.
    save_partner(
        &mut c.d.db,
        &c.d.clock,
        &mut c.sam,
        &PartnerInput {
            id: Some(c.clinic),
            ..partner_input("Harbor Clinic", true, "2")
        },
    )
    .expect("days changed");
    assert!(
        handoffs(&mut c, true).is_empty(),
        "an on-site partner whose days exclude today is not listed"
    );
}

#[test]
fn a_printout_carries_the_part_2_notice_and_is_audited() {
    let mut c = center();
    let detox = refer(
        &mut c.d,
        &mut c.nina,
        &due(c.guest.id, "sud_detox", c.outside, TOMORROW),
    );
    let shelter = refer(
        &mut c.d,
        &mut c.pat,
        &input(c.guest.id, "shelter", c.outside),
    );
    let printed = printout(&mut c.d.db, &c.d.clock, &mut c.nina, detox.id).expect("printed");
    assert_eq!(
        printed.notice, PART_2_NOTICE,
        "the Part 2 notice goes with it"
    );
    assert!(
        PART_2_NOTICE.contains("42 CFR part 2"),
        "the notice is the Part 2 redisclosure notice"
    );
    assert!(
        printed
            .lines
            .contains(&"Referred to: Bay Treatment Center".to_string())
            && printed.lines.contains(&format!("Follow-up: {TOMORROW}")),
        "with the referral's facts: {:?}",
        printed.lines
    );
    let general = printout(&mut c.d.db, &c.d.clock, &mut c.pat, shelter.id).expect("printed");
    assert_eq!(general.notice, PART_2_NOTICE, "every printout carries it");
    assert_eq!(
        audited(&c.d, "referral.print"),
        vec![
            (
                "staff:nina".into(),
                format!("referral:{}", detox.id),
                crate::audit::SENSITIVE_MARKER.to_string()
            ),
            (
                "staff:pat".into(),
                format!("referral:{}", shelter.id),
                String::new()
            ),
        ],
        "each printout is audited: who printed which (a sensitive one marked so)"
    );
    assert_refused(
        printout(&mut c.d.db, &c.d.clock, &mut c.pat, detox.id),
        ErrorCode::NotFound,
        "front desk does not print a detox referral (for the desk it does not exist)",
    );
    assert_refused(
        printout(&mut c.d.db, &c.d.clock, &mut c.d.admin, shelter.id),
        ErrorCode::PermissionDenied,
        "an administrator prints no referral",
    );
    assert_eq!(
        audited(&c.d, "referral.print").len(),
        2,
        "refusals printed nothing"
    );
}

fn group(grouping: &str, n: [u32; 7]) -> ReferralGroupCounts {
    ReferralGroupCounts {
        grouping: grouping.into(),
        made: n[0],
        open: n[1],
        accepted: n[2],
        completed: n[3],
        declined: n[4],
        no_show: n[5],
        cancelled: n[6],
    }
}

#[test]
fn day_counts_give_exact_numbers_per_group_and_outcome_to_supervisors_only() {
    use ReferralStatus::*;
    let mut c = center();
    let g = c.guest.id;
    let plan: [(&str, &[ReferralStatus]); 13] = [
        ("sud_detox", &[]),
        ("sud_moud", &[Sent]),
        ("recovery_coach", &[Accepted]),
        ("sud_residential", &[Accepted, Completed]),
        ("sud_outpatient", &[Sent, Accepted, Completed]),
        ("medical", &[Declined]),
        ("testing", &[Accepted, NoShow]),
        ("mental_health", &[Cancelled]),
        ("mental_health", &[NoShow]),
        ("shelter", &[]),
        ("shelter", &[Sent]),
        ("housing_advocate", &[Accepted, Completed]),
        ("other", &[Cancelled]),
    ];
    for (category, path) in plan {
        let id = refer(&mut c.d, &mut c.nina, &input(g, category, c.clinic)).id;
        for &to in path {
            moved(&mut c.d, &mut c.nina, id, to);
        }
    }
    let counts = day_counts(&mut c.d.db, &c.d.clock, &mut c.sam, TODAY).expect("counts");
    //                                   made open acc comp decl noshow canc
    let expected = vec![
        group("substance_use_treatment", [5, 2, 1, 2, 0, 0, 0]),
        group("clinical", [4, 0, 0, 0, 1, 2, 1]),
        group("housing", [3, 2, 0, 1, 0, 0, 0]),
        group("documents_and_benefits", [0, 0, 0, 0, 0, 0, 0]),
        group("other", [1, 0, 0, 0, 0, 0, 1]),
    ];
    assert_eq!(counts, expected, "exact counts per group and outcome");
    for g in &counts {
        assert_eq!(
            g.made,
            g.open + g.accepted + g.completed + g.declined + g.no_show + g.cancelled,
            "every referral of {} is counted under one outcome",
            g.grouping
        );
    }

    let other_day = day_counts(&mut c.d.db, &c.d.clock, &mut c.sam, "2026-11-27").expect("counts");
    assert!(
        other_day.iter().all(|g| g.made == 0),
        "the day before had no referrals: {other_day:?}"
    );
    assert_refused(
        day_counts(&mut c.d.db, &c.d.clock, &mut c.sam, "Saturday"),
        ErrorCode::InvalidInput,
        "a date is YYYY-MM-DD",
    );
    for (who, session) in [
        ("front desk", &mut c.pat),
        ("a nurse", &mut c.nina),
        ("an administrator", &mut c.d.admin),
    ] {
        assert_refused(
            day_counts(&mut c.d.db, &c.d.clock, session, TODAY),
            ErrorCode::PermissionDenied,
            &format!("{who} does not see the daily counts"),
        );
    }
}

#[test]
fn only_supervisors_keep_the_partner_list_and_bad_partners_are_refused() {
    let mut c = center();
    let new = partner_input("Eastside Recovery", true, "135");
    let before = rows(&c.d);
    for (who, session) in [
        ("front desk", &mut c.pat),
        ("a nurse", &mut c.nina),
        ("an administrator", &mut c.d.admin),
    ] {
        assert_refused(
            save_partner(&mut c.d.db, &c.d.clock, session, &new),
            ErrorCode::PermissionDenied,
            &format!("{who} does not keep the partner list"),
        );
    }
    assert_eq!(rows(&c.d), before, "refused partners were not written");

    let before = rows(&c.d);
    let bad = [
        (
            partner_input("Harbor Clinic", false, ""),
            ErrorCode::Conflict,
            "name",
            "duplicate name",
        ),
        (
            partner_input("  Harbor Clinic ", true, "1"),
            ErrorCode::Conflict,
            "name",
            "duplicate after trimming",
        ),
        (
            partner_input("Eastside", true, "8"),
            ErrorCode::InvalidInput,
            "on-site days",
            "no weekday 8",
        ),
        (
            partner_input("Eastside", true, "abc"),
            ErrorCode::InvalidInput,
            "on-site days",
            "letters",
        ),
        (
            partner_input("Eastside", true, "0"),
            ErrorCode::InvalidInput,
            "on-site days",
            "no weekday 0",
        ),
        (
            partner_input("Eastside", true, "1;DROP"),
            ErrorCode::InvalidInput,
            "on-site days",
            "SQL-looking",
        ),
        (
            partner_input("Eastside", false, "9"),
            ErrorCode::InvalidInput,
            "on-site days",
            "bad days even when outside",
        ),
        (
            partner_input("", false, ""),
            ErrorCode::InvalidInput,
            "name",
            "no name",
        ),
        (
            partner_input(&"n".repeat(81), false, ""),
            ErrorCode::InvalidInput,
            "name",
            "name too long",
        ),
        (
            partner_input("East\u{0000}side", false, ""),
            ErrorCode::InvalidInput,
            "name",
            "control character",
        ),
    ];
    for (input, code, field, why) in &bad {
        let err = assert_refused(
            save_partner(&mut c.d.db, &c.d.clock, &mut c.sam, input),
            *code,
            why,
        );
        assert!(
            err.message.starts_with(field),
            "{why}: names {field:?}: {}",
            err.message
        );
    }
    assert_eq!(rows(&c.d), before, "no bad partner was written");

    let id = save_partner(
        &mut c.d.db,
        &c.d.clock,
        &mut c.sam,
        &partner_input("Eastside Recovery", true, "5, 3,1,3"),
    )
    .expect("saved");
    let stored = storage::partner(c.d.db.conn(), id)
        .expect("read")
        .expect("exists");
    assert_eq!(
        (stored.on_site, stored.on_site_days.as_str(), stored.active),
        (true, "135", true),
        "days are kept sorted, once each"
    );
    let outside = storage::partner(c.d.db.conn(), c.outside)
        .expect("read")
        .expect("exists");
    assert_eq!(
        outside.on_site_days, "",
        "an outside partner has no on-site days"
    );

    assert_refused(
        save_partner(
            &mut c.d.db,
            &c.d.clock,
            &mut c.sam,
            &PartnerInput {
                id: Some(id),
                ..partner_input("Harbor Clinic", true, "1")
            },
        ),
        ErrorCode::Conflict,
        "renaming onto another partner's name",
    );
    assert_refused(
        save_partner(
            &mut c.d.db,
            &c.d.clock,
            &mut c.sam,
            &PartnerInput {
                id: Some(9999),
                ..partner_input("Nowhere", false, "")
            },
        ),
        ErrorCode::NotFound,
        "changing a partner that does not exist",
    );
    save_partner(
        &mut c.d.db,
        &c.d.clock,
        &mut c.sam,
        &PartnerInput {
            id: Some(id),
            ..partner_input("Eastside Recovery", true, "7")
        },
    )
    .expect("a partner keeps its own name when changed");
    assert_eq!(
        audited(&c.d, "partner.save").len(),
        4,
        "two partners at the start, one added, one changed: each audited"
    );
}

#[test]
fn a_consent_belongs_to_the_referral_it_was_recorded_for() {
    let mut c = center();
    // A nurse records the guest's consent for a detox referral to an outside partner.
    let detox = refer(
        &mut c.d,
        &mut c.nina,
        &input(c.guest.id, "sud_detox", c.outside),
    );
    let secret = ConsentInput {
        information: "Detox intake: opioid use history".into(),
        purpose: "Admission to the withdrawal unit".into(),
        agreed_on: None,
        expires_on: None,
    };
    let detox_consent = record_consent(&mut c.d.db, &c.d.clock, &mut c.nina, detox.id, &secret)
        .expect("the nurse records consent for the detox referral");

    // The front desk then refers the same guest to the same partner for housing.
    let housing = refer(
        &mut c.d,
        &mut c.pat,
        &input(c.guest.id, "housing_advocate", c.outside),
    );
    let seen = open(&mut c.d.db, &c.d.clock, &mut c.pat, housing.id).expect("desk opens it");
    assert!(
        seen.consents.is_empty(),
        "the housing referral shows no consent: the detox one is not its own"
    );
    let json = serde_json::to_string(&seen).expect("json");
    for leak in ["Detox", "opioid", "withdrawal", "Admission"] {
        assert!(
            !json.contains(leak),
            "nothing of the detox consent reaches the front desk ({leak:?}): {json}"
        );
    }
    let before = rows(&c.d);
    assert_refused(
        change_status(
            &mut c.d.db,
            &c.d.clock,
            &mut c.pat,
            housing.id,
            ReferralStatus::Sent,
        ),
        ErrorCode::Conflict,
        "sending the housing referral never relies on the detox referral's consent",
    );
    let refused = assert_refused(
        revoke_consent(
            &mut c.d.db,
            &c.d.clock,
            &mut c.pat,
            housing.id,
            detox_consent.id,
        ),
        ErrorCode::NotFound,
        "the front desk cannot revoke the detox consent through the housing referral",
    );
    assert!(
        !refused.message.contains("Detox") && !refused.message.contains("revoked"),
        "the refusal says nothing of the consent: {}",
        refused.message
    );
    assert_eq!(rows(&c.d), before, "the refusals wrote nothing");
    assert!(
        open(&mut c.d.db, &c.d.clock, &mut c.nina, detox.id)
            .expect("the nurse opens the detox referral")
            .consents
            .iter()
            .any(|k| k.id == detox_consent.id && k.valid),
        "the detox consent is still in force on its own referral"
    );

    // Even a nurse's second referral to the same partner needs its own consent.
    let outpatient = refer(
        &mut c.d,
        &mut c.nina,
        &input(c.guest.id, "sud_outpatient", c.outside),
    );
    assert_refused(
        change_status(
            &mut c.d.db,
            &c.d.clock,
            &mut c.nina,
            outpatient.id,
            ReferralStatus::Sent,
        ),
        ErrorCode::Conflict,
        "a consent covers the referral it was given for, not every referral to the partner",
    );

    // The housing referral goes out under a consent recorded for it.
    let own = record_consent(
        &mut c.d.db,
        &c.d.clock,
        &mut c.pat,
        housing.id,
        &consent_input(None, None),
    )
    .expect("the desk records the guest's consent for the housing referral");
    let sent = moved(&mut c.d, &mut c.pat, housing.id, ReferralStatus::Sent);
    assert_eq!(sent.consent_id, Some(own.id), "sent under its own consent");
    let detox_now = open(&mut c.d.db, &c.d.clock, &mut c.nina, detox.id).expect("opened");
    assert_eq!(
        detox_now.consents.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![detox_consent.id],
        "the detox referral lists only its own consent"
    );
}

#[test]
fn a_referral_is_made_only_for_a_guest_who_is_inside() {
    let mut c = center();
    let card = c.d.arrive(&mut c.pat, "Robin");
    let visit = card.open_visit_id.expect("Robin is inside");
    crate::visits::check_out(&mut c.d.db, &c.d.clock, &mut c.pat, visit).expect("Robin leaves");
    let before = rows(&c.d);
    let refused = assert_refused(
        make(
            &mut c.d.db,
            &c.d.clock,
            &mut c.pat,
            &input(card.id, "shelter", c.clinic),
        ),
        ErrorCode::Conflict,
        "a guest who has left is not referred from the desk",
    );
    assert!(
        refused.message.contains("not checked in"),
        "the message says why: {}",
        refused.message
    );
    assert_eq!(rows(&c.d), before, "nothing was written");
}

#[test]
fn a_nurse_team_reminder_looks_the_same_for_a_confidential_follow_up_and_a_guest_who_left_the_queue(
) {
    use crate::queue::{self, JoinInput, Priority, QueueState};
    let mut c = center();
    // Sunny has a treatment follow-up due; Robin left the nurse queue without being seen.
    refer(
        &mut c.d,
        &mut c.nina,
        &due(c.guest.id, "sud_moud", c.clinic, TODAY),
    );
    let robin = c.d.arrive(&mut c.pat, "Robin");
    let join = |guest_id| JoinInput {
        guest_id,
        reason: "general_health".into(),
        priority: Priority::Routine,
        note: None,
    };
    let robin_entry =
        queue::join(&mut c.d.db, &c.d.clock, &mut c.pat, &join(robin.id)).expect("Robin waits");
    queue::change(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        robin_entry.line.id,
        QueueState::Left,
        None,
    )
    .expect("Robin left before being called");

    let desk_day = today(&mut c.d.db, &c.d.clock, &mut c.pat).expect("desk");
    let mut expected = vec![
        NurseTeamReminder {
            guest_code: c.guest.code.clone(),
            guest_nickname: Some("Sunny".into()),
        },
        NurseTeamReminder {
            guest_code: robin.code.clone(),
            guest_nickname: Some("Robin".into()),
        },
    ];
    expected.sort_by(|a, b| a.guest_code.cmp(&b.guest_code));
    assert_eq!(
        desk_day.nurse_team_reminders, expected,
        "both guests get the same reminder, in code order, with nothing that says why"
    );
    for reminder in &desk_day.nurse_team_reminders {
        let value = serde_json::to_value(reminder).expect("json");
        let mut keys: Vec<&String> = value.as_object().expect("object").keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["guestCode", "guestNickname"],
            "a reminder carries the guest and nothing else"
        );
    }

    // A week later Robin's reminder has lapsed (and Sunny's follow-up is still overdue).
    c.d.clock
        .advance(Duration::days(queue::LEFT_UNSEEN_REMINDER_DAYS));
    let mut pat = login(&mut c.d, "pat");
    let later = today(&mut c.d.db, &c.d.clock, &mut pat).expect("desk");
    assert_eq!(
        later
            .nurse_team_reminders
            .iter()
            .map(|r| r.guest_nickname.as_deref())
            .collect::<Vec<_>>(),
        [Some("Sunny")],
        "a guest who left the queue is asked about for a week, an overdue follow-up until done"
    );
}

#[test]
fn a_guest_seen_by_the_nurse_team_after_leaving_the_queue_is_no_longer_reminded() {
    use crate::queue::{self, JoinInput, Priority, QueueState};
    let mut c = center();
    let join = JoinInput {
        guest_id: c.guest.id,
        reason: "general_health".into(),
        priority: Priority::Routine,
        note: None,
    };
    let first = queue::join(&mut c.d.db, &c.d.clock, &mut c.pat, &join).expect("waits");
    queue::change(
        &mut c.d.db,
        &c.d.clock,
        &mut c.nina,
        first.line.id,
        QueueState::Left,
        None,
    )
    .expect("left");
    assert_eq!(
        today(&mut c.d.db, &c.d.clock, &mut c.pat)
            .expect("desk")
            .nurse_team_reminders
            .len(),
        1,
        "reminded after leaving unseen"
    );
    queue::join(&mut c.d.db, &c.d.clock, &mut c.pat, &join).expect("back in the queue");
    queue::call_next(&mut c.d.db, &c.d.clock, &mut c.nina, 1).expect("called");
    assert!(
        today(&mut c.d.db, &c.d.clock, &mut c.pat)
            .expect("desk")
            .nurse_team_reminders
            .is_empty(),
        "once called by a nurse the reminder is done"
    );
}
