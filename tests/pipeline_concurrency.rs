//! Several worker pools draining one outbox at once: every event becomes exactly one click.

mod common;

use std::sync::Arc;

use chrono::Utc;
use common::{Backend, spawn_app_with, test_worker, test_worker_settings};
use linkpulse::clicks::OutboxEntry;
use linkpulse::clicks::VisitKind;
use linkpulse::links::ShortCode;
use linkpulse::pipeline::event::ClickEvent;
use serde_json::json;
use uuid::Uuid;

const EVENTS: usize = 20_000;
const POOLS: usize = 4;
const WORKERS_PER_POOL: usize = 2;

async fn four_pools_drain_20k_events_exactly_once(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "busy"}))
        .await;
    let code = ShortCode::parse("busy").unwrap();
    let link = app
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .unwrap()
        .unwrap()
        .id;
    let entries: Vec<OutboxEntry> = (0..EVENTS)
        .map(|i| {
            let event = ClickEvent {
                message_id: Uuid::now_v7(),
                kind: VisitKind::ValidShortUrl,
                link_id: Some(link),
                occurred_at: Utc::now(),
                client_ip: Some(format!("203.0.113.{}", i % 250).parse().unwrap()),
                user_agent: Some(
                    if i % 10 == 0 {
                        "curl/8.5.0"
                    } else {
                        "Mozilla/5.0"
                    }
                    .into(),
                ),
                referrer: None,
                visited_url: format!("http://lp.test/busy?i={i}"),
                redirect_url: Some("https://example.com/".into()),
                destination: None,
                traceparent: None,
            };
            event.to_outbox_entry(Utc::now())
        })
        .collect();
    for chunk in entries.chunks(2_000) {
        app.store.enqueue_clicks(chunk).await.unwrap();
    }

    let mut tasks = Vec::new();
    for _ in 0..POOLS {
        // Each pool has its own connection pool, like a separate app instance.
        let store = linkpulse::store::connect(&app.database_url).await.unwrap();
        for _ in 0..WORKERS_PER_POOL {
            let worker = test_worker(Arc::clone(&store), test_worker_settings());
            tasks.push(tokio::spawn(async move {
                let mut processed = 0;
                loop {
                    let claimed = worker.try_execute_batch().await.unwrap();
                    if claimed == 0 {
                        break processed;
                    }
                    processed += claimed;
                }
            }));
        }
    }
    let mut claimed_total = 0;
    for task in tasks {
        claimed_total += task.await.unwrap();
    }
    assert_eq!(claimed_total, EVENTS, "every event claimed exactly once");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clicks").await,
        EVENTS as i64
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT message_id) FROM clicks")
            .await,
        EVENTS as i64
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 0);
    let visits = app
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .unwrap()
        .unwrap()
        .visits;
    assert_eq!(visits.total, EVENTS as i64);
    assert_eq!(visits.bots, (EVENTS / 10) as i64);
}

backend_tests!(four_pools_drain_20k_events_exactly_once);
