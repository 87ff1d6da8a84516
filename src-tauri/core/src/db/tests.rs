use super::*;
use crate::clock::FixedClock;
use chrono::TimeZone;
use std::path::Path;

const FOUNDATION: &str = include_str!("../../../../migrations/0001-foundation/up.sql");
const SECOND_STEP: &str = "CREATE TABLE later_feature (id INTEGER PRIMARY KEY) STRICT;";

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("desk.db");
    (dir, path)
}

fn fixed_options() -> OpenOptions {
    let instant = chrono::Utc
        .with_ymd_and_hms(2026, 11, 28, 15, 4, 5)
        .single()
        .expect("valid instant");
    OpenOptions {
        clock: Arc::new(FixedClock::new(instant)),
    }
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("file is readable")
}

fn assert_refused_and_unchanged(path: &Path, expected: ErrorCode) {
    let before = bytes(path);
    let err = Database::open(path).expect_err("opening must be refused");
    assert_eq!(
        err.code,
        expected,
        "wrong code for {}: {}",
        path.display(),
        err.message
    );
    assert!(
        err.message.contains(&path.display().to_string()),
        "the message names the file: {}",
        err.message
    );
    assert_eq!(
        bytes(path),
        before,
        "a refused file is left byte-for-byte unchanged"
    );
    let folder = path.parent().expect("has a folder");
    let leftovers: Vec<_> = std::fs::read_dir(folder)
        .expect("folder readable")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with("-wal") || name.ends_with("-shm") || name == "backups")
        .collect();
    assert!(
        leftovers.is_empty(),
        "nothing is created beside a refused file: {leftovers:?}"
    );
}

#[test]
fn a_new_database_is_created_with_the_safe_settings() {
    let (_dir, path) = temp_db();
    let db = Database::open(&path).expect("a new database opens");
    assert!(db.open_report().created, "the first open creates the file");
    assert_eq!(
        db.pragma_text("journal_mode").expect("pragma"),
        "wal",
        "WAL lets readers and the writer work at once"
    );
    assert_eq!(
        db.pragma_text("synchronous").expect("pragma"),
        "2",
        "synchronous=FULL survives power cuts"
    );
    assert_eq!(
        db.pragma_text("foreign_keys").expect("pragma"),
        "1",
        "foreign keys are enforced"
    );
    assert_eq!(
        db.pragma_text("busy_timeout").expect("pragma"),
        "5000",
        "writers wait for each other"
    );
    assert_eq!(
        db.pragma_text("application_id").expect("pragma"),
        APPLICATION_ID.to_string(),
        "the file is marked as an Engagement Desk database"
    );
    let latest = Schema::embedded().expect("embedded").latest_version();
    assert_eq!(db.schema_version(), latest, "every migration is applied");
    assert!(latest >= 1, "there is at least the foundation migration");
}

#[test]
fn the_embedded_migrations_are_numbered_from_the_folder() {
    let schema = Schema::embedded().expect("embedded migrations load");
    assert_eq!(
        schema.latest_version() as usize,
        MIGRATIONS_DIR.dirs().count(),
        "one schema version per migration folder"
    );
}

#[test]
fn reopening_a_current_database_changes_nothing_and_backs_up_nothing() {
    let (dir, path) = temp_db();
    drop(Database::open(&path).expect("created"));
    let db = Database::open(&path).expect("reopened");
    let report = db.open_report();
    assert!(!report.created, "the second open finds the file");
    assert_eq!(
        report.previous_schema_version, report.schema_version,
        "no migration was needed"
    );
    assert_eq!(
        report.pre_migration_backup, None,
        "no backup without a migration"
    );
    assert!(
        !dir.path().join("backups").exists(),
        "no backup folder without a migration"
    );
}

#[test]
fn an_empty_file_becomes_a_database() {
    let (_dir, path) = temp_db();
    std::fs::write(&path, b"").expect("empty file");
    let db = Database::open(&path).expect("an empty file is a new database");
    assert!(
        db.open_report().created,
        "an empty file counts as a new database"
    );
}

#[test]
fn a_text_file_is_refused_and_left_unchanged() {
    let (_dir, path) = temp_db();
    std::fs::write(&path, "shopping list: soap, socks, coffee\n").expect("text file");
    assert_refused_and_unchanged(&path, ErrorCode::NotEngagementDeskDatabase);
}

