//! The command-line face of the real binary: help, version, check, migrate, and where the
//! database lives (`--db`, `ENGAGEMENT_DESK_DB`, the default app-data folder).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use engagement_desk_core::db::Database;
use engagement_desk_tests::{run_cli, TempDb};

#[test]
fn help_lists_the_subcommands_and_the_db_option() {
    let out = run_cli(&["--help"], &[]);
    assert_eq!(out.code, Some(0), "--help succeeds: {}", out.stderr);
    for word in ["check", "migrate", "--db", "ENGAGEMENT_DESK_DB"] {
        assert!(
            out.stdout.contains(word),
            "--help mentions {word}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = run_cli(&["--version"], &[]);
    assert_eq!(out.code, Some(0), "--version succeeds");
    assert_eq!(
        out.stdout.trim(),
        format!("engagement-desk {}", engagement_desk_core::APP_VERSION),
        "--version prints the name and version"
    );
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let out = run_cli(&["frobnicate"], &[]);
    assert_eq!(out.code, Some(2), "clap's usage errors exit 2");
    assert!(
        out.stderr.contains("frobnicate"),
        "the error names the word: {}",
        out.stderr
    );
}

#[test]
fn migrate_creates_a_database_then_check_says_ok() {
    let db = TempDb::new();
    let db_arg = db.path.to_str().expect("utf-8 path");
    let created = run_cli(&["--db", db_arg, "migrate"], &[]);
    assert_eq!(
        created.code,
        Some(0),
        "migrate succeeds: {}",
        created.stderr
    );
    assert!(
        created.stdout.starts_with("created "),
        "says it created: {}",
        created.stdout
    );
    assert!(db.path.exists(), "the database file exists at --db");

    let again = run_cli(&["--db", db_arg, "migrate"], &[]);
    assert!(
        again.stdout.contains("nothing to do"),
        "a second migrate is a no-op: {}",
        again.stdout
    );

    let check = run_cli(&["check", "--db", db_arg], &[]);
    assert_eq!(
        check.code,
        Some(0),
        "a fresh database is healthy: {}",
        check.stderr
    );
    assert_eq!(
        check.stdout.lines().next(),
        Some("ok"),
        "check prints ok first: {}",
        check.stdout
    );
    assert!(
        check.stdout.contains("schema version"),
        "check shows the schema: {}",
        check.stdout
    );
}

#[test]
fn the_environment_variable_chooses_the_database() {
    let db = TempDb::new();
    let db_arg = db.path.to_str().expect("utf-8 path");
    let out = run_cli(&["migrate"], &[("ENGAGEMENT_DESK_DB", db_arg)]);
    assert_eq!(out.code, Some(0), "migrate succeeds: {}", out.stderr);
    assert!(
        db.path.exists(),
        "ENGAGEMENT_DESK_DB decides where the database is"
    );
    let data = out.home.path().join("data");
    assert!(
        !data.exists(),
        "the default location is untouched when the variable is set"
    );
}

#[test]
fn the_db_option_wins_over_the_environment_variable() {
    let from_flag = TempDb::new();
    let from_env = TempDb::new();
    let out = run_cli(
        &["--db", from_flag.path.to_str().expect("utf-8"), "migrate"],
        &[("ENGAGEMENT_DESK_DB", from_env.path.to_str().expect("utf-8"))],
    );
    assert_eq!(out.code, Some(0), "migrate succeeds: {}", out.stderr);
    assert!(from_flag.path.exists(), "--db is used");
    assert!(
        !from_env.path.exists(),
        "the variable is ignored when --db is given"
    );
}

#[test]
fn without_db_or_variable_the_app_data_folder_is_used() {
    let out = run_cli(&["migrate"], &[]);
    assert_eq!(out.code, Some(0), "migrate succeeds: {}", out.stderr);
    let expected = out
        .home
        .path()
        .join("data")
        .join("org.engagementdesk.frontdesk")
        .join("engagement-desk.db");
    assert!(
        expected.exists(),
        "the default database is in the app-data folder: {}",
        out.stdout
    );
}

#[test]
fn check_on_a_missing_database_fails_and_creates_nothing() {
    let db = TempDb::new();
    let out = run_cli(&["--db", db.path.to_str().expect("utf-8"), "check"], &[]);
    assert_eq!(out.code, Some(1), "a missing database is not healthy");
    assert!(
        out.stderr.contains("database_missing"),
        "the code is shown: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("no database"),
        "the reason is shown: {}",
        out.stderr
    );
    assert!(!db.path.exists(), "check never creates a database");
}

#[test]
fn check_and_migrate_refuse_a_text_file_and_leave_it_alone() {
    let db = TempDb::new();
    std::fs::write(&db.path, "not a database\n").expect("text file");
    for command in ["check", "migrate"] {
        let out = run_cli(&["--db", db.path.to_str().expect("utf-8"), command], &[]);
        assert_eq!(out.code, Some(1), "{command} fails on a text file");
        assert!(
            out.stderr.contains("not_engagement_desk_database")
                && out.stderr.contains("not an Engagement Desk database"),
            "{command} says why: {}",
            out.stderr
        );
        assert_eq!(
            std::fs::read_to_string(&db.path).expect("still there"),
            "not a database\n",
            "{command} leaves the file byte-for-byte unchanged"
        );
    }
}

#[test]
fn check_reports_a_newer_database() {
    let db = TempDb::new();
    {
        let opened = Database::open(&db.path).expect("created");
        let newer = opened.schema_version() + 5;
        drop(opened);
        let conn = rusqlite::Connection::open(&db.path).expect("raw connection");
        conn.pragma_update(None, "user_version", newer)
            .expect("pretend newer");
    }
    let out = run_cli(&["--db", db.path.to_str().expect("utf-8"), "check"], &[]);
    assert_eq!(out.code, Some(1), "a newer database is refused");
    assert!(
        out.stderr.contains("database_too_new"),
        "the code is shown: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("newer version"),
        "the reason is shown: {}",
        out.stderr
    );
}

#[test]
fn an_empty_db_path_is_refused() {
    let out = run_cli(&["--db", "", "check"], &[]);
    assert_eq!(out.code, Some(2), "an empty --db is a usage error");
    assert!(
        out.stderr.contains("--db"),
        "the option is named: {}",
        out.stderr
    );
}

#[test]
fn a_db_path_in_a_missing_folder_is_a_clear_error() {
    let db = TempDb::new();
    let path = db.dir.path().join("typo").join("desk.db");
    let out = run_cli(&["--db", path.to_str().expect("utf-8"), "migrate"], &[]);
    assert_eq!(
        out.code,
        Some(1),
        "no database is created in a missing folder"
    );
    assert!(
        out.stderr.contains("desk.db"),
        "the path is named: {}",
        out.stderr
    );
    assert!(
        !path.parent().expect("parent").exists(),
        "the missing folder is not created"
    );
}
