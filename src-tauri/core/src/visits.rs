//! Visits: check-in and check-out at the front desk, who is inside, occupancy against the
//! building capacity, undo of a check-in (kept as a correction) and anonymous tallies.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{self, Event};
use crate::auth::{self, Operation, Session};
use crate::clock::Clock;
use crate::days;
use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};
use crate::guests::{self, GuestCard, NewGuest};
use crate::restrictions::{self, Flag, Scope};
use crate::settings;

mod day_end;
mod search;
mod storage;

pub use day_end::{
    close_day, close_earlier_day, closing_time_text, days_left_open, set_closing_time,
    settle_earlier_days, DaysLeftOpen, OpenDay, SettledDay,
};
pub use search::{lookup, merge_guests, Lookup};

/// How long the person who checked someone in can undo it.
pub const UNDO_WINDOW: Duration = Duration::minutes(5);
/// The settings key of the building capacity, and its bounds.
pub const CAPACITY_SETTING: &str = "building_capacity";
pub const DEFAULT_CAPACITY: u32 = 60;
pub const MAX_CAPACITY: u32 = 2000;
/// Recently seen guests offered on the desk.
pub const RECENT_GUESTS: usize = 8;

/// How full the building is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OccupancyLevel {
    Normal,
    /// At or above 90 % of capacity.
    Warning,
    /// At or above capacity: check-in needs a supervisor.
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Occupancy {
    pub inside: u32,
    pub capacity: u32,
    pub level: OccupancyLevel,
}

impl Occupancy {
    fn new(inside: u32, capacity: u32) -> Occupancy {
        let level = if inside >= capacity {
            OccupancyLevel::Full
        } else if u64::from(inside) * 10 >= u64::from(capacity) * 9 {
            OccupancyLevel::Warning
        } else {
            OccupancyLevel::Normal
        };
        Occupancy {
            inside,
            capacity,
            level,
        }
    }
}

/// Someone inside now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InsideGuest {
    #[ts(type = "number")]
    pub visit_id: i64,
    #[ts(type = "number")]
    pub guest_id: i64,
    pub code: String,
    pub nickname: Option<String>,
    /// Check-in time on the center's clock, `09:14`.
    pub checked_in_local: String,
    #[ts(type = "number")]
    pub minutes_inside: i64,
}

/// A check-in the desk can still undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Undoable {
    #[ts(type = "number")]
    pub visit_id: i64,
    pub code: String,
    pub nickname: Option<String>,
    /// Until when, on the center's clock.
    pub until_local: String,
}

/// Everything the front-desk screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeskToday {
    pub service_date: String,
    pub occupancy: Occupancy,
    /// Longest inside first.
    pub inside: Vec<InsideGuest>,
    /// Guests seen lately who are not inside, most recent first.
    pub recent: Vec<GuestCard>,
    pub visits_today: u32,
    pub guests_today: u32,
    pub tallies_today: u32,
    /// The caller's own last check-in, while it can be undone.
    pub undoable: Option<Undoable>,
    /// Set when today has been closed out.
    pub closed: Option<DayClosure>,
}

/// A closed day: the counts frozen at close-out, and what was recorded after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DayClosure {
    pub service_date: String,
    /// On the center's clock, `19:02`.
    pub closed_at_local: String,
    pub closed_by: String,
    pub visits: u32,
    pub guests: u32,
    pub new_guests: u32,
    pub tallies: u32,
    /// Guests who were still inside and were checked out by the close-out (for a day
    /// closed late: those nobody checked out, settled at the day's closing time).
    pub checked_out_at_close: u32,
    /// Visits and tallies recorded after the close-out (corrections, counted apart).
    pub corrections: u32,
    /// True when the day was closed out after it was over (from the days left open).
    pub closed_late: bool,
    /// Only on the close-out's own reply: the automatic backup it made.
    pub backup: Option<String>,
    /// Only on the close-out's own reply: why that backup could not be made (the day is
    /// closed all the same).
    pub backup_problem: Option<String>,
}

/// The outcome of a check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckedIn {
    pub guest: GuestCard,
    #[ts(type = "number")]
    pub visit_id: i64,
    pub occupancy: Occupancy,
    /// True when a supervisor let the guest in over capacity.
    pub over_capacity: bool,
    /// True when the guest was registered by this check-in.
    pub new_guest: bool,
    /// Alerts and service restrictions in force, to show prominently.
    pub flags: Vec<Flag>,
    /// The guest's new row of the inside list, as the desk's list shows it, so the desk
    /// can show it at once without reloading the whole list.
    pub inside_row: InsideGuest,
}

