//! `engagement-desk backup` and `restore` against the real binary, as a supervisor or IT
//! person would use them when something went wrong.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use std::fs;
use std::path::Path;

use engagement_desk_core::auth::{self, Role};
use engagement_desk_core::clock::SystemClock;
use engagement_desk_core::db::{Database, Schema, WindowLock};
use engagement_desk_core::guests::NewGuest;
use engagement_desk_core::visits;
use engagement_desk_tests::{run_cli, story_staff, TempDb, STORY_PASSWORD};

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A database with the story staff and the guests `names` checked in by `fran`.
fn database_with_guests(path: &Path, names: &[&str]) {
    let mut database = Database::open(path).expect("opens");
    if auth::needs_first_admin(&database).expect("asks") {
        story_staff(&mut database, &SystemClock, &[("fran", Role::FrontDesk)]);
    }
    add_guests(&mut database, names);
}

fn add_guests(database: &mut Database, names: &[&str]) {
    let mut fran = auth::login(database, &SystemClock, "fran", STORY_PASSWORD).expect("fran");
    for name in names {
        let new = NewGuest {
            nickname: Some((*name).to_string()),
            ..NewGuest::default()
        };
        visits::register_and_check_in(database, &SystemClock, &mut fran, &new, false)
            .expect("registered");
    }
}

fn nicknames(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("opens");
    let mut statement = conn
        .prepare("SELECT nickname FROM guests ORDER BY id")
        .expect("query");
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .expect("rows")
        .map(|name| name.expect("name"))
        .collect();
    names
}

#[test]
fn backup_writes_a_checked_copy_and_restore_brings_it_back() {
    let db = TempDb::new();
    database_with_guests(&db.path, &["Ana", "Ben"]);
    let copy = db.dir.path().join("monday.db");

    let made = run_cli(
        &["--db", text(&db.path), "backup", "--out", text(&copy)],
        &[],
    );
    assert_eq!(made.code, Some(0), "backup succeeds: {}", made.stderr);
    assert!(
        made.stdout.contains("integrity check ok"),
        "it says the copy was checked: {}",
        made.stdout
    );
    let check = run_cli(&["--db", text(&copy), "check"], &[]);
    assert_eq!(check.code, Some(0), "the copy is a healthy database");
    assert!(
        !db.dir.path().join("monday.db-wal").exists(),
        "a backup is one self-contained file"
    );

    // A second backup to the same name is refused unless --force.
    let bytes = fs::read(&copy).expect("copy");
    let again = run_cli(
        &["--db", text(&db.path), "backup", "--out", text(&copy)],
        &[],
    );
    assert_eq!(
        again.code,
        Some(1),
        "an existing file is not replaced silently"
    );
    assert!(again.stderr.contains("[conflict]"), "{}", again.stderr);
    assert_eq!(
        fs::read(&copy).expect("copy"),
        bytes,
        "the existing backup is untouched"
    );

    database_with_guests(&db.path, &["Cy"]);
    let forced = run_cli(
        &[
            "--db",
            text(&db.path),
            "backup",
            "--out",
            text(&copy),
            "--force",
        ],
        &[],
    );
    assert_eq!(forced.code, Some(0), "--force replaces: {}", forced.stderr);
    assert_eq!(
        nicknames(&copy),
        ["Ana", "Ben", "Cy"],
        "the new copy has Cy"
    );

    // Restore the first state from an older copy made meanwhile.
    let older = db.dir.path().join("older.db");
    fs::write(&older, &bytes).expect("the first copy kept");
    let restored = run_cli(&["--db", text(&db.path), "restore", text(&older)], &[]);
    assert_eq!(
        restored.code,
        Some(0),
        "restore succeeds: {}",
        restored.stderr
    );
    assert!(
        restored.stdout.contains("2 guests") && restored.stdout.contains("before is saved at"),
        "it says what was restored and where the previous database went: {}",
        restored.stdout
    );
    assert_eq!(
        nicknames(&db.path),
        ["Ana", "Ben"],
        "the backup's guests, and only them"
    );
    let saved: Vec<_> = fs::read_dir(db.dir.path().join("backups"))
        .expect("backups folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            let name = path.to_string_lossy();
            name.contains("before-restore-") && name.ends_with(".db")
        })
        .collect();
    assert_eq!(saved.len(), 1, "the database before the restore is kept");
    assert_eq!(
        nicknames(&saved[0]),
        ["Ana", "Ben", "Cy"],
        "the kept copy holds what the restore replaced"
    );
    let verify = run_cli(&["--db", text(&db.path), "audit", "verify"], &[]);
    assert_eq!(
        verify.code,
        Some(0),
        "the restored audit chain is intact: {}",
        verify.stderr
    );
}

