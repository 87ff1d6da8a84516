//! Daily counts for supervisors, funders and the city: per local day of the center (DST
//! days are 23 or 25 hours long), visits and guests, occupancy by hour, showers and
//! workstations, the nurse queue and incidents, referrals, alerts and restrictions.
//! Only counts: never a guest code or a note.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use ts_rs::TS;

use crate::audit::{self, Event};
use crate::auth::{self, Actor, Operation};
use crate::clock::Clock;
use crate::days;
use crate::db::Database;
use crate::error::{AppError, Result};
use crate::queue::QueueCounts;
use crate::referrals::ReferralGroupCounts;
use crate::schedule::KindCounts;

pub mod export;
pub mod identities;
mod storage;
pub mod suppression;

/// The longest range one report covers (five years and a leap day).
pub const MAX_RANGE_DAYS: i64 = 5 * 365 + 2;
/// The settings key of the small-cell threshold.
pub const SMALL_CELL_SETTING: &str = "small_cell_threshold";
pub const DEFAULT_SMALL_CELL_THRESHOLD: u32 = 10;

/// How far a day's numbers can still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DayStatus {
    /// Closed out: the numbers are final (corrections after close are counted apart).
    Final,
    /// Closed out after the day was over (it had been left open): final too.
    ClosedLate,
    /// Not closed out yet: today, a day to come, or an earlier day nobody counted anyone on.
    Provisional,
    /// An earlier day with visits or tallies that nobody closed out: what it left open
    /// was settled at its closing time, and a supervisor still has to close it.
    LeftOpen,
}

impl DayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DayStatus::Final => "final",
            DayStatus::ClosedLate => "closed_late",
            DayStatus::Provisional => "provisional",
            DayStatus::LeftOpen => "left_open",
        }
    }

    /// Whether the day's numbers are frozen by a close-out.
    pub fn is_closed(self) -> bool {
        matches!(self, DayStatus::Final | DayStatus::ClosedLate)
    }
}

/// The most people inside during one hour of the center's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HourOccupancy {
    /// The hour's start on the center's clock, `HH:MM` (twice `01:00` when clocks go back).
    pub hour: String,
    pub peak: u32,
}

/// Every count of one local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DayCounts {
    pub date: String,
    pub status: DayStatus,
    /// Check-ins on the day (undone ones excluded; corrections after close included).
    pub visits: u32,
    pub unique_guests: u32,
    /// Guests whose first visit that was not undone was this day.
    pub new_guests: u32,
    pub anonymous_tallies: u32,
    /// Visits and tallies recorded after the day was closed out (undone ones excluded).
    pub corrections_after_close: u32,
    /// Visits nobody checked out: settled at the day's closing time when the day was
    /// left open (counted in `visits`).
    pub settled_at_day_end: u32,
    pub peak_occupancy: u32,
    pub occupancy_by_hour: Vec<HourOccupancy>,
    pub services: Vec<KindCounts>,
    pub nurse: QueueCounts,
    pub referrals: Vec<ReferralGroupCounts>,
    pub alerts_issued: u32,
    pub restrictions_issued: u32,
}

/// The counts of a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub from: String,
    pub to: String,
    /// When it was computed, on the center's clock.
    pub generated_local: String,
    pub days: Vec<DayCounts>,
    /// Distinct guests over the whole range (not the sum of the days).
    pub unique_guests_in_range: u32,
}

/// Parse and check a range: dates as `YYYY-MM-DD`, `to` not before `from`, at most five
/// years.
pub fn parse_range(from: &str, to: &str) -> Result<(NaiveDate, NaiveDate)> {
    let from = days::parse_date("from", from)?;
    let to = days::parse_date("to", to)?;
    if to < from {
        return Err(AppError::invalid_input("to", "must not be before from"));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(AppError::invalid_input(
            "to",
            "a report covers at most five years; export in parts",
        ));
    }
    Ok((from, to))
}

