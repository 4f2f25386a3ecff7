//! Unique visitors without storing IPs, and the referrer domain for the referrer breakdown.
//!
//! A link's visitor is `sha256(day salt ‖ link ‖ full client IP ‖ user agent)`, computed by the
//! worker before the IP is anonymized; the same without the link identifies them across links,
//! for the count of all links' visitors. The salt is a random secret per UTC day kept in the database
//! (`OutboxStore::visitor_salt`, so every worker and instance hashes a visitor alike that day) and
//! deleted once the day is over, after which nobody can recompute a hash to test a known IP.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::event::ClickEvent;
use crate::store::{Store, StoreResult};

/// Days of salts a worker keeps in memory (the oldest are dropped first).
const CACHED_DAYS: usize = 8;

/// Day salts from the store, cached in memory; shared by a worker and its clones.
pub struct VisitorSalts {
    store: Arc<dyn Store>,
    cache: Mutex<BTreeMap<NaiveDate, Arc<str>>>,
}

impl VisitorSalts {
    /// An empty cache over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    /// The salt of `day`, from the cache or else fetched (and created if needed) in the store.
    pub async fn salt(&self, day: NaiveDate) -> StoreResult<Arc<str>> {
        if let Some(salt) = self.cached().get(&day) {
            return Ok(Arc::clone(salt));
        }
        let salt: Arc<str> = self.store.visitor_salt(day).await?.into();
        let mut cache = self.cached();
        cache.insert(day, Arc::clone(&salt));
        while cache.len() > CACHED_DAYS {
            cache.pop_first();
        }
        Ok(salt)
    }

    /// The visitor hashes of a click, of its link and across links: `None` for orphan visits
    /// and clicks without a client IP.
    pub async fn visitor_hashes(&self, click: &ClickEvent) -> StoreResult<Option<VisitorHashes>> {
        let (Some(link), Some(ip)) = (click.link_id, click.client_ip) else {
            return Ok(None);
        };
        let salt = self.salt(click.occurred_at.date_naive()).await?;
        let agent = click.user_agent.as_deref();
        Ok(Some(VisitorHashes {
            link: visitor_hash(&salt, link, ip, agent),
            site: site_visitor_hash(&salt, ip, agent),
        }))
    }

    /// The cache, even if a panicking holder poisoned the lock (the map is always consistent).
    fn cached(&self) -> std::sync::MutexGuard<'_, BTreeMap<NaiveDate, Arc<str>>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One visitor's hashes for one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorHashes {
    /// As the visitor of the link (see [`visitor_hash`]).
    pub link: String,
    /// As a visitor of any link (see [`site_visitor_hash`]).
    pub site: String,
}

/// The first [`VISITOR_HASH_BYTES`] of the SHA-256 of the salt, link id, canonical full IP and
/// user agent (fields separated so that no two different inputs run together), in hex.
pub fn visitor_hash(salt: &str, link_id: i64, ip: IpAddr, user_agent: Option<&str>) -> String {
    hash(salt, Some(link_id), ip, user_agent)
}

/// The visitor's hash whatever link they visit: [`visitor_hash`] without the link, and marked
/// apart from every link's.
pub fn site_visitor_hash(salt: &str, ip: IpAddr, user_agent: Option<&str>) -> String {
    hash(salt, None, ip, user_agent)
}

/// The hash of [`visitor_hash`]; `None` for the link is one byte no link id starts with.
fn hash(salt: &str, link_id: Option<i64>, ip: IpAddr, user_agent: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0]);
    match link_id {
        Some(link_id) => hasher.update(link_id.to_be_bytes()),
        None => hasher.update([0xff]),
    }
    hasher.update(ip.to_canonical().to_string().as_bytes());
    hasher.update([0]);
    hasher.update(user_agent.unwrap_or_default().as_bytes());
    hex::encode(&hasher.finalize()[..VISITOR_HASH_BYTES])
}

/// Bytes of a visitor hash: 64 bits tell a link's visitors of one day apart (a million of them
/// share a hash with odds of about 1 in 36 million), at a quarter of the full digest's size in
/// every click and `visitor_days` row.
pub const VISITOR_HASH_BYTES: usize = 8;

/// Lowercase host of a Referer URL; `None` (shown as "direct") when absent or unparsable.
pub fn referrer_domain(referer: Option<&str>) -> Option<String> {
    let url = url::Url::parse(referer?.trim()).ok()?;
    url.host_str()
        .filter(|host| !host.is_empty())
        .map(str::to_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: Option<&str> = Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0");

    #[tokio::test]
    async fn the_salt_cache_keeps_exactly_the_newest_days() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/salts.db", dir.path().display());
        let store = crate::store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let salts = VisitorSalts::new(store);
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let days: Vec<NaiveDate> = (0..=CACHED_DAYS as u64)
            .map(|offset| first + chrono::Days::new(offset))
            .collect();
        for &day in &days {
            salts.salt(day).await.expect("salt");
        }
        let cached: Vec<NaiveDate> = salts.cached().keys().copied().collect();
        assert_eq!(cached, days[1..]);
    }

    #[test]
    fn hash_changes_with_the_salt_and_does_not_contain_the_ip() {
        let ip: IpAddr = "198.51.100.77".parse().expect("ip");
        let monday = visitor_hash("salt-of-monday", 7, ip, UA);
        let tuesday = visitor_hash("salt-of-tuesday", 7, ip, UA);
        assert_ne!(monday, tuesday);
        assert_eq!(monday, visitor_hash("salt-of-monday", 7, ip, UA));
        assert_eq!(monday.len(), 2 * VISITOR_HASH_BYTES);
        for hash in [&monday, &tuesday] {
            assert!(!hash.contains("198.51.100.77"));
            assert!(!hash.contains("c63364")); // the IP's octets in hex
        }
    }

    #[test]
    fn hash_tells_links_addresses_and_agents_apart() {
        let ip: IpAddr = "2001:db8::1".parse().expect("ip");
        let base = visitor_hash("s", 1, ip, UA);
        assert_ne!(base, visitor_hash("s", 2, ip, UA));
        let anywhere = site_visitor_hash("s", ip, UA);
        assert_ne!(base, anywhere);
        assert_eq!(anywhere, site_visitor_hash("s", ip, UA));
        assert_ne!(anywhere, site_visitor_hash("s", ip, None));
        assert_ne!(
            base,
            visitor_hash("s", 1, "2001:db8::2".parse().expect("ip"), UA)
        );
        assert_ne!(base, visitor_hash("s", 1, ip, None));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        let plain: IpAddr = "192.0.2.1".parse().expect("ip");
        assert_eq!(
            visitor_hash("s", 1, mapped, UA),
            visitor_hash("s", 1, plain, UA)
        );
    }

    #[test]
    fn referrer_domain_is_the_lowercase_host_or_none() {
        let domain = |raw| referrer_domain(Some(raw));
        assert_eq!(
            domain("https://News.Example.COM/a?b=c").as_deref(),
            Some("news.example.com")
        );
        assert_eq!(
            domain("android-app://com.Google.android.gm/").as_deref(),
            Some("com.google.android.gm")
        );
        assert_eq!(domain("not a url"), None);
        assert_eq!(domain("mailto:someone@example.com"), None);
        assert_eq!(referrer_domain(None), None);
    }
}
