//! Slows down guessing: after a few wrong API keys from one client address (sign-in), or wrong
//! passwords from one address for one link (protected links), further attempts are refused
//! (429) until a quiet period has passed. Refused attempts are not even checked, so guessing
//! also cannot burn the server's CPU on password hashing.

use std::hash::Hash;
use std::net::IpAddr;
use std::time::Duration;

use moka::sync::Cache;

/// Wrong attempts accepted for one key before it is paused.
const MAX_FAILURES: u32 = 5;

/// The pause; it restarts with every further failure (entries live this long after the last).
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Keys tracked at once (an attacker spraying addresses only evicts old entries).
const CAPACITY: u64 = 100_000;

/// Failed sign-ins per client address.
pub type LoginThrottle = Throttle<IpAddr>;

/// Wrong passwords per client address and protected link (by row id).
pub type UnlockThrottle = Throttle<(IpAddr, i64)>;

/// A key that failed too often lately: its attempts are refused for `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paused {
    /// How long until attempts are accepted again.
    pub retry_after: Duration,
}

/// Failed attempts per key, in memory (per instance).
#[derive(Clone)]
pub struct Throttle<K> {
    failures: Cache<K, u32>,
}

impl<K: Hash + Eq + Send + Sync + 'static> Default for Throttle<K> {
    fn default() -> Self {
        Self {
            failures: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(WINDOW)
                .build(),
        }
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> Throttle<K> {
    /// `Ok` unless `key` has failed too often lately.
    pub fn check(&self, key: &K) -> Result<(), Paused> {
        match self.failures.get(key) {
            Some(count) if count >= MAX_FAILURES => Err(Paused {
                retry_after: WINDOW,
            }),
            _ => Ok(()),
        }
    }

    /// Counts a wrong attempt for `key`.
    pub fn failed(&self, key: K) {
        self.failures
            .entry(key)
            .and_upsert_with(|entry| entry.map_or(1, |e| e.into_value().saturating_add(1)));
    }

    /// Forgets `key`'s failures after it got in.
    pub fn succeeded(&self, key: &K) {
        self.failures.invalidate(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_a_key_after_too_many_failures_only() {
        let throttle = LoginThrottle::default();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..MAX_FAILURES {
            assert!(throttle.check(&a).is_ok());
            throttle.failed(a);
        }
        assert_eq!(
            throttle.check(&a),
            Err(Paused {
                retry_after: WINDOW
            })
        );
        assert!(
            throttle.check(&b).is_ok(),
            "other addresses are not affected"
        );
        throttle.succeeded(&a);
        assert!(throttle.check(&a).is_ok());
    }

    #[test]
    fn links_are_throttled_apart() {
        let throttle = UnlockThrottle::default();
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            throttle.failed((ip, 1));
        }
        assert!(throttle.check(&(ip, 1)).is_err());
        assert!(throttle.check(&(ip, 2)).is_ok());
    }
}
