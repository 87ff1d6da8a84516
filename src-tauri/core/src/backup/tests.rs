use super::*;
use crate::auth::{NewStaff, Role, Session};
use crate::clock::FixedClock;
use crate::files::sidecar;
use crate::guests::NewGuest;
use crate::visits;
use chrono::TimeZone;
use rusqlite::OpenFlags;
use std::time::{Duration, Instant};

const PASSWORD: &str = "orchard lantern pebble violin";

/// A center on a database file: an administrator and a front-desk person.
struct Center {
    dir: tempfile::TempDir,
    db: Database,
    clock: FixedClock,
    admin: Session,
    desk: Session,
}

fn center() -> Center {
    let dir = tempfile::tempdir().expect("folder");
    let mut db = Database::open(&dir.path().join("desk.db")).expect("database");
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap());
    let mut admin =
        auth::create_first_admin(&mut db, &clock, "admin", "Avery", PASSWORD, PASSWORD).unwrap();
    auth::create_staff(
        &mut db,
        &clock,
        &mut Actor::Staff(&mut admin),
        &NewStaff {
            username: "pat".into(),
            display_name: "Pat".into(),
            roles: vec![Role::FrontDesk],
            password: PASSWORD.into(),
        },
    )
    .unwrap();
    let desk = auth::testing::first_login(&mut db, &clock, "pat", PASSWORD).unwrap();
    Center {
        dir,
        db,
        clock,
        admin,
        desk,
    }
}

impl Center {
    fn arrive(&mut self, nickname: &str) {
        let new = NewGuest {
            nickname: Some(nickname.into()),
            ..NewGuest::default()
        };
        visits::register_and_check_in(&mut self.db, &self.clock, &mut self.desk, &new, false)
            .unwrap();
    }

    fn back_up(&mut self, name: &str) -> Result<BackupMade> {
        let out = self.dir.path().join(name);
        back_up(
            &mut self.db,
            &self.clock,
            &mut Actor::Staff(&mut self.admin),
            &out,
            false,
        )
    }

    fn restore(&mut self, from: &Path) -> Result<RestoreDone> {
        restore(
            &mut self.db,
            &self.clock,
            &mut Actor::Staff(&mut self.admin),
            from,
        )
    }

    fn backups_folder(&self) -> PathBuf {
        self.dir.path().join("backups")
    }
}

fn nicknames(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare("SELECT nickname FROM guests ORDER BY id")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn audit_actions(db: &Database) -> Vec<String> {
    let mut statement = db
        .conn()
        .prepare("SELECT action FROM audit_log ORDER BY id")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// The files in `folder` but the audit anchors beside backups and the database (their own
/// tests look at those: [`anchors_in`]).
fn files_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = all_names_in(folder)
        .into_iter()
        .filter(|name| !name.ends_with(".audit-anchor"))
        .collect();
    names.sort();
    names
}

/// The audit anchors in `folder`.
fn anchors_in(folder: &Path) -> Vec<String> {
    all_names_in(folder)
        .into_iter()
        .filter(|name| name.ends_with(".audit-anchor"))
        .collect()
}

fn all_names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_backup_is_a_checked_single_file_copy_and_is_audited() {
    let mut c = center();
    c.arrive("Sunny");
    let made = c.back_up("copy.db").expect("backed up");
    let copy = c.dir.path().join("copy.db");
    assert_eq!(made.path, copy.display().to_string(), "it names the file");
    assert_eq!(
        made.size_bytes,
        fs::metadata(&copy).unwrap().len(),
        "the reported size is the file's"
    );
    let conn = Connection::open_with_flags(&copy, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert_eq!(
        db::pragma_text(&conn, "integrity_check").unwrap(),
        "ok",
        "the copy is sound"
    );
    assert_eq!(
        db::pragma_text(&conn, "journal_mode").unwrap(),
        "delete",
        "a backup is one file, not a WAL database"
    );
    assert_eq!(
        db::pragma_text(&conn, "application_id").unwrap(),
        db::APPLICATION_ID.to_string(),
        "the copy is recognised as ours"
    );
    assert_eq!(nicknames(&conn), ["Sunny"], "the copy holds the guest");
    assert_eq!(
        files_in(c.dir.path()),
        ["copy.db", "desk.db", "desk.db-shm", "desk.db-wal"],
        "nothing but the copy was left beside the database"
    );
    assert_eq!(
        audit_actions(&c.db).last().map(String::as_str),
        Some("backup.make"),
        "the backup is in the audit log"
    );
}

#[test]
fn a_backup_is_refused_for_the_wrong_person_or_place_and_writes_nothing() {
    let mut c = center();
    let existing = c.dir.path().join("existing.db");
    fs::write(&existing, "keep me").unwrap();
    let refusals: Vec<(PathBuf, ErrorCode, &str)> = vec![
        (existing.clone(), ErrorCode::Conflict, "an existing file"),
        (
            c.dir.path().to_path_buf(),
            ErrorCode::InvalidInput,
            "a folder",
        ),
        (
            c.dir.path().join("missing").join("x.db"),
            ErrorCode::InvalidInput,
            "a missing folder",
        ),
        (PathBuf::new(), ErrorCode::InvalidInput, "no path"),
        (
            c.dir.path().join("desk.db"),
            ErrorCode::InvalidInput,
            "the database itself",
        ),
    ];
    let before = files_in(c.dir.path());
    for (out, code, why) in refusals {
        let err = back_up(
            &mut c.db,
            &c.clock,
            &mut Actor::Staff(&mut c.admin),
            &out,
            false,
        )
        .expect_err(why);
        assert_eq!(err.code, code, "{why}: {}", err.message);
    }
    let err = back_up(
        &mut c.db,
        &c.clock,
        &mut Actor::Staff(&mut c.desk),
        &c.dir.path().join("new.db"),
        false,
    )
    .expect_err("the front desk does not make backups");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert_eq!(files_in(c.dir.path()), before, "no refusal wrote a file");
    assert_eq!(
        fs::read_to_string(&existing).unwrap(),
        "keep me",
        "an existing file is left alone"
    );
    back_up(
        &mut c.db,
        &c.clock,
        &mut Actor::Staff(&mut c.admin),
        &existing,
        true,
    )
    .expect("replacing was asked for");
    assert_ne!(
        fs::read(&existing).unwrap(),
        b"keep me",
        "with replace, the file becomes the backup"
    );
}

#[test]
fn automatic_backups_are_daily_at_start_always_at_close_out_and_pruned() {
    let mut c = center();
    let folder = c.backups_folder();
    set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), "3").expect("kept 3");
    let first = automatic_backup(&mut c.db, &c.clock, Occasion::Start)
        .expect("made")
        .expect("a file");
    assert!(
        first
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("auto-2026-11-28T140000Z-start"),
        "named by time and occasion: {}",
        first.display()
    );
    c.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        automatic_backup(&mut c.db, &c.clock, Occasion::Start).expect("fine"),
        None,
        "a second start the same day makes no second backup"
    );
    assert!(
        automatic_backup(&mut c.db, &c.clock, Occasion::CloseOut)
            .expect("made")
            .is_some(),
        "a close-out always backs up"
    );
    assert_eq!(
        audit_actions(&c.db)
            .iter()
            .filter(|action| *action == "backup.automatic")
            .count(),
        2,
        "each automatic backup is audited"
    );

    fs::write(folder.join("before-restore-2026-01-01T000000Z.db"), "x").unwrap();
    fs::write(
        folder.join("desk-20260101T000000Z-before-schema-6-to-7.db"),
        "x",
    )
    .unwrap();
    for _ in 0..4 {
        c.clock.advance(chrono::Duration::days(1));
        automatic_backup(&mut c.db, &c.clock, Occasion::Start).expect("made");
    }
    let names = files_in(&folder);
    let automatic: Vec<&String> = names.iter().filter(|n| n.starts_with("auto-")).collect();
    assert_eq!(automatic.len(), 3, "only the newest 3 are kept: {names:?}");
    assert!(
        automatic[0].starts_with("auto-2026-11-30"),
        "the oldest went first: {names:?}"
    );
    assert!(
        names.contains(&"before-restore-2026-01-01T000000Z.db".to_string())
            && names.contains(&"desk-20260101T000000Z-before-schema-6-to-7.db".to_string()),
        "copies made before a restore or an upgrade are never pruned: {names:?}"
    );

    let mut memory = Database::open_in_memory().unwrap();
    assert_eq!(
        automatic_backup(&mut memory, &c.clock, Occasion::CloseOut).unwrap(),
        None,
        "an in-memory database has nowhere to back up to"
    );
}

#[test]
fn the_number_kept_is_a_whole_number_from_1_to_365_set_by_an_administrator() {
    let mut c = center();
    let huge = "9".repeat(10_000);
    for typed in [
        "",
        "0",
        "366",
        "-1",
        "abc",
        "1e3",
        "3.5",
        "\u{0}7",
        huge.as_str(),
    ] {
        let err = set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), typed)
            .expect_err("refused");
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "{typed:?}: {}",
            err.message
        );
        assert_eq!(
            keep(&c.db),
            DEFAULT_KEEP,
            "{typed:?} leaves the setting alone"
        );
    }
    let err = set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.desk), "30")
        .expect_err("not the front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert_eq!(
        set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), " 30 ").unwrap(),
        30,
        "an administrator sets it"
    );
    assert_eq!(keep(&c.db), 30, "and it is stored");
}

