//! Migration safety: a database at every earlier schema version, with rows in every table,
//! is migrated to the newest version by the real open path, and nothing is lost: every row
//! of every table keeps every value of every column that still exists.
//!
//! Each migration `migrations/NNNN-name/up.sql` has a seed, `tests/fixtures/migration-seeds/
//! NNNN.sql`, written against the schema as it was right after that migration. A new
//! migration without a seed fails this test: add the seed with the migration.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use engagement_desk_core::db::{Database, APPLICATION_ID};
use engagement_desk_tests::TempDb;
use rusqlite::types::Value;
use rusqlite::Connection;

/// Tables or columns a migration removes on purpose, with the reason. None so far.
const REMOVED_ON_PURPOSE: &[(&str, &str)] = &[];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// (number, up.sql text, seed text) for every migration, in order.
fn migrations_with_seeds() -> Vec<(String, String, String)> {
    let mut folders: Vec<PathBuf> = fs::read_dir(root().join("migrations"))
        .expect("migrations folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    folders
        .into_iter()
        .map(|folder| {
            let name = folder.file_name().unwrap().to_string_lossy().into_owned();
            let number = name[..4].to_string();
            let up = fs::read_to_string(folder.join("up.sql")).expect("up.sql");
            let seed_path = root()
                .join("tests/fixtures/migration-seeds")
                .join(format!("{number}.sql"));
            let seed = fs::read_to_string(&seed_path).unwrap_or_else(|_| {
                panic!(
                    "migration {name} has no seed: add {} with rows for every table it creates, \
                     so the migration-safety test can prove later migrations keep them",
                    seed_path.display()
                )
            });
            (number, up, seed)
        })
        .collect()
}

/// A database file at schema version `version`, built the way the app built it then (each
/// migration in order), with each migration's seed applied right after it.
fn database_at(path: &Path, version: usize) {
    let conn = Connection::open(path).expect("a new file");
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .expect("ours");
    conn.pragma_update(None, "foreign_keys", "ON")
        .expect("keys");
    for (index, (number, up, seed)) in migrations_with_seeds().iter().take(version).enumerate() {
        conn.execute_batch(&format!("BEGIN; {up} COMMIT;"))
            .unwrap_or_else(|err| panic!("migration {number} applies: {err}"));
        conn.execute_batch(&format!("BEGIN; {seed} COMMIT;"))
            .unwrap_or_else(|err| {
                panic!(
                    "the seed of {number} applies at version {}: {err}",
                    index + 1
                )
            });
        conn.pragma_update(None, "user_version", i64::try_from(index + 1).expect("few"))
            .expect("version");
    }
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .expect("check");
    assert_eq!(
        broken, 0,
        "the seeds up to version {version} point at rows that exist"
    );
}

/// One row: column name to value.
type Row = BTreeMap<String, Value>;

fn tables(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .expect("tables");
    let names = statement
        .query_map([], |row| row.get(0))
        .expect("rows")
        .map(|name| name.expect("name"))
        .collect();
    names
}

/// Every row of every table, keyed by table, then by the row's key (its primary key
/// columns, or rowid), then by column.
fn snapshot(conn: &Connection) -> BTreeMap<String, Vec<(String, Row)>> {
    let mut all = BTreeMap::new();
    for table in tables(conn) {
        let mut key_columns: Vec<(i64, String)> = conn
            .prepare(&format!(
                "SELECT pk, name FROM pragma_table_info('{table}') WHERE pk > 0"
            ))
            .expect("keys")
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("rows")
            .map(|key| key.expect("key"))
            .collect();
        key_columns.sort();
        let key_sql = if key_columns.is_empty() {
            "rowid".to_string()
        } else {
            key_columns
                .iter()
                .map(|(_, name)| format!("quote(\"{name}\")"))
                .collect::<Vec<_>>()
                .join(" || '/' || ")
        };
        let mut statement = conn
            .prepare(&format!("SELECT {key_sql} AS row_key, * FROM \"{table}\""))
            .expect("select");
        let names: Vec<String> = statement
            .column_names()
            .iter()
            .map(|name| (*name).to_string())
            .collect();
        let rows: Vec<(String, Row)> = statement
            .query_map([], |row| {
                let key: Value = row.get(0)?;
                let mut columns = BTreeMap::new();
                for (index, name) in names.iter().enumerate().skip(1) {
                    columns.insert(name.clone(), row.get::<_, Value>(index)?);
                }
                Ok((format!("{key:?}"), columns))
            })
            .expect("rows")
            .map(|row| row.expect("row"))
            .collect();
        all.insert(table, rows);
    }
    all
}

fn assert_nothing_lost(
    before: &BTreeMap<String, Vec<(String, Row)>>,
    after: &BTreeMap<String, Vec<(String, Row)>>,
    from: usize,
) {
    for (table, rows) in before {
        if REMOVED_ON_PURPOSE.iter().any(|(name, _)| name == table) {
            continue;
        }
        let kept = after
            .get(table)
            .unwrap_or_else(|| panic!("migrating from version {from} must keep the table {table}"));
        let kept: BTreeMap<&String, &Row> = kept.iter().map(|(key, row)| (key, row)).collect();
        for (key, row) in rows {
            let now = kept.get(key).unwrap_or_else(|| {
                panic!("migrating from version {from} must keep the row {key} of {table}")
            });
            for (column, value) in row {
                let removed = REMOVED_ON_PURPOSE
                    .iter()
                    .any(|(name, _)| *name == format!("{table}.{column}"));
                if removed {
                    continue;
                }
                let still = now.get(column).unwrap_or_else(|| {
                    panic!("migrating from version {from} must keep the column {table}.{column}")
                });
                assert_eq!(
                    still, value,
                    "migrating from version {from} must keep {table}.{column} of row {key}"
                );
            }
        }
    }
}

#[test]
fn every_earlier_version_with_data_in_every_table_migrates_without_loss() {
    let migrations = migrations_with_seeds();
    let latest = migrations.len();
    for version in 1..=latest {
        let db = TempDb::new();
        database_at(&db.path, version);
        let before = {
            let conn = Connection::open(&db.path).expect("opens");
            let before = snapshot(&conn);
            for (table, rows) in &before {
                assert!(
                    !rows.is_empty(),
                    "version {version}: the seeds must put data in every table, {table} is empty"
                );
            }
            before
        };
        if version == latest {
            continue; // the newest schema: nothing to migrate; its tables have data (above)
        }

        let database = Database::open(&db.path).unwrap_or_else(|err| {
            panic!(
                "a version-{version} database opens and migrates: {}",
                err.message
            )
        });
        let report = database.open_report().clone();
        drop(database);
        assert_eq!(
            (report.previous_schema_version, report.schema_version),
            (version as u32, latest as u32),
            "version {version} is migrated to the newest"
        );
        let backup = report
            .pre_migration_backup
            .unwrap_or_else(|| panic!("version {version} is backed up before migrating"));
        let backup_conn = Connection::open(&backup).expect("the backup opens");
        assert_eq!(
            snapshot(&backup_conn),
            before,
            "the backup made before migrating from {version} holds the database as it was"
        );

        let conn = Connection::open(&db.path).expect("opens");
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .expect("check");
        assert_eq!(integrity, "ok", "migrated from {version}: integrity_check");
        let broken: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })
            .expect("check");
        assert_eq!(
            broken, 0,
            "migrated from {version}: every link points at a row"
        );
        assert_nothing_lost(&before, &snapshot(&conn), version);
    }
}