#[test]
fn a_short_text_file_is_refused_and_left_unchanged() {
    let (_dir, path) = temp_db();
    std::fs::write(&path, "x").expect("one-byte file");
    assert_refused_and_unchanged(&path, ErrorCode::NotEngagementDeskDatabase);
}

#[test]
fn a_foreign_sqlite_file_is_refused_and_left_unchanged() {
    let (_dir, path) = temp_db();
    {
        let conn = Connection::open(&path).expect("foreign database");
        conn.execute_batch(
            "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');",
        )
        .expect("foreign content");
    }
    assert_refused_and_unchanged(&path, ErrorCode::NotEngagementDeskDatabase);
}

#[test]
fn a_foreign_sqlite_file_in_wal_mode_is_refused_and_left_unchanged() {
    let (_dir, path) = temp_db();
    {
        let conn = Connection::open(&path).expect("foreign database");
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);",
        )
        .expect("foreign content");
    }
    assert_refused_and_unchanged(&path, ErrorCode::NotEngagementDeskDatabase);
}

#[test]
fn a_truncated_database_is_refused_and_left_unchanged() {
    let (_dir, path) = temp_db();
    {
        let db = Database::open(&path).expect("created");
        db.conn()
            .execute_batch(
                "CREATE TABLE filler (x TEXT);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                 INSERT INTO filler SELECT hex(randomblob(40)) FROM n;",
            )
            .expect("filler rows");
    }
    let full = bytes(&path);
    assert!(full.len() > 3 * 4096, "the database spans several pages");
    std::fs::write(&path, &full[..full.len() / 2]).expect("truncate");
    assert_refused_and_unchanged(&path, ErrorCode::DatabaseCorrupt);
}

#[test]
fn a_file_shorter_than_its_header_says_is_not_damaged_while_its_log_holds_the_rest() {
    let (_dir, path) = temp_db();
    drop(Database::open(&path).expect("created"));
    let header = bytes(&path)[..SQLITE_HEADER_LEN].to_vec();
    let short = 4096;
    let err = check_header(&header, short, false, &path).expect_err("cut short");
    assert_eq!(err.code, ErrorCode::DatabaseCorrupt, "{}", err.message);
    assert!(
        check_header(&header, short, true, &path).is_ok(),
        "a checkpoint interrupted by a full disk leaves the rest in the write-ahead log"
    );
}

#[test]
fn a_file_cut_inside_its_header_is_refused_as_damaged() {
    let (_dir, path) = temp_db();
    drop(Database::open(&path).expect("created"));
    let full = bytes(&path);
    std::fs::write(&path, &full[..60]).expect("truncate inside the header");
    assert_refused_and_unchanged(&path, ErrorCode::DatabaseCorrupt);
}

#[test]
fn a_folder_is_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let err = Database::open(dir.path()).expect_err("a folder is not a database");
    assert_eq!(
        err.code,
        ErrorCode::NotEngagementDeskDatabase,
        "{}",
        err.message
    );
    assert!(
        err.message.contains("folder"),
        "the message says why: {}",
        err.message
    );
}

#[test]
fn a_missing_parent_folder_is_a_clear_storage_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("no-such-folder").join("desk.db");
    let err = Database::open(&path).expect_err("cannot create a file in a missing folder");
    assert_eq!(err.code, ErrorCode::Storage, "{}", err.message);
    assert!(
        err.message.contains("desk.db"),
        "the message names the file: {}",
        err.message
    );
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_unchanged() {
    let (_dir, path) = temp_db();
    let latest = Schema::embedded().expect("embedded").latest_version();
    {
        let db = Database::open(&path).expect("created");
        db.conn()
            .pragma_update(None, "user_version", latest + 1)
            .expect("pretend a newer version wrote it");
    }
    let before = bytes(&path);
    let err = Database::open(&path).expect_err("newer schema refused");
    assert_eq!(err.code, ErrorCode::DatabaseTooNew, "{}", err.message);
    assert!(
        err.message.contains("newer version"),
        "the message says why: {}",
        err.message
    );
    assert_eq!(bytes(&path), before, "a newer database is not touched");
}

