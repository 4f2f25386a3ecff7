//! Slows down API key guessing: after a few wrong keys from one client address, sign-in is
//! refused (429) for that address until a quiet period has passed.

use std::net::IpAddr;
use std::time::Duration;

use moka::sync::Cache;

use super::PageError;

/// Wrong keys accepted from one address before it is paused.
const MAX_FAILURES: u32 = 5;

/// The pause; it restarts with every further failure (entries live this long after the last).
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Addresses tracked at once (an attacker spraying addresses only evicts old entries).
const CAPACITY: u64 = 100_000;

/// Failed sign-ins per client address, in memory (per instance).
#[derive(Clone)]
pub struct LoginThrottle {
    failures: Cache<IpAddr, u32>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            failures: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(WINDOW)
                .build(),
        }
    }
}

impl LoginThrottle {
    /// `Ok` unless `ip` has failed too often lately.
    pub fn check(&self, ip: IpAddr) -> Result<(), PageError> {
        match self.failures.get(&ip) {
            Some(count) if count >= MAX_FAILURES => Err(PageError::TooManyAttempts {
                retry_after: WINDOW,
            }),
            _ => Ok(()),
        }
    }

    /// Counts a wrong key from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        self.failures
            .entry(ip)
            .and_upsert_with(|entry| entry.map_or(1, |e| e.into_value().saturating_add(1)));
    }

    /// Forgets `ip`'s failures after it signed in.
    pub fn succeeded(&self, ip: IpAddr) {
        self.failures.invalidate(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_an_address_after_too_many_failures_only() {
        let throttle = LoginThrottle::default();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..MAX_FAILURES {
            assert!(throttle.check(a).is_ok());
            throttle.failed(a);
        }
        assert!(matches!(
            throttle.check(a),
            Err(PageError::TooManyAttempts { .. })
        ));
        assert!(
            throttle.check(b).is_ok(),
            "other addresses are not affected"
        );
        throttle.succeeded(a);
        assert!(throttle.check(a).is_ok());
    }
}
