//! The audit log's anchor: the id and hash of the chain's newest entry, kept in a small
//! file beside the database (`<database>.audit-anchor`, its owner's only).
//!
//! The hash chain shows an entry changed or removed in the middle of the log, but not the
//! newest entries removed, nor the whole file put back to an older copy: what remains is a
//! shorter chain that is intact. The anchor, outside the database file, remembers how far
//! the chain reached, so `audit::verify` reports a log that now ends before it, or whose
//! entry at the anchored id has another hash.
//!
//! The anchor is moved forward (never back) after every backup (so also every close-out,
//! which makes one), when a database is closed (the command line's commands on their way
//! out) and when the window closes. It is moved only when the chain still holds the
//! anchored entry, so a cut-off log keeps the evidence against it. A restore is the one
//! legitimate way back: its audit entry, the first one written after the backup's, names
//! the head it replaced (`replaced_head=<id>:<hash>`, and `replaced_anchor=` when the
//! anchor was another entry), and that supersedes the anchor.
//!
//! Every backup carries the anchor of its own head beside it (`<backup>.audit-anchor`), so
//! a backup whose log was cut short after it was made is refused at restore.
//!
//! Without a secret, someone who can write both the database and the anchor file can
//! still rewrite both consistently; the anchor stops the easy ways (deleting rows, putting
//! an old file back), and a copy of the anchor kept elsewhere would show the rest.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

use crate::error::{AppError, ErrorCode, Result};
use crate::files;

const HEADER: &str = "Engagement Desk audit anchor";
/// The restore entry's detail names the head it replaced with this key...
const REPLACED_HEAD: &str = "replaced_head=";
/// ... and the anchor it replaced, when that was behind the head, with this one.
const REPLACED_ANCHOR: &str = "replaced_anchor=";

/// The chain's head as last anchored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub id: i64,
    pub hash: String,
    /// When that entry was written (its own `at`).
    pub at: String,
}

/// The anchor file of the database at `database`.
pub fn anchor_path(database: &Path) -> PathBuf {
    files::sidecar(database, ".audit-anchor")
}

/// The anchor beside `database`, if there is one. A file that is there but cannot be read
/// as an anchor is an error: it was damaged or changed by hand.
pub fn read(database: &Path) -> Result<Option<Anchor>> {
    let path = anchor_path(database);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(AppError::from(err).context(format!("reading {}", path.display()))),
    };
    parse(&text).map(Some).ok_or_else(|| {
        AppError::new(
            ErrorCode::DatabaseCorrupt,
            format!(
                "the audit anchor {} is not one Engagement Desk wrote (it was damaged or edited)",
                path.display()
            ),
        )
    })
}

fn parse(text: &str) -> Option<Anchor> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let id = lines.next()?.strip_prefix("entry ")?.parse::<i64>().ok()?;
    let hash = lines.next()?.strip_prefix("hash ")?.to_string();
    let at = lines.next()?.strip_prefix("written ")?.to_string();
    let is_hash = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    (id > 0 && is_hash).then_some(Anchor { id, hash, at })
}

fn write(database: &Path, anchor: &Anchor) -> Result<()> {
    let text = format!(
        "{HEADER}\nentry {}\nhash {}\nwritten {}\n",
        anchor.id, anchor.hash, anchor.at
    );
    files::write_private(&anchor_path(database), text.as_bytes())
}

/// The newest entry of the log behind `conn`; `None` when it has none (or no log yet: a
/// database of the first schema versions).
pub(crate) fn head(conn: &Connection) -> Result<Option<Anchor>> {
    let has_log: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'",
        [],
        |row| row.get(0),
    )?;
    if !has_log {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |row| {
                Ok(Anchor {
                    id: row.get(0)?,
                    hash: row.get(1)?,
                    at: row.get(2)?,
                })
            },
        )
        .optional()?)
}

/// True when the log behind `conn` still holds the anchored entry, or a restore names it
/// as the head it replaced: then the anchor may move to the head.
fn holds(conn: &Connection, anchor: &Anchor) -> Result<bool> {
    let hash: Option<String> = conn
        .query_row(
            "SELECT hash FROM audit_log WHERE id = ?1",
            [anchor.id],
            |row| row.get(0),
        )
        .optional()?;
    if hash.as_deref() == Some(anchor.hash.as_str()) {
        return Ok(true);
    }
    let [head, anchor] = names(anchor);
    let named: bool = conn.query_row(
        "SELECT count(*) > 0 FROM audit_log
         WHERE action = 'backup.restore' AND (instr(detail, ?1) > 0 OR instr(detail, ?2) > 0)",
        [head, anchor],
        |row| row.get(0),
    )?;
    Ok(named)
}

