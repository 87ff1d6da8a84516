//! The desk's operations, timed through the core crate exactly as the app's commands call
//! them, on a demo database file (WAL, synchronous=FULL: every write waits for the disk).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use engagement_desk_core::auth::{self, Actor, Role, Session};
use engagement_desk_core::clock::{Clock, ShiftedClock};
use engagement_desk_core::db::Database;
use engagement_desk_core::demo::DemoStaff;
use engagement_desk_core::queue::{self, JoinInput, Priority, QueueState};
use engagement_desk_core::reports::{self, export};
use engagement_desk_core::schedule::{self, BookingState, BookingTarget};
use engagement_desk_core::visits;
use rusqlite::Connection;

use crate::stats::Samples;

/// How many times each kind of operation runs (enough for a p99 where it is cheap).
#[derive(Debug, Clone, Copy)]
pub struct Rounds {
    pub reads: usize,
    pub writes: usize,
    pub day_counts: usize,
    pub year_counts: usize,
    pub logins: usize,
}

/// One database's figures, in the order of the table.
pub struct DatabaseFigures {
    pub rows: Vec<(&'static str, Samples)>,
    /// The floor for the write path: bare INSERT + COMMIT with the same PRAGMAs.
    pub floor: Samples,
}

pub type BenchResult<T> = std::result::Result<T, String>;

fn fail(what: &str) -> impl Fn(engagement_desk_core::AppError) -> String + '_ {
    move |err| format!("{what}: [{}] {}", err.code, err.message)
}

fn time<T>(samples: &mut Samples, work: impl FnOnce() -> BenchResult<T>) -> BenchResult<T> {
    let start = Instant::now();
    let value = work()?;
    samples.push(start.elapsed());
    Ok(value)
}

fn login(
    db: &mut Database,
    clock: &dyn Clock,
    staff: &[DemoStaff],
    role: Role,
) -> BenchResult<Session> {
    let account = staff
        .iter()
        .find(|account| account.role == role)
        .ok_or_else(|| format!("the demo has no {role:?} account"))?;
    auth::login(db, clock, &account.username, &account.password).map_err(fail("login"))
}

/// Guests the desk may check in now (id and code as stored): not inside, not seen today,
/// not merged, no restriction, not in the nurse queue.
pub(crate) fn guests_to_admit(
    conn: &Connection,
    today: &str,
    how_many: usize,
) -> BenchResult<Vec<(i64, String)>> {
    let mut statement = conn
        .prepare(
            "SELECT g.id, g.code FROM guests g
             WHERE g.merged_into IS NULL
               AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.guest_id = g.id
                               AND v.checked_out_at IS NULL AND v.voided_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.guest_id = g.id
                               AND v.service_date = ?1)
               AND NOT EXISTS (SELECT 1 FROM guest_flags f WHERE f.guest_id = g.id
                               AND f.lifted_at IS NULL AND f.kind = 'restriction')
               AND NOT EXISTS (SELECT 1 FROM queue_entries q WHERE q.guest_id = g.id
                               AND q.state IN ('waiting', 'called', 'in_service'))
             ORDER BY (g.id * 7919) % 10007 LIMIT ?2",
        )
        .map_err(|err| err.to_string())?;
    let rows = statement
        .query_map(rusqlite::params![today, how_many as i64], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .map_err(|err| err.to_string())?;
    rows.collect::<rusqlite::Result<Vec<(i64, String)>>>()
        .map_err(|err| err.to_string())
}

/// Codes (as typed at the desk, with the dash) of guests spread over the whole history.
fn sample_codes(conn: &Connection, how_many: usize) -> BenchResult<Vec<String>> {
    let mut statement = conn
        .prepare("SELECT code FROM guests ORDER BY (id * 7919) % 10007 LIMIT ?1")
        .map_err(|err| err.to_string())?;
    let rows = statement
        .query_map([how_many as i64], |row| row.get::<_, String>(0))
        .map_err(|err| err.to_string())?;
    let codes = rows
        .collect::<rusqlite::Result<Vec<String>>>()
        .map_err(|err| err.to_string())?;
    Ok(codes
        .into_iter()
        .map(|code| format!("{}-{}", &code[..3], &code[3..]))
        .collect())
}

/// Two- and three-letter starts of nicknames, common and rare.
const PREFIXES: [&str; 12] = [
    "ma", "jo", "big", "te", "da", "ro", "li", "sa", "ke", "slim", "zek", "tí",
];

