//! Webhooks against a real HTTP receiver in the test, on both backends: deliveries signed as
//! Standard Webhooks verifies them (checked with the reference `standardwebhooks` crate), one
//! per click and endpoint however often it is retried, dead letters replayed, 410 disabling the
//! endpoint, and secrets rotated with both signatures during the overlap.

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{Backend, TestApp, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

/// The trace the test's redirect carries, which its delivery must continue.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// One request the receiver got, with the status it answered.
#[derive(Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
}

/// An endpoint that answers the scripted statuses in turn, then 200, and keeps every request.
#[derive(Clone, Default)]
struct Receiver {
    script: Arc<Mutex<VecDeque<u16>>>,
    always: Arc<Mutex<Option<u16>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(&self) -> SocketAddr {
        async fn take(
            State(receiver): State<Receiver>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            let scripted = receiver.script.lock().unwrap().pop_front();
            let always = *receiver.always.lock().unwrap();
            let answered = scripted.or(always).unwrap_or(200);
            receiver.received.lock().unwrap().push(Received {
                headers,
                body,
                answered,
            });
            StatusCode::from_u16(answered).unwrap()
        }
        let app = Router::new()
            .route("/hook", post(take))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        address
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Polls `done` until it holds, for at most 20 s (deliveries are real HTTP on a real clock).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "still not {what} after 20 s");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A server with a click worker and fast webhook retries, allowed to reach the local receiver.
async fn app(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        &[
            "--workers",
            "1",
            "--click-ack",
            "commit",
            "--webhooks-allow-private",
            "--webhook-retry-base",
            "50ms",
            "--webhook-attempts",
            "3",
        ],
    )
    .await
}

/// Registers the receiver as `name` for `events`; returns its secret.
async fn register(app: &TestApp, name: &str, target: SocketAddr, events: &[&str]) -> String {
    let response = app
        .admin(Method::POST, "/webhooks")
        .json(&json!({"name": name, "url": format!("http://{target}/hook"), "events": events}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], name);
    body["secret"]
        .as_str()
        .expect("the secret, shown once")
        .to_owned()
}

/// A server with the link `code` and `receiver` registered as the webhook `name` for
/// `events`; with the webhook's secret.
async fn hooked(
    backend: Backend,
    receiver: &Receiver,
    code: &str,
    name: &str,
    events: &[&str],
) -> (TestApp, String) {
    let target = receiver.start().await;
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/a", "customSlug": code}))
        .await;
    let secret = register(&app, name, target, events).await;
    (app, secret)
}

async fn listed(app: &TestApp) -> Value {
    app.admin_json("/webhooks").await
}

fn verifies(secret: &str, delivery: &Received) -> bool {
    standardwebhooks::Webhook::new(secret)
        .expect("a whsec_ secret")
        .verify(&delivery.body, &delivery.headers)
        .is_ok()
}

fn id_of(delivery: &Received) -> String {
    delivery.headers["webhook-id"].to_str().unwrap().to_owned()
}