/// The building capacity (setting `building_capacity`).
pub fn capacity(db: &Database) -> Result<u32> {
    Ok(settings::read_whole(
        db,
        CAPACITY_SETTING,
        1..=MAX_CAPACITY,
        DEFAULT_CAPACITY,
    ))
}

/// Set the building capacity (supervisors) from what was typed.
pub fn set_capacity(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    typed: &str,
) -> Result<u32> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let value = settings::parse_whole("building capacity", typed, 1..=MAX_CAPACITY, "people")?;
    let was = capacity(db)?;
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        settings::write(tx, CAPACITY_SETTING, &value.to_string(), now)?;
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "settings.building_capacity",
                "settings",
                &format!("{value} (was {was})"),
            ),
        )
    })?;
    Ok(value)
}

/// Check in a registered guest. When the building is full only a supervisor may let
/// someone in, by asking for `over_capacity`.
pub fn check_in(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    guest_id: i64,
    over_capacity: bool,
) -> Result<CheckedIn> {
    auth::authorize(db, clock, session, Operation::GuestsCheckIn)?;
    // Yesterday's guests are not inside today.
    settle_earlier_days(db, clock)?;
    if over_capacity {
        // Only supervisors may let someone in over capacity; a refusal is audited.
        auth::authorize(db, clock, session, Operation::OverrideCapacity)?;
    }
    let context = Context::new(db, clock, session, over_capacity)?;
    db.write(|tx| {
        let guest = guests::card(tx, guest_id)?;
        context.admit(tx, guest, false)
    })
}

/// Register a new guest and check them in, in one step.
pub fn register_and_check_in(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    new: &NewGuest,
    over_capacity: bool,
) -> Result<CheckedIn> {
    auth::authorize(db, clock, session, Operation::GuestsCheckIn)?;
    // Yesterday's guests are not inside today.
    settle_earlier_days(db, clock)?;
    let record = guests::validate_new(new, clock.now())?;
    if over_capacity {
        // Only supervisors may let someone in over capacity; a refusal is audited.
        auth::authorize(db, clock, session, Operation::OverrideCapacity)?;
    }
    let context = Context::new(db, clock, session, over_capacity)?;
    db.write(|tx| {
        let (id, code) =
            guests::register_in(tx, &record, &context.today, context.now, context.staff_id)?;
        let object = format!("guest:{code}");
        audit::record(
            tx,
            &Event::ok(context.now, &context.actor, "guest.register", &object, ""),
        )?;
        let guest = guests::card(tx, id)?;
        context.admit(tx, guest, true)
    })
}

/// What a check-in needs to know before its transaction.
struct Context {
    now: DateTime<Utc>,
    zone: Tz,
    today: String,
    today_date: chrono::NaiveDate,
    staff_id: i64,
    actor: String,
    capacity: u32,
    over_capacity: bool,
    /// True when today has been closed out: what is recorded now is a correction.
    day_closed: bool,
}

impl Context {
    fn new(
        db: &Database,
        clock: &dyn Clock,
        session: &Session,
        over_capacity: bool,
    ) -> Result<Context> {
        let now = clock.now();
        let (zone, today_date) = days::center_day(db, now)?;
        Ok(Context {
            now,
            zone,
            today: today_date.to_string(),
            today_date,
            staff_id: session.staff_id,
            actor: format!("staff:{}", session.username),
            capacity: capacity(db)?,
            over_capacity,
            day_closed: storage::closure(db.conn(), &today_date.to_string())?.is_some(),
        })
    }

