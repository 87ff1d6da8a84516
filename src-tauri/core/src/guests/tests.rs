use super::*;
use crate::auth::{self, NewStaff, Role, Session};

use crate::clock::FixedClock;
use crate::db::Database;
use crate::visits;
use crate::visits::{lookup, merge_guests as merge, Lookup};
use chrono::TimeZone;

pub(crate) const PASSWORD: &str = "orchard lantern pebble violin";

pub(crate) struct Desk {
    pub db: Database,
    pub clock: FixedClock,
    pub admin: Session,
}

/// A center with an administrator, on 28 November 2026 at 09:00 in Boston.
pub(crate) fn desk() -> Desk {
    desk_at(Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap())
}

/// A center whose clock starts at `start`; screens lock after an hour so tests can move
/// the clock in between actions.
pub(crate) fn desk_at(start: DateTime<Utc>) -> Desk {
    let mut db = Database::open_in_memory().expect("database");
    let clock = FixedClock::new(start);
    let mut admin =
        auth::create_first_admin(&mut db, &clock, "admin", "Avery Admin", PASSWORD, PASSWORD)
            .expect("first admin");
    auth::set_idle_lock_minutes(&mut db, &clock, &mut auth::Actor::Staff(&mut admin), "60")
        .expect("idle lock");
    Desk { db, clock, admin }
}

impl Desk {
    pub fn person(&mut self, username: &str, roles: &[Role]) -> Session {
        let new = NewStaff {
            username: username.into(),
            display_name: format!("Person {username}"),
            roles: roles.to_vec(),
            password: PASSWORD.into(),
        };
        auth::create_staff(
            &mut self.db,
            &self.clock,
            &mut auth::Actor::Staff(&mut self.admin),
            &new,
        )
        .expect("created");
        auth::testing::first_login(&mut self.db, &self.clock, username, PASSWORD).expect("logs in")
    }

    /// Register a guest with a nickname and check them in; returns the card.
    pub fn arrive(&mut self, session: &mut Session, nickname: &str) -> GuestCard {
        let new = NewGuest {
            nickname: Some(nickname.into()),
            ..Default::default()
        };
        visits::register_and_check_in(&mut self.db, &self.clock, session, &new, false)
            .expect("registered and checked in")
            .guest
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db
            .conn()
            .query_row(sql, [], |row| row.get(0))
            .expect("count")
    }
}

#[test]
fn a_registered_guest_is_found_by_code_in_any_form_and_by_nickname() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let guest = d.arrive(&mut pat, "Sunny");
    assert_eq!(guest.code.len(), 7, "shown as XXX-XXX: {}", guest.code);
    assert_eq!(
        guest.first_seen_date, "2026-11-28",
        "first seen today, local date"
    );
    for typed in [
        guest.code.clone(),
        guest.code.to_lowercase(),
        guest.code.replace('-', ""),
        format!("  {} ", guest.code.replace('-', " ")),
    ] {
        let found = lookup(&mut d.db, &d.clock, &mut pat, &typed).expect("lookup");
        assert_eq!(
            found.exact.as_ref().map(|g| g.id),
            Some(guest.id),
            "{typed:?} finds the guest"
        );
    }
    let found = lookup(&mut d.db, &d.clock, &mut pat, "sun").expect("lookup");
    assert_eq!(found.matches.len(), 1, "a nickname prefix finds them");
    assert!(
        found.matches[0].open_visit_id.is_some(),
        "and says they are inside"
    );
    let found = lookup(&mut d.db, &d.clock, &mut pat, "s").expect("lookup");
    assert!(
        found.matches.is_empty(),
        "one letter is not enough to search"
    );
}

