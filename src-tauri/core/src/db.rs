//! Opening databases: the one way the app, the command-line tool and the tests get a
//! connection.
//!
//! Opening goes in two steps. [`inspect`] looks at a file without changing it and decides
//! whether it is an Engagement Desk database (a file that is not one is never modified).
//! [`Database::open`] then sets the connection up (WAL, `synchronous=FULL`, foreign keys,
//! busy timeout), copies an existing database to a timestamped backup before a migration
//! changes it, and applies the embedded migrations in one transaction.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{include_dir, Dir};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use rusqlite_migration::Migrations;
use serde::Serialize;
use ts_rs::TS;

use crate::clock::{Clock, SystemClock};
use crate::error::{AppError, ErrorCode, Result};
use crate::files;

/// Written into the SQLite header (`PRAGMA application_id`) of every Engagement Desk
/// database, so that a foreign SQLite file is recognised from its first 100 bytes.
/// ASCII "EnDk".
pub const APPLICATION_ID: i32 = 0x456E_446B;

pub(crate) use crate::sqlite::pragma_text;
pub use crate::sqlite::BUSY_TIMEOUT;

/// The file name of the default database inside the app-data folder.
pub const DEFAULT_FILE_NAME: &str = "engagement-desk.db";

static MIGRATIONS_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../migrations");

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const SQLITE_HEADER_LEN: usize = 100;

/// An ordered list of schema migrations and the version it leads to.
#[derive(Debug)]
pub struct Schema {
    migrations: Migrations<'static>,
    latest: u32,
}

impl Schema {
    /// The migrations embedded from the `migrations/` folder at build time.
    pub fn embedded() -> Result<Schema> {
        let migrations = Migrations::from_directory(&MIGRATIONS_DIR).map_err(|err| {
            AppError::internal(format!("the embedded migrations are unreadable: {err}"))
        })?;
        let latest = MIGRATIONS_DIR.dirs().count();
        Schema::from_parts(migrations, latest)
    }

    /// A schema from explicit migration steps (tests use this to simulate upgrades).
    pub fn from_steps(steps: &[&'static str]) -> Result<Schema> {
        let migrations = Migrations::new(
            steps
                .iter()
                .map(|sql| rusqlite_migration::M::up(sql))
                .collect(),
        );
        Schema::from_parts(migrations, steps.len())
    }

    fn from_parts(migrations: Migrations<'static>, count: usize) -> Result<Schema> {
        migrations
            .validate()
            .map_err(|err| AppError::internal(format!("the migrations are invalid: {err}")))?;
        let latest = u32::try_from(count).map_err(|_| AppError::internal("too many migrations"))?;
        Ok(Schema { migrations, latest })
    }

    /// Bring the schema of `conn` up to date (restore uses this on its staging copy).
    pub(crate) fn migrate(&self, conn: &mut Connection) -> Result<()> {
        Ok(self.migrations.to_latest(conn)?)
    }

    /// The schema version a database has once every migration is applied.
    pub fn latest_version(&self) -> u32 {
        self.latest
    }

    /// The tables, indexes, triggers and views that these migrations make up to `version`,
    /// read from a fresh in-memory database migrated to it.
    pub(crate) fn objects_at(&self, version: u32) -> Result<Vec<SchemaObject>> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        if version > 0 {
            let steps = usize::try_from(version)
                .map_err(|_| AppError::internal("the schema version is out of range"))?;
            self.migrations.to_version(&mut conn, steps)?;
        }
        schema_objects(&conn)
    }

