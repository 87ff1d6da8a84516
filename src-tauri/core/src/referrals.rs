//! Referrals: a guest referred to a partner (treatment, recovery coach, housing, shelter,
//! testing, benefits ...), with a status, a follow-up date, append-only notes and, for
//! partners outside the center, the guest's consent to disclose.
//!
//! Substance-use-treatment and clinical referrals are sensitive (42 CFR Part 2): only nurses
//! and supervisors see them, every read is in the audit log, and the front desk learns that
//! one exists only where its work needs it (a follow-up due), without category or notes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{self, Event, Outcome};
use crate::auth::{self, Operation, Session};
use crate::clock::Clock;
use crate::days::{self, Today};
use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};
use crate::guests::{self, GuestCard};
use crate::queue;

mod storage;

/// The longest referral note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// The notice every printout or export of a referral carries (42 CFR § 2.32).
pub const PART_2_NOTICE: &str = "This information has been disclosed to you from records \
protected by federal confidentiality rules (42 CFR part 2). The federal rules prohibit you \
from making any further disclosure of information in this record that identifies a patient \
as having or having had a substance use disorder either directly, by reference to publicly \
available information, or through verification of such identification by another person \
unless further disclosure is expressly permitted by the written consent of the individual \
whose information is being disclosed or as otherwise permitted by 42 CFR part 2. A general \
authorization for the release of medical or other information is NOT sufficient for this \
purpose (see § 2.31). The federal rules restrict any use of the information to investigate \
or prosecute with regard to a crime any patient with a substance use disorder, except as \
provided at §§ 2.12(c)(5) and 2.65.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    Made,
    /// The referral went to an outside partner (needs the guest's consent).
    Sent,
    Accepted,
    Completed,
    Declined,
    NoShow,
    Cancelled,
}

impl ReferralStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralStatus::Made => "made",
            ReferralStatus::Sent => "sent",
            ReferralStatus::Accepted => "accepted",
            ReferralStatus::Completed => "completed",
            ReferralStatus::Declined => "declined",
            ReferralStatus::NoShow => "no_show",
            ReferralStatus::Cancelled => "cancelled",
        }
    }

    pub(crate) fn parse(text: &str) -> ReferralStatus {
        match text {
            "sent" => ReferralStatus::Sent,
            "accepted" => ReferralStatus::Accepted,
            "completed" => ReferralStatus::Completed,
            "declined" => ReferralStatus::Declined,
            "no_show" => ReferralStatus::NoShow,
            "cancelled" => ReferralStatus::Cancelled,
            _ => ReferralStatus::Made,
        }
    }

    /// Still open: a follow-up can be due.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReferralStatus::Made | ReferralStatus::Sent | ReferralStatus::Accepted
        )
    }
}

/// A category as the screen offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub category: String,
    pub label: String,
    pub grouping: String,
    pub sensitive: bool,
}

/// A partner organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub on_site: bool,
    /// ISO weekdays an on-site partner is here, e.g. `135` (Monday, Wednesday, Friday).
    pub on_site_days: String,
    pub active: bool,
}

/// A partner as supervisors add or change it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PartnerInput {
    #[ts(type = "number | null")]
    pub id: Option<i64>,
    pub name: String,
    pub on_site: bool,
    pub on_site_days: String,
    pub active: bool,
}

/// A referral as someone allowed to see it sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Referral {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub guest_id: i64,
    pub guest_code: String,
    pub guest_nickname: Option<String>,
    pub category: String,
    pub category_label: String,
    pub sensitive: bool,
    #[ts(type = "number")]
    pub partner_id: i64,
    pub partner_name: String,
    pub partner_on_site: bool,
    pub status: ReferralStatus,
    /// `YYYY-MM-DD HH:MM` on the center's clock.
    pub made_local: String,
    pub made_by: String,
    pub follow_up_date: Option<String>,
    /// The consent it was sent under.
    #[ts(type = "number | null")]
    pub consent_id: Option<i64>,
}

/// A referral note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferralNote {
    #[ts(type = "number")]
    pub id: i64,
    pub written_local: String,
    pub author: String,
    pub body: String,
    #[ts(type = "number | null")]
    pub corrects: Option<i64>,
    pub corrected: bool,
}