#[test]
fn a_mistyped_or_unknown_code_finds_nobody_and_says_why() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let guest = d.arrive(&mut pat, "Sunny");
    let raw = guest.code.replace('-', "");
    let last = raw.as_bytes()[5];
    let wrong = code::ALPHABET
        .iter()
        .find(|&&c| c != last)
        .copied()
        .unwrap();
    let typo = format!("{}{}", &raw[..5], char::from(wrong));
    let found = lookup(&mut d.db, &d.clock, &mut pat, &typo).expect("lookup");
    assert!(found.exact.is_none(), "a typo never finds someone else");
    assert!(
        found.problem.as_deref().unwrap_or("").contains("mistyped"),
        "and says so: {:?}",
        found.problem
    );
    let mut unknown = code::generate();
    while unknown == raw {
        unknown = code::generate();
    }
    let found = lookup(&mut d.db, &d.clock, &mut pat, &code::display(&unknown)).expect("lookup");
    assert!(
        found
            .problem
            .as_deref()
            .unwrap_or("")
            .contains("no guest has the code"),
        "{:?}",
        found.problem
    );
    let found = lookup(&mut d.db, &d.clock, &mut pat, "K0M-4QX").expect("lookup");
    assert!(
        found
            .problem
            .as_deref()
            .unwrap_or("")
            .contains("neither 0 nor O"),
        "{:?}",
        found.problem
    );
    let err = lookup(&mut d.db, &d.clock, &mut pat, &"a".repeat(101)).expect_err("too long");
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    let found =
        lookup(&mut d.db, &d.clock, &mut pat, "'; DROP TABLE guests; --").expect("only text");
    assert!(
        found.exact.is_none() && found.matches.is_empty(),
        "SQL-looking text matches nothing"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM guests"),
        1,
        "and the guests are still there"
    );
}

#[test]
fn bad_registrations_are_refused_with_the_field_named_and_nothing_written() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let cases: Vec<(NewGuest, &str)> = vec![
        (
            NewGuest {
                nickname: Some("x".repeat(500)),
                ..Default::default()
            },
            "nickname:",
        ),
        (
            NewGuest {
                nickname: Some("Bob\u{0007}".into()),
                ..Default::default()
            },
            "nickname:",
        ),
        (
            NewGuest {
                nickname: Some("evil\u{202e}txt".into()),
                ..Default::default()
            },
            "nickname:",
        ),
        (
            NewGuest {
                birth_year: Some("1800".into()),
                ..Default::default()
            },
            "year of birth:",
        ),
        (
            NewGuest {
                birth_year: Some("2090".into()),
                ..Default::default()
            },
            "year of birth:",
        ),
        (
            NewGuest {
                birth_year: Some("nineteen".into()),
                ..Default::default()
            },
            "year of birth:",
        ),
        (
            NewGuest {
                birth_year_answer: Some(3),
                ..Default::default()
            },
            "year of birth:",
        ),
        (
            NewGuest {
                gender: Some(7),
                ..Default::default()
            },
            "gender:",
        ),
        (
            NewGuest {
                veteran_status: Some(-1),
                ..Default::default()
            },
            "veteran status:",
        ),
        (
            NewGuest {
                preferred_language: Some("l".repeat(41)),
                ..Default::default()
            },
            "preferred language:",
        ),
    ];
    for (new, field) in cases {
        let err = visits::register_and_check_in(&mut d.db, &d.clock, &mut pat, &new, false)
            .expect_err("refused");
        assert_eq!(err.code, ErrorCode::InvalidInput, "{new:?}");
        assert!(
            err.message.starts_with(field),
            "{field} is named: {}",
            err.message
        );
    }
    assert_eq!(
        d.count("SELECT count(*) FROM guests"),
        0,
        "no guest was written"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM visits"),
        0,
        "no visit was written"
    );
}

#[test]
fn answers_default_to_not_collected_and_accept_declined() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let quiet = NewGuest::default();
    visits::register_and_check_in(&mut d.db, &d.clock, &mut pat, &quiet, false)
        .expect("no answers at all");
    let declined = NewGuest {
        birth_year_answer: Some(DECLINED),
        gender: Some(DECLINED),
        veteran_status: Some(DOESNT_KNOW),
        ..Default::default()
    };
    visits::register_and_check_in(&mut d.db, &d.clock, &mut pat, &declined, false)
        .expect("declined answers");
    let given = NewGuest {
        birth_year: Some("1971".into()),
        gender: Some(0),
        veteran_status: Some(1),
        preferred_language: Some("Español".into()),
        ..Default::default()
    };
    visits::register_and_check_in(&mut d.db, &d.clock, &mut pat, &given, false)
        .expect("answers given");
    let rows: Vec<(Option<i64>, i64, i64, i64)> = {
        let mut statement = d
            .db
            .conn()
            .prepare("SELECT birth_year, birth_year_answer, gender, veteran_status FROM guests ORDER BY id")
            .unwrap();
        statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    assert_eq!(
        rows,
        vec![(None, 99, 99, 99), (None, 9, 9, 8), (Some(1971), 2, 0, 1)],
        "HMIS codes: 99 not collected, 9 declined, 8 doesn't know, 2 partial date of birth"
    );
}

