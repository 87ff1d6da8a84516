//! Showers and workstations: resources of a kind, opening hours, and bookings that never
//! overlap on one resource (the cleaning buffer included). Every check and the write happen
//! in one IMMEDIATE transaction, so two desks booking at once cannot both win.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{self, Event};
use crate::auth::{self, Operation, Session};
use crate::clock::Clock;
use crate::days;
use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};
use crate::guests;
use crate::restrictions::{self, Scope};

mod storage;

pub(crate) use storage::KindCountsByDay;

/// Bookings start on a five-minute grid.
const GRID_MINUTES: i64 = 5;
/// The settings key of the no-show grace period.
pub const NO_SHOW_GRACE_SETTING: &str = "no_show_grace_minutes";
pub const DEFAULT_NO_SHOW_GRACE: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    Booked,
    InUse,
    Done,
    Cancelled,
    NoShow,
}

impl BookingState {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingState::Booked => "booked",
            BookingState::InUse => "in_use",
            BookingState::Done => "done",
            BookingState::Cancelled => "cancelled",
            BookingState::NoShow => "no_show",
        }
    }

    pub(crate) fn parse(text: &str) -> BookingState {
        match text {
            "in_use" => BookingState::InUse,
            "done" => BookingState::Done,
            "cancelled" => BookingState::Cancelled,
            "no_show" => BookingState::NoShow,
            _ => BookingState::Booked,
        }
    }
}

/// A booking as the desk sees it, times on the center's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub resource_id: i64,
    pub resource_name: String,
    #[ts(type = "number")]
    pub guest_id: i64,
    pub guest_code: String,
    pub guest_nickname: Option<String>,
    pub starts_local: String,
    pub ends_local: String,
    pub state: BookingState,
    /// Minutes since it started, while in use.
    #[ts(type = "number | null")]
    pub minutes_in_use: Option<i64>,
    /// In use past its end time.
    pub overstay: bool,
}

/// One resource on the live board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BoardResource {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub out_of_order: Option<String>,
    /// Today's bookings on it, by start time.
    pub bookings: Vec<Booking>,
    /// When it is next free today, on the center's clock.
    pub next_free_local: Option<String>,
}

/// A guest waiting for the kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WaitingGuest {
    #[ts(type = "number")]
    pub guest_id: i64,
    pub code: String,
    pub nickname: Option<String>,
    pub joined_local: String,
}

/// The live board of one kind: resources with today's bookings, the waitlist, and who to
/// call when a slot is free while people wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    pub kind: String,
    pub label: String,
    pub resources: Vec<BoardResource>,
    pub waiting: Vec<WaitingGuest>,
    /// The first waiting guest, offered the earliest free slot (`HH:MM` on a resource).
    pub call_next: Option<WaitingGuest>,
    pub next_free_local: Option<String>,
    pub next_free_resource: Option<String>,
}

/// Where to book: the earliest free slot of a kind, or a chosen resource and local time.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum BookingTarget {
    NextFree {
        kind: String,
    },
    At {
        #[ts(type = "number")]
        #[serde(rename = "resourceId")]
        resource_id: i64,
        /// Local time today, `HH:MM`.
        start: String,
    },
}

/// A resource with what the rules need.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub slot: Duration,
    pub buffer: Duration,
    pub active: bool,
    pub out_of_order: Option<String>,
}

/// A kind's rules.
#[derive(Debug, Clone)]
pub(crate) struct Kind {
    pub label: String,
    pub daily_limit: u32,
    pub restriction_scope: Option<Scope>,
}

/// A taken stretch of a resource: `[starts, blocked_until)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Taken {
    pub starts: DateTime<Utc>,
    pub blocked_until: DateTime<Utc>,
}

/// The earliest start at or after `from` where `need` fits before `until` between the
/// `taken` stretches (sorted by start).
pub(crate) fn earliest_fit(
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    need: Duration,
    taken: &[Taken],
) -> Option<DateTime<Utc>> {
    let mut candidate = from;
    for stretch in taken {
        if candidate + need <= stretch.starts {
            break;
        }
        if stretch.blocked_until > candidate {
            candidate = stretch.blocked_until;
        }
    }
    (candidate + need <= until).then_some(candidate)
}

