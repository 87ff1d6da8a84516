//! SQL for demo data: rows are written in their final state for each simulated day, with
//! cached statements, inside the caller's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection};

use crate::days::stamp;
use crate::error::Result;

fn day(date: NaiveDate) -> String {
    date.to_string()
}

fn at_text(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(stamp)
}

/// Whether the database holds anything a person entered: staff, guests or audit entries.
/// Works on a database of any earlier schema version (a table it does not have yet holds
/// nothing), and only reads.
pub(super) fn holds_data(conn: &Connection) -> Result<bool> {
    for table in ["staff", "guests", "audit_log"] {
        let present: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
            [table],
            |row| row.get(0),
        )?;
        // The name comes from the list above, never from outside.
        if present
            && conn.query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM {table})"),
                [],
                |row| row.get(0),
            )?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) fn set_setting(
    conn: &Connection,
    key: &str,
    value: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, value, stamp(at)],
    )?;
    Ok(())
}

pub(super) fn insert_partner(
    conn: &Connection,
    name: &str,
    on_site: bool,
    days: &str,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO partners (name, on_site, on_site_days) VALUES (?1, ?2, ?3)",
        params![name, on_site, days],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The resources of a kind, in id order, with their slot and buffer minutes.
pub(super) fn resources_of(conn: &Connection, kind: &str) -> Result<Vec<(i64, String, i64, i64)>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, name, slot_minutes, buffer_minutes FROM resources
         WHERE kind = ?1 AND active = 1 ORDER BY id",
    )?;
    let rows = statement.query_map([kind], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn station_ids(conn: &Connection) -> Result<Vec<(i64, String)>> {
    let mut statement =
        conn.prepare_cached("SELECT id, name FROM nurse_stations WHERE active = 1 ORDER BY id")?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) struct GuestRow<'a> {
    pub code: &'a str,
    pub nickname: Option<&'a str>,
    pub birth_year: Option<i64>,
    pub birth_year_answer: i64,
    pub gender: i64,
    pub veteran_status: i64,
    pub language: Option<&'a str>,
    pub first_seen: NaiveDate,
    pub at: DateTime<Utc>,
    pub by: i64,
}

pub(super) fn insert_guest(conn: &Connection, guest: &GuestRow<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO guests (code, nickname, nickname_key, birth_year, birth_year_answer, gender,
                             veteran_status, preferred_language, first_seen_date, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        guest.code,
        guest.nickname,
        guest.nickname.map(str::to_lowercase),
        guest.birth_year,
        guest.birth_year_answer,
        guest.gender,
        guest.veteran_status,
        guest.language,
        day(guest.first_seen),
        stamp(guest.at),
        guest.by,
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) struct VisitRow {
    pub guest_id: i64,
    pub date: NaiveDate,
    pub checked_in: DateTime<Utc>,
    pub checked_in_by: i64,
    pub checked_out: Option<(DateTime<Utc>, i64)>,
    pub voided: Option<(DateTime<Utc>, i64)>,
}

pub(super) fn insert_visit(conn: &Connection, visit: &VisitRow) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO visits (guest_id, service_date, checked_in_at, checked_in_by, checked_out_at,
                             checked_out_by, voided_at, voided_by, void_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        visit.guest_id,
        day(visit.date),
        stamp(visit.checked_in),
        visit.checked_in_by,
        at_text(visit.checked_out.map(|(at, _)| at)),
        visit.checked_out.map(|(_, by)| by),
        at_text(visit.voided.map(|(at, _)| at)),
        visit.voided.map(|(_, by)| by),
        visit.voided.map(|_| "undone at the desk"),
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn insert_tally(
    conn: &Connection,
    date: NaiveDate,
    at: DateTime<Utc>,
    by: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO anonymous_tallies (service_date, counted_at, counted_by) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![day(date), stamp(at), by])?;
    Ok(())
}

/// One change of state of a booking, queue entry or referral: when, by whom (`None`: the
/// system), from and to.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub at: DateTime<Utc>,
    pub by: Option<i64>,
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub station: Option<i64>,
}

pub(super) struct BookingRow<'a> {
    pub resource_id: i64,
    pub guest_id: i64,
    pub date: NaiveDate,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub blocked_until: DateTime<Utc>,
    pub steps: &'a [Step],
}

