//! `kill -9` of the real binary while webhook deliveries are in flight, on both backends: after
//! a restart every stored click reaches the receiver, which de-duplicates by `webhook-id`
//! (at-least-once delivery, exactly-once effect).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use common::Backend;
use common::binary::Server;
use common::load::{Load, database_with_link};
use linkpulse::consumers::{Events, NewWebhook, WebhookSecret, check_url};

/// How often each `webhook-id` arrived.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

/// A receiver that takes 20 ms per delivery, so some are in flight when the process dies.
async fn receiver(seen: Seen) -> std::net::SocketAddr {
    async fn take(State(seen): State<Seen>, headers: HeaderMap) -> &'static str {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let id = headers["webhook-id"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        *seen.lock().unwrap().entry(id).or_default() += 1;
        "ok"
    }
    let app = Router::new().route("/hook", post(take)).with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

const FLAGS: [&str; 9] = [
    "--click-ack",
    "commit",
    "--workers",
    "1",
    "--lease",
    "2s",
    "--webhooks-allow-private",
    "--webhook-timeout",
    "1s",
];

async fn kill_9_during_deliveries_loses_none(backend: Backend) {
    let (url, _database, store) = database_with_link(backend, "crash").await;
    let seen = Seen::default();
    let target = receiver(Arc::clone(&seen)).await;
    store
        .add_webhook(&NewWebhook {
            name: "receiver".into(),
            url: check_url(&format!("http://{target}/hook")).unwrap(),
            events: Events::parse("new-visit").unwrap(),
            secret: WebhookSecret::generate(),
        })
        .await
        .unwrap();
    let mut server = Server::start(&url, &FLAGS).await;
    let load = Load::start(&server.address, "crash", 8);
    load.wait_for(200).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().len() < 20 {
        assert!(Instant::now() < deadline, "no deliveries before the kill");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.signal("-KILL");
    server.wait();
    load.stop().await;

    let _restarted = Server::start(&url, &FLAGS).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let figures = store.consumer_figures().await.unwrap();
        let stored = store.outbox_stats().await.unwrap();
        let drained = figures[0].backlog == 0 && stored.backlog == 0;
        let clicks = store.visits_overview(None).await.unwrap().non_orphan.total;
        let delivered = seen.lock().unwrap().len() as i64;
        if drained && delivered == clicks {
            assert!(clicks >= 200, "the load was stored: {clicks}");
            assert_eq!(figures[0].dead_now, 0, "nothing dead-lettered");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{delivered} distinct webhook-ids for {clicks} stored clicks after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let repeats: u32 = seen.lock().unwrap().values().map(|n| n - 1).sum();
    eprintln!("redelivered after the kill (de-duplicated by webhook-id): {repeats}");
}

backend_tests!(kill_9_during_deliveries_loses_none);
