//! The command-line face of the binary (clap subcommands).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Datelike;
use clap::{Parser, Subcommand};
use engagement_desk_core::auth::{self, Actor, NewStaff, Role};
use engagement_desk_core::clock::SystemClock;
use engagement_desk_core::db::{self, Database};
use engagement_desk_core::{audit, backup, demo, AppError, ErrorCode, Result};

use crate::paths;

/// Engagement Desk: front-desk software for a low-threshold day center.
///
/// With no subcommand, opens the app window.
#[derive(Debug, Parser)]
#[command(name = "engagement-desk", version, about, long_about = None)]
pub struct Args {
    /// The database file to use (default: engagement-desk.db in the OS app-data folder).
    #[arg(long, global = true, env = "ENGAGEMENT_DESK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the database without changing it: integrity, links and schema version.
    /// Prints `ok` and exits 0 when healthy; prints the reason and exits 1 otherwise.
    Check,
    /// Create the database or bring its schema up to date (backing it up first).
    Migrate,
    /// Staff accounts (break-glass: audited with the operating-system user as actor).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write data out for sharing (audited with the operating-system user).
    #[command(subcommand)]
    Export(ExportCommand),
    /// Back the database up to a file (SQLite online backup, checked before it is reported).
    /// Safe while the app is open.
    Backup {
        /// The file to write.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the database with a backup. The backup is checked first, the current
    /// database is copied into the backups folder, and an older backup is migrated. Close the
    /// app first.
    Restore {
        /// The backup file.
        #[arg(value_name = "PATH")]
        from: PathBuf,
    },
    /// Fill a new database with years of realistic made-up activity (for training, trying
    /// the app out, and the benchmarks). Staff passwords are printed once. Refuses a
    /// database that already holds staff, guests or audit entries.
    Demo {
        /// Years of history (365 days each, ending today), 1 to 10.
        #[arg(long, default_value_t = 5)]
        years: u32,
        /// The same seed (and --until) makes the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The simulated now (RFC 3339, e.g. 2026-11-30T16:00:00Z); default: now. Its day
        /// is left open with what happened up to that time.
        #[arg(long, value_name = "INSTANT")]
        until: Option<String>,
    },
    /// For the crash and concurrency tests: log in and check test guests in and out as fast
    /// as possible, printing `ack ...` after each action is committed. Refuses a database
    /// that holds any guest it did not make. A test hook: debug builds only, so a release
    /// build has no such subcommand at all.
    #[cfg(debug_assertions)]
    #[command(hide = true)]
    Drill {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
        /// How many guests to check in and out.
        #[arg(long, default_value_t = 100)]
        count: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The daily counts of a range of days (counts only; see the README for the columns).
    Counts {
        /// The first day, YYYY-MM-DD (the center's local day).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: String,
        /// The last day, YYYY-MM-DD; at most five years after the first.
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: String,
        #[arg(long, value_enum)]
        format: FormatArg,
        /// The file to write.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Write counts from 1 to the threshold (setting, default 10) as <11, for sharing
        /// outside the center.
        #[arg(long)]
        suppress_small_cells: bool,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Xlsx,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create an account. The password is read from standard input (one line).
    Add {
        #[arg(long)]
        username: String,
        /// The name colleagues know the person by.
        #[arg(long)]
        name: String,
        /// A role: front_desk, nurse, supervisor or admin (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List every account with its roles and state.
    List,
    /// Set a new password (from standard input); the person must choose their own at next login.
    ResetPassword {
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Lift a lockout before its 15 minutes are up.
    Unlock { username: String },
    /// Disable an account; its session ends on its next action.
    Disable { username: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; report the first broken link and exit 1 if there is one.
    Verify,
}

pub fn run(command: Command, explicit_db: Option<&Path>) -> ExitCode {
    let outcome = paths::database_path(explicit_db).and_then(|path| match command {
        Command::Check => check(&path),
        Command::Migrate => migrate(&path),
        Command::Staff(staff) => run_staff(&path, staff),
        Command::Audit(AuditCommand::Verify) => verify_audit(&path),
        Command::Export(ExportCommand::Counts {
            from,
            to,
            format,
            out,
            suppress_small_cells,
            force,
        }) => export_counts(&path, &from, &to, format, &out, suppress_small_cells, force),
        Command::Backup { out, force } => back_up(&path, &out, force),
        Command::Restore { from } => restore(&path, &from),
        #[cfg(debug_assertions)]
        Command::Drill {
            username, count, ..
        } => drill(&path, &username, count),
        Command::Demo { years, seed, until } => {
            demo(explicit_db.is_some(), &path, years, seed, until.as_deref())
        }
    });
    match outcome {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error [{}]: {}", err.code, err.message);
            ExitCode::FAILURE
        }
    }
}

fn check(path: &Path) -> Result<Vec<String>> {
    let report = db::check(path)?;
    Ok(vec![
        "ok".to_string(),
        format!("database: {}", path.display()),
        format!(
            "schema version: {} (this version's latest: {})",
            report.schema_version, report.latest_schema_version
        ),
        "integrity check: ok".to_string(),
        format!("size: {} bytes", report.size_bytes),
    ])
}

fn migrate(path: &Path) -> Result<Vec<String>> {
    let db = Database::open(path)?;
    let report = db.open_report();
    let mut lines = Vec::new();
    if report.created {
        lines.push(format!(
            "created {} at schema version {}",
            path.display(),
            report.schema_version
        ));
    } else if report.previous_schema_version == report.schema_version {
        lines.push(format!(
            "{} is already at schema version {}; nothing to do",
            path.display(),
            report.schema_version
        ));
    } else {
        lines.push(format!(
            "migrated {} from schema version {} to {}",
            path.display(),
            report.previous_schema_version,
            report.schema_version
        ));
    }
    if let Some(backup) = &report.pre_migration_backup {
        lines.push(format!("backup made first: {}", backup.display()));
    }
    Ok(lines)
}

/// The operating-system account running this process, which is the actor of break-glass
/// commands: asked of the operating system (the effective user id's account entry on Linux
/// and macOS, the logged-on user on Windows), never read from `$USER` or `%USERNAME%`,
/// which anyone can set to another name.
fn os_user() -> String {
    whoami::username()
        .ok()
        .filter(|user| !user.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// One line from standard input, without its line ending (nothing else is trimmed:
/// spaces are part of a passphrase).
fn password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|err| {
        AppError::invalid_input("password", format!("cannot read standard input: {err}"))
    })?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(AppError::invalid_input(
            "password",
            "standard input held no password",
        ));
    }
    Ok(password)
}

/// Run a command that writes on `database`, then move the audit anchor beside it to the
/// newest entry (see `audit::anchor`): the command line's clean exit. Also after a refusal,
/// which is logged too.
/// What was done stands either way: an anchor that cannot be written now (a full disk) is
/// a warning, and the next backup or command moves it.
fn anchored<T>(mut database: Database, work: impl FnOnce(&mut Database) -> Result<T>) -> Result<T> {
    let outcome = work(&mut database);
    if let Err(err) = audit::anchor_head(&mut database) {
        eprintln!(
            "warning: the audit anchor beside the database was not moved: {}",
            err.message
        );
    }
    outcome
}

fn run_staff(path: &Path, command: StaffCommand) -> Result<Vec<String>> {
    anchored(Database::open(path)?, |database| staff(database, command))
}

fn staff(database: &mut Database, command: StaffCommand) -> Result<Vec<String>> {
    let clock = SystemClock;
    let mut actor = Actor::Cli { os_user: os_user() };
    let summary = match command {
        StaffCommand::Add {
            username,
            name,
            roles,
            ..
        } => {
            let roles = roles
                .iter()
                .map(|role| Role::parse(role))
                .collect::<Result<Vec<_>>>()?;
            let password = password_from_stdin()?;
            let new = NewStaff {
                username,
                display_name: name,
                roles,
                password,
            };
            auth::create_staff(database, &clock, &mut actor, &new)?
        }
        StaffCommand::List => {
            let staff = auth::list_staff(database, &clock, &mut actor)?;
            let mut lines = vec![format!(
                "{:<20} {:<28} {:<34} state",
                "username", "name", "roles"
            )];
            for member in staff {
                lines.push(staff_line(&member));
            }
            return Ok(lines);
        }
        StaffCommand::ResetPassword { username, .. } => {
            let password = password_from_stdin()?;
            auth::reset_password(database, &clock, &mut actor, &username, &password)?
        }
        StaffCommand::Unlock { username } => {
            auth::unlock_account(database, &clock, &mut actor, &username)?
        }
        StaffCommand::Disable { username } => {
            auth::set_disabled(database, &clock, &mut actor, &username, true)?
        }
    };
    Ok(vec![staff_line(&summary)])
}

fn staff_line(member: &auth::StaffSummary) -> String {
    let roles = member
        .roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut state = Vec::new();
    if member.disabled {
        state.push("disabled".to_string());
    }
    if let Some(until) = &member.locked_until {
        state.push(format!("locked until {until}"));
    }
    if member.must_change_password {
        state.push("must change password".to_string());
    }
    if state.is_empty() {
        state.push("active".to_string());
    }
    format!(
        "{:<20} {:<28} {:<34} {}",
        member.username,
        member.display_name,
        roles,
        state.join(", ")
    )
}

fn verify_audit(path: &Path) -> Result<Vec<String>> {
    let database = Database::open(path)?;
    let report = audit::verify(&database)?;
    match report.first_broken {
        None => {
            let anchored = match engagement_desk_core::anchor::read(path)? {
                Some(anchor) => format!(" and reaches the anchored entry {}", anchor.id),
                None => " (there is no anchor beside the database yet)".to_string(),
            };
            Ok(vec![format!(
                "ok: {} audit entries, the hash chain is intact{anchored}",
                report.entries
            )])
        }
        Some(broken) => Err(AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!(
                "the audit log is broken at entry {}: {} ({} entries before it are intact)",
                broken.id, broken.reason, report.entries
            ),
        )),
    }
}

/// Errors of the window face are printed the same way as the CLI's.
/// `export counts`: check everything that can be checked before opening the database,
/// compute with progress on standard error, write through a temporary file, audit.
fn export_counts(
    path: &Path,
    from: &str,
    to: &str,
    format: FormatArg,
    out: &Path,
    suppress: bool,
    force: bool,
) -> Result<Vec<String>> {
    engagement_desk_core::reports::parse_range(from, to)?;
    if out.is_dir() {
        return Err(AppError::invalid_input(
            "out",
            format!("{} is a folder", out.display()),
        ));
    }
    if out.exists() && !force {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "{} exists already; choose another name or add --force to replace it",
                out.display()
            ),
        ));
    }
    if !path.exists() {
        return Err(AppError::new(
            ErrorCode::DatabaseMissing,
            format!("there is no database at {}", path.display()),
        ));
    }
    anchored(Database::open(path)?, |database| {
        export_opened(database, from, to, format, out, suppress)
    })
}

