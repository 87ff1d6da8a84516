//! `make bench`: see README "Performance".

mod ops;
mod startup;
mod stats;
mod suite;
mod window;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use engagement_desk_core::auth::Role;
use engagement_desk_core::demo::DemoStaff;

#[derive(Debug, Parser)]
#[command(name = "engagement-desk-bench", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Everything `make bench` reports: demo databases of 1 and 5 years, the desk's
    /// operations on both (taking turns), and the app's start-up and memory on the 5-year
    /// one against the minimal window. Prints the tables and writes them to results.md.
    Run(RunArgs),
    /// The app's start to its first screen and its resident memory, against a minimal
    /// Tauri window, each started under its own Xvfb through tauri-driver.
    Startup(StartupArgs),
}

/// The two release binaries whose start-up is compared.
#[derive(Debug, clap::Args)]
struct Binaries {
    /// The app binary (a release build).
    #[arg(
        long,
        value_name = "PATH",
        default_value = "target/release/engagement-desk"
    )]
    app: PathBuf,
    /// The minimal window binary, built in the same cargo run as the app.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "target/release/minimal-window"
    )]
    minimal: PathBuf,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    #[command(flatten)]
    binaries: Binaries,
    /// Where the demo databases (one folder each) and results.md go.
    #[arg(long, value_name = "PATH", default_value = "target/bench")]
    work: PathBuf,
    /// The demo data's seed (the same seed and --until make the same databases).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// The simulated now: Monday 30 November 2026, 11:00 in New York, a morning under way.
    #[arg(long, value_name = "INSTANT", default_value = "2026-11-30T16:00:00Z")]
    until: String,
    /// Starts of each binary for the start-up figures (they take turns).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Check-ins timed in the window on each database.
    #[arg(long, default_value_t = 100)]
    check_ins: usize,
    /// Rounds through every screen timed in the window on each database (p99 of 30 is the
    /// slowest of them).
    #[arg(long, default_value_t = 30)]
    screen_rounds: usize,
    /// Fewer rounds, and 1 and 2 years instead of 1 and 5 (a quick look, not the table).
    #[arg(long)]
    quick: bool,
    /// Only the demo databases and the window's rows (no core operations, no start-up).
    #[arg(long)]
    window_only: bool,
}

#[derive(Debug, clap::Args)]
struct StartupArgs {
    #[command(flatten)]
    binaries: Binaries,
    /// A database that already has staff, so the app's first screen is the login screen.
    #[arg(long, value_name = "PATH")]
    db: PathBuf,
    /// Starts of each binary (they take turns).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// What is in the app's DOM once its first screen is shown.
    #[arg(long, value_name = "CSS", default_value = "#login-username")]
    app_css: String,
    /// What is in the minimal window's DOM once its page is shown.
    #[arg(long, value_name = "CSS", default_value = "#minimal-heading")]
    minimal_css: String,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        BenchCommand::Run(args) => run(&args),
        BenchCommand::Startup(args) => startup(args),
    }
}