/// A consent to disclose to a partner outside the center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    #[ts(type = "number")]
    pub id: i64,
    pub partner_name: String,
    pub information: String,
    pub purpose: String,
    pub agreed_on: String,
    /// None: until revoked.
    pub expires_on: Option<String>,
    pub recorded_by: String,
    pub revoked_local: Option<String>,
    /// In force today.
    pub valid: bool,
}

/// A consent as it is recorded.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentInput {
    pub information: String,
    pub purpose: String,
    /// `YYYY-MM-DD`, the day the guest agreed; empty for today.
    pub agreed_on: Option<String>,
    /// `YYYY-MM-DD`; empty for "until revoked".
    pub expires_on: Option<String>,
}

/// One referral with its notes, the consents recorded for it, and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferralDetail {
    pub referral: Referral,
    pub notes: Vec<ReferralNote>,
    pub consents: Vec<Consent>,
    /// `HH:MM date: from -> to by whom`, oldest first.
    pub history: Vec<String>,
}

/// A new referral.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferralInput {
    #[ts(type = "number")]
    pub guest_id: i64,
    pub category: String,
    #[ts(type = "number")]
    pub partner_id: i64,
    /// `YYYY-MM-DD`; empty for none.
    pub follow_up_date: Option<String>,
    pub note: Option<String>,
}

/// A guest and the referrals the reader may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GuestReferrals {
    pub guest: GuestCard,
    pub referrals: Vec<Referral>,
}

/// A follow-up due on a referral the reader may handle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    #[ts(type = "number")]
    pub referral_id: i64,
    pub guest_code: String,
    pub guest_nickname: Option<String>,
    pub follow_up_date: String,
    pub overdue: bool,
    pub category_label: String,
    pub partner_name: String,
    pub status: ReferralStatus,
}

/// "Ask the guest to see the nurse team." It says nothing of why: a confidential
/// referral's follow-up (for readers who may not handle it) and a guest who left the nurse
/// queue without being seen look exactly alike, so the reminder cannot be used to learn
/// that a guest has a substance-use or clinical referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NurseTeamReminder {
    pub guest_code: String,
    pub guest_nickname: Option<String>,
}

/// An on-site partner here today, with today's referrals to it the reader may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WarmHandoff {
    pub partner: Partner,
    pub referrals: Vec<Referral>,
}

/// What the Referrals screen opens with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferralsToday {
    pub categories: Vec<Category>,
    pub partners: Vec<Partner>,
    pub handoffs: Vec<WarmHandoff>,
    pub follow_ups: Vec<FollowUp>,
    /// One per guest, ordered by code.
    pub nurse_team_reminders: Vec<NurseTeamReminder>,
}

/// A printable referral: the text ends with the Part 2 notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Printout {
    pub title: String,
    pub lines: Vec<String>,
    pub notice: String,
}

/// Who reads: the audit name, the staff id, and whether sensitive referrals are theirs.
struct Reader {
    actor: String,
    staff_id: i64,
    clinical: bool,
}

/// Authorize any referral work and learn whether the session may see sensitive ones.
fn reader(db: &mut Database, clock: &dyn Clock, session: &mut Session) -> Result<Reader> {
    auth::authorize(db, clock, session, Operation::ReferralsGeneral)?;
    Ok(Reader {
        actor: format!("staff:{}", session.username),
        staff_id: session.staff_id,
        clinical: auth::allows(&session.roles, Operation::ReferralsClinical),
    })
}

/// Work on a sensitive referral needs the clinical permission, checked (and a refusal
/// audited) through the permission table.
fn authorize_category(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    sensitive: bool,
) -> Result<()> {
    if sensitive {
        auth::authorize(db, clock, session, Operation::ReferralsClinical)
    } else {
        Ok(())
    }
}

fn not_found() -> AppError {
    AppError::new(ErrorCode::NotFound, "that referral does not exist")
}

fn optional_date(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => days::parse_date(field, text).map(Some),
        None => Ok(None),
    }
}

fn guest_object(card: &GuestCard) -> String {
    format!("guest:{}", card.code.replace('-', ""))
}

