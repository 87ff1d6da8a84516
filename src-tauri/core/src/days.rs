//! Days as the center counts them: local calendar days in the center's IANA time zone.
//!
//! Instants are stored in UTC; anything that asks for "a day" or "today" comes through here
//! so that days that are 23 or 25 hours long (DST changes) are handled in one place.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::db::Database;
use crate::error::{AppError, Result};
use crate::settings;

/// An instant as stored: UTC RFC 3339 with microseconds (sorts as text).
pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A stored instant read back in a row mapper.
pub(crate) fn instant(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(err))
        })
}

/// Now, the center's zone and today's local date: what a day-scoped operation starts from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Today {
    pub now: DateTime<Utc>,
    pub zone: Tz,
    pub date: NaiveDate,
    /// The center's closing time (setting `center_closing_time`).
    pub closes: NaiveTime,
}

impl Today {
    pub(crate) fn of(db: &Database, clock: &dyn crate::clock::Clock) -> Result<Today> {
        let now = clock.now();
        let (zone, date) = center_day(db, now)?;
        Ok(Today {
            now,
            zone,
            date,
            closes: closing_time(db),
        })
    }

    /// The instant an earlier day `date` (`YYYY-MM-DD`) ended: its closing time on the
    /// center's clock. What that day left open is settled at it.
    pub(crate) fn closing_of(&self, date: &str) -> Result<DateTime<Utc>> {
        let date = parse_date("service date", date)?;
        Ok(local_instant(self.zone, date, self.closes))
    }

    /// The first instant after the local day `date` (`YYYY-MM-DD`).
    pub(crate) fn end_of(&self, date: &str) -> Result<DateTime<Utc>> {
        let date = parse_date("service date", date)?;
        Ok(range_bounds(self.zone, date, date).1)
    }

    /// `HH:MM` on the center's clock.
    pub(crate) fn clock_text(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).format("%H:%M").to_string()
    }

    /// `YYYY-MM-DD HH:MM` on the center's clock.
    pub(crate) fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

/// The settings key of the center's closing time (`HH:MM` on its clock).
pub const CLOSING_TIME_SETTING: &str = "center_closing_time";
/// The closing time when none is set.
pub const DEFAULT_CLOSING_TIME: &str = "17:00";

/// The center's closing time: what a visit nobody checked out is settled at.
pub fn closing_time(db: &Database) -> NaiveTime {
    settings::read(db, CLOSING_TIME_SETTING)
        .ok()
        .and_then(|text| parse_clock("closing time", &text).ok())
        .or_else(|| parse_clock("closing time", DEFAULT_CLOSING_TIME).ok())
        .unwrap_or(NaiveTime::MIN)
}

/// A time of day typed as `HH:MM` (24-hour clock).
pub fn parse_clock(field: &str, text: &str) -> Result<NaiveTime> {
    let text = text.trim();
    let well_formed = text.len() == 5 && text.as_bytes()[2] == b':';
    well_formed
        .then(|| NaiveTime::parse_from_str(text, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| {
            AppError::invalid_input(
                field,
                format!(
                    "{} is not a time; write it as HH:MM, e.g. 17:00",
                    shorten(text)
                ),
            )
        })
}

/// The center's time zone from the settings.
pub fn center_zone(db: &Database) -> Result<Tz> {
    let name = settings::read(db, settings::CENTER_TIME_ZONE)?;
    parse_zone(&name)
}

/// The center's zone and the local date of `now` in it.
pub fn center_day(db: &Database, now: DateTime<Utc>) -> Result<(Tz, NaiveDate)> {
    let zone = center_zone(db)?;
    Ok((zone, local_date(zone, now)))
}

/// An IANA time-zone name such as `America/New_York`.
pub fn parse_zone(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        AppError::invalid_input(
            "time zone",
            format!("{name:?} is not an IANA time zone (e.g. America/New_York)"),
        )
    })
}

/// A calendar date written `YYYY-MM-DD`, between the years 2000 and 2100.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate> {
    let text = text.trim();
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        AppError::invalid_input(
            field,
            format!("{} is not a date; write it as YYYY-MM-DD", shorten(text)),
        )
    })?;
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
    let latest = NaiveDate::from_ymd_opt(2100, 12, 31).unwrap_or(NaiveDate::MAX);
    if date < earliest || date > latest {
        return Err(AppError::invalid_input(
            field,
            format!("{date} is outside the years 2000 to 2100"),
        ));
    }
    Ok(date)
}

