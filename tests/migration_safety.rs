//! Migration safety: a database at every earlier schema version, with rows in every table,
//! is migrated to the newest version by the app's own open path, and nothing is lost.
//!
//! The migrations are read at run time from `migrations/NNNN-name/up.sql`. Each has a seed,
//! `tests/fixtures/migration-seeds/NNNN.sql`, written against the schema as it was right
//! after that migration and applied right after it. A migration without a seed fails this
//! test: a new migration brings its seed, with realistic rows for every table it creates.
//!
//! For every version k before the newest: migrations 1..k are applied one at a time through
//! `Database::open_with` (each followed by its seed), every table must hold rows, every row
//! is snapshotted, and `Database::open` migrates the file to the newest version. Then the
//! pre-migration backup must hold the database exactly as it was, the file must pass the
//! integrity and foreign-key checks and the audit hash chain check, and every snapshotted
//! row must still be there with the same value in every column (unless [`RETIRED`] says a
//! migration drops or renames that table or column on purpose, and why).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use engagement_desk_core::audit::{self, GENESIS_HASH};
use engagement_desk_core::db::{self, Database, OpenOptions, Schema};
use engagement_desk_tests::TempDb;
use rusqlite::types::Value;
use rusqlite::Connection;

/// A table or column a migration drops or renames on purpose. Data in it is not expected
/// to survive under its old name when migrating from a version before `migration`.
struct Retired {
    /// The number of the migration that drops or renames it.
    migration: u32,
    table: &'static str,
    /// `None`: the whole table.
    column: Option<&'static str>,
    /// Where the values live on: the new table name (for a table) or the new column name in
    /// the same table (for a column). `None`: dropped, the values are gone on purpose.
    renamed_to: Option<&'static str>,
    /// Why losing or moving it is right (reviewed like any other data-loss decision).
    reason: &'static str,
}

/// Every table or column a migration drops or renames, with the reason. None so far: all
/// migrations only add. (rusqlite_migration keeps its state in `PRAGMA user_version`, so
/// there is no bookkeeping table to leave out either.)
const RETIRED: &[Retired] = &[];

/// One migration: its folder, its SQL and its seed.
struct Step {
    version: u32,
    folder: String,
    up: &'static str,
    seed_path: PathBuf,
    seed: String,
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

fn seeds_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/migration-seeds")
}