/// A booking and its events; the row holds the state of the last step.
pub(super) fn insert_booking(conn: &Connection, booking: &BookingRow<'_>) -> Result<i64> {
    let (Some(first), Some(last)) = (booking.steps.first(), booking.steps.last()) else {
        return Err(crate::AppError::new(
            crate::ErrorCode::Internal,
            "a demo booking needs at least one step",
        ));
    };
    let when = |state: &str| {
        booking
            .steps
            .iter()
            .find(|step| step.to == state)
            .map(|step| step.at)
    };
    conn.prepare_cached(
        "INSERT INTO bookings (resource_id, guest_id, service_date, starts_at, ends_at, blocked_until,
                               state, created_at, created_by, changed_at, changed_by, started_at,
                               finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        booking.resource_id,
        booking.guest_id,
        day(booking.date),
        stamp(booking.starts),
        stamp(booking.ends),
        stamp(booking.blocked_until),
        last.to,
        stamp(first.at),
        first.by,
        stamp(last.at),
        last.by,
        at_text(when("in_use")),
        at_text(when("done")),
    ])?;
    let id = conn.last_insert_rowid();
    let mut event = conn.prepare_cached(
        "INSERT INTO booking_events (booking_id, at, by_staff, from_state, to_state)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for step in booking.steps {
        event.execute(params![id, stamp(step.at), step.by, step.from, step.to])?;
    }
    Ok(id)
}

pub(super) fn insert_waitlist(
    conn: &Connection,
    kind: &str,
    guest_id: i64,
    date: NaiveDate,
    joined: (DateTime<Utc>, i64),
    state: &str,
    changed_at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO waitlist (kind, guest_id, service_date, joined_at, joined_by, state, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        kind,
        guest_id,
        day(date),
        stamp(joined.0),
        joined.1,
        state,
        stamp(changed_at)
    ])?;
    Ok(())
}

pub(super) struct QueueRow<'a> {
    pub date: NaiveDate,
    pub number: i64,
    pub guest_id: i64,
    pub reason: &'a str,
    pub priority: &'a str,
    pub steps: &'a [Step],
}

/// A queue entry and its events; the row holds the state of the last step.
pub(super) fn insert_queue_entry(conn: &Connection, entry: &QueueRow<'_>) -> Result<i64> {
    let (Some(first), Some(last)) = (entry.steps.first(), entry.steps.last()) else {
        return Err(crate::AppError::new(
            crate::ErrorCode::Internal,
            "a demo queue entry needs at least one step",
        ));
    };
    let when = |states: &[&str]| {
        entry
            .steps
            .iter()
            .find(|step| states.contains(&step.to))
            .map(|step| step.at)
    };
    let station = entry.steps.iter().rev().find_map(|step| step.station);
    conn.prepare_cached(
        "INSERT INTO queue_entries (service_date, number, guest_id, reason, priority, state,
                                    station_id, joined_at, joined_by, called_at, started_at,
                                    finished_at, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        day(entry.date),
        entry.number,
        entry.guest_id,
        entry.reason,
        entry.priority,
        last.to,
        station,
        stamp(first.at),
        first.by,
        at_text(when(&["called"])),
        at_text(when(&["in_service"])),
        at_text(when(&["done", "left", "cancelled"])),
        stamp(last.at),
    ])?;
    let id = conn.last_insert_rowid();
    let mut event = conn.prepare_cached(
        "INSERT INTO queue_events (entry_id, at, by_staff, from_state, to_state, station_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for step in entry.steps {
        event.execute(params![
            id,
            stamp(step.at),
            step.by,
            step.from,
            step.to,
            step.station
        ])?;
    }
    Ok(id)
}

pub(super) fn insert_clinical_note(
    conn: &Connection,
    entry_id: i64,
    at: DateTime<Utc>,
    by: i64,
    body: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO clinical_notes (entry_id, written_at, written_by, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![entry_id, stamp(at), by, body])?;
    Ok(())
}

pub(super) struct IncidentRow<'a> {
    pub date: NaiveDate,
    pub occurred: DateTime<Utc>,
    pub kind: &'a str,
    pub naloxone_doses: i64,
    pub ems_called: bool,
    pub outcome: &'a str,
    pub guest_id: Option<i64>,
    pub recorded: (DateTime<Utc>, i64),
}

pub(super) fn insert_incident(conn: &Connection, incident: &IncidentRow<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO incidents (service_date, occurred_at, kind, naloxone_doses, ems_called, outcome,
                                guest_id, recorded_at, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        day(incident.date),
        stamp(incident.occurred),
        incident.kind,
        incident.naloxone_doses,
        incident.ems_called,
        incident.outcome,
        incident.guest_id,
        stamp(incident.recorded.0),
        incident.recorded.1,
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) struct FlagRow<'a> {
    pub guest_id: i64,
    pub kind: &'a str,
    pub scope: Option<&'a str>,
    pub reason: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub at: DateTime<Utc>,
    pub by: i64,
}

