//! Counts that add up, on a year of demo data (seed 2026, ending Monday 30 November 2026
//! at 11:00 in Boston, that day left open as supervisors do forget close-out):
//!
//! - the desk is opened the next Sunday evening: nobody from Monday is inside, Monday is
//!   settled at its closing time and listed as left open;
//! - every identity of the report (README: "Counts that add up") holds on every day and
//!   over the year, and the figures match independent SQL counts;
//! - the report (what the Reports screen shows), the CSV, the XLSX read back with calamine
//!   and the close-out figures say the same number for the same thing;
//! - the suppressed export keeps every identity among the cells it shows;
//! - a supervisor closes Monday out late and the counts still add up.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use std::collections::HashMap;

use calamine::{Data, Reader, Xlsx};
use chrono::{TimeZone, Utc};
use engagement_desk_core::auth::{self, Actor, Role, Session};
use engagement_desk_core::clock::FixedClock;
use engagement_desk_core::db::Database;
use engagement_desk_core::demo::{self, DemoPlan, DemoSummary};
use engagement_desk_core::reports::export::{self, Relation, Suppression, COLUMNS};
use engagement_desk_core::reports::{self, identities, DayStatus, Report};
use engagement_desk_core::visits;
use engagement_desk_tests::TempDb;

const FIRST_DAY: &str = "2025-12-01";
const LAST_DAY: &str = "2026-11-30";
/// Sunday 6 December 2026, 19:00 in Boston: the desk opened six days after the last day.
const SUNDAY_EVENING: (i32, u32, u32, u32) = (2026, 12, 7, 0);

fn log_in(db: &mut Database, clock: &FixedClock, summary: &DemoSummary, role: Role) -> Session {
    let person = summary
        .staff
        .iter()
        .find(|s| s.role == role)
        .expect("a demo account of the role");
    auth::login(db, clock, &person.username, &person.password).expect("the demo password works")
}