/// `at` rounded up to the booking grid (five-minute marks; every real zone's offset is a
/// multiple of five minutes, so the marks are the same on the center's clock).
fn round_up(at: DateTime<Utc>) -> DateTime<Utc> {
    let grid = GRID_MINUTES * 60;
    let mut seconds = at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0);
    let rest = seconds.rem_euclid(grid);
    if rest != 0 {
        seconds += grid - rest;
    }
    DateTime::from_timestamp(seconds, 0).unwrap_or(at)
}

/// Local `HH:MM` on `date` as an instant (the first one when the clocks go back).
fn local_instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

fn parse_clock(field: &str, text: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
        let shown: String = text.chars().take(12).collect();
        AppError::invalid_input(field, format!("{shown:?} is not a time; write it as HH:MM"))
    })
}

/// What a booking needs to know before its transaction.
struct Day {
    now: DateTime<Utc>,
    zone: Tz,
    date: NaiveDate,
}

impl Day {
    fn of(db: &Database, clock: &dyn Clock) -> Result<Day> {
        let now = clock.now();
        let (zone, date) = days::center_day(db, now)?;
        Ok(Day { now, zone, date })
    }

    fn clock_text(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).format("%H:%M").to_string()
    }

    /// Today's opening hours of a kind as instants, if it opens today.
    fn hours(
        &self,
        conn: &rusqlite::Connection,
        kind: &str,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let weekday = self.date.weekday().number_from_monday();
        Ok(
            storage::hours(conn, kind, weekday)?.and_then(|(opens, closes)| {
                Some((
                    local_instant(self.zone, self.date, opens)?,
                    local_instant(self.zone, self.date, closes)?,
                ))
            }),
        )
    }
}

/// Typed text, or nothing when it is missing or blank.
fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// The checks every booking and waitlist place share: the guest is inside, not restricted
/// from the kind, and under the kind's daily limit.
fn guest_may_book(
    tx: &rusqlite::Connection,
    day: &Day,
    guest_id: i64,
    kind_name: &str,
) -> Result<(guests::GuestCard, Kind)> {
    let guest = guests::card(tx, guest_id)?;
    let who = guest.label();
    if guest.open_visit_id.is_none() {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("{who} is not checked in; check them in first"),
        ));
    }
    let kind = storage::kind(tx, kind_name)?.ok_or_else(|| {
        AppError::invalid_input("kind", format!("{kind_name:?} is not a kind of resource"))
    })?;
    if let Some(scope) = kind.restriction_scope {
        let flags = restrictions::active_for(tx, guest.id, day.date)?;
        restrictions::refuse_if_restricted(&flags, scope, &who)?;
    }
    let used = storage::count_for_guest(tx, guest.id, kind_name, &day.date.to_string())?;
    if used >= kind.daily_limit {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "{who} already has {used} {} booking{} today (the limit is {})",
                kind.label.to_lowercase(),
                if used == 1 { "" } else { "s" },
                kind.daily_limit
            ),
        ));
    }
    Ok((guest, kind))
}

/// The frame every booking operation shares: the permission, today's day, then one
/// transaction that first releases no-shows. `work` gets the transaction, the day, the
/// audit actor and the staff id.
fn with_booking_tx<T>(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    work: impl FnOnce(&rusqlite::Connection, &Day, &str, i64) -> Result<T>,
) -> Result<T> {
    auth::authorize(db, clock, session, Operation::BookServices)?;
    let day = Day::of(db, clock)?;
    let grace = no_show_grace(db)?;
    let actor = format!("staff:{}", session.username);
    let staff_id = session.staff_id;
    db.write(|tx| {
        storage::release_no_shows(tx, day.now, grace)?;
        work(tx, &day, &actor, staff_id)
    })
}

