//! The end of a service day. A supervisor closes out today (everyone still inside is
//! checked out and the counts are frozen). When nobody did, the next service day starts
//! clean anyway: at the first action or read on a later local day, whatever an earlier day
//! left open (visits, bookings, waitlist places, queue entries) is settled by the system at
//! that day's closing time, and the day stays on the list of days left open until a
//! supervisor closes it out late.

use chrono_tz::Tz;
use serde::Serialize;
use ts_rs::TS;

use super::{local_clock, storage, DayClosure};
use crate::audit::{self, Event};
use crate::auth::{self, Operation, Session};
use crate::clock::Clock;
use crate::days::{self, Today};
use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};

/// Days left open shown with their counts, newest first; older ones are only counted.
pub const DAYS_LEFT_OPEN_SHOWN: usize = 31;

/// What settling one earlier day changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledDay {
    pub date: String,
    /// Visits nobody checked out.
    pub visits: u32,
    pub bookings: u32,
    pub waitlist: u32,
    pub queue: u32,
}

/// An earlier day that was never closed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenDay {
    pub service_date: String,
    pub visits: u32,
    pub guests: u32,
    pub tallies: u32,
    /// Visits nobody checked out, settled at the day's closing time.
    pub settled_at_day_end: u32,
}

/// The earlier days never closed out: the newest [`DAYS_LEFT_OPEN_SHOWN`] with their
/// counts, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DaysLeftOpen {
    pub days: Vec<OpenDay>,
    pub total: u32,
    /// The center's closing time, `HH:MM`: what visits nobody checked out were settled at.
    pub closing_time: String,
}

/// Settle what earlier days left open (the system's action at the start of a service
/// day; safe to call before every action: when nothing is open it only reads). Each day
/// settled is audited as `day.settle` by `system`. Returns the days settled.
pub fn settle_earlier_days(db: &mut Database, clock: &dyn Clock) -> Result<Vec<SettledDay>> {
    let today = Today::of(db, clock)?;
    if open_earlier_days(db.conn(), &today)?.is_empty() {
        return Ok(Vec::new());
    }
    let grace = crate::schedule::no_show_grace(db)?;
    db.write(|tx| {
        // Read again under the write lock: another window or the command line may have
        // settled them meanwhile.
        let mut settled: Vec<SettledDay> = Vec::new();
        for date in storage::open_earlier_days(tx, &today.date.to_string())? {
            let ends = today.end_of(&date)?;
            let visits = storage::settle_day(tx, &date, today.closing_of(&date)?, ends)?;
            day_in(&mut settled, &date).visits = visits;
        }
        for (date, bookings, waitlist) in crate::schedule::settle_earlier_days(tx, &today, grace)? {
            let day = day_in(&mut settled, &date);
            day.bookings = count(bookings);
            day.waitlist = count(waitlist);
        }
        for (date, entries) in crate::queue::settle_earlier_days(tx, &today)? {
            day_in(&mut settled, &date).queue = count(entries);
        }
        settled.sort_by(|a, b| a.date.cmp(&b.date));
        let closes = today.closes.format("%H:%M").to_string();
        for day in &settled {
            let detail = format!(
                "visits={} bookings={} waitlist={} queue={} at={closes}",
                day.visits, day.bookings, day.waitlist, day.queue
            );
            audit::record(
                tx,
                &Event::ok(today.now, "system", "day.settle", &day.date, &detail),
            )?;
        }
        Ok(settled)
    })
}

/// The entry of `date` in the list, added when it is not there yet.
fn day_in<'list>(settled: &'list mut Vec<SettledDay>, date: &str) -> &'list mut SettledDay {
    let at = match settled.iter().position(|day| day.date == date) {
        Some(at) => at,
        None => {
            settled.push(SettledDay {
                date: date.to_string(),
                visits: 0,
                bookings: 0,
                waitlist: 0,
                queue: 0,
            });
            settled.len() - 1
        }
    };
    &mut settled[at]
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The earlier days with anything still open in any area, oldest first.
fn open_earlier_days(conn: &rusqlite::Connection, today: &Today) -> Result<Vec<String>> {
    let date = today.date.to_string();
    let mut days = storage::open_earlier_days(conn, &date)?;
    days.extend(crate::schedule::open_earlier_days(conn, &date)?);
    days.extend(crate::queue::open_earlier_days(conn, &date)?);
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

/// The earlier days never closed out (supervisors).
pub fn days_left_open(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
) -> Result<DaysLeftOpen> {
    auth::authorize(db, clock, session, Operation::CloseDay)?;
    settle_earlier_days(db, clock)?;
    let today = Today::of(db, clock)?;
    let conn = db.conn();
    let dates = storage::days_left_open(conn, &today.date.to_string())?;
    let days = dates
        .iter()
        .take(DAYS_LEFT_OPEN_SHOWN)
        .map(|date| open_day(conn, date))
        .collect::<Result<Vec<_>>>()?;
    Ok(DaysLeftOpen {
        days,
        total: count(dates.len()),
        closing_time: today.closes.format("%H:%M").to_string(),
    })
}

fn open_day(conn: &rusqlite::Connection, date: &str) -> Result<OpenDay> {
    let (visits, guests) = storage::day_counts(conn, date)?;
    Ok(OpenDay {
        service_date: date.to_string(),
        visits,
        guests,
        tallies: storage::count_tallies(conn, date)?,
        settled_at_day_end: storage::settled_on(conn, date)?,
    })
}

pub(super) fn closure_of(
    conn: &rusqlite::Connection,
    zone: Tz,
    service_date: &str,
) -> Result<Option<DayClosure>> {
    storage::closure(conn, service_date)?
        .map(|row| -> Result<DayClosure> {
            Ok(DayClosure {
                corrections: storage::corrections_on(conn, &row.service_date)?,
                closed_at_local: local_clock(zone, row.closed_at),
                service_date: row.service_date,
                closed_by: row.closed_by,
                visits: row.visits,
                guests: row.guests,
                new_guests: row.new_guests,
                tallies: row.tallies,
                checked_out_at_close: row.checked_out_at_close,
                closed_late: row.closed_late,
                backup: None,
                backup_problem: None,
            })
        })
        .transpose()
}

/// Refuse a second close-out of a day, saying who closed it and when.
fn refuse_if_closed(conn: &rusqlite::Connection, zone: Tz, date: &str) -> Result<()> {
    match closure_of(conn, zone, date)? {
        Some(done) => Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "{date} was already closed at {} by {}",
                done.closed_at_local, done.closed_by
            ),
        )),
        None => Ok(()),
    }
}

