//! Anonymous guests: a generated code, an optional nickname and optional answers compatible
//! with HUD HMIS data-quality codes (8 doesn't know, 9 declined, 99 not collected). There is
//! no field for a legal name.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{AppError, ErrorCode, Result};

pub mod code;
mod storage;

/// The longest nickname.
pub const MAX_NICKNAME_CHARS: usize = 40;
/// The longest preferred-language answer.
pub const MAX_LANGUAGE_CHARS: usize = 40;
/// The longest text the search box accepts.
pub const MAX_SEARCH_CHARS: usize = 100;
/// How many nickname matches the desk is shown.
pub const MAX_MATCHES: u32 = 8;

/// HMIS answers meaning "no answer": doesn't know, declined, not collected.
pub const DOESNT_KNOW: i64 = 8;
pub const DECLINED: i64 = 9;
pub const NOT_COLLECTED: i64 = 99;
/// HMIS date-of-birth data quality "approximate or partial" (we keep only the year).
pub const PARTIAL_BIRTH_DATE: i64 = 2;

/// One answer of a question: its HMIS code and what the desk reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    #[ts(type = "number")]
    pub code: i64,
    pub label: &'static str,
}

const fn answer(code: i64, label: &'static str) -> Answer {
    Answer { code, label }
}

const NO_ANSWER: [Answer; 3] = [
    answer(DOESNT_KNOW, "Doesn't know"),
    answer(DECLINED, "Declined to answer"),
    answer(NOT_COLLECTED, "Not collected"),
];

/// HMIS 2024 gender answers (R1 of the data standards; one answer kept here).
const GENDER: [Answer; 7] = [
    answer(0, "Woman"),
    answer(1, "Man"),
    answer(2, "Culturally specific identity"),
    answer(5, "Transgender"),
    answer(4, "Non-binary"),
    answer(6, "Questioning"),
    answer(3, "Different identity"),
];

const VETERAN: [Answer; 2] = [answer(0, "No"), answer(1, "Yes")];

/// The answer sets of the registration form; every question also takes the three
/// no-answer codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnswerSets {
    pub gender: Vec<Answer>,
    pub veteran_status: Vec<Answer>,
    pub no_answer: Vec<Answer>,
}

pub fn answer_sets() -> AnswerSets {
    AnswerSets {
        gender: GENDER.to_vec(),
        veteran_status: VETERAN.to_vec(),
        no_answer: NO_ANSWER.to_vec(),
    }
}

/// What the desk types to register someone. Everything is optional.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct NewGuest {
    pub nickname: Option<String>,
    /// The year of birth as typed, or nothing.
    pub birth_year: Option<String>,
    /// When no year is given: 8, 9 or 99 (default 99).
    #[ts(type = "number | null")]
    pub birth_year_answer: Option<i64>,
    #[ts(type = "number | null")]
    pub gender: Option<i64>,
    #[ts(type = "number | null")]
    pub veteran_status: Option<i64>,
    pub preferred_language: Option<String>,
}

/// A guest as the desk sees them in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GuestCard {
    #[ts(type = "number")]
    pub id: i64,
    /// Written with a dash, `K7M-4QX`.
    pub code: String,
    pub nickname: Option<String>,
    pub first_seen_date: String,
    pub last_visit_date: Option<String>,
    /// The open visit when the guest is inside now.
    #[ts(type = "number | null")]
    pub open_visit_id: Option<i64>,
}

impl GuestCard {
    /// The guest as messages name them: nickname and code, or the code.
    pub fn label(&self) -> String {
        match &self.nickname {
            Some(name) => format!("{name} ({})", self.code),
            None => self.code.clone(),
        }
    }
}

/// A validated new guest, ready for storage.
#[derive(Debug, Clone)]
pub(crate) struct GuestRecord {
    pub nickname: Option<String>,
    pub birth_year: Option<i64>,
    pub birth_year_answer: i64,
    pub gender: i64,
    pub veteran_status: i64,
    pub preferred_language: Option<String>,
}

fn choose(field: &str, value: Option<i64>, answers: &[Answer]) -> Result<i64> {
    let value = value.unwrap_or(NOT_COLLECTED);
    if answers
        .iter()
        .chain(NO_ANSWER.iter())
        .any(|a| a.code == value)
    {
        Ok(value)
    } else {
        Err(AppError::invalid_input(
            field,
            format!("{value} is not one of the answers"),
        ))
    }
}