fn export_opened(
    database: &mut Database,
    from: &str,
    to: &str,
    format: FormatArg,
    out: &Path,
    suppress: bool,
) -> Result<Vec<String>> {
    use engagement_desk_core::reports::{self, export};
    let mut actor = Actor::Cli { os_user: os_user() };
    let mut progress = |done: usize, total: usize| {
        // Long ranges take a while: a line a month keeps the person informed.
        if total > 62 && (done.is_multiple_of(30) || done == total) {
            eprintln!("counted {done} of {total} days");
        }
    };
    let report = reports::compute(database, &SystemClock, &mut actor, from, to, &mut progress)?;
    let suppression = export::Suppression {
        threshold: suppress.then(|| reports::small_cell_threshold(database)),
    };
    let format = match format {
        FormatArg::Csv => export::ExportFormat::Csv,
        FormatArg::Xlsx => export::ExportFormat::Xlsx,
    };
    export::write_file(out, &export::render(&report, format, suppression)?)?;
    reports::audit_export(
        database,
        &SystemClock,
        &actor,
        &report,
        &export::describe(format, suppression),
    )?;
    Ok(vec![format!(
        "wrote {} day{} ({} to {}) to {}",
        report.days.len(),
        if report.days.len() == 1 { "" } else { "s" },
        report.from,
        report.to,
        out.display()
    )])
}