async fn deliveries_are_signed_shaped_as_shlink_and_sent_once(backend: Backend) {
    let receiver = Receiver::default();
    let (app, secret) = hooked(
        backend,
        &receiver,
        "hooked",
        "crm",
        &["new-visit", "new-orphan-visit"],
    )
    .await;
    let traced = app
        .client
        .get(format!("{}/hooked", app.address))
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(traced.status(), 302);
    assert_eq!(app.get("/no-such-link").await.status(), 404);
    until("delivered twice", || receiver.received().len() >= 2).await;

    let received = receiver.received();
    assert!(
        received.iter().all(|d| verifies(&secret, d)),
        "every signature verifies"
    );
    let tampered = Received {
        body: Bytes::from(received[0].body.iter().rev().copied().collect::<Vec<u8>>()),
        ..received[0].clone()
    };
    assert!(
        !verifies(&secret, &tampered),
        "a changed body does not verify"
    );
    let bodies: Vec<Value> = received
        .iter()
        .map(|d| serde_json::from_slice(&d.body).unwrap())
        .collect();
    let visit = bodies
        .iter()
        .find(|b| b.get("shortUrl").is_some())
        .expect("a new-visit");
    assert_eq!(visit["shortUrl"]["shortCode"], "hooked");
    assert_eq!(
        visit["visit"]["visitedUrl"],
        format!("{}/hooked", app.address)
    );
    let traced = received
        .iter()
        .find(|d| d.body.windows(8).any(|w| w == b"shortUrl"))
        .expect("the new-visit delivery");
    let traceparent = traced.headers["traceparent"].to_str().unwrap();
    assert!(
        traceparent.contains(TRACE_ID),
        "the redirect's trace goes on: {traceparent}"
    );
    let orphan = bodies
        .iter()
        .find(|b| b.get("shortUrl").is_none())
        .expect("a new-orphan-visit");
    assert_eq!(orphan["visit"]["type"], "invalid_short_url");
    assert_ne!(id_of(&received[0]), id_of(&received[1]));
    assert_eq!(received[0].headers["content-type"], "application/json");

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 2, "nothing is sent twice");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("linkpulse_consumer_delivered_total{consumer=\"crm\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("linkpulse_consumer_backlog{consumer=\"crm\"} 0"));
}

async fn a_failing_receiver_gets_the_event_once_after_its_retries(backend: Backend) {
    let receiver = Receiver::default();
    receiver.script.lock().unwrap().extend([500, 503]);
    let (app, secret) = hooked(backend, &receiver, "flaky", "flaky", &["new-visit"]).await;
    assert_eq!(app.get("/flaky").await.status(), 302);
    until("accepted", || {
        receiver.received().iter().any(|d| d.answered == 200)
    })
    .await;
    let received = receiver.received();
    assert_eq!(received.len(), 3, "two failures, then the success");
    assert!(
        received.iter().all(|d| id_of(d) == id_of(&received[0])),
        "one webhook-id"
    );
    assert!(received.iter().all(|d| verifies(&secret, d)));
    let queue = &listed(&app).await["webhooks"][0]["queue"];
    assert_eq!(queue["delivered"], 1);
    assert_eq!(queue["retried"], 2);
    assert_eq!(queue["deadLetters"], 0);
}

