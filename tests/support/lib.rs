//! Helpers shared by the black-box tests: finding the built binary, temporary databases,
//! and the end-to-end harness (Xvfb + tauri-driver + WebKitWebDriver).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test support: a failure is a test failure

pub mod e2e;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `engagement-desk` binary built by `cargo build -p engagement-desk` (the Makefile
/// builds it before the tests run).
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/engagement-desk
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable sits in target/<profile>/deps");
    let binary = profile_dir.join("engagement-desk");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build -p engagement-desk` first (make test does)",
        binary.display()
    );
    binary
}

/// A temporary folder with a database path inside it; removed when dropped.
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> TempDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("engagement-desk.db");
        TempDb { dir, path }
    }
}

impl Default for TempDb {
    fn default() -> Self {
        TempDb::new()
    }
}

/// Run the binary with `args`, never touching the default database location: HOME and
/// the XDG folders point into a throwaway folder unless the test sets them.
pub fn run_cli(args: &[&str], envs: &[(&str, &str)]) -> CliOutput {
    run_cli_with_input(args, envs, "")
}

/// [`run_cli`] with `input` on standard input (for `--password-stdin`).
pub fn run_cli_with_input(args: &[&str], envs: &[(&str, &str)], input: &str) -> CliOutput {
    let sandbox = tempfile::tempdir().expect("sandbox home");
    let mut command = Command::new(binary());
    command
        .args(args)
        .env_remove("ENGAGEMENT_DESK_DB")
        .env("HOME", sandbox.path())
        .env("XDG_DATA_HOME", sandbox.path().join("data"));
    for (key, value) in envs {
        command.env(key, value);
    }
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        // A command that does not read its input may have exited already; that is fine.
        let _ = stdin.write_all(input.as_bytes());
    }
    let output = child.wait_with_output().expect("the binary finishes");
    CliOutput::from_output(output, sandbox)
}

/// What a CLI run printed and how it exited.
pub struct CliOutput {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The throwaway HOME of the run, kept so tests can look inside it.
    pub home: tempfile::TempDir,
}

impl CliOutput {
    fn from_output(output: Output, home: tempfile::TempDir) -> CliOutput {
        CliOutput {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            home,
        }
    }
}

/// The password every story's staff use.
pub const STORY_PASSWORD: &str = "orchard lantern pebble violin";

/// A story's staff on a new database: the first administrator (avery), screens that lock
/// after an hour, and one account per `(username, role)`, all with [`STORY_PASSWORD`].
pub fn story_staff(
    database: &mut engagement_desk_core::db::Database,
    clock: &dyn engagement_desk_core::clock::Clock,
    staff: &[(&str, engagement_desk_core::auth::Role)],
) {
    use engagement_desk_core::auth::{self, Actor, NewStaff};
    let mut admin = auth::create_first_admin(
        database,
        clock,
        "avery",
        "Avery",
        STORY_PASSWORD,
        STORY_PASSWORD,
    )
    .expect("the first administrator");
    auth::set_idle_lock_minutes(database, clock, &mut Actor::Staff(&mut admin), "60")
        .expect("a busy desk: screens lock after an hour");
    for (username, role) in staff {
        auth::create_staff(
            database,
            clock,
            &mut Actor::Staff(&mut admin),
            &NewStaff {
                username: (*username).into(),
                display_name: (*username).into(),
                roles: vec![*role],
                password: FIRST_PASSWORD.into(),
            },
        )
        .expect("a staff account");
        let session = first_login(database, clock, username, FIRST_PASSWORD, STORY_PASSWORD);
        auth::logout(database, clock, &session).expect("logs out");
    }
}

/// The password an administrator gives a new account in the stories; its owner chooses
/// their own at the first login.
pub const FIRST_PASSWORD: &str = "harbor first-day walnut kite";

/// A new account's first login: log in with the password the administrator gave, and
/// choose `chosen` (the app asks for it before anything else).
pub fn first_login(
    database: &mut engagement_desk_core::db::Database,
    clock: &dyn engagement_desk_core::clock::Clock,
    username: &str,
    given: &str,
    chosen: &str,
) -> engagement_desk_core::auth::Session {
    use engagement_desk_core::auth;
    let mut session = auth::login(database, clock, username, given).expect("the first login");
    assert!(
        session.must_change_password,
        "a new account must choose its own password first"
    );
    auth::change_own_password(database, clock, &mut session, given, chosen)
        .expect("the person chooses their own password");
    session
}

/// The front-desk account the `drill` subcommand logs in as.
pub const DRILL_USER: &str = "drill";

/// A new database at `path` with the story staff and the [`DRILL_USER`] account, closed
/// again so a drill process can use it.
pub fn drill_database(path: &Path) {
    use engagement_desk_core::auth::Role;
    let mut database = engagement_desk_core::db::Database::open(path).expect("a new database");
    story_staff(
        &mut database,
        &engagement_desk_core::clock::SystemClock,
        &[(DRILL_USER, Role::FrontDesk)],
    );
}

/// Start `engagement-desk drill` on `db`: it logs in, prints `ready`, then checks `count`
/// guests in and out, printing an `ack` line after each committed action.
pub fn spawn_drill(db: &Path, count: u32) -> std::process::Child {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(binary())
        .arg("--db")
        .arg(db)
        .args([
            "drill",
            "--username",
            DRILL_USER,
            "--password-stdin",
            "--count",
        ])
        .arg(count.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the drill starts");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{STORY_PASSWORD}").expect("the password is written");
    child
}

/// What a drill acknowledged: guests checked in (code without the dash, visit id) and
/// visits checked out. Only complete lines count: a line cut by a kill was not an
/// acknowledgement.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Acks {
    pub checked_in: Vec<(String, i64)>,
    pub checked_out: Vec<i64>,
}

impl Acks {
    pub fn parse(output: &str) -> Acks {
        let mut acks = Acks::default();
        for line in output
            .split_inclusive('\n')
            .filter(|line| line.ends_with('\n'))
        {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["ack", "checked-in", code, visit] => acks
                    .checked_in
                    .push((code.replace('-', ""), visit.parse().expect("a visit id"))),
                ["ack", "checked-out", visit] => {
                    acks.checked_out.push(visit.parse().expect("a visit id"));
                }
                _ => {}
            }
        }
        acks
    }

    pub fn extend(&mut self, other: Acks) {
        self.checked_in.extend(other.checked_in);
        self.checked_out.extend(other.checked_out);
    }

    pub fn actions(&self) -> usize {
        self.checked_in.len() + self.checked_out.len()
    }

    /// Every acknowledged action is in the database at `path` (opened read-only on the side).
    pub fn assert_all_present(&self, path: &Path, context: &str) {
        let conn = rusqlite::Connection::open(path).expect("the database opens");
        for (code, visit) in &self.checked_in {
            let found: Option<String> = conn
                .query_row(
                    "SELECT g.code FROM visits v JOIN guests g ON g.id = v.guest_id WHERE v.id = ?1",
                    [visit],
                    |row| row.get(0),
                )
                .ok();
            assert_eq!(
                found.as_deref(),
                Some(code.as_str()),
                "{context}: the acknowledged check-in of {code} (visit {visit}) must survive"
            );
        }
        for visit in &self.checked_out {
            let out: Option<String> = conn
                .query_row(
                    "SELECT checked_out_at FROM visits WHERE id = ?1",
                    [visit],
                    |row| row.get(0),
                )
                .unwrap_or(None);
            assert!(
                out.is_some(),
                "{context}: the acknowledged check-out of visit {visit} must survive"
            );
        }
    }
}

/// `engagement-desk check` and `audit verify` on `path` both pass.
pub fn assert_database_healthy(path: &Path, context: &str) {
    let db = path.to_str().expect("a UTF-8 path");
    let check = run_cli(&["--db", db, "check"], &[]);
    assert_eq!(
        check.code,
        Some(0),
        "{context}: integrity_check must say ok: {}{}",
        check.stdout,
        check.stderr
    );
    let audit = run_cli(&["--db", db, "audit", "verify"], &[]);
    assert_eq!(
        audit.code,
        Some(0),
        "{context}: the audit hash chain must be intact: {}{}",
        audit.stdout,
        audit.stderr
    );
}

/// The operating-system account the tests run as, from the system's user database
/// (`id -un` looks up the effective user id; it does not read $USER).
pub fn os_account() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .env("USER", "someone-else")
        .output()
        .expect("id runs");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}