/// The migrations in the repository, in order, each with its seed. A migration without a
/// seed, a seed without a migration, or a gap in the numbering fails here.
fn steps() -> Vec<Step> {
    let migrations = repository().join("migrations");
    let mut folders: Vec<String> = fs::read_dir(&migrations)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", migrations.display()))
        .map(|entry| entry.expect("a folder entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert!(
        !folders.is_empty(),
        "{} holds no migrations",
        migrations.display()
    );

    let mut steps = Vec::new();
    for (index, folder) in folders.into_iter().enumerate() {
        let version = u32::try_from(index + 1).expect("a few migrations");
        let number = format!("{version:04}");
        assert!(
            folder.starts_with(&format!("{number}-")),
            "migration folders are numbered NNNN-name without gaps: expected {number}-… but found {folder}"
        );
        let up_path = migrations.join(&folder).join("up.sql");
        let up = fs::read_to_string(&up_path)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", up_path.display()));
        let seed_path = seeds_folder().join(format!("{number}.sql"));
        let seed = fs::read_to_string(&seed_path).unwrap_or_else(|err| {
            panic!(
                "migration {folder} has no seed ({err}): add tests/fixtures/migration-seeds/{number}.sql \
                 with realistic rows for every table the migration creates (it is applied right \
                 after the migration, against the schema as it is then), so this test can prove \
                 that later migrations keep them"
            )
        });
        steps.push(Step {
            version,
            folder,
            // Schema::from_steps keeps the SQL for the whole run, as the embedded one does.
            up: Box::leak(up.into_boxed_str()),
            seed_path,
            seed,
        });
    }

    for entry in fs::read_dir(seeds_folder()).expect("the seeds folder") {
        let name = entry.expect("a seed entry").file_name();
        let name = name.to_string_lossy();
        let known = steps
            .iter()
            .any(|step| name == format!("{:04}.sql", step.version));
        assert!(
            known,
            "tests/fixtures/migration-seeds/{name} belongs to no migration in migrations/ (seeds are named NNNN.sql after their migration)"
        );
    }

    let embedded = Schema::embedded()
        .expect("the embedded migrations")
        .latest_version();
    assert_eq!(
        u32::try_from(steps.len()).expect("a few migrations"),
        embedded,
        "the migrations/ folder read by this test must be the one built into the app (rebuild?)"
    );
    steps
}

/// A plain connection to a database file, with foreign keys enforced as the app does.
fn connect(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("the database file opens");
    conn.pragma_update(None, "foreign_keys", "ON")
        .expect("foreign keys on");
    conn
}

fn table_names(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .expect("list the tables");
    let names = statement
        .query_map([], |row| row.get(0))
        .expect("list the tables")
        .map(|name| name.expect("a table name"))
        .collect();
    names
}

/// The rows of a table: by row key (its primary key values, or its rowid when it has no
/// declared primary key), each as column name -> value.
type Rows = BTreeMap<String, BTreeMap<String, Value>>;

/// Every row of every table, by table name.
type Snapshot = BTreeMap<String, Rows>;

fn snapshot(conn: &Connection) -> Snapshot {
    table_names(conn)
        .into_iter()
        .map(|table| {
            let rows = table_rows(conn, &table);
            (table, rows)
        })
        .collect()
}

fn table_rows(conn: &Connection, table: &str) -> Rows {
    let mut key_columns: Vec<(i64, String)> = conn
        .prepare("SELECT pk, name FROM pragma_table_info(?1) WHERE pk > 0")
        .expect("the table's primary key")
        .query_map([table], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("the table's primary key")
        .map(|column| column.expect("a key column"))
        .collect();
    key_columns.sort();
    let key_columns: Vec<String> = if key_columns.is_empty() {
        vec!["rowid".to_string()]
    } else {
        key_columns.into_iter().map(|(_, name)| name).collect()
    };
    let key_list = key_columns
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut statement = conn
        .prepare(&format!("SELECT {key_list}, * FROM \"{table}\""))
        .expect("read the table");
    let names: Vec<String> = statement
        .column_names()
        .into_iter()
        .skip(key_columns.len())
        .map(str::to_string)
        .collect();
    let keys = key_columns.len();
    let rows = statement
        .query_map([], |row| {
            let key = (0..keys)
                .map(|index| row.get::<_, Value>(index))
                .collect::<rusqlite::Result<Vec<Value>>>()?;
            let mut columns = BTreeMap::new();
            for (index, name) in names.iter().enumerate() {
                columns.insert(name.clone(), row.get::<_, Value>(keys + index)?);
            }
            Ok((format!("{key:?}"), columns))
        })
        .expect("read the table")
        .map(|row| row.expect("a row"))
        .collect();
    rows
}

fn schema_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("the schema version")
}

/// The rows `PRAGMA foreign_key_check` reports, as "table rowid -> parent" lines.
fn broken_links(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
        .expect("the foreign-key check");
    let lines = statement
        .query_map([], |row| {
            Ok(format!(
                "{} row {:?} points at a missing row of {}",
                row.get::<_, String>(0)?,
                row.get::<_, Value>(1)?,
                row.get::<_, String>(2)?
            ))
        })
        .expect("the foreign-key check")
        .map(|line| line.expect("a broken link"))
        .collect();
    lines
}

/// Check the audit log's hash chain the way `engagement-desk audit verify` does, and when
/// a seeded row is wrong say exactly what it needs.
fn assert_seeded_audit_chain_is_valid(conn: &Connection, step: &Step) {
    if !table_names(conn).iter().any(|name| name == "audit_log") {
        return;
    }
    let mut statement = conn
        .prepare(
            "SELECT id, at, actor, action, object, result, detail, prev_hash, hash FROM audit_log ORDER BY id",
        )
        .expect("read the audit log");
    let entries: Vec<(i64, [String; 8])> = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                [
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                    row.get(8)?,
                ],
            ))
        })
        .expect("read the audit log")
        .map(|entry| entry.expect("an audit entry"))
        .collect();
    let mut expected_prev = GENESIS_HASH.to_string();
    for (index, (id, [at, actor, action, object, result, detail, prev_hash, hash])) in
        entries.iter().enumerate()
    {
        let expected_id = i64::try_from(index + 1).expect("a few entries");
        let needed = audit::entry_hash(
            &expected_prev,
            expected_id,
            [at, actor, action, object, result, detail],
        );
        assert!(
            *id == expected_id && *prev_hash == expected_prev && *hash == needed,
            "{}: audit_log row {id} breaks the hash chain that `engagement-desk audit verify` checks; \
             for its content it needs id {expected_id}, prev_hash '{expected_prev}' and hash '{needed}' \
             (see audit::entry_hash)",
            step.seed_path.display()
        );
        expected_prev = needed;
    }
}

