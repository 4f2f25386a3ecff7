//! The click pipeline end to end: idempotency, poison messages, retries, leases, concurrency,
//! dead-letter replay and metrics, on both backends; `direct` covers clicks stored
//! without the outbox, `fencing` stale claims, `isolation` a bad row among good ones.

mod common;
#[path = "pipeline/direct.rs"]
mod direct;
#[path = "pipeline/fencing.rs"]
mod fencing;
#[path = "pipeline/isolation.rs"]
mod isolation;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Backend, TestApp, spawn_app_with, test_worker, test_worker_settings};
use linkpulse::clicks::VisitKind;
use linkpulse::clicks::{DeadLetterSelection, OutboxEntry};
use linkpulse::links::ShortCode;
use linkpulse::pipeline::event::ClickEvent;
use serde_json::json;
use uuid::Uuid;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await
}

async fn link_id(app: &TestApp, code: &str) -> i64 {
    let code = ShortCode::parse(code).unwrap();
    app.store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .unwrap()
        .unwrap()
        .id
}

fn event(link_id: Option<i64>) -> ClickEvent {
    ClickEvent {
        message_id: Uuid::now_v7(),
        kind: if link_id.is_some() {
            VisitKind::ValidShortUrl
        } else {
            VisitKind::Regular404
        },
        link_id,
        occurred_at: Utc::now(),
        client_ip: Some("198.51.100.7".parse().unwrap()),
        user_agent: Some(CHROME.into()),
        referrer: None,
        visited_url: "http://lp.test/x".into(),
        redirect_url: None,
        destination: None,
        traceparent: None,
    }
}

fn entry(event: &ClickEvent) -> OutboxEntry {
    event.to_outbox_entry(Utc::now())
}

async fn visits_total(app: &TestApp, code: &str) -> i64 {
    let code = ShortCode::parse(code).unwrap();
    app.store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .unwrap()
        .unwrap()
        .visits
        .total
}

async fn redirect_is_recorded_once_and_enriched(backend: Backend) {
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/a", "customSlug": "rec"}))
        .await;
    let response = app
        .client
        .get(format!("{}/rec?utm=1", app.address))
        .header("User-Agent", CHROME)
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 1);
    app.drain().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clicks WHERE traceparent LIKE '00-0af7651916cd43dd8448eb211c80319c-%' AND browser = 'Chrome' AND ip = '127.0.0.0'")
            .await,
        1,
        "trace id carried, user agent parsed, IP anonymized"
    );
    assert_eq!(visits_total(&app, "rec").await, 1);
}

async fn same_message_twice_counts_once(backend: Backend) {
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "dup"}))
        .await;
    let click = event(Some(link_id(&app, "dup").await));
    app.store.enqueue_clicks(&[entry(&click)]).await.unwrap();
    app.drain().await;
    app.store.enqueue_clicks(&[entry(&click)]).await.unwrap();
    app.drain().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 0);
    assert_eq!(visits_total(&app, "dup").await, 1);
}

async fn poison_message_is_dead_lettered_on_first_attempt(backend: Backend) {
    let app = app(backend).await;
    let bad = OutboxEntry {
        message_id: Uuid::now_v7(),
        payload: "{this is not an event".into(),
        enqueued_at: Utc::now(),
    };
    app.store.enqueue_clicks(&[bad]).await.unwrap();
    app.drain().await;
    let letters = app.store.list_dead_letters(10, 0).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].attempts, 1);
    assert_eq!(letters[0].reason, "poison message");
    assert!(letters[0].last_error.contains("undecodable payload"));
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 0);
}

async fn click_for_deleted_link_is_dead_lettered(backend: Backend) {
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "gone"}))
        .await;
    let click = event(Some(link_id(&app, "gone").await));
    app.store
        .delete_short_url(&linkpulse::links::LinkAddress::default_domain(
            ShortCode::parse("gone").unwrap(),
        ))
        .await
        .unwrap();
    app.store.enqueue_clicks(&[entry(&click)]).await.unwrap();
    app.drain().await;
    let letters = app.store.list_dead_letters(10, 0).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].message_id, click.message_id);
    assert!(letters[0].last_error.contains("link no longer exists"));
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 0);
}

async fn inject_insert_failure(app: &TestApp, backend: Backend) {
    let sql = common::faults::refuse_inserts(backend, "click_rows", "injected failure");
    app.execute_sql(&sql).await;
}

async fn retryable_failure_is_retried_with_growing_delays_then_dead_lettered(backend: Backend) {
    let app = app(backend).await;
    inject_insert_failure(&app, backend).await;
    let settings = test_worker_settings();
    let backoff = settings.backoff;
    let worker = test_worker(Arc::clone(&app.store), settings);
    app.store
        .enqueue_clicks(&[entry(&event(None))])
        .await
        .unwrap();

    // Each attempt as (started, finished): the retry time is set somewhere inside an attempt
    // and the next claim somewhere inside the next one, so only "next finished − this started"
    // is sure to cover the whole delay (the 1 ms allows for instants stored in milliseconds).
    let mut attempts = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.store.list_dead_letters(1, 0).await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "never dead-lettered");
        let started = Instant::now();
        if worker.try_execute_batch().await.unwrap() > 0 {
            attempts.push((started, Instant::now()));
        } else {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    assert_eq!(attempts.len(), backoff.max_attempts as usize);
    for (n, pair) in attempts.windows(2).enumerate() {
        let gap = pair[1].1 - pair[0].0;
        let (lower, _) = backoff.bounds(n as u32 + 1);
        assert!(
            gap + Duration::from_millis(1) >= lower,
            "retry {n}: waited {gap:?}, less than {lower:?}"
        );
    }
    let letters = app.store.list_dead_letters(10, 0).await.unwrap();
    assert_eq!(letters[0].attempts, backoff.max_attempts as i32);
    assert_eq!(
        letters[0].reason,
        format!("gave up after {} attempts", backoff.max_attempts)
    );
    assert!(
        letters[0].last_error.contains("injected failure"),
        "{}",
        letters[0].last_error
    );
}