/// Record that sensitive referrals were read (one audit entry naming them).
fn audit_sensitive_read(
    tx: &rusqlite::Connection,
    today: &Today,
    reader: &Reader,
    what: &str,
    ids: &[i64],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    audit::record(
        tx,
        &Event::ok(
            today.now,
            &reader.actor,
            "referral.read",
            what,
            &format!("referrals={}", list.join(",")),
        ),
    )
}

/// Record an audit entry about one referral. Entries about a sensitive referral carry
/// [`audit::SENSITIVE_MARKER`], which keeps their details from viewers without the clinical
/// permission.
fn audit_referral(
    tx: &rusqlite::Connection,
    today: &Today,
    reader: &Reader,
    action: &str,
    row: &storage::ReferralRow,
    detail: String,
) -> Result<()> {
    let detail = match (row.sensitive, detail.is_empty()) {
        (false, _) => detail,
        (true, true) => audit::SENSITIVE_MARKER.to_string(),
        (true, false) => format!("{detail} {}", audit::SENSITIVE_MARKER),
    };
    audit::record(
        tx,
        &Event::ok(
            today.now,
            &reader.actor,
            action,
            &format!("referral:{}", row.id),
            &detail,
        ),
    )
}

/// Make a referral (front desk for general categories; nurses and supervisors for all).
pub fn make(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    input: &ReferralInput,
) -> Result<Referral> {
    let reader = reader(db, clock, session)?;
    let category = storage::category(db.conn(), &input.category)?.ok_or_else(|| {
        AppError::invalid_input(
            "category",
            format!("{:?} is not a referral category", input.category),
        )
    })?;
    authorize_category(db, clock, session, category.sensitive)?;
    let note =
        crate::text::clean_note("note", input.note.as_deref().unwrap_or(""), MAX_NOTE_CHARS)?;
    let today = Today::of(db, clock)?;
    let follow_up = optional_date("follow-up date", input.follow_up_date.as_deref())?;
    if let Some(date) = follow_up {
        if date < today.date {
            return Err(AppError::invalid_input(
                "follow-up date",
                format!("{date} is before the referral (today, {})", today.date),
            ));
        }
    }
    db.write(|tx| {
        let guest = guests::card(tx, input.guest_id)?;
        // Referrals are made with the guest at the desk (README: "a guest who is inside").
        if guest.open_visit_id.is_none() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("{} is not checked in; check them in first", guest.label()),
            ));
        }
        let partner = storage::partner(tx, input.partner_id)?
            .filter(|p| p.active)
            .ok_or_else(|| {
                AppError::invalid_input("destination", "that partner is not on the list")
            })?;
        let id = storage::insert(
            tx,
            &storage::NewReferral {
                guest_id: guest.id,
                category: &category.category,
                partner_id: partner.id,
                service_date: today.date.to_string(),
                follow_up_date: follow_up.map(|d| d.to_string()),
                at: today.now,
                staff_id: reader.staff_id,
            },
        )?;
        if let Some(body) = &note {
            storage::insert_note(tx, id, today.now, reader.staff_id, body, None)?;
        }
        // The audit detail names the category only when it is not sensitive.
        let detail = if category.sensitive {
            format!("referral={id} {}", audit::SENSITIVE_MARKER)
        } else {
            format!(
                "referral={id} category={} partner={}",
                category.category, partner.name
            )
        };
        audit::record(
            tx,
            &Event::ok(
                today.now,
                &reader.actor,
                "referral.make",
                &guest_object(&guest),
                &detail,
            ),
        )?;
        view(tx, &today, id)
    })
}

/// The referral with `id` as a view.
fn view(conn: &rusqlite::Connection, today: &Today, id: i64) -> Result<Referral> {
    let row = storage::referral(conn, id)?.ok_or_else(not_found)?;
    Ok(to_view(today, row))
}

fn to_view(today: &Today, row: storage::ReferralRow) -> Referral {
    Referral {
        id: row.id,
        guest_id: row.guest_id,
        guest_code: guests::code::display(&row.guest_code),
        guest_nickname: row.guest_nickname,
        category: row.category,
        category_label: row.category_label,
        sensitive: row.sensitive,
        partner_id: row.partner_id,
        partner_name: row.partner_name,
        partner_on_site: row.partner_on_site,
        status: row.status,
        made_local: today.local(row.made_at),
        made_by: row.made_by,
        follow_up_date: row.follow_up_date,
        consent_id: row.consent_id,
    }
}

