//! Retry policy for click-pipeline work: exponential backoff with jitter, and the
//! retryable-vs-terminal classification that decides between "try again later" and the DLQ.
//!
//! Attempts are counted from 1: attempt 1 is the first delivery. After attempt `n` fails with a
//! retryable error, the next try waits `delay(n)`; once `max_attempts` deliveries have failed the
//! message goes to the dead-letter queue.

use std::time::Duration;

use rand::{Rng, RngExt};

/// Jitter is ±`JITTER_PERCENT` % of the nominal delay.
pub const JITTER_PERCENT: u32 = 20;

/// Exponential backoff parameters; the defaults suit a background queue (1 s, 2 s, 4 s … ≤ 5 min).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failed attempt (before jitter).
    pub base: Duration,
    /// No delay ever exceeds this, jitter included.
    pub cap: Duration,
    /// How many deliveries a message gets in total before it is dead-lettered.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(5 * 60),
            max_attempts: 5,
        }
    }
}

impl Backoff {
    /// The un-jittered delay after failed attempt `attempt`: `min(cap, base · 2^(attempt-1))`.
    ///
    /// Attempt 0 is treated like attempt 1. Saturates at `cap` instead of overflowing, however
    /// large `attempt` is.
    pub fn nominal(&self, attempt: u32) -> Duration {
        let cap = self.cap.as_nanos();
        let exponent = attempt.saturating_sub(1);
        let nanos = 2u128
            .checked_pow(exponent)
            .and_then(|factor| self.base.as_nanos().checked_mul(factor))
            .map_or(cap, |n| n.min(cap));
        duration_from_nanos(nanos)
    }

    /// The inclusive range `delay(attempt)` draws from.
    ///
    /// With `n = nominal(attempt)`: `[⌊0.8·n⌋, min(cap, ⌊1.2·n⌋)]` (nanosecond precision), so the
    /// result is never above `cap` and the upper bound never decreases as `attempt` grows.
    pub fn bounds(&self, attempt: u32) -> (Duration, Duration) {
        let nominal = self.nominal(attempt).as_nanos();
        let low = nominal * u128::from(100 - JITTER_PERCENT) / 100;
        let high = (nominal * u128::from(100 + JITTER_PERCENT) / 100).min(self.cap.as_nanos());
        (duration_from_nanos(low), duration_from_nanos(high))
    }

    /// How long to wait after failed attempt `attempt`: uniformly random within [`Self::bounds`].
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let (low, high) = self.bounds(attempt);
        duration_from_nanos(rng.random_range(low.as_nanos()..=high.as_nanos()))
    }

    /// Whether a message whose attempt number `attempt` just failed may be delivered again.
    pub fn should_retry(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// What to do after attempt `attempt` failed with `failure`.
    pub fn decide(&self, attempt: u32, failure: &Failure, rng: &mut impl Rng) -> Decision {
        match failure {
            Failure::Retryable(_) if self.should_retry(attempt) => {
                Decision::RetryAfter(self.delay(attempt, rng))
            }
            Failure::Retryable(_) | Failure::Terminal(_) => Decision::DeadLetter,
        }
    }
}

/// Why processing a message failed, which decides whether retrying can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// A transient problem (database down, timeout): the same message may succeed later.
    #[error("retryable failure: {0}")]
    Retryable(String),
    /// A poison message (undecodable, violates an invariant): retrying cannot help, so it goes
    /// straight to the dead-letter queue.
    #[error("terminal failure: {0}")]
    Terminal(String),
}

impl Failure {
    /// Whether another attempt could succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable(_))
    }
}

/// The outcome of [`Backoff::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Schedule the message again after this delay.
    RetryAfter(Duration),
    /// Give up and move the message to the dead-letter queue.
    DeadLetter,
}

