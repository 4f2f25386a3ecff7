//! `RedirectCache`: keeps hot links in memory so a redirect costs no database round trip, and so
//! redirects keep working while the database is down.
//!
//! An entry is *fresh* for the configured time-to-live and then *due*: the next redirect still
//! answers from it at once while one background lookup refreshes it (stale-while-revalidate).
//! When that lookup fails, the last known answer keeps serving (stale-if-error) for as long as
//! the entry is kept, [`KEPT_FOR`]. Edits on this instance forget their link at once; edits on
//! other instances arrive as [`LinkChange`]s (Postgres `LISTEN`/`NOTIFY`), with the time-to-live
//! as the fallback when notifications were missed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;
use moka::sync::Cache;
use tokio::time::Instant;

use super::{LinkAddress, RedirectTarget};
use crate::store::{Store, StoreResult};

/// Most links held in memory at once.
const CAPACITY: u64 = 200_000;

/// How long a looked-up answer is kept to fall back on when the database fails.
pub const KEPT_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a due entry waits before another refresh is tried after one failed (or while one
/// runs), so an outage costs one lookup per link and interval, not one per redirect.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How the cache reads a code it does not know or must refresh (the store, in production).
type Lookup = Arc<
    dyn Fn(LinkAddress) -> BoxFuture<'static, StoreResult<Option<RedirectTarget>>> + Send + Sync,
>;

/// The longest a link with a visit cap is trusted: its counter moves with every click, and the
/// cap must bite within about a second of being reached, as before the cache kept answers long.
const CAPPED_FRESH_FOR: Duration = Duration::from_millis(1500);

/// What the cache knows about one link address.
#[derive(Clone)]
struct Entry {
    /// The link, or `None` for "no such link".
    target: Option<Arc<RedirectTarget>>,
    /// When the answer should be looked up again.
    due: Instant,
    /// The cache's epoch when the answer was read; an older epoch makes it due at once.
    epoch: u64,
}

/// A read-through cache of redirect targets, negative answers included.
#[derive(Clone)]
pub struct RedirectCache {
    lookup: Lookup,
    entries: Cache<String, Entry>,
    fresh_for: Duration,
    /// Bumped when every entry must be checked again (notifications were missed).
    epoch: Arc<AtomicU64>,
    /// Bumped by every invalidation, so a lookup that raced an edit does not store its answer.
    edits: Arc<AtomicU64>,
}

impl RedirectCache {
    /// An empty cache in front of `store` whose answers (hits and misses) are trusted for
    /// `fresh_for`; zero asks the database on every redirect and keeps answers only for outages.
    pub fn new(store: Arc<dyn Store>, fresh_for: Duration) -> Self {
        let lookup: Lookup = Arc::new(move |link| {
            let store = Arc::clone(&store);
            Box::pin(async move { store.find_redirect_target(&link).await })
        });
        Self::reading(lookup, fresh_for)
    }

    /// An empty cache whose misses and refreshes call `lookup`.
    fn reading(lookup: Lookup, fresh_for: Duration) -> Self {
        let entries = Cache::builder()
            .max_capacity(CAPACITY)
            .time_to_live(KEPT_FOR)
            .build();
        Self {
            lookup,
            entries,
            fresh_for,
            epoch: Arc::default(),
            edits: Arc::default(),
        }
    }

    /// The target for `link`: from memory when fresh; when due, the stale answer while a
    /// background lookup refreshes it; an error only when the database fails and nothing is
    /// known about `link`.
    pub async fn lookup(&self, link: &LinkAddress) -> StoreResult<Option<Arc<RedirectTarget>>> {
        let Some(entry) = self.entries.get(link.cache_key().as_ref()) else {
            return self.read(link).await;
        };
        let now = Instant::now();
        if entry.due > now && entry.epoch == self.epoch.load(Ordering::Acquire) {
            return Ok(entry.target);
        }
        if self.fresh_for.is_zero() {
            return Ok(self.read(link).await.unwrap_or(entry.target));
        }
        self.postpone(link, &entry, now);
        let cache = self.clone();
        let link = link.clone();
        tokio::spawn(async move { cache.read(&link).await });
        Ok(entry.target)
    }

    /// Forgets the link with this cache key (`LinkAddress::cache_key`) so the next lookup reads
    /// the database (after an edit or delete).
    pub fn invalidate(&self, key: &str) {
        self.edits.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate(key);
    }

    /// Makes every entry due, keeping the answers for outages (after missed notifications).
    pub fn expire_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Reads `link` from the database and remembers the answer; on failure the entry (if any)
    /// keeps its stale answer and is tried again after [`RETRY_AFTER`].
    async fn read(&self, link: &LinkAddress) -> StoreResult<Option<Arc<RedirectTarget>>> {
        let edits = self.edits.load(Ordering::Acquire);
        let epoch = self.epoch.load(Ordering::Acquire);
        match (self.lookup)(link.clone()).await {
            Ok(found) => {
                let target = found.map(Arc::new);
                if self.edits.load(Ordering::Acquire) == edits {
                    let due = Instant::now() + self.freshness(target.as_deref());
                    let entry = Entry {
                        target: target.clone(),
                        due,
                        epoch,
                    };
                    self.entries.insert(link.cache_key().into_owned(), entry);
                }
                Ok(target)
            }
            Err(err) => {
                tracing::warn!(error = %err, link = %link, "redirect lookup failed; serving the last known answer if any");
                Err(err)
            }
        }
    }

    /// How long an answer about `target` is trusted.
    fn freshness(&self, target: Option<&RedirectTarget>) -> Duration {
        match target {
            Some(capped) if capped.max_visits.is_some() => self.fresh_for.min(CAPPED_FRESH_FOR),
            _ => self.fresh_for,
        }
    }

    /// Marks a due entry as being refreshed, so other redirects meanwhile do not start lookups.
    fn postpone(&self, link: &LinkAddress, entry: &Entry, now: Instant) {
        let postponed = Entry {
            due: now + RETRY_AFTER,
            epoch: self.epoch.load(Ordering::Acquire),
            ..entry.clone()
        };
        self.entries
            .insert(link.cache_key().into_owned(), postponed);
    }
}

#[cfg(test)]
mod tests;