/// A count by SQL on a connection of its own (the app's is the core's business).
fn count(path: &std::path::Path, sql: &str) -> i64 {
    rusqlite::Connection::open(path)
        .expect("a second connection")
        .query_row(sql, [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn year_report(db: &mut Database, clock: &FixedClock, sam: &mut Session, to: &str) -> Report {
    reports::compute(
        db,
        clock,
        &mut Actor::Staff(sam),
        FIRST_DAY,
        to,
        &mut |_, _| {},
    )
    .expect("the year's report")
}

fn assert_adds_up(report: &Report, context: &str) {
    let broken = identities::broken(report);
    assert!(
        broken.is_empty(),
        "{context}: {} identities broken, first: {:?}",
        broken.len(),
        &broken[..broken.len().min(10)]
    );
}

/// A published text as a number, if it is one (`<11` and `suppressed` are not).
fn number(text: &str) -> Option<i64> {
    text.parse().ok()
}

#[test]
fn a_year_of_demo_data_adds_up_on_every_day_in_every_file_and_after_a_day_left_open() {
    let temp = TempDb::new();
    let summary = demo::generate(
        &temp.path,
        &DemoPlan {
            years: 1,
            seed: 2026,
            until: Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap(),
        },
        &mut |_| {},
    )
    .expect("a year of demo data");
    let mut db = Database::open(&temp.path).expect("opens");
    let left_inside = count(
        &temp.path,
        "SELECT count(*) FROM visits WHERE service_date = '2026-11-30'
           AND checked_out_at IS NULL AND voided_at IS NULL",
    );
    assert!(
        left_inside > 20,
        "Monday was left with people inside: {left_inside}"
    );
    let undone_registrations = count(
        &temp.path,
        "SELECT count(*) FROM guests g WHERE g.merged_into IS NULL AND NOT EXISTS
           (SELECT 1 FROM visits v WHERE v.guest_id = g.id AND v.voided_at IS NULL)",
    );
    assert!(
        undone_registrations > 0,
        "the demo undoes some registrations: the new-guest count must leave them out"
    );

    // Sunday evening: the desk starts clean.
    let (y, m, d, h) = SUNDAY_EVENING;
    let clock = FixedClock::new(Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap());
    let mut pat = log_in(&mut db, &clock, &summary, Role::FrontDesk);
    let desk = visits::desk_today(&mut db, &clock, &mut pat).expect("the desk");
    assert_eq!(desk.service_date, "2026-12-06");
    assert_eq!(
        desk.occupancy.inside, 0,
        "nobody from Monday is inside on Sunday"
    );
    assert!(desk.inside.is_empty(), "no one is 'inside for 154 h'");
    let settled = count(
        &temp.path,
        "SELECT count(*) FROM visits WHERE service_date = '2026-11-30' AND settled_at_day_end = 1",
    );
    assert_eq!(
        settled, left_inside,
        "Monday's guests were settled at its closing time"
    );

    let mut sam = log_in(&mut db, &clock, &summary, Role::Supervisor);
    let open = visits::days_left_open(&mut db, &clock, &mut sam).expect("days left open");
    assert_eq!(open.total, 1, "only Monday was left open");
    assert_eq!(open.days[0].service_date, LAST_DAY);
    assert_eq!(i64::from(open.days[0].settled_at_day_end), left_inside);

    let report = year_report(&mut db, &clock, &mut sam, LAST_DAY);
    assert_eq!(report.days.len(), 365);
    assert_adds_up(&report, "the demo year");
    let monday = report.days.last().unwrap();
    assert_eq!(
        monday.status,
        DayStatus::LeftOpen,
        "the report marks Monday"
    );
    assert_eq!(i64::from(monday.settled_at_day_end), left_inside);

    // The figures match independent SQL over the same rows.
    let visits: u32 = report.days.iter().map(|d| d.visits).sum();
    let new_guests: u32 = report.days.iter().map(|d| d.new_guests).sum();
    assert_eq!(
        i64::from(visits),
        count(
            &temp.path,
            "SELECT count(*) FROM visits WHERE voided_at IS NULL"
        ),
        "visits over the year"
    );
    assert_eq!(
        i64::from(report.unique_guests_in_range),
        count(
            &temp.path,
            "SELECT count(DISTINCT guest_id) FROM visits WHERE voided_at IS NULL"
        ),
        "unique guests over the year"
    );
    assert_eq!(
        i64::from(new_guests),
        count(
            &temp.path,
            "SELECT count(*) FROM guests g WHERE g.merged_into IS NULL AND EXISTS
               (SELECT 1 FROM visits v WHERE v.guest_id = g.id AND v.voided_at IS NULL)"
        ),
        "every guest with a counted visit is new exactly once; undone registrations never"
    );

    assert_same_figures_everywhere(&report, &temp);
    assert_suppressed_export_keeps_the_identities(&report);

    // Monday is closed out late: frozen like any close-out, and still adding up.
    let closed = visits::close_earlier_day(&mut db, &clock, &mut sam, LAST_DAY).expect("late");
    assert!(closed.closed_late);
    assert_eq!(
        (
            closed.visits,
            closed.guests,
            closed.new_guests,
            closed.tallies
        ),
        (
            monday.visits,
            monday.unique_guests,
            monday.new_guests,
            monday.anonymous_tallies
        ),
        "the late close-out freezes the figures the report shows"
    );
    let report = year_report(&mut db, &clock, &mut sam, "2026-12-06");
    assert_eq!(report.days[364].status, DayStatus::ClosedLate);
    assert!(
        report.days[365..]
            .iter()
            .all(|d| d.status == DayStatus::Provisional && d.visits == 0),
        "the days after Monday had nobody and are not left open"
    );
    assert_adds_up(&report, "after the late close-out");
    assert_eq!(
        visits::days_left_open(&mut db, &clock, &mut sam)
            .expect("list")
            .total,
        0
    );
}

/// The report (as the Reports screen shows it), the CSV, the XLSX's Days and Summary
/// sheets and the frozen close-out figures agree.
fn assert_same_figures_everywhere(report: &Report, temp: &TempDb) {
    let none = Suppression { threshold: None };
    let published = export::published(report, none);

    // The report's own numbers are the published texts.
    for (day, texts) in report.days.iter().zip(&published.days) {
        let column = |name: &str| COLUMNS.iter().position(|c| c.name == name).unwrap();
        for (name, value) in [
            ("visits", day.visits),
            ("unique_guests", day.unique_guests),
            ("new_guests", day.new_guests),
            ("anonymous_tallies", day.anonymous_tallies),
            ("corrections_after_close", day.corrections_after_close),
            ("settled_at_day_end", day.settled_at_day_end),
            ("peak_occupancy", day.peak_occupancy),
        ] {
            assert_eq!(
                texts[column(name)],
                value.to_string(),
                "{} {name}",
                day.date
            );
        }
        assert_eq!(
            texts[column("status")],
            day.status.as_str(),
            "{} status",
            day.date
        );
    }

    // CSV: a header of the columns, then the same texts row by row.
    let csv = export::csv_bytes(report, none).expect("csv");
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows, published.days, "the CSV says what the report says");

    // XLSX, read back by another library: the Days sheet and the Summary sheet.
    let path = temp.dir.path().join("year.xlsx");
    std::fs::write(&path, export::xlsx_bytes(report, none).expect("xlsx")).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook(&path).expect("the workbook opens");
    let cell_text = |cell: &Data| match cell {
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    };
    let days = book.worksheet_range("Days").expect("a Days sheet");
    let grid: Vec<Vec<String>> = days
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    let header_at = grid
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "date"))
        .expect("the Days sheet has a header row");
    let sheet_days: Vec<Vec<String>> = grid[header_at + 1..]
        .iter()
        .filter(|r| r.first().is_some_and(|c| !c.is_empty()))
        .map(|r| r[..COLUMNS.len()].to_vec())
        .collect();
    assert_eq!(
        sheet_days, published.days,
        "the XLSX Days sheet says what the CSV says"
    );
    let summary = book.worksheet_range("Summary").expect("a Summary sheet");
    let by_name: HashMap<String, String> = summary
        .rows()
        .filter(|r| r.len() >= 2)
        .map(|r| (cell_text(&r[0]), cell_text(&r[1])))
        .collect();
    for (column, text) in COLUMNS.iter().zip(&published.range) {
        assert_eq!(
            by_name.get(column.name),
            Some(text),
            "the Summary's {} is the range's",
            column.name
        );
    }

    // Close-out figures: frozen at close; with what came after (corrections) they are
    // the report's.
    let conn = rusqlite::Connection::open(&temp.path).unwrap();
    let mut statement = conn
        .prepare("SELECT service_date, visits, guests, new_guests, tallies FROM day_closures")
        .unwrap();
    let closures: Vec<(String, u32, u32, u32, u32)> = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(closures.len(), 364, "every day but the last was closed out");
    let report_day: HashMap<&str, &reports::DayCounts> =
        report.days.iter().map(|d| (d.date.as_str(), d)).collect();
    for (date, visits, guests, new_guests, tallies) in closures {
        let day = report_day[date.as_str()];
        assert_eq!(
            visits + tallies + day.corrections_after_close,
            day.visits + day.anonymous_tallies,
            "{date}: close-out plus corrections is the report"
        );
        if day.corrections_after_close == 0 {
            assert_eq!(
                (visits, guests, new_guests, tallies),
                (
                    day.visits,
                    day.unique_guests,
                    day.new_guests,
                    day.anonymous_tallies
                ),
                "{date}: the close-out panel and the report say the same"
            );
        }
    }
}