/// The database at `path`, which must exist (the commands that read never create one).
fn open_existing_database(path: &Path) -> Result<Database> {
    if !path.exists() {
        return Err(AppError::new(
            ErrorCode::DatabaseMissing,
            format!("there is no database at {}", path.display()),
        ));
    }
    Database::open(path)
}

fn back_up(path: &Path, out: &Path, force: bool) -> Result<Vec<String>> {
    let mut database = open_existing_database(path)?;
    let mut actor = Actor::Cli { os_user: os_user() };
    let made = backup::back_up(&mut database, &SystemClock, &mut actor, out, force)?;
    Ok(vec![format!(
        "backed up {} to {} ({} bytes, integrity check ok)",
        path.display(),
        made.path,
        made.size_bytes
    )])
}

fn demo(
    named: bool,
    path: &Path,
    years: u32,
    seed: u64,
    until: Option<&str>,
) -> Result<Vec<String>> {
    // Never into the default (real) database by accident: the file must be named.
    if !named {
        return Err(AppError::invalid_input(
            "db",
            "name the new database with --db PATH (demo data never goes into the default one)",
        ));
    }
    let until = match until {
        None => chrono::Utc::now(),
        Some(text) => chrono::DateTime::parse_from_rfc3339(text.trim())
            .map(|at| at.with_timezone(&chrono::Utc))
            .map_err(|_| {
                AppError::invalid_input("until", "an instant like 2026-11-30T16:00:00Z")
            })?,
    };
    let _window = db::WindowLock::acquire(path)?;
    let plan = demo::DemoPlan { years, seed, until };
    let mut last_month = None;
    let summary = demo::generate(path, &plan, &mut |progress| {
        let month = (progress.day.year(), progress.day.month());
        if last_month != Some(month) || progress.days_done == progress.days_total {
            last_month = Some(month);
            eprintln!(
                "demo: simulated up to {} ({} of {} days)",
                progress.day, progress.days_done, progress.days_total
            );
        }
    })?;
    Ok(demo_summary_lines(path, &summary))
}