#[test]
fn a_restore_brings_the_backup_back_and_keeps_what_it_replaced() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("monday.db").expect("backed up");
    c.arrive("Later");
    let done = c
        .restore(&c.dir.path().join("monday.db"))
        .expect("restored");

    assert_eq!(
        nicknames(c.db.conn()),
        ["Sunny"],
        "the backup's guests, only"
    );
    let saved = PathBuf::from(done.previous_database_saved_to.expect("saved first"));
    let saved_conn = Connection::open(&saved).unwrap();
    assert_eq!(
        nicknames(&saved_conn),
        ["Sunny", "Later"],
        "the replaced database is kept whole"
    );
    assert_eq!(
        c.db.pragma_text("journal_mode").unwrap(),
        "wal",
        "the live database stays in write-ahead logging"
    );
    assert_eq!(
        (done.backup_schema_version, done.schema_version),
        (c.db.schema_version(), c.db.schema_version()),
        "a current backup needs no migration"
    );
    assert_eq!(
        audit_actions(&c.db).last().map(String::as_str),
        Some("backup.restore"),
        "the restore is recorded in the restored database"
    );
    c.arrive("After the restore");
    assert_eq!(
        nicknames(c.db.conn()),
        ["Sunny", "After the restore"],
        "the connection goes on working"
    );
    assert!(
        files_in(&c.backups_folder())
            .iter()
            .all(|name| !name.starts_with(".restoring")),
        "no staging file is left"
    );
    assert_eq!(
        crate::audit::verify(&c.db).unwrap().first_broken,
        None,
        "the audit chain is intact after a restore"
    );
}

#[test]
fn a_restore_refuses_what_it_cannot_use_and_changes_nothing() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("good.db").expect("backed up");
    let good = fs::read(c.dir.path().join("good.db")).unwrap();
    let folder = c.dir.path().to_path_buf();

    let folder = folder.as_path();
    fs::write(folder.join("notes.db"), "meeting notes").unwrap();
    fs::write(folder.join("half.db"), &good[..good.len() / 2]).unwrap();
    fs::write(folder.join("newer.db"), &good).unwrap();
    Connection::open(folder.join("newer.db"))
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    Connection::open(folder.join("foreign.db"))
        .unwrap()
        .execute_batch("CREATE TABLE recipes (name TEXT)")
        .unwrap();
    fs::write(folder.join("empty.db"), "").unwrap();

    for (name, code) in [
        ("notes.db", ErrorCode::NotEngagementDeskDatabase),
        ("half.db", ErrorCode::DatabaseCorrupt),
        ("newer.db", ErrorCode::DatabaseTooNew),
        ("foreign.db", ErrorCode::NotEngagementDeskDatabase),
        ("empty.db", ErrorCode::NotEngagementDeskDatabase),
        ("missing.db", ErrorCode::NotFound),
        ("desk.db", ErrorCode::InvalidInput),
    ] {
        let path = folder.join(name);
        let bytes = fs::read(&path).ok();
        let err = c.restore(&path).expect_err(name);
        assert_eq!(err.code, code, "{name}: {}", err.message);
        assert_eq!(nicknames(c.db.conn()), ["Sunny"], "{name}: nothing changed");
        if name != "desk.db" {
            assert_eq!(fs::read(&path).ok(), bytes, "{name} is left as it was");
        }
    }
    let err = restore(
        &mut c.db,
        &c.clock,
        &mut Actor::Staff(&mut c.desk),
        &folder.join("good.db"),
    )
    .expect_err("not the front desk");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert!(
        !c.backups_folder().exists()
            || files_in(&c.backups_folder())
                .iter()
                .all(|name| !name.starts_with(".restoring") && !name.starts_with("before-restore")),
        "a refused restore makes no copies"
    );
}

#[test]
fn a_backup_is_described_before_it_is_restored() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("good.db").expect("backed up");
    let found = describe(
        &mut c.db,
        &c.clock,
        &mut Actor::Staff(&mut c.admin),
        &c.dir.path().join("good.db"),
    )
    .expect("described");
    assert_eq!(
        (found.guests, found.visits, found.staff),
        (1, 1, 2),
        "what it holds"
    );
    assert_eq!(
        found.schema_version, found.latest_schema_version,
        "a current schema"
    );
    assert!(
        found.last_activity_at.is_some() && found.saved_at.is_some(),
        "when it was saved and what it is as of"
    );
    let err = describe(
        &mut c.db,
        &c.clock,
        &mut Actor::Staff(&mut c.desk),
        &c.dir.path().join("good.db"),
    )
    .expect_err("administrators only");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
}

#[test]
fn one_window_per_database() {
    let c = center();
    let path = c.dir.path().join("desk.db");
    let first = db::WindowLock::acquire(&path).expect("the first window");
    let err = db::WindowLock::acquire(&path).expect_err("a second window");
    assert_eq!(err.code, ErrorCode::AlreadyOpen, "{}", err.message);
    assert!(
        err.message.contains(&path.display().to_string()),
        "the message names the database: {}",
        err.message
    );
    drop(first);
    db::WindowLock::acquire(&path).expect("free again once the first window closed");
}

// ---------------------------------------------------------------------------------------
// More thorough checks: every role, every refusal, older and newer schemas, busy databases.
// ---------------------------------------------------------------------------------------

const M0001: &str = include_str!("../../../../migrations/0001-foundation/up.sql");
const M0002: &str = include_str!("../../../../migrations/0002-staff-and-audit/up.sql");
const M0003: &str = include_str!("../../../../migrations/0003-audit-viewer/up.sql");
const M0004: &str = include_str!("../../../../migrations/0004-front-desk/up.sql");
const M0005: &str = include_str!("../../../../migrations/0005-schedule/up.sql");
const M0006: &str = include_str!("../../../../migrations/0006-nurse-queue/up.sql");
const M0007: &str = include_str!("../../../../migrations/0007-referrals/up.sql");
const LATER_STEP: &str =
    "CREATE TABLE IF NOT EXISTS later_feature (id INTEGER PRIMARY KEY) STRICT;";

impl Center {
    /// A staff member with `roles`, logged in.
    fn person(&mut self, username: &str, roles: &[Role]) -> Session {
        auth::create_staff(
            &mut self.db,
            &self.clock,
            &mut Actor::Staff(&mut self.admin),
            &NewStaff {
                username: username.into(),
                display_name: format!("Person {username}"),
                roles: roles.to_vec(),
                password: PASSWORD.into(),
            },
        )
        .expect("staff member created");
        auth::testing::first_login(&mut self.db, &self.clock, username, PASSWORD).expect("logs in")
    }

    fn live_path(&self) -> PathBuf {
        self.dir.path().join("desk.db")
    }

    fn cli() -> Actor<'static> {
        Actor::Cli {
            os_user: "it-helper".into(),
        }
    }
}

/// Every file under `folder` (and its sub-folders), relative to it.
fn all_files(folder: &Path) -> Vec<String> {
    fn walk(base: &Path, folder: &Path, into: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(folder) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, into);
            }
            into.push(
                path.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    let mut names = Vec::new();
    walk(folder, folder, &mut names);
    names.sort();
    names
}

/// No half-written copy and no restore staging file anywhere under `folder`.
fn assert_no_leftovers(folder: &Path, when: &str) {
    let names = all_files(folder);
    assert!(
        names
            .iter()
            .all(|name| !name.contains(".partial") && !name.contains(".restoring")),
        "{when}: no .partial or .restoring file is left behind: {names:?}"
    );
}

fn guest_count(path: &Path) -> i64 {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("SELECT count(*) FROM guests", [], |row| row.get(0))
        .unwrap()
}

/// A database file at `path` built with only `steps` (an older or newer app's schema).
fn database_with_steps(path: &Path, steps: &[&'static str]) -> Database {
    let schema = Schema::from_steps(steps).expect("valid steps");
    Database::open_with(path, &schema, &db::OpenOptions::default()).expect("database")
}

/// The embedded migrations and then more, so the schema is newer than this app knows.
fn newer_steps() -> Vec<&'static str> {
    let mut steps = vec![M0001, M0002, M0003, M0004, M0005, M0006, M0007];
    let latest = Schema::embedded().unwrap().latest_version() as usize;
    while steps.len() <= latest {
        steps.push(LATER_STEP);
    }
    steps
}

/// A database of the app four versions back, holding one staff member and one guest.
fn older_backup(path: &Path) {
    let db = database_with_steps(path, &[M0001, M0002, M0003, M0004]);
    db.conn()
        .execute_batch(
            "INSERT INTO staff (id, username, display_name, password_hash, created_at, updated_at)
                 VALUES (1, 'olga', 'Olga', 'x', '2025-01-02T10:00:00Z', '2025-01-02T10:00:00Z');
             INSERT INTO staff_roles (staff_id, role) VALUES (1, 'admin');
             INSERT INTO guests (id, code, nickname, nickname_key, first_seen_date, created_at, created_by)
                 VALUES (1, 'ABC23D', 'Old Timer', 'old timer', '2025-01-02', '2025-01-02T10:05:00Z', 1);",
        )
        .expect("rows in the older database");
    assert_eq!(db.schema_version(), 4, "the older database is at version 4");
}