/// Load a referral for work on it: it exists, and the session may handle its category.
fn load_for_work(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    referral_id: i64,
) -> Result<(Reader, storage::ReferralRow)> {
    let reader = reader(db, clock, session)?;
    let row = storage::referral(db.conn(), referral_id)?.ok_or_else(not_found)?;
    // Work on a sensitive referral needs the clinical permission. Without it the referral
    // answers exactly like one that does not exist, so its id cannot be probed; the refused
    // read is audited all the same.
    if row.sensitive && !reader.clinical {
        audit::record_alone(
            db,
            &Event {
                at: clock.now(),
                actor: &reader.actor,
                action: "referral.read",
                object: &format!("referral:{}", row.id),
                outcome: Outcome::Refused,
                detail: audit::SENSITIVE_MARKER,
            },
        )?;
        return Err(not_found());
    }
    Ok((reader, row))
}

/// Which status changes exist. A partner outside the center only accepts a referral that
/// was sent to it (and sending needs the guest's consent), so there is no way around it.
fn may_move(from: ReferralStatus, to: ReferralStatus, on_site: bool) -> bool {
    use ReferralStatus::*;
    if from == Made && to == Accepted {
        return on_site;
    }
    matches!(
        (from, to),
        (Made, Sent)
            | (Sent, Accepted)
            | (Accepted, Completed)
            | (Made | Sent | Accepted, Declined)
            | (Made | Sent | Accepted, NoShow)
            | (Made | Sent | Accepted, Cancelled)
    )
}

/// Move a referral on. Marking a referral to an outside partner sent needs a consent in
/// force today recorded for this referral; the referral keeps the consent it was sent under.
pub fn change_status(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    referral_id: i64,
    to: ReferralStatus,
) -> Result<Referral> {
    let (reader, seen) = load_for_work(db, clock, session, referral_id)?;
    let today = Today::of(db, clock)?;
    db.write(|tx| {
        let row = storage::referral(tx, referral_id)?.ok_or_else(not_found)?;
        if row.status != seen.status || !may_move(row.status, to, row.partner_on_site) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "a referral that is {} cannot become {}",
                    words(row.status),
                    words(to)
                ),
            ));
        }
        let consent = if to == ReferralStatus::Sent && !row.partner_on_site {
            // Only a consent recorded for this referral counts: one given for another
            // referral (perhaps a confidential one) to the same partner never does.
            let consent = storage::consent_in_force(tx, row.id, &today.date.to_string())?
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::Conflict,
                        format!(
                            "{} is outside the center: record the guest's consent to disclose \
                             to them for this referral first (a consent that has not expired \
                             or been revoked)",
                            row.partner_name
                        ),
                    )
                })?;
            Some(consent)
        } else {
            None
        };
        storage::set_status(tx, &row, to, consent, today.now, reader.staff_id)?;
        let detail = match consent {
            Some(id) => format!("{} -> {} consent={id}", row.status.as_str(), to.as_str()),
            None => format!("{} -> {}", row.status.as_str(), to.as_str()),
        };
        audit_referral(tx, &today, &reader, "referral.status", &row, detail)?;
        view(tx, &today, row.id)
    })
}

fn words(status: ReferralStatus) -> &'static str {
    match status {
        ReferralStatus::NoShow => "no-show",
        other => other.as_str(),
    }
}

/// Set or clear the follow-up date (not before the day the referral was made).
pub fn set_follow_up(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    referral_id: i64,
    date: Option<&str>,
) -> Result<Referral> {
    let (reader, _) = load_for_work(db, clock, session, referral_id)?;
    let date = optional_date("follow-up date", date)?;
    let today = Today::of(db, clock)?;
    db.write(|tx| {
        let row = storage::referral(tx, referral_id)?.ok_or_else(not_found)?;
        if let Some(date) = date {
            if date.to_string() < row.service_date {
                return Err(AppError::invalid_input(
                    "follow-up date",
                    format!("{date} is before the referral ({})", row.service_date),
                ));
            }
        }
        storage::set_follow_up(tx, row.id, date.map(|d| d.to_string()).as_deref())?;
        audit_referral(
            tx,
            &today,
            &reader,
            "referral.follow_up",
            &row,
            date.map(|d| d.to_string()).unwrap_or_default(),
        )?;
        view(tx, &today, row.id)
    })
}

