//! Story: a shift at a shared front-desk computer. The administrator sets up the team and a
//! short idle lock, a supervisor covers the floor and reads the audit log, someone with raw
//! database access tries to cover their tracks, and the chain gives them away.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use engagement_desk_core::audit::LogQuery;
use engagement_desk_core::auth::{self, Actor, NewStaff, Operation, Role};
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::ErrorCode;
use engagement_desk_tests::{first_login, run_cli, TempDb, FIRST_PASSWORD};

const ADMIN_PASSWORD: &str = "orchard lantern pebble violin";
const SUPERVISOR_PASSWORD: &str = "copper meadow thistle rocket";

#[test]
fn a_shift_is_set_up_locked_when_idle_audited_and_tampering_is_found() {
    let db = TempDb::new();
    // 08:55 in Boston on a Saturday morning.
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 13, 55, 0).unwrap());
    let mut database = Database::open(&db.path).expect("first start");
    let mut admin = auth::create_first_admin(
        &mut database,
        &clock,
        "avery",
        "Avery Admin",
        ADMIN_PASSWORD,
        ADMIN_PASSWORD,
    )
    .expect("first administrator");
    auth::create_staff(
        &mut database,
        &clock,
        &mut Actor::Staff(&mut admin),
        &NewStaff {
            username: "sam".into(),
            display_name: "Sam Shift".into(),
            roles: vec![Role::FrontDesk],
            password: FIRST_PASSWORD.into(),
        },
    )
    .expect("front-desk account");
    auth::set_roles(
        &mut database,
        &clock,
        &mut Actor::Staff(&mut admin),
        "sam",
        &[Role::FrontDesk, Role::Supervisor],
    )
    .expect("promoted for the shift");
    auth::set_idle_lock_minutes(&mut database, &clock, &mut Actor::Staff(&mut admin), "2")
        .expect("a short idle lock for the busy desk");
    auth::logout(&mut database, &clock, &admin).expect("admin leaves");
    drop(database);

    // The app restarts: the setting and the roles were written to disk.
    let mut database = Database::open(&db.path).expect("restart");
    // Sam's first login: the password the administrator gave is replaced at once.
    let mut sam = first_login(
        &mut database,
        &clock,
        "sam",
        FIRST_PASSWORD,
        SUPERVISOR_PASSWORD,
    );
    assert_eq!(
        auth::session_info(&database, &sam)
            .expect("info")
            .idle_lock_minutes,
        2,
        "the idle lock survives a restart"
    );
    clock.advance(Duration::minutes(2) + Duration::seconds(5));
    let locked = auth::authorize(&mut database, &clock, &mut sam, Operation::AuditView)
        .expect_err("sam stepped away for longer than the idle lock");
    assert_eq!(
        locked.code,
        ErrorCode::NotAuthenticated,
        "{}",
        locked.message
    );
    auth::unlock_session(&mut database, &clock, &mut sam, SUPERVISOR_PASSWORD)
        .expect("back at the desk");

    let page = engagement_desk_core::audit_viewer::view_log(
        &mut database,
        &clock,
        &mut Actor::Staff(&mut sam),
        &LogQuery {
            from: Some("2026-11-28".into()),
            to: Some("2026-11-28".into()),
            actor: Some("staff:avery".into()),
            ..Default::default()
        },
    )
    .expect("a supervisor reads the log");
    let actions: Vec<&str> = page
        .lines
        .iter()
        .rev()
        .map(|line| line.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "staff.create_first_admin",
            "staff.create",
            "staff.set_roles",
            "settings.idle_lock_minutes",
            "logout"
        ],
        "the administrator's morning, in order"
    );
    assert!(
        page.lines
            .iter()
            .all(|line| line.at_local.starts_with("2026-11-28 08:55")),
        "times are Boston's wall clock: {:?}",
        page.lines
            .iter()
            .map(|line| &line.at_local)
            .collect::<Vec<_>>()
    );
    drop(database);

    // Someone with the file tries to hide the promotion.
    let raw = rusqlite::Connection::open(&db.path).expect("raw access");
    raw.execute_batch(
        "DROP TRIGGER audit_log_refuses_delete;
         DELETE FROM audit_log WHERE action = 'staff.set_roles';",
    )
    .expect("tampering with the triggers dropped");
    drop(raw);

    let verify = run_cli(
        &["--db", db.path.to_str().expect("utf-8"), "audit", "verify"],
        &[],
    );
    assert_eq!(
        verify.code,
        Some(1),
        "a broken chain fails the check: {}",
        verify.stdout
    );
    assert!(
        verify.stderr.contains("missing") || verify.stdout.contains("missing"),
        "the first broken link is named: {} {}",
        verify.stdout,
        verify.stderr
    );
    let mut database = Database::open(&db.path).expect("reopen");
    let report = engagement_desk_core::audit_viewer::verify_log(
        &mut database,
        &clock,
        &mut Actor::Staff(&mut sam),
    )
    .expect("the window's check runs");
    assert!(
        report.first_broken.is_some(),
        "the window's check finds it too"
    );
}