#[test]
fn a_backup_is_refused_to_every_role_but_the_administrator() {
    let mut c = center();
    let nurse = c.person("nell", &[Role::Nurse]);
    let supervisor = c.person("sam", &[Role::Supervisor]);
    let everyone_but_admin = c.person("eve", &[Role::FrontDesk, Role::Nurse, Role::Supervisor]);
    let desk = c.desk.clone();
    let out = c.dir.path().join("new.db");
    for (mut session, who) in [
        (desk, "front desk"),
        (nurse, "nurse"),
        (supervisor, "supervisor"),
        (everyone_but_admin, "every role but admin"),
    ] {
        let err = back_up(
            &mut c.db,
            &c.clock,
            &mut Actor::Staff(&mut session),
            &out,
            false,
        )
        .expect_err(who);
        assert_eq!(
            err.code,
            ErrorCode::PermissionDenied,
            "a {who} does not make backups: {}",
            err.message
        );
        let err = back_up(
            &mut c.db,
            &c.clock,
            &mut Actor::Staff(&mut session),
            &out,
            true,
        )
        .expect_err(who);
        assert_eq!(
            err.code,
            ErrorCode::PermissionDenied,
            "a {who} does not make backups even when replacing: {}",
            err.message
        );
        assert!(!out.exists(), "{who}: no file was written");
    }
    assert_no_leftovers(c.dir.path(), "refused for roles");
    assert!(
        !audit_actions(&c.db)
            .iter()
            .any(|action| action == "backup.make"),
        "a refused backup is not recorded as made"
    );
}

#[test]
fn the_command_line_and_a_multi_role_administrator_may_back_up() {
    let mut c = center();
    c.arrive("Sunny");
    let out = c.dir.path().join("cli.db");
    let made = back_up(&mut c.db, &c.clock, &mut Center::cli(), &out, false)
        .expect("the command line backs up");
    assert_eq!(
        guest_count(&out),
        1,
        "the command line's copy holds the guest"
    );
    assert_eq!(made.path, out.display().to_string(), "it names the file");
    let actor: String =
        c.db.conn()
            .query_row(
                "SELECT actor FROM audit_log WHERE action = 'backup.make' ORDER BY id DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .unwrap();
    assert_eq!(
        actor, "os:it-helper",
        "the audit names the operating-system user"
    );

    let mut boss = c.person("bo", &[Role::Supervisor, Role::Admin]);
    let out = c.dir.path().join("boss.db");
    back_up(
        &mut c.db,
        &c.clock,
        &mut Actor::Staff(&mut boss),
        &out,
        false,
    )
    .expect("an administrator with other roles too backs up");
    assert!(out.is_file(), "the administrator's copy exists");
}

#[test]
fn a_backup_is_a_complete_copy_that_opens_as_a_database() {
    let mut c = center();
    c.arrive("Sunny");
    c.arrive("Rain");
    let made = c.back_up("copy.db").expect("backed up");
    let copy = PathBuf::from(&made.path);
    for suffix in ["-wal", "-shm", "-journal"] {
        assert!(
            !sidecar(&copy, suffix).exists(),
            "a backup is a single file: no {suffix} beside it"
        );
    }
    let header = fs::read(&copy).unwrap();
    assert_eq!(
        (header[18], header[19]),
        (1, 1),
        "the file header says rollback journal (not WAL), so the copy reads alone"
    );
    assert_eq!(
        db::inspect(&copy).unwrap(),
        db::Inspection::Existing {
            schema_version: c.db.schema_version()
        },
        "the copy is an Engagement Desk database at the current schema"
    );
    let conn = Connection::open_with_flags(&copy, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert_eq!(
        nicknames(&conn),
        ["Sunny", "Rain"],
        "every guest is in the copy"
    );
    let count = |sql: &str| -> (i64, i64) {
        (
            c.db.conn().query_row(sql, [], |row| row.get(0)).unwrap(),
            conn.query_row(sql, [], |row| row.get(0)).unwrap(),
        )
    };
    let (live, copied) = count("SELECT count(*) FROM visits");
    assert_eq!(copied, live, "every visit is in the copy");
    let (live, copied) = count("SELECT count(*) FROM staff");
    assert_eq!(copied, live, "every staff member is in the copy");
    let (live, copied) = count("SELECT count(*) FROM audit_log WHERE action <> 'backup.make'");
    assert_eq!(
        copied, live,
        "the audit log up to the backup is in the copy"
    );
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0, "no row of the copy points at a missing row");
    drop(conn);
    let reopened = Database::open(&copy).expect("the copy opens as the app's database");
    assert_eq!(
        nicknames(reopened.conn()),
        ["Sunny", "Rain"],
        "opened by the app, the copy shows the guests"
    );
    assert_eq!(
        reopened.open_report().pre_migration_backup,
        None,
        "a current copy needs no migration when opened"
    );
}

#[test]
fn a_backup_made_twice_with_replace_holds_the_newest_data() {
    let mut c = center();
    c.arrive("Sunny");
    let out = c.dir.path().join("nightly.db");
    c.back_up("nightly.db").expect("first backup");
    c.arrive("Rain");
    let err = c.back_up("nightly.db").expect_err("exists already");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    assert!(
        err.message.contains("nightly.db"),
        "the refusal names the file: {}",
        err.message
    );
    assert_eq!(
        guest_count(&out),
        1,
        "a refused backup leaves the earlier copy as it was"
    );
    back_up(
        &mut c.db,
        &c.clock,
        &mut Actor::Staff(&mut c.admin),
        &out,
        true,
    )
    .expect("replaced");
    assert_eq!(guest_count(&out), 2, "the replaced copy has both guests");
    assert_no_leftovers(c.dir.path(), "after replacing");
}

#[test]
fn a_refused_backup_leaves_an_existing_file_byte_for_byte_and_writes_nothing() {
    let mut c = center();
    c.arrive("Sunny");
    let existing = c.dir.path().join("precious.db");
    let content: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    fs::write(&existing, &content).unwrap();
    let sub = c.dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    let before = all_files(c.dir.path());
    let cases: Vec<(PathBuf, ErrorCode, &str)> = vec![
        (existing.clone(), ErrorCode::Conflict, "an existing file"),
        (sub.clone(), ErrorCode::InvalidInput, "a folder"),
        (
            sub.join("deeper").join("x.db"),
            ErrorCode::InvalidInput,
            "a folder that does not exist",
        ),
        (
            existing.join("inside.db"),
            ErrorCode::InvalidInput,
            "a file used as a folder",
        ),
        (PathBuf::new(), ErrorCode::InvalidInput, "an empty path"),
        (
            c.live_path(),
            ErrorCode::InvalidInput,
            "the database itself",
        ),
        (
            c.dir.path().join(".").join("desk.db"),
            ErrorCode::InvalidInput,
            "the database itself, spelled differently",
        ),
        (
            sub.join("..").join("desk.db"),
            ErrorCode::InvalidInput,
            "the database itself, through ..",
        ),
    ];
    for (out, code, why) in &cases {
        let err = back_up(
            &mut c.db,
            &c.clock,
            &mut Actor::Staff(&mut c.admin),
            out,
            false,
        )
        .expect_err(why);
        assert_eq!(err.code, *code, "{why}: {}", err.message);
        assert!(!err.message.is_empty(), "{why}: the refusal says why");
    }
    // Replacing does not make a folder, a missing folder or the database itself a target.
    for (out, code, why) in &cases[1..] {
        let err = back_up(
            &mut c.db,
            &c.clock,
            &mut Actor::Staff(&mut c.admin),
            out,
            true,
        )
        .expect_err(why);
        assert_eq!(
            err.code, *code,
            "{why}, even when replacing: {}",
            err.message
        );
    }
    assert_eq!(
        fs::read(&existing).unwrap(),
        content,
        "the existing file is left byte for byte"
    );
    assert_eq!(
        all_files(c.dir.path()),
        before,
        "no refusal wrote, moved or deleted a file"
    );
    assert_eq!(
        nicknames(c.db.conn()),
        ["Sunny"],
        "the live database still answers after every refusal"
    );
    assert!(
        !audit_actions(&c.db)
            .iter()
            .any(|action| action == "backup.make"),
        "no refusal is recorded as a backup made"
    );
}

#[cfg(unix)]
#[test]
fn a_link_to_the_database_is_refused_as_a_backup_target() {
    let mut c = center();
    let link = c.dir.path().join("link.db");
    std::os::unix::fs::symlink(c.live_path(), &link).unwrap();
    let err = back_up(
        &mut c.db,
        &c.clock,
        &mut Actor::Staff(&mut c.admin),
        &link,
        true,
    )
    .expect_err("a link to the database is the database");
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is left as it was"
    );
}