#[test]
fn an_older_database_is_backed_up_then_migrated() {
    let (dir, path) = temp_db();
    let options = fixed_options();
    let v1 = Schema::from_steps(&[FOUNDATION]).expect("schema 1");
    let v2 = Schema::from_steps(&[FOUNDATION, SECOND_STEP]).expect("schema 2");
    {
        let db = Database::open_with(&path, &v1, &options).expect("created at schema 1");
        db.conn()
            .execute(
                "UPDATE settings SET value = 'America/Chicago' WHERE key = 'center_time_zone'",
                [],
            )
            .expect("data written at schema 1");
    }
    let db = Database::open_with(&path, &v2, &options).expect("migrated to schema 2");
    let report = db.open_report().clone();
    assert_eq!(
        (report.previous_schema_version, report.schema_version),
        (1, 2),
        "migrated one step"
    );
    let backup = report
        .pre_migration_backup
        .expect("a backup was made before migrating");
    assert_eq!(
        backup.parent(),
        Some(dir.path().join("backups").as_path()),
        "backups sit beside the database"
    );
    let name = backup
        .file_name()
        .and_then(|n| n.to_str())
        .expect("file name");
    assert_eq!(
        name, "desk-20261128T150405Z-before-schema-1-to-2.db",
        "the backup is timestamped and says what it precedes"
    );

    let copy = Connection::open(&backup).expect("backup opens");
    let version: u32 = copy
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(
        version, 1,
        "the backup holds the database as it was before the migration"
    );
    let zone: String = copy
        .query_row(
            "SELECT value FROM settings WHERE key = 'center_time_zone'",
            [],
            |r| r.get(0),
        )
        .expect("setting");
    assert_eq!(zone, "America/Chicago", "the backup holds the data");
    let migrated: String = db.pragma_text("user_version").expect("version");
    assert_eq!(migrated, "2", "the live database is migrated");
    assert_eq!(
        crate::settings::read(&db, "center_time_zone").expect("setting survives"),
        "America/Chicago",
        "migrations never lose data"
    );
}

#[test]
fn two_migrations_in_the_same_second_keep_both_backups() {
    let (_dir, path) = temp_db();
    let options = fixed_options();
    let v1 = Schema::from_steps(&[FOUNDATION]).expect("schema 1");
    let v2 = Schema::from_steps(&[FOUNDATION, SECOND_STEP]).expect("schema 2");
    drop(Database::open_with(&path, &v1, &options).expect("schema 1"));
    let first = Database::open_with(&path, &v2, &options).expect("schema 2");
    let first_backup = first
        .open_report()
        .pre_migration_backup
        .clone()
        .expect("backup");
    first
        .conn()
        .pragma_update(None, "user_version", 1)
        .expect("roll the version back");
    first
        .conn()
        .execute_batch("DROP TABLE later_feature")
        .expect("undo step 2");
    drop(first);
    let second = Database::open_with(&path, &v2, &options).expect("schema 2 again");
    let second_backup = second
        .open_report()
        .pre_migration_backup
        .clone()
        .expect("backup");
    assert_ne!(
        first_backup, second_backup,
        "a second backup never overwrites the first"
    );
    assert!(
        first_backup.exists() && second_backup.exists(),
        "both backups are kept"
    );
}

#[test]
fn a_failing_migration_is_rolled_back_and_the_data_kept() {
    let (_dir, path) = temp_db();
    let v1 = Schema::from_steps(&[FOUNDATION]).expect("schema 1");
    let broken = Schema::from_steps(&[
        FOUNDATION,
        // Passes on an empty database (so it survives validation) but not on real data.
        "CREATE TABLE half_done (x); CREATE UNIQUE INDEX one_per_value ON settings (value);",
    ])
    .expect("schema 2 (broken on real data)");
    {
        let db = Database::open_with(&path, &v1, &OpenOptions::default()).expect("schema 1");
        db.conn()
            .execute(
                "INSERT INTO settings (key, value, updated_at) VALUES ('other_zone', 'America/New_York', 'x')",
                [],
            )
            .expect("a second row with the same value");
    }
    let err = Database::open_with(&path, &broken, &OpenOptions::default())
        .expect_err("the broken migration fails");
    assert_eq!(err.code, ErrorCode::Storage, "{}", err.message);
    let db = Database::open_with(&path, &v1, &OpenOptions::default()).expect("still schema 1");
    assert_eq!(
        db.schema_version(),
        1,
        "the failed migration left the schema version alone"
    );
    let half_done: i64 = db
        .conn()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(
        half_done, 0,
        "a failed migration leaves no half-made tables"
    );
    let rows: i64 = db
        .conn()
        .query_row("SELECT count(*) FROM settings", [], |r| r.get(0))
        .expect("query");
    assert_eq!(
        rows, 2,
        "the data written before the failed migration is all there"
    );
}