/// Book a checked-in guest: the next free slot of a kind, or a chosen resource and time.
pub fn book(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    guest_id: i64,
    target: &BookingTarget,
) -> Result<Booking> {
    with_booking_tx(db, clock, session, |tx, day, actor, staff_id| {
        let kind_name = match target {
            BookingTarget::NextFree { kind } => kind.clone(),
            BookingTarget::At { resource_id, .. } => {
                storage::resource(tx, *resource_id)?
                    .ok_or_else(|| {
                        AppError::new(ErrorCode::NotFound, "that resource does not exist")
                    })?
                    .kind
            }
        };
        let (guest, kind) = guest_may_book(tx, day, guest_id, &kind_name)?;
        let (opens, closes) = day.hours(tx, &kind_name)?.ok_or_else(|| {
            AppError::new(
                ErrorCode::Conflict,
                format!("{}s are closed today", kind.label.to_lowercase()),
            )
        })?;
        let (resource, starts) = match target {
            BookingTarget::NextFree { .. } => next_free(tx, day, &kind_name, opens, closes)?
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::Conflict,
                        format!(
                            "no {} is free for the rest of today",
                            kind.label.to_lowercase()
                        ),
                    )
                })?,
            BookingTarget::At { resource_id, start } => {
                let resource = storage::resource(tx, *resource_id)?.ok_or_else(|| {
                    AppError::new(ErrorCode::NotFound, "that resource does not exist")
                })?;
                let time = parse_clock("start", start)?;
                let starts = local_instant(day.zone, day.date, time).ok_or_else(|| {
                    AppError::invalid_input(
                        "start",
                        "that time does not exist today (the clocks change)",
                    )
                })?;
                check_chosen_slot(tx, day, &resource, starts, opens, closes)?;
                (resource, starts)
            }
        };
        let ends = starts + resource.slot;
        let id = storage::insert(
            tx,
            resource.id,
            guest.id,
            &day.date.to_string(),
            starts,
            ends,
            ends + resource.buffer,
            day.now,
            staff_id,
        )?;
        storage::waitlist_booked(tx, &kind_name, guest.id, &day.date.to_string(), id, day.now)?;
        let object = format!("guest:{}", guest.code.replace('-', ""));
        let detail = format!(
            "booking={id} resource={} start={}",
            resource.name,
            day.clock_text(starts)
        );
        audit::record(
            tx,
            &Event::ok(day.now, actor, "booking.create", &object, &detail),
        )?;
        booking(tx, day, id)
    })
}

fn check_chosen_slot(
    tx: &rusqlite::Connection,
    day: &Day,
    resource: &Resource,
    starts: DateTime<Utc>,
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
) -> Result<()> {
    if !resource.active || resource.out_of_order.is_some() {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "{} is out of order{}",
                resource.name,
                resource
                    .out_of_order
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        ));
    }
    if starts < round_up(day.now) - Duration::minutes(GRID_MINUTES) {
        return Err(AppError::invalid_input(
            "start",
            format!("{} has already passed", day.clock_text(starts)),
        ));
    }
    if starts < opens || starts + resource.slot > closes {
        return Err(AppError::invalid_input(
            "start",
            format!(
                "{} to {} is outside today's hours ({} to {})",
                day.clock_text(starts),
                day.clock_text(starts + resource.slot),
                day.clock_text(opens),
                day.clock_text(closes)
            ),
        ));
    }
    let taken = storage::taken(tx, resource.id, opens, closes + Duration::hours(4))?;
    let need = resource.slot + resource.buffer;
    if taken
        .iter()
        .any(|t| t.starts < starts + need && t.blocked_until > starts)
    {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "{} is taken or blocked at {} (cleaning time included)",
                resource.name,
                day.clock_text(starts)
            ),
        ));
    }
    Ok(())
}