#[test]
fn automatic_backups_go_beside_the_database_with_their_occasion_in_the_name() {
    let mut c = center();
    c.arrive("Sunny");
    let start = automatic_backup(&mut c.db, &c.clock, Occasion::Start)
        .expect("made")
        .expect("a start backup on a new day");
    assert_eq!(
        start,
        c.backups_folder().join("auto-2026-11-28T140000Z-start.db"),
        "named auto-<UTC time>-start.db in backups/ beside the database"
    );
    let close = automatic_backup(&mut c.db, &c.clock, Occasion::CloseOut)
        .expect("made")
        .expect("a close-out always backs up");
    assert_eq!(
        close,
        c.backups_folder()
            .join("auto-2026-11-28T140000Z-close-out.db"),
        "named for the close-out"
    );
    for made in [&start, &close] {
        let found = read_backup_file(made).expect("an automatic backup is a good backup");
        assert_eq!(found.guests, 1, "{} holds the guest", made.display());
        assert!(
            !sidecar(made, "-wal").exists(),
            "{} is a single file",
            made.display()
        );
    }
    let (actor, object, detail): (String, String, String) =
        c.db.conn()
            .query_row(
                "SELECT actor, object, detail FROM audit_log WHERE action = 'backup.automatic'
             ORDER BY id DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
    assert_eq!(actor, "system", "automatic backups are made by the system");
    assert_eq!(
        object,
        close.display().to_string(),
        "the audit names the file"
    );
    assert!(
        detail.contains("close-out"),
        "the audit says the occasion: {detail}"
    );
    assert_no_leftovers(c.dir.path(), "after automatic backups");
}

#[test]
fn a_start_backup_is_made_once_per_day_of_the_clock() {
    let mut c = center();
    assert!(
        automatic_backup(&mut c.db, &c.clock, Occasion::Start)
            .unwrap()
            .is_some(),
        "the first start of the day backs up"
    );
    // 14:00 UTC; move to 23:59:59 the same UTC day.
    c.clock
        .advance(chrono::Duration::hours(9) + chrono::Duration::seconds(59 * 60 + 59));
    assert_eq!(
        automatic_backup(&mut c.db, &c.clock, Occasion::Start).unwrap(),
        None,
        "a start later the same day makes none"
    );
    c.clock.advance(chrono::Duration::seconds(1));
    let next = automatic_backup(&mut c.db, &c.clock, Occasion::Start)
        .unwrap()
        .expect("a start on the next day backs up");
    assert!(
        next.ends_with("auto-2026-11-29T000000Z-start.db"),
        "named for the new day: {}",
        next.display()
    );
    assert_eq!(
        files_in(&c.backups_folder()).len(),
        2,
        "one start backup per day"
    );
    assert_eq!(
        audit_actions(&c.db)
            .iter()
            .filter(|action| *action == "backup.automatic")
            .count(),
        2,
        "only the backups made are audited"
    );
}

#[test]
fn pruning_keeps_exactly_the_newest_automatic_backups_and_nothing_else_is_touched() {
    let mut c = center();
    set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), "3").expect("kept 3");
    let folder = c.backups_folder();
    fs::create_dir_all(&folder).unwrap();
    let others = [
        "before-restore-2026-01-01T000000Z.db",
        "desk-20260101T000000Z-before-schema-6-to-7.db",
        "my-own-copy.db",
        "auto-notes.txt",
    ];
    for name in others {
        fs::write(folder.join(name), name).unwrap();
    }
    let mut made = Vec::new();
    for step in 0..5 {
        if step > 0 {
            c.clock
                .advance(chrono::Duration::days(1) + chrono::Duration::seconds(1));
        }
        let path = automatic_backup(&mut c.db, &c.clock, Occasion::Start)
            .unwrap()
            .expect("a new day's start backup");
        assert!(
            path.is_file(),
            "the backup just made exists: {}",
            path.display()
        );
        made.push(path.file_name().unwrap().to_string_lossy().into_owned());
        let automatic = files_in(&folder)
            .into_iter()
            .filter(|name| name.starts_with("auto-") && name.ends_with(".db"))
            .count();
        assert_eq!(
            automatic,
            (step + 1).min(3),
            "after backup {}, at most 3 automatic backups are kept",
            step + 1
        );
    }
    let mut expected: Vec<String> = made[2..].to_vec();
    expected.extend(others.iter().map(ToString::to_string));
    expected.sort();
    assert_eq!(
        files_in(&folder),
        expected,
        "the 3 newest automatic backups remain, and every other file is untouched"
    );
    for name in others {
        assert_eq!(
            fs::read_to_string(folder.join(name)).unwrap(),
            name,
            "{name} is left as it was"
        );
    }
}

#[test]
fn close_outs_are_pruned_too_and_the_setting_applies_at_the_next_backup() {
    let mut c = center();
    let folder = c.backups_folder();
    let mut made = Vec::new();
    for _ in 0..5 {
        c.clock.advance(chrono::Duration::seconds(1));
        made.push(
            automatic_backup(&mut c.db, &c.clock, Occasion::CloseOut)
                .unwrap()
                .expect("a close-out always backs up"),
        );
    }
    assert_eq!(
        files_in(&folder).len(),
        5,
        "5 close-outs are within the default of {DEFAULT_KEEP}"
    );
    set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), "2").expect("kept 2");
    assert_eq!(
        files_in(&folder).len(),
        5,
        "changing the setting deletes nothing by itself"
    );
    c.clock.advance(chrono::Duration::seconds(1));
    let newest = automatic_backup(&mut c.db, &c.clock, Occasion::CloseOut)
        .unwrap()
        .expect("made");
    let expected: Vec<String> = [&made[4], &newest]
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files_in(&folder),
        expected,
        "the next backup prunes to the 2 newest"
    );
}

#[test]

fn two_automatic_backups_in_the_same_second_keep_the_newer_one() {
    let mut c = center();
    set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), "1").expect("kept 1");
    automatic_backup(&mut c.db, &c.clock, Occasion::CloseOut)
        .unwrap()
        .expect("first");
    c.arrive("Late arrival");
    let second = automatic_backup(&mut c.db, &c.clock, Occasion::CloseOut)
        .unwrap()
        .expect("second");
    assert!(
        second.is_file(),
        "the backup just made and reported is kept: {} (folder: {:?})",
        second.display(),
        files_in(&c.backups_folder())
    );
    let kept = files_in(&c.backups_folder());
    assert_eq!(kept.len(), 1, "one is kept: {kept:?}");
    assert_eq!(
        guest_count(&c.backups_folder().join(&kept[0])),
        1,
        "the kept backup is the newer one, holding the late arrival"
    );
}

#[test]
fn an_in_memory_database_makes_no_automatic_backup() {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap());
    let mut memory = Database::open_in_memory().unwrap();
    for occasion in [Occasion::Start, Occasion::CloseOut] {
        assert_eq!(
            automatic_backup(&mut memory, &clock, occasion).expect("not an error"),
            None,
            "{occasion:?}: nothing to back up to"
        );
    }
    assert!(
        !audit_actions(&memory)
            .iter()
            .any(|action| action == "backup.automatic"),
        "nothing is audited when nothing was made"
    );
}

#[test]
fn the_number_kept_rejects_every_odd_input_and_accepts_the_bounds() {
    let mut c = center();
    let huge = "9".repeat(100_000);
    for typed in [
        "",
        "   ",
        "0",
        "00",
        "366",
        "-1",
        "-0x1",
        "abc",
        "1e3",
        "3.0",
        "1,5",
        "0x10",
        "4294967296",
        "18446744073709551616",
        "\u{0}7",
        "7\u{0}",
        "7\u{7}",
        "1\u{202E}4",
        "٣",
        "３",
        "DROP TABLE settings",
        huge.as_str(),
    ] {
        let err = set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), typed)
            .expect_err("refused");
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "{:?} is refused as input: {}",
            typed.chars().take(30).collect::<String>(),
            err.message
        );
        assert!(
            err.message.len() < 300,
            "the message does not repeat huge input: {} bytes",
            err.message.len()
        );
        assert_eq!(
            keep(&c.db),
            DEFAULT_KEEP,
            "{typed:?} leaves the setting alone"
        );
    }
    assert!(
        !audit_actions(&c.db)
            .iter()
            .any(|action| action == "setting.change"),
        "no refused value is recorded as a change"
    );
    for (typed, value) in [("1", 1), ("365", 365), ("30", 30), ("\t14\n", 14)] {
        assert_eq!(
            set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), typed).unwrap(),
            value,
            "{typed:?} is accepted"
        );
        assert_eq!(keep(&c.db), value, "{typed:?} is stored");
    }
    let (object, detail): (String, String) =
        c.db.conn()
            .query_row(
                "SELECT object, detail FROM audit_log WHERE action = 'setting.change'
             ORDER BY id DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
    assert_eq!(
        (object.as_str(), detail.as_str()),
        (KEEP_SETTING, "14"),
        "the change is audited with the new value"
    );
}