#[test]
fn restore_refuses_what_it_must_not_restore_and_changes_nothing() {
    let db = TempDb::new();
    database_with_guests(&db.path, &["Ana"]);
    let live_names = nicknames(&db.path);

    let text_file = db.dir.path().join("notes.db");
    fs::write(&text_file, "not a database").expect("text");
    let truncated = db.dir.path().join("truncated.db");
    let copy = db.dir.path().join("copy.db");
    let made = run_cli(
        &["--db", text(&db.path), "backup", "--out", text(&copy)],
        &[],
    );
    assert_eq!(made.code, Some(0), "{}", made.stderr);
    let bytes = fs::read(&copy).expect("copy");
    fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("half a copy");
    let newer = db.dir.path().join("newer.db");
    fs::write(&newer, &bytes).expect("copy");
    rusqlite::Connection::open(&newer)
        .and_then(|conn| conn.execute_batch("PRAGMA user_version = 99"))
        .expect("a schema from the future");
    let foreign = db.dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .and_then(|conn| conn.execute_batch("CREATE TABLE recipes (name TEXT)"))
        .expect("another program's database");
    let missing = db.dir.path().join("missing.db");

    for (file, code, why) in [
        (&text_file, "[not_engagement_desk_database]", "a text file"),
        (&truncated, "[database_corrupt]", "a truncated backup"),
        (
            &newer,
            "[database_too_new]",
            "a backup from a newer version",
        ),
        (
            &foreign,
            "[not_engagement_desk_database]",
            "another program's database",
        ),
        (&missing, "[not_found]", "a missing file"),
        (&db.path, "[invalid_input]", "the database itself"),
    ] {
        let before = fs::read(file).ok();
        let refused = run_cli(&["--db", text(&db.path), "restore", text(file)], &[]);
        assert_eq!(refused.code, Some(1), "{why} is refused");
        assert!(
            refused.stderr.contains(code),
            "{why} is refused with {code}: {}",
            refused.stderr
        );
        assert_eq!(fs::read(file).ok(), before, "{why} is left as it was");
        assert_eq!(
            nicknames(&db.path),
            live_names,
            "{why}: the database is unchanged"
        );
    }

    // Not under an open window.
    let window = WindowLock::acquire(&db.path).expect("the window's lock");
    let refused = run_cli(&["--db", text(&db.path), "restore", text(&copy)], &[]);
    assert_eq!(refused.code, Some(1), "no restore under an open window");
    assert!(
        refused.stderr.contains("[already_open]") && refused.stderr.contains("close it first"),
        "{}",
        refused.stderr
    );
    drop(window);

    let missing_db = db.dir.path().join("nothing-here.db");
    let no_db = run_cli(
        &[
            "--db",
            text(&missing_db),
            "backup",
            "--out",
            text(&db.dir.path().join("x.db")),
        ],
        &[],
    );
    assert_eq!(no_db.code, Some(1), "no database, no backup");
    assert!(
        no_db.stderr.contains("[database_missing]"),
        "{}",
        no_db.stderr
    );
    assert!(!missing_db.exists(), "backup never creates a database");
    let folder = run_cli(
        &[
            "--db",
            text(&db.path),
            "backup",
            "--out",
            text(db.dir.path()),
        ],
        &[],
    );
    assert!(
        folder.stderr.contains("[invalid_input]"),
        "a folder is not a file: {}",
        folder.stderr
    );
}

#[test]
fn an_older_backup_is_migrated_when_restored() {
    const FIRST_FOUR: [&str; 4] = [
        include_str!("../migrations/0001-foundation/up.sql"),
        include_str!("../migrations/0002-staff-and-audit/up.sql"),
        include_str!("../migrations/0003-audit-viewer/up.sql"),
        include_str!("../migrations/0004-front-desk/up.sql"),
    ];
    let db = TempDb::new();
    database_with_guests(&db.path, &["Today"]);

    // A backup from the version with four migrations, holding one account and one guest.
    let old = db.dir.path().join("old-version.db");
    {
        let schema = Schema::from_steps(&FIRST_FOUR).expect("schema 4");
        let mut database =
            Database::open_with(&old, &schema, &Default::default()).expect("a version-4 database");
        story_staff(&mut database, &SystemClock, &[("fran", Role::FrontDesk)]);
    }
    {
        // Written as version 4 wrote it: today's code writes columns that came later.
        let conn = rusqlite::Connection::open(&old).expect("the old database");
        conn.execute(
            "INSERT INTO guests (code, nickname, nickname_key, first_seen_date, created_at, created_by)
             VALUES (?1, 'Back then', 'back then', '2026-11-02', '2026-11-02T15:00:00Z',
                     (SELECT id FROM staff WHERE username = 'fran'))",
            [engagement_desk_core::guests::code::generate()],
        )
        .expect("a guest from back then");
    }
    let old_bytes = fs::read(&old).expect("the old backup");
    let restored = run_cli(&["--db", text(&db.path), "restore", text(&old)], &[]);
    assert_eq!(
        restored.code,
        Some(0),
        "restore succeeds: {}",
        restored.stderr
    );
    assert!(
        restored
            .stdout
            .contains("migrated from schema version 4 to"),
        "it says the backup was upgraded: {}",
        restored.stdout
    );
    assert_eq!(
        nicknames(&db.path),
        ["Back then"],
        "the old backup's guest is back"
    );
    let check = run_cli(&["--db", text(&db.path), "check"], &[]);
    assert_eq!(
        check.code,
        Some(0),
        "the restored database is current and healthy: {}",
        check.stderr
    );
    assert_eq!(
        fs::read(&old).expect("still there"),
        old_bytes,
        "the backup file itself is left as it was (the migration ran on a staging copy)"
    );
}