async fn replayed_dead_letter_is_counted_at_most_once(backend: Backend) {
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "replay"}))
        .await;
    let click = event(Some(link_id(&app, "replay").await));
    app.store.enqueue_clicks(&[entry(&click)]).await.unwrap();
    app.drain().await;
    assert_eq!(visits_total(&app, "replay").await, 1);
    // The same message dead-lettered after it was already stored (e.g. a retry that lost its ack).
    app.store.enqueue_clicks(&[entry(&click)]).await.unwrap();
    let claim = app
        .store
        .claim_clicks(1, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        app.store
            .dead_letter_click(claim[0].claim, "test", "test")
            .await
            .unwrap()
    );
    assert_eq!(
        app.store
            .replay_dead_letters(&DeadLetterSelection::All)
            .await
            .unwrap(),
        1
    );
    app.drain().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 1);
    assert_eq!(visits_total(&app, "replay").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 0);
}

async fn metrics_match_the_database_after_a_scripted_run(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "2", "--click-ack", "commit"]).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "met"}))
        .await;
    for _ in 0..25 {
        assert_eq!(app.get("/met").await.status(), 302);
    }
    for _ in 0..5 {
        assert_eq!(app.get("/no-such-code").await.status(), 404);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count("SELECT COUNT(*) FROM clicks").await < 30 {
        assert!(Instant::now() < deadline, "workers did not drain");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    let metric = |name: &str| -> f64 {
        text.lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {text}"))
    };
    assert_eq!(metric("linkpulse_events_enqueued_total"), 30.0);
    assert_eq!(
        metric("linkpulse_events_processed_total") as i64,
        app.count("SELECT COUNT(*) FROM clicks").await
    );
    assert_eq!(
        metric("linkpulse_outbox_backlog") as i64,
        app.count("SELECT COUNT(*) FROM click_outbox").await
    );
    assert_eq!(
        metric("linkpulse_dead_letters") as i64,
        app.count("SELECT COUNT(*) FROM dead_letters").await
    );
    assert_eq!(metric("linkpulse_events_dropped_total"), 0.0);
    let stored = metric("linkpulse_click_latency_seconds_count");
    assert_eq!(
        stored as i64,
        app.count("SELECT COUNT(*) FROM clicks").await
    );
    let seconds = metric("linkpulse_click_latency_seconds_sum");
    assert!(
        seconds > 0.0 && seconds < stored * 10.0,
        "click latencies are seconds from request to stored click: {seconds} s for {stored}"
    );
    assert_eq!(metric("linkpulse_redirect_latency_seconds_count"), 25.0);
}

async fn a_completion_failing_during_shutdown_releases_the_claim_without_an_attempt(
    backend: Backend,
) {
    let app = app(backend).await;
    inject_insert_failure(&app, backend).await;
    app.store
        .enqueue_clicks(&[entry(&event(None))])
        .await
        .unwrap();
    let worker = test_worker(Arc::clone(&app.store), test_worker_settings());
    let stopping = tokio_util::sync::CancellationToken::new();
    stopping.cancel();
    assert_eq!(worker.execute_batch(&stopping).await.unwrap(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM click_outbox WHERE attempts = 0 AND lease_until IS NULL")
            .await,
        1,
        "released with its attempt given back"
    );
    let again = app
        .store
        .claim_clicks(10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].claim.attempt, 1,
        "the next delivery is the first attempt"
    );
}

/// More rows than one SQLite statement carries (1,310 clicks of 25 columns), redelivered in part.
async fn a_batch_larger_than_one_statement_completes_every_click_once(backend: Backend) {
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/big", "customSlug": "big"}))
        .await;
    let link = link_id(&app, "big").await;
    let entries: Vec<OutboxEntry> = (0..3_000).map(|_| entry(&event(Some(link)))).collect();
    app.store.enqueue_clicks(&entries).await.unwrap();
    let mut settings = test_worker_settings();
    settings.batch_size = 4_096;
    let worker = test_worker(Arc::clone(&app.store), settings);
    assert_eq!(worker.try_execute_batch().await.unwrap(), 3_000);
    app.store.enqueue_clicks(&entries[..1_500]).await.unwrap();
    assert_eq!(worker.try_execute_batch().await.unwrap(), 1_500);
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 3_000);
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 0);
    assert_eq!(
        app.count("SELECT CAST(SUM(total) AS BIGINT) FROM link_hourly")
            .await,
        3_000
    );
    assert_eq!(visits_total(&app, "big").await, 3_000);
}

backend_tests!(
    a_batch_larger_than_one_statement_completes_every_click_once,
    a_completion_failing_during_shutdown_releases_the_claim_without_an_attempt,
    redirect_is_recorded_once_and_enriched,
    same_message_twice_counts_once,
    poison_message_is_dead_lettered_on_first_attempt,
    click_for_deleted_link_is_dead_lettered,
    retryable_failure_is_retried_with_growing_delays_then_dead_lettered,
    replayed_dead_letter_is_counted_at_most_once,
    metrics_match_the_database_after_a_scripted_run,
);
