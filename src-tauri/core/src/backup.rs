//! Backups and restore.
//!
//! Every copy of a database is made with SQLite's online backup API (never a file copy of a
//! live database), written under a temporary name, checked with `integrity_check` and only
//! then renamed into place, so a backup that exists is a backup that works. Copies are
//! self-contained single files (rollback journal, no `-wal` beside them).
//!
//! Automatic backups go into the `backups` folder beside the database, named
//! `auto-<UTC time>-<occasion>.db`; the newest [`DEFAULT_KEEP`] (a setting) are kept. Other
//! files in that folder (the copies made before a migration or a restore) are never pruned.
//!
//! A restore checks the file, copies the current database aside, prepares the backup in a
//! staging file (migrating an older schema there), and then replaces the live database's
//! content in one step through the backup API, so the open connection stays valid.

use std::fs;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use crate::anchor;
use crate::audit::{self, Event};
use crate::auth::{self, Actor, Operation};
use crate::clock::Clock;
use crate::copy::{copy_pages, free_name, write_checked_copy};
use crate::db::{self, Database, Inspection, Schema};
use crate::error::{AppError, ErrorCode, Result};
use crate::files;
use crate::settings;

/// The setting that says how many automatic backups are kept.
pub const KEEP_SETTING: &str = "backup_keep";
/// Two weeks of daily backups.
pub const DEFAULT_KEEP: u32 = 14;
/// At least one, at most a year of them.
pub const KEEP_RANGE: RangeInclusive<u32> = 1..=365;

const AUTO_PREFIX: &str = "auto-";

/// When an automatic backup is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    /// The app started; skipped when today's backup exists already.
    Start,
    /// The day was closed out; always made, as it holds the whole day.
    CloseOut,
}

impl Occasion {
    fn as_str(self) -> &'static str {
        match self {
            Occasion::Start => "start",
            Occasion::CloseOut => "close-out",
        }
    }
}

/// A finished backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupMade {
    pub path: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
}

/// What a backup file holds, shown before it is restored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupFile {
    pub path: String,
    /// When the file was last written (UTC, RFC 3339).
    pub saved_at: Option<String>,
    /// The last thing recorded in its audit log (UTC, RFC 3339): what the data is as of.
    pub last_activity_at: Option<String>,
    pub schema_version: u32,
    /// The schema version of this version of the app; an older backup is migrated.
    pub latest_schema_version: u32,
    #[ts(type = "number")]
    pub size_bytes: u64,
    #[ts(type = "number")]
    pub guests: i64,
    #[ts(type = "number")]
    pub visits: i64,
    #[ts(type = "number")]
    pub staff: i64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RestoreDone {
    pub restored_from: String,
    /// Where the database as it was before the restore was copied.
    pub previous_database_saved_to: Option<String>,
    pub backup_schema_version: u32,
    pub schema_version: u32,
}

/// A file in the backups folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListedBackup {
    pub path: String,
    pub file_name: String,
    /// True for the automatic daily backups (the ones that are pruned).
    pub automatic: bool,
    pub saved_at: Option<String>,
    #[ts(type = "number")]
    pub size_bytes: u64,
}

/// The backups screen: where backups go, how many are kept, what is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupOverview {
    pub folder: Option<String>,
    pub keep: u32,
    /// Newest first.
    pub backups: Vec<ListedBackup>,
}

/// How many automatic backups are kept.
pub fn keep(db: &Database) -> u32 {
    settings::read_whole(db, KEEP_SETTING, KEEP_RANGE, DEFAULT_KEEP)
}

/// Change how many automatic backups are kept (administrators).
pub fn set_keep(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    typed: &str,
) -> Result<u32> {
    auth::authorize_actor(db, clock, actor, Operation::Backups)?;
    let keep = settings::parse_whole("backups to keep", typed, KEEP_RANGE, "backups")?;
    let now = clock.now();
    let who = actor.audit_name();
    db.write(|tx| {
        settings::write(tx, KEEP_SETTING, &keep.to_string(), now)?;
        audit::record(
            tx,
            &Event::ok(now, &who, "setting.change", KEEP_SETTING, &keep.to_string()),
        )
    })?;
    Ok(keep)
}