#[test]
fn the_number_kept_is_changed_only_by_an_administrator_or_the_command_line() {
    let mut c = center();
    let nurse = c.person("nell", &[Role::Nurse]);
    let supervisor = c.person("sam", &[Role::Supervisor]);
    let desk = c.desk.clone();
    for (mut session, who) in [
        (desk, "front desk"),
        (nurse, "nurse"),
        (supervisor, "supervisor"),
    ] {
        let err =
            set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut session), "30").expect_err(who);
        assert_eq!(
            err.code,
            ErrorCode::PermissionDenied,
            "a {who} cannot change it: {}",
            err.message
        );
        assert_eq!(keep(&c.db), DEFAULT_KEEP, "{who}: unchanged");
    }
    assert_eq!(
        set_keep(&mut c.db, &c.clock, &mut Center::cli(), "30").unwrap(),
        30,
        "the command line may change it"
    );
    assert_eq!(keep(&c.db), 30, "and it is stored");
}

#[test]
fn a_stored_number_kept_out_of_range_reads_as_the_default() {
    let c = center();
    for stored in ["0", "366", "abc", "-3", ""] {
        c.db.conn()
            .execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, '2026-11-28T14:00:00Z')
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [KEEP_SETTING, stored],
            )
            .unwrap();
        assert_eq!(
            keep(&c.db),
            DEFAULT_KEEP,
            "a stored {stored:?} is not trusted"
        );
    }
}

#[test]
fn a_good_backup_file_is_read_with_what_it_holds() {
    let mut c = center();
    c.arrive("Sunny");
    c.arrive("Rain");
    let made = c.back_up("good.db").expect("backed up");
    let path = PathBuf::from(&made.path);
    let bytes = fs::read(&path).unwrap();
    let found = read_backup_file(&path).expect("read");
    assert_eq!(found.path, made.path, "it names the file");
    assert_eq!(
        found.schema_version,
        Schema::embedded().unwrap().latest_version(),
        "the schema version of a fresh backup is the latest"
    );
    assert_eq!(
        found.latest_schema_version, found.schema_version,
        "this app's latest schema"
    );
    assert_eq!(
        (found.guests, found.visits, found.staff),
        (2, 2, 2),
        "two guests, their two visits, the administrator and the front desk"
    );
    assert_eq!(found.size_bytes, bytes.len() as u64, "the file's size");
    let last = found.last_activity_at.expect("there was activity");
    assert!(
        last.starts_with("2026-11-28T14:00:00"),
        "the last activity is the check-in time of the clock: {last}"
    );
    assert!(found.saved_at.is_some(), "the file's time is shown");
    assert_eq!(
        fs::read(&path).unwrap(),
        bytes,
        "reading a backup does not change it"
    );
    assert_eq!(
        files_in(c.dir.path()),
        ["desk.db", "desk.db-shm", "desk.db-wal", "good.db"],
        "reading a backup leaves nothing beside it"
    );
}

#[test]
fn files_that_are_not_good_backups_are_refused_with_their_code_and_left_alone() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("good.db").expect("backed up");
    let dir = c.dir.path().join("suspects");
    fs::create_dir(&dir).unwrap();
    let good = fs::read(c.dir.path().join("good.db")).unwrap();

    fs::write(dir.join("empty.db"), "").unwrap();
    fs::write(dir.join("notes.txt"), "Monday: call the plumber\n").unwrap();
    fs::write(dir.join("half.db"), &good[..good.len() / 2]).unwrap();
    fs::write(dir.join("header-only.db"), &good[..100]).unwrap();
    fs::write(dir.join("magic-only.db"), b"SQLite format 3\0").unwrap();
    let foreign = Connection::open(dir.join("foreign.db")).unwrap();
    foreign
        .execute_batch(
            "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');
             CREATE TABLE guests (nickname TEXT);",
        )
        .unwrap();
    drop(foreign);
    let mut damaged = good.clone();
    let page = 4096;
    for byte in &mut damaged[page * 2..page * 4] {
        *byte = 0xA5;
    }
    fs::write(dir.join("damaged.db"), &damaged).unwrap();
    drop(database_with_steps(&dir.join("newer.db"), &newer_steps()));
    fs::create_dir(dir.join("folder.db")).unwrap();

    let before = all_files(&dir);
    let bytes: Vec<(String, Option<Vec<u8>>)> = before
        .iter()
        .map(|name| (name.clone(), fs::read(dir.join(name)).ok()))
        .collect();
    for (name, code) in [
        ("missing.db", ErrorCode::NotFound),
        ("empty.db", ErrorCode::NotEngagementDeskDatabase),
        ("notes.txt", ErrorCode::NotEngagementDeskDatabase),
        ("foreign.db", ErrorCode::NotEngagementDeskDatabase),
        ("folder.db", ErrorCode::NotEngagementDeskDatabase),
        ("half.db", ErrorCode::DatabaseCorrupt),
        ("header-only.db", ErrorCode::DatabaseCorrupt),
        ("magic-only.db", ErrorCode::DatabaseCorrupt),
        ("damaged.db", ErrorCode::DatabaseCorrupt),
        ("newer.db", ErrorCode::DatabaseTooNew),
    ] {
        let path = dir.join(name);
        let err = read_backup_file(&path).expect_err(name);
        assert_eq!(err.code, code, "{name}: {}", err.message);
        assert!(
            err.message.contains(&path.display().to_string()),
            "{name}: the message names the file: {}",
            err.message
        );
        let err =
            describe(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), &path).expect_err(name);
        assert_eq!(err.code, code, "{name}, described: {}", err.message);
    }
    assert_eq!(all_files(&dir), before, "no file was made or removed");
    for (name, content) in bytes {
        assert_eq!(
            fs::read(dir.join(&name)).ok(),
            content,
            "{name} is left byte for byte"
        );
    }
}

#[test]
fn an_older_backup_is_read_with_its_own_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    older_backup(&path);
    let found = read_backup_file(&path).expect("an older backup can be restored");
    assert_eq!(found.schema_version, 4, "its own schema version");
    assert_eq!(
        found.latest_schema_version,
        Schema::embedded().unwrap().latest_version(),
        "and the one it will be migrated to"
    );
    assert_eq!(
        (found.guests, found.visits, found.staff),
        (1, 0, 1),
        "what it holds"
    );
    assert_eq!(
        found.last_activity_at, None,
        "no audit entries: no last activity"
    );
}

#[test]
fn describing_is_for_administrators_and_the_command_line() {
    let mut c = center();
    c.back_up("good.db").expect("backed up");
    let path = c.dir.path().join("good.db");
    let nurse = c.person("nell", &[Role::Nurse]);
    let supervisor = c.person("sam", &[Role::Supervisor]);
    let desk = c.desk.clone();
    for (mut session, who) in [
        (desk, "front desk"),
        (nurse, "nurse"),
        (supervisor, "supervisor"),
    ] {
        let err =
            describe(&mut c.db, &c.clock, &mut Actor::Staff(&mut session), &path).expect_err(who);
        assert_eq!(
            err.code,
            ErrorCode::PermissionDenied,
            "{who}: {}",
            err.message
        );
        let err = describe(
            &mut c.db,
            &c.clock,
            &mut Actor::Staff(&mut session),
            &c.dir.path().join("missing.db"),
        )
        .expect_err(who);
        assert_eq!(
            err.code,
            ErrorCode::PermissionDenied,
            "{who}: the permission is checked before the file, so files are not probed: {}",
            err.message
        );
    }
    describe(&mut c.db, &c.clock, &mut Center::cli(), &path).expect("the command line may");
}

#[test]
fn a_restore_keeps_a_copy_of_the_database_it_replaced() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("monday.db").expect("backed up");
    c.arrive("Later");
    let done = c
        .restore(&c.dir.path().join("monday.db"))
        .expect("restored");
    let saved = PathBuf::from(done.previous_database_saved_to.expect("saved"));
    assert_eq!(
        saved,
        c.backups_folder()
            .join("before-restore-2026-11-28T140000Z.db"),
        "saved into backups/ as before-restore-<time>.db"
    );
    let found = read_backup_file(&saved).expect("the saved copy is itself a good backup");
    assert_eq!(found.guests, 2, "the saved copy holds both guests");
    assert_eq!(
        done.restored_from,
        c.dir.path().join("monday.db").display().to_string(),
        "it says where it restored from"
    );
    assert_eq!(
        nicknames(c.db.conn()),
        ["Sunny"],
        "the live database has the backup's guests only"
    );

    // A second restore in the same second keeps both saved copies.
    let again = c
        .restore(&c.dir.path().join("monday.db"))
        .expect("restored again");
    let second = PathBuf::from(again.previous_database_saved_to.expect("saved"));
    assert_ne!(second, saved, "the second copy does not replace the first");
    assert_eq!(guest_count(&saved), 2, "the first saved copy is kept whole");
    assert_eq!(guest_count(&second), 1, "the second holds what it replaced");
    assert_no_leftovers(c.dir.path(), "after two restores");
}

