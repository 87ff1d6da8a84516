//! Alerts (information for staff at check-in) and restrictions (from the building or from
//! one service), recorded and lifted by supervisors. They apply from their start date to
//! their end date in the center's days and stop applying by themselves.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{self, Event};
use crate::auth::{self, Operation, Session};
use crate::clock::Clock;
use crate::days;
use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};
use crate::guests::{self, code};

mod storage;

/// The longest reason.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    Alert,
    Restriction,
}

/// What a restriction keeps the guest from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Building,
    Showers,
    Workstations,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Building => "building",
            Scope::Showers => "showers",
            Scope::Workstations => "workstations",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Scope> {
        [Scope::Building, Scope::Showers, Scope::Workstations]
            .into_iter()
            .find(|scope| scope.as_str() == text)
    }
}

/// An alert or restriction as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub guest_id: i64,
    pub guest_code: String,
    pub kind: FlagKind,
    pub scope: Option<Scope>,
    pub reason: String,
    pub starts_on: String,
    pub ends_on: Option<String>,
}

/// What a supervisor fills in.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewFlag {
    pub guest_code: String,
    pub kind: FlagKind,
    /// Required for a restriction, absent for an alert.
    pub scope: Option<Scope>,
    pub reason: String,
    /// `YYYY-MM-DD`; empty means today.
    pub starts_on: Option<String>,
    /// `YYYY-MM-DD` (inclusive); empty means until lifted.
    pub ends_on: Option<String>,
}

/// The recorded flag, and a warning when it has no end date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FlagRecorded {
    pub flag: Flag,
    pub warning: Option<String>,
}

fn today(db: &Database, clock: &dyn Clock) -> Result<NaiveDate> {
    Ok(days::center_day(db, clock.now())?.1)
}

/// Record an alert or a restriction (supervisors).
pub fn record(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    new: &NewFlag,
) -> Result<FlagRecorded> {
    auth::authorize(db, clock, session, Operation::ManageRestrictions)?;
    let canonical = code::parse(&new.guest_code)?;
    let guest = guests::by_code(db.conn(), &canonical)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!("code: no guest has the code {}", code::display(&canonical)),
        )
    })?;
    let scope = match (new.kind, new.scope) {
        (FlagKind::Alert, None) => None,
        (FlagKind::Alert, Some(_)) => {
            return Err(AppError::invalid_input(
                "applies to",
                "an alert applies to no service; choose a restriction instead",
            ))
        }
        (FlagKind::Restriction, Some(scope)) => Some(scope),
        (FlagKind::Restriction, None) => {
            return Err(AppError::invalid_input(
                "applies to",
                "choose what the restriction is from: building, showers or workstations",
            ))
        }
    };
    let reason = crate::text::clean_text("reason", Some(&new.reason), MAX_REASON_CHARS)?
        .ok_or_else(|| {
            AppError::invalid_input("reason", "say why, for the staff who will read it")
        })?;
    let today = today(db, clock)?;
    let starts_on = match new
        .starts_on
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => days::parse_date("starts", text)?,
        None => today,
    };
    let ends_on = new
        .ends_on
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|text| days::parse_date("ends", text))
        .transpose()?;
    if let Some(ends) = ends_on {
        if ends < starts_on {
            return Err(AppError::invalid_input(
                "ends",
                format!("{ends} is before the start {starts_on}"),
            ));
        }
        if ends < today {
            return Err(AppError::invalid_input(
                "ends",
                format!("{ends} has already passed"),
            ));
        }
    }
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    let staff_id = session.staff_id;
    let flag = db.write(|tx| {
        let id = storage::insert(
            tx, guest.id, new.kind, scope, &reason, starts_on, ends_on, now, staff_id,
        )?;
        let object = format!("guest:{canonical}");
        let action = match new.kind {
            FlagKind::Alert => "guest.alert",
            FlagKind::Restriction => "guest.restriction",
        };
        let detail = format!(
            "flag={id} scope={} from={starts_on} to={}",
            scope.map_or("-", Scope::as_str),
            ends_on.map_or("open".to_string(), |d| d.to_string())
        );
        audit::record(tx, &Event::ok(now, &actor, action, &object, &detail))?;
        storage::flag(tx, id)?
            .ok_or_else(|| AppError::new(ErrorCode::Internal, "the flag just written is missing"))
    })?;
    let warning = ends_on
        .is_none()
        .then(|| "no end date: this stays in force until a supervisor lifts it".to_string());
    Ok(FlagRecorded { flag, warning })
}

/// Lift an alert or restriction early (supervisors); it stays on record.
pub fn lift(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    flag_id: i64,
) -> Result<Flag> {
    auth::authorize(db, clock, session, Operation::ManageRestrictions)?;
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    let staff_id = session.staff_id;
    db.write(|tx| {
        let flag = storage::flag(tx, flag_id)?
            .filter(|_| storage::is_unlifted(tx, flag_id).unwrap_or(false))
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::NotFound,
                    "that alert or restriction does not exist or was already lifted",
                )
            })?;
        storage::lift(tx, flag_id, now, staff_id)?;
        let object = format!("guest:{}", flag.guest_code.replace('-', ""));
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "guest.flag_lifted",
                &object,
                &format!("flag={flag_id}"),
            ),
        )?;
        Ok(flag)
    })
}

/// Every alert and restriction in force today or later, for the supervisors' list.
pub fn list_current(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
) -> Result<Vec<Flag>> {
    auth::authorize(db, clock, session, Operation::SeeAlerts)?;
    let today = today(db, clock)?;
    storage::current(db.conn(), today)
}

/// The flags in force for a guest on `today` (for check-in and, later, bookings).
pub(crate) fn active_for(
    conn: &rusqlite::Connection,
    guest_id: i64,
    today: NaiveDate,
) -> Result<Vec<Flag>> {
    storage::active_for(conn, guest_id, today)
}

/// Refuse when an active restriction keeps the guest from `scope`.
pub(crate) fn refuse_if_restricted(flags: &[Flag], scope: Scope, who: &str) -> Result<()> {
    match flags.iter().find(|flag| flag.scope == Some(scope)) {
        Some(flag) => Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "{who} is restricted from the {} {}: {}",
                scope.as_str(),
                flag.ends_on
                    .as_ref()
                    .map_or("until a supervisor lifts it".to_string(), |end| format!(
                        "until {end}"
                    )),
                flag.reason
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