/// The earliest free slot today on any resource of the kind that is in order.
fn next_free(
    tx: &rusqlite::Connection,
    day: &Day,
    kind: &str,
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
) -> Result<Option<(Resource, DateTime<Utc>)>> {
    let from = round_up(day.now).max(opens);
    let mut best: Option<(Resource, DateTime<Utc>)> = None;
    for resource in storage::resources_of(tx, kind)? {
        if !resource.active || resource.out_of_order.is_some() {
            continue;
        }
        let taken = storage::taken(tx, resource.id, opens, closes + Duration::hours(4))?;
        // The buffer after the last slot may run past closing; the slot itself may not.
        let fit = earliest_fit(
            from,
            closes + resource.buffer,
            resource.slot + resource.buffer,
            &taken,
        );
        if let Some(starts) = fit {
            if best.as_ref().is_none_or(|(_, at)| starts < *at) {
                best = Some((resource, starts));
            }
        }
    }
    Ok(best)
}

/// Put a resource out of order with a reason, or back in order with `None` (supervisors).
pub fn set_out_of_order(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    resource_id: i64,
    reason: Option<&str>,
) -> Result<()> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let reason = match reason {
        Some(text) => Some(
            crate::text::clean_text("reason", Some(text), 200)?.ok_or_else(|| {
                AppError::invalid_input("reason", "say what is wrong, for the desk")
            })?,
        ),
        None => None,
    };
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        let resource = storage::resource(tx, resource_id)?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "that resource does not exist"))?;
        storage::set_out_of_order(tx, resource.id, reason.as_deref(), now)?;
        let action = if reason.is_some() {
            "resource.out_of_order"
        } else {
            "resource.back_in_order"
        };
        let object = format!("resource:{}", resource.name);
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                action,
                &object,
                reason.as_deref().unwrap_or(""),
            ),
        )
    })
}

/// A resource as supervisors edit it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInput {
    /// The resource to change, or none for a new one.
    #[ts(type = "number | null")]
    pub id: Option<i64>,
    pub kind: String,
    pub name: String,
    #[ts(type = "number")]
    pub slot_minutes: i64,
    #[ts(type = "number")]
    pub buffer_minutes: i64,
    pub active: bool,
}

/// Add or change a resource (supervisors). Slots are 5 minutes to 4 hours, buffers up to
/// 2 hours.
pub fn save_resource(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    input: &ResourceInput,
) -> Result<i64> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let name = crate::text::clean_text("name", Some(&input.name), 40)?.ok_or_else(|| {
        AppError::invalid_input("name", "give the resource a name, like Shower 7")
    })?;
    if !(5..=240).contains(&input.slot_minutes) {
        return Err(AppError::invalid_input(
            "slot length",
            format!(
                "{} minutes is not allowed; choose 5 to 240",
                input.slot_minutes
            ),
        ));
    }
    if !(0..=120).contains(&input.buffer_minutes) {
        return Err(AppError::invalid_input(
            "buffer",
            format!(
                "{} minutes is not allowed; choose 0 to 120",
                input.buffer_minutes
            ),
        ));
    }
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        if storage::kind(tx, &input.kind)?.is_none() {
            return Err(AppError::invalid_input(
                "kind",
                format!("{:?} is not a kind of resource", input.kind),
            ));
        }
        if storage::resource_named(tx, &name)?.is_some_and(|id| Some(id) != input.id) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("name: {name} is already used"),
            ));
        }
        let id = match input.id {
            Some(id) => {
                storage::resource(tx, id)?.ok_or_else(|| {
                    AppError::new(ErrorCode::NotFound, "that resource does not exist")
                })?;
                storage::update_resource(tx, id, input, &name)?;
                id
            }
            None => storage::insert_resource(tx, input, &name)?,
        };
        let detail = format!(
            "kind={} slot={} buffer={} active={}",
            input.kind, input.slot_minutes, input.buffer_minutes, input.active
        );
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "resource.save",
                &format!("resource:{name}"),
                &detail,
            ),
        )?;
        Ok(id)
    })
}

