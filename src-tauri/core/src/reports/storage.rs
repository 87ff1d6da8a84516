//! SQL for the daily counts that no other area already counts. A report reads each figure
//! for its whole range at once (one query each, whatever the range's length), and each
//! day's numbers are then taken out of what was read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use crate::days::{instant, stamp};
use crate::error::Result;

#[derive(Debug, Clone, Default)]
pub(crate) struct VisitCounts {
    pub visits: u32,
    pub guests: u32,
    pub tallies: u32,
    pub after_close: u32,
    /// Visits nobody checked out, settled at the day's closing time.
    pub settled: u32,
}

/// The visits of a range of service dates, counted per date and over the whole range.
pub(crate) struct RangeVisits {
    /// Dates with none of them are absent.
    pub days: HashMap<String, VisitCounts>,
    /// Distinct guests over the whole range (not the sum of the days).
    pub unique_guests: u32,
}

/// Per service date of `from..=to`: visits (undone ones excluded), distinct guests,
/// anonymous tallies and both recorded after close, visits settled at day end; and the
/// distinct guests of the range.
/// One pass over the range's visits in date order (from the visits_day index alone):
/// distinct guests are counted here rather than with a `count(DISTINCT)` per date.
pub(super) fn visit_counts(conn: &Connection, from: &str, to: &str) -> Result<RangeVisits> {
    let mut days: HashMap<String, VisitCounts> = HashMap::new();
    let mut all_guests: Vec<i64> = Vec::new();
    // The date being read, its counts and its guests.
    let mut current: Option<(String, VisitCounts)> = None;
    let mut guests: Vec<i64> = Vec::new();
    let mut finish = |day: Option<(String, VisitCounts)>, guests: &mut Vec<i64>| {
        if let Some((date, mut counts)) = day {
            counts.guests = distinct(guests);
            guests.clear();
            days.insert(date, counts);
        }
    };
    let mut statement = conn.prepare_cached(
        "SELECT service_date, guest_id, after_close, settled_at_day_end FROM visits
         WHERE service_date BETWEEN ?1 AND ?2 AND voided_at IS NULL
         ORDER BY service_date",
    )?;
    let mut rows = statement.query(params![from, to])?;
    while let Some(row) = rows.next()? {
        let date = text(row, 0)?;
        if current.as_ref().is_none_or(|(reading, _)| reading != date) {
            finish(current.take(), &mut guests);
            current = Some((date.to_string(), VisitCounts::default()));
        }
        let guest: i64 = row.get(1)?;
        let after_close: i64 = row.get(2)?;
        let settled: i64 = row.get(3)?;
        if let Some((_, counts)) = current.as_mut() {
            counts.visits += 1;
            if after_close == 1 {
                counts.after_close += 1;
            }
            if settled == 1 {
                counts.settled += 1;
            }
        }
        guests.push(guest);
        all_guests.push(guest);
    }
    finish(current.take(), &mut guests);
    let mut statement = conn.prepare_cached(
        "SELECT service_date, count(*), count(*) FILTER (WHERE after_close = 1)
         FROM anonymous_tallies WHERE service_date BETWEEN ?1 AND ?2
         GROUP BY service_date",
    )?;
    let mut rows = statement.query(params![from, to])?;
    while let Some(row) = rows.next()? {
        let day = days.entry(row.get(0)?).or_default();
        day.tallies = row.get(1)?;
        day.after_close += row.get::<_, u32>(2)?;
    }
    Ok(RangeVisits {
        days,
        unique_guests: distinct(&mut all_guests),
    })
}

/// A text column, without copying it.
fn text<'row>(row: &'row rusqlite::Row<'_>, column: usize) -> rusqlite::Result<&'row str> {
    Ok(row.get_ref(column)?.as_str()?)
}

