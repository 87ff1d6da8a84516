use super::*;
use crate::auth::{NewStaff, Role, Session};
use crate::clock::FixedClock;
use crate::guests::NewGuest;
use crate::visits;
use chrono::TimeZone;

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
    let desk = auth::login(&mut db, &clock, "pat", PASSWORD).unwrap();
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

fn files_in(folder: &Path) -> Vec<String> {
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
