//! SQL for the on-site incident log.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{IncidentCounts, IncidentKind, IncidentOutcome};
use crate::days::{instant, stamp};
use crate::error::Result;

pub(in crate::queue) struct NewIncident {
    pub service_date: String,
    pub occurred_at: DateTime<Utc>,
    pub kind: IncidentKind,
    pub naloxone_doses: i64,
    pub ems_called: bool,
    pub outcome: IncidentOutcome,
    pub guest_id: Option<i64>,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: i64,
}

pub(in crate::queue) fn insert_incident(conn: &Connection, new: &NewIncident) -> Result<i64> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO incidents (service_date, occurred_at, kind, naloxone_doses, ems_called,
            outcome, guest_id, note, recorded_at, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            new.service_date,
            stamp(new.occurred_at),
            new.kind.as_str(),
            new.naloxone_doses,
            new.ems_called,
            new.outcome.as_str(),
            new.guest_id,
            new.note,
            stamp(new.recorded_at),
            new.recorded_by
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(in crate::queue) struct IncidentRow {
    pub id: i64,
    pub kind: IncidentKind,
    pub occurred_at: DateTime<Utc>,
    pub naloxone_doses: i64,
    pub ems_called: bool,
    pub outcome: IncidentOutcome,
    pub guest_code: Option<String>,
    pub note: Option<String>,
    pub recorded_by: String,
}

/// A day's incidents, the latest first.
pub(in crate::queue) fn incidents_of_day(
    conn: &Connection,
    service_date: &str,
) -> Result<Vec<IncidentRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT i.id, i.kind, i.occurred_at, i.naloxone_doses, i.ems_called, i.outcome,
                g.code, i.note, s.display_name
         FROM incidents i
         LEFT JOIN guests g ON g.id = i.guest_id
         JOIN staff s ON s.id = i.recorded_by
         WHERE i.service_date = ?1
         ORDER BY i.occurred_at DESC, i.id DESC",
    )?;
    let rows = statement.query_map([service_date], |row| {
        let kind: String = row.get(1)?;
        let occurred: String = row.get(2)?;
        let outcome: String = row.get(5)?;
        Ok(IncidentRow {
            id: row.get(0)?,
            kind: IncidentKind::parse(&kind),
            occurred_at: instant(&occurred)?,
            naloxone_doses: row.get(3)?,
            ems_called: row.get(4)?,
            outcome: IncidentOutcome::parse(&outcome),
            guest_code: row.get(6)?,
            note: row.get(7)?,
            recorded_by: row.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(in crate::queue) fn incident_counts(
    conn: &Connection,
    service_date: &str,
) -> Result<IncidentCounts> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT count(*), count(*) FILTER (WHERE kind = 'overdose'),
                coalesce(sum(naloxone_doses), 0), count(*) FILTER (WHERE ems_called = 1)
         FROM incidents WHERE service_date = ?1",
        [service_date],
        |row| {
            Ok(IncidentCounts {
                incidents: row.get(0)?,
                overdoses: row.get(1)?,
                naloxone_doses: row.get(2)?,
                ems_called: row.get(3)?,
            })
        },
    )?)
}

/// [`incident_counts`] of every service date of `from..=to` that has incidents.
pub(in crate::queue) fn incident_counts_in_range(
    conn: &Connection,
    from: &str,
    to: &str,
) -> Result<HashMap<String, IncidentCounts>> {
    let mut statement = conn.prepare_cached(
        "SELECT service_date, count(*), count(*) FILTER (WHERE kind = 'overdose'),
                coalesce(sum(naloxone_doses), 0), count(*) FILTER (WHERE ems_called = 1)
         FROM incidents WHERE service_date BETWEEN ?1 AND ?2 GROUP BY service_date",
    )?;
    let rows = statement.query_map(params![from, to], |row| {
        Ok((
            row.get(0)?,
            IncidentCounts {
                incidents: row.get(1)?,
                overdoses: row.get(2)?,
                naloxone_doses: row.get(3)?,
                ems_called: row.get(4)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
