//! The command-line face of the binary (clap subcommands).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use engagement_desk_core::db::{self, Database};
use engagement_desk_core::{AppError, Result};

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
}

pub fn run(command: Command, explicit_db: Option<&Path>) -> ExitCode {
    let outcome = paths::database_path(explicit_db).and_then(|path| match command {
        Command::Check => check(&path),
        Command::Migrate => migrate(&path),
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

/// Errors of the window face are printed the same way as the CLI's.
pub fn print_error(err: &AppError) {
    eprintln!("error [{}]: {}", err.code, err.message);
}
