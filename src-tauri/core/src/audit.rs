//! The tamper-evident audit log: append-only rows, each holding the hash of the one before.
//!
//! Entries are written inside the transaction of the operation they describe, so an action
//! and its audit entry are committed together or not at all. Never logged: passwords,
//! hashes, note text.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::anchor;
use crate::clock::Clock;
use crate::days;
use crate::db::Database;
use crate::error::{AppError, Result};

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

impl<'a> Event<'a> {
    /// An action that succeeded, the usual case.
    pub fn ok(
        at: DateTime<Utc>,
        actor: &'a str,
        action: &'a str,
        object: &'a str,
        detail: &'a str,
    ) -> Event<'a> {
        Event {
            at,
            actor,
            action,
            object,
            outcome: Outcome::Ok,
            detail,
        }
    }
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

/// Walk the whole chain and report the first broken link, then hold its end to the anchor
/// beside the database (see [`anchor`]): a log that ends before the anchored entry, or has
/// another hash there, was cut off or rolled back. Reads only.
pub fn verify(db: &Database) -> Result<VerifyReport> {
    verify_conn(db.conn(), db.path())
}

/// [`verify`] for the log behind `conn`, anchored beside `database` when that is given
/// (restore checks a backup with this, on a read-only connection).
pub(crate) fn verify_conn(
    conn: &rusqlite::Connection,
    database: Option<&Path>,
) -> Result<VerifyReport> {
    let entries = storage::all(conn)?;
    let report = verify_chain(&entries);
    if report.first_broken.is_some() {
        return Ok(report);
    }
    let Some(anchor) = database.map(anchor::read).transpose()?.flatten() else {
        return Ok(report);
    };
    let links: Vec<(i64, &str, &str, &str)> = entries
        .iter()
        .map(|e| (e.id, e.hash.as_str(), e.action.as_str(), e.detail.as_str()))
        .collect();
    Ok(match anchor::compare(&links, &anchor) {
        Some((id, intact, reason)) => broken(intact, id, reason),
        None => report,
    })
}

/// Move the anchor beside the database to the newest entry (see [`anchor`]); nothing for
/// an in-memory database. Backups, the window's exit and the command line call this.
pub fn anchor_head(db: &mut Database) -> Result<()> {
    let Some(path) = db.path().map(Path::to_path_buf) else {
        return Ok(());
    };
    db.write(|tx| anchor::advance(tx, &path))
}

fn verify_chain(entries: &[AuditEntry]) -> VerifyReport {
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut expected_id: Option<i64> = None;
    let mut checked = 0u32;
    for entry in entries {
        if let Some(id) = expected_id {
            if entry.id != id {
                return broken(
                    checked,
                    id,
                    format!("entry {id} is missing (the next entry is {})", entry.id),
                );
            }
        }
        if entry.prev_hash != expected_prev {
            return broken(
                checked,
                entry.id,
                "it does not point at the entry before it".to_string(),
            );
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
            return broken(
                checked,
                entry.id,
                "its content was changed after it was written".to_string(),
            );
        }
        expected_prev = entry.hash.clone();
        expected_id = Some(entry.id + 1);
        checked += 1;
    }
    VerifyReport {
        entries: checked,
        first_broken: None,
    }
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

/// Read entries, newest first, without a permission check (tests only; the viewer is
/// [`view_log`]).
#[cfg(test)]
pub(crate) fn list(db: &Database, filter: &Filter) -> Result<Vec<AuditEntry>> {
    storage::list(db.conn(), filter)
}

/// The most lines the viewer shows at once; narrower filters find older entries.
pub const VIEW_LIMIT: u32 = 500;
/// The longest actor or action a filter may name.
const MAX_FILTER_CHARS: usize = 200;

/// What the viewer asks for: center-local dates `YYYY-MM-DD` (both inclusive), an actor and
/// an action; each optional.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
}

/// One entry as the viewer shows it, with the time on the center's wall clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    #[ts(type = "number")]
    pub id: i64,
    pub at_local: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub result: String,
    pub detail: String,
    /// The object and detail carry clinical or substance-use facts that the viewer's roles
    /// may not read: both are left out and the detail says "details restricted".
    pub restricted: bool,
}

