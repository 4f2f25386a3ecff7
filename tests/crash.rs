//! Crash and shutdown safety of the real binary: `kill -9` mid-load in both ack modes, and
//! SIGTERM under load, on both backends. Every request that got a 302 is checked in `clicks`.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::binary::Server;
use common::{Backend, TestDatabase, fresh_database};
use linkpulse::links::{LongUrl, ShortCode};
use linkpulse::store::{self, NewShortUrl, Store};
use tokio::sync::Mutex;

/// Buffer size used for the `immediate` run; the stated loss bound is the buffer plus one batch
/// (plus any click the server logged as dropped because the buffer was full).
const BUFFER: usize = 256;

async fn prepare(backend: Backend) -> (String, TestDatabase, Arc<dyn Store>) {
    let (url, dir) = fresh_database(backend).await;
    let store = store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let base = url::Url::parse("http://lp.test/").unwrap();
    let link = NewShortUrl {
        short_code: ShortCode::parse("crash").unwrap(),
        long_url: LongUrl::parse("https://example.com/", &base).unwrap(),
        title: None,
        valid_since: None,
        valid_until: None,
        max_visits: None,
        crawlable: false,
        forward_query: true,
        tags: Vec::new(),
    };
    store.create_short_url(&link).await.unwrap();
    (url, dir, store)
}

/// Sends numbered redirects from 16 connections until `stop`; returns the numbers answered 302.
async fn drive(address: String, stop: Arc<AtomicBool>) -> HashSet<u64> {
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = Vec::new();
    for lane in 0..16u64 {
        let (address, stop, acked) = (address.clone(), stop.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut n = lane;
            while !stop.load(Ordering::Relaxed) {
                let sent = client.get(format!("{address}/crash?n={n}")).send().await;
                match sent {
                    Ok(response) if response.status() == 302 => {
                        acked.lock().await.insert(n);
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
                n += 16;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    Arc::try_unwrap(acked).unwrap().into_inner()
}

/// The request numbers stored in `clicks`, asserting none is stored twice.
async fn stored_numbers(store: &Arc<dyn Store>, database_url: &str) -> HashSet<u64> {
    let urls: Vec<String> = if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url).await.unwrap();
        sqlx::query_scalar("SELECT visited_url FROM clicks")
            .fetch_all(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.unwrap();
        sqlx::query_scalar("SELECT visited_url FROM clicks")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    let numbers: Vec<u64> = urls
        .iter()
        .filter_map(|url| url.rsplit("n=").next()?.parse().ok())
        .collect();
    let unique: HashSet<u64> = numbers.iter().copied().collect();
    assert_eq!(unique.len(), numbers.len(), "a click was stored twice");
    let code = ShortCode::parse("crash").unwrap();
    let counted = store
        .find_short_url(&code)
        .await
        .unwrap()
        .unwrap()
        .visits
        .total;
    assert_eq!(
        counted as usize,
        numbers.len(),
        "counters equal the click rows"
    );
    unique
}

/// Restarts on the same database and waits until the outbox is empty.
async fn restart_and_drain(database_url: &str, store: &Arc<dyn Store>) -> Server {
    let server = Server::start(database_url, &["--workers", "2", "--lease", "2s"]).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.outbox_stats().await.unwrap().backlog > 0 {
        assert!(Instant::now() < deadline, "outbox did not drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

async fn load_then(server: &mut Server, signal: &str) -> HashSet<u64> {
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(drive(server.address.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(800)).await;
    server.signal(signal);
    server.wait();
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap()
}

async fn kill_9_in_commit_mode_loses_no_acknowledged_click(backend: Backend) {
    let (url, _dir, store) = prepare(backend).await;
    let mut server = Server::start(
        &url,
        &["--click-ack", "commit", "--workers", "1", "--lease", "2s"],
    )
    .await;
    let acked = load_then(&mut server, "-KILL").await;
    assert!(acked.len() > 50, "too little load: {}", acked.len());
    let _server = restart_and_drain(&url, &store).await;
    let stored = stored_numbers(&store, &url).await;
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged clicks lost", lost.len());
}

async fn kill_9_in_immediate_mode_loses_at_most_the_buffer(backend: Backend) {
    let (url, _dir, store) = prepare(backend).await;
    let buffer = BUFFER.to_string();
    let args = [
        "--click-ack",
        "immediate",
        "--click-buffer",
        &buffer,
        "--workers",
        "1",
        "--lease",
        "2s",
    ];
    let mut server = Server::start(&url, &args).await;
    let acked = load_then(&mut server, "-KILL").await;
    let dropped = server.dropped_clicks();
    let _server = restart_and_drain(&url, &store).await;
    let stored = stored_numbers(&store, &url).await;
    let lost = acked.difference(&stored).count();
    let bound = 2 * BUFFER + dropped;
    assert!(
        lost <= bound,
        "{lost} lost; bound: 2 × buffer + {dropped} logged drops"
    );
}

async fn sigterm_under_load_flushes_everything_and_burns_no_attempt(backend: Backend) {
    let (url, _dir, store) = prepare(backend).await;
    let mut server = Server::start(&url, &["--workers", "1", "--lease", "2s"]).await;
    let acked = load_then(&mut server, "-TERM").await;
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!(stats.dead_letters, 0);
    let claimable = store
        .claim_clicks(u32::MAX / 2, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        claimable.len() as i64,
        stats.backlog,
        "no row left under a lease"
    );
    assert!(
        claimable.iter().all(|event| event.claim.attempt == 1),
        "no attempt burned"
    );
    store
        .release_clicks(
            &claimable
                .iter()
                .map(|event| event.claim)
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let _server = restart_and_drain(&url, &store).await;
    let stored = stored_numbers(&store, &url).await;
    assert!(acked.is_subset(&stored), "SIGTERM lost acknowledged clicks");
}

backend_tests!(
    kill_9_in_commit_mode_loses_no_acknowledged_click,
    kill_9_in_immediate_mode_loses_at_most_the_buffer,
    sigterm_under_load_flushes_everything_and_burns_no_attempt,
);