    /// Refuse a database (a backup about to be restored, say) whose tables, indexes,
    /// triggers and views are not exactly those the migrations make for its version: an
    /// extra trigger could drop audit rows in silence, a missing one would let them be
    /// changed. Names every object that differs. Reads only.
    pub(crate) fn require_objects_of_version(
        &self,
        conn: &Connection,
        version: u32,
        path: &Path,
    ) -> Result<()> {
        let expected = self.objects_at(version)?;
        let found = schema_objects(conn).map_err(|err| err.context(path.display().to_string()))?;
        let mut differences = schema_differences(&expected, &found);
        if differences.is_empty() {
            return Ok(());
        }
        // Messages are kept short (`MAX_MESSAGE_CHARS`): the first few, triggers first.
        const SHOWN: usize = 4;
        if differences.len() > SHOWN {
            let more = differences.len() - SHOWN;
            differences.truncate(SHOWN);
            differences.push(format!("and {more} more"));
        }
        Err(AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!(
                "{} is not as Engagement Desk makes schema version {version}, so it is not used and nothing was changed: {}",
                path.display(),
                differences.join("; ")
            ),
        ))
    }
}

/// One row of `sqlite_master`: what the schema holds, its SQL with the spacing evened out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaObject {
    pub kind: String,
    pub name: String,
    pub table: String,
    pub sql: Option<String>,
}

/// Every table, index, trigger and view of `conn`, by kind and name. SQLite's statistics
/// tables (`sqlite_stat1`, ... written by `ANALYZE` or `PRAGMA optimize`) are not schema.
fn schema_objects(conn: &Connection) -> Result<Vec<SchemaObject>> {
    let mut statement = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master
         WHERE name NOT LIKE 'sqlite\\_stat%' ESCAPE '\\'
         ORDER BY type, name",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(SchemaObject {
            kind: row.get(0)?,
            name: row.get(1)?,
            table: row.get(2)?,
            sql: row
                .get::<_, Option<String>>(3)?
                .map(|sql| sql.split_whitespace().collect::<Vec<_>>().join(" ")),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// What `found` has that `expected` has not, lacks, or has otherwise, in words: triggers
/// first (they act unseen), then views, tables and indexes.
fn schema_differences(expected: &[SchemaObject], found: &[SchemaObject]) -> Vec<String> {
    let key = |object: &SchemaObject| (object.kind.clone(), object.name.clone());
    let describe = |object: &SchemaObject| {
        if object.kind == "table" || object.name == object.table {
            format!("{} `{}`", object.kind, object.name)
        } else {
            format!("{} `{}` on `{}`", object.kind, object.name, object.table)
        }
    };
    let mut differences = Vec::new();
    for object in found {
        match expected.iter().find(|other| key(other) == key(object)) {
            None => differences.push((object, format!("it has an extra {}", describe(object)))),
            Some(other) if other != object => {
                differences.push((object, format!("its {} is not as made", describe(object))));
            }
            Some(_) => {}
        }
    }
    for object in expected {
        if !found.iter().any(|other| key(other) == key(object)) {
            differences.push((object, format!("it lacks the {}", describe(object))));
        }
    }
    let rank = |object: &SchemaObject| match object.kind.as_str() {
        "trigger" => 0,
        "view" => 1,
        "table" => 2,
        _ => 3,
    };
    differences.sort_by_key(|(object, _)| (rank(object), object.name.clone()));
    differences.into_iter().map(|(_, text)| text).collect()
}

/// What [`inspect`] found at a path. Inspecting never changes the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspection {
    /// Nothing there: opening will create a new database.
    Absent,
    /// An empty file: opening will make it a new database.
    Empty,
    /// An Engagement Desk database with this schema version.
    Existing { schema_version: u32 },
}

/// What happened when a database was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenReport {
    /// True when the database file was created by this open.
    pub created: bool,
    /// The schema version before migrations ran (0 for a new database).
    pub previous_schema_version: u32,
    /// The schema version now.
    pub schema_version: u32,
    /// Where the database was copied before a migration changed it, if it was.
    #[ts(type = "string | null")]
    pub pre_migration_backup: Option<PathBuf>,
}

/// The outcome of a full health check ([`check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    pub schema_version: u32,
    pub latest_schema_version: u32,
    #[ts(type = "number")]
    pub size_bytes: u64,
}