/// The tables each migration created (the tables a seed must fill), by table name.
type CreatedBy = BTreeMap<String, String>;

/// Build a database file at `path` at schema version `version`: through the app's open
/// path with the first j migrations for j = 1..=version, each followed by its seed.
/// Returns which migration created each table.
fn build(path: &Path, steps: &[Step], version: u32) -> CreatedBy {
    let mut created_by = CreatedBy::new();
    let mut tables_before: Vec<String> = Vec::new();
    for step in steps.iter().take_while(|step| step.version <= version) {
        let ups: Vec<&'static str> = steps
            .iter()
            .take_while(|earlier| earlier.version <= step.version)
            .map(|earlier| earlier.up)
            .collect();
        let schema = Schema::from_steps(&ups).unwrap_or_else(|err| {
            panic!(
                "migrations up to {} are valid: {}",
                step.folder, err.message
            )
        });
        let database = Database::open_with(path, &schema, &OpenOptions::default())
            .unwrap_or_else(|err| panic!("migration {} applies: {}", step.folder, err.message));
        assert_eq!(
            database.schema_version(),
            step.version,
            "after migration {} the schema version is {}",
            step.folder,
            step.version
        );
        drop(database);

        let mut conn = connect(path);
        for table in table_names(&conn) {
            if !tables_before.contains(&table) {
                created_by.insert(table, step.folder.clone());
            }
        }
        tables_before = table_names(&conn);
        let tx = conn.transaction().expect("a seed transaction");
        tx.execute_batch(&step.seed).unwrap_or_else(|err| {
            panic!(
                "{} must apply right after migration {} (schema version {}): {err}",
                step.seed_path.display(),
                step.folder,
                step.version
            )
        });
        tx.commit().expect("the seed commits");
        let broken = broken_links(&conn);
        assert!(
            broken.is_empty(),
            "{} must only point at rows that exist:\n{}",
            step.seed_path.display(),
            broken.join("\n")
        );
        assert_seeded_audit_chain_is_valid(&conn, step);
    }
    created_by
}

/// "Data in every table": a table without rows proves nothing about its migration.
fn assert_every_table_has_rows(before: &Snapshot, created_by: &CreatedBy, version: u32) {
    for (table, rows) in before {
        let creator = created_by.get(table).map_or("?", String::as_str);
        assert!(
            !rows.is_empty(),
            "at schema version {version} the table {table} is empty: the seed of the migration \
             that created it ({creator}) must insert rows into it, so that migrating it is tested"
        );
    }
}

/// Where a table's rows live after migrating from `from`, or `None` when a migration drops
/// the table on purpose.
fn table_after(table: &str, from: u32) -> Option<&str> {
    match RETIRED.iter().find(|retired| {
        retired.migration > from && retired.table == table && retired.column.is_none()
    }) {
        Some(retired) => retired.renamed_to,
        None => Some(table),
    }
}

/// Where a column's values live after migrating from `from`, or `None` when a migration
/// drops the column on purpose.
fn column_after<'a>(table: &str, column: &'a str, from: u32) -> Option<&'a str> {
    match RETIRED.iter().find(|retired| {
        retired.migration > from && retired.table == table && retired.column == Some(column)
    }) {
        Some(retired) => retired.renamed_to,
        None => Some(column),
    }
}