/// Among the cells a suppressed export shows, every identity it protects still holds
/// (hidden cells are only ever hidden, never changed).
fn assert_suppressed_export_keeps_the_identities(report: &Report) {
    let published = export::published(
        report,
        Suppression {
            threshold: Some(10),
        },
    );
    let mut grid: Vec<Option<i64>> = Vec::new();
    for row in published
        .days
        .iter()
        .chain(std::iter::once(&published.range))
    {
        grid.extend(row.iter().map(|t| number(t)));
        grid.push(None); // the people still in the nurse queue are never published
    }
    let mut checked = 0;
    for identity in export::identities(report.days.len()) {
        let Some(total) = grid[identity.total] else {
            continue;
        };
        let Some(parts) = identity
            .parts
            .iter()
            .map(|p| grid[*p])
            .collect::<Option<Vec<i64>>>()
        else {
            continue;
        };
        let parts: i64 = parts.iter().sum();
        let holds = match identity.relation {
            Relation::Equal => parts == total,
            Relation::PartsAtMost => parts <= total,
            Relation::PartsAtLeast => parts >= total,
        };
        assert!(
            holds,
            "{identity:?}: shown parts {parts}, shown total {total}"
        );
        checked += 1;
    }
    assert!(
        checked > 1000,
        "most identities are fully shown on busy days: {checked}"
    );
}

/// The README's column table is the export's columns, in order, with their meanings.
#[test]
fn the_readme_lists_the_export_columns_as_they_are() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let rows: Vec<String> = readme
        .lines()
        .skip_while(|line| !line.starts_with("| # | column | meaning | unit |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(String::from)
        .collect();
    let expected: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("| {} | `{}` | {} | {} |", i + 1, c.name, c.meaning, c.unit))
        .collect();
    assert_eq!(rows, expected, "README: the CSV columns table");
}
