//! On-site overdoses and medical incidents: when, naloxone doses, whether EMS came, the
//! outcome and the guest when known. Nurses and supervisors record and read them; the
//! daily counts carry how many and how many doses.

use chrono::{NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub(super) mod storage;
use crate::audit::{self, Event};
use crate::auth::{self, Operation, Session};
use crate::clock::Clock;
use crate::days::Today;
use crate::db::Database;
use crate::error::{AppError, Result};
use crate::guests;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Overdose,
    Medical,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Overdose => "overdose",
            IncidentKind::Medical => "medical",
        }
    }

    pub(crate) fn parse(text: &str) -> IncidentKind {
        if text == "overdose" {
            IncidentKind::Overdose
        } else {
            IncidentKind::Medical
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IncidentOutcome {
    RecoveredOnSite,
    Transported,
    RefusedTransport,
    LeftBeforeEms,
    Deceased,
    Other,
}

impl IncidentOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentOutcome::RecoveredOnSite => "recovered_on_site",
            IncidentOutcome::Transported => "transported",
            IncidentOutcome::RefusedTransport => "refused_transport",
            IncidentOutcome::LeftBeforeEms => "left_before_ems",
            IncidentOutcome::Deceased => "deceased",
            IncidentOutcome::Other => "other",
        }
    }

    pub(crate) fn parse(text: &str) -> IncidentOutcome {
        match text {
            "recovered_on_site" => IncidentOutcome::RecoveredOnSite,
            "transported" => IncidentOutcome::Transported,
            "refused_transport" => IncidentOutcome::RefusedTransport,
            "left_before_ems" => IncidentOutcome::LeftBeforeEms,
            "deceased" => IncidentOutcome::Deceased,
            _ => IncidentOutcome::Other,
        }
    }
}

/// The most naloxone doses one incident can record.
pub const MAX_NALOXONE_DOSES: u32 = 20;

/// An incident as the nurse types it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentInput {
    pub kind: IncidentKind,
    /// Local time today, `HH:MM`; empty for now.
    pub occurred: Option<String>,
    /// As typed: a whole number from 0 to 20; empty for none.
    pub naloxone_doses: String,
    pub ems_called: bool,
    pub outcome: IncidentOutcome,
    /// The guest's code, when known.
    pub guest_code: Option<String>,
    pub note: Option<String>,
}

/// A recorded incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: IncidentKind,
    pub occurred_local: String,
    #[ts(type = "number")]
    pub naloxone_doses: i64,
    pub ems_called: bool,
    pub outcome: IncidentOutcome,
    pub guest_code: Option<String>,
    pub note: Option<String>,
    pub recorded_by: String,
}

/// Incidents of a day for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentCounts {
    pub incidents: u32,
    pub overdoses: u32,
    #[ts(type = "number")]
    pub naloxone_doses: i64,
    pub ems_called: u32,
}

/// Record an incident of today (nurses and supervisors).
pub fn record(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    input: &IncidentInput,
) -> Result<Incident> {
    auth::authorize(db, clock, session, Operation::RecordIncidents)?;
    let naloxone_doses = match input.naloxone_doses.trim() {
        "" => 0,
        typed => {
            crate::settings::parse_whole("naloxone doses", typed, 0..=MAX_NALOXONE_DOSES, "doses")?
        }
    };
    let note = crate::text::clean_text("note", input.note.as_deref(), 500)?;
    let today = Today::of(db, clock)?;
    let occurred_at = match input
        .occurred
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => today.now,
        Some(text) => {
            let shown: String = text.chars().take(12).collect();
            let time = NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| {
                AppError::invalid_input("time", format!("{shown:?} is not a time; write HH:MM"))
            })?;
            let at = today
                .zone
                .from_local_datetime(&today.date.and_time(time))
                .earliest()
                .ok_or_else(|| AppError::invalid_input("time", "that time does not exist today"))?
                .with_timezone(&chrono::Utc);
            if at > today.now {
                return Err(AppError::invalid_input(
                    "time",
                    format!("{shown} is still to come; record incidents that happened"),
                ));
            }
            at
        }
    };
    let guest_code = match input
        .guest_code
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(typed) => Some(guests::code::parse_field("guest code", typed)?),
        None => None,
    };
    let (actor, staff_id) = super::actor_of(session);
    db.write(|tx| {
        let guest = match &guest_code {
            Some(code) => Some(guests::by_code(tx, code)?.ok_or_else(|| {
                AppError::invalid_input(
                    "guest code",
                    format!("no guest has the code {}", guests::code::display(code)),
                )
            })?),
            None => None,
        };
        let row = storage::NewIncident {
            service_date: today.date.to_string(),
            occurred_at,
            kind: input.kind,
            naloxone_doses: i64::from(naloxone_doses),
            ems_called: input.ems_called,
            outcome: input.outcome,
            guest_id: guest.as_ref().map(|g| g.id),
            note: note.clone(),
            recorded_at: today.now,
            recorded_by: staff_id,
        };
        let id = storage::insert_incident(tx, &row)?;
        let object = guest.as_ref().map_or_else(
            || format!("incident:{id}"),
            |g| format!("guest:{}", g.code.replace('-', "")),
        );
        let detail = format!(
            "incident={id} kind={} naloxone={} ems={} outcome={}",
            input.kind.as_str(),
            naloxone_doses,
            input.ems_called,
            input.outcome.as_str()
        );
        audit::record(
            tx,
            &Event::ok(today.now, &actor, "incident.record", &object, &detail),
        )?;
        storage::incidents_of_day(tx, &row.service_date)?
            .into_iter()
            .find(|incident| incident.id == id)
            .map(|incident| view(&today, incident))
            .ok_or_else(|| AppError::internal("the incident just recorded is missing"))
    })
}

/// Today's incidents, the latest first (nurses and supervisors).
pub fn today(db: &mut Database, clock: &dyn Clock, session: &mut Session) -> Result<Vec<Incident>> {
    auth::authorize(db, clock, session, Operation::RecordIncidents)?;
    let today = Today::of(db, clock)?;
    Ok(
        storage::incidents_of_day(db.conn(), &today.date.to_string())?
            .into_iter()
            .map(|incident| view(&today, incident))
            .collect(),
    )
}

fn view(today: &Today, row: storage::IncidentRow) -> Incident {
    Incident {
        id: row.id,
        kind: row.kind,
        occurred_local: today.clock_text(row.occurred_at),
        naloxone_doses: row.naloxone_doses,
        ems_called: row.ems_called,
        outcome: row.outcome,
        guest_code: row.guest_code.as_deref().map(guests::code::display),
        note: row.note,
        recorded_by: row.recorded_by,
    }
}
