//! `engagement-desk export counts` against the real binary: a day with activity written as
//! CSV and XLSX (read back with calamine, a reader other than the writer), small cells
//! hidden, progress for long ranges, and every refusal with a clear message and exit 1.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{TimeZone, Utc};
use engagement_desk_core::auth::Role;
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::guests::NewGuest;
use engagement_desk_core::visits;
use engagement_desk_tests::{run_cli, story_staff, TempDb, STORY_PASSWORD};

/// A database with three visits on Monday 30 November 2026 (Boston).
fn a_day_of_visits() -> TempDb {
    let db = TempDb::new();
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap());
    let mut database = Database::open(&db.path).expect("new database");
    story_staff(&mut database, &clock, &[("pat", Role::FrontDesk)]);
    let mut pat = engagement_desk_core::auth::login(&mut database, &clock, "pat", STORY_PASSWORD)
        .expect("pat");
    for name in ["Ana", "Ben", "Cy"] {
        let new = NewGuest {
            nickname: Some(name.into()),
            ..Default::default()
        };
        visits::register_and_check_in(&mut database, &clock, &mut pat, &new, false).expect("in");
    }
    db
}

fn export(db: &TempDb, extra: &[&str]) -> engagement_desk_tests::CliOutput {
    let mut args = vec!["--db", db.path.to_str().expect("utf-8"), "export", "counts"];
    args.extend_from_slice(extra);
    run_cli(&args, &[("USER", "night-manager")])
}

#[test]
fn a_day_is_exported_as_csv_with_the_documented_columns() {
    let db = a_day_of_visits();
    let out = db.dir.path().join("counts.csv");
    let run = export(
        &db,
        &[
            "--from",
            "2026-11-29",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(0), "exported: {}", run.stderr);
    assert!(run.stdout.contains("wrote 2 days"), "{}", run.stdout);
    let text = std::fs::read_to_string(&out).expect("the file");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let documented: Vec<&str> = engagement_desk_core::reports::export::COLUMNS
        .iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        header, documented,
        "the header is the documented column order"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2, "one row per day");
    assert_eq!(&rows[0][0], "2026-11-29", "days in order");
    assert_eq!(&rows[0][2], "0", "nobody came on Sunday");
    assert_eq!(&rows[1][2], "3", "three visits on Monday");
    // The command line runs on the real clock, after that Monday: the export, like any
    // first action of a later day, settled it; it is marked left open until closed out.
    assert_eq!(
        &rows[1][1], "left_open",
        "Monday is over and was never closed out"
    );
    let settled = header
        .iter()
        .position(|c| c == "settled_at_day_end")
        .expect("the settled column");
    assert_eq!(
        &rows[1][settled], "3",
        "the three still inside were settled at day end"
    );

    // The export is in the audit log with the operating-system user.
    let conn = rusqlite::Connection::open(&db.path).expect("raw");
    let actor: String = conn
        .query_row(
            "SELECT actor FROM audit_log WHERE action = 'report.export'",
            [],
            |row| row.get(0),
        )
        .expect("an export entry");
    assert_eq!(
        actor,
        format!("os:{}", engagement_desk_tests::os_account()),
        "who exported: the operating-system account, not $USER"
    );
}

#[test]
fn the_workbook_reads_back_with_another_reader_and_small_cells_are_hidden() {
    let db = a_day_of_visits();
    let out = db.dir.path().join("counts.xlsx");
    let run = export(
        &db,
        &[
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-30",
            "--format",
            "xlsx",
            "--out",
            out.to_str().unwrap(),
            "--suppress-small-cells",
        ],
    );
    assert_eq!(run.code, Some(0), "exported: {}", run.stderr);
    let mut book: Xlsx<_> = open_workbook(&out).expect("calamine opens it");
    let names = book.sheet_names();
    for sheet in ["Summary", "Days", "Occupancy by hour", "Incidents"] {
        assert!(
            names.iter().any(|n| n == sheet),
            "a {sheet} sheet: {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n == "Referrals" || n == "Nurse queue"),
        "breakdowns that would give hidden counts away are left out: {names:?}"
    );
    let days = book.worksheet_range("Days").expect("Days sheet");
    assert_eq!(
        days.get_value((1, 0)),
        Some(&Data::String("Range: 2026-11-30 to 2026-11-30".into())),
        "the range under the title"
    );
    // Row 6 (0-based 5) is the header; row 7 the day.
    assert_eq!(
        days.get_value((5, 2)),
        Some(&Data::String("visits".into())),
        "header"
    );
    assert_eq!(
        days.get_value((6, 2)),
        Some(&Data::String("<11".into())),
        "three visits are a small cell when shared outside"
    );
    assert_eq!(
        days.get_value((6, 6)),
        Some(&Data::Float(0.0)),
        "zero stays a number"
    );
}

#[test]
fn long_ranges_show_progress() {
    let db = a_day_of_visits();
    let out = db.dir.path().join("year.csv");
    let run = export(
        &db,
        &[
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("counted 30 of 365 days")
            && run.stderr.contains("counted 365 of 365 days"),
        "progress on standard error: {}",
        run.stderr
    );
}

#[test]
fn bad_requests_exit_1_with_a_clear_message_and_write_nothing() {
    let db = a_day_of_visits();
    let out = db.dir.path().join("counts.csv");
    let path = out.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "--from",
                "2026-02-30",
                "--to",
                "2026-03-01",
                "--format",
                "csv",
                "--out",
                path,
            ],
            "not a date",
        ),
        (
            &[
                "--from",
                "2026-03-02",
                "--to",
                "2026-03-01",
                "--format",
                "csv",
                "--out",
                path,
            ],
            "must not be before",
        ),
        (
            &[
                "--from",
                "2020-01-01",
                "--to",
                "2026-12-31",
                "--format",
                "csv",
                "--out",
                path,
            ],
            "five years",
        ),
        (
            &[
                "--from",
                "'; DROP TABLE visits; --",
                "--to",
                "2026-03-01",
                "--format",
                "csv",
                "--out",
                path,
            ],
            "not a date",
        ),
        (
            &[
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-01",
                "--format",
                "csv",
                "--out",
                "/no/such/folder/c.csv",
            ],
            "does not exist",
        ),
        (
            &[
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-01",
                "--format",
                "csv",
                "--out",
                db.dir.path().to_str().unwrap(),
            ],
            "is a folder",
        ),
    ];
    for (args, message) in cases {
        let run = export(&db, args);
        assert_eq!(run.code, Some(1), "{args:?} is refused");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(!out.exists(), "{args:?} wrote nothing");
    }
    let bad_format = export(
        &db,
        &[
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-01",
            "--format",
            "pdf",
            "--out",
            path,
        ],
    );
    assert_ne!(
        bad_format.code,
        Some(0),
        "an unknown format is a usage error"
    );

    // An existing file is kept unless --force says otherwise.
    std::fs::write(&out, "keep me").expect("a file");
    let run = export(
        &db,
        &[
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--out",
            path,
        ],
    );
    assert_eq!(run.code, Some(1), "an existing file is not replaced");
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "keep me",
        "untouched"
    );
    let run = export(
        &db,
        &[
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--out",
            path,
            "--force",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        std::fs::read_to_string(&out).unwrap().starts_with("date,"),
        "replaced"
    );

    let missing = TempDb::new();
    let run = export(
        &missing,
        &[
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--out",
            path,
            "--force",
        ],
    );
    assert_eq!(run.code, Some(1), "no database, no export");
    assert!(run.stderr.contains("no database"), "{}", run.stderr);
}