/// Options for opening a database; the defaults are what the app uses.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub clock: Arc<dyn Clock>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            clock: Arc::new(SystemClock),
        }
    }
}

/// An open, configured and migrated Engagement Desk database.
#[derive(Debug)]
pub struct Database {
    conn: Connection,
    path: Option<PathBuf>,
    report: OpenReport,
}

impl Database {
    /// Open (or create) the database at `path` with the embedded schema.
    pub fn open(path: &Path) -> Result<Database> {
        Database::open_with(path, &Schema::embedded()?, &OpenOptions::default())
    }

    /// Open with an explicit schema and options.
    pub fn open_with(path: &Path, schema: &Schema, options: &OpenOptions) -> Result<Database> {
        let inspection = inspect_with(path, schema)?;
        let creating = !matches!(inspection, Inspection::Existing { .. });
        if !creating {
            refuse_read_only(path)?;
        }
        let conn = if creating {
            create_file(path)?
        } else {
            open_existing(path)?
        };
        configure(&conn, true)?;
        if !creating {
            // A database made before files were kept private: its owner's only from now
            // on (best effort: a file owned by someone else keeps what it has).
            for suffix in ["", "-wal", "-shm"] {
                let _ = files::make_private(&files::sidecar(path, suffix));
            }
        }
        let previous = current_version(&conn)?;
        let mut backup = None;
        if previous > 0 && previous < schema.latest {
            backup = Some(backup_before_migration(
                &conn,
                path,
                previous,
                schema.latest,
                options,
            )?);
        }
        Database::finish_open(
            conn,
            Some(path.to_path_buf()),
            schema,
            options,
            creating,
            previous,
            backup,
        )
    }

    /// A fresh in-memory database set up exactly like a file one (tests use this).
    pub fn open_in_memory() -> Result<Database> {
        Database::open_in_memory_with(&Schema::embedded()?, &OpenOptions::default())
    }

    /// A fresh in-memory database with an explicit schema and options.
    pub fn open_in_memory_with(schema: &Schema, options: &OpenOptions) -> Result<Database> {
        let conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        configure(&conn, false)?;
        Database::finish_open(conn, None, schema, options, true, 0, None)
    }

    fn finish_open(
        mut conn: Connection,
        path: Option<PathBuf>,
        schema: &Schema,
        options: &OpenOptions,
        created: bool,
        previous_schema_version: u32,
        pre_migration_backup: Option<PathBuf>,
    ) -> Result<Database> {
        schema.migrations.to_latest(&mut conn)?;
        // Idempotent: records the creation once, on the first open that finds no record.
        conn.execute(
            "INSERT OR IGNORE INTO app_meta (id, created_at, created_by_version) VALUES (1, ?1, ?2)",
            (options.clock.now().to_rfc3339(), crate::APP_VERSION),
        )
        .map_err(|err| AppError::from(err).context("recording the database's creation"))?;
        let schema_version = current_version(&conn)?;
        Ok(Database {
            conn,
            path,
            report: OpenReport {
                created,
                previous_schema_version,
                schema_version,
                pre_migration_backup,
            },
        })
    }

    /// The file this database lives in (`None` for an in-memory database).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What happened when this database was opened.
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> u32 {
        self.report.schema_version
    }

    /// The connection, for the storage code of the core's modules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, for replacing the whole database's content (restore).
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// After a restore replaced the content: the connection settings again, the new
    /// schema version.
    pub(crate) fn after_restore(&mut self) -> Result<()> {
        configure(&self.conn, self.path.is_some())?;
        self.report.schema_version = current_version(&self.conn)?;
        Ok(())
    }