/// Add a note, or a correction of an earlier note of the same referral.
pub fn add_note(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    referral_id: i64,
    body: &str,
    corrects: Option<i64>,
) -> Result<ReferralNote> {
    let (reader, row) = load_for_work(db, clock, session, referral_id)?;
    let body = crate::text::clean_note("note", body, MAX_NOTE_CHARS)?
        .ok_or_else(|| AppError::invalid_input("note", "write the note first"))?;
    let today = Today::of(db, clock)?;
    db.write(|tx| {
        if let Some(old) = corrects {
            if storage::note_referral(tx, old)? != Some(referral_id) {
                return Err(AppError::invalid_input(
                    "corrects",
                    "that note is not one of this referral's",
                ));
            }
        }
        let id =
            storage::insert_note(tx, referral_id, today.now, reader.staff_id, &body, corrects)?;
        let detail = match corrects {
            Some(old) => format!("note={id} corrects={old}"),
            None => format!("note={id}"),
        };
        audit_referral(tx, &today, &reader, "referral.note", &row, detail)?;
        storage::notes(tx, referral_id)?
            .into_iter()
            .find(|note| note.id == id)
            .map(|note| note_view(&today, note))
            .ok_or_else(|| AppError::internal("the note just written is missing"))
    })
}

fn note_view(today: &Today, note: storage::NoteRow) -> ReferralNote {
    ReferralNote {
        id: note.id,
        written_local: today.local(note.written_at),
        author: note.author,
        body: note.body,
        corrects: note.corrects,
        corrected: note.corrected,
    }
}

/// Record the guest's consent to disclose to the referral's partner, for this referral.
pub fn record_consent(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    referral_id: i64,
    input: &ConsentInput,
) -> Result<Consent> {
    let (reader, _) = load_for_work(db, clock, session, referral_id)?;
    let information = crate::text::clean_text("information", Some(&input.information), 500)?
        .ok_or_else(|| {
            AppError::invalid_input("information", "say what information may be disclosed")
        })?;
    let purpose = crate::text::clean_text("purpose", Some(&input.purpose), 500)?
        .ok_or_else(|| AppError::invalid_input("purpose", "say what the disclosure is for"))?;
    let today = Today::of(db, clock)?;
    let agreed = optional_date("agreed on", input.agreed_on.as_deref())?.unwrap_or(today.date);
    if agreed > today.date {
        return Err(AppError::invalid_input(
            "agreed on",
            format!("{agreed} is still to come; record consent the guest has given"),
        ));
    }
    let expires = optional_date("until", input.expires_on.as_deref())?;
    if let Some(expires) = expires {
        if expires < today.date {
            return Err(AppError::invalid_input(
                "until",
                format!("{expires} has passed; a consent must be in force"),
            ));
        }
    }
    db.write(|tx| {
        let row = storage::referral(tx, referral_id)?.ok_or_else(not_found)?;
        let id = storage::insert_consent(
            tx,
            &storage::NewConsent {
                referral_id: row.id,
                guest_id: row.guest_id,
                partner_id: row.partner_id,
                information: &information,
                purpose: &purpose,
                agreed_on: agreed.to_string(),
                expires_on: expires.map(|d| d.to_string()),
                at: today.now,
                staff_id: reader.staff_id,
            },
        )?;
        audit_referral(
            tx,
            &today,
            &reader,
            "consent.record",
            &row,
            format!(
                "consent={id}{} until={}",
                // As for referral.make: a sensitive referral's partner is not logged.
                if row.sensitive {
                    String::new()
                } else {
                    format!(" partner={}", row.partner_name)
                },
                expires.map_or_else(|| "until revoked".to_string(), |d| d.to_string())
            ),
        )?;
        consent_view(tx, &today, id)
    })
}

