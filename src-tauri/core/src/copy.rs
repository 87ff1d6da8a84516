//! Checked copies of a database file: copied page by page with SQLite's online backup
//! API, checked, synced and renamed into place, with the audit anchor of what they hold.
//! Backups and the copy made before a migration are both made this way, so it sits below
//! `db` and `backup`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::anchor::{self, Anchor};
use crate::error::{AppError, ErrorCode, Result};
use crate::files;
use crate::sqlite::{pragma_text, BUSY_TIMEOUT};

/// `<stem>.db` in `folder`, or `<stem>-2.db`, ... when that is taken.
pub(crate) fn free_name(folder: &Path, stem: &str) -> PathBuf {
    let mut target = folder.join(format!("{stem}.db"));
    let mut attempt = 1;
    while target.exists() {
        attempt += 1;
        target = folder.join(format!("{stem}-{attempt}.db"));
    }
    target
}

/// Copy every page of `from` into `to` with the online backup API, in one step so `to`
/// changes in one transaction. Waits (bounded) while another connection holds a lock.
pub(crate) fn copy_pages(from: &Connection, to: &mut Connection) -> Result<()> {
    let backup = Backup::new(from, to)?;
    let started = Instant::now();
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ if started.elapsed() > BUSY_TIMEOUT => {
                return Err(AppError::new(
                    ErrorCode::DatabaseBusy,
                    "the database stayed busy in another program; try again in a moment",
                ))
            }
            _ => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

/// Copy the database behind `conn` to `target` (replacing it), checked before it is
/// reported: written under a temporary name, switched to a single-file journal, checked
/// with `integrity_check`, synced, then renamed into place. Returns the size in bytes.
pub(crate) fn write_checked_copy(conn: &Connection, target: &Path) -> Result<u64> {
    // A short temporary name, so any name the file system takes for the target works.
    // Process and sequence number: two copies at once (the start backup's thread and a
    // close-out, say) never share one.
    static SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let sequence = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial =
        target.with_file_name(format!(".backup-{}-{sequence}.partial", std::process::id()));
    let outcome = write_partial(conn, &partial).and_then(|(size, head)| {
        // The anchor of a copy this one replaces goes first: a crash in between leaves a
        // backup without an anchor, never one with another copy's anchor.
        anchor::remove(target)?;
        fs::rename(&partial, target)?;
        files::sync_folder(target);
        anchor::anchor_copy(target, head.as_ref())?;
        Ok(size)
    });
    if outcome.is_err() {
        // A half-written copy is worthless; never leave it looking like a backup.
        for leftover in ["", "-journal", "-wal", "-shm"] {
            let _ = fs::remove_file(files::sidecar(&partial, leftover));
        }
    }
    outcome.map_err(|err| err.context(format!("backing up to {}", target.display())))
}

/// Write and check the copy; its size and the newest audit entry it holds.
fn write_partial(conn: &Connection, partial: &Path) -> Result<(u64, Option<Anchor>)> {
    let _ = fs::remove_file(partial);
    {
        // Its owner's only from the start (its journal then is too).
        files::create_private_file(partial)?;
        let mut copy = Connection::open(partial)?;
        copy.busy_timeout(BUSY_TIMEOUT)?;
        copy_pages(conn, &mut copy)?;
        // The copy carries the live database's WAL flag; a backup is one file.
        let mode: String = copy.query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(AppError::new(
                ErrorCode::Storage,
                format!("the copy could not leave write-ahead logging (mode is {mode})"),
            ));
        }
    }
    let check = Connection::open_with_flags(partial, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let integrity = pragma_text(&check, "integrity_check")?;
    if integrity != "ok" {
        return Err(AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!("the copy failed its integrity check ({integrity}); it was deleted"),
        ));
    }
    let head = anchor::head(&check)?;
    drop(check);
    let file = fs::File::open(partial)?;
    file.sync_all()?;
    Ok((file.metadata()?.len(), head))
}