/// Back the database up to `out` (a file that must not exist unless `replace`).
pub fn back_up(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    out: &Path,
    replace: bool,
) -> Result<BackupMade> {
    auth::authorize_actor(db, clock, actor, Operation::Backups)?;
    check_destination(db, out, replace)?;
    let size_bytes = write_checked_copy(db.conn(), out)?;
    let made = BackupMade {
        path: out.display().to_string(),
        size_bytes,
    };
    let detail = format!("bytes={size_bytes}");
    let who = actor.audit_name();
    let event = Event::ok(clock.now(), &who, "backup.make", &made.path, &detail);
    audit::record_alone(db, &event)?;
    move_anchor(db);
    Ok(made)
}

fn check_destination(db: &Database, out: &Path, replace: bool) -> Result<()> {
    let shown = out.display();
    if out.as_os_str().is_empty() {
        return Err(AppError::invalid_input("backup file", "no file was given"));
    }
    if out.is_dir() {
        return Err(AppError::invalid_input(
            "backup file",
            format!("{shown} is a folder; give a file name"),
        ));
    }
    let folder = match out.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(AppError::invalid_input(
            "backup file",
            format!("the folder {} does not exist", folder.display()),
        ));
    }
    if let Some(live) = db.path() {
        if same_file(live, out) || beside_the_database(live, out, &folder) {
            return Err(AppError::invalid_input(
                "backup file",
                format!(
                    "{shown} is the database itself or one of its own files; choose another name"
                ),
            ));
        }
    }
    if out.exists() && !replace {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("{shown} exists already; choose another name"),
        ));
    }
    Ok(())
}

/// True when `out` would be one of the live database's own files (its `-wal`, `-shm`,
/// `-journal`, `.lock`, ...): a name that begins with the database's, in its folder.
fn beside_the_database(live: &Path, out: &Path, out_folder: &Path) -> bool {
    let (Some(live_name), Some(out_name)) = (live.file_name(), out.file_name()) else {
        return false;
    };
    let live_folder = match live.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    same_file(live_folder, out_folder)
        && out_name
            .to_string_lossy()
            .starts_with(&*live_name.to_string_lossy())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The automatic backup of `occasion` into the backups folder, then pruning to the setting.
/// `None` when nothing was made (an in-memory database, or today's start backup exists).
pub fn automatic_backup(
    db: &mut Database,
    clock: &dyn Clock,
    occasion: Occasion,
) -> Result<Option<PathBuf>> {
    let Some(live) = db.path().map(Path::to_path_buf) else {
        return Ok(None);
    };
    if occasion == Occasion::Start && !start_backup_due(&live, clock)? {
        return Ok(None);
    }
    let folder = db::backup_folder(&live);
    create_folder(&folder)?;
    let now = clock.now();
    let stamp = now.format("%Y-%m-%dT%H%M%SZ");
    let target = free_name(
        &folder,
        &format!("{AUTO_PREFIX}{stamp}-{}", occasion.as_str()),
    );
    let size = write_checked_copy(db.conn(), &target)?;
    prune(&folder, keep(db))?;
    let object = target.display().to_string();
    let detail = format!("occasion={} bytes={size}", occasion.as_str());
    audit::record_alone(
        db,
        &Event::ok(now, "system", "backup.automatic", &object, &detail),
    )?;
    move_anchor(db);
    Ok(Some(target))
}

/// After a backup: the live database's audit anchor moves to its newest entry. The backup
/// itself is made and reported either way; an anchor that cannot be written now is written
/// at the next backup or exit (until then `audit verify` holds the log to the older one).
fn move_anchor(db: &mut Database) {
    let _ = audit::anchor_head(db);
}

/// True unless an automatic backup of the database at `live` was made today (UTC), so a
/// start can skip opening a second connection at all.
pub fn start_backup_due(live: &Path, clock: &dyn Clock) -> Result<bool> {
    let folder = db::backup_folder(live);
    if !folder.is_dir() {
        return Ok(true);
    }
    let today = format!("{AUTO_PREFIX}{}", clock.now().format("%Y-%m-%d"));
    Ok(!automatic_files(&folder)?
        .iter()
        .any(|name| name.starts_with(&today)))
}

fn create_folder(folder: &Path) -> Result<()> {
    files::create_private_folder(folder).map_err(|err| {
        AppError::from(err).context(format!(
            "cannot create the backup folder {}",
            folder.display()
        ))
    })
}

/// The file names of the automatic backups in `folder`, oldest first: by the time in the
/// name, then by the `-2`, `-3` ... that [`free_name`] adds within one second.
fn automatic_files(folder: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(folder)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(AUTO_PREFIX) && name.ends_with(".db") {
            names.push(name);
        }
    }
    names.sort_by_cached_key(|name| {
        let stem = name.trim_end_matches(".db");
        match stem.rsplit_once('-') {
            Some((base, attempt)) if attempt.bytes().all(|b| b.is_ascii_digit()) => {
                (base.to_string(), attempt.parse::<u64>().unwrap_or(u64::MAX))
            }
            _ => (stem.to_string(), 1),
        }
    });
    Ok(names)
}