pub(super) fn insert_flag(conn: &Connection, flag: &FlagRow<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO guest_flags (guest_id, kind, scope, reason, starts_on, ends_on, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        flag.guest_id,
        flag.kind,
        flag.scope,
        flag.reason,
        day(flag.starts_on),
        day(flag.ends_on),
        stamp(flag.at),
        flag.by,
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) struct ConsentRow<'a> {
    pub referral_id: i64,
    pub guest_id: i64,
    pub partner_id: i64,
    pub information: &'a str,
    pub purpose: &'a str,
    pub agreed_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub at: DateTime<Utc>,
    pub by: i64,
}

pub(super) fn insert_consent(conn: &Connection, consent: &ConsentRow<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO consents (guest_id, partner_id, information, purpose, agreed_on, expires_on,
                               recorded_at, recorded_by, referral_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        consent.guest_id,
        consent.partner_id,
        consent.information,
        consent.purpose,
        day(consent.agreed_on),
        day(consent.expires_on),
        stamp(consent.at),
        consent.by,
        consent.referral_id,
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) struct ReferralRow<'a> {
    pub guest_id: i64,
    pub category: &'a str,
    pub partner_id: i64,
    pub date: NaiveDate,
    pub follow_up: Option<NaiveDate>,
    pub made: (DateTime<Utc>, i64),
}

/// A referral as made (status `made`) and its first event.
pub(super) fn insert_referral(conn: &Connection, referral: &ReferralRow<'_>) -> Result<i64> {
    let (at, by) = referral.made;
    conn.prepare_cached(
        "INSERT INTO referrals (guest_id, category, partner_id, service_date, status, follow_up_date,
                                made_at, made_by, changed_at, changed_by)
         VALUES (?1, ?2, ?3, ?4, 'made', ?5, ?6, ?7, ?6, ?7)",
    )?
    .execute(params![
        referral.guest_id,
        referral.category,
        referral.partner_id,
        day(referral.date),
        referral.follow_up.map(day),
        stamp(at),
        by,
    ])?;
    let id = conn.last_insert_rowid();
    insert_referral_event(conn, id, at, by, None, "made")?;
    Ok(id)
}

/// The consent a referral was sent under.
pub(super) fn sent_under(conn: &Connection, referral_id: i64, consent_id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE referrals SET consent_id = ?2 WHERE id = ?1")?
        .execute(params![referral_id, consent_id])?;
    Ok(())
}

fn insert_referral_event(
    conn: &Connection,
    id: i64,
    at: DateTime<Utc>,
    by: i64,
    from: Option<&str>,
    to: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO referral_events (referral_id, at, by_staff, from_status, to_status)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, stamp(at), by, from, to])?;
    Ok(())
}

/// Move a referral on (a later day's follow-up, or sending it the day it was made).
pub(super) fn move_referral(
    conn: &Connection,
    id: i64,
    at: DateTime<Utc>,
    by: i64,
    from: &str,
    to: &str,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE referrals SET status = ?2, changed_at = ?3, changed_by = ?4,
             follow_up_date = CASE WHEN ?2 IN ('completed', 'declined', 'no_show', 'cancelled')
                                   THEN NULL ELSE follow_up_date END
         WHERE id = ?1",
    )?
    .execute(params![id, to, stamp(at), by])?;
    insert_referral_event(conn, id, at, by, Some(from), to)
}

pub(super) fn insert_referral_note(
    conn: &Connection,
    referral_id: i64,
    at: DateTime<Utc>,
    by: i64,
    body: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO referral_notes (referral_id, written_at, written_by, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![referral_id, stamp(at), by, body])?;
    Ok(())
}

pub(super) struct ClosureRow {
    pub date: NaiveDate,
    pub closed: (DateTime<Utc>, i64),
    pub visits: i64,
    pub guests: i64,
    pub new_guests: i64,
    pub tallies: i64,
    pub checked_out_at_close: i64,
}

pub(super) fn insert_closure(conn: &Connection, closure: &ClosureRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO day_closures (service_date, closed_at, closed_by, visits, guests, new_guests,
                                   tallies, checked_out_at_close)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        day(closure.date),
        stamp(closure.closed.0),
        closure.closed.1,
        closure.visits,
        closure.guests,
        closure.new_guests,
        closure.tallies,
        closure.checked_out_at_close,
    ])?;
    Ok(())
}

/// Every guest's stored first and last visit dates, from the visits made (once, at the
/// end).
pub(super) fn set_last_visits(conn: &Connection) -> Result<()> {
    conn.execute(
        "UPDATE guests SET
            last_visit_date = (SELECT max(service_date) FROM visits v
                               WHERE v.guest_id = guests.id AND v.voided_at IS NULL),
            first_visit_date = (SELECT min(service_date) FROM visits v
                                WHERE v.guest_id = guests.id AND v.voided_at IS NULL)",
        [],
    )?;
    Ok(())
}

pub(super) fn audit_entries(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM audit_log", [], |row| row.get(0))?)
}
