//! The cache's promises against a lookup that counts its calls and fails on demand.

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use super::*;
use crate::links::ShortCode;
use crate::store::StoreError;

/// A database stand-in: one link whose URL a test changes, and a switch that makes it fail.
#[derive(Default)]
struct Database {
    url: Mutex<Option<String>>,
    down: AtomicBool,
    reads: AtomicU64,
    capped: bool,
}

impl Database {
    fn with(url: &str) -> Arc<Self> {
        Self::new(url, false)
    }

    fn new(url: &str, capped: bool) -> Arc<Self> {
        let db = Arc::new(Self {
            capped,
            ..Self::default()
        });
        db.set(Some(url));
        db
    }

    fn set(&self, url: Option<&str>) {
        *self.url.lock().unwrap() = url.map(str::to_owned);
    }

    fn reads(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }

    fn cache(self: &Arc<Self>, fresh_for: Duration) -> RedirectCache {
        let db = Arc::clone(self);
        let lookup: Lookup = Arc::new(move |_code| {
            let db = Arc::clone(&db);
            Box::pin(async move {
                db.reads.fetch_add(1, Ordering::SeqCst);
                if db.down.load(Ordering::SeqCst) {
                    return Err(StoreError::Database(sqlx::Error::PoolTimedOut));
                }
                let url = db.url.lock().unwrap().clone();
                Ok(url.map(|url| target(url, db.capped)))
            })
        });
        RedirectCache::reading(lookup, fresh_for)
    }
}

fn target(url: String, capped: bool) -> RedirectTarget {
    RedirectTarget {
        link_id: 1,
        long_url: url,
        forward_query: false,
        valid_since: None,
        valid_until: None,
        max_visits: capped.then_some(3),
        non_bot_visits: 0,
        rules: crate::links::rules::RedirectRules::default(),
        expired_url: None,
        password: None,
        split: crate::links::Split::default(),
    }
}

fn code() -> LinkAddress {
    LinkAddress::default_domain(ShortCode::parse("abc12").unwrap())
}

async fn url_of(cache: &RedirectCache) -> Option<String> {
    let found = cache.lookup(&code()).await.expect("an answer");
    found.map(|t| t.long_url.clone())
}

/// Lets spawned refreshes run to completion.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_fresh_answer_is_served_from_memory() {
    let db = Database::with("https://a.example");
    let cache = db.cache(Duration::from_secs(60));
    assert_eq!(url_of(&cache).await.as_deref(), Some("https://a.example"));
    db.set(Some("https://b.example"));
    assert_eq!(url_of(&cache).await.as_deref(), Some("https://a.example"));
    assert_eq!(db.reads(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_due_answer_is_served_at_once_and_refreshed_in_the_background() {
    let db = Database::with("https://a.example");
    let cache = db.cache(Duration::from_secs(60));
    url_of(&cache).await;
    db.set(Some("https://b.example"));
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(url_of(&cache).await.as_deref(), Some("https://a.example"));
    settle().await;
    assert_eq!(db.reads(), 2);
    assert_eq!(url_of(&cache).await.as_deref(), Some("https://b.example"));
}

#[tokio::test(start_paused = true)]
async fn while_the_database_fails_known_links_keep_their_last_answer() {
    let db = Database::with("https://a.example");
    let cache = db.cache(Duration::from_secs(60));
    url_of(&cache).await;
    db.down.store(true, Ordering::SeqCst);
    for _ in 0..5 {
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(url_of(&cache).await.as_deref(), Some("https://a.example"));
        settle().await;
    }
    let other = LinkAddress::default_domain(ShortCode::parse("zzz99").unwrap());
    assert!(
        cache.lookup(&other).await.is_err(),
        "nothing known: the error shows"
    );
}

#[tokio::test(start_paused = true)]
async fn an_outage_costs_one_lookup_per_link_and_retry_interval() {
    let db = Database::with("https://a.example");
    let cache = db.cache(Duration::from_secs(60));
    url_of(&cache).await;
    db.down.store(true, Ordering::SeqCst);
    tokio::time::advance(Duration::from_secs(61)).await;
    for _ in 0..100 {
        url_of(&cache).await;
        settle().await;
    }
    assert_eq!(db.reads(), 2, "one refresh tried, not one per redirect");
    tokio::time::advance(RETRY_AFTER).await;
    url_of(&cache).await;
    settle().await;
    assert_eq!(db.reads(), 3);
}

#[tokio::test(start_paused = true)]
async fn with_no_time_to_live_every_redirect_reads_and_an_outage_falls_back() {
    let db = Database::with("https://a.example");
    let cache = db.cache(Duration::ZERO);
    url_of(&cache).await;
    db.set(Some("https://b.example"));
    assert_eq!(url_of(&cache).await.as_deref(), Some("https://b.example"));
    db.down.store(true, Ordering::SeqCst);
    assert_eq!(url_of(&cache).await.as_deref(), Some("https://b.example"));
    assert_eq!(db.reads(), 3);
}

#[tokio::test(start_paused = true)]
async fn invalidating_and_expiring_make_the_next_redirect_see_the_edit() {
    let db = Database::with("https://a.example");
    let cache = db.cache(Duration::from_secs(60));
    url_of(&cache).await;
    db.set(None);
    cache.invalidate("abc12");
    assert_eq!(url_of(&cache).await, None, "a delete is seen at once");
    db.set(Some("https://c.example"));
    cache.expire_all();
    url_of(&cache).await;
    settle().await;
    assert_eq!(url_of(&cache).await.as_deref(), Some("https://c.example"));
}

#[tokio::test(start_paused = true)]
async fn a_link_with_a_visit_cap_is_trusted_briefly() {
    let db = Database::new("https://a.example", true);
    let cache = db.cache(Duration::from_secs(60));
    url_of(&cache).await;
    tokio::time::advance(CAPPED_FRESH_FOR + Duration::from_millis(1)).await;
    url_of(&cache).await;
    settle().await;
    assert_eq!(db.reads(), 2);
}