/// The first instant of `date` in `zone`. When local midnight does not exist (a DST jump at
/// midnight) the day starts at the first local time that does.
pub fn day_start(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_instant(zone, date, NaiveTime::MIN)
}

/// The instant of `time` on `date` on the center's clock. A time that does not exist (the
/// hour skipped when clocks go forward) is the first that does after it; a time that
/// happens twice (clocks go back) is the first of the two.
pub fn local_instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let mut local = date.and_time(time);
    // A DST gap is at most a few hours; step through it a quarter hour at a time.
    for _ in 0..=24 {
        match zone.from_local_datetime(&local) {
            LocalResult::Single(at) => return at.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            LocalResult::None => local += Duration::minutes(15),
        }
    }
    // Unreachable for real zones; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&date.and_time(time))
}

/// The instants `[start, end)` that make up the local days `from..=to`.
pub fn range_bounds(zone: Tz, from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let after = to.succ_opt().unwrap_or(to);
    (day_start(zone, from), day_start(zone, after))
}

/// The local calendar date of an instant.
pub fn local_date(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// An instant as the center's wall clock shows it: `2026-11-28 09:14:03`.
pub fn local_time_text(zone: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Quote at most 40 characters of what someone typed, for an error message.
fn shorten(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn days_across_dst_changes_are_23_and_25_hours_long() {
        let boston = parse_zone("America/New_York").expect("known zone");
        let spring = range_bounds(boston, date(2026, 3, 8), date(2026, 3, 8));
        let autumn = range_bounds(boston, date(2026, 11, 1), date(2026, 11, 1));
        let plain = range_bounds(boston, date(2026, 11, 28), date(2026, 11, 28));
        assert_eq!(
            spring.1 - spring.0,
            Duration::hours(23),
            "spring forward loses an hour"
        );
        assert_eq!(
            autumn.1 - autumn.0,
            Duration::hours(25),
            "fall back gains an hour"
        );
        assert_eq!(plain.1 - plain.0, Duration::hours(24), "an ordinary day");
        assert_eq!(
            plain.0.to_rfc3339(),
            "2026-11-28T05:00:00+00:00",
            "Boston's midnight in winter is 05:00 UTC"
        );
    }

    #[test]
    fn a_day_whose_midnight_does_not_exist_starts_at_its_first_real_minute() {
        // Santiago skips from 00:00 to 01:00 on the first Sunday of September.
        let santiago = parse_zone("America/Santiago").expect("known zone");
        let start = day_start(santiago, date(2026, 9, 6));
        assert_eq!(
            local_time_text(santiago, start),
            "2026-09-06 01:00:00",
            "the day begins when the clocks say it does"
        );
    }

    #[test]
    fn local_dates_follow_the_center_zone_not_utc() {
        let boston = parse_zone("America/New_York").expect("known zone");
        let late_evening = Utc.with_ymd_and_hms(2026, 11, 29, 3, 30, 0).unwrap();
        assert_eq!(
            local_date(boston, late_evening),
            date(2026, 11, 28),
            "22:30 in Boston is still the 28th although UTC has moved on"
        );
    }

    #[test]
    fn bad_dates_are_refused_with_the_field_named() {
        for text in [
            "",
            "2026-13-01",
            "2026-02-30",
            "28/11/2026",
            "1999-12-31",
            "2101-01-01",
            "'; DROP TABLE staff; --",
        ] {
            let err = parse_date("from", text).expect_err(text);
            assert_eq!(
                err.code,
                ErrorCode::InvalidInput,
                "{text:?} is refused as input"
            );
            assert!(
                err.message.starts_with("from:"),
                "the field is named: {}",
                err.message
            );
        }
        assert_eq!(
            parse_date("from", " 2026-11-28 ").expect("trimmed"),
            date(2026, 11, 28),
            "spaces around a date are forgiven"
        );
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert_eq!(
            parse_zone("Mars/Olympus").expect_err("no such zone").code,
            ErrorCode::InvalidInput,
            "a made-up zone is invalid input"
        );
    }
}