/// Set a kind's opening hours on an ISO weekday (1 Monday .. 7 Sunday), `HH:MM`; no
/// times close that day (supervisors).
pub fn set_hours(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    kind: &str,
    weekday: u32,
    opens: Option<&str>,
    closes: Option<&str>,
) -> Result<()> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    if !(1..=7).contains(&weekday) {
        return Err(AppError::invalid_input(
            "weekday",
            format!("{weekday} is not 1 (Monday) to 7 (Sunday)"),
        ));
    }
    let hours = match (given(opens), given(closes)) {
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            return Err(AppError::invalid_input(
                "closes",
                "give both the opening and the closing time, or neither to close the day",
            ))
        }
        (Some(opens), Some(closes)) => {
            let opens = parse_clock("opens", opens)?;
            let closes = parse_clock("closes", closes)?;
            if closes <= opens {
                return Err(AppError::invalid_input(
                    "closes",
                    "must be after the opening time",
                ));
            }
            Some((opens, closes))
        }
    };
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        if storage::kind(tx, kind)?.is_none() {
            return Err(AppError::invalid_input(
                "kind",
                format!("{kind:?} is not a kind of resource"),
            ));
        }
        storage::set_hours(tx, kind, weekday, hours)?;
        let detail = match hours {
            Some((opens, closes)) => format!(
                "weekday={weekday} {}-{}",
                opens.format("%H:%M"),
                closes.format("%H:%M")
            ),
            None => format!("weekday={weekday} closed"),
        };
        audit::record(tx, &Event::ok(now, &actor, "resource.hours", kind, &detail))
    })
}

/// A kind as the screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KindSummary {
    pub kind: String,
    pub label: String,
}

/// Every kind of resource, for the screen's tabs.
pub fn kinds(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
) -> Result<Vec<KindSummary>> {
    auth::authorize(db, clock, session, Operation::BookServices)?;
    storage::kinds(db.conn())
}

/// A kind of resource as supervisors add or change it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KindInput {
    /// A short lower-case name such as `laundry`.
    pub kind: String,
    pub label: String,
    #[ts(type = "number")]
    pub default_slot_minutes: i64,
    #[ts(type = "number")]
    pub default_buffer_minutes: i64,
    #[ts(type = "number")]
    pub daily_limit: i64,
    /// The restriction that keeps a guest from it, if any.
    pub restriction_scope: Option<Scope>,
}

/// Add a kind or change one (supervisors); new kinds open 08:00–16:00 every day.
pub fn save_kind(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    input: &KindInput,
) -> Result<()> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let kind = input.kind.trim();
    if kind.is_empty()
        || kind.len() > 40
        || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    {
        return Err(AppError::invalid_input(
            "kind",
            "use 1 to 40 lower-case letters, like laundry",
        ));
    }
    let label = crate::text::clean_text("label", Some(&input.label), 40)?.ok_or_else(|| {
        AppError::invalid_input("label", "give the kind a name people read, like Laundry")
    })?;
    for (field, value, range) in [
        ("slot length", input.default_slot_minutes, 5..=240),
        ("buffer", input.default_buffer_minutes, 0..=120),
        ("daily limit", input.daily_limit, 1..=20),
    ] {
        if !range.contains(&value) {
            return Err(AppError::invalid_input(
                field,
                format!(
                    "{value} is not allowed; choose {} to {}",
                    range.start(),
                    range.end()
                ),
            ));
        }
    }
    if input.restriction_scope == Some(Scope::Building) {
        return Err(AppError::invalid_input(
            "restricted by",
            "choose showers, workstations or none",
        ));
    }
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        storage::save_kind(tx, kind, &label, input)?;
        let detail = format!(
            "slot={} buffer={} limit={}",
            input.default_slot_minutes, input.default_buffer_minutes, input.daily_limit
        );
        audit::record(tx, &Event::ok(now, &actor, "resource.kind", kind, &detail))
    })
}