fn validate(new: &NewGuest, now: DateTime<Utc>) -> Result<GuestRecord> {
    let nickname =
        crate::text::clean_text("nickname", new.nickname.as_deref(), MAX_NICKNAME_CHARS)?;
    let preferred_language = crate::text::clean_text(
        "preferred language",
        new.preferred_language.as_deref(),
        MAX_LANGUAGE_CHARS,
    )?;
    let this_year = i64::from(now.year());
    let birth_year = match new
        .birth_year
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(text) => {
            let year = text
                .parse::<i64>()
                .ok()
                .filter(|y| (1900..=this_year).contains(y));
            Some(year.ok_or_else(|| {
                let shown: String = text.chars().take(12).collect();
                AppError::invalid_input(
                    "year of birth",
                    format!("{shown:?} is not a year from 1900 to {this_year}"),
                )
            })?)
        }
    };
    let birth_year_answer = match birth_year {
        Some(_) => PARTIAL_BIRTH_DATE,
        None => choose("year of birth", new.birth_year_answer, &[])?,
    };
    Ok(GuestRecord {
        nickname,
        birth_year,
        birth_year_answer,
        gender: choose("gender", new.gender, &GENDER)?,
        veteran_status: choose("veteran status", new.veteran_status, &VETERAN)?,
        preferred_language,
    })
}

/// Register a guest inside the caller's transaction and return its id and code.
pub(crate) fn register_in(
    tx: &rusqlite::Connection,
    record: &GuestRecord,
    service_date: &str,
    now: DateTime<Utc>,
    staff_id: i64,
) -> Result<(i64, String)> {
    // A collision among 24 million codes is rare; try a few fresh ones before giving up.
    for _ in 0..20 {
        let code = code::generate();
        if storage::find_id_by_code(tx, &code)?.is_none() {
            let id = storage::insert(tx, &code, record, service_date, now, staff_id)?;
            return Ok((id, code));
        }
    }
    Err(AppError::new(
        ErrorCode::Internal,
        "could not find a free guest code; try again",
    ))
}

/// Check the new guest's answers (used by registration with check-in).
pub(crate) fn validate_new(new: &NewGuest, now: DateTime<Utc>) -> Result<GuestRecord> {
    validate(new, now)
}

/// The id of a code that has not been merged away.
pub(crate) fn live_record(
    conn: &rusqlite::Connection,
    field: &str,
    canonical: &str,
) -> Result<i64> {
    match storage::id_and_merge(conn, canonical)? {
        None => Err(AppError::invalid_input(
            field,
            format!("no guest has the code {}", code::display(canonical)),
        )),
        Some((_, Some(into))) => Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "{} was already merged into {}",
                code::display(canonical),
                code::display(&storage::code_of(conn, into)?)
            ),
        )),
        Some((id, None)) => Ok(id),
    }
}

/// The guest with a canonical code (a code merged into another finds the kept record).
pub(crate) fn by_code(conn: &rusqlite::Connection, canonical: &str) -> Result<Option<GuestCard>> {
    storage::find_by_code(conn, canonical)
}

/// Guests (not merged away) whose nickname starts with `prefix` (lower case), most
/// recently seen first.
pub(crate) fn by_nickname_prefix(
    conn: &rusqlite::Connection,
    prefix: &str,
    limit: u32,
) -> Result<Vec<GuestCard>> {
    storage::by_nickname_prefix(conn, prefix, limit)
}

/// Move the duplicate's history to the record kept (inside the caller's transaction, after
/// the caller's checks); returns how many visits moved.
pub(crate) fn merge_records(tx: &rusqlite::Connection, keep: i64, duplicate: i64) -> Result<usize> {
    storage::merge(tx, keep, duplicate)
}

/// A visit on `service_date` was recorded for the guest (their first and last visit dates
/// follow).
pub(crate) fn visited_on(
    tx: &rusqlite::Connection,
    guest_id: i64,
    service_date: &str,
) -> Result<()> {
    storage::visited_on(tx, guest_id, service_date)
}

/// The guest's visits changed other than by a new one (an undo, a merge): their first and
/// last visit dates are worked out again.
pub(crate) fn visits_changed(tx: &rusqlite::Connection, guest_id: i64) -> Result<()> {
    storage::refresh_visit_dates(tx, guest_id)
}

/// The guest with `id` as a card (for the desk after an action).
pub(crate) fn card(conn: &rusqlite::Connection, id: i64) -> Result<GuestCard> {
    storage::card_by_id(conn, id)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "that guest does not exist"))
}

#[cfg(test)]
pub(crate) mod tests;
