//! Load from the test itself: numbered redirects from many connections, and the numbers that
//! reached `clicks`, so a test can compare what was acknowledged with what was stored.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use linkpulse::links::NewShortUrl;
use linkpulse::links::{LongUrl, OwnOrigin, ShortCode};
use linkpulse::store::{self, Store};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// A fresh, migrated database holding one link, `code` → `https://example.com/` (forwarding
/// the query), with the guard that removes it and a store on it.
pub async fn database_with_link(
    backend: super::Backend,
    code: &str,
) -> (String, super::TestDatabase, Arc<dyn Store>) {
    let (url, database) = super::fresh_database(backend).await;
    let store = store::connect(&url).await.expect("store connects");
    store.migrate().await.expect("migrations");
    let base = url::Url::parse("http://lp.test/").expect("base URL");
    let link = NewShortUrl {
        domain: linkpulse::links::Domain::Default,
        short_code: ShortCode::parse(code).expect("code"),
        long_url: LongUrl::parse("https://example.com/", &OwnOrigin::of(&base)).expect("long URL"),
        title: None,
        valid_since: None,
        valid_until: None,
        max_visits: None,
        crawlable: false,
        forward_query: true,
        tags: Vec::new(),
        author_key_id: None,
        date_created: None,
        rules: linkpulse::links::rules::RedirectRules::default(),
        expired_url: None,
        password: None,
        split: linkpulse::links::Split::default(),
    };
    store.create_short_url(&link).await.expect("link");
    (url, database, store)
}

/// Redirects to `/{code}?n=N` sent flat out, each connection numbering its own requests.
pub struct Load {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    lanes: Vec<JoinHandle<()>>,
    acked: Arc<Mutex<HashSet<u64>>>,
}

impl Load {
    /// Starts `connections` clients against `address` (`http://host:port`).
    pub fn start(address: &str, code: &str, connections: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let acked = Arc::new(Mutex::new(HashSet::new()));
        let lanes = (0..connections)
            .map(|lane| {
                let url = format!("{address}/{code}?n=");
                let (stop, answered, failed, acked) = (
                    stop.clone(),
                    answered.clone(),
                    failed.clone(),
                    acked.clone(),
                );
                tokio::spawn(async move {
                    let client = reqwest::Client::builder()
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                        .expect("client");
                    let mut n = lane;
                    while !stop.load(Ordering::Relaxed) {
                        match client.get(format!("{url}{n}")).send().await {
                            Ok(response) if response.status() == 302 => {
                                acked.lock().await.insert(n);
                                answered.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(_) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(_) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                        n += connections;
                    }
                })
            })
            .collect();
        Self {
            stop,
            answered,
            failed,
            lanes,
            acked,
        }
    }

    /// Waits until at least `count` redirects were answered 302 (at most 30 s).
    pub async fn wait_for(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.answered.load(Ordering::Relaxed) < count {
            assert!(
                Instant::now() < deadline,
                "the server answered too few redirects"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Requests that got anything but a 302 (another status, or no answer at all) so far.
    pub fn failures(&self) -> usize {
        self.failed.load(Ordering::Relaxed)
    }

    /// Stops every connection; returns the request numbers answered 302.
    pub async fn stop(self) -> HashSet<u64> {
        self.stop.store(true, Ordering::Relaxed);
        for lane in self.lanes {
            lane.await.expect("load lane");
        }
        Arc::try_unwrap(self.acked)
            .expect("lanes finished")
            .into_inner()
    }
}

/// The request numbers stored in `clicks` for link `code`, asserting that none is stored twice
/// and that the link's counter equals its click rows.
pub async fn stored_numbers(
    store: &Arc<dyn Store>,
    database_url: &str,
    code: &str,
) -> HashSet<u64> {
    let urls: Vec<(String,)> =
        super::sql_rows::fetch(database_url, "SELECT visited_url FROM clicks").await;
    let numbers: Vec<u64> = urls
        .iter()
        .filter_map(|(url,)| url.rsplit("n=").next()?.parse().ok())
        .collect();
    let unique: HashSet<u64> = numbers.iter().copied().collect();
    assert_eq!(unique.len(), numbers.len(), "a click was stored twice");
    let counted = store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(
            ShortCode::parse(code).expect("code"),
        ))
        .await
        .expect("link")
        .expect("link exists")
        .visits
        .total;
    assert_eq!(
        counted as usize,
        numbers.len(),
        "counters equal the click rows"
    );
    unique
}