#[test]
fn guest_work_is_for_front_desk_nurses_and_supervisors_only() {
    let mut d = desk();
    let err = lookup(&mut d.db, &d.clock, &mut d.admin, "sunny")
        .expect_err("administrators do not see guests");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    for role in [Role::FrontDesk, Role::Nurse, Role::Supervisor] {
        let mut session = d.person(&format!("only_{}", role.as_str()), &[role]);
        lookup(&mut d.db, &d.clock, &mut session, "sunny").expect("allowed");
    }
}

#[test]
fn supervisors_merge_duplicates_and_the_old_code_still_finds_the_guest() {
    let mut d = desk();
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let keep = d.arrive(&mut pat, "Sunny");
    visits::check_out(&mut d.db, &d.clock, &mut pat, keep.open_visit_id.unwrap()).expect("out");
    let new = NewGuest::default();
    let duplicate = visits::register_and_check_in(&mut d.db, &d.clock, &mut pat, &new, false)
        .expect("registered twice by mistake")
        .guest;

    let err =
        merge(&mut d.db, &d.clock, &mut pat, &keep.code, &duplicate.code).expect_err("front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    for (a, b, field) in [
        (keep.code.as_str(), keep.code.as_str(), "merge:"),
        ("K0M-4QX", duplicate.code.as_str(), "keep:"),
        (keep.code.as_str(), "", "merge:"),
    ] {
        let err = merge(&mut d.db, &d.clock, &mut sam, a, b).expect_err("refused");
        assert!(err.message.starts_with(field), "{field}: {}", err.message);
    }

    let kept = merge(&mut d.db, &d.clock, &mut sam, &keep.code, &duplicate.code).expect("merged");
    assert_eq!(kept.id, keep.id, "the kept record survives");
    assert!(
        kept.open_visit_id.is_some(),
        "the duplicate's open visit now belongs to the kept record"
    );
    assert_eq!(
        d.count(&format!(
            "SELECT count(*) FROM visits WHERE guest_id = {}",
            keep.id
        )),
        2,
        "the whole history moved"
    );
    let found = lookup(&mut d.db, &d.clock, &mut pat, &duplicate.code).expect("old code");
    assert_eq!(
        found.exact.map(|g| g.id),
        Some(keep.id),
        "the old code finds the guest"
    );
    let err = merge(&mut d.db, &d.clock, &mut sam, &keep.code, &duplicate.code).expect_err("twice");
    assert!(
        err.message.contains("already merged into"),
        "{}",
        err.message
    );
    let merges: i64 = d.count("SELECT count(*) FROM audit_log WHERE action = 'guest.merge'");
    assert_eq!(merges, 1, "the merge is audited");
}

#[test]
fn two_records_both_inside_are_not_merged() {
    let mut d = desk();
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let a = d.arrive(&mut sam, "Ana");
    let b = d.arrive(&mut sam, "Ana B");
    let err = merge(&mut d.db, &d.clock, &mut sam, &a.code, &b.code).expect_err("both inside");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    assert_eq!(
        d.count("SELECT count(*) FROM guests WHERE merged_into IS NOT NULL"),
        0,
        "nothing changed"
    );
}