/// Set the no-show grace period, 1 to 120 minutes (supervisors).
pub fn set_no_show_grace(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    typed: &str,
) -> Result<u32> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let minutes = crate::settings::parse_whole("no-show grace", typed, 1..=120, "minutes")?;
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        crate::settings::write(tx, NO_SHOW_GRACE_SETTING, &minutes.to_string(), now)?;
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "settings.no_show_grace",
                "settings",
                &minutes.to_string(),
            ),
        )
    })?;
    Ok(minutes)
}

/// A time a kind, or one resource of it, cannot be booked (staff absent, maintenance).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BlockInput {
    pub kind: String,
    /// One resource, or none for every resource of the kind.
    #[ts(type = "number | null")]
    pub resource_id: Option<i64>,
    /// `YYYY-MM-DD`; empty for today.
    pub date: Option<String>,
    /// Local `HH:MM`.
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// Block a period (supervisors). Bookings already in it stay; new ones avoid it.
pub fn block_period(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    input: &BlockInput,
) -> Result<i64> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let day = Day::of(db, clock)?;
    let date = match input
        .date
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => days::parse_date("date", text)?,
        None => day.date,
    };
    let from = parse_clock("from", &input.from)?;
    let to = parse_clock("to", &input.to)?;
    if to <= from {
        return Err(AppError::invalid_input("to", "must be after the start"));
    }
    let reason = crate::text::clean_text("reason", Some(&input.reason), 200)?
        .ok_or_else(|| AppError::invalid_input("reason", "say why, for the desk"))?;
    let starts = local_instant(day.zone, date, from)
        .ok_or_else(|| AppError::invalid_input("from", "that time does not exist that day"))?;
    let ends = local_instant(day.zone, date, to)
        .ok_or_else(|| AppError::invalid_input("to", "that time does not exist that day"))?;
    let actor = format!("staff:{}", session.username);
    let staff_id = session.staff_id;
    db.write(|tx| {
        if storage::kind(tx, &input.kind)?.is_none() {
            return Err(AppError::invalid_input(
                "kind",
                format!("{:?} is not a kind of resource", input.kind),
            ));
        }
        if let Some(id) = input.resource_id {
            let resource = storage::resource(tx, id)?.ok_or_else(|| {
                AppError::new(ErrorCode::NotFound, "that resource does not exist")
            })?;
            if resource.kind != input.kind {
                return Err(AppError::invalid_input(
                    "resource",
                    format!("{} is not a {}", resource.name, input.kind),
                ));
            }
        }
        let id = storage::insert_block(
            tx,
            &input.kind,
            input.resource_id,
            starts,
            ends,
            &reason,
            day.now,
            staff_id,
        )?;
        let detail = format!("{date} {}-{} {reason}", input.from.trim(), input.to.trim());
        audit::record(
            tx,
            &Event::ok(day.now, &actor, "resource.block", &input.kind, &detail),
        )?;
        Ok(id)
    })
}

/// Uses of one kind on a day, for the daily report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KindCounts {
    pub kind: String,
    /// Bookings made for the day, whatever became of them.
    pub booked: u32,
    pub done: u32,
    pub no_shows: u32,
    pub cancelled: u32,
    #[ts(type = "number")]
    pub minutes_in_use: i64,
}

/// Per kind: uses done, no-shows, cancellations and minutes in use on a local date
/// (`YYYY-MM-DD`), for supervisors' daily counts. Only counts: no guest appears.
pub fn day_counts(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    date: &str,
) -> Result<Vec<KindCounts>> {
    auth::authorize(db, clock, session, Operation::Reports)?;
    let date = days::parse_date("date", date)?;
    storage::day_counts(db.conn(), &date.to_string())
}

