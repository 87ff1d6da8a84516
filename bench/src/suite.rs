//! The whole benchmark: demo databases of 1 and 5 years, the operations on each, and the
//! table with the targets of issue 10 (see README "Performance").

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use engagement_desk_core::demo::{self, DemoPlan, DemoSummary};

use crate::ops::{self, BenchResult, DatabaseFigures, Rounds};

/// What a row is held to.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// p99 under this many microseconds on every database.
    P99Under(f64),
    /// p99 within this multiple of the bare-write floor.
    FloorRatio(f64),
    /// Measured and shown, no target of its own.
    None,
}

/// The target of each row, and whether it is day-scoped (history must not slow it).
pub fn target_of(row: &str) -> (Target, bool) {
    match row {
        "look up a guest by code" | "search by nickname prefix" => {
            (Target::P99Under(2_000.0), false)
        }
        "check in (durable write)" => (Target::FloorRatio(1.5), true),
        "book next free shower" | "call next in the nurse queue" => (Target::None, true),
        "front-desk screen data"
        | "shower board"
        | "queue (front desk)"
        | "queue (nurse, clinical)" => (Target::P99Under(10_000.0), true),
        "daily counts, one day" => (Target::P99Under(10_000.0), true),
        "daily counts, one year" => (Target::P99Under(300_000.0), false),
        _ => (Target::None, false),
    }
}

/// The day-scoped ratio target: 5-year p50 over 1-year p50.
pub const HISTORY_RATIO: f64 = 1.5;

pub struct Measured {
    pub years: u32,
    pub summary: DemoSummary,
    pub generate_seconds: f64,
    pub file_mib: f64,
    pub figures: DatabaseFigures,
}

/// A demo database made for the run.
pub struct Generated {
    pub years: u32,
    pub path: PathBuf,
    pub summary: DemoSummary,
    pub generate_seconds: f64,
    pub file_mib: f64,
}

/// Make the demo database of `years` in `folder` (replacing one from an earlier run).
pub fn generate(
    folder: &Path,
    years: u32,
    seed: u64,
    until: DateTime<Utc>,
) -> BenchResult<Generated> {
    // A folder each: automatic backups go into `backups/` beside the database.
    let folder = folder.join(format!("demo-{years}y"));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).map_err(|err| format!("{}: {err}", folder.display()))?;
    let path = folder.join("engagement-desk.db");
    let started = Instant::now();
    eprintln!(
        "bench: generating {years} year(s) of demo data into {}",
        path.display()
    );
    let summary = demo::generate(&path, &DemoPlan { years, seed, until }, &mut |progress| {
        if progress.days_done % 91 < 7 {
            eprintln!(
                "bench:   {} of {} days",
                progress.days_done, progress.days_total
            );
        }
    })
    .map_err(|err| format!("demo data: [{}] {}", err.code, err.message))?;
    let generate_seconds = started.elapsed().as_secs_f64();
    let file_mib = std::fs::metadata(&path)
        .map(|meta| meta.len() as f64 / 1048576.0)
        .unwrap_or(f64::NAN);
    eprintln!(
        "bench: {years} year(s): {} guests, {} visits, {} audit entries, {file_mib:.0} MiB in {generate_seconds:.0} s",
        summary.counts.guests, summary.counts.visits, summary.counts.audit_entries
    );
    Ok(Generated {
        years,
        path,
        summary,
        generate_seconds,
        file_mib,
    })
}

/// Time every operation on the generated databases (taking turns).
pub fn measure(
    generated: Vec<Generated>,
    until: DateTime<Utc>,
    rounds: Rounds,
) -> BenchResult<Vec<Measured>> {
    eprintln!("bench: timing the operations");
    let databases: Vec<(&Path, &[demo::DemoStaff])> = generated
        .iter()
        .map(|g| (g.path.as_path(), g.summary.staff.as_slice()))
        .collect();
    let figures = ops::measure(&databases, until, rounds)?;
    Ok(generated
        .into_iter()
        .zip(figures)
        .map(|(g, figures)| Measured {
            years: g.years,
            summary: g.summary,
            generate_seconds: g.generate_seconds,
            file_mib: g.file_mib,
            figures,
        })
        .collect())
}

