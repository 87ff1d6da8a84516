//! SQL for referrals, partners, notes and consents.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Category, Partner, ReferralStatus};
use crate::days::{instant, stamp};
use crate::error::Result;

fn category_row(row: &Row<'_>) -> rusqlite::Result<Category> {
    Ok(Category {
        category: row.get(0)?,
        label: row.get(1)?,
        grouping: row.get(2)?,
        sensitive: row.get(3)?,
    })
}

pub(super) fn categories(conn: &Connection) -> Result<Vec<Category>> {
    let mut statement = conn.prepare_cached(
        "SELECT category, label, grouping, sensitive FROM referral_categories ORDER BY sort_order",
    )?;
    let rows = statement.query_map([], category_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn category(conn: &Connection, category: &str) -> Result<Option<Category>> {
    Ok(conn
        .prepare_cached(
            "SELECT category, label, grouping, sensitive FROM referral_categories
             WHERE category = ?1",
        )?
        .query_row([category], category_row)
        .optional()?)
}

/// The category groups in list order.
pub(super) fn groupings(conn: &Connection) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT grouping FROM referral_categories GROUP BY grouping ORDER BY min(sort_order)",
    )?;
    let rows = statement.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn partner_row(row: &Row<'_>) -> rusqlite::Result<Partner> {
    Ok(Partner {
        id: row.get(0)?,
        name: row.get(1)?,
        on_site: row.get(2)?,
        on_site_days: row.get(3)?,
        active: row.get(4)?,
    })
}

pub(super) fn partners(conn: &Connection) -> Result<Vec<Partner>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, name, on_site, on_site_days, active FROM partners ORDER BY name",
    )?;
    let rows = statement.query_map([], partner_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn partner(conn: &Connection, id: i64) -> Result<Option<Partner>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, on_site, on_site_days, active FROM partners WHERE id = ?1",
        )?
        .query_row([id], partner_row)
        .optional()?)
}

pub(super) fn partner_named(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT id FROM partners WHERE name = ?1",
        [name],
        |row| row.get(0),
    )
    .optional()?)
}

pub(super) fn insert_partner(
    conn: &Connection,
    name: &str,
    on_site: bool,
    days: &str,
    active: bool,
) -> Result<i64> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO partners (name, on_site, on_site_days, active) VALUES (?1, ?2, ?3, ?4)",
        params![name, on_site, days, active],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn update_partner(
    conn: &Connection,
    id: i64,
    name: &str,
    on_site: bool,
    days: &str,
    active: bool,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE partners SET name = ?2, on_site = ?3, on_site_days = ?4, active = ?5 WHERE id = ?1",
        params![id, name, on_site, days, active],
    )?;
    Ok(())
}

/// A referral with what views and rules need.
#[derive(Debug, Clone)]
pub(crate) struct ReferralRow {
    pub id: i64,
    pub guest_id: i64,
    pub guest_code: String,
    pub guest_nickname: Option<String>,
    pub category: String,
    pub category_label: String,
    pub sensitive: bool,
    pub partner_id: i64,
    pub partner_name: String,
    pub partner_on_site: bool,
    pub status: ReferralStatus,
    pub service_date: String,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
    pub follow_up_date: Option<String>,
    pub consent_id: Option<i64>,
}

const REFERRAL: &str = "SELECT r.id, r.guest_id, g.code, g.nickname, r.category, c.label,
        c.sensitive, r.partner_id, p.name, p.on_site, r.status, r.service_date, r.made_at,
        s.display_name, r.follow_up_date, r.consent_id
    FROM referrals r
    JOIN guests g ON g.id = r.guest_id
    JOIN referral_categories c ON c.category = r.category
    JOIN partners p ON p.id = r.partner_id
    JOIN staff s ON s.id = r.made_by";