    /// Run `work` in one write transaction (taken at once, so two writers queue instead of
    /// deadlocking): it commits when `work` succeeds and rolls back when it fails.
    pub(crate) fn write<T>(
        &mut self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// A PRAGMA's current value as text (tests and `check` look at the setup with this).
    pub fn pragma_text(&self, name: &str) -> Result<String> {
        pragma_text(self.conn(), name)
    }
}

/// Look at `path` and decide what it holds, without changing the file in any way.
pub fn inspect(path: &Path) -> Result<Inspection> {
    inspect_with(path, &Schema::embedded()?)
}

fn inspect_with(path: &Path, schema: &Schema) -> Result<Inspection> {
    inspect_opened(path, schema, false)
}

/// [`inspect`] through a read-only connection: for a file that is only looked at (a
/// backup), which SQLite then cannot change either (no journal rolled back, no
/// write-ahead log folded in).
pub(crate) fn inspect_read_only(path: &Path) -> Result<Inspection> {
    inspect_opened(path, &Schema::embedded()?, true)
}

fn inspect_opened(path: &Path, schema: &Schema, read_only: bool) -> Result<Inspection> {
    let shown = path.display();
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Inspection::Absent),
        Err(err) => {
            return Err(AppError::new(
                ErrorCode::Storage,
                format!("cannot read {shown}: {err}"),
            ))
        }
    };
    if metadata.is_dir() {
        return Err(AppError::new(
            ErrorCode::NotEngagementDeskDatabase,
            format!("{shown} is a folder, not a database file"),
        ));
    }
    if metadata.len() == 0 {
        return Ok(Inspection::Empty);
    }

    let header = read_header(path)?;
    // Pages a checkpoint had not finished copying (a full disk, a crash) are still in the
    // write-ahead log, which SQLite replays on opening: then a file shorter than its
    // header says is not damage (the checks after opening still find any).
    let wal_pending = fs::metadata(crate::files::sidecar(path, "-wal")).is_ok_and(|m| m.len() > 0);
    check_header(&header, metadata.len(), wal_pending, path)?;

    // The header says the file is ours; SQLite itself now confirms it. Only reads follow.
    let unreadable = |err: rusqlite::Error| damaged(path, err);
    let conn = if read_only {
        open_read_only(path)?
    } else {
        let conn = Connection::open_with_flags(path, open_flags()).map_err(unreadable)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn
    };
    let application_id: i32 = conn
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(unreadable)?;
    if application_id != APPLICATION_ID {
        return Err(not_ours(path));
    }
    let schema_version = current_version(&conn).map_err(|err| err.context(shown.to_string()))?;
    if schema_version > schema.latest {
        return Err(too_new(path, schema_version, schema.latest));
    }
    // The whole file is read before a migration changes it, and always when it is small.
    // A large one (years of history: about a second per 200 MB) is read after the window
    // is up instead (see `deferred_check`), so the desk is not kept waiting at the door;
    // here SQLite still reads its schema, so a file damaged there is refused now.
    if metadata.len() <= FULL_CHECK_AT_OPEN_MAX_BYTES || schema_version < schema.latest {
        quick_check_conn(&conn, path)?;
    } else {
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(|err| damaged(path, err))?;
    }
    Ok(Inspection::Existing { schema_version })
}

/// Databases up to this size are read whole (`quick_check`) whenever they are opened.
pub const FULL_CHECK_AT_OPEN_MAX_BYTES: u64 = 64 * 1024 * 1024;

fn quick_check_conn(conn: &Connection, path: &Path) -> Result<()> {
    let shown = path.display();
    let quick_check =
        pragma_text(conn, "quick_check").map_err(|err| err.context(shown.to_string()))?;
    if quick_check != "ok" {
        return Err(AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!("{shown} is damaged: the integrity check says {quick_check}"),
        ));
    }
    Ok(())
}

/// Whether opening `path` left its full read (`quick_check`) for later: true for a large
/// database. The app then runs [`deferred_check`] in the background after its first screen.
pub fn check_was_deferred(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|metadata| metadata.len() > FULL_CHECK_AT_OPEN_MAX_BYTES)
}