#[test]
fn in_memory_databases_are_set_up_like_files() {
    let db = Database::open_in_memory().expect("in-memory");
    assert_eq!(
        db.pragma_text("foreign_keys").expect("pragma"),
        "1",
        "foreign keys on in tests too"
    );
    assert_eq!(
        db.pragma_text("synchronous").expect("pragma"),
        "2",
        "same durability settings"
    );
    assert_eq!(db.path(), None, "an in-memory database has no path");
}

#[test]
fn inspect_never_creates_anything() {
    let (dir, path) = temp_db();
    assert_eq!(
        inspect(&path).expect("inspect"),
        Inspection::Absent,
        "nothing there"
    );
    assert!(
        !path.exists(),
        "inspecting a missing file does not create it"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nor anything beside it"
    );
}

#[test]
fn check_reports_a_healthy_database() {
    let (_dir, path) = temp_db();
    drop(Database::open(&path).expect("created"));
    let report = check(&path).expect("healthy");
    assert_eq!(
        report.schema_version, report.latest_schema_version,
        "a new database is current"
    );
    assert!(report.size_bytes > 0, "the size is reported");
}

#[test]
fn check_explains_what_is_wrong() {
    let (dir, path) = temp_db();
    assert_eq!(
        check(&path).expect_err("absent").code,
        ErrorCode::DatabaseMissing,
        "no file"
    );
    std::fs::write(&path, b"").expect("empty");
    assert_eq!(
        check(&path).expect_err("empty").code,
        ErrorCode::DatabaseMissing,
        "empty file"
    );
    std::fs::write(&path, b"hello").expect("text");
    assert_eq!(
        check(&path).expect_err("text").code,
        ErrorCode::NotEngagementDeskDatabase,
        "a text file"
    );

    let old = dir.path().join("old.db");
    let v1 = Schema::from_steps(&[FOUNDATION]).expect("schema 1");
    let v2 = Schema::from_steps(&[FOUNDATION, SECOND_STEP]).expect("schema 2");
    drop(Database::open_with(&old, &v1, &OpenOptions::default()).expect("schema 1"));
    let err = check_with(&old, &v2).expect_err("outdated");
    assert_eq!(err.code, ErrorCode::SchemaOutdated, "{}", err.message);
    assert!(
        err.message.contains("migrate"),
        "the message says what to do: {}",
        err.message
    );
}

#[test]
fn check_finds_damage_inside_the_file() {
    let (_dir, path) = temp_db();
    {
        let db = Database::open(&path).expect("created");
        db.conn()
            .execute_batch(
                "CREATE TABLE filler (x TEXT);
                 CREATE INDEX filler_x ON filler (x);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
                 INSERT INTO filler SELECT hex(randomblob(40)) FROM n;",
            )
            .expect("filler rows");
    }
    let mut content = bytes(&path);
    let page = 4096;
    // Scribble over pages in the middle and at the end, which hold the filler rows (not
    // page 1, which holds the header, nor the small schema pages at the start).
    let pages = content.len() / page;
    for page_number in [pages / 2, pages / 2 + 3, pages - 4] {
        let start = page * page_number + 1000;
        for byte in &mut content[start..start + 3000] {
            *byte = 0xA5;
        }
    }
    std::fs::write(&path, &content).expect("damage");
    let err = check(&path).expect_err("damage is found");
    assert_eq!(err.code, ErrorCode::DatabaseCorrupt, "{}", err.message);
}

