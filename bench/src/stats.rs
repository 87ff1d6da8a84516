//! Samples and percentiles (nearest rank, so p99 of 100 samples is the 99th slowest).

use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct Samples {
    durations: Vec<Duration>,
}

impl Samples {
    pub fn push(&mut self, duration: Duration) {
        self.durations.push(duration);
    }

    /// How many samples.
    pub fn len(&self) -> usize {
        self.durations.len()
    }

    /// The `percent`th percentile, nearest rank; `None` without samples.
    pub fn percentile(&self, percent: u32) -> Option<Duration> {
        let mut sorted = self.durations.clone();
        sorted.sort();
        let rank = (sorted.len() * percent as usize).div_ceil(100).max(1);
        sorted.get(rank - 1).copied()
    }

    pub fn p50_us(&self) -> f64 {
        micros(self.percentile(50))
    }

    pub fn p99_us(&self) -> f64 {
        micros(self.percentile(99))
    }
}

/// The nearest-rank percentile (`p` in 0..=100) of `values`: the smallest value with at
/// least p% of the values at or below it, always one of the values (the median of an even
/// count is the lower middle one). `None` when empty.
pub fn percentile<T: Ord + Copy>(values: &[T], p: u32) -> Option<T> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = (usize::try_from(p.min(100)).ok()? * sorted.len()).div_ceil(100);
    sorted.get(rank.saturating_sub(1)).copied()
}

fn micros(duration: Option<Duration>) -> f64 {
    duration.map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples = Samples::default();
        for ms in (1..=100).rev() {
            samples.push(Duration::from_millis(ms));
        }
        assert_eq!(
            samples.percentile(50),
            Some(Duration::from_millis(50)),
            "the median of 1..=100 ms by nearest rank"
        );
        assert_eq!(
            samples.percentile(99),
            Some(Duration::from_millis(99)),
            "p99 of 100 samples is the 99th"
        );
        assert_eq!(
            samples.percentile(100),
            Some(Duration::from_millis(100)),
            "p100 is the slowest"
        );
        let mut few = Samples::default();
        few.push(Duration::from_millis(3));
        few.push(Duration::from_millis(7));
        assert_eq!(
            few.percentile(99),
            Some(Duration::from_millis(7)),
            "with few samples p99 is the slowest"
        );
        assert!(
            Samples::default().percentile(50).is_none(),
            "no samples, no percentile"
        );
    }
}