/// One demo database, logged in as the desk, a nurse and a supervisor.
struct Desk {
    db: Database,
    clock: ShiftedClock,
    desk: Session,
    nurse: Session,
    supervisor: Session,
    today: chrono::NaiveDate,
    codes: Vec<String>,
    admit: Vec<i64>,
}

/// The names of the rows, in the order of the table.
pub const ROWS: [&str; 13] = [
    "look up a guest by code",
    "search by nickname prefix",
    "check in (durable write)",
    "book next free shower",
    "call next in the nurse queue",
    "front-desk screen data",
    "shower board",
    "queue (front desk)",
    "queue (nurse, clinical)",
    "daily counts, one day",
    "daily counts, one year",
    "one-year CSV export",
    "login (one Argon2id verification)",
];

fn row(name: &str) -> usize {
    ROWS.iter().position(|row| *row == name).unwrap_or(0)
}

fn open_desk(
    path: &Path,
    staff: &[DemoStaff],
    now: DateTime<Utc>,
    rounds: Rounds,
    login_samples: &mut Samples,
) -> BenchResult<Desk> {
    let clock = ShiftedClock::starting_at(now);
    let mut db = Database::open(path).map_err(fail("open"))?;
    let today = engagement_desk_core::days::center_day(&db, clock.now())
        .map_err(fail("today"))?
        .1;
    let mut desk = None;
    for _ in 0..rounds.logins {
        desk = Some(time(login_samples, || {
            login(&mut db, &clock, staff, Role::FrontDesk)
        })?);
    }
    let desk = desk.ok_or("no login round")?;
    let nurse = login(&mut db, &clock, staff, Role::Nurse)?;
    let supervisor = login(&mut db, &clock, staff, Role::Supervisor)?;
    // The harness picks its guests with a connection of its own, read-only.
    let sampler = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|err| err.to_string())?;
    let codes = sample_codes(&sampler, rounds.reads)?;
    let admit: Vec<i64> = guests_to_admit(&sampler, &today.to_string(), rounds.writes * 2)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if admit.len() < rounds.writes * 2 {
        return Err(format!("only {} guests can be checked in", admit.len()));
    }
    Ok(Desk {
        db,
        clock,
        desk,
        nurse,
        supervisor,
        today,
        codes,
        admit,
    })
}

/// `work` on every database in turn, `times` rounds, timing each into its own row: the
/// databases take turns, so a slow moment of the machine falls on all of them alike.
fn rounds_of<T>(
    desks: &mut [Desk],
    figures: &mut [Vec<Samples>],
    name: &str,
    times: usize,
    mut work: impl FnMut(&mut Desk, usize) -> BenchResult<T>,
) -> BenchResult<()> {
    for round in 0..times {
        for (desk, samples) in desks.iter_mut().zip(figures.iter_mut()) {
            time(&mut samples[row(name)], || work(desk, round))?;
        }
    }
    eprintln!("bench:   {name}: done");
    Ok(())
}