/// The full read that opening a large database leaves for later: `quick_check` on a
/// read-only connection of its own. Changes nothing.
pub fn deferred_check(path: &Path) -> Result<()> {
    let conn =
        Connection::open_with_flags(path, read_only_flags()).map_err(|err| damaged(path, err))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    quick_check_conn(&conn, path)
}

fn read_only_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI
}

/// A read-only connection to a database file that is only looked at (a backup): nothing
/// done through it can change the file. A write-ahead-logging file with no log
/// beside it (a copy made without one) is opened as immutable, so that SQLite does not
/// leave an empty log and index beside a file that was only looked at.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection> {
    let immutable = immutable_uri(path);
    let conn = match &immutable {
        Some(uri) => Connection::open_with_flags(uri, read_only_flags()),
        None => Connection::open_with_flags(path, read_only_flags()),
    }
    .map_err(|err| damaged(path, err))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// `file:<path>?immutable=1` for a write-ahead-logging database with no `-wal` beside it
/// (all its content is in the file itself); `None` otherwise.
fn immutable_uri(path: &Path) -> Option<String> {
    let header = read_header(path).ok()?;
    // Bytes 18 and 19: the file's write and read versions, 2 in write-ahead logging.
    let wal = header.get(18..20) == Some(&[2, 2][..]);
    if !wal || files::sidecar(path, "-wal").exists() {
        return None;
    }
    let text = path.to_str()?;
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '%' => escaped.push_str("%25"),
            '?' => escaped.push_str("%3f"),
            '#' => escaped.push_str("%23"),
            _ => escaped.push(c),
        }
    }
    Some(format!("file:{escaped}?immutable=1"))
}

