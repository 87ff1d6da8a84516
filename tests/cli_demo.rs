//! `engagement-desk demo` against the real binary: a trainer makes a year of made-up
//! activity, hands out the printed passwords, and cannot fill a real database by mistake.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use engagement_desk_core::auth;
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::visits;
use engagement_desk_tests::{assert_database_healthy, run_cli, story_staff, TempDb};

const UNTIL: &str = "2026-11-30T16:00:00Z";

fn rows(path: &std::path::Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .unwrap()
}

#[test]
fn a_year_of_demo_data_with_progress_a_summary_and_passwords_that_work_once_printed() {
    let temp = TempDb::new();
    let db = temp.path.to_str().unwrap();
    let made = run_cli(
        &[
            "--db", db, "demo", "--years", "1", "--seed", "11", "--until", UNTIL,
        ],
        &[],
    );
    assert_eq!(
        made.code,
        Some(0),
        "demo succeeds: {}{}",
        made.stdout,
        made.stderr
    );
    assert!(
        made.stderr.matches("demo: simulated up to").count() >= 12,
        "progress is shown month by month: {}",
        made.stderr
    );
    assert!(
        made.stderr.contains("(365 of 365 days)"),
        "progress ends at the last day: {}",
        made.stderr
    );
    for line in [
        "days: 365 (2025-12-01 to 2026-11-30; 364 closed out, the last left open)",
        "guests: ",
        "visits: ",
        "no-shows",
        "nurse queue: ",
        "referrals: ",
        "incidents: ",
        "audit entries: ",
        "the passwords are shown only now",
    ] {
        assert!(
            made.stdout.contains(line),
            "the summary has {line:?}: {}",
            made.stdout
        );
    }
    let visits_line = made
        .stdout
        .lines()
        .find(|line| line.starts_with("visits: "))
        .unwrap();
    let per_day: u64 = visits_line
        .split("(about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap();
    assert!(
        (250..=400).contains(&per_day),
        "about 300 visits a day: {visits_line}"
    );

    // Each role's account, with a password printed once: they log in with it.
    let accounts: Vec<(String, String, String)> = made
        .stdout
        .lines()
        .skip_while(|line| !line.contains("the passwords are shown only now"))
        .skip(1)
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            (
                parts[0].to_string(),
                parts[1].to_string(),
                parts[2].to_string(),
            )
        })
        .collect();
    for role in ["admin", "supervisor", "nurse", "front_desk"] {
        assert!(
            accounts.iter().any(|(_, r, _)| r == role),
            "an account for {role}: {accounts:?}"
        );
    }
    let until = chrono::DateTime::parse_from_rfc3339(UNTIL)
        .unwrap()
        .to_utc();
    let clock = FixedClock::new(until);
    let mut database = Database::open(&temp.path).unwrap();
    for (username, _, password) in &accounts {
        auth::login(&mut database, &clock, username, password)
            .unwrap_or_else(|err| panic!("{username} logs in with the printed password: {err:?}"));
    }
    let (desk, _, password) = accounts
        .iter()
        .find(|(_, role, _)| role == "front_desk")
        .unwrap();
    let mut session = auth::login(&mut database, &clock, desk, password).unwrap();
    let today = visits::desk_today(&mut database, &clock, &mut session).unwrap();
    assert_eq!(
        today.service_date, "2026-11-30",
        "the desk opens on the demo's last day"
    );
    assert!(
        today.visits_today > 50,
        "by 11:00 the day is busy: {}",
        today.visits_today
    );
    drop(database);
    assert_database_healthy(&temp.path, "after demo");
    assert!(
        !made.stdout.contains("$argon2"),
        "no password hash is printed"
    );
}