fn demo_summary_lines(path: &Path, summary: &demo::DemoSummary) -> Vec<String> {
    let counts = &summary.counts;
    let mut lines = vec![
        format!("demo data written to {}", path.display()),
        format!(
            "days: {} ({} to {}; {} closed out, the last left open)",
            counts.days, summary.first_day, summary.last_day, counts.closed_days
        ),
        format!("guests: {}", counts.guests),
        format!(
            "visits: {} (about {} a day), anonymous tallies: {}",
            counts.visits,
            counts.visits / counts.days.max(1),
            counts.anonymous_tallies
        ),
        format!(
            "bookings: {} ({} no-shows, {} cancelled), waitlist: {}",
            counts.bookings, counts.no_shows, counts.cancellations, counts.waitlist
        ),
        format!(
            "nurse queue: {} entries, {} clinical notes",
            counts.queue_entries, counts.clinical_notes
        ),
        format!(
            "referrals: {}, consents: {}",
            counts.referrals, counts.consents
        ),
        format!(
            "incidents: {}, alerts and restrictions: {}",
            counts.incidents, counts.flags
        ),
        format!("audit entries: {}", counts.audit_entries),
        "staff accounts (the passwords are shown only now):".to_string(),
    ];
    for staff in &summary.staff {
        lines.push(format!(
            "  {:<8} {:<11} {}",
            staff.username,
            staff.role.as_str(),
            staff.password
        ));
    }
    lines
}