/// Delete the oldest automatic backups beyond `keep`.
fn prune(folder: &Path, keep: u32) -> Result<()> {
    let names = automatic_files(folder)?;
    let excess = names.len().saturating_sub(keep as usize);
    for name in names.iter().take(excess) {
        let backup = folder.join(name);
        fs::remove_file(&backup)?;
        anchor::remove(&backup)?;
    }
    Ok(())
}

/// Look at a backup file without changing it (administrators).
pub fn describe(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    path: &Path,
) -> Result<BackupFile> {
    auth::authorize_actor(db, clock, actor, Operation::Backups)?;
    read_backup_file(path)
}

/// Check that `path` is an Engagement Desk database this version can restore, and read
/// what it holds. A newer schema, another program's file or a damaged file is refused.
pub fn read_backup_file(path: &Path) -> Result<BackupFile> {
    let shown = path.display();
    let schema = Schema::embedded()?;
    let schema_version = match db::inspect_read_only(path)? {
        Inspection::Absent => {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("there is no file at {shown}"),
            ))
        }
        Inspection::Empty => {
            return Err(AppError::new(
                ErrorCode::NotEngagementDeskDatabase,
                format!("{shown} is an empty file, not a backup"),
            ))
        }
        Inspection::Existing { schema_version } => schema_version,
    };
    // Read-only: looking at a backup never changes it.
    let conn = db::open_read_only(path)?;
    let integrity = db::pragma_text(&conn, "integrity_check")?;
    if integrity != "ok" {
        return Err(AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!(
                "{shown} is damaged (the integrity check says {integrity}); it cannot be restored"
            ),
        ));
    }
    schema.require_objects_of_version(&conn, schema_version, path)?;
    let count = |table: &str| -> Result<i64> {
        let exists: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |row| row.get(0),
        )?;
        if !exists {
            return Ok(0);
        }
        Ok(
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })?,
        )
    };
    if count("audit_log")? > 0 {
        if let Some(link) = audit::verify_conn(&conn, Some(path))?.first_broken {
            return Err(AppError::new(
                ErrorCode::DatabaseCorrupt,
                format!(
                    "the audit log of {shown} is broken at entry {}: {}; it cannot be restored",
                    link.id, link.reason
                ),
            ));
        }
    }
    let last_activity_at = if count("audit_log")? > 0 {
        conn.query_row("SELECT max(at) FROM audit_log", [], |row| {
            row.get::<_, Option<String>>(0)
        })
        .optional()?
        .flatten()
    } else {
        None
    };
    let metadata = fs::metadata(path)?;
    Ok(BackupFile {
        path: shown.to_string(),
        saved_at: modified_text(&metadata),
        last_activity_at,
        schema_version,
        latest_schema_version: schema.latest_version(),
        size_bytes: metadata.len(),
        guests: count("guests")?,
        visits: count("visits")?,
        staff: count("staff")?,
    })
}

fn modified_text(metadata: &fs::Metadata) -> Option<String> {
    metadata
        .modified()
        .ok()
        .map(|time| DateTime::<Utc>::from(time).to_rfc3339())
}