#[test]
fn typed_text_that_once_broke_lookup_and_search_is_handled() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    // Six bytes that are not a code: once a panic while quoting them in the error.
    for typed in ["ééé", "a€bc", "😀ab", "ÉÉÉÉÉÉ"] {
        let found = lookup(&mut d.db, &d.clock, &mut pat, typed).expect("a lookup, not a panic");
        assert!(found.exact.is_none(), "{typed:?} is no guest's code");
    }
    // Non-ASCII capitals are lowered the same way when stored and when searched.
    d.arrive(&mut pat, "Émile");
    for typed in ["émile", "Émi", "ÉMILE"] {
        let found = lookup(&mut d.db, &d.clock, &mut pat, typed).expect("lookup");
        assert_eq!(found.matches.len(), 1, "{typed:?} finds Émile by nickname");
    }
    // The Arabic letter mark changes direction like the other marks: refused.
    let err = crate::text::clean_text("nickname", Some("a\u{61c}b"), 60).expect_err("refused");
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
}

#[test]
fn the_nickname_search_shows_the_most_recently_seen_first_through_undo_and_merge() {
    let mut d = desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    d.person("sam", &[Role::Supervisor]);
    let names = |found: &Lookup| -> Vec<String> {
        found
            .matches
            .iter()
            .map(|card| card.nickname.clone().unwrap_or_default())
            .collect()
    };
    // Monday: Mara and Marco come; Tuesday: Marek.
    let mara = d.arrive(&mut pat, "Mara");
    let marco = d.arrive(&mut pat, "Marco");
    for card in [&mara, &marco] {
        visits::check_out(&mut d.db, &d.clock, &mut pat, card.open_visit_id.unwrap()).unwrap();
    }
    d.clock.advance(chrono::Duration::days(1));
    // A new day, a new shift: the 12-hour sessions have ended.
    pat = auth::login(&mut d.db, &d.clock, "pat", PASSWORD).unwrap();
    let marek = d.arrive(&mut pat, "Marek");
    visits::check_out(&mut d.db, &d.clock, &mut pat, marek.open_visit_id.unwrap()).unwrap();
    let found = lookup(&mut d.db, &d.clock, &mut pat, "mar").unwrap();
    assert_eq!(
        names(&found),
        ["Marek", "Mara", "Marco"],
        "yesterday's two after today's, by name"
    );

    // Wednesday: Marco checks in, then the check-in is undone: he was not seen today.
    d.clock.advance(chrono::Duration::days(1));
    // A new day, a new shift: the 12-hour sessions have ended.
    pat = auth::login(&mut d.db, &d.clock, "pat", PASSWORD).unwrap();
    let again = visits::check_in(&mut d.db, &d.clock, &mut pat, marco.id, false).unwrap();
    let found = lookup(&mut d.db, &d.clock, &mut pat, "mar").unwrap();
    assert_eq!(
        names(&found)[0],
        "Marco",
        "a check-in moves the guest to the top"
    );
    visits::undo_check_in(&mut d.db, &d.clock, &mut pat, again.visit_id).unwrap();
    let found = lookup(&mut d.db, &d.clock, &mut pat, "mar").unwrap();
    assert_eq!(
        names(&found),
        ["Marek", "Mara", "Marco"],
        "an undone check-in does not count"
    );
    assert_eq!(
        d.count(&format!(
            "SELECT last_visit_date = '2026-11-28' FROM guests WHERE id = {}",
            marco.id
        )),
        1,
        "the stored last visit goes back to Monday"
    );
    // Mara's duplicate record (registered today without a name) is merged into Mara:
    // today's visit now makes Mara the most recently seen.
    let duplicate =
        visits::register_and_check_in(&mut d.db, &d.clock, &mut pat, &NewGuest::default(), false)
            .unwrap()
            .guest;
    let mut sam = auth::login(&mut d.db, &d.clock, "sam", PASSWORD).unwrap();
    merge(&mut d.db, &d.clock, &mut sam, &mara.code, &duplicate.code).unwrap();
    let found = lookup(&mut d.db, &d.clock, &mut pat, "mar").unwrap();
    assert_eq!(
        names(&found),
        ["Mara", "Marek", "Marco"],
        "the merged visit counts for Mara"
    );
    assert_eq!(
        found.matches[0].last_visit_date.as_deref(),
        Some("2026-11-30"),
        "the card's last visit agrees with the order"
    );
}
