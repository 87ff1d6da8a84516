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