/// Replace the database's content with the backup at `from` (administrators). The current
/// database is copied into the backups folder first; an older backup is migrated.
pub fn restore(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    from: &Path,
) -> Result<RestoreDone> {
    auth::authorize_actor(db, clock, actor, Operation::Backups)?;
    if let Some(live) = db.path() {
        if same_file(live, from) {
            return Err(AppError::invalid_input(
                "backup file",
                format!("{} is the database itself", from.display()),
            ));
        }
    }
    let found = read_backup_file(from)?;
    let now = clock.now();
    let stamp = now.format("%Y-%m-%dT%H%M%SZ");
    let folder = match db.path() {
        Some(live) => db::backup_folder(live),
        None => std::env::temp_dir(),
    };
    create_folder(&folder)?;
    let saved = match db.path() {
        Some(_) => {
            let target = free_name(&folder, &format!("before-restore-{stamp}"));
            write_checked_copy(db.conn(), &target)?;
            Some(target.display().to_string())
        }
        None => None,
    };

    // Stage: copy the backup, migrate the copy, write the restore's audit entry into it;
    // only a fully prepared copy touches the live database.
    let staging = free_name(&folder, &format!(".restoring-{stamp}"));
    let who = actor.audit_name();
    let mut restored = None;
    let outcome = stage(from, &staging).and_then(|staged| {
        let done = RestoreDone {
            restored_from: found.path.clone(),
            previous_database_saved_to: saved.clone(),
            backup_schema_version: found.schema_version,
            schema_version: db::current_version(&staged)?,
        };
        // The restore is the first entry after the backup's own, and names the head of the
        // log it replaces: the anchor beside the database moves back legitimately.
        let replaced = match anchor::replaced(db.conn(), db.path())? {
            named if named.is_empty() => named,
            named => format!("; {named}"),
        };
        let detail = format!(
            "schema {} -> {}; previous database saved to {}{replaced}",
            done.backup_schema_version,
            done.schema_version,
            done.previous_database_saved_to
                .as_deref()
                .unwrap_or("(in memory, not saved)")
        );
        let event = Event::ok(now, &who, "backup.restore", &done.restored_from, &detail);
        audit::record(&staged, &event)?;
        restored = Some(done);
        copy_pages(&staged, db.conn_mut())
            .map_err(|err| err.context("replacing the database with the backup"))
    });
    for leftover in ["", "-journal", "-wal", "-shm"] {
        let _ = fs::remove_file(files::sidecar(&staging, leftover));
    }
    outcome?;
    db.after_restore()?;
    move_anchor(db);
    restored.ok_or_else(|| AppError::internal("the restore finished without a result"))
}

/// Copy the backup into `staging` and bring its schema up to date there.
fn stage(from: &Path, staging: &Path) -> Result<Connection> {
    let source = db::open_read_only(from)?;
    files::create_private_file(staging)?;
    let mut staged = Connection::open(staging)?;
    staged.busy_timeout(db::BUSY_TIMEOUT)?;
    copy_pages(&source, &mut staged)?;
    drop(source);
    Schema::embedded()?.migrate(&mut staged)?;
    let integrity = db::pragma_text(&staged, "integrity_check")?;
    if integrity != "ok" {
        return Err(AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!("the backup failed its integrity check after migrating ({integrity}); nothing was restored"),
        ));
    }
    Ok(staged)
}

/// The backups folder's contents, newest first (administrators).
pub fn overview(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
) -> Result<BackupOverview> {
    auth::authorize_actor(db, clock, actor, Operation::Backups)?;
    let keep = keep(db);
    let Some(live) = db.path() else {
        return Ok(BackupOverview {
            folder: None,
            keep,
            backups: Vec::new(),
        });
    };
    let folder = db::backup_folder(live);
    let mut backups = Vec::new();
    if folder.is_dir() {
        for entry in fs::read_dir(&folder)? {
            let entry = entry?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') || !file_name.ends_with(".db") {
                continue;
            }
            let metadata = entry.metadata()?;
            backups.push(ListedBackup {
                path: entry.path().display().to_string(),
                automatic: file_name.starts_with(AUTO_PREFIX),
                file_name,
                saved_at: modified_text(&metadata),
                size_bytes: metadata.len(),
            });
        }
    }
    backups.sort_by(|a, b| {
        b.saved_at
            .cmp(&a.saved_at)
            .then_with(|| b.file_name.cmp(&a.file_name))
    });
    Ok(BackupOverview {
        folder: Some(folder.display().to_string()),
        keep,
        backups,
    })
}

#[cfg(test)]
mod tests;