/// Every row of `before` is in `after` with every value unchanged, except what [`RETIRED`]
/// lists. Returns every loss found (not just the first).
fn losses(before: &Snapshot, after: &Snapshot, from: u32) -> Vec<String> {
    let mut problems = Vec::new();
    for (table, rows) in before {
        let Some(new_table) = table_after(table, from) else {
            continue;
        };
        let Some(kept) = after.get(new_table) else {
            problems.push(format!(
                "migrating from version {from} must keep the table {table} (it is gone; a \
                 migration that drops or renames a table must be listed in RETIRED with the reason)"
            ));
            continue;
        };
        for (key, row) in rows {
            let Some(now) = kept.get(key) else {
                problems.push(format!(
                    "migrating from version {from} must keep every row of {table}: the row with key {key} is gone"
                ));
                continue;
            };
            for (column, value) in row {
                let Some(new_column) = column_after(table, column, from) else {
                    continue;
                };
                match now.get(new_column) {
                    None => problems.push(format!(
                        "migrating from version {from} must keep the column {table}.{column} (it is \
                         gone; a migration that drops or renames a column must be listed in RETIRED \
                         with the reason)"
                    )),
                    Some(still) if still != value => problems.push(format!(
                        "migrating from version {from} must keep every value of {table}: {column} of \
                         the row with key {key} was {value:?} and is now {still:?}"
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

#[test]
fn retired_tables_and_columns_say_why() {
    for retired in RETIRED {
        assert!(
            !retired.reason.trim().is_empty(),
            "RETIRED lists {}{} (migration {}) without a reason",
            retired.table,
            retired.column.map(|c| format!(".{c}")).unwrap_or_default(),
            retired.migration
        );
    }
}

#[test]
fn every_earlier_version_with_data_in_every_table_migrates_without_losing_anything() {
    let steps = steps();
    let latest = u32::try_from(steps.len()).expect("a few migrations");
    for version in 1..latest {
        let db = TempDb::new();
        let created_by = build(&db.path, &steps, version);
        let before = snapshot(&connect(&db.path));
        assert_every_table_has_rows(&before, &created_by, version);

        let database = Database::open(&db.path).unwrap_or_else(|err| {
            panic!(
                "a database at schema version {version} must open and migrate: {}",
                err.message
            )
        });
        let report = database.open_report().clone();
        assert!(
            !report.created && report.previous_schema_version == version,
            "opening a version-{version} database must find it as it was: {report:?}"
        );
        assert_eq!(
            database.schema_version(),
            latest,
            "migrating from version {version} must reach the newest schema version"
        );
        let chain = audit::verify(&database).expect("the audit chain can be checked");
        assert_eq!(
            chain.first_broken, None,
            "migrating from version {version} must keep the audit log's hash chain intact"
        );
        drop(database);

        let backup = report.pre_migration_backup.unwrap_or_else(|| {
            panic!("migrating from version {version} must first write a backup of the database")
        });
        assert!(
            backup.starts_with(db::backup_folder(&db.path)) && backup.is_file(),
            "the backup made before migrating from version {version} must be a file in the backups folder: {}",
            backup.display()
        );
        let backup_conn = connect(&backup);
        assert_eq!(
            schema_version(&backup_conn),
            i64::from(version),
            "the backup made before migrating from version {version} must still be at version {version}"
        );
        assert!(
            snapshot(&backup_conn) == before,
            "the backup made before migrating from version {version} must hold every row as it was"
        );
        drop(backup_conn);

        let conn = connect(&db.path);
        assert_eq!(
            schema_version(&conn),
            i64::from(latest),
            "the file migrated from version {version} must say schema version {latest}"
        );
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .expect("the integrity check");
        assert_eq!(
            integrity, "ok",
            "the file migrated from version {version} must pass the integrity check"
        );
        let broken = broken_links(&conn);
        assert!(
            broken.is_empty(),
            "migrating from version {version} must leave no row pointing at a missing row:\n{}",
            broken.join("\n")
        );
        let lost = losses(&before, &snapshot(&conn), version);
        assert!(
            lost.is_empty(),
            "migrating from version {version} must not lose or change data:\n{}",
            lost.join("\n")
        );
    }
}

#[test]
fn the_full_upgrade_chain_with_every_seed_leaves_data_in_every_table() {
    let steps = steps();
    let latest = u32::try_from(steps.len()).expect("a few migrations");
    let db = TempDb::new();
    let created_by = build(&db.path, &steps, latest);
    let before = snapshot(&connect(&db.path));
    assert_every_table_has_rows(&before, &created_by, latest);

    // The app opens it as the current database: nothing to migrate, nothing changed.
    let database = Database::open(&db.path).expect("the newest database opens");
    let report = database.open_report().clone();
    assert!(
        report.previous_schema_version == latest
            && report.schema_version == latest
            && report.pre_migration_backup.is_none(),
        "a database at the newest version is opened without migrating or a backup: {report:?}"
    );
    let chain = audit::verify(&database).expect("the audit chain can be checked");
    assert_eq!(
        chain.first_broken, None,
        "the seeded audit log must be a valid hash chain"
    );
    drop(database);
    db::check(&db.path).unwrap_or_else(|err| {
        panic!(
            "`engagement-desk check` must find the seeded newest database healthy: {}",
            err.message
        )
    });
    let lost = losses(&before, &snapshot(&connect(&db.path)), latest);
    assert!(
        lost.is_empty(),
        "opening the newest database must change nothing:\n{}",
        lost.join("\n")
    );
}