/// How a restore entry names `entry` as the head or the anchor it replaced.
fn names(entry: &Anchor) -> [String; 2] {
    let at = format!("{}:{}", entry.id, entry.hash);
    [
        format!("{REPLACED_HEAD}{at}"),
        format!("{REPLACED_ANCHOR}{at}"),
    ]
}

/// What a restore writes into its audit entry about the log it replaces (read from the
/// live database behind `conn`, anchored beside `database`): `replaced_head=<id>:<hash>`,
/// and `replaced_anchor=<id>:<hash>` when the anchor is another entry (an earlier one, or
/// one the log no longer holds: a restore is the way back from that too, on the record).
pub(crate) fn replaced(conn: &Connection, database: Option<&Path>) -> Result<String> {
    let mut named = Vec::new();
    let head = head(conn)?;
    if let Some(head) = &head {
        named.push(format!("{REPLACED_HEAD}{}:{}", head.id, head.hash));
    }
    if let Some(Ok(Some(anchor))) = database.map(read) {
        if head.as_ref() != Some(&anchor) {
            named.push(format!("{REPLACED_ANCHOR}{}:{}", anchor.id, anchor.hash));
        }
    }
    Ok(named.join(" "))
}

/// Move the anchor beside `database` to the head of the log behind `conn`, unless the log
/// no longer holds the anchored entry (then the anchor is left as evidence). Run inside a
/// write transaction, so no restore or other writer slips in between the look and the move.
pub(crate) fn advance(conn: &Connection, database: &Path) -> Result<()> {
    let Some(head) = head(conn)? else {
        return Ok(());
    };
    match read(database) {
        Ok(Some(anchor)) if anchor == head => return Ok(()),
        Ok(Some(anchor)) if !holds(conn, &anchor)? => return Ok(()),
        // A damaged anchor is evidence too: left for `audit verify` to report.
        Err(_) => return Ok(()),
        Ok(_) => {}
    }
    write(database, &head)
}

/// Write the anchor of a fresh copy (a backup) beside it: `head`, the newest entry the
/// copy holds. A copy with no log gets no anchor.
pub(crate) fn anchor_copy(target: &Path, head: Option<&Anchor>) -> Result<()> {
    match head {
        Some(head) if name_fits(target) => write(target, head),
        _ => Ok(()),
    }
}

/// False for a backup name so long that its anchor's would be too long for the file
/// system (255 bytes): such a backup goes without an anchor (its chain is still checked).
fn name_fits(target: &Path) -> bool {
    anchor_path(target)
        .file_name()
        .is_some_and(|name| name.as_encoded_bytes().len() <= 255)
}

/// Remove the anchor beside `target` (a backup about to be replaced by a newer copy).
pub(crate) fn remove(target: &Path) -> Result<()> {
    if !name_fits(target) {
        return Ok(());
    }
    match std::fs::remove_file(anchor_path(target)) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(AppError::from(err)),
        _ => Ok(()),
    }
}

/// Compare an intact chain with its anchor: `None` when the chain reaches the anchored
/// entry (or a restore superseded it), else the first entry that is missing or differs,
/// how many entries before it are intact, and why.
/// Each entry is given as its id, hash, action and detail.
pub(crate) fn compare(
    entries: &[(i64, &str, &str, &str)],
    anchor: &Anchor,
) -> Option<(i64, u32, String)> {
    let superseded = || {
        let [head, anchored] = names(anchor);
        entries.iter().any(|(_, _, action, detail)| {
            *action == "backup.restore" && (detail.contains(&head) || detail.contains(&anchored))
        })
    };
    match entries.iter().position(|(id, ..)| *id == anchor.id) {
        Some(index) if entries[index].1 == anchor.hash => None,
        _ if superseded() => None,
        Some(index) => Some((
            anchor.id,
            u32::try_from(index).unwrap_or(u32::MAX),
            format!(
                "its hash is not the one anchored for it after it was written on {} ({}): the database was rolled back and written again",
                anchor.at, anchor.hash
            ),
        )),
        None => {
            let last = entries.last().map_or(0, |(id, ..)| *id);
            Some((
                last + 1,
                u32::try_from(entries.len()).unwrap_or(u32::MAX),
                format!(
                    "the audit log ends at entry {last} but entry {} with hash {} was recorded on {}: entries were removed or the database was rolled back",
                    anchor.id, anchor.hash, anchor.at
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests;
