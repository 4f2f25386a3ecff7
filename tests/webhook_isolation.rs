//! One slow webhook endpoint never delays another, nor the redirects, on both backends: each
//! endpoint's queue is delivered by its own task.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use common::{Backend, spawn_app_with};
use serde_json::json;

/// A receiver counting deliveries, each answered 200 after `delay`.
async fn receiver(delay: Duration) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    let app = Router::new().route(
        "/hook",
        post(move || {
            let counted = Arc::clone(&counted);
            async move {
                tokio::time::sleep(delay).await;
                counted.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), count)
}

async fn a_slow_endpoint_delays_only_its_own_queue(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--workers",
            "1",
            "--click-ack",
            "commit",
            "--webhooks-allow-private",
        ],
    )
    .await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "both"}))
        .await;
    let (slow_url, slow) = receiver(Duration::from_secs(5)).await;
    let (fast_url, fast) = receiver(Duration::ZERO).await;
    for (name, url) in [("slow", slow_url), ("fast", fast_url)] {
        let added = app
            .admin(reqwest::Method::POST, "/webhooks")
            .json(&json!({"name": name, "url": url, "events": ["new-visit"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 201);
    }
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(app.get("/both").await.status(), 302);
    }
    let redirects_took = started.elapsed();
    while fast.load(Ordering::SeqCst) < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the fast endpoint waited for the slow one: {} of 20 after {:?}",
            fast.load(Ordering::SeqCst),
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        slow.load(Ordering::SeqCst),
        0,
        "the slow endpoint is still answering"
    );
    assert!(
        redirects_took < Duration::from_secs(2),
        "redirects took {redirects_took:?}"
    );
}

backend_tests!(a_slow_endpoint_delays_only_its_own_queue);