#[test]
fn after_a_restore_the_database_works_on_and_reopens_as_restored() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("monday.db").expect("backed up");
    c.arrive("Later");
    let backup_bytes = fs::read(c.dir.path().join("monday.db")).unwrap();
    c.restore(&c.dir.path().join("monday.db"))
        .expect("restored");
    assert_eq!(
        fs::read(c.dir.path().join("monday.db")).unwrap(),
        backup_bytes,
        "restoring from a backup does not change the backup"
    );
    assert_eq!(
        c.db.pragma_text("journal_mode").unwrap(),
        "wal",
        "still write-ahead logging"
    );
    assert_eq!(
        c.db.pragma_text("foreign_keys").unwrap(),
        "1",
        "foreign keys are still enforced"
    );
    assert_eq!(
        c.db.pragma_text("synchronous").unwrap(),
        "2",
        "writes are still synchronous=FULL"
    );
    assert_eq!(
        c.db.pragma_text("integrity_check").unwrap(),
        "ok",
        "the restored database is sound"
    );
    assert_eq!(
        c.db.pragma_text("application_id").unwrap(),
        db::APPLICATION_ID.to_string(),
        "the restored database is still recognised as ours"
    );
    c.arrive("After");
    set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), "7")
        .expect("the administrator's session still works");

    // A second connection (the command line, say) sees the restored content.
    let other =
        Connection::open_with_flags(c.live_path(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert_eq!(
        nicknames(&other),
        ["Sunny", "After"],
        "another connection sees the restored database"
    );
    drop(other);

    let path = c.live_path();
    drop(c.db);
    let check = db::check(&path).expect("the restored file passes the full check");
    assert_eq!(
        check.schema_version, check.latest_schema_version,
        "at the latest schema"
    );
    let reopened = Database::open(&path).expect("reopens");
    assert_eq!(
        nicknames(reopened.conn()),
        ["Sunny", "After"],
        "the restore and what came after it survive closing the app"
    );
    assert_eq!(
        reopened.open_report().pre_migration_backup,
        None,
        "no migration is needed when reopening"
    );
    assert_eq!(
        keep(&reopened),
        7,
        "the setting written after the restore is kept"
    );
    assert_eq!(
        crate::audit::verify(&reopened).unwrap().first_broken,
        None,
        "the audit chain is intact"
    );
}

#[test]
fn an_older_backup_is_migrated_as_it_is_restored() {
    let mut c = center();
    c.arrive("Current");
    let old = c.dir.path().join("old.db");
    older_backup(&old);
    let old_bytes = fs::read(&old).unwrap();
    let latest = Schema::embedded().unwrap().latest_version();
    let done = restore(&mut c.db, &c.clock, &mut Center::cli(), &old).expect("restored");
    assert_eq!(
        (done.backup_schema_version, done.schema_version),
        (4, latest),
        "the report says it was migrated from 4 to the latest"
    );
    assert_eq!(
        c.db.schema_version(),
        latest,
        "the live database is at the latest schema"
    );
    assert_eq!(
        c.db.pragma_text("user_version").unwrap(),
        latest.to_string(),
        "the file says so too"
    );
    assert_eq!(
        nicknames(c.db.conn()),
        ["Old Timer"],
        "the older backup's guest is there, and only it"
    );
    assert_eq!(
        c.db.pragma_text("integrity_check").unwrap(),
        "ok",
        "the migrated database is sound"
    );
    let broken: i64 =
        c.db.conn()
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })
            .unwrap();
    assert_eq!(broken, 0, "no row points at a missing row");
    let tables: i64 =
        c.db.conn()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'referrals'",
                [],
                |row| row.get(0),
            )
            .unwrap();
    assert_eq!(tables, 1, "the later migrations' tables exist");
    assert_eq!(
        audit_actions(&c.db),
        ["backup.restore"],
        "the restore is the migrated database's first audit entry"
    );
    assert_eq!(
        fs::read(&old).unwrap(),
        old_bytes,
        "the older backup itself is not migrated"
    );
    let saved = PathBuf::from(done.previous_database_saved_to.expect("saved"));
    assert_eq!(guest_count(&saved), 1, "the replaced database was saved");
    assert_eq!(
        nicknames(&Connection::open(&saved).unwrap()),
        ["Current"],
        "and holds what was there before"
    );
    assert_no_leftovers(c.dir.path(), "after migrating a restore");
    let path = c.live_path();
    drop(c.db);
    db::check(&path).expect("the restored, migrated file passes the full check");
}

#[test]
fn every_refused_restore_changes_nothing_and_leaves_no_file() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("good.db").expect("backed up");
    let dir = c.dir.path().to_path_buf();
    let good = fs::read(dir.join("good.db")).unwrap();
    fs::write(dir.join("notes.txt"), "meeting notes").unwrap();
    fs::write(dir.join("half.db"), &good[..good.len() / 2]).unwrap();
    fs::write(dir.join("empty.db"), "").unwrap();
    let foreign = Connection::open(dir.join("foreign.db")).unwrap();
    foreign
        .execute_batch("CREATE TABLE recipes (name TEXT)")
        .unwrap();
    drop(foreign);
    drop(database_with_steps(&dir.join("newer.db"), &newer_steps()));

    let cases = [
        ("notes.txt", ErrorCode::NotEngagementDeskDatabase),
        ("half.db", ErrorCode::DatabaseCorrupt),
        ("empty.db", ErrorCode::NotEngagementDeskDatabase),
        ("foreign.db", ErrorCode::NotEngagementDeskDatabase),
        ("newer.db", ErrorCode::DatabaseTooNew),
        ("missing.db", ErrorCode::NotFound),
        (".", ErrorCode::NotEngagementDeskDatabase),
    ];
    for (name, code) in cases {
        let path = dir.join(name);
        let err = c.restore(&path).expect_err(name);
        assert_eq!(err.code, code, "{name:?}: {}", err.message);
    }
    for (path, why) in [
        (c.live_path(), "the live database"),
        (
            dir.join(".").join("desk.db"),
            "the live database by another name",
        ),
    ] {
        let err = c.restore(&path).expect_err(why);
        assert_eq!(err.code, ErrorCode::InvalidInput, "{why}: {}", err.message);
    }
    let nurse = c.person("nell", &[Role::Nurse]);
    let supervisor = c.person("sam", &[Role::Supervisor]);
    let desk = c.desk.clone();
    for (mut session, who) in [
        (desk, "front desk"),
        (nurse, "nurse"),
        (supervisor, "supervisor"),
    ] {
        let err = restore(
            &mut c.db,
            &c.clock,
            &mut Actor::Staff(&mut session),
            &dir.join("good.db"),
        )
        .expect_err(who);
        assert_eq!(
            err.code,
            ErrorCode::PermissionDenied,
            "{who}: {}",
            err.message
        );
    }
    assert_eq!(
        nicknames(c.db.conn()),
        ["Sunny"],
        "the live database is unchanged after every refusal"
    );
    assert!(
        !audit_actions(&c.db)
            .iter()
            .any(|action| action == "backup.restore"),
        "no restore is recorded"
    );
    assert!(
        files_in(&c.backups_folder())
            .iter()
            .all(|name| !name.starts_with("before-restore")),
        "a refused restore saves no copy: {:?}",
        files_in(&c.backups_folder())
    );
    assert_no_leftovers(c.dir.path(), "after refused restores");
    assert_eq!(
        fs::read(dir.join("good.db")).unwrap(),
        good,
        "the good backup offered to the wrong people is left alone"
    );
}

#[test]
fn an_in_memory_database_can_be_restored_without_a_saved_copy() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("good.db").expect("backed up");
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap());
    let mut memory = Database::open_in_memory().unwrap();
    let done = restore(
        &mut memory,
        &clock,
        &mut Center::cli(),
        &c.dir.path().join("good.db"),
    )
    .expect("restored into memory");
    assert_eq!(
        done.previous_database_saved_to, None,
        "an in-memory database is not saved anywhere"
    );
    assert_eq!(
        nicknames(memory.conn()),
        ["Sunny"],
        "the backup's guest is there"
    );
    assert_eq!(
        audit_actions(&memory).last().map(String::as_str),
        Some("backup.restore"),
        "the restore is audited"
    );
}

#[test]
fn a_restore_waits_for_another_writer_to_finish() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("good.db").expect("backed up");
    c.arrive("Later");
    let live = c.live_path();
    let (held, wait_for_hold) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let conn = Connection::open(&live).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        held.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        conn.execute_batch("COMMIT").unwrap();
    });
    wait_for_hold.recv().unwrap();
    let started = Instant::now();
    c.restore(&c.dir.path().join("good.db"))
        .expect("restored once the other writer finished");
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "it waited for the other writer ({:?})",
        started.elapsed()
    );
    writer.join().unwrap();
    assert_eq!(nicknames(c.db.conn()), ["Sunny"], "the backup was restored");
}

/// A database file in rollback-journal mode, whose readers are blocked by a writer.
fn journal_database(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE;
         CREATE TABLE things (name TEXT);
         INSERT INTO things VALUES ('lamp'), ('chair');",
    )
    .unwrap();
    conn
}

/// Hold an exclusive lock on `path` from another thread for `hold`; returns once it is held.
fn hold_exclusive(path: &Path, hold: Duration) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    let (held, wait_for_hold) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("BEGIN EXCLUSIVE; INSERT INTO things VALUES ('pending');")
            .unwrap();
        held.send(()).unwrap();
        std::thread::sleep(hold);
        conn.execute_batch("COMMIT").unwrap();
    });
    wait_for_hold.recv().unwrap();
    holder
}

