//! `engagement-desk`: with no subcommand it opens the window; with one it is the
//! command-line tool. Both faces open the database through the same core function.

mod app;
mod cli;
mod commands;
mod paths;
mod state;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match args.command {
        Some(command) => cli::run(command, args.db.as_deref()),
        None => app::run(args.db.as_deref()),
    }
}