/// A database that cannot be written is refused up front with a clear message (SQLite
/// would otherwise fail later, or only say it cannot open the file).
fn refuse_read_only(path: &Path) -> Result<()> {
    match fs::OpenOptions::new().append(true).open(path) {
        Err(err)
            if matches!(
                err.kind(),
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            Err(AppError::new(
                ErrorCode::ReadOnly,
                format!(
                    "{} cannot be written (the file or its disk is read-only: {err}); it was left unchanged. Ask IT to make it writable, then start again",
                    path.display()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// An SQLite failure while reading a file whose header looked like ours.
fn damaged(path: &Path, err: rusqlite::Error) -> AppError {
    let cannot_open = err.sqlite_error_code() == Some(rusqlite::ffi::ErrorCode::CannotOpen);
    let err = AppError::from(err);
    if err.code == ErrorCode::DatabaseBusy {
        return err;
    }
    if cannot_open {
        // Not damage: usually a read-only file or disk (a WAL database needs to write
        // beside itself even to be read).
        return refuse_read_only(path).err().unwrap_or_else(|| {
            AppError::new(
                ErrorCode::Storage,
                format!(
                    "{} cannot be opened ({}); check that the file and its folder can be written",
                    path.display(),
                    err.message
                ),
            )
        });
    }
    AppError::new(
        ErrorCode::DatabaseCorrupt,
        format!(
            "{} is damaged and cannot be read ({}); it was left unchanged",
            path.display(),
            err.message
        ),
    )
}

/// A full health check of an existing database, for `engagement-desk check`. Changes nothing.
pub fn check(path: &Path) -> Result<CheckReport> {
    check_with(path, &Schema::embedded()?)
}

fn check_with(path: &Path, schema: &Schema) -> Result<CheckReport> {
    let shown = path.display();
    let schema_version = match inspect_with(path, schema)? {
        Inspection::Absent => {
            return Err(AppError::new(
                ErrorCode::DatabaseMissing,
                format!("there is no database at {shown}"),
            ))
        }
        Inspection::Empty => {
            return Err(AppError::new(
                ErrorCode::DatabaseMissing,
                format!("{shown} is an empty file, not a database yet"),
            ))
        }
        Inspection::Existing { schema_version } => schema_version,
    };
    let conn = open_existing(path)?;
    let integrity = pragma_text(&conn, "integrity_check")?;
    if integrity != "ok" {
        return Err(AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!("{shown} is damaged: the integrity check says {integrity}"),
        ));
    }
    let broken_links: i64 =
        conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })?;
    if broken_links > 0 {
        return Err(AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!("{shown} has {broken_links} rows that point at missing rows"),
        ));
    }
    if schema_version < schema.latest {
        return Err(AppError::new(
            ErrorCode::SchemaOutdated,
            format!(
                "{shown} has schema version {schema_version}, older than {}: run `engagement-desk migrate` (a backup is made first)",
                schema.latest
            ),
        ));
    }
    Ok(CheckReport {
        schema_version,
        latest_schema_version: schema.latest,
        size_bytes: fs::metadata(path)?.len(),
    })
}

fn read_header(path: &Path) -> Result<Vec<u8>> {
    let mut header = Vec::with_capacity(SQLITE_HEADER_LEN);
    fs::File::open(path)
        .and_then(|file| file.take(SQLITE_HEADER_LEN as u64).read_to_end(&mut header))
        .map_err(|err| {
            AppError::new(
                ErrorCode::Storage,
                format!("cannot read {}: {err}", path.display()),
            )
        })?;
    Ok(header)
}

/// Decide from the 100-byte SQLite header whether the file can be ours (and, with no
/// write-ahead log waiting, whole).
fn check_header(header: &[u8], file_len: u64, wal_pending: bool, path: &Path) -> Result<()> {
    let shown = path.display();
    let magic_len = header.len().min(SQLITE_MAGIC.len());
    if header[..magic_len] != SQLITE_MAGIC[..magic_len] {
        return Err(AppError::new(
            ErrorCode::NotEngagementDeskDatabase,
            format!("{shown} is not an Engagement Desk database (it is not an SQLite database file); it was left unchanged"),
        ));
    }
    if header.len() < SQLITE_HEADER_LEN {
        return Err(truncated(path, file_len));
    }
    let application_id = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    if application_id != APPLICATION_ID {
        return Err(not_ours(path));
    }
    // Bytes 16-17: page size (1 means 65536); 28-31: pages in the file, trusted only when
    // the change counter (24-27) matches the version-valid-for number (92-95).
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536u64,
        size => u64::from(size),
    };
    let page_count = u64::from(u32::from_be_bytes([
        header[28], header[29], header[30], header[31],
    ]));
    let count_is_valid = header[24..28] == header[92..96];
    if !wal_pending && count_is_valid && page_count > 0 && file_len < page_size * page_count {
        return Err(truncated(path, file_len));
    }
    Ok(())
}

fn truncated(path: &Path, file_len: u64) -> AppError {
    AppError::new(
        ErrorCode::DatabaseCorrupt,
        format!(
            "{} is damaged: it is cut short ({file_len} bytes); it was left unchanged — restore a backup",
            path.display()
        ),
    )
}

fn not_ours(path: &Path) -> AppError {
    AppError::new(
        ErrorCode::NotEngagementDeskDatabase,
        format!(
            "{} is an SQLite database of another program, not an Engagement Desk database; it was left unchanged",
            path.display()
        ),
    )
}

fn too_new(path: &Path, found: u32, latest: u32) -> AppError {
    AppError::new(
        ErrorCode::DatabaseTooNew,
        format!(
            "{} was written by a newer version of Engagement Desk (schema version {found}; this version {} knows up to {latest}); install the newer version to open it",
            path.display(),
            crate::APP_VERSION
        ),
    )
}

fn open_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI
}