    /// The check-in itself, inside the transaction: not inside already, room in the
    /// building (or a supervisor's override), then the visit and its audit entry.
    fn admit(
        &self,
        tx: &rusqlite::Connection,
        guest: GuestCard,
        new_guest: bool,
    ) -> Result<CheckedIn> {
        let flags = restrictions::active_for(tx, guest.id, self.today_date)?;
        restrictions::refuse_if_restricted(
            &flags,
            Scope::Building,
            &who(&guest.code, guest.nickname.as_deref()),
        )?;
        if let Some(open) = storage::open_visit(tx, guest.id)? {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is already inside (checked in at {})",
                    who(&guest.code, guest.nickname.as_deref()),
                    local_clock(self.zone, open.checked_in_at)
                ),
            ));
        }
        let inside = storage::count_open(tx)?;
        let full = inside >= self.capacity;
        if full && !self.over_capacity {
            return Err(AppError::new(
                ErrorCode::CapacityReached,
                format!(
                    "the building is full ({inside} of {} inside); a supervisor can let this guest in anyway",
                    self.capacity
                ),
            ));
        }
        let override_by = full.then_some(self.staff_id);
        let visit_id = storage::insert_visit(
            tx,
            guest.id,
            &self.today,
            self.now,
            self.staff_id,
            override_by,
            self.day_closed,
        )?;
        let object = format!("guest:{}", guest.code.replace('-', ""));
        let detail = format!("visit={visit_id}");
        audit::record(
            tx,
            &Event::ok(self.now, &self.actor, "visit.check_in", &object, &detail),
        )?;
        if full {
            let detail = format!(
                "visit={visit_id} inside={inside} capacity={}",
                self.capacity
            );
            audit::record(
                tx,
                &Event::ok(
                    self.now,
                    &self.actor,
                    "visit.capacity_override",
                    &object,
                    &detail,
                ),
            )?;
        }
        let inside_row = InsideGuest {
            visit_id,
            guest_id: guest.id,
            code: guest.code.clone(),
            nickname: guest.nickname.clone(),
            checked_in_local: local_clock(self.zone, self.now),
            minutes_inside: 0,
        };
        Ok(CheckedIn {
            guest: guests::card(tx, guest.id)?,
            visit_id,
            occupancy: Occupancy::new(inside + 1, self.capacity),
            over_capacity: full,
            new_guest,
            flags,
            inside_row,
        })
    }
}

fn who(code: &str, nickname: Option<&str>) -> String {
    match nickname {
        Some(name) => format!("{name} ({code})"),
        None => code.to_string(),
    }
}

fn local_clock(zone: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone).format("%H:%M").to_string()
}

/// The nickname prefix of the guests the crash and concurrency drill makes.
pub const DRILL_NICKNAME_PREFIX: &str = "Drill guest ";

/// How many guests the drill did not make: the drill refuses any database with one.
pub fn foreign_guests_for_drill(db: &Database) -> Result<i64> {
    storage::guests_not_named(db.conn(), DRILL_NICKNAME_PREFIX)
}

/// Check a guest out (from the list of who is inside).
pub fn check_out(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    visit_id: i64,
) -> Result<GuestCard> {
    auth::authorize(db, clock, session, Operation::GuestsCheckIn)?;
    // Yesterday's guests are not inside today.
    settle_earlier_days(db, clock)?;
    change_open_visit(
        db,
        clock,
        session,
        visit_id,
        "visit.check_out",
        |tx, visit, now, staff_id| {
            storage::check_out(tx, visit.id, now, staff_id)?;
            // Leaving the building gives up the day's bookings still to come.
            crate::schedule::guest_left(tx, visit.guest_id, now, staff_id)?;
            // ... and their place in the nurse queue (left without being seen).
            crate::queue::guest_left(tx, visit.guest_id, now, staff_id)?;
            Ok(())
        },
    )
}

/// Undo the caller's own check-in within [`UNDO_WINDOW`]. The visit is kept, marked as a
/// correction, and no longer counts.
pub fn undo_check_in(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    visit_id: i64,
) -> Result<GuestCard> {
    auth::authorize(db, clock, session, Operation::GuestsCheckIn)?;
    // Yesterday's guests are not inside today.
    settle_earlier_days(db, clock)?;
    let staff_id = session.staff_id;
    change_open_visit(
        db,
        clock,
        session,
        visit_id,
        "visit.undo_check_in",
        |tx, visit, now, _| {
            if visit.checked_in_by != staff_id {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    "only the person who checked this guest in can undo it; check them out instead",
                ));
            }
            if now - visit.checked_in_at > UNDO_WINDOW {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "a check-in can be undone for {} minutes; check the guest out instead",
                        UNDO_WINDOW.num_minutes()
                    ),
                ));
            }
            storage::void(tx, visit.id, now, staff_id, "undone at the desk")?;
            // A guest who was never really in has no bookings or queue place either.
            crate::schedule::guest_left(tx, visit.guest_id, now, staff_id)?;
            crate::queue::guest_left(tx, visit.guest_id, now, staff_id)?;
            Ok(())
        },
    )
}