/// A day at the nurse station: twelve guests join the queue, eleven are seen and one
/// leaves before being seen.
fn a_queue_of_twelve() -> TempDb {
    use engagement_desk_core::queue::{self, JoinInput, Priority, QueueState};
    let db = TempDb::new();
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap());
    let mut database = Database::open(&db.path).expect("new database");
    story_staff(
        &mut database,
        &clock,
        &[("pat", Role::FrontDesk), ("nina", Role::Nurse)],
    );
    let login = |database: &mut Database, name: &str| {
        engagement_desk_core::auth::login(database, &clock, name, STORY_PASSWORD).expect(name)
    };
    let mut pat = login(&mut database, "pat");
    let mut nina = login(&mut database, "nina");
    let mut entries = Vec::new();
    for n in 0..12 {
        let new = NewGuest {
            nickname: Some(format!("Guest {n}")),
            ..Default::default()
        };
        let guest = visits::register_and_check_in(&mut database, &clock, &mut pat, &new, false)
            .expect("in")
            .guest
            .id;
        let input = JoinInput {
            guest_id: guest,
            reason: "wound_care".into(),
            priority: Priority::Routine,
            note: None,
        };
        entries.push(
            queue::join(&mut database, &clock, &mut pat, &input)
                .expect("joins")
                .line
                .id,
        );
    }
    let last = entries.pop().expect("twelve");
    queue::change(
        &mut database,
        &clock,
        &mut nina,
        last,
        QueueState::Left,
        None,
    )
    .expect("one leaves before being seen");
    for _ in entries {
        let called = queue::call_next(&mut database, &clock, &mut nina, 1).expect("called");
        for to in [QueueState::InService, QueueState::Done] {
            queue::change(&mut database, &clock, &mut nina, called.id, to, None).expect("seen");
        }
    }
    db
}

#[test]
fn a_hidden_count_cannot_be_worked_out_by_subtracting_shown_ones() {
    // 12 joined = 11 seen + 1 left + 0 cancelled: with only the 1 hidden, 12 - 11 - 0
    // would give it away, so one more of them is hidden too.
    let db = a_queue_of_twelve();
    let out = db.dir.path().join("queue.csv");
    let run = export(
        &db,
        &[
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
            "--suppress-small-cells",
        ],
    );
    assert_eq!(run.code, Some(0), "exported: {}", run.stderr);
    let text = std::fs::read_to_string(&out).expect("the file");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let row = reader.records().next().expect("a day").expect("a row");
    let cell = |name: &str| {
        let at = header.iter().position(|h| h == name).expect(name);
        row[at].to_string()
    };
    assert_eq!(cell("nurse_left_without_being_seen"), "<11", "1 is small");
    let joined = cell("nurse_joined");
    let seen = cell("nurse_seen");
    let cancelled = cell("nurse_cancelled");
    assert!(
        [&joined, &seen, &cancelled]
            .iter()
            .any(|t| t.as_str() == "suppressed"),
        "joined {joined}, seen {seen}, cancelled {cancelled}: one more is hidden"
    );
    for shown in [&joined, &seen, &cancelled] {
        assert!(
            shown == "suppressed" || shown.parse::<i64>().is_ok(),
            "a count above 10 or zero is a number or suppressed: {shown}"
        );
    }
}