fn restore(path: &Path, from: &Path) -> Result<Vec<String>> {
    // Not under an open window: its screens would show the old data.
    let _window = db::WindowLock::acquire(path).map_err(|err| match err.code {
        ErrorCode::AlreadyOpen => AppError::new(
            ErrorCode::AlreadyOpen,
            format!(
                "{}; close it first, or restore from its Admin screen",
                err.message
            ),
        ),
        _ => err,
    })?;
    let found = backup::read_backup_file(from)?;
    let mut database = Database::open(path)?;
    let mut actor = Actor::Cli { os_user: os_user() };
    let done = backup::restore(&mut database, &SystemClock, &mut actor, from)?;
    let mut lines = vec![format!(
        "restored {} into {}",
        done.restored_from,
        path.display()
    )];
    lines.push(format!(
        "the backup's last recorded activity: {}; {} guests, {} visits, {} staff accounts",
        found.last_activity_at.as_deref().unwrap_or("none"),
        found.guests,
        found.visits,
        found.staff
    ));
    if done.backup_schema_version != done.schema_version {
        lines.push(format!(
            "migrated from schema version {} to {}",
            done.backup_schema_version, done.schema_version
        ));
    }
    if let Some(saved) = &done.previous_database_saved_to {
        lines.push(format!("the database as it was before is saved at {saved}"));
    }
    Ok(lines)
}

/// See `Command::Drill` (debug builds only). Each `ack` line is printed (and flushed) only after its action
/// committed, so a test that kills this process can hold the database to every line it read.
#[cfg(debug_assertions)]
fn drill(path: &Path, username: &str, count: u32) -> Result<Vec<String>> {
    let password = password_from_stdin()?;
    anchored(open_existing_database(path)?, |database| {
        drill_opened(database, username, &password, count)
    })
}

#[cfg(debug_assertions)]
fn drill_opened(
    database: &mut Database,
    username: &str,
    password: &str,
    count: u32,
) -> Result<Vec<String>> {
    use engagement_desk_core::guests::NewGuest;
    use engagement_desk_core::visits;
    use std::io::Write;

    let clock = SystemClock;
    let mut session = auth::login(database, &clock, username, password)?;
    if visits::foreign_guests_for_drill(database)? > 0 {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "this database holds real guests; the drill only runs on a test database",
        ));
    }
    let mut out = std::io::stdout().lock();
    let mut ack = |line: String| -> Result<()> {
        writeln!(out, "{line}").and_then(|()| out.flush())?;
        Ok(())
    };
    ack("ready".to_string())?;
    let process = std::process::id();
    for index in 0..count {
        let new = NewGuest {
            nickname: Some(format!(
                "{}{process}-{index}",
                visits::DRILL_NICKNAME_PREFIX
            )),
            ..NewGuest::default()
        };
        let checked_in =
            visits::register_and_check_in(database, &clock, &mut session, &new, false)?;
        ack(format!(
            "ack checked-in {} {}",
            checked_in.guest.code, checked_in.visit_id
        ))?;
        visits::check_out(database, &clock, &mut session, checked_in.visit_id)?;
        ack(format!("ack checked-out {}", checked_in.visit_id))?;
    }
    Ok(vec![format!("done: {count} guests checked in and out")])
}

pub fn print_error(err: &AppError) {
    eprintln!("error [{}]: {}", err.code, err.message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_drill_test_hook_exists_in_debug_builds_only() {
        let drill = Args::command().find_subcommand("drill").is_some();
        assert_eq!(
            drill,
            cfg!(debug_assertions),
            "the hidden drill subcommand is compiled into debug builds (the crash tests) and never into release builds"
        );
    }
}