/// Run every operation on each database (the demo's staff, the clock starting at `now`,
/// the demo's last instant: the day is under way), the databases taking turns.
pub fn measure(
    databases: &[(&Path, &[DemoStaff])],
    now: DateTime<Utc>,
    rounds: Rounds,
) -> BenchResult<Vec<DatabaseFigures>> {
    let mut figures: Vec<Vec<Samples>> = databases
        .iter()
        .map(|_| vec![Samples::default(); ROWS.len()])
        .collect();
    let mut desks = Vec::new();
    for ((path, staff), samples) in databases.iter().zip(figures.iter_mut()) {
        desks.push(open_desk(
            path,
            staff,
            now,
            rounds,
            &mut samples[row("login (one Argon2id verification)")],
        )?);
    }
    rounds_of(
        &mut desks,
        &mut figures,
        "look up a guest by code",
        rounds.reads,
        |d, round| {
            let code = d.codes[round % d.codes.len()].clone();
            let found =
                visits::lookup(&mut d.db, &d.clock, &mut d.desk, &code).map_err(fail("lookup"))?;
            found
                .exact
                .map(|_| ())
                .ok_or_else(|| format!("the code {code} found nobody"))
        },
    )?;
    rounds_of(
        &mut desks,
        &mut figures,
        "search by nickname prefix",
        rounds.reads,
        |d, round| {
            visits::lookup(
                &mut d.db,
                &d.clock,
                &mut d.desk,
                PREFIXES[round % PREFIXES.len()],
            )
            .map_err(fail("search"))
        },
    )?;
    rounds_of(
        &mut desks,
        &mut figures,
        "front-desk screen data",
        rounds.reads,
        |d, _| visits::desk_today(&mut d.db, &d.clock, &mut d.desk).map_err(fail("desk today")),
    )?;
    rounds_of(
        &mut desks,
        &mut figures,
        "shower board",
        rounds.reads,
        |d, _| schedule::board(&mut d.db, &d.clock, &mut d.desk, "shower").map_err(fail("board")),
    )?;
    rounds_of(
        &mut desks,
        &mut figures,
        "queue (front desk)",
        rounds.reads,
        |d, _| queue::desk_view(&mut d.db, &d.clock, &mut d.desk).map_err(fail("queue")),
    )?;
    rounds_of(
        &mut desks,
        &mut figures,
        "queue (nurse, clinical)",
        rounds.reads,
        |d, _| queue::nurse_view(&mut d.db, &d.clock, &mut d.nurse).map_err(fail("nurse queue")),
    )?;
    rounds_of(
        &mut desks,
        &mut figures,
        "daily counts, one day",
        rounds.day_counts,
        |d, _| {
            let day = d.today.pred_opt().ok_or("no yesterday")?.to_string();
            counts(d, &day, &day)
        },
    )?;
    let year = |d: &Desk| -> BenchResult<(String, String)> {
        let yesterday = d.today.pred_opt().ok_or("no yesterday")?;
        Ok((
            (d.today - chrono::Duration::days(365)).to_string(),
            yesterday.to_string(),
        ))
    };
    rounds_of(
        &mut desks,
        &mut figures,
        "daily counts, one year",
        rounds.year_counts,
        |d, _| {
            let (from, to) = year(d)?;
            counts(d, &from, &to)
        },
    )?;
    let export_dir = tempfile::tempdir().map_err(|err| err.to_string())?;
    rounds_of(
        &mut desks,
        &mut figures,
        "one-year CSV export",
        rounds.year_counts,
        |d, round| {
            // As the app's export command does it: compute, render, write (synced), audit.
            let (from, to) = year(d)?;
            let report = counts(d, &from, &to)?;
            let suppression = export::Suppression { threshold: None };
            let bytes = export::render(&report, export::ExportFormat::Csv, suppression)
                .map_err(fail("render"))?;
            export::write_file(&export_dir.path().join(format!("year-{round}.csv")), &bytes)
                .map_err(fail("write"))?;
            let what = export::describe(export::ExportFormat::Csv, suppression);
            reports::audit_export(
                &mut d.db,
                &d.clock,
                &Actor::Staff(&mut d.supervisor),
                &report,
                &what,
            )
            .map_err(fail("audit export"))
        },
    )?;

    // Writes last, so the reads above saw the demo's day as it was made. The floor takes
    // its turn in the same loop as the check-ins.
    let folder = databases
        .first()
        .and_then(|(path, _)| path.parent())
        .unwrap_or(Path::new("."));
    let mut floor_writer = FloorWriter::new(folder)?;
    let mut floor = Samples::default();
    for round in 0..rounds.writes {
        time(&mut floor, || floor_writer.write(round))?;
        for (d, samples) in desks.iter_mut().zip(figures.iter_mut()) {
            let guest_id = d.admit[round];
            let done = time(&mut samples[row("check in (durable write)")], || {
                visits::check_in(&mut d.db, &d.clock, &mut d.desk, guest_id, false)
                    .map_err(fail("check in"))
            })?;
            // Out again (not timed), so the building never fills up during the run.
            visits::check_out(&mut d.db, &d.clock, &mut d.desk, done.visit_id)
                .map_err(fail("check out"))?;
        }
    }
    floor_writer.remove();
    eprintln!("bench:   check in: done");
    let mut stations = Vec::new();
    for d in desks.iter_mut() {
        stations.push(free_station(d)?);
    }
    for round in 0..rounds.writes {
        for ((d, samples), station) in desks.iter_mut().zip(figures.iter_mut()).zip(&stations) {
            let guest_id = d.admit[rounds.writes + round];
            let inside = visits::check_in(&mut d.db, &d.clock, &mut d.desk, guest_id, false)
                .map_err(fail("check in"))?;
            let booking = time(&mut samples[row("book next free shower")], || {
                schedule::book(
                    &mut d.db,
                    &d.clock,
                    &mut d.desk,
                    guest_id,
                    &BookingTarget::NextFree {
                        kind: "shower".into(),
                    },
                )
                .map_err(fail("book next free shower"))
            })?;
            // Cancelled again (not timed): the showers would be full after a few rounds.
            schedule::change_state(
                &mut d.db,
                &d.clock,
                &mut d.desk,
                booking.id,
                BookingState::Cancelled,
            )
            .map_err(fail("cancel booking"))?;
            let input = JoinInput {
                guest_id,
                reason: "general_health".into(),
                priority: Priority::Urgent,
                note: None,
            };
            queue::join(&mut d.db, &d.clock, &mut d.desk, &input)
                .map_err(fail("join the queue"))?;
            let called = time(&mut samples[row("call next in the nurse queue")], || {
                queue::call_next(&mut d.db, &d.clock, &mut d.nurse, *station)
                    .map_err(fail("call next"))
            })?;
            for to in [QueueState::InService, QueueState::Done] {
                queue::change(&mut d.db, &d.clock, &mut d.nurse, called.id, to, None)
                    .map_err(fail("serve"))?;
            }
            visits::check_out(&mut d.db, &d.clock, &mut d.desk, inside.visit_id)
                .map_err(fail("check out"))?;
        }
    }
    eprintln!("bench:   book next free shower, call next: done");
    Ok(figures
        .into_iter()
        .map(|samples| DatabaseFigures {
            rows: ROWS.iter().copied().zip(samples).collect(),
            floor: floor.clone(),
        })
        .collect())
}

