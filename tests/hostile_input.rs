//! Hostile input: property-based tests (proptest) of the commands' inputs, called the way
//! the Tauri commands call the core, with text and numbers a web view could send: empty,
//! huge, control and bidi characters, SQL and HTML, negative and huge numbers, impossible
//! dates. Every call either succeeds or returns a `{code, message}` error that is not
//! `internal`, and a refused call leaves every table as it was (the audit log aside:
//! refusals are audited on purpose).
//!
//! Invalid UTF-16 (lone surrogates) cannot reach a command: Tauri's JSON decoding refuses it
//! before the command runs, and a Rust `String` cannot hold it. Arguments of the wrong type or
//! missing are refused by Tauri too; `e2e.rs` sends those through the real window.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use std::path::Path;

use chrono::TimeZone;
use engagement_desk_core::auth::{self, Actor, NewStaff, Role, Session};
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::guests::{self, NewGuest};
use engagement_desk_core::{backup, queue, referrals, reports, restrictions, schedule, visits};
use engagement_desk_core::{AppError, ErrorCode};
use engagement_desk_tests::{story_staff, TempDb, STORY_PASSWORD};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// A center with one person per role, a guest inside, and their visit.
struct World {
    file: TempDb,
    db: Database,
    clock: FixedClock,
    admin: Session,
    desk: Session,
    nurse: Session,
    supervisor: Session,
    guest_code: String,
    visit_id: i64,
}

fn world() -> World {
    let file = TempDb::new();
    let mut db = Database::open(&file.path).expect("database");
    let clock = FixedClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, 15, 0, 0)
            .unwrap(),
    );
    story_staff(
        &mut db,
        &clock,
        &[
            ("fran", Role::FrontDesk),
            ("nia", Role::Nurse),
            ("sam", Role::Supervisor),
        ],
    );
    let mut login = |name: &str| auth::login(&mut db, &clock, name, STORY_PASSWORD).unwrap();
    let admin = login("avery");
    let mut desk = login("fran");
    let nurse = login("nia");
    let supervisor = login("sam");
    let guest = NewGuest {
        nickname: Some("Sunny".into()),
        ..NewGuest::default()
    };
    let checked_in =
        visits::register_and_check_in(&mut db, &clock, &mut desk, &guest, false).unwrap();
    World {
        file,
        db,
        clock,
        admin,
        desk,
        nurse,
        supervisor,
        guest_code: checked_in.guest.code,
        visit_id: checked_in.visit_id,
    }
}

/// Every row of every table but the audit log, in a stable order, read beside the open
/// database.
fn dump(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> 'audit_log' ORDER BY name",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut lines = Vec::new();
    for table in tables {
        let mut statement = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"))
            .unwrap();
        let columns = statement.column_count();
        let rows: Vec<String> = statement
            .query_map([], |row| {
                let cells: Vec<String> = (0..columns)
                    .map(|index| format!("{:?}", row.get::<_, rusqlite::types::Value>(index)))
                    .collect();
                Ok(format!("{table}: {}", cells.join(" | ")))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        lines.extend(rows);
    }
    lines
}

/// Text a web view could send: the strange, the huge, the malicious and the ordinary.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   \t  ".to_string()),
        Just("x".repeat(100_000)),
        Just("a\u{0}b".to_string()),
        Just("\u{202e}evil\u{202c}".to_string()),
        Just("\u{2066}iso\u{2069}".to_string()),
        Just("zero\u{200b}width".to_string()),
        Just("'; DROP TABLE guests; --".to_string()),
        Just("\" OR 1=1 --".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("<script>alert(1)</script>".to_string()),
        Just("e\u{301}\u{301}\u{301} 🙂🙂".to_string()),
        Just("2026-02-30".to_string()),
        Just("0000-01-01".to_string()),
        Just("99999-01-01".to_string()),
        Just("2026-13-01".to_string()),
        Just("-1".to_string()),
        Just("4294967296".to_string()),
        Just("1e9".to_string()),
        Just("../../etc/passwd".to_string()),
        Just("/".to_string()),
        "\\PC{0,40}",
        ".{0,300}",
    ]
}

/// Numbers a web view could send where an id or a count is expected.
fn hostile_number() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        Just(-1),
        Just(i64::MIN),
        Just(i64::MAX),
        Just(i64::from(u32::MAX)),
        Just(1),
        Just(2),
        any::<i64>(),
    ]
}