/// A guest who leaves the building (or whose check-in is undone) gives up their bookings
/// still to come that day and their waitlist places; returns the bookings cancelled.
pub(crate) fn guest_left(
    tx: &rusqlite::Connection,
    guest_id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<usize> {
    storage::guest_left(tx, guest_id, at, staff_id)
}

/// Today is closed out: bookings still to come are cancelled, uses in progress finished,
/// nobody left waiting.
pub(crate) fn day_closed(
    tx: &rusqlite::Connection,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<()> {
    storage::close_out(tx, at, staff_id)
}

/// The uses per kind of one date, with one query (the reference the range's reading is
/// tested against).
#[cfg(test)]
pub(crate) fn counts_on(conn: &rusqlite::Connection, date: &str) -> Result<Vec<KindCounts>> {
    storage::day_counts(conn, date)
}

/// The uses per kind of every date of `from..=to`, read at once for the daily counts.
pub(crate) fn counts_in_range(
    conn: &rusqlite::Connection,
    from: &str,
    to: &str,
) -> Result<KindCountsByDay> {
    storage::day_counts_in_range(conn, from, to)
}

/// The days before `today` (`YYYY-MM-DD`) that left bookings or waitlist places open.
pub(crate) fn open_earlier_days(conn: &rusqlite::Connection, today: &str) -> Result<Vec<String>> {
    storage::open_earlier_days(conn, today)
}

/// Bookings and waitlist places that days nobody closed out left open are settled by
/// the system at each day's closing time (see `storage::settle_day`). Returns, per day,
/// the bookings and the waitlist places settled.
pub(crate) fn settle_earlier_days(
    tx: &rusqlite::Connection,
    today: &days::Today,
    grace: Duration,
) -> Result<Vec<(String, usize, usize)>> {
    let mut settled = Vec::new();
    for date in storage::open_earlier_days(tx, &today.date.to_string())? {
        let (bookings, waitlist) = storage::settle_day(tx, &date, today.closing_of(&date)?, grace)?;
        settled.push((date, bookings, waitlist));
    }
    Ok(settled)
}

/// The no-show grace period in minutes (setting, default 10).
pub fn no_show_grace(db: &Database) -> Result<Duration> {
    let minutes =
        crate::settings::read_whole(db, NO_SHOW_GRACE_SETTING, 1..=120, DEFAULT_NO_SHOW_GRACE);
    Ok(Duration::minutes(i64::from(minutes)))
}

/// Move a booking on: start, finish or cancel.
pub fn change_state(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    booking_id: i64,
    to: BookingState,
) -> Result<Booking> {
    with_booking_tx(db, clock, session, |tx, day, actor, staff_id| {
        let current = storage::state_of(tx, booking_id)?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "that booking does not exist"))?;
        let allowed = matches!(
            (current, to),
            (BookingState::Booked, BookingState::InUse)
                | (BookingState::Booked, BookingState::Cancelled)
                | (BookingState::InUse, BookingState::Done)
        );
        if !allowed {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "a booking that is {} cannot become {}",
                    current.as_str().replace('_', " "),
                    to.as_str().replace('_', " ")
                ),
            ));
        }
        // Finishing early frees the rest of the slot (after the cleaning buffer).
        let blocked_until = match to {
            BookingState::Done => {
                let resource = storage::resource_of_booking(tx, booking_id)?;
                Some(day.now + resource.buffer)
            }
            _ => None,
        };
        storage::set_state(
            tx,
            booking_id,
            current,
            to,
            day.now,
            Some(staff_id),
            blocked_until,
        )?;
        let action = format!("booking.{}", to.as_str());
        audit::record(
            tx,
            &Event::ok(
                day.now,
                actor,
                &action,
                &format!("booking:{booking_id}"),
                "",
            ),
        )?;
        booking(tx, day, booking_id)
    })
}

fn booking(conn: &rusqlite::Connection, day: &Day, id: i64) -> Result<Booking> {
    let row = storage::booking_row(conn, id)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "that booking does not exist"))?;
    Ok(Booking {
        id: row.id,
        resource_id: row.resource_id,
        resource_name: row.resource_name,
        guest_id: row.guest_id,
        guest_code: guests::code::display(&row.guest_code),
        guest_nickname: row.guest_nickname,
        starts_local: day.clock_text(row.starts),
        ends_local: day.clock_text(row.ends),
        state: row.state,
        minutes_in_use: (row.state == BookingState::InUse)
            .then(|| row.started.map(|at| (day.now - at).num_minutes().max(0)))
            .flatten(),
        overstay: row.state == BookingState::InUse && day.now > row.ends,
    })
}