/// Revoke a consent (from then on, nothing more may be sent under it).
pub fn revoke_consent(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    referral_id: i64,
    consent_id: i64,
) -> Result<Consent> {
    let (reader, row) = load_for_work(db, clock, session, referral_id)?;
    let today = Today::of(db, clock)?;
    db.write(|tx| {
        let consent = storage::consent(tx, consent_id)?
            .filter(|c| c.referral_id == Some(row.id))
            .ok_or_else(|| {
                AppError::new(ErrorCode::NotFound, "that consent is not this referral's")
            })?;
        if consent.revoked_at.is_some() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "that consent was revoked already",
            ));
        }
        storage::revoke_consent(tx, consent_id, today.now, reader.staff_id)?;
        audit_referral(
            tx,
            &today,
            &reader,
            "consent.revoke",
            &row,
            format!("consent={consent_id}"),
        )?;
        consent_view(tx, &today, consent_id)
    })
}

fn consent_view(conn: &rusqlite::Connection, today: &Today, id: i64) -> Result<Consent> {
    let row = storage::consent(conn, id)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "that consent does not exist"))?;
    Ok(to_consent(today, row))
}

fn to_consent(today: &Today, row: storage::ConsentRow) -> Consent {
    let date = today.date.to_string();
    Consent {
        valid: row.revoked_at.is_none()
            && row.agreed_on <= date
            && row.expires_on.as_ref().is_none_or(|e| *e >= date),
        id: row.id,
        partner_name: row.partner_name,
        information: row.information,
        purpose: row.purpose,
        agreed_on: row.agreed_on,
        expires_on: row.expires_on,
        recorded_by: row.recorded_by,
        revoked_local: row.revoked_at.map(|at| today.local(at)),
    }
}

/// A guest (by code) and the referrals the reader may see, newest first. Reading sensitive
/// ones is audited.
pub fn for_guest(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    typed_code: &str,
) -> Result<GuestReferrals> {
    let reader = reader(db, clock, session)?;
    let code = guests::code::parse_field("guest code", typed_code)?;
    let today = Today::of(db, clock)?;
    db.write(|tx| {
        let guest = guests::by_code(tx, &code)?.ok_or_else(|| {
            AppError::invalid_input(
                "guest code",
                format!("no guest has the code {}", guests::code::display(&code)),
            )
        })?;
        let referrals: Vec<Referral> = storage::of_guest(tx, guest.id)?
            .into_iter()
            .filter(|row| reader.clinical || !row.sensitive)
            .map(|row| to_view(&today, row))
            .collect();
        let sensitive: Vec<i64> = referrals
            .iter()
            .filter(|r| r.sensitive)
            .map(|r| r.id)
            .collect();
        audit_sensitive_read(tx, &today, &reader, &guest_object(&guest), &sensitive)?;
        Ok(GuestReferrals { guest, referrals })
    })
}

/// One referral with its notes, consents and history. Sensitive ones: nurses and
/// supervisors only, and the read is audited.
pub fn open(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    referral_id: i64,
) -> Result<ReferralDetail> {
    let (reader, row) = load_for_work(db, clock, session, referral_id)?;
    let today = Today::of(db, clock)?;
    db.write(|tx| {
        if row.sensitive {
            audit_sensitive_read(
                tx,
                &today,
                &reader,
                &format!("referral:{}", row.id),
                &[row.id],
            )?;
        }
        let notes = storage::notes(tx, row.id)?
            .into_iter()
            .map(|note| note_view(&today, note))
            .collect();
        let consents = storage::consents(tx, row.id)?
            .into_iter()
            .map(|c| to_consent(&today, c))
            .collect();
        let history = storage::history(tx, row.id)?
            .into_iter()
            .map(|(at, from, to, by)| {
                let from = from.map_or("", |f| words(f));
                format!("{}: {from} -> {} by {by}", today.local(at), words(to))
            })
            .collect();
        Ok(ReferralDetail {
            referral: to_view(&today, row.clone()),
            notes,
            consents,
            history,
        })
    })
}