/// Freeze a day's counts as they stand, with its audit entry (inside the caller's
/// transaction; whatever was still inside is already checked out).
fn freeze(
    tx: &rusqlite::Connection,
    session: &Session,
    today: &Today,
    date: &str,
    checked_out_at_close: u32,
    closed_late: bool,
) -> Result<DayClosure> {
    let (visits, guests) = storage::day_counts(tx, date)?;
    let row = storage::ClosureRow {
        service_date: date.to_string(),
        closed_at: today.now,
        closed_by: session.username.clone(),
        visits,
        guests,
        new_guests: storage::new_guests_on(tx, date)?,
        tallies: storage::count_tallies(tx, date)?,
        checked_out_at_close,
        closed_late,
    };
    storage::insert_closure(tx, &row, session.staff_id)?;
    let late = if closed_late { " late" } else { "" };
    let detail = format!(
        "visits={visits} guests={guests} new={} tallies={} checked_out={checked_out_at_close}{late}",
        row.new_guests, row.tallies
    );
    let actor = format!("staff:{}", session.username);
    audit::record(
        tx,
        &Event::ok(today.now, &actor, "day.close", date, &detail),
    )?;
    closure_of(tx, today.zone, date)?
        .ok_or_else(|| AppError::new(ErrorCode::Internal, "the close-out just written is missing"))
}

/// Close out today (supervisors): everyone still inside is checked out now and the day's
/// counts are frozen. What is recorded for the day afterwards is kept apart as corrections.
pub fn close_day(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
) -> Result<DayClosure> {
    auth::authorize(db, clock, session, Operation::CloseDay)?;
    settle_earlier_days(db, clock)?;
    let today = Today::of(db, clock)?;
    let date = today.date.to_string();
    let staff_id = session.staff_id;
    let mut closed = db.write(|tx| {
        refuse_if_closed(tx, today.zone, &date)?;
        crate::schedule::day_closed(tx, today.now, staff_id)?;
        crate::queue::day_closed(tx, today.now, staff_id)?;
        let checked_out_at_close = storage::check_out_everyone(tx, today.now, staff_id)?;
        freeze(tx, session, &today, &date, checked_out_at_close, false)
    })?;
    // The whole day is in the database now: the moment for the day's backup.
    match crate::backup::automatic_backup(db, clock, crate::backup::Occasion::CloseOut) {
        Ok(made) => closed.backup = made.map(|path| path.display().to_string()),
        Err(err) => closed.backup_problem = Some(err.message),
    }
    Ok(closed)
}

/// Close out an earlier day that nobody closed (supervisors): its counts are frozen as on
/// a normal close-out and the closure is flagged closed late. What it left open was
/// settled at its closing time; those visits are the ones "checked out at close".
pub fn close_earlier_day(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    date: &str,
) -> Result<DayClosure> {
    auth::authorize(db, clock, session, Operation::CloseDay)?;
    let day = days::parse_date("day", date)?;
    settle_earlier_days(db, clock)?;
    let today = Today::of(db, clock)?;
    if day >= today.date {
        return Err(AppError::invalid_input(
            "day",
            format!("{day} is not over yet; close out today from the day's panel"),
        ));
    }
    let date = day.to_string();
    db.write(|tx| {
        refuse_if_closed(tx, today.zone, &date)?;
        let (visits, _) = storage::day_counts(tx, &date)?;
        if visits == 0 && storage::count_tallies(tx, &date)? == 0 {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("nobody was counted on {date}: there is nothing to close out"),
            ));
        }
        let settled = storage::settled_on(tx, &date)?;
        freeze(tx, session, &today, &date, settled, true)
    })
}

/// The center's closing time as `HH:MM`.
pub fn closing_time_text(db: &Database) -> String {
    days::closing_time(db).format("%H:%M").to_string()
}

/// Set the center's closing time (supervisors), typed `HH:MM`: what visits nobody
/// checked out are settled at when a day is left open.
pub fn set_closing_time(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    typed: &str,
) -> Result<String> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let value = days::parse_clock("closing time", typed)?
        .format("%H:%M")
        .to_string();
    let was = closing_time_text(db);
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        crate::settings::write(tx, days::CLOSING_TIME_SETTING, &value, now)?;
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "settings.center_closing_time",
                "settings",
                &format!("{value} (was {was})"),
            ),
        )
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests;