#[test]
fn a_large_database_opens_without_the_full_read_which_runs_after_and_finds_damage() {
    let (_dir, path) = temp_db();
    {
        let db = Database::open(&path).expect("created");
        db.conn()
            .execute_batch(
                "CREATE TABLE filler (x BLOB);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 17000)
                 INSERT INTO filler SELECT randomblob(4000) FROM n;",
            )
            .expect("filler rows");
    }
    let mut full = bytes(&path);
    assert!(
        full.len() as u64 > FULL_CHECK_AT_OPEN_MAX_BYTES,
        "the database is over the limit: {}",
        full.len()
    );
    assert!(
        !check_was_deferred(&temp_db().1),
        "a missing file is not deferred"
    );
    drop(Database::open(&path).expect("a healthy large database opens"));
    deferred_check(&path).expect("and reads whole as healthy");

    // Damage a page in the middle of the data: the open does not read it, the later check does.
    let page = 4096 * (full.len() / 4096 / 2);
    full[page..page + 16].copy_from_slice(&[0xFF; 16]);
    std::fs::write(&path, &full).expect("damaged");
    assert!(
        check_was_deferred(&path),
        "a large file's full read is deferred"
    );
    drop(Database::open(&path).expect("the schema is intact: the window opens"));
    let err = deferred_check(&path).expect_err("the full read finds the damage");
    assert_eq!(err.code, ErrorCode::DatabaseCorrupt, "{}", err.message);
    let err = check(&path).expect_err("engagement-desk check finds it too");
    assert_eq!(err.code, ErrorCode::DatabaseCorrupt, "{}", err.message);
}

#[cfg(unix)]
#[test]
fn the_database_and_its_side_files_are_their_owners_only() {
    use crate::files::tests::mode;
    let (dir, path) = temp_db();
    let db = Database::open(&path).expect("a new database");
    db.conn()
        .execute(
            "UPDATE settings SET value = 'America/Chicago' WHERE key = 'center_time_zone'",
            [],
        )
        .expect("a write, so the write-ahead log holds something");
    let _lock = WindowLock::acquire(&path).expect("the window's lock");
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let file = crate::files::sidecar(&path, suffix);
        assert_eq!(mode(&file), 0o600, "desk.db{suffix} is its owner's only");
    }
    drop(db);

    let old = dir.path().join("old.db");
    let v1 = Schema::from_steps(&[FOUNDATION]).expect("schema 1");
    let v2 = Schema::from_steps(&[FOUNDATION, SECOND_STEP]).expect("schema 2");
    drop(Database::open_with(&old, &v1, &fixed_options()).expect("schema 1"));
    let migrated = Database::open_with(&old, &v2, &fixed_options()).expect("schema 2");
    let copy = migrated
        .open_report()
        .pre_migration_backup
        .clone()
        .expect("copied before migrating");
    assert_eq!(mode(&copy), 0o600, "the copy made before a migration too");
    assert_eq!(
        mode(&dir.path().join("backups")),
        0o700,
        "and the backups folder is its owner's only"
    );
}

#[cfg(unix)]
#[test]
fn a_database_made_before_files_were_private_is_narrowed_when_opened() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = temp_db();
    drop(Database::open(&path).expect("created"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("widened");
    drop(Database::open(&path).expect("reopened"));
    assert_eq!(
        crate::files::tests::mode(&path),
        0o600,
        "an existing database is its owner's only after it is opened"
    );
}

#[test]
fn the_schema_of_each_version_is_what_its_migrations_make() {
    let schema = Schema::embedded().expect("embedded");
    let db = Database::open_in_memory().expect("in memory");
    schema
        .require_objects_of_version(db.conn(), schema.latest_version(), Path::new("memory"))
        .expect("a fresh database has exactly the latest schema");
    let err = schema
        .require_objects_of_version(db.conn(), 1, Path::new("memory"))
        .expect_err("the latest schema is not version 1's");
    assert!(
        err.message
            .contains("it has an extra trigger `audit_log_refuses_delete` on `audit_log`")
            && err.message.contains("more"),
        "names what version 1 does not have, triggers first, and says how many more: {}",
        err.message
    );
    assert!(
        schema.objects_at(0).expect("version 0").is_empty(),
        "version 0 has nothing"
    );
}
