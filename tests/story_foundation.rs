//! Story: a center installs Engagement Desk, uses it for a while, gets a damaged disk and
//! a mistaken file, and never loses or alters data it did not mean to.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use engagement_desk_core::db::{self, Database, Inspection};
use engagement_desk_core::{status, ErrorCode};
use engagement_desk_tests::{run_cli, TempDb};

#[test]
fn install_use_restart_and_survive_a_damaged_copy() {
    let db = TempDb::new();

    // First start: nothing there yet.
    assert_eq!(
        db::inspect(&db.path).expect("inspect"),
        Inspection::Absent,
        "a fresh install has no database"
    );
    let first = Database::open(&db.path).expect("first start creates the database");
    let first_status = status::app_status(&first).expect("status");
    assert!(
        first_status.database_created,
        "the first start reports a new database"
    );
    assert_eq!(
        first_status.center_time_zone, "America/New_York",
        "the default time zone is seeded"
    );
    drop(first);

    // The command line and the app agree about the same file.
    let check = run_cli(&["--db", db.path.to_str().expect("utf-8"), "check"], &[]);
    assert_eq!(
        check.code,
        Some(0),
        "the CLI finds the app's database healthy: {}",
        check.stderr
    );

    // A restart finds the database as it was; no migration, no backup.
    let second = Database::open(&db.path).expect("restart");
    let report = second.open_report();
    assert!(
        !report.created && report.pre_migration_backup.is_none(),
        "a restart changes nothing"
    );
    drop(second);

    // Someone copies half of the database to a USB stick and tries to open the copy.
    let copy = db.dir.path().join("usb-copy.db");
    let content = std::fs::read(&db.path).expect("read");
    std::fs::write(&copy, &content[..content.len() - 100]).expect("partial copy");
    let before = std::fs::read(&copy).expect("read copy");
    let err = Database::open(&copy).expect_err("a cut-short copy is refused");
    assert_eq!(err.code, ErrorCode::DatabaseCorrupt, "{}", err.message);
    assert_eq!(
        std::fs::read(&copy).expect("read copy"),
        before,
        "the damaged copy is left for inspection"
    );

    // Someone points the app at the center's spreadsheet by mistake.
    let spreadsheet = db.dir.path().join("counts.csv");
    std::fs::write(&spreadsheet, "date,visits\n2026-11-27,312\n").expect("csv");
    let err = Database::open(&spreadsheet).expect_err("a CSV is not a database");
    assert_eq!(
        err.code,
        ErrorCode::NotEngagementDeskDatabase,
        "{}",
        err.message
    );
    assert_eq!(
        std::fs::read_to_string(&spreadsheet).expect("csv"),
        "date,visits\n2026-11-27,312\n",
        "the spreadsheet is untouched"
    );

    // The real database is still healthy after all that.
    db::check(&db.path).expect("the original database is still healthy");
}

#[test]
fn two_connections_to_one_file_both_work() {
    // The app and a command-line check may have the database open at once.
    let db = TempDb::new();
    let app = Database::open(&db.path).expect("the app opens it");
    let report = db::check(&db.path).expect("the CLI checks it while the app has it open");
    assert_eq!(
        report.schema_version,
        app.schema_version(),
        "both see the same schema"
    );
    let again = Database::open(&db.path).expect("a second open while the first is live");
    assert_eq!(
        again.schema_version(),
        app.schema_version(),
        "the second open needs no migration"
    );
}
