use super::*;
use crate::clock::FixedClock;
use crate::{audit, db, queue, schedule, visits};
use chrono::TimeZone;

/// Monday 30 November 2026, 11:00 in New York: the last simulated day is under way.
fn until() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap()
}

fn plan(seed: u64) -> DemoPlan {
    DemoPlan {
        years: 1,
        seed,
        until: until(),
    }
}

fn three_weeks(path: &Path, seed: u64) -> Result<DemoSummary> {
    generate_days(path, &plan(seed), 21, &mut |_| {})
}

/// Every table's rows as text, except the staff password hashes (salted, so never alike)
/// and when the migrations wrote the default settings (the machine's clock, not the plan's).
fn dump(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut lines = Vec::new();
    for table in tables {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let shown: Vec<String> = columns
            .iter()
            .filter(|column| {
                !(table == "staff" && *column == "password_hash"
                    || table == "settings" && *column == "updated_at")
            })
            .map(|column| format!("quote({column})"))
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY rowid",
            shown.join(" || '|' || ")
        );
        let mut statement = conn.prepare(&sql).unwrap();
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap();
        for row in rows {
            lines.push(format!("{table}: {}", row.unwrap()));
        }
    }
    lines
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn the_same_seed_makes_the_same_data_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.db"),
        dir.path().join("b.db"),
        dir.path().join("c.db"),
    );
    let first = three_weeks(&a, 42).unwrap();
    let second = three_weeks(&b, 42).unwrap();
    three_weeks(&c, 43).unwrap();
    assert_eq!(
        first.counts, second.counts,
        "the same seed, the same counts"
    );
    let (dump_a, dump_b) = (dump(&a), dump(&b));
    assert!(
        dump_a.len() > 10_000,
        "three busy weeks fill the tables: {}",
        dump_a.len()
    );
    let differ: Vec<_> = dump_a
        .iter()
        .zip(&dump_b)
        .filter(|(x, y)| x != y)
        .take(3)
        .collect();
    assert!(
        differ.is_empty() && dump_a.len() == dump_b.len(),
        "the same seed and end make identical rows (hashes included): {differ:?}"
    );
    assert!(dump(&c) != dump_a, "another seed makes other data");
    assert!(
        first
            .staff
            .iter()
            .zip(&second.staff)
            .all(|(x, y)| x.password != y.password),
        "passwords do not come from the seed: a demo database may train real staff"
    );
}