/// How many different values (the list is sorted on the way).
fn distinct(values: &mut [i64]) -> u32 {
    values.sort_unstable();
    let different = values.windows(2).filter(|pair| pair[0] != pair[1]).count();
    let count = if values.is_empty() { 0 } else { different + 1 };
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// Per date of `from..=to`, the guests whose first visit that was not undone was that day
/// (records merged into another are counted once, as the survivor; a registration whose
/// check-in was undone is no new guest). Dates without any are absent.
pub(super) fn new_guests(conn: &Connection, from: &str, to: &str) -> Result<HashMap<String, u32>> {
    let mut statement = conn.prepare_cached(
        "SELECT first_visit_date, count(*) FROM guests
         WHERE first_visit_date BETWEEN ?1 AND ?2 AND merged_into IS NULL
         GROUP BY first_visit_date",
    )?;
    let rows = statement.query_map(params![from, to], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The stays that overlap a range of days (see [`stays`]), to be split per day.
pub(super) struct Stays {
    /// Those who left: arrival and departure, by arrival.
    left: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Those still inside: arrival and now.
    inside: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// A stay is never longer than a day and a half in practice: looking back 36 hours from a
/// day's start keeps the index range small (visits_open catches anyone still in).
const LOOK_BACK_HOURS: i64 = 36;

/// Stays that overlap `[start, end)` (a range of whole days): arrival and departure.
pub(super) fn stays(
    conn: &Connection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Stays> {
    let look_back = start - chrono::Duration::hours(LOOK_BACK_HOURS);
    let mut statement = conn.prepare_cached(
        "SELECT checked_in_at, checked_out_at FROM visits
         WHERE checked_in_at >= ?1 AND checked_in_at < ?2 AND voided_at IS NULL
           AND (checked_out_at IS NULL OR checked_out_at > ?3)
         UNION ALL
         SELECT checked_in_at, checked_out_at FROM visits
         WHERE checked_out_at IS NULL AND voided_at IS NULL AND checked_in_at < ?1",
    )?;
    let mut stays = Stays {
        left: Vec::new(),
        inside: Vec::new(),
    };
    let mut rows = statement.query(params![stamp(look_back), stamp(end), stamp(start)])?;
    while let Some(row) = rows.next()? {
        let arrived = stored_instant(text(row, 0)?)?;
        let left = row.get_ref(1)?.as_str_or_null();
        match left.map_err(rusqlite::Error::from)? {
            Some(left) => stays.left.push((arrived, stored_instant(left)?)),
            None => stays.inside.push((arrived, now)),
        }
    }
    stays.left.sort_unstable();
    Ok(stays)
}

impl Stays {
    /// The stays (`[in, out)`) that [`stays`] gives for one day `[start, end)` of the
    /// range: the same rows, by the same comparisons (stored instants are all written by
    /// `stamp`, whose text sorts as the instants do).
    pub(super) fn of_day(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let look_back = start - chrono::Duration::hours(LOOK_BACK_HOURS);
        let first = self
            .left
            .partition_point(|(arrived, _)| *arrived < look_back);
        let after = self.left.partition_point(|(arrived, _)| *arrived < end);
        let left = self.left[first..after.max(first)]
            .iter()
            .filter(|(_, left)| *left > start);
        // Those still inside: the day's arrivals, and all from before it.
        let inside = self.inside.iter().filter(|(arrived, _)| *arrived < end);
        left.chain(inside).copied().collect()
    }
}

/// A stored instant: `stamp`'s form (`2026-11-18T14:05:09.123456Z`) read directly, which
/// is what [`instant`] gives for it, only faster (a year's report reads 200,000); any
/// other form through [`instant`].
pub(super) fn stored_instant(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    fn number(digits: &[u8]) -> Option<u32> {
        digits.iter().try_fold(0u32, |value, digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    }
    let bytes = text.as_bytes();
    let fast = (bytes.len() == 27
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'.'
        && bytes[26] == b'Z')
        .then(|| {
            let date = chrono::NaiveDate::from_ymd_opt(
                i32::try_from(number(&bytes[0..4])?).ok()?,
                number(&bytes[5..7])?,
                number(&bytes[8..10])?,
            )?;
            let time = date.and_hms_micro_opt(
                number(&bytes[11..13])?,
                number(&bytes[14..16])?,
                number(&bytes[17..19])?,
                number(&bytes[20..26])?,
            )?;
            Some(time.and_utc())
        })
        .flatten();
    match fast {
        Some(at) => Ok(at),
        None => instant(text),
    }
}

/// Alerts and restrictions recorded during a range, to be counted per day.
pub(super) struct Flags {
    /// When each was recorded (as stored) and its kind, in that order.
    created: Vec<(String, String)>,
}

/// Alerts and restrictions recorded during `[start, end)`.
pub(super) fn flags(conn: &Connection, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Flags> {
    let mut statement = conn.prepare_cached(
        "SELECT created_at, kind FROM guest_flags WHERE created_at >= ?1 AND created_at < ?2",
    )?;
    let rows = statement.query_map(params![stamp(start), stamp(end)], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    let mut created = rows.collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    created.sort_unstable();
    Ok(Flags { created })
}

impl Flags {
    /// Alerts and restrictions recorded during `[start, end)`, inside the range.
    pub(super) fn issued(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> (u32, u32) {
        let (start, end) = (stamp(start), stamp(end));
        let first = self.created.partition_point(|(at, _)| *at < start);
        let after = self.created.partition_point(|(at, _)| *at < end);
        let mut issued = (0, 0);
        for (_, kind) in &self.created[first..after.max(first)] {
            match kind.as_str() {
                "alert" => issued.0 += 1,
                "restriction" => issued.1 += 1,
                _ => {}
            }
        }
        issued
    }
}

/// The dates of `from..=to` that are closed out, each with whether it was closed late.
pub(super) fn closed_days(
    conn: &Connection,
    from: &str,
    to: &str,
) -> Result<HashMap<String, bool>> {
    let mut statement = conn.prepare_cached(
        "SELECT service_date, closed_late FROM day_closures WHERE service_date BETWEEN ?1 AND ?2",
    )?;
    let rows = statement.query_map(params![from, to], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