type Probe = fn(&mut World, &str, i64) -> Result<(), AppError>;

/// The commands' core calls, each with the hostile text and number in its inputs. The
/// role is one that may do the thing, so the input checks are what is exercised.
const PROBES: &[(&str, Probe)] = &[
    ("login", |w, text, _| {
        auth::login(&mut w.db, &w.clock, text, text).map(drop)
    }),
    ("change_password", |w, text, _| {
        let mut session = auth::login(&mut w.db, &w.clock, "avery", STORY_PASSWORD)?;
        auth::change_own_password(&mut w.db, &w.clock, &mut session, text, text).map(drop)
    }),
    ("create_staff", |w, text, _| {
        let staff = NewStaff {
            username: text.to_string(),
            display_name: text.to_string(),
            roles: vec![Role::FrontDesk],
            password: text.to_string(),
        };
        auth::create_staff(&mut w.db, &w.clock, &mut Actor::Staff(&mut w.admin), &staff).map(drop)
    }),
    ("reset_staff_password", |w, text, _| {
        auth::reset_password(
            &mut w.db,
            &w.clock,
            &mut Actor::Staff(&mut w.admin),
            text,
            text,
        )
        .map(drop)
    }),
    ("unlock_staff", |w, text, _| {
        auth::unlock_account(&mut w.db, &w.clock, &mut Actor::Staff(&mut w.admin), text).map(drop)
    }),
    ("set_idle_lock_minutes", |w, text, _| {
        auth::set_idle_lock_minutes(&mut w.db, &w.clock, &mut Actor::Staff(&mut w.admin), text)
            .map(drop)
    }),
    ("lookup_guest", |w, text, _| {
        guests::lookup(&mut w.db, &w.clock, &mut w.desk, text).map(drop)
    }),
    ("register_and_check_in", |w, text, number| {
        let guest = NewGuest {
            nickname: Some(text.to_string()),
            birth_year: Some(text.to_string()),
            birth_year_answer: Some(number),
            gender: Some(number),
            veteran_status: Some(number),
            preferred_language: Some(text.to_string()),
        };
        visits::register_and_check_in(&mut w.db, &w.clock, &mut w.desk, &guest, false).map(drop)
    }),
    ("check_in_guest", |w, _, number| {
        visits::check_in(&mut w.db, &w.clock, &mut w.desk, number, false).map(drop)
    }),
    ("check_out_visit", |w, _, number| {
        visits::check_out(&mut w.db, &w.clock, &mut w.desk, number).map(drop)
    }),
    ("undo_check_in", |w, _, number| {
        visits::undo_check_in(&mut w.db, &w.clock, &mut w.desk, number).map(drop)
    }),
    ("set_building_capacity", |w, text, _| {
        visits::set_capacity(&mut w.db, &w.clock, &mut w.supervisor, text).map(drop)
    }),
    ("lift_guest_flag", |w, _, number| {
        restrictions::lift(&mut w.db, &w.clock, &mut w.supervisor, number).map(drop)
    }),
    ("merge_guests", |w, text, _| {
        let code = w.guest_code.clone();
        guests::merge(&mut w.db, &w.clock, &mut w.supervisor, &code, text).map(drop)
    }),
    ("schedule_board", |w, text, _| {
        schedule::board(&mut w.db, &w.clock, &mut w.desk, text).map(drop)
    }),
    ("join_waitlist", |w, text, number| {
        schedule::join_waitlist(&mut w.db, &w.clock, &mut w.desk, number, text).map(drop)
    }),
    ("set_resource_out_of_order", |w, text, number| {
        schedule::set_out_of_order(&mut w.db, &w.clock, &mut w.supervisor, number, Some(text))
            .map(drop)
    }),
    ("set_no_show_grace", |w, text, _| {
        schedule::set_no_show_grace(&mut w.db, &w.clock, &mut w.supervisor, text).map(drop)
    }),
    ("queue_call_next", |w, _, number| {
        queue::call_next(&mut w.db, &w.clock, &mut w.nurse, number).map(drop)
    }),
    ("queue_undo", |w, _, number| {
        queue::undo_last(&mut w.db, &w.clock, &mut w.nurse, number).map(drop)
    }),
    ("queue_add_note", |w, text, number| {
        queue::add_note(
            &mut w.db,
            &w.clock,
            &mut w.nurse,
            number,
            text,
            Some(number),
        )
        .map(drop)
    }),
    ("queue_read_notes", |w, _, number| {
        queue::read_notes(&mut w.db, &w.clock, &mut w.nurse, number).map(drop)
    }),
    ("save_queue_reason", |w, text, _| {
        queue::save_reason(&mut w.db, &w.clock, &mut w.supervisor, text, text, true).map(drop)
    }),
    ("save_nurse_station", |w, text, number| {
        queue::save_station(
            &mut w.db,
            &w.clock,
            &mut w.supervisor,
            Some(number),
            text,
            true,
        )
        .map(drop)
    }),
    ("referrals_for_guest", |w, text, _| {
        referrals::for_guest(&mut w.db, &w.clock, &mut w.nurse, text).map(drop)
    }),
    ("open_referral", |w, _, number| {
        referrals::open(&mut w.db, &w.clock, &mut w.nurse, number).map(drop)
    }),
    ("add_referral_note", |w, text, number| {
        referrals::add_note(
            &mut w.db,
            &w.clock,
            &mut w.nurse,
            number,
            text,
            Some(number),
        )
        .map(drop)
    }),
    ("report_counts", |w, text, _| {
        reports::compute(
            &mut w.db,
            &w.clock,
            &mut Actor::Staff(&mut w.supervisor),
            text,
            text,
            &mut |_, _| {},
        )
        .map(drop)
    }),
    ("set_small_cell_threshold", |w, text, _| {
        reports::set_small_cell_threshold(&mut w.db, &w.clock, &mut w.supervisor, text).map(drop)
    }),
    ("set_backup_keep", |w, text, _| {
        backup::set_keep(&mut w.db, &w.clock, &mut Actor::Staff(&mut w.admin), text).map(drop)
    }),
    ("describe_backup", |w, text, _| {
        backup::describe(
            &mut w.db,
            &w.clock,
            &mut Actor::Staff(&mut w.admin),
            Path::new(text),
        )
        .map(drop)
    }),
    ("restore_backup", |w, text, _| {
        backup::restore(
            &mut w.db,
            &w.clock,
            &mut Actor::Staff(&mut w.admin),
            Path::new(text),
        )
        .map(drop)
    }),
];

#[test]
fn hostile_input_is_refused_cleanly_and_changes_nothing() {
    let world = std::cell::RefCell::new(world());
    for (name, probe) in PROBES {
        // A runner per probe: a runner counts its cases once, over all its runs.
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&(hostile_text(), hostile_number()), |(text, number)| {
                let mut world = world.borrow_mut();
                let before = dump(&world.file.path);
                let outcome = probe(&mut world, &text, number);
                let shown: String = text.chars().take(60).collect();
                if let Err(err) = outcome {
                    prop_assert!(
                        err.code != ErrorCode::Internal && !err.message.is_empty(),
                        "{name}({shown:?}, {number}): a clear error, not internal: {err:?}"
                    );
                    prop_assert_eq!(
                        dump(&world.file.path),
                        before,
                        "{}({:?}, {}): a refusal ({:?}) must leave the data unchanged",
                        name,
                        shown,
                        number,
                        err.code
                    );
                }
                Ok(())
            })
            .unwrap_or_else(|failure| panic!("{name}: {failure}"));
    }
    let world = world.borrow();
    assert!(
        world.visit_id > 0 && !world.guest_code.is_empty(),
        "the world was set up"
    );
}