/// Builds a `Duration` from nanoseconds, saturating at `Duration::MAX` (inputs here are ≤ cap).
fn duration_from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
    let subsec = u32::try_from(nanos % NANOS_PER_SEC).unwrap_or(0);
    Duration::new(secs, subsec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn backoff_strategy() -> impl Strategy<Value = Backoff> {
        (0u64..=10_000_000_000_000, 0u64..=u64::MAX / 2, 0u32..20).prop_map(
            |(base_ns, cap_ns, max_attempts)| Backoff {
                base: Duration::from_nanos(base_ns),
                cap: Duration::from_nanos(cap_ns),
                max_attempts,
            },
        )
    }

    #[test]
    fn defaults_match_the_documented_policy() {
        let b = Backoff::default();
        assert_eq!(b.base, Duration::from_secs(1));
        assert_eq!(b.cap, Duration::from_secs(300));
        assert_eq!(b.max_attempts, 5);
    }

    #[test]
    fn nominal_doubles_then_caps() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=10).map(|a| b.nominal(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(b.nominal(0), b.nominal(1));
    }

    #[test]
    fn huge_attempt_numbers_saturate_at_cap() {
        let b = Backoff::default();
        for attempt in [64, 127, 128, 129, 1_000, u32::MAX] {
            assert_eq!(b.nominal(attempt), b.cap);
            let mut rng = StdRng::seed_from_u64(u64::from(attempt));
            assert!(b.delay(attempt, &mut rng) <= b.cap);
        }
    }

    #[test]
    fn jitter_spreads_delays() {
        let b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: std::collections::HashSet<Duration> =
            (0..50).map(|_| b.delay(3, &mut rng)).collect();
        assert!(delays.len() > 1, "jitter should vary the delay");
        assert!(
            delays
                .iter()
                .all(|d| *d >= Duration::from_millis(3200) && *d <= Duration::from_millis(4800))
        );
    }

    #[test]
    fn should_retry_allows_exactly_max_attempts_deliveries() {
        let b = Backoff::default();
        assert!((1..5).all(|a| b.should_retry(a)));
        assert!(!b.should_retry(5));
        assert!(!b.should_retry(6));
    }

    #[test]
    fn bounds_are_twenty_percent_either_side_of_the_nominal_delay() {
        let b = Backoff::default();
        assert_eq!(
            b.bounds(3),
            (Duration::from_millis(3200), Duration::from_millis(4800))
        );
        // Near the cap the upper bound is the cap itself.
        assert_eq!(
            b.bounds(9),
            (Duration::from_millis(204_800), Duration::from_secs(300))
        );
    }

    #[test]
    fn terminal_failures_are_dead_lettered_at_once() {
        let b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(1);
        let poison = Failure::Terminal("bad payload".into());
        assert!(!poison.is_retryable());
        assert_eq!(b.decide(1, &poison, &mut rng), Decision::DeadLetter);
        let transient = Failure::Retryable("db down".into());
        assert!(transient.is_retryable());
        assert!(matches!(
            b.decide(1, &transient, &mut rng),
            Decision::RetryAfter(d) if d <= Duration::from_millis(1200)
        ));
        assert_eq!(b.decide(5, &transient, &mut rng), Decision::DeadLetter);
    }

    proptest! {
        #[test]
        fn delay_stays_within_formula_bounds(b in backoff_strategy(), attempt in any::<u32>(), seed in any::<u64>()) {
            let mut rng = StdRng::seed_from_u64(seed);
            let d = b.delay(attempt, &mut rng);
            let exponent = attempt.saturating_sub(1);
            let nominal = 2u128
                .checked_pow(exponent)
                .and_then(|f| b.base.as_nanos().checked_mul(f))
                .map_or(b.cap.as_nanos(), |n| n.min(b.cap.as_nanos()));
            prop_assert!(d.as_nanos() * 100 + 99 >= nominal * 80, "{d:?} below 0.8 × {nominal}");
            prop_assert!(d.as_nanos() * 100 <= nominal * 120, "{d:?} above 1.2 × {nominal}");
            prop_assert!(d <= b.cap);
        }

        #[test]
        fn upper_bound_never_decreases_with_attempt(b in backoff_strategy(), attempt in 0u32..u32::MAX) {
            let (low, high) = b.bounds(attempt);
            let (next_low, next_high) = b.bounds(attempt + 1);
            prop_assert!(low <= high);
            prop_assert!(high <= next_high);
            prop_assert!(low <= next_low);
            prop_assert!(next_high <= b.cap);
        }
    }
}