/// The daily counts of `from..=to`, as the supervisor's report screen asks for them.
fn counts(d: &mut Desk, from: &str, to: &str) -> BenchResult<reports::Report> {
    let mut supervisor = Actor::Staff(&mut d.supervisor);
    reports::compute(
        &mut d.db,
        &d.clock,
        &mut supervisor,
        from,
        to,
        &mut |_, _| {},
    )
    .map_err(fail("daily counts"))
}

/// A nurse station free to call (the demo's day may have both busy: one is finished, not timed).
fn free_station(d: &mut Desk) -> BenchResult<i64> {
    let view = queue::nurse_view(&mut d.db, &d.clock, &mut d.nurse).map_err(fail("stations"))?;
    if let Some(free) = view
        .stations
        .iter()
        .find(|station| station.serving.is_none())
    {
        return Ok(free.id);
    }
    let busy = view.active.first().ok_or("no nurse station is free")?;
    for to in [QueueState::InService, QueueState::Done] {
        queue::change(&mut d.db, &d.clock, &mut d.nurse, busy.id, to, None).ok();
    }
    let name = busy
        .station
        .as_deref()
        .ok_or("the busy entry has no station")?;
    view.stations
        .iter()
        .find(|station| station.name == name)
        .map(|station| station.id)
        .ok_or_else(|| "the busy entry's station is unknown".to_string())
}

/// The floor for a durable write: single-row INSERT + COMMIT on a new file beside the
/// databases, with the app's PRAGMAs (WAL, synchronous=FULL, foreign keys).
struct FloorWriter {
    path: std::path::PathBuf,
    conn: Connection,
}

impl FloorWriter {
    fn new(folder: &Path) -> BenchResult<FloorWriter> {
        let path = folder.join("floor.db");
        let _ = std::fs::remove_file(&path);
        let conn = Connection::open(&path).map_err(|err| err.to_string())?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
             CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT NOT NULL, what TEXT NOT NULL);",
        )
        .map_err(|err| err.to_string())?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|err| err.to_string())?;
        Ok(FloorWriter { path, conn })
    }

    fn write(&mut self, round: usize) -> BenchResult<()> {
        let conn = &self.conn;
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|err| err.to_string())?;
        conn.execute(
            "INSERT INTO t (at, what) VALUES (?1, ?2)",
            (Utc::now().to_rfc3339(), format!("visit {round}")),
        )
        .map_err(|err| err.to_string())?;
        conn.execute_batch("COMMIT").map_err(|err| err.to_string())
    }

    fn remove(self) {
        let path = self.path.clone();
        drop(self.conn);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