fn cell(value: f64) -> String {
    if value.is_nan() {
        "—".into()
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

/// The operations table (Markdown), and how many targets were missed.
pub fn operations_table(small: &Measured, large: &Measured) -> (String, usize) {
    let mut out = String::new();
    let mut missed = 0;
    let (s, l) = (small.years, large.years);
    let _ = writeln!(
        out,
        "| operation | {s}y p50 µs | {s}y p99 µs | {l}y p50 µs | {l}y p99 µs | {l}y/{s}y (p50) | target | result |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|---|");
    for ((name, one), (_, five)) in small.figures.rows.iter().zip(&large.figures.rows) {
        let (target, day_scoped) = target_of(name);
        let ratio = five.p50_us() / one.p50_us();
        let mut goals = Vec::new();
        let mut ok = true;
        match target {
            Target::P99Under(limit) => {
                ok &= one.p99_us() < limit && five.p99_us() < limit;
                goals.push(format!("p99 < {} ms", limit / 1000.0));
            }
            Target::FloorRatio(limit) => {
                let worst = (one.p99_us() / small.figures.floor.p99_us())
                    .max(five.p99_us() / large.figures.floor.p99_us());
                ok &= worst <= limit;
                goals.push(format!("p99 ≤ {limit}× floor (worst {worst:.2}×)"));
            }
            Target::None => {}
        }
        if day_scoped {
            ok &= ratio < HISTORY_RATIO;
            goals.push(format!("{l}y/{s}y < {HISTORY_RATIO}"));
        }
        let result = if goals.is_empty() { "—" } else { verdict(ok) };
        missed += usize::from(!goals.is_empty() && !ok);
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {ratio:.2} | {} | {result} |",
            cell(one.p50_us()),
            cell(one.p99_us()),
            cell(five.p50_us()),
            cell(five.p99_us()),
            if goals.is_empty() {
                "—".to_string()
            } else {
                goals.join("; ")
            },
        );
    }
    let (one, five) = (&small.figures.floor, &large.figures.floor);
    let _ = writeln!(
        out,
        "| floor: bare INSERT + COMMIT, same PRAGMAs | {} | {} | {} | {} | {:.2} | — | — |",
        cell(one.p50_us()),
        cell(one.p99_us()),
        cell(five.p50_us()),
        cell(five.p99_us()),
        five.p50_us() / one.p50_us(),
    );
    (out, missed)
}

/// The databases' sizes and contents (Markdown).
pub fn data_table(measured: &[&Measured]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| demo database | days | guests | visits | bookings | queue entries | referrals | audit entries | size | made in |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for m in measured {
        let c = &m.summary.counts;
        let _ = writeln!(
            out,
            "| {} year(s) | {} | {} | {} | {} | {} | {} | {} | {:.0} MiB | {:.0} s |",
            m.years,
            c.days,
            c.guests,
            c.visits,
            c.bookings,
            c.queue_entries,
            c.referrals,
            c.audit_entries,
            m.file_mib,
            m.generate_seconds
        );
    }
    out
}

/// The day's first automatic backup of the database at `path`, as the app makes it at its
/// first start of a day.
pub fn make_todays_backup(path: &Path) -> BenchResult<()> {
    let mut db = engagement_desk_core::db::Database::open(path)
        .map_err(|err| format!("open for the backup: {}", err.message))?;
    engagement_desk_core::backup::automatic_backup(
        &mut db,
        &engagement_desk_core::clock::SystemClock,
        engagement_desk_core::backup::Occasion::Start,
    )
    .map_err(|err| format!("the day's backup: {}", err.message))?;
    Ok(())
}

/// The machine the figures come from: CPU model and count, memory, kernel.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_string();
    let cores = cpuinfo
        .lines()
        .filter(|line| line.starts_with("processor"))
        .count();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with("MemTotal"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or("? GiB".to_string(), |kib| {
            format!("{:.0} GiB", kib / 1048576.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cores} cores, {memory} memory, Linux {}",
        kernel.trim()
    )
}

/// Where the results go besides the terminal.
pub fn results_file(work: &Path) -> PathBuf {
    work.join("results.md")
}
