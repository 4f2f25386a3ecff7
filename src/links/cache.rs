//! `RedirectCache`: keeps hot links in memory so a redirect costs no database round trip.
//!
//! Edits on this instance invalidate at once; other instances see them when the entry's short
//! time-to-live runs out, which bounds how stale a link can be across instances.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use super::{RedirectTarget, ShortCode};
use crate::store::{Store, StoreResult};

/// Most links held in memory at once.
const CAPACITY: u64 = 200_000;

/// A read-through cache of redirect targets, negative answers included.
#[derive(Clone)]
pub struct RedirectCache {
    store: Arc<dyn Store>,
    /// `None` when lookups are not to be reused (a time-to-live of zero).
    entries: Option<Cache<String, Option<Arc<RedirectTarget>>>>,
}

impl RedirectCache {
    /// An empty cache in front of `store` whose lookups (hits and misses) are trusted for `ttl`.
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .build()
        });
        Self { store, entries }
    }

    /// The target for `code`, from memory when possible.
    pub async fn lookup(&self, code: &ShortCode) -> StoreResult<Option<Arc<RedirectTarget>>> {
        if let Some(hit) = self.entries.as_ref().and_then(|e| e.get(code.as_str())) {
            return Ok(hit);
        }
        let found = self.store.find_redirect_target(code).await?.map(Arc::new);
        if let Some(entries) = &self.entries {
            entries.insert(code.as_str().to_owned(), found.clone());
        }
        Ok(found)
    }

    /// Forgets `code` so the next lookup reads the database (after an edit or delete).
    pub fn invalidate(&self, code: &str) {
        if let Some(entries) = &self.entries {
            entries.invalidate(code);
        }
    }
}
