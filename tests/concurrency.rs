//! Several processes on one database at once: two writers (the `drill` subcommand), and
//! command-line exports and backups running beside them. No "database is locked" reaches
//! anyone, every write lands, and a writer that is held up too long gets a clear
//! `database_busy` after a bounded wait instead of hanging.
//! (The app window beside a command-line export is in e2e.rs.)

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use engagement_desk_tests::{
    assert_database_healthy, drill_database, run_cli, spawn_drill, Acks, TempDb,
};

const PER_WRITER: u32 = 150;

fn finish(child: Child, who: &str) -> Acks {
    let output = child.wait_with_output().expect("the drill finishes");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{who} must finish without an error while others use the database: {stderr}"
    );
    assert!(
        !stderr.contains("locked") && !stderr.contains("busy"),
        "no busy or locked error may reach anyone: {stderr}"
    );
    Acks::parse(&stdout)
}

#[test]
fn two_writers_exports_and_backups_share_one_database() {
    let db = TempDb::new();
    drill_database(&db.path);
    let path = db.path.to_str().expect("UTF-8 path").to_string();

    let first = spawn_drill(&db.path, PER_WRITER);
    let second = spawn_drill(&db.path, PER_WRITER);
    // Meanwhile, exports and backups read the same database, again and again.
    let readers = {
        let path = path.clone();
        let folder = db.dir.path().to_path_buf();
        thread::spawn(move || {
            let mut runs = 0;
            for round in 0..6 {
                let csv = folder.join(format!("counts-{round}.csv"));
                let export = run_cli(
                    &[
                        "--db",
                        &path,
                        "export",
                        "counts",
                        "--from",
                        "2026-01-01",
                        "--to",
                        "2026-12-31",
                        "--format",
                        "csv",
                        "--out",
                        csv.to_str().expect("UTF-8"),
                    ],
                    &[],
                );
                assert_eq!(
                    export.code,
                    Some(0),
                    "an export beside two writers must succeed: {}",
                    export.stderr
                );
                let copy = folder.join(format!("backup-{round}.db"));
                let backup = run_cli(
                    &[
                        "--db",
                        &path,
                        "backup",
                        "--out",
                        copy.to_str().expect("UTF-8"),
                    ],
                    &[],
                );
                assert_eq!(
                    backup.code,
                    Some(0),
                    "a backup beside two writers must succeed: {}",
                    backup.stderr
                );
                let check = run_cli(&["--db", copy.to_str().expect("UTF-8"), "check"], &[]);
                assert_eq!(
                    check.code,
                    Some(0),
                    "a backup taken while others write is consistent: {}",
                    check.stderr
                );
                runs += 1;
            }
            runs
        })
    };

    let mut acks = finish(first, "the first writer");
    acks.extend(finish(second, "the second writer"));
    let reader_runs = readers.join().expect("the export and backup runs");
    assert_eq!(reader_runs, 6, "every export and backup ran");
    assert_eq!(
        acks.checked_in.len(),
        2 * PER_WRITER as usize,
        "both writers checked in every guest"
    );
    acks.assert_all_present(&db.path, "after two writers");
    let conn = rusqlite::Connection::open(&db.path).expect("opens");
    let guests: i64 = conn
        .query_row("SELECT count(*) FROM guests", [], |row| row.get(0))
        .expect("count");
    assert_eq!(
        guests,
        2 * i64::from(PER_WRITER),
        "no write was lost or doubled"
    );
    drop(conn);
    assert_database_healthy(&db.path, "after two writers, exports and backups");
}

#[test]
fn a_writer_held_up_too_long_gets_database_busy_not_a_hang() {
    let db = TempDb::new();
    drill_database(&db.path);
    let holder = rusqlite::Connection::open(&db.path).expect("opens");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("the write lock");

    let started = Instant::now();
    let drill = spawn_drill(&db.path, 1);
    let output = drill.wait_with_output().expect("the drill ends on its own");
    let waited = started.elapsed();
    holder.execute_batch("ROLLBACK").expect("released");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a writer that cannot get the database in time gives up"
    );
    assert!(
        stderr.contains("[database_busy]") && stderr.contains("try again"),
        "the person is told the database is busy and to try again: {stderr}"
    );
    // Bounded: the busy timeout is 5 s per attempt; a generous ceiling, not a speed test.
    assert!(
        waited < Duration::from_secs(60),
        "the wait is bounded (took {waited:?})"
    );
    assert_database_healthy(&db.path, "after a busy refusal");
}