/// A page of the viewer: matching lines, newest first, and the choices for its filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogPage {
    pub lines: Vec<LogLine>,
    /// True when more entries match than [`VIEW_LIMIT`].
    pub truncated: bool,
    pub actors: Vec<String>,
    pub actions: Vec<String>,
    pub time_zone: String,
}

/// Actions whose object and detail always carry clinical or substance-use facts: an
/// incident's kind and naloxone doses, a queue reason, clinical notes, reads of sensitive
/// referrals.
const CLINICAL_ACTIONS: &[&str] = &[
    "incident.record",
    "queue.join",
    "clinical_note.write",
    "clinical_note.read",
    "referral.read",
];

/// The word the referral domain writes into the detail of every entry about a sensitive
/// (42 CFR Part 2 or clinical) referral.
pub const SENSITIVE_MARKER: &str = "sensitive";

/// Whether an entry's object and detail are clinical (see [`CLINICAL_ACTIONS`] and
/// [`SENSITIVE_MARKER`]).
pub fn has_clinical_details(action: &str, detail: &str) -> bool {
    CLINICAL_ACTIONS.contains(&action)
        || detail
            .split_whitespace()
            .any(|word| word == SENSITIVE_MARKER)
}

/// One page of the log for the viewer, and the look itself logged (`audit.view` by `by`).
/// The caller has checked the permission and says whether clinical details may be shown
/// (see `audit_viewer`); the hash chain still covers the full text.
pub(crate) fn viewed_page(
    db: &mut Database,
    clock: &dyn Clock,
    by: &str,
    clinical: bool,
    query: &LogQuery,
) -> Result<LogPage> {
    let zone = days::center_zone(db)?;
    let mut filter = filter_for(zone, query)?;
    filter.limit = VIEW_LIMIT + 1;
    let detail = describe(query);
    let now = clock.now();
    db.write(|tx| {
        let mut entries = storage::list(tx, &filter)?;
        let truncated = entries.len() > VIEW_LIMIT as usize;
        entries.truncate(VIEW_LIMIT as usize);
        let page = LogPage {
            lines: entries
                .into_iter()
                .map(|entry| line(zone, entry, clinical))
                .collect(),
            truncated,
            actors: storage::distinct(tx, "actor")?,
            actions: storage::distinct(tx, "action")?,
            time_zone: zone.name().to_string(),
        };
        record(
            tx,
            &Event {
                at: now,
                actor: by,
                action: "audit.view",
                object: "audit_log",
                outcome: Outcome::Ok,
                detail: &detail,
            },
        )?;
        Ok(page)
    })
}

/// Check the hash chain and log the check (`audit.verify` by `by`; the caller has checked
/// the permission).
pub(crate) fn verified(db: &mut Database, clock: &dyn Clock, by: &str) -> Result<VerifyReport> {
    let report = verify(db)?;
    let detail = match &report.first_broken {
        Some(link) => format!("entries={} first_broken={}", report.entries, link.id),
        None => format!("entries={} intact", report.entries),
    };
    record_alone(
        db,
        &Event {
            at: clock.now(),
            actor: by,
            action: "audit.verify",
            object: "audit_log",
            outcome: if report.first_broken.is_some() {
                Outcome::Failed
            } else {
                Outcome::Ok
            },
            detail: &detail,
        },
    )?;
    Ok(report)
}

/// Turn the viewer's query into a filter, refusing what cannot be a date or a name.
fn filter_for(zone: chrono_tz::Tz, query: &LogQuery) -> Result<Filter> {
    let from = given(query.from.as_deref())
        .map(|text| days::parse_date("from", text))
        .transpose()?;
    let to = given(query.to.as_deref())
        .map(|text| days::parse_date("to", text))
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            return Err(AppError::invalid_input(
                "to",
                format!("{to} is before the start date {from}"),
            ));
        }
    }
    let name = |field: &str, value: Option<&str>| -> Result<Option<String>> {
        match given(value) {
            Some(text) if text.chars().count() > MAX_FILTER_CHARS => Err(AppError::invalid_input(
                field,
                format!("at most {MAX_FILTER_CHARS} characters"),
            )),
            other => Ok(other.map(str::to_string)),
        }
    };
    Ok(Filter {
        from: from.map(|date| days::day_start(zone, date)),
        to: to.map(|date| days::range_bounds(zone, date, date).1),
        actor: name("actor", query.actor.as_deref())?,
        action: name("action", query.action.as_deref())?,
        limit: VIEW_LIMIT,
    })
}

