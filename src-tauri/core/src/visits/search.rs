//! Finding a guest at the desk (the one box: a code or the start of a nickname, with the
//! guest's alerts and restrictions) and merging two records of one person. Both reach
//! across guests, restrictions, visits and the nurse queue, so they sit above them all.

use serde::Serialize;
use ts_rs::TS;

use super::storage;
use crate::auth::{self, Operation, Session};
use crate::clock::Clock;
use crate::days;
use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};
use crate::guests::{self, code, GuestCard, MAX_MATCHES, MAX_SEARCH_CHARS};
use crate::restrictions::{self, Flag};

/// The result of what was typed into the search box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Lookup {
    /// The guest whose code was typed, when it was a valid, known code.
    pub exact: Option<GuestCard>,
    /// Why what looked like a code finds nobody (mistyped, unknown).
    pub problem: Option<String>,
    /// Guests whose nickname starts with what was typed, most recently seen first.
    pub matches: Vec<GuestCard>,
    /// Alerts and restrictions in force for the exact guest, shown before check-in.
    pub flags: Vec<Flag>,
}

/// Find guests by what was typed in the one box: a code (any case, with or without
/// the dash) or the first letters of a nickname.
pub fn lookup(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    typed: &str,
) -> Result<Lookup> {
    auth::authorize(db, clock, session, Operation::GuestsCheckIn)?;
    let typed = typed.trim();
    if typed.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::invalid_input(
            "search",
            format!("at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let mut result = Lookup {
        exact: None,
        problem: None,
        matches: Vec::new(),
        flags: Vec::new(),
    };
    if typed.is_empty() {
        return Ok(result);
    }
    let compacted = code::compact(typed);
    let looks_like_code = compacted.chars().count() == code::CODE_LEN
        && compacted.chars().all(|c| c.is_ascii_alphanumeric())
        && (typed.contains('-') || compacted.chars().any(|c| c.is_ascii_digit()));
    match code::parse(&compacted) {
        Ok(canonical) => match guests::by_code(db.conn(), &canonical)? {
            Some(card) => {
                let today = days::center_day(db, clock.now())?.1;
                result.flags = restrictions::active_for(db.conn(), card.id, today)?;
                result.exact = Some(card);
                return Ok(result);
            }
            None if looks_like_code => {
                result.problem = Some(format!(
                    "no guest has the code {}; check it with the guest or register them as new",
                    code::display(&canonical)
                ));
                return Ok(result);
            }
            None => {}
        },
        Err(err) if looks_like_code => {
            result.problem = Some(err.message.trim_start_matches("code: ").to_string());
            return Ok(result);
        }
        Err(_) => {}
    }
    // One letter would match half the center; a nickname search starts at two.
    if typed.chars().count() >= 2 {
        result.matches = guests::by_nickname_prefix(db.conn(), &typed.to_lowercase(), MAX_MATCHES)?;
    }
    Ok(result)
}

/// Merge two records of the same person (supervisors): the duplicate's visits, alerts and
/// restrictions move to the record kept, and the duplicate's code finds the kept record.
pub fn merge_guests(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    keep_code: &str,
    duplicate_code: &str,
) -> Result<GuestCard> {
    auth::authorize(db, clock, session, Operation::MergeGuests)?;
    let keep_code = code::parse_field("keep", keep_code)?;
    let duplicate_code = code::parse_field("merge", duplicate_code)?;
    if keep_code == duplicate_code {
        return Err(AppError::invalid_input(
            "merge",
            "both codes are the same record",
        ));
    }
    let now = clock.now();
    let actor = format!("staff:{}", session.username);
    db.write(|tx| {
        let keep = guests::live_record(tx, "keep", &keep_code)?;
        let duplicate = guests::live_record(tx, "merge", &duplicate_code)?;
        if storage::open_visit(tx, keep)?.is_some() && storage::open_visit(tx, duplicate)?.is_some()
        {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "both records are checked in; check one of them out first",
            ));
        }
        // A guest is in the nurse queue once at a time.
        if crate::queue::in_queue(tx, keep)? && crate::queue::in_queue(tx, duplicate)? {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "both records are in the nurse queue; finish or cancel one place first",
            ));
        }
        let moved = guests::merge_records(tx, keep, duplicate)?;
        let detail = format!("into={keep_code} visits={moved}");
        let object = format!("guest:{duplicate_code}");
        crate::audit::record(
            tx,
            &crate::audit::Event::ok(now, &actor, "guest.merge", &object, &detail),
        )?;
        guests::card(tx, keep)
    })
}