#[test]
fn a_demo_database_is_healthy_consistent_and_its_staff_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let mut reports = Vec::new();
    let summary =
        generate_days(&path, &plan(7), 21, &mut |progress| reports.push(*progress)).unwrap();
    assert_eq!(
        reports
            .last()
            .map(|progress| (progress.days_done, progress.days_total)),
        Some((21, 21)),
        "progress ends at the last day"
    );
    assert!(reports.len() >= 3, "progress is reported every week");
    assert_eq!(
        summary.last_day.to_string(),
        "2026-11-30",
        "the last day is the plan's"
    );
    assert_eq!(
        summary.first_day.to_string(),
        "2026-11-10",
        "21 days end with the last"
    );
    db::check(&path).expect("check passes on demo data");
    let mut database = Database::open(&path).unwrap();
    let verified = audit::verify(&database).unwrap();
    assert!(verified.first_broken.is_none(), "the audit chain is whole");
    assert_eq!(
        u64::from(verified.entries),
        summary.counts.audit_entries,
        "the summary counts every audit entry"
    );
    let conn = database.conn();
    assert_eq!(
        count(conn, "SELECT count(*) FROM day_closures") as u64,
        summary.counts.closed_days,
        "every day but the last is closed out"
    );
    assert_eq!(
        summary.counts.closed_days, 20,
        "twenty closed days and today"
    );
    let per_day = summary.counts.visits / 21;
    assert!(
        (200..=450).contains(&per_day),
        "about 300 visits a day from the first day (the center has its regulars): {per_day}"
    );
    let repeat_guests = count(
        conn,
        "SELECT count(*) FROM (SELECT guest_id FROM visits GROUP BY guest_id HAVING count(*) >= 5)",
    );
    assert!(repeat_guests > 100, "regulars come back: {repeat_guests}");
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM visits WHERE service_date < '2026-11-30'
             AND checked_out_at IS NULL AND voided_at IS NULL"
        ),
        0,
        "nobody is left inside on a closed day"
    );
    assert!(
        count(
            conn,
            "SELECT count(*) FROM visits WHERE service_date = '2026-11-30'
             AND checked_out_at IS NULL AND voided_at IS NULL"
        ) > 10,
        "at 11:00 on the last day people are inside"
    );
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM bookings WHERE service_date < '2026-11-30'
             AND state IN ('booked', 'in_use')"
        ),
        0,
        "closed days hold no open bookings"
    );
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM queue_entries WHERE service_date < '2026-11-30'
             AND state IN ('waiting', 'called', 'in_service')"
        ),
        0,
        "closed days hold no open queue entries"
    );
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM bookings b JOIN bookings o ON o.resource_id = b.resource_id
             AND o.id < b.id AND o.state IN ('booked', 'in_use', 'done')
             AND b.state IN ('booked', 'in_use', 'done')
             AND o.starts_at < b.blocked_until AND b.starts_at < o.blocked_until"
        ),
        0,
        "kept bookings never overlap on a resource"
    );
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM referrals r JOIN partners p ON p.id = r.partner_id
             WHERE p.on_site = 0 AND r.status <> 'made' AND r.consent_id IS NULL"
        ),
        0,
        "a referral to an outside partner is sent under a consent"
    );
    for (what, counted) in [
        ("no-shows", summary.counts.no_shows),
        ("cancellations", summary.counts.cancellations),
        ("clinical notes", summary.counts.clinical_notes),
        ("referrals", summary.counts.referrals),
        ("tallies", summary.counts.anonymous_tallies),
        ("waitlist", summary.counts.waitlist + 1),
    ] {
        assert!(counted > 0, "three weeks hold {what}");
    }
    let clock = FixedClock::new(until());
    let staff = &summary.staff;
    for role in [Role::Admin, Role::Supervisor, Role::Nurse, Role::FrontDesk] {
        assert!(
            staff.iter().any(|account| account.role == role),
            "an account for every role: {role:?}"
        );
    }
    let desk = staff
        .iter()
        .find(|account| account.role == Role::FrontDesk)
        .unwrap();
    let mut session = auth::login(&mut database, &clock, &desk.username, &desk.password)
        .expect("the printed password logs in");
    let today = visits::desk_today(&mut database, &clock, &mut session).unwrap();
    assert!(
        !today.inside.is_empty(),
        "the front desk sees the people inside on the last day"
    );
    let board = schedule::board(&mut database, &clock, &mut session, "shower").unwrap();
    assert!(!board.resources.is_empty(), "the shower board loads");
    queue::desk_view(&mut database, &clock, &mut session).expect("the queue loads");
}

#[test]
fn a_database_that_holds_data_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    three_weeks(&path, 1).unwrap();
    let before = dump(&path);
    let err = three_weeks(&path, 2).expect_err("a second run is refused");
    assert_eq!(
        err.code,
        ErrorCode::Conflict,
        "refused as a conflict: {}",
        err.message
    );
    assert!(
        err.message.contains("already holds data"),
        "{}",
        err.message
    );
    assert!(dump(&path) == before, "the refused run changed nothing");

    let empty = dir.path().join("empty.db");
    drop(Database::open(&empty).unwrap());
    three_weeks(&empty, 1).expect("a new, empty database (just migrated) is filled");
}

#[test]
fn years_outside_one_to_ten_are_refused_before_any_file_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never.db");
    for years in [0, MAX_YEARS + 1, u32::MAX] {
        let err =
            generate(&path, &DemoPlan { years, ..plan(1) }, &mut |_| {}).expect_err("out of range");
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "{years} years: {}",
            err.message
        );
        assert!(!path.exists(), "no file is made for a refused plan");
    }
}

#[test]
fn demo_referral_entries_carry_the_apps_sensitive_marker() {
    assert_eq!(
        super::SENSITIVE_SUFFIX.trim(),
        crate::audit::SENSITIVE_MARKER,
        "the demo marks sensitive referrals' audit entries as the app does"
    );
    assert_eq!(
        super::referral_marker("sud_detox"),
        super::SENSITIVE_SUFFIX,
        "detox is sensitive"
    );
    assert_eq!(super::referral_marker("shelter"), "", "shelter is not");
}