/// Compute the report for a range (supervisors, or the command line for scheduled exports).
/// `progress` is told each day as it is done (for long ranges on the command line).
pub fn compute(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    from: &str,
    to: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report> {
    authorize(db, clock, actor)?;
    let (from, to) = parse_range(from, to)?;
    // A day nobody closed out is counted as it was settled (stays end at closing time).
    crate::visits::settle_earlier_days(db, clock)?;
    build(db, clock.now(), from, to, progress)
}

/// Supervisors, or the command line (scheduled exports run without a person logged in).
fn authorize(db: &mut Database, clock: &dyn Clock, actor: &mut Actor<'_>) -> Result<()> {
    match actor {
        Actor::Staff(session) => auth::authorize(db, clock, session, Operation::Reports),
        Actor::Cli { .. } => Ok(()),
    }
}

fn build(
    db: &Database,
    now: DateTime<Utc>,
    from: NaiveDate,
    to: NaiveDate,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report> {
    let zone = days::center_zone(db)?;
    let conn = db.conn();
    let rows = RangeRows::read(conn, zone, now, from, to)?;
    let today = days::local_date(zone, now);
    let total = usize::try_from((to - from).num_days() + 1).unwrap_or(0);
    let mut days_out = Vec::with_capacity(total);
    let mut date = from;
    while date <= to {
        days_out.push(rows.day(zone, today, date));
        progress(days_out.len(), total);
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    Ok(Report {
        from: from.to_string(),
        to: to.to_string(),
        generated_local: days::local_time_text(zone, now),
        unique_guests_in_range: rows.visits.unique_guests,
        days: days_out,
    })
}

/// Everything the days of a range are counted from: a fixed number of queries, each over
/// the whole range, however long it is; each day is then taken out of them.
struct RangeRows {
    visits: storage::RangeVisits,
    new_guests: HashMap<String, u32>,
    /// Closed days, and whether each was closed late.
    closed: HashMap<String, bool>,
    stays: storage::Stays,
    flags: storage::Flags,
    services: crate::schedule::KindCountsByDay,
    nurse: crate::queue::RangeCounts,
    referrals: crate::referrals::RangeCounts,
}

impl RangeRows {
    fn read(
        conn: &rusqlite::Connection,
        zone: Tz,
        now: DateTime<Utc>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Self> {
        let (first, last) = (from.to_string(), to.to_string());
        let (start, end) = days::range_bounds(zone, from, to);
        Ok(Self {
            visits: storage::visit_counts(conn, &first, &last)?,
            new_guests: storage::new_guests(conn, &first, &last)?,
            closed: storage::closed_days(conn, &first, &last)?,
            stays: storage::stays(conn, start, end, now)?,
            flags: storage::flags(conn, start, end)?,
            services: crate::schedule::counts_in_range(conn, &first, &last)?,
            nurse: crate::queue::counts_in_range(conn, &first, &last)?,
            referrals: crate::referrals::counts_in_range(conn, &first, &last)?,
        })
    }

    /// The counts of one date of the range.
    fn day(&self, zone: Tz, today: NaiveDate, date: NaiveDate) -> DayCounts {
        let text = date.to_string();
        let (start, end) = days::range_bounds(zone, date, date);
        let visits = self.visits.days.get(&text).cloned().unwrap_or_default();
        let (occupancy_by_hour, peak_occupancy) =
            occupancy(&self.stays.of_day(start, end), zone, start, end);
        let (alerts_issued, restrictions_issued) = self.flags.issued(start, end);
        let counted = visits.visits > 0 || visits.tallies > 0;
        DayCounts {
            status: match self.closed.get(&text) {
                Some(false) => DayStatus::Final,
                Some(true) => DayStatus::ClosedLate,
                None if date < today && counted => DayStatus::LeftOpen,
                None => DayStatus::Provisional,
            },
            visits: visits.visits,
            unique_guests: visits.guests,
            new_guests: self.new_guests.get(&text).copied().unwrap_or(0),
            anonymous_tallies: visits.tallies,
            corrections_after_close: visits.after_close,
            settled_at_day_end: visits.settled,
            peak_occupancy,
            occupancy_by_hour,
            services: self.services.on(&text),
            nurse: self.nurse.on(&text),
            referrals: self.referrals.on(&text),
            alerts_issued,
            restrictions_issued,
            date: text,
        }
    }
}

/// The peak number inside in each hour of `[start, end)` and over the whole day, from the
/// stays (`[in, out)`) that overlap it. Hours are steps of one real hour from local
/// midnight, labelled on the center's clock, so DST days have 23 or 25 of them.
pub(crate) fn occupancy(
    stays: &[(DateTime<Utc>, DateTime<Utc>)],
    zone: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> (Vec<HourOccupancy>, u32) {
    // +1 at arrival, -1 at leaving; a departure at the same instant as an arrival goes
    // first (they were not inside together).
    let mut events: Vec<(DateTime<Utc>, i32)> = Vec::with_capacity(stays.len() * 2);
    for (arrived, left) in stays {
        let arrived = (*arrived).max(start);
        let left = (*left).min(end);
        if arrived < left {
            events.push((arrived, 1));
            events.push((left, -1));
        }
    }
    events.sort_unstable();
    let mut hours = Vec::new();
    let mut inside: i32 = 0;
    let mut next = 0;
    let mut hour_start = start;
    let mut day_peak = 0;
    while hour_start < end {
        let hour_end = (hour_start + Duration::hours(1)).min(end);
        // Everything up to and at the hour's start.
        while next < events.len() && events[next].0 <= hour_start {
            inside += events[next].1;
            next += 1;
        }
        let mut peak = inside;
        while next < events.len() && events[next].0 < hour_end {
            inside += events[next].1;
            peak = peak.max(inside);
            next += 1;
        }
        let peak = u32::try_from(peak.max(0)).unwrap_or(0);
        day_peak = day_peak.max(peak);
        hours.push(HourOccupancy {
            hour: clock_hour(hour_start.with_timezone(&zone)),
            peak,
        });
        hour_start = hour_end;
    }
    (hours, day_peak)
}

/// `HH:MM` of a time on the center's clock (as `%H:%M` writes it, without parsing that
/// format for each of a year's 8,760 hours).
fn clock_hour(at: DateTime<Tz>) -> String {
    format!("{:02}:{:02}", at.hour(), at.minute())
}

/// The small-cell threshold (setting, default 10).
pub fn small_cell_threshold(db: &Database) -> u32 {
    crate::settings::read_whole(
        db,
        SMALL_CELL_SETTING,
        1..=100,
        DEFAULT_SMALL_CELL_THRESHOLD,
    )
}

/// The small-cell threshold as the Reports screen shows it: for a session allowed the
/// reports, like changing it.
pub fn small_cell_setting(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut auth::Session,
) -> Result<u32> {
    auth::authorize(db, clock, session, Operation::Reports)?;
    Ok(small_cell_threshold(db))
}

/// Set the small-cell threshold, 1 to 100 (supervisors).
pub fn set_small_cell_threshold(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut auth::Session,
    typed: &str,
) -> Result<u32> {
    auth::authorize(db, clock, session, Operation::Reports)?;
    let value = crate::settings::parse_whole("small-cell threshold", typed, 1..=100, "people")?;
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        crate::settings::write(tx, SMALL_CELL_SETTING, &value.to_string(), now)?;
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "settings.small_cell_threshold",
                "settings",
                &value.to_string(),
            ),
        )
    })?;
    Ok(value)
}

/// Write an audit entry for an export (who, what range, which format, suppressed or not).
pub fn audit_export(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    report: &Report,
    what: &str,
) -> Result<()> {
    let now = clock.now();
    let name = actor.audit_name();
    db.write(|tx| {
        audit::record(
            tx,
            &Event::ok(
                now,
                &name,
                "report.export",
                &format!("counts:{}..{}", report.from, report.to),
                what,
            ),
        )
    })
}

#[cfg(test)]
pub(crate) mod tests;