#[test]
fn restore_refuses_a_backup_with_a_schema_of_its_own_and_changes_nothing() {
    let db = TempDb::new();
    database_with_guests(&db.path, &["Ana"]);
    let copy = db.dir.path().join("altered.db");
    let made = run_cli(
        &["--db", text(&db.path), "backup", "--out", text(&copy)],
        &[],
    );
    assert_eq!(made.code, Some(0), "{}", made.stderr);
    rusqlite::Connection::open(&copy)
        .and_then(|conn| {
            conn.execute_batch(
                "CREATE TRIGGER audit_log_forgets AFTER INSERT ON audit_log
                 BEGIN DELETE FROM audit_log WHERE id = new.id; END;",
            )
        })
        .expect("a trigger that silently drops audit rows");
    let backup_bytes = fs::read(&copy).expect("the altered backup");
    let live_bytes = fs::read(&db.path).expect("the database");

    let refused = run_cli(&["--db", text(&db.path), "restore", text(&copy)], &[]);
    assert_eq!(refused.code, Some(1), "refused: {}", refused.stdout);
    assert!(
        refused.stderr.contains("[database_corrupt]")
            && refused.stderr.contains("extra trigger `audit_log_forgets`"),
        "the message names the trigger: {}",
        refused.stderr
    );
    assert_eq!(
        fs::read(&copy).expect("backup"),
        backup_bytes,
        "the backup is as it was"
    );
    assert_eq!(
        fs::read(&db.path).expect("database"),
        live_bytes,
        "the database is byte for byte as it was"
    );
    assert!(
        !db.dir.path().join("backups").exists()
            || fs::read_dir(db.dir.path().join("backups"))
                .expect("folder")
                .all(|entry| !entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .starts_with("before-restore")),
        "no copy of the database was made for a refused restore"
    );
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn the_database_its_backups_and_their_folders_are_their_owners_only() {
    // The default place, in the run's own HOME: the folder the app makes is 0700.
    let created = run_cli(&["migrate"], &[]);
    assert_eq!(created.code, Some(0), "{}", created.stderr);
    let folder = created
        .home
        .path()
        .join("data")
        .join("org.engagementdesk.frontdesk");
    assert_eq!(mode(&folder), 0o700, "the data folder is its owner's only");
    assert_eq!(
        mode(&folder.join("engagement-desk.db")),
        0o600,
        "the database is its owner's only"
    );

    let db = TempDb::new();
    database_with_guests(&db.path, &["Ana"]);
    let copy = db.dir.path().join("monday.db");
    let made = run_cli(
        &["--db", text(&db.path), "backup", "--out", text(&copy)],
        &[],
    );
    assert_eq!(made.code, Some(0), "{}", made.stderr);
    let restored = run_cli(&["--db", text(&db.path), "restore", text(&copy)], &[]);
    assert_eq!(restored.code, Some(0), "{}", restored.stderr);
    let backups = db.dir.path().join("backups");
    assert_eq!(mode(&backups), 0o700, "backups/ is its owner's only");
    let mut checked = vec![db.path.clone(), copy.clone()];
    for entry in fs::read_dir(&backups).expect("backups") {
        checked.push(entry.expect("entry").path());
    }
    assert!(
        checked
            .iter()
            .any(|path| path.to_string_lossy().contains("before-restore-")),
        "the copy made before the restore is among them: {checked:?}"
    );
    checked.push(db.dir.path().join("engagement-desk.db.audit-anchor"));
    checked.push(db.dir.path().join("monday.db.audit-anchor"));
    for path in &checked {
        assert_eq!(mode(path), 0o600, "{} is its owner's only", path.display());
    }
    let verify = run_cli(&["--db", text(&db.path), "audit", "verify"], &[]);
    assert_eq!(
        verify.code,
        Some(0),
        "the restored database verifies against its anchor: {}",
        verify.stderr
    );
    let check = run_cli(&["--db", text(&db.path), "check"], &[]);
    assert_eq!(check.code, Some(0), "and checks: {}", check.stderr);
}