pub(crate) fn open_existing(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, open_flags())
        .map_err(|err| AppError::from(err).context(format!("opening {}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

fn create_file(path: &Path) -> Result<Connection> {
    // Made readable by its owner only before SQLite opens it: SQLite gives the `-wal`,
    // `-shm` and `-journal` files the database file's permissions.
    files::create_private_file(path)
        .map_err(|err| AppError::from(err).context(format!("creating {}", path.display())))?;
    let conn = Connection::open_with_flags(path, open_flags() | OpenFlags::SQLITE_OPEN_CREATE)
        .map_err(|err| AppError::from(err).context(format!("creating {}", path.display())))?;
    // Marked as ours before anything else is written, so even a half-made file is recognised.
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    Ok(conn)
}

/// The connection settings every database gets.
fn configure(conn: &Connection, on_disk: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if on_disk {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(AppError::new(
                ErrorCode::Storage,
                format!("the database could not switch to write-ahead logging (mode is {mode})"),
            ));
        }
    }
    // FULL: an acknowledged write survives a power cut, which front-desk PCs do suffer.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Room for every statement of the busiest screens, so none is prepared twice.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(())
}

/// `query_row` through the connection's statement cache: the desk's hot paths run the same
/// few statements all day, and preparing one costs as much as running it (`make bench`).
pub(crate) fn cached_row<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, map)
}

/// `execute` through the connection's statement cache (see [`cached_row`]).
pub(crate) fn cached_execute<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

pub(crate) fn current_version(conn: &Connection) -> Result<u32> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    u32::try_from(version).map_err(|_| {
        AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!("the schema version {version} is invalid"),
        )
    })
}

/// Copy the database with SQLite's online backup API (never a file copy of a live
/// database), check the copy, and return where it is.
fn backup_before_migration(
    conn: &Connection,
    path: &Path,
    from: u32,
    to: u32,
    options: &OpenOptions,
) -> Result<PathBuf> {
    let folder = backup_folder(path);
    files::create_private_folder(&folder).map_err(|err| {
        AppError::new(
            ErrorCode::Storage,
            format!(
                "cannot create the backup folder {}: {err}",
                folder.display()
            ),
        )
    })?;
    let stem = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("engagement-desk");
    let stamp = options.clock.now().format("%Y%m%dT%H%M%SZ");
    let target = crate::copy::free_name(
        &folder,
        &format!("{stem}-{stamp}-before-schema-{from}-to-{to}"),
    );
    crate::copy::write_checked_copy(conn, &target)
        .map_err(|err| err.context("the database was not migrated"))?;
    Ok(target)
}

/// Held by the app window for as long as it runs. A second window on the same database is
/// refused with a clear message: its screens would not hear of the first one's changes.
/// The command line does not take it (exports and backups run beside the window), except
/// `restore`, which must not replace a database under an open window.
#[derive(Debug)]
pub struct WindowLock {
    _file: fs::File,
}

impl WindowLock {
    /// Take the lock of the database at `database` (a `.lock` file beside it). The
    /// operating system releases it when the process ends, however it ends.
    pub fn acquire(database: &Path) -> Result<WindowLock> {
        let path = files::sidecar(database, ".lock");
        files::create_private_file(&path)
            .map_err(|err| AppError::from(err).context(format!("opening {}", path.display())))?;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| AppError::from(err).context(format!("opening {}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(WindowLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(AppError::new(
                ErrorCode::AlreadyOpen,
                format!(
                    "Engagement Desk is already open on {} on this computer; use that window (look for it in the taskbar)",
                    database.display()
                ),
            )),
            Err(fs::TryLockError::Error(err)) => {
                Err(AppError::from(err).context(format!("locking {}", path.display())))
            }
        }
    }
}

/// Backups of a database go into a `backups` folder beside it.
pub fn backup_folder(database: &Path) -> PathBuf {
    database
        .parent()
        .map_or_else(|| PathBuf::from("backups"), |dir| dir.join("backups"))
}

#[cfg(test)]
mod tests;