/// Put a checked-in guest on the waitlist of a kind, when nothing is free today.
pub fn join_waitlist(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    guest_id: i64,
    kind_name: &str,
) -> Result<WaitingGuest> {
    with_booking_tx(db, clock, session, |tx, day, actor, staff_id| {
        let (guest, kind) = guest_may_book(tx, day, guest_id, kind_name)?;
        let today = day.date.to_string();
        if storage::is_waiting(tx, kind_name, guest.id, &today)? {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is already waiting for a {}",
                    guest.label(),
                    kind.label.to_lowercase()
                ),
            ));
        }
        if let Some((opens, closes)) = day.hours(tx, kind_name)? {
            if let Some((resource, starts)) = next_free(tx, day, kind_name, opens, closes)? {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "{} is free at {}; book it instead",
                        resource.name,
                        day.clock_text(starts)
                    ),
                ));
            }
        }
        storage::join_waitlist(tx, kind_name, guest.id, &today, day.now, staff_id)?;
        let object = format!("guest:{}", guest.code.replace('-', ""));
        audit::record(
            tx,
            &Event::ok(day.now, actor, "waitlist.join", &object, kind_name),
        )?;
        Ok(WaitingGuest {
            guest_id: guest.id,
            code: guest.code,
            nickname: guest.nickname,
            joined_local: day.clock_text(day.now),
        })
    })
}

/// The live board of a kind for today (no-shows are released first).
pub fn board(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    kind_name: &str,
) -> Result<Board> {
    with_booking_tx(db, clock, session, |tx, day, _, _| {
        let kind = storage::kind(tx, kind_name)?.ok_or_else(|| {
            AppError::invalid_input("kind", format!("{kind_name:?} is not a kind of resource"))
        })?;
        let today = day.date.to_string();
        let hours = day.hours(tx, kind_name)?;
        let from = round_up(day.now);
        let mut resources = Vec::new();
        for resource in storage::resources_of(tx, kind_name)? {
            let bookings = storage::bookings_of_resource(tx, resource.id, &today)?
                .into_iter()
                .map(|id| booking(tx, day, id))
                .collect::<Result<Vec<_>>>()?;
            let next_free_local = match hours {
                Some((opens, closes)) if resource.active && resource.out_of_order.is_none() => {
                    let taken =
                        storage::taken(tx, resource.id, opens, closes + Duration::hours(4))?;
                    earliest_fit(
                        from.max(opens),
                        closes + resource.buffer,
                        resource.slot + resource.buffer,
                        &taken,
                    )
                    .map(|at| day.clock_text(at))
                }
                _ => None,
            };
            resources.push(BoardResource {
                id: resource.id,
                name: resource.name.clone(),
                out_of_order: resource.out_of_order.clone(),
                bookings,
                next_free_local,
            });
        }
        let waiting = storage::waiting(tx, kind_name, &today)?
            .into_iter()
            .map(|entry| -> Result<WaitingGuest> {
                let guest = guests::card(tx, entry.guest_id)?;
                Ok(WaitingGuest {
                    guest_id: guest.id,
                    code: guest.code,
                    nickname: guest.nickname,
                    joined_local: day.clock_text(entry.joined_at),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next = match hours {
            Some((opens, closes)) => next_free(tx, day, kind_name, opens, closes)?,
            None => None,
        };
        Ok(Board {
            kind: kind_name.to_string(),
            label: kind.label,
            call_next: next.as_ref().and_then(|_| waiting.first().cloned()),
            next_free_local: next.as_ref().map(|(_, at)| day.clock_text(*at)),
            next_free_resource: next.map(|(resource, _)| resource.name),
            resources,
            waiting,
        })
    })
}

#[cfg(test)]
mod tests;