/// The shape both check-out and undo share: the visit must be open, then one change and
/// its audit entry in one transaction.
fn change_open_visit(
    db: &mut Database,
    clock: &dyn Clock,
    session: &Session,
    visit_id: i64,
    action: &str,
    change: impl FnOnce(&rusqlite::Connection, &storage::Visit, DateTime<Utc>, i64) -> Result<()>,
) -> Result<GuestCard> {
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    let staff_id = session.staff_id;
    db.write(|tx| {
        let visit = storage::visit(tx, visit_id)?
            .filter(|visit| visit.is_open())
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::Conflict,
                    "that guest is not inside (already checked out, or the check-in was undone)",
                )
            })?;
        change(tx, &visit, now, staff_id)?;
        let guest = guests::card(tx, visit.guest_id)?;
        let object = format!("guest:{}", guest.code.replace('-', ""));
        audit::record(
            tx,
            &Event::ok(now, &actor, action, &object, &format!("visit={visit_id}")),
        )?;
        Ok(guest)
    })
}

/// Count someone who declines a code; returns today's tally.
pub fn count_anonymous(db: &mut Database, clock: &dyn Clock, session: &mut Session) -> Result<u32> {
    auth::authorize(db, clock, session, Operation::GuestsCheckIn)?;
    // Yesterday's guests are not inside today.
    settle_earlier_days(db, clock)?;
    let now = clock.now();
    let today = days::center_day(db, now)?.1.to_string();
    let actor = format!("staff:{}", session.username);
    let staff_id = session.staff_id;
    db.write(|tx| {
        let after_close = storage::closure(tx, &today)?.is_some();
        storage::insert_tally(tx, &today, now, staff_id, after_close)?;
        audit::record(
            tx,
            &Event::ok(now, &actor, "visit.anonymous_tally", "tally", &today),
        )?;
        storage::count_tallies(tx, &today)
    })
}

/// Everything the front-desk screen shows for today.
pub fn desk_today(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
) -> Result<DeskToday> {
    auth::authorize(db, clock, session, Operation::GuestsCheckIn)?;
    // Yesterday's guests are not inside today.
    settle_earlier_days(db, clock)?;
    let now = clock.now();
    let (zone, today) = days::center_day(db, now)?;
    let today = today.to_string();
    let conn = db.conn();
    let inside: Vec<InsideGuest> = storage::inside(conn)?
        .into_iter()
        .map(|row| InsideGuest {
            visit_id: row.visit_id,
            guest_id: row.guest_id,
            code: guests::code::display(&row.code),
            nickname: row.nickname,
            checked_in_local: local_clock(zone, row.checked_in_at),
            minutes_inside: (now - row.checked_in_at).num_minutes().max(0),
        })
        .collect();
    let inside_count = u32::try_from(inside.len()).unwrap_or(u32::MAX);
    let mut recent = Vec::new();
    for guest_id in storage::recent_guests(conn, RECENT_GUESTS * 4)? {
        if recent.len() == RECENT_GUESTS {
            break;
        }
        let card = guests::card(conn, guest_id)?;
        if card.open_visit_id.is_none() && !recent.iter().any(|c: &GuestCard| c.id == card.id) {
            recent.push(card);
        }
    }
    let undoable = storage::last_check_in_by(conn, session.staff_id, now - UNDO_WINDOW)?
        .map(|visit| -> Result<Undoable> {
            let guest = guests::card(conn, visit.guest_id)?;
            Ok(Undoable {
                visit_id: visit.id,
                code: guest.code,
                nickname: guest.nickname,
                until_local: local_clock(zone, visit.checked_in_at + UNDO_WINDOW),
            })
        })
        .transpose()?;
    let (visits_today, guests_today) = storage::day_counts(conn, &today)?;
    let closed = day_end::closure_of(conn, zone, &today)?;
    Ok(DeskToday {
        closed,
        occupancy: Occupancy::new(inside_count, capacity(db)?),
        inside,
        recent,
        visits_today,
        guests_today,
        tallies_today: storage::count_tallies(db.conn(), &today)?,
        undoable,
        service_date: today,
    })
}

#[cfg(test)]
mod tests;