/// A filter value, or nothing when it is missing or blank.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|text| !text.is_empty())
}

/// The query in the audit entry of a look at the log, e.g. `from=2026-11-01 action=login`.
fn describe(query: &LogQuery) -> String {
    [
        ("from", &query.from),
        ("to", &query.to),
        ("actor", &query.actor),
        ("action", &query.action),
    ]
    .iter()
    .filter_map(|(name, value)| {
        given(value.as_deref()).map(|text| {
            let short: String = text.chars().filter(|c| !c.is_control()).take(60).collect();
            format!("{name}={short}")
        })
    })
    .collect::<Vec<_>>()
    .join(" ")
}

/// One entry as the viewer shows it; `clinical`: the viewer may read clinical details.
fn line(zone: chrono_tz::Tz, entry: AuditEntry, clinical: bool) -> LogLine {
    let at_local = DateTime::parse_from_rfc3339(&entry.at)
        .map(|at| days::local_time_text(zone, at.with_timezone(&Utc)))
        .unwrap_or_else(|_| entry.at.clone());
    let restricted = !clinical && has_clinical_details(&entry.action, &entry.detail);
    let (object, detail) = if restricted {
        (String::new(), "details restricted".to_string())
    } else {
        (entry.object, entry.detail)
    };
    LogLine {
        id: entry.id,
        at_local,
        actor: entry.actor,
        action: entry.action,
        object,
        result: entry.result,
        detail,
        restricted,
    }
}

mod storage {
    use rusqlite::{params, Connection, OptionalExtension, Row};

    use super::{entry_hash, AuditEntry, Event, Filter, GENESIS_HASH};
    use crate::error::Result;

    /// `text` with control and text-direction characters written as `\u{..}` escapes.
    pub(super) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
        if !text.chars().any(needs_escape) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut shown = String::with_capacity(text.len() + 8);
        for c in text.chars() {
            if needs_escape(c) {
                shown.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            } else {
                shown.push(c);
            }
        }
        std::borrow::Cow::Owned(shown)
    }

    fn needs_escape(c: char) -> bool {
        c.is_control() || crate::text::is_direction_mark(c)
    }

    pub(super) fn append(conn: &Connection, event: &Event<'_>) -> Result<()> {
        let last: Option<(i64, String)> = crate::db::cached_row(
            conn,
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
        // Typed text reaches the log (a mistyped username, say): control and text-direction
        // characters are written as escapes, so no field can hold the hash's separator or
        // reorder what the viewer shows.
        let (actor, action, object, detail) = (
            printable(event.actor),
            printable(event.action),
            printable(event.object),
            printable(event.detail),
        );
        let (actor, action, object, detail) = (&*actor, &*action, &*object, &*detail);
        let hash = entry_hash(&prev_hash, id, [&at, actor, action, object, result, detail]);
        crate::db::cached_execute(
            conn,
            "INSERT INTO audit_log (id, at, actor, action, object, result, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id, at, actor, action, object, result, detail, prev_hash, hash],
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

    /// The distinct values of an indexed column, one index seek per value (a skip scan),
    /// so that years of entries do not make the viewer's filter lists slow.
    pub(super) fn distinct(conn: &Connection, column: &'static str) -> Result<Vec<String>> {
        debug_assert!(column == "actor" || column == "action");
        let mut statement = conn.prepare(&format!(
            "WITH RECURSIVE seen(value) AS (
                 SELECT min({column}) FROM audit_log
                 UNION ALL
                 SELECT (SELECT min({column}) FROM audit_log WHERE {column} > seen.value)
                 FROM seen WHERE seen.value IS NOT NULL
             )
             SELECT value FROM seen WHERE value IS NOT NULL"
        ))?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests;