#[test]
fn demo_refuses_a_database_with_data_an_unnamed_database_and_bad_arguments() {
    let temp = TempDb::new();
    let db = temp.path.to_str().unwrap();
    {
        let mut database = Database::open(&temp.path).unwrap();
        story_staff(&mut database, &FixedClock::new(chrono::Utc::now()), &[]);
    }
    let audit_before = rows(&temp.path, "audit_log");
    let refused = run_cli(&["--db", db, "demo", "--years", "1"], &[]);
    assert_eq!(refused.code, Some(1), "a database with staff is refused");
    assert!(
        refused.stderr.contains("[conflict]") && refused.stderr.contains("already holds data"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        rows(&temp.path, "audit_log"),
        audit_before,
        "nothing was written"
    );
    assert_eq!(rows(&temp.path, "guests"), 0, "no guest was added");

    let unnamed = run_cli(&["demo", "--years", "1"], &[]);
    assert_eq!(unnamed.code, Some(1), "no --db: refused");
    assert!(unnamed.stderr.contains("--db"), "{}", unnamed.stderr);

    let fresh = TempDb::new();
    let fresh_db = fresh.path.to_str().unwrap();
    for (args, says) in [
        (vec!["--years", "0"], "between 1 and 10"),
        (vec!["--years", "11"], "between 1 and 10"),
        (vec!["--until", "yesterday"], "an instant like"),
        (vec!["--until", "2026-02-30T10:00:00Z"], "an instant like"),
        (
            vec!["--until", "'; DROP TABLE guests; --"],
            "an instant like",
        ),
    ] {
        let mut all = vec!["--db", fresh_db, "demo"];
        all.extend(&args);
        let out = run_cli(&all, &[]);
        assert_eq!(out.code, Some(1), "{args:?} is refused");
        assert!(
            out.stderr.contains("[invalid_input]") && out.stderr.contains(says),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!fresh.path.exists(), "{args:?}: no database is made");
    }
    for args in [
        vec!["--years", "-1"],
        vec!["--seed", "many"],
        vec!["--years", ""],
    ] {
        let mut all = vec!["--db", fresh_db, "demo"];
        all.extend(&args);
        let out = run_cli(&all, &[]);
        assert_eq!(out.code, Some(2), "{args:?}: clap refuses it");
        assert!(!fresh.path.exists(), "{args:?}: no database is made");
    }
}

/// Every file that belongs to the database at `path` (the file, its -wal and -shm, and the
/// backups folder beside it), with its bytes.
fn files_beside(path: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let folder = path.parent().unwrap();
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap().path();
            if entry.is_dir() {
                pending.push(entry);
            } else {
                let bytes = std::fs::read(&entry).unwrap();
                files.push((entry, bytes));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn demo_refuses_an_older_database_holding_data_before_migrating_or_writing_anything() {
    use engagement_desk_core::db::{OpenOptions, Schema};
    let temp = TempDb::new();
    // Schema version 2 (staff and audit log), holding the fixture rows of that version.
    let ups = [
        include_str!("../migrations/0001-foundation/up.sql"),
        include_str!("../migrations/0002-staff-and-audit/up.sql"),
    ];
    let seeds = [
        include_str!("fixtures/migration-seeds/0001.sql"),
        include_str!("fixtures/migration-seeds/0002.sql"),
    ];
    for version in 1..=2 {
        let schema = Schema::from_steps(&ups[..version]).unwrap();
        drop(Database::open_with(&temp.path, &schema, &OpenOptions::default()).unwrap());
        let conn = rusqlite::Connection::open(&temp.path).unwrap();
        conn.execute_batch(seeds[version - 1]).unwrap();
        conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .unwrap();
    }
    let before = files_beside(&temp.path);
    let db = temp.path.to_str().unwrap();
    let refused = run_cli(&["--db", db, "demo", "--years", "1", "--until", UNTIL], &[]);
    assert_eq!(
        refused.code,
        Some(1),
        "an older database with data is refused"
    );
    assert!(
        refused.stderr.contains("[conflict]") && refused.stderr.contains("already holds data"),
        "{}",
        refused.stderr
    );
    let after: Vec<_> = files_beside(&temp.path)
        .into_iter()
        // The window lock the command holds while it runs is not the database.
        .filter(|(path, _)| !path.to_string_lossy().ends_with(".lock"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(path, _)| !path.to_string_lossy().ends_with(".lock"))
        .collect();
    assert_eq!(
        after.iter().map(|(path, _)| path).collect::<Vec<_>>(),
        before.iter().map(|(path, _)| path).collect::<Vec<_>>(),
        "no file was added (no pre-migration backup: nothing was migrated)"
    );
    assert!(
        after == before,
        "the database is byte for byte as it was: not migrated, nothing written"
    );
}

#[test]
fn demo_leaves_a_file_that_is_not_a_database_untouched() {
    let temp = TempDb::new();
    let text = b"minutes of the residents' meeting, not a database\n".repeat(200);
    std::fs::write(&temp.path, &text).unwrap();
    let db = temp.path.to_str().unwrap();
    let refused = run_cli(&["--db", db, "demo", "--years", "1", "--until", UNTIL], &[]);
    assert_eq!(
        refused.code,
        Some(1),
        "a foreign file is refused: {}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains("[not_engagement_desk_database]"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read(&temp.path).unwrap(),
        text,
        "the file is exactly as it was"
    );
}