/// The Referrals screen's opening data: categories the reader may use, partners, today's
/// warm hand-offs, the follow-ups due today or overdue that the reader may handle, and the
/// guests to ask to see the nurse team (where confidential follow-ups go for the front desk).
pub fn today(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
) -> Result<ReferralsToday> {
    let reader = reader(db, clock, session)?;
    let today = Today::of(db, clock)?;
    let date = today.date.to_string();
    let weekday = chrono::Datelike::weekday(&today.date).number_from_monday();
    db.write(|tx| {
        let categories = storage::categories(tx)?
            .into_iter()
            .filter(|c| reader.clinical || !c.sensitive)
            .collect();
        let partners = storage::partners(tx)?;
        let mut read = Vec::new();
        let mut handoffs = Vec::new();
        for partner in partners
            .iter()
            .filter(|p| p.active && p.on_site && p.on_site_days.contains(&weekday.to_string()))
        {
            let referrals: Vec<Referral> = storage::made_on_to(tx, &date, partner.id)?
                .into_iter()
                .filter(|row| row.status.is_open())
                .filter(|row| reader.clinical || !row.sensitive)
                .map(|row| to_view(&today, row))
                .collect();
            read.extend(referrals.iter().filter(|r| r.sensitive).map(|r| r.id));
            handoffs.push(WarmHandoff {
                partner: partner.clone(),
                referrals,
            });
        }
        let mut follow_ups = Vec::new();
        let mut reminded: Vec<i64> = Vec::new();
        for row in storage::follow_ups_due(tx, &date)? {
            // Even the bare fact that a confidential follow-up is due is a read.
            if row.sensitive {
                read.push(row.id);
            }
            if row.sensitive && !reader.clinical {
                reminded.push(row.guest_id);
                continue;
            }
            follow_ups.push(FollowUp {
                referral_id: row.id,
                guest_code: guests::code::display(&row.guest_code),
                guest_nickname: row.guest_nickname.clone(),
                overdue: row
                    .follow_up_date
                    .as_deref()
                    .is_some_and(|d| d < date.as_str()),
                follow_up_date: row.follow_up_date.clone().unwrap_or_default(),
                category_label: row.category_label.clone(),
                partner_name: row.partner_name.clone(),
                status: row.status,
            });
        }
        reminded.extend(queue::left_unseen_recently(tx, &today)?);
        reminded.sort_unstable();
        reminded.dedup();
        let mut nurse_team_reminders = reminded
            .into_iter()
            .map(|guest_id| {
                let guest = guests::card(tx, guest_id)?;
                Ok(NurseTeamReminder {
                    guest_code: guest.code,
                    guest_nickname: guest.nickname,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        nurse_team_reminders.sort_by(|a, b| a.guest_code.cmp(&b.guest_code));
        read.sort_unstable();
        read.dedup();
        audit_sensitive_read(tx, &today, &reader, "referrals:today", &read)?;
        Ok(ReferralsToday {
            categories,
            partners,
            handoffs,
            follow_ups,
            nurse_team_reminders,
        })
    })
}

/// A referral to print or hand over: its facts and the Part 2 notice. Audited.
pub fn printout(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    referral_id: i64,
) -> Result<Printout> {
    let (reader, row) = load_for_work(db, clock, session, referral_id)?;
    let today = Today::of(db, clock)?;
    db.write(|tx| {
        audit_referral(tx, &today, &reader, "referral.print", &row, String::new())?;
        let referral = to_view(&today, row.clone());
        let mut lines = vec![
            format!("Guest: {}", referral.guest_code),
            format!("Referred to: {}", referral.partner_name),
            format!("For: {}", referral.category_label),
            format!("Made: {} by {}", referral.made_local, referral.made_by),
            format!("Status: {}", words(referral.status)),
        ];
        if let Some(date) = &referral.follow_up_date {
            lines.push(format!("Follow-up: {date}"));
        }
        Ok(Printout {
            title: format!("Referral {}", referral.id),
            lines,
            notice: PART_2_NOTICE.to_string(),
        })
    })
}

/// Add a partner or change one (supervisors).
pub fn save_partner(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    input: &PartnerInput,
) -> Result<i64> {
    auth::authorize(db, clock, session, Operation::ManageResources)?;
    let name = crate::text::clean_text("name", Some(&input.name), 80)?
        .ok_or_else(|| AppError::invalid_input("name", "give the partner's name"))?;
    let mut days: Vec<char> = input
        .on_site_days
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    if days.iter().any(|c| !('1'..='7').contains(c)) {
        return Err(AppError::invalid_input(
            "on-site days",
            "use weekday numbers 1 (Monday) to 7 (Sunday), like 135",
        ));
    }
    days.sort_unstable();
    days.dedup();
    let days: String = if input.on_site {
        days.into_iter().collect()
    } else {
        String::new()
    };
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        if storage::partner_named(tx, &name)?.is_some_and(|other| Some(other) != input.id) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("name: {name} is already on the list"),
            ));
        }
        let id = match input.id {
            Some(id) => {
                storage::partner(tx, id)?.ok_or_else(|| {
                    AppError::new(ErrorCode::NotFound, "that partner does not exist")
                })?;
                storage::update_partner(tx, id, &name, input.on_site, &days, input.active)?;
                id
            }
            None => storage::insert_partner(tx, &name, input.on_site, &days, input.active)?,
        };
        audit::record(
            tx,
            &Event::ok(
                now,
                &actor,
                "partner.save",
                &format!("partner:{name}"),
                &format!(
                    "on_site={} days={days} active={}",
                    input.on_site, input.active
                ),
            ),
        )?;
        Ok(id)
    })
}