async fn an_endpoint_that_always_fails_is_dead_lettered_and_replayed(backend: Backend) {
    let receiver = Receiver::default();
    *receiver.always.lock().unwrap() = Some(500);
    let (app, _) = hooked(backend, &receiver, "down", "down", &["new-visit"]).await;
    assert_eq!(app.get("/down").await.status(), 302);
    until("tried three times", || receiver.received().len() >= 3).await;
    let mut dead = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(20);
    while dead["deadLetters"].as_array().is_none_or(Vec::is_empty) {
        assert!(Instant::now() < deadline, "never dead-lettered");
        dead = app.admin_json("/webhooks/down/dlq").await;
    }
    let letter = &dead["deadLetters"][0];
    assert_eq!(letter["attempts"], 3);
    assert!(
        letter["reason"].as_str().unwrap().contains("500"),
        "{letter}"
    );
    assert_eq!(
        letter["messageId"].as_str().unwrap(),
        id_of(&receiver.received()[0])
    );

    *receiver.always.lock().unwrap() = None;
    let replayed = app
        .admin(Method::POST, "/webhooks/down/replay")
        .json(&json!({"all": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.json::<Value>().await.unwrap()["replayed"], 1);
    until("delivered after the replay", || {
        receiver.received().iter().any(|d| d.answered == 200)
    })
    .await;
    let received = receiver.received();
    assert_eq!(received.len(), 4);
    assert_eq!(
        id_of(&received[3]),
        id_of(&received[0]),
        "the same webhook-id"
    );
}

async fn a_410_disables_the_endpoint(backend: Backend) {
    let receiver = Receiver::default();
    receiver.script.lock().unwrap().push_back(410);
    let (app, _) = hooked(backend, &receiver, "gone", "gone", &["new-visit"]).await;
    assert_eq!(app.get("/gone").await.status(), 302);
    until("told it is gone", || !receiver.received().is_empty()).await;
    let mut hook = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(20);
    while hook["disabled"].is_null() {
        assert!(Instant::now() < deadline, "never disabled");
        hook = listed(&app).await["webhooks"][0].clone();
    }
    assert!(
        hook["disabled"]["reason"].as_str().unwrap().contains("410"),
        "{hook}"
    );
    assert_eq!(
        app.get("/gone").await.status(),
        302,
        "redirects are unaffected"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "a disabled endpoint gets nothing more"
    );
}

async fn a_rotated_secret_signs_beside_the_old_one(backend: Backend) {
    let receiver = Receiver::default();
    let (app, old) = hooked(backend, &receiver, "rot", "rot", &["new-visit"]).await;
    let rotated: Value = app
        .admin(Method::POST, "/webhooks/rot/rotate")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(app.get("/rot").await.status(), 302);
    until("delivered", || !receiver.received().is_empty()).await;
    let delivery = &receiver.received()[0];
    let signatures = delivery.headers["webhook-signature"].to_str().unwrap();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    assert!(verifies(&new, delivery) && verifies(&old, delivery));
    let hooks = listed(&app).await;
    assert!(
        hooks.to_string().find("whsec_").is_none(),
        "secrets are never listed"
    );
}

async fn a_link_is_announced_when_created_edited_and_deleted(backend: Backend) {
    let receiver = Receiver::default();
    let target = receiver.start().await;
    let app = app(backend).await;
    let events = ["new-short-url", "short-url-edited", "short-url-deleted"];
    let secret = register(&app, "links", target, &events).await;
    app.create_link(json!({"longUrl": "https://example.com/new", "customSlug": "fresh"}))
        .await;
    assert_eq!(
        app.get("/fresh").await.status(),
        302,
        "a visit, which it does not want"
    );
    until("announced", || receiver.received().len() == 1).await;
    let edited = app
        .api(Method::PATCH, "/short-urls/fresh")
        .json(&json!({"longUrl": "https://example.com/edited"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    until("edit announced", || receiver.received().len() == 2).await;
    let deleted = app
        .api(Method::DELETE, "/short-urls/fresh")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    until("deletion announced", || receiver.received().len() == 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 3, "the link's three events only");
    assert!(received.iter().all(|delivery| verifies(&secret, delivery)));
    let kinds: Vec<&str> = received
        .iter()
        .map(|delivery| delivery.headers["linkpulse-event"].to_str().unwrap())
        .collect();
    assert_eq!(kinds, events);
    let ids: std::collections::HashSet<&str> = received
        .iter()
        .map(|delivery| delivery.headers["webhook-id"].to_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "one message id per change");
    let bodies: Vec<Value> = received
        .iter()
        .map(|delivery| serde_json::from_slice(&delivery.body).unwrap())
        .collect();
    assert_eq!(bodies[0]["shortUrl"]["longUrl"], "https://example.com/new");
    assert!(bodies[0].get("visit").is_none(), "{}", bodies[0]);
    assert_eq!(
        bodies[1]["shortUrl"]["longUrl"],
        "https://example.com/edited"
    );
    assert_eq!(
        bodies[2],
        json!({"shortUrl": {
            "shortCode": "fresh",
            "domain": null,
            "shortUrl": bodies[0]["shortUrl"]["shortUrl"],
        }})
    );
}

backend_tests!(
    deliveries_are_signed_shaped_as_shlink_and_sent_once,
    a_failing_receiver_gets_the_event_once_after_its_retries,
    an_endpoint_that_always_fails_is_dead_lettered_and_replayed,
    a_410_disables_the_endpoint,
    a_rotated_secret_signs_beside_the_old_one,
    a_link_is_announced_when_created_edited_and_deleted,
);