#[test]
fn copying_pages_waits_while_another_connection_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("source.db");
    let source = journal_database(&path);
    let holder = hold_exclusive(&path, Duration::from_millis(300));
    let mut copy = Connection::open_in_memory().unwrap();
    let started = Instant::now();
    copy_pages(&source, &mut copy).expect("copied once the lock was released");
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "it waited for the lock ({:?})",
        started.elapsed()
    );
    holder.join().unwrap();
    let count: i64 = copy
        .query_row("SELECT count(*) FROM things", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        count, 3,
        "the copy holds the committed rows, including the writer's"
    );
}

#[test]
fn a_copy_that_stays_locked_gives_up_as_busy_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("source.db");
    let source = journal_database(&path);
    let target = dir.path().join("copy.db");
    let holder = hold_exclusive(&path, db::BUSY_TIMEOUT + Duration::from_secs(2));
    let started = Instant::now();
    let err = write_checked_copy(&source, &target).expect_err("busy the whole time");
    let waited = started.elapsed();
    holder.join().unwrap();
    assert_eq!(err.code, ErrorCode::DatabaseBusy, "{}", err.message);
    assert!(
        waited >= db::BUSY_TIMEOUT,
        "it waited the busy timeout first ({waited:?})"
    );
    assert!(
        err.message.contains("copy.db"),
        "the message names the backup: {}",
        err.message
    );
    assert_eq!(
        files_in(dir.path()),
        ["source.db"],
        "no copy, half copy or journal is left"
    );
}

#[test]
fn a_copy_is_checked_and_written_under_a_temporary_name() {
    let dir = tempfile::tempdir().unwrap();
    let source = journal_database(&dir.path().join("source.db"));
    let target = dir.path().join("copy.db");
    fs::write(&target, "an old copy").unwrap();
    let size = write_checked_copy(&source, &target).expect("copied");
    assert_eq!(
        size,
        fs::metadata(&target).unwrap().len(),
        "the size is the file's"
    );
    assert_eq!(
        files_in(dir.path()),
        ["copy.db", "source.db"],
        "the temporary file was renamed into place"
    );
    let copy = Connection::open(&target).unwrap();
    assert_eq!(
        db::pragma_text(&copy, "integrity_check").unwrap(),
        "ok",
        "the copy is sound"
    );

    let err = write_checked_copy(&source, &dir.path().join("no").join("copy.db"))
        .expect_err("no such folder");
    assert_eq!(err.code, ErrorCode::Storage, "{}", err.message);
    assert!(
        err.message.contains("copy.db"),
        "the message names the backup: {}",
        err.message
    );
}

#[test]
fn free_names_count_up_when_a_name_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        free_name(dir.path(), "x"),
        dir.path().join("x.db"),
        "the plain name when free"
    );
    fs::write(dir.path().join("x.db"), "").unwrap();
    assert_eq!(
        free_name(dir.path(), "x"),
        dir.path().join("x-2.db"),
        "then -2"
    );
    fs::write(dir.path().join("x-2.db"), "").unwrap();
    assert_eq!(
        free_name(dir.path(), "x"),
        dir.path().join("x-3.db"),
        "then -3"
    );
}

#[test]
fn the_overview_lists_the_backups_newest_first() {
    let mut c = center();
    let overview_now = |c: &mut Center| {
        overview(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin)).expect("overview")
    };
    let empty = overview_now(&mut c);
    assert_eq!(
        empty.folder,
        Some(c.backups_folder().display().to_string()),
        "the folder beside the database"
    );
    assert_eq!(empty.keep, DEFAULT_KEEP, "the default number kept");
    assert!(empty.backups.is_empty(), "no backups yet");

    automatic_backup(&mut c.db, &c.clock, Occasion::Start).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    c.restore(&c.backups_folder().join("auto-2026-11-28T140000Z-start.db"))
        .expect("restored");
    fs::write(c.backups_folder().join(".hidden.db"), "x").unwrap();
    fs::write(c.backups_folder().join("readme.txt"), "x").unwrap();
    let listed = overview_now(&mut c);
    let names: Vec<(&str, bool)> = listed
        .backups
        .iter()
        .map(|b| (b.file_name.as_str(), b.automatic))
        .collect();
    assert_eq!(
        names,
        [
            ("before-restore-2026-11-28T140000Z.db", false),
            ("auto-2026-11-28T140000Z-start.db", true),
        ],
        "newest first, automatic ones marked, hidden and other files left out"
    );
    for backup in &listed.backups {
        assert_eq!(
            backup.size_bytes,
            fs::metadata(&backup.path).unwrap().len(),
            "{}: its size",
            backup.file_name
        );
    }

    let mut nurse = c.person("nell", &[Role::Nurse]);
    let err = overview(&mut c.db, &c.clock, &mut Actor::Staff(&mut nurse))
        .expect_err("administrators only");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);

    let mut memory = Database::open_in_memory().unwrap();
    let nothing = overview(&mut memory, &c.clock, &mut Center::cli()).expect("overview");
    assert_eq!(
        nothing.folder, None,
        "an in-memory database has no backups folder"
    );
}

#[test]
fn the_window_lock_is_per_database_and_named_beside_it() {
    let c = center();
    let path = c.live_path();
    let other = c.dir.path().join("other.db");
    let first = db::WindowLock::acquire(&path).expect("the first window");
    let err = db::WindowLock::acquire(&path).expect_err("a second window on the same database");
    assert_eq!(err.code, ErrorCode::AlreadyOpen, "{}", err.message);
    assert!(
        err.message.contains("desk.db"),
        "the message names the database: {}",
        err.message
    );
    let _other = db::WindowLock::acquire(&other).expect("another database has its own window");
    assert!(
        c.dir.path().join("desk.db.lock").is_file(),
        "the lock is a .lock file beside the database"
    );
    Database::open(&path).expect("the lock does not stop the command line opening the database");
    drop(first);
    let again = db::WindowLock::acquire(&path).expect("free again once the first window closed");
    let err = db::WindowLock::acquire(&path).expect_err("and held again");
    assert_eq!(err.code, ErrorCode::AlreadyOpen, "{}", err.message);
    drop(again);
}

#[test]

fn a_backup_never_replaces_the_databases_own_side_files() {
    let mut c = center();
    c.arrive("Sunny");
    for suffix in ["-wal", "-shm", ".lock"] {
        let out = sidecar(&c.live_path(), suffix);
        if !out.exists() {
            fs::write(&out, "").unwrap();
        }
        let err = back_up(
            &mut c.db,
            &c.clock,
            &mut Actor::Staff(&mut c.admin),
            &out,
            true,
        )
        .expect_err("a file of the live database is not a backup target");
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "{suffix}: {}",
            err.message
        );
    }
}

#[test]

fn a_backup_to_a_long_but_valid_file_name_works() {
    let mut c = center();
    let name = format!("{}.db", "b".repeat(240));
    fs::write(c.dir.path().join(&name), "").unwrap();
    fs::remove_file(c.dir.path().join(&name)).unwrap();
    c.back_up(&name)
        .expect("a name the file system accepts is a fine backup name");
    assert!(c.dir.path().join(&name).is_file(), "the backup exists");
}

// ---- Restore cannot smuggle in another schema; looking changes nothing (issue 17) ----

/// A good backup of `c` named `name`, then `sql` run on it (as someone with the file could).
fn altered_backup(c: &mut Center, name: &str, sql: &str) -> PathBuf {
    c.back_up(name).expect("backed up");
    let path = c.dir.path().join(name);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(sql).expect("the file is altered");
    drop(conn);
    path
}

#[test]
fn a_backup_whose_schema_is_not_the_migrations_is_refused_naming_what_differs() {
    let mut c = center();
    c.arrive("Sunny");
    for (name, sql, named) in [
        (
            "extra-trigger.db",
            "CREATE TRIGGER audit_log_forgets AFTER INSERT ON audit_log
             BEGIN DELETE FROM audit_log WHERE id = new.id; END;",
            "extra trigger `audit_log_forgets` on `audit_log`",
        ),
        (
            "missing-trigger.db",
            "DROP TRIGGER audit_log_refuses_delete;",
            "lacks the trigger `audit_log_refuses_delete` on `audit_log`",
        ),
        (
            "extra-view.db",
            "CREATE VIEW everyone AS SELECT * FROM guests;",
            "extra view `everyone`",
        ),
        (
            "extra-index.db",
            "CREATE INDEX guests_by_nickname_again ON guests (nickname);",
            "extra index `guests_by_nickname_again` on `guests`",
        ),
        (
            "extra-table.db",
            "CREATE TABLE copied_out (x TEXT);",
            "extra table `copied_out`",
        ),
        (
            "changed-trigger.db",
            "DROP TRIGGER audit_log_refuses_update;
             CREATE TRIGGER audit_log_refuses_update BEFORE UPDATE ON audit_log
             WHEN 0 BEGIN SELECT 1; END;",
            "trigger `audit_log_refuses_update` on `audit_log` is not as made",
        ),
    ] {
        let path = altered_backup(&mut c, name, sql);
        let bytes = fs::read(&path).unwrap();
        let live_before = audit_actions(&c.db).len();
        let err = c.restore(&path).expect_err(name);
        assert_eq!(
            err.code,
            ErrorCode::DatabaseCorrupt,
            "{name}: {}",
            err.message
        );
        assert!(
            err.message.contains(named) && err.message.contains("nothing was changed"),
            "{name}: the message names the object and says nothing changed: {}",
            err.message
        );
        assert_eq!(
            nicknames(c.db.conn()),
            ["Sunny"],
            "{name}: the data is as it was"
        );
        assert_eq!(
            audit_actions(&c.db).len(),
            live_before,
            "{name}: nothing was restored or recorded as restored"
        );
        assert_eq!(fs::read(&path).unwrap(), bytes, "{name} is left as it was");
        let err = read_backup_file(&path).expect_err("described as refused too");
        assert!(err.message.contains(named), "{name}: {}", err.message);
    }
    assert!(
        files_in(&c.backups_folder())
            .iter()
            .all(|name| !name.starts_with("before-restore")),
        "a refused restore makes no copy of the database: {:?}",
        files_in(&c.backups_folder())
    );
    assert_no_leftovers(c.dir.path(), "after the refusals");
}

