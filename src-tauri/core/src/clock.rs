//! Time comes from an injected clock so that tests can move it.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// A source of the current instant (UTC).
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock of the machine.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The machine's clock moved by a fixed offset. With no offset it is the real clock; the
/// end-to-end tests start the app at a chosen instant with it, so that opening hours and
/// dates do not depend on when the tests run.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShiftedClock {
    offset: chrono::Duration,
}

impl ShiftedClock {
    /// A clock that reads `start` now and runs on from there.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        ShiftedClock {
            offset: start - Utc::now(),
        }
    }

    /// [`ShiftedClock::starting_at`] from RFC 3339 text; `None` when it is not an instant.
    pub fn starting_at_text(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|start| ShiftedClock::starting_at(start.with_timezone(&Utc)))
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    pub fn new(now: DateTime<Utc>) -> Self {
        FixedClock {
            now: Mutex::new(now),
        }
    }

    /// Move the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_shifted_clock_starts_where_told_and_runs_on() {
        let clock = ShiftedClock::starting_at_text("2026-11-30T15:00:00Z").expect("an instant");
        let read = clock.now();
        let start = Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap();
        assert!(
            read >= start && read - start < chrono::Duration::seconds(5),
            "it reads the start now: {read}"
        );
        assert!(
            ShiftedClock::starting_at_text("Monday").is_none(),
            "text that is not an instant is refused"
        );
        let real = ShiftedClock::default().now();
        assert!(
            (real - Utc::now()).num_seconds().abs() < 5,
            "no offset: the real clock"
        );
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = Utc
            .with_ymd_and_hms(2026, 3, 8, 6, 0, 0)
            .single()
            .expect("valid date");
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start, "a fixed clock does not tick by itself");
        clock.advance(chrono::Duration::minutes(90));
        assert_eq!(
            clock.now(),
            start + chrono::Duration::minutes(90),
            "advance moves the clock by exactly the duration"
        );
    }
}
