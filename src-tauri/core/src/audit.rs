//! The tamper-evident audit log: append-only rows, each holding the hash of the one before.
//!
//! Entries are written inside the transaction of the operation they describe, so an action
//! and its audit entry are committed together or not at all. Never logged: passwords,
//! hashes, note text.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::db::Database;
use crate::error::Result;

/// The hash the first entry points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Refused,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// One thing to write into the log.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub outcome: Outcome,
    pub detail: &'a str,
}

/// A row of the log as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub result: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// How many entries were checked.
    pub entries: u32,
    /// The first entry whose link is broken, if any, and why.
    pub first_broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BrokenLink {
    #[ts(type = "number")]
    pub id: i64,
    pub reason: String,
}

/// The hash of an entry: SHA-256 over the previous hash and every field, separated by a
/// character (U+001F) that validated input never contains.
/// `fields` are at, actor, action, object, result and detail, in that order.
pub fn entry_hash(prev_hash: &str, id: i64, fields: [&str; 6]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update([0x1f]);
    hasher.update(id.to_string().as_bytes());
    for field in fields {
        hasher.update([0x1f]);
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Append an entry inside the caller's transaction.
pub(crate) fn record(conn: &rusqlite::Connection, event: &Event<'_>) -> Result<()> {
    storage::append(conn, event)
}

/// Append an entry in a transaction of its own (for refusals and failures, whose
/// operation's own transaction is rolled back).
pub(crate) fn record_alone(db: &mut Database, event: &Event<'_>) -> Result<()> {
    db.write(|tx| record(tx, event))
}

/// Walk the whole chain and report the first broken link. Reads only.
pub fn verify(db: &Database) -> Result<VerifyReport> {
    let entries = storage::all(db.conn())?;
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut expected_id: Option<i64> = None;
    let mut checked = 0u32;
    for entry in &entries {
        if let Some(id) = expected_id {
            if entry.id != id {
                return Ok(broken(
                    checked,
                    id,
                    format!("entry {id} is missing (the next entry is {})", entry.id),
                ));
            }
        }
        if entry.prev_hash != expected_prev {
            return Ok(broken(
                checked,
                entry.id,
                "it does not point at the entry before it".to_string(),
            ));
        }
        let recomputed = entry_hash(
            &entry.prev_hash,
            entry.id,
            [
                &entry.at,
                &entry.actor,
                &entry.action,
                &entry.object,
                &entry.result,
                &entry.detail,
            ],
        );
        if recomputed != entry.hash {
            return Ok(broken(
                checked,
                entry.id,
                "its content was changed after it was written".to_string(),
            ));
        }
        expected_prev = entry.hash.clone();
        expected_id = Some(entry.id + 1);
        checked += 1;
    }
    Ok(VerifyReport {
        entries: checked,
        first_broken: None,
    })
}

fn broken(entries: u32, id: i64, reason: String) -> VerifyReport {
    VerifyReport {
        entries,
        first_broken: Some(BrokenLink { id, reason }),
    }
}

/// Filters for reading the log.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub limit: u32,
}

/// Read entries, newest first (the caller checks the permission).
pub(crate) fn list(db: &Database, filter: &Filter) -> Result<Vec<AuditEntry>> {
    storage::list(db.conn(), filter)
}

mod storage {
    use rusqlite::{params, Connection, OptionalExtension, Row};

    use super::{entry_hash, AuditEntry, Event, Filter, GENESIS_HASH};
    use crate::error::Result;

    pub(super) fn append(conn: &Connection, event: &Event<'_>) -> Result<()> {
        let last: Option<(i64, String)> = conn
            .query_row(
                "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (id, prev_hash) = match last {
            Some((id, hash)) => (id + 1, hash),
            None => (1, GENESIS_HASH.to_string()),
        };
        let at = event
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let result = event.outcome.as_str();
        let hash = entry_hash(
            &prev_hash,
            id,
            [
                &at,
                event.actor,
                event.action,
                event.object,
                result,
                event.detail,
            ],
        );
        conn.execute(
            "INSERT INTO audit_log (id, at, actor, action, object, result, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                at,
                event.actor,
                event.action,
                event.object,
                result,
                event.detail,
                prev_hash,
                hash
            ],
        )?;
        Ok(())
    }

    fn entry(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
        Ok(AuditEntry {
            id: row.get(0)?,
            at: row.get(1)?,
            actor: row.get(2)?,
            action: row.get(3)?,
            object: row.get(4)?,
            result: row.get(5)?,
            detail: row.get(6)?,
            prev_hash: row.get(7)?,
            hash: row.get(8)?,
        })
    }

    const COLUMNS: &str = "id, at, actor, action, object, result, detail, prev_hash, hash";

    pub(super) fn all(conn: &Connection) -> Result<Vec<AuditEntry>> {
        let mut statement =
            conn.prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY id"))?;
        let rows = statement.query_map([], entry)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub(super) fn list(conn: &Connection, filter: &Filter) -> Result<Vec<AuditEntry>> {
        let from = filter
            .from
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        let to = filter
            .to
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        let mut statement = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2)
               AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR action = ?4)
             ORDER BY id DESC LIMIT ?5"
        ))?;
        let rows = statement.query_map(
            params![
                from,
                to,
                filter.actor,
                filter.action,
                filter.limit.clamp(1, 5000)
            ],
            entry,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests;