fn referral_row(row: &Row<'_>) -> rusqlite::Result<ReferralRow> {
    let status: String = row.get(10)?;
    let made: String = row.get(12)?;
    Ok(ReferralRow {
        id: row.get(0)?,
        guest_id: row.get(1)?,
        guest_code: row.get(2)?,
        guest_nickname: row.get(3)?,
        category: row.get(4)?,
        category_label: row.get(5)?,
        sensitive: row.get(6)?,
        partner_id: row.get(7)?,
        partner_name: row.get(8)?,
        partner_on_site: row.get(9)?,
        status: ReferralStatus::parse(&status),
        service_date: row.get(11)?,
        made_at: instant(&made)?,
        made_by: row.get(13)?,
        follow_up_date: row.get(14)?,
        consent_id: row.get(15)?,
    })
}

fn referrals(
    conn: &Connection,
    sql: &str,
    values: impl rusqlite::Params,
) -> Result<Vec<ReferralRow>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(values, referral_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn referral(conn: &Connection, id: i64) -> Result<Option<ReferralRow>> {
    Ok(
        referrals(conn, &format!("{REFERRAL} WHERE r.id = ?1"), [id])?
            .into_iter()
            .next(),
    )
}

pub(super) fn of_guest(conn: &Connection, guest_id: i64) -> Result<Vec<ReferralRow>> {
    referrals(
        conn,
        &format!("{REFERRAL} WHERE r.guest_id = ?1 ORDER BY r.id DESC"),
        [guest_id],
    )
}

/// Referrals made on a day to one partner.
pub(super) fn made_on_to(
    conn: &Connection,
    service_date: &str,
    partner_id: i64,
) -> Result<Vec<ReferralRow>> {
    referrals(
        conn,
        &format!("{REFERRAL} WHERE r.service_date = ?1 AND r.partner_id = ?2 ORDER BY r.id"),
        params![service_date, partner_id],
    )
}

/// Open referrals whose follow-up is due on or before a date, the oldest due first.
pub(super) fn follow_ups_due(conn: &Connection, date: &str) -> Result<Vec<ReferralRow>> {
    referrals(
        conn,
        &format!(
            "{REFERRAL} WHERE r.follow_up_date <= ?1 AND r.status IN ('made', 'sent', 'accepted')
             ORDER BY r.follow_up_date, r.id"
        ),
        [date],
    )
}

pub(super) struct NewReferral<'a> {
    pub guest_id: i64,
    pub category: &'a str,
    pub partner_id: i64,
    pub service_date: String,
    pub follow_up_date: Option<String>,
    pub at: DateTime<Utc>,
    pub staff_id: i64,
}

pub(super) fn insert(conn: &Connection, new: &NewReferral<'_>) -> Result<i64> {
    let at = stamp(new.at);
    crate::db::cached_execute(
        conn,
        "INSERT INTO referrals (guest_id, category, partner_id, service_date, status,
            follow_up_date, made_at, made_by, changed_at, changed_by)
         VALUES (?1, ?2, ?3, ?4, 'made', ?5, ?6, ?7, ?6, ?7)",
        params![
            new.guest_id,
            new.category,
            new.partner_id,
            new.service_date,
            new.follow_up_date,
            at,
            new.staff_id
        ],
    )?;
    let id = conn.last_insert_rowid();
    crate::db::cached_execute(
        conn,
        "INSERT INTO referral_events (referral_id, at, by_staff, from_status, to_status)
         VALUES (?1, ?2, ?3, NULL, 'made')",
        params![id, at, new.staff_id],
    )?;
    Ok(id)
}

pub(super) fn set_status(
    conn: &Connection,
    row: &ReferralRow,
    to: ReferralStatus,
    consent_id: Option<i64>,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<()> {
    let at = stamp(at);
    crate::db::cached_execute(
        conn,
        "UPDATE referrals SET status = ?2, consent_id = coalesce(?3, consent_id),
            changed_at = ?4, changed_by = ?5
         WHERE id = ?1",
        params![row.id, to.as_str(), consent_id, at, staff_id],
    )?;
    crate::db::cached_execute(
        conn,
        "INSERT INTO referral_events (referral_id, at, by_staff, from_status, to_status)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![row.id, at, staff_id, row.status.as_str(), to.as_str()],
    )?;
    Ok(())
}

pub(super) fn set_follow_up(conn: &Connection, id: i64, date: Option<&str>) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE referrals SET follow_up_date = ?2 WHERE id = ?1",
        params![id, date],
    )?;
    Ok(())
}