/// Referrals made on a day, by category group and outcome (their status now).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferralGroupCounts {
    pub grouping: String,
    pub made: u32,
    pub open: u32,
    pub accepted: u32,
    pub completed: u32,
    pub declined: u32,
    pub no_show: u32,
    pub cancelled: u32,
}

/// The referrals part of the daily counts for a local date (`YYYY-MM-DD`): counts only,
/// per category group (sensitive categories appear only inside their group's numbers).
pub fn day_counts(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    date: &str,
) -> Result<Vec<ReferralGroupCounts>> {
    auth::authorize(db, clock, session, Operation::Reports)?;
    let date = days::parse_date("date", date)?.to_string();
    counts_on(db.conn(), &date)
}

/// Referral counts of a local date, for the report engine.
pub(crate) fn counts_on(
    conn: &rusqlite::Connection,
    date: &str,
) -> Result<Vec<ReferralGroupCounts>> {
    let rows = storage::count_rows(conn, date)?;
    Ok(group_counts(&rows, storage::groupings(conn)?))
}

/// A day's counts per group from its referrals' groups and statuses.
fn group_counts(
    rows: &[(String, ReferralStatus)],
    groupings: impl IntoIterator<Item = String>,
) -> Vec<ReferralGroupCounts> {
    let mut groups: Vec<ReferralGroupCounts> = Vec::new();
    for grouping in groupings {
        let mut counts = ReferralGroupCounts {
            grouping: grouping.clone(),
            made: 0,
            open: 0,
            accepted: 0,
            completed: 0,
            declined: 0,
            no_show: 0,
            cancelled: 0,
        };
        for (_, status) in rows.iter().filter(|(g, _)| *g == grouping) {
            counts.made += 1;
            match status {
                ReferralStatus::Made | ReferralStatus::Sent => counts.open += 1,
                ReferralStatus::Accepted => counts.accepted += 1,
                ReferralStatus::Completed => counts.completed += 1,
                ReferralStatus::Declined => counts.declined += 1,
                ReferralStatus::NoShow => counts.no_show += 1,
                ReferralStatus::Cancelled => counts.cancelled += 1,
            }
        }
        groups.push(counts);
    }
    groups
}

/// The referrals of every date of a range, read at once for the report engine;
/// [`RangeCounts::on`] gives what [`counts_on`] gives for a date.
pub(crate) struct RangeCounts {
    groupings: Vec<String>,
    rows: std::collections::HashMap<String, Vec<(String, ReferralStatus)>>,
}

impl RangeCounts {
    /// The counts of one date of the range.
    pub(crate) fn on(&self, date: &str) -> Vec<ReferralGroupCounts> {
        let rows = self.rows.get(date).map_or(&[][..], Vec::as_slice);
        group_counts(rows, self.groupings.iter().cloned())
    }
}

/// Referral counts of every date of `from..=to` (`YYYY-MM-DD`), with two queries.
pub(crate) fn counts_in_range(
    conn: &rusqlite::Connection,
    from: &str,
    to: &str,
) -> Result<RangeCounts> {
    Ok(RangeCounts {
        groupings: storage::groupings(conn)?,
        rows: storage::count_rows_in_range(conn, from, to)?,
    })
}

#[cfg(test)]
mod tests;
