//! Clicks stored as they arrive: in `immediate` mode a process that runs workers stores its
//! redirects' clicks without the outbox, and falls back to the outbox for a click it cannot
//! store (in `commit` mode the outbox carries every click).

use std::sync::Arc;
use std::time::{Duration, Instant};

use linkpulse::pipeline::direct::DirectStore;
use linkpulse::pipeline::enrich::{Enricher, GeoIp};
use linkpulse::pipeline::event::ClickEvent;
use linkpulse::pipeline::metrics::PipelineMetrics;
use linkpulse::pipeline::prepare::ClickPreparer;
use serde_json::json;

use super::isolation::{BAD_AGENT, refuse_bad_agent};
use super::{app, event, link_id, visits_total};
use crate::common::{Backend, TestApp, spawn_app_with};

/// Makes the database refuse every insert into `table`.
async fn refuse_inserts(app: &TestApp, backend: Backend, table: &str) {
    let message = format!("injected: {table} refused");
    let sql = crate::common::faults::refuse_inserts(backend, table, &message);
    app.execute_sql(&sql).await;
}

/// Waits until `sql` counts `n` (at most 20 s).
async fn wait_for_count(app: &TestApp, sql: &'static str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.count(sql).await != n {
        assert!(Instant::now() < deadline, "{sql} never reached {n}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn a_worker_process_stores_its_clicks_without_the_outbox(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "1"]).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "direct"}))
        .await;
    refuse_inserts(&app, backend, "click_outbox").await;
    for _ in 0..3 {
        assert_eq!(app.get("/direct").await.status(), 302);
    }
    wait_for_count(&app, "SELECT COUNT(*) FROM clicks", 3).await;
    assert_eq!(visits_total(&app, "direct").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 0);
}

async fn a_click_the_writer_cannot_store_goes_through_the_outbox(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--workers",
            "1",
            "--retry-attempts",
            "2",
            "--retry-base",
            "10ms",
        ],
    )
    .await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "fallback"}))
        .await;
    refuse_inserts(&app, backend, "click_rows").await;
    assert_eq!(app.get("/fallback").await.status(), 302);
    // The writer could not store it, so it was queued; the worker retried it and gave up.
    wait_for_count(&app, "SELECT COUNT(*) FROM dead_letters", 1).await;
    let letters = app.store.list_dead_letters(10, 0).await.unwrap();
    assert_eq!(letters[0].reason, "gave up after 2 attempts");
    assert!(
        letters[0]
            .last_error
            .contains("injected: click_rows refused"),
        "{}",
        letters[0].last_error
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 0);
}

async fn the_writer_hands_exactly_the_refused_clicks_to_the_outbox(backend: Backend) {
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "hand"}))
        .await;
    refuse_bad_agent(&app, backend).await;
    let link = link_id(&app, "hand").await;
    let mut clicks: Vec<ClickEvent> = (0..8).map(|_| event(Some(link))).collect();
    for bad in [2, 5] {
        clicks[bad].user_agent = Some(BAD_AGENT.into());
    }
    let enricher = Arc::new(Enricher::new(Arc::new(GeoIp::open(None)), true));
    let preparer = Arc::new(ClickPreparer::new(Arc::clone(&app.store), enricher));
    let direct = DirectStore::new(
        Arc::clone(&app.store),
        preparer,
        PipelineMetrics::unscraped(),
    );
    let events: Vec<&ClickEvent> = clicks.iter().collect();
    assert_eq!(
        direct.store(&events).await,
        [2, 5],
        "the positions of the refused clicks"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 6);
    assert_eq!(visits_total(&app, "hand").await, 6);
}

crate::backend_tests!(
    the_writer_hands_exactly_the_refused_clicks_to_the_outbox,
    a_worker_process_stores_its_clicks_without_the_outbox,
    a_click_the_writer_cannot_store_goes_through_the_outbox,
);