/// One status change: when, from, to, by whom.
pub(super) type StatusChange = (
    DateTime<Utc>,
    Option<ReferralStatus>,
    ReferralStatus,
    String,
);

/// Status changes, oldest first.
pub(super) fn history(conn: &Connection, id: i64) -> Result<Vec<StatusChange>> {
    let mut statement = conn.prepare_cached(
        "SELECT e.at, e.from_status, e.to_status, s.display_name
         FROM referral_events e JOIN staff s ON s.id = e.by_staff
         WHERE e.referral_id = ?1 ORDER BY e.id",
    )?;
    let rows = statement.query_map([id], |row| {
        let at: String = row.get(0)?;
        let from: Option<String> = row.get(1)?;
        let to: String = row.get(2)?;
        Ok((
            instant(&at)?,
            from.as_deref().map(ReferralStatus::parse),
            ReferralStatus::parse(&to),
            row.get(3)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn insert_note(
    conn: &Connection,
    referral_id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
    body: &str,
    corrects: Option<i64>,
) -> Result<i64> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO referral_notes (referral_id, written_at, written_by, body, corrects)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![referral_id, stamp(at), staff_id, body, corrects],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn note_referral(conn: &Connection, note_id: i64) -> Result<Option<i64>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT referral_id FROM referral_notes WHERE id = ?1",
        [note_id],
        |row| row.get(0),
    )
    .optional()?)
}

#[derive(Debug, Clone)]
pub(crate) struct NoteRow {
    pub id: i64,
    pub written_at: DateTime<Utc>,
    pub author: String,
    pub body: String,
    pub corrects: Option<i64>,
    pub corrected: bool,
}

pub(super) fn notes(conn: &Connection, referral_id: i64) -> Result<Vec<NoteRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT n.id, n.written_at, s.display_name, n.body, n.corrects,
                EXISTS (SELECT 1 FROM referral_notes c WHERE c.corrects = n.id)
         FROM referral_notes n JOIN staff s ON s.id = n.written_by
         WHERE n.referral_id = ?1 ORDER BY n.id",
    )?;
    let rows = statement.query_map([referral_id], |row| {
        let at: String = row.get(1)?;
        Ok(NoteRow {
            id: row.get(0)?,
            written_at: instant(&at)?,
            author: row.get(2)?,
            body: row.get(3)?,
            corrects: row.get(4)?,
            corrected: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) struct NewConsent<'a> {
    pub referral_id: i64,
    pub guest_id: i64,
    pub partner_id: i64,
    pub information: &'a str,
    pub purpose: &'a str,
    pub agreed_on: String,
    pub expires_on: Option<String>,
    pub at: DateTime<Utc>,
    pub staff_id: i64,
}

pub(super) fn insert_consent(conn: &Connection, new: &NewConsent<'_>) -> Result<i64> {
    crate::db::cached_execute(
        conn,
        "INSERT INTO consents (guest_id, partner_id, information, purpose, agreed_on, expires_on,
            recorded_at, recorded_by, referral_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            new.guest_id,
            new.partner_id,
            new.information,
            new.purpose,
            new.agreed_on,
            new.expires_on,
            stamp(new.at),
            new.staff_id,
            new.referral_id
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

#[derive(Debug, Clone)]
pub(crate) struct ConsentRow {
    pub id: i64,
    /// The referral it was recorded for (none only for a consent from before schema 9 that
    /// no referral could be found for: shown nowhere, used for nothing).
    pub referral_id: Option<i64>,
    pub partner_name: String,
    pub information: String,
    pub purpose: String,
    pub agreed_on: String,
    pub expires_on: Option<String>,
    pub recorded_by: String,
    pub revoked_at: Option<DateTime<Utc>>,
}

const CONSENT: &str = "SELECT c.id, c.referral_id, p.name, c.information, c.purpose,
        c.agreed_on, c.expires_on, s.display_name, c.revoked_at
    FROM consents c JOIN partners p ON p.id = c.partner_id JOIN staff s ON s.id = c.recorded_by";

fn consent_row(row: &Row<'_>) -> rusqlite::Result<ConsentRow> {
    let revoked: Option<String> = row.get(8)?;
    Ok(ConsentRow {
        id: row.get(0)?,
        referral_id: row.get(1)?,
        partner_name: row.get(2)?,
        information: row.get(3)?,
        purpose: row.get(4)?,
        agreed_on: row.get(5)?,
        expires_on: row.get(6)?,
        recorded_by: row.get(7)?,
        revoked_at: revoked.as_deref().map(instant).transpose()?,
    })
}

pub(super) fn consent(conn: &Connection, id: i64) -> Result<Option<ConsentRow>> {
    Ok(conn
        .prepare_cached(&format!("{CONSENT} WHERE c.id = ?1"))?
        .query_row([id], consent_row)
        .optional()?)
}

/// The consents recorded for one referral, newest first.
pub(super) fn consents(conn: &Connection, referral_id: i64) -> Result<Vec<ConsentRow>> {
    let mut statement = conn.prepare_cached(&format!(
        "{CONSENT} WHERE c.referral_id = ?1 ORDER BY c.id DESC"
    ))?;
    let rows = statement.query_map(params![referral_id], consent_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The newest consent recorded for a referral that is in force on `date`.
pub(super) fn consent_in_force(
    conn: &Connection,
    referral_id: i64,
    date: &str,
) -> Result<Option<i64>> {
    Ok(crate::db::cached_row(
        conn,
        "SELECT id FROM consents
             WHERE referral_id = ?1 AND revoked_at IS NULL
               AND agreed_on <= ?2 AND (expires_on IS NULL OR expires_on >= ?2)
             ORDER BY id DESC LIMIT 1",
        params![referral_id, date],
        |row| row.get(0),
    )
    .optional()?)
}

pub(super) fn revoke_consent(
    conn: &Connection,
    id: i64,
    at: DateTime<Utc>,
    staff_id: i64,
) -> Result<()> {
    crate::db::cached_execute(
        conn,
        "UPDATE consents SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, stamp(at), staff_id],
    )?;
    Ok(())
}

/// Category group and status now of every referral made on a day.
pub(super) fn count_rows(conn: &Connection, date: &str) -> Result<Vec<(String, ReferralStatus)>> {
    let mut statement = conn.prepare_cached(
        "SELECT c.grouping, r.status FROM referrals r
         JOIN referral_categories c ON c.category = r.category
         WHERE r.service_date = ?1",
    )?;
    let rows = statement.query_map([date], |row| {
        let status: String = row.get(1)?;
        Ok((row.get::<_, String>(0)?, ReferralStatus::parse(&status)))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// [`count_rows`] of every service date of `from..=to`, by date.
pub(super) fn count_rows_in_range(
    conn: &Connection,
    from: &str,
    to: &str,
) -> Result<HashMap<String, Vec<(String, ReferralStatus)>>> {
    let mut statement = conn.prepare_cached(
        "SELECT r.service_date, c.grouping, r.status FROM referrals r
         JOIN referral_categories c ON c.category = r.category
         WHERE r.service_date BETWEEN ?1 AND ?2",
    )?;
    let mut by_date: HashMap<String, Vec<(String, ReferralStatus)>> = HashMap::new();
    let mut rows = statement.query(params![from, to])?;
    while let Some(row) = rows.next()? {
        let status: String = row.get(2)?;
        by_date
            .entry(row.get(0)?)
            .or_default()
            .push((row.get(1)?, ReferralStatus::parse(&status)));
    }
    Ok(by_date)
}