fn run(args: &RunArgs) -> ExitCode {
    let begun = std::time::Instant::now();
    match run_all(args) {
        Ok(missed) => {
            eprintln!(
                "bench: done in {:.0} s; {missed} target(s) missed (see the tables)",
                begun.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_all(args: &RunArgs) -> Result<usize, String> {
    let until = chrono::DateTime::parse_from_rfc3339(&args.until)
        .map_err(|err| format!("--until: {err}"))?
        .to_utc();
    std::fs::create_dir_all(&args.work).map_err(|err| format!("{}: {err}", args.work.display()))?;
    let rounds = if args.quick {
        ops::Rounds {
            reads: 100,
            writes: 100,
            day_counts: 20,
            year_counts: 3,
            logins: 3,
        }
    } else {
        ops::Rounds {
            reads: 500,
            writes: 200,
            day_counts: 100,
            year_counts: 10,
            logins: 10,
        }
    };
    let years = if args.quick { [1, 2] } else { [1, 5] };
    let mut generated = Vec::new();
    for years in years {
        generated.push(suite::generate(&args.work, years, args.seed, until)?);
    }
    let databases: Vec<(u32, std::path::PathBuf, Vec<DemoStaff>)> = generated
        .iter()
        .map(|g| (g.years, g.path.clone(), g.summary.staff.clone()))
        .collect();
    let runtime =
        tokio::runtime::Runtime::new().map_err(|err| format!("no async runtime: {err}"))?;
    let (check_ins, screen_rounds) = if args.quick {
        (args.check_ins.min(20), args.screen_rounds.min(5))
    } else {
        (args.check_ins, args.screen_rounds)
    };
    if args.window_only {
        let (window_table, missed) = window_rows(
            &runtime,
            &args.binaries.app,
            &databases,
            check_ins,
            screen_rounds,
        )?;
        let text = format!("{window_table}\nMachine: {}\n", suite::machine());
        println!("{text}");
        return Ok(missed);
    }
    let large_db = generated[1].path.clone();
    let measured = suite::measure(generated, until, rounds)?;
    let (small, large) = (&measured[0], &measured[1]);
    let (operations, mut missed) = suite::operations_table(small, large);
    let data = suite::data_table(&[small, large]);

    // Today's backup first, as on any start after the day's first: otherwise every start
    // measured would begin copying the whole file beside the window.
    eprintln!(
        "bench: start-up and memory on the {}-year database",
        large.years
    );
    suite::make_todays_backup(&large_db)?;
    let report = runtime.block_on(startup::measure(
        &args.binaries.app,
        &["--db".to_string(), large_db.display().to_string()],
        &[],
        "#login-username",
        &args.binaries.minimal,
        "#minimal-heading",
        args.runs,
    ))?;
    let (startup_table, startup_missed) = startup_table(&report, large.years);
    missed += startup_missed;
    let (window_table, window_missed) = window_rows(
        &runtime,
        &args.binaries.app,
        &databases,
        check_ins,
        screen_rounds,
    )?;
    missed += window_missed;
    let text = format!(
        "{operations}\n{window_table}\n{startup_table}\n{data}\nMachine: {}\n",
        suite::machine()
    );
    println!("{text}");
    let results = suite::results_file(&args.work);
    std::fs::write(&results, &text).map_err(|err| format!("{}: {err}", results.display()))?;
    eprintln!("bench: the tables are also in {}", results.display());
    Ok(missed)
}

/// The window's rows on every database (one app start each), as a table and how many of
/// its targets were missed.
fn window_rows(
    runtime: &tokio::runtime::Runtime,
    app: &std::path::Path,
    databases: &[(u32, std::path::PathBuf, Vec<DemoStaff>)],
    check_ins: usize,
    screen_rounds: usize,
) -> Result<(String, usize), String> {
    let mut figures = Vec::new();
    for (years, path, staff) in databases {
        eprintln!("bench: the desk in its window on the {years}-year database");
        let codes = window::prepare(path, staff, check_ins + window::WARM_UP)?;
        let account = |role: Role| {
            staff
                .iter()
                .find(|account| account.role == role)
                .map(|account| (account.username.as_str(), account.password.as_str()))
                .ok_or_else(|| format!("the demo has no {role:?} account"))
        };
        let plan = window::Plan {
            desk: account(Role::FrontDesk)?,
            supervisor: account(Role::Supervisor)?,
            codes: &codes,
            screen_rounds,
        };
        figures.push((*years, runtime.block_on(window::measure(app, path, &plan))?));
    }
    Ok(window::table(&figures))
}

/// The start-up and memory table (Markdown) and how many of its targets were missed.
fn startup_table(report: &startup::StartupReport, years: u32) -> (String, usize) {
    let ms = |d: Option<Duration>| d.map_or("?".to_string(), |d| d.as_millis().to_string());
    let mb = |k: Option<u64>| k.map_or("?".to_string(), |k| format!("{:.0}", mib(k)));
    let times = |r: Option<f64>| r.map_or("?".to_string(), |r| format!("{r:.2}"));
    let (start_ok, memory_ok) = (report.start_met(), report.memory_met());
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let runs = report.app.samples.len();
    let text = format!(
        "| start-up ({years}-year database, {runs} starts each) | app p50 | minimal window p50 | app/minimal | target | result |\n\
         |---|---:|---:|---:|---|---|\n\
         | start to first screen (login form in the DOM) | {} ms | {} ms | {} | ≤ 1.3× and < 1500 ms | {} |\n\
         | resident memory, all processes (RSS) | {} MiB | {} MiB | {} | ≤ 1.3× | {} |\n\
         | proportional memory, all processes (PSS) | {} MiB | {} MiB | {} | — | — |\n",
        ms(report.app.p50_first_screen()),
        ms(report.minimal.p50_first_screen()),
        times(report.start_ratio()),
        verdict(start_ok),
        mb(report.app.p50_rss_kib()),
        mb(report.minimal.p50_rss_kib()),
        times(report.rss_ratio()),
        verdict(memory_ok),
        mb(report.app.p50_pss_kib()),
        mb(report.minimal.p50_pss_kib()),
        times(report.pss_ratio()),
    );
    (text, usize::from(!start_ok) + usize::from(!memory_ok))
}

fn startup(args: StartupArgs) -> ExitCode {
    // The app refuses a missing database's folder but would create a missing file and show
    // its first-run screen, which never matches the login selector: say so up front.
    let db = match args.db.canonicalize() {
        Ok(db) if db.is_file() => db,
        _ => {
            eprintln!("no database at {}", args.db.display());
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("no async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let begun = std::time::Instant::now();
    let measured = runtime.block_on(startup::measure(
        &args.binaries.app,
        &["--db".to_string(), db.display().to_string()],
        &[],
        &args.app_css,
        &args.binaries.minimal,
        &args.minimal_css,
        args.runs,
    ));
    let report = match measured {
        Ok(report) => report,
        Err(err) => {
            eprintln!("start-up benchmark failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    for (name, figures) in [("app", &report.app), ("minimal", &report.minimal)] {
        for (number, sample) in figures.samples.iter().enumerate() {
            let processes: Vec<String> = sample
                .processes
                .iter()
                .map(|p| format!("{} {:.1}", p.name, mib(p.rss_kib)))
                .collect();
            let page = sample.page.map_or("page ?".to_string(), |page| {
                format!(
                    "page from {:>4} ms, loaded {:>4} ms",
                    page.navigation_start.as_millis(),
                    page.dom_content_loaded.as_millis()
                )
            });
            println!(
                "{name:<8} #{}  first screen {:>5} ms (session {:>5} ms, {page})  RSS {:>6.1} MiB  PSS {}  [{}]",
                number + 1,
                sample.first_screen.as_millis(),
                sample.session.as_millis(),
                mib(sample.rss_kib),
                sample
                    .pss_kib
                    .map_or("?".to_string(), |pss| format!("{:.1} MiB", mib(pss))),
                processes.join(", ")
            );
        }
    }
    let ms = |d: Option<Duration>| d.map_or("?".to_string(), |d| d.as_millis().to_string());
    let mb = |k: Option<u64>| k.map_or("?".to_string(), |k| format!("{:.1}", mib(k)));
    let times = |r: Option<f64>| r.map_or("?".to_string(), |r| format!("{r:.2}x"));
    for (name, figures) in [("app", &report.app), ("minimal", &report.minimal)] {
        println!(
            "{name:<8} p50 start {} ms (max {} ms)  p50 RSS {} MiB (max {} MiB)  p50 PSS {} MiB",
            ms(figures.p50_first_screen()),
            ms(figures.max_first_screen()),
            mb(figures.p50_rss_kib()),
            mb(figures.max_rss_kib()),
            mb(figures.p50_pss_kib()),
        );
    }
    let (start_ok, memory_ok) = (report.start_met(), report.memory_met());
    println!(
        "start-up: {} of the minimal window (target 1.3x and under 1500 ms): {}",
        times(report.start_ratio()),
        if start_ok { "met" } else { "NOT met" }
    );
    println!(
        "memory:   RSS {} of the minimal window (target 1.3x): {}; PSS {}",
        times(report.rss_ratio()),
        if memory_ok { "met" } else { "NOT met" },
        times(report.pss_ratio())
    );
    println!(
        "{} starts of each in {:.0} s",
        args.runs,
        begun.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