#[test]
fn an_older_backup_with_its_versions_schema_is_accepted_and_one_altered_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    older_backup(&path);
    read_backup_file(&path).expect("version 4 as version 4 made it");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TRIGGER later AFTER INSERT ON guests BEGIN SELECT 1; END;")
        .unwrap();
    let err = read_backup_file(&path).expect_err("an extra trigger in an old backup");
    assert!(
        err.message.contains("version 4") && err.message.contains("`later`"),
        "{}",
        err.message
    );
}

/// Modification time and bytes of a file.
fn stamp(path: &Path) -> (std::time::SystemTime, Vec<u8>) {
    (
        fs::metadata(path).unwrap().modified().unwrap(),
        fs::read(path).unwrap(),
    )
}

#[test]
fn describing_a_backup_never_changes_it_even_one_to_migrate_with_a_write_ahead_log() {
    let dir = tempfile::tempdir().unwrap();
    // A version-4 database in write-ahead logging, copied with its log while still open:
    // what someone gets by copying the files of a running older version.
    let live = dir.path().join("old-live.db");
    let db = database_with_steps(&live, &[M0001, M0002, M0003, M0004]);
    db.conn()
        .execute_batch(
            "INSERT INTO staff (id, username, display_name, password_hash, created_at, updated_at)
                 VALUES (1, 'olga', 'Olga', 'x', '2025-01-02T10:00:00Z', '2025-01-02T10:00:00Z');",
        )
        .unwrap();
    let copy = dir.path().join("old-copy.db");
    fs::copy(&live, &copy).unwrap();
    fs::copy(files::sidecar(&live, "-wal"), files::sidecar(&copy, "-wal")).unwrap();
    drop(db);
    // Older than now, so a write would show in the time too.
    let past = std::time::SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&copy)
        .unwrap()
        .set_modified(past)
        .unwrap();
    let before = stamp(&copy);

    let mut c = center();
    let found =
        describe(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), &copy).expect("described");
    assert_eq!(found.schema_version, 4, "it would need migrating");
    assert_eq!(found.staff, 1, "what is in its write-ahead log is read too");
    assert_eq!(
        stamp(&copy),
        before,
        "looking at a backup leaves its bytes and its modification time as they were"
    );
}

#[cfg(unix)]
#[test]
fn backups_and_the_copies_made_before_a_restore_are_their_owners_only() {
    use crate::files::tests::mode;
    let mut c = center();
    c.arrive("Sunny");
    let made = c.back_up("monday.db").expect("backed up");
    assert_eq!(
        mode(Path::new(&made.path)),
        0o600,
        "a backup is its owner's only"
    );
    let automatic = automatic_backup(&mut c.db, &c.clock, Occasion::CloseOut)
        .unwrap()
        .expect("made");
    assert_eq!(mode(&automatic), 0o600, "an automatic backup too");
    assert_eq!(
        mode(&c.backups_folder()),
        0o700,
        "the backups folder is its owner's only"
    );
    let done = c.restore(Path::new(&made.path)).expect("restored");
    let saved = PathBuf::from(done.previous_database_saved_to.expect("saved"));
    assert_eq!(mode(&saved), 0o600, "the copy made before a restore too");
    for file in [
        &made.path,
        &automatic.display().to_string(),
        &saved.display().to_string(),
    ] {
        let anchor = crate::anchor::anchor_path(Path::new(file));
        assert_eq!(mode(&anchor), 0o600, "the anchor beside {file} too");
    }
}

// ---- The audit anchor through backups and restores (issue 17) ----

#[test]
fn every_backup_carries_its_head_beside_it_and_moves_the_databases_anchor() {
    let mut c = center();
    c.arrive("Sunny");
    let made = c.back_up("monday.db").expect("backed up");
    let copy = Connection::open(&made.path).unwrap();
    let copy_head = crate::anchor::head(&copy).unwrap().expect("entries");
    assert_eq!(
        crate::anchor::read(Path::new(&made.path)).unwrap(),
        Some(copy_head),
        "the backup's anchor is the newest entry it holds"
    );
    let live_head = crate::anchor::head(c.db.conn()).unwrap();
    assert_eq!(
        crate::anchor::read(&c.dir.path().join("desk.db")).unwrap(),
        live_head,
        "the database's anchor moved to its newest entry (the backup's own)"
    );
}

#[test]
fn a_restore_names_the_head_it_replaced_and_the_restored_log_verifies() {
    let mut c = center();
    c.arrive("Sunny");
    c.back_up("monday.db").expect("backed up");
    c.arrive("Later");
    crate::audit::anchor_head(&mut c.db).unwrap();
    let replaced = crate::anchor::head(c.db.conn()).unwrap().expect("entries");
    let backup_head = crate::anchor::read(&c.dir.path().join("monday.db"))
        .unwrap()
        .expect("the backup's anchor");
    assert!(
        replaced.id > backup_head.id,
        "the live log is longer than the backup's"
    );

    c.restore(&c.dir.path().join("monday.db"))
        .expect("restored");
    let entry = crate::audit::list(
        &c.db,
        &crate::audit::Filter {
            limit: 1,
            ..crate::audit::Filter::default()
        },
    )
    .unwrap()
    .remove(0);
    assert_eq!(
        (entry.action.as_str(), entry.id, entry.prev_hash.as_str()),
        (
            "backup.restore",
            backup_head.id + 1,
            backup_head.hash.as_str()
        ),
        "the restore is the first entry after the backup's own"
    );
    assert!(
        entry
            .detail
            .contains(&format!("replaced_head={}:{}", replaced.id, replaced.hash)),
        "it names the head it replaced: {}",
        entry.detail
    );
    assert_eq!(
        crate::audit::verify(&c.db).unwrap().first_broken,
        None,
        "the restored log verifies against the anchor"
    );
    assert_eq!(
        crate::anchor::read(&c.dir.path().join("desk.db"))
            .unwrap()
            .map(|anchor| anchor.id),
        Some(entry.id),
        "the anchor moved back to the restored head"
    );
}

#[test]
fn a_backup_whose_log_was_cut_short_after_it_was_made_is_refused() {
    let mut c = center();
    c.arrive("Sunny");
    c.arrive("Rain");
    let path = altered_backup(
        &mut c,
        "cut.db",
        "DROP TRIGGER audit_log_refuses_delete;
         DELETE FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log);
         CREATE TRIGGER audit_log_refuses_delete BEFORE DELETE ON audit_log
         BEGIN
             SELECT RAISE(ABORT, 'the audit log is append-only');
         END;",
    );
    // The trigger was put back as the migration wrote it: the schema passes, the anchor
    // beside the backup does not.
    let err = c.restore(&path).expect_err("cut short");
    assert_eq!(err.code, ErrorCode::DatabaseCorrupt, "{}", err.message);
    assert!(
        err.message.contains("entries were removed") && err.message.contains("cannot be restored"),
        "it says why: {}",
        err.message
    );
    assert_eq!(nicknames(c.db.conn()), ["Sunny", "Rain"], "nothing changed");
}

#[test]
fn pruning_removes_the_anchors_of_the_backups_it_deletes() {
    let mut c = center();
    set_keep(&mut c.db, &c.clock, &mut Actor::Staff(&mut c.admin), "2").unwrap();
    for _ in 0..4 {
        c.clock.advance(chrono::Duration::days(1));
        automatic_backup(&mut c.db, &c.clock, Occasion::CloseOut).unwrap();
    }
    let backups = files_in(&c.backups_folder());
    assert_eq!(backups.len(), 2, "two kept: {backups:?}");
    let expected: Vec<String> = backups
        .iter()
        .map(|name| format!("{name}.audit-anchor"))
        .collect();
    assert_eq!(
        anchors_in(&c.backups_folder()),
        expected,
        "each kept backup has its anchor, and no deleted one left its anchor behind"
    );
}
