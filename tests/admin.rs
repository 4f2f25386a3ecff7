//! Our operational routes end to end on both backends: `/admin/dlq` (list, show, replay, purge),
//! `/admin/pipeline`, their API-key guard and problem+json errors, and `/metrics`.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{Backend, TestApp, assert_problem, spawn_app_with};
use linkpulse::clicks::OutboxEntry;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

/// A payload no worker can decode: dead-lettered on its first attempt.
const POISON: &str = "{this is not an event";

/// Every metric `PipelineMetrics` registers, with its Prometheus type.
const METRICS: &[(&str, &str)] = &[
    ("linkpulse_events_enqueued_total", "counter"),
    ("linkpulse_events_processed_total", "counter"),
    ("linkpulse_events_retried_total", "counter"),
    ("linkpulse_events_dead_lettered_total", "counter"),
    ("linkpulse_events_dropped_total", "counter"),
    ("linkpulse_events_buffered", "gauge"),
    ("linkpulse_outbox_backlog", "gauge"),
    ("linkpulse_outbox_oldest_age_seconds", "gauge"),
    ("linkpulse_dead_letters", "gauge"),
    ("linkpulse_click_latency_seconds", "histogram"),
    ("linkpulse_redirect_latency_seconds", "histogram"),
    ("linkpulse_writer_batch_size", "histogram"),
];

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await
}

/// Puts an undecodable event enqueued at `enqueued_at` into the outbox; returns its message id.
async fn enqueue_poison(app: &TestApp, enqueued_at: DateTime<Utc>) -> Uuid {
    let message_id = Uuid::now_v7();
    let entry = OutboxEntry {
        message_id,
        payload: POISON.into(),
        enqueued_at,
    };
    app.store.enqueue_clicks(&[entry]).await.expect("enqueue");
    message_id
}

/// A poison message turned into a dead letter; returns its message id and dead-letter id.
async fn dead_letter(app: &TestApp) -> (Uuid, i64) {
    let message_id = enqueue_poison(app, Utc::now()).await;
    app.drain().await;
    let letters = app.store.list_dead_letters(1, 0).await.expect("list");
    assert_eq!(letters[0].message_id, message_id, "newest first");
    (message_id, letters[0].id)
}

/// `GET /admin{path}` with the key; asserts 200 and returns the body.
async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.admin(Method::GET, path).send().await.expect("request");
    assert_eq!(response.status(), 200, "GET /admin{path}");
    response.json().await.expect("JSON body")
}

/// `POST /admin{path}` with the key and a raw body.
async fn post(app: &TestApp, path: &str, body: &str) -> Response {
    app.admin(Method::POST, path)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request")
}

/// `(outbox rows, dead letters)` straight from the database.
async fn queue_sizes(app: &TestApp) -> (i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM click_outbox").await,
        app.count("SELECT COUNT(*) FROM dead_letters").await,
    )
}

async fn admin_routes_refuse_missing_or_wrong_keys(backend: Backend) {
    let app = app(backend).await;
    let (_, id) = dead_letter(&app).await;
    let routes = [
        (Method::GET, "/admin/pipeline".to_owned(), None),
        (Method::GET, "/admin/dlq".to_owned(), None),
        (Method::GET, format!("/admin/dlq/{id}"), None),
        (
            Method::POST,
            "/admin/dlq/replay".to_owned(),
            Some(json!({"all": true})),
        ),
        (
            Method::POST,
            "/admin/dlq/purge".to_owned(),
            Some(json!({"all": true})),
        ),
    ];
    for key in [None, Some("not-a-real-key")] {
        for (method, path, body) in &routes {
            let mut request = app
                .client
                .request(method.clone(), format!("{}{path}", app.address));
            if let Some(key) = key {
                request = request.header("X-Api-Key", key);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.expect("request");
            assert_problem(response, 401, common::refusal_for(key).0).await;
        }
    }
    assert_eq!(
        queue_sizes(&app).await,
        (0, 1),
        "refused calls changed nothing"
    );
}

async fn dead_letters_are_listed_paged_and_shown(backend: Backend) {
    let app = app(backend).await;
    let (message_id, id) = dead_letter(&app).await;

    let list = get_json(&app, "/dlq").await;
    let letters = list["deadLetters"].as_array().expect("list");
    assert_eq!(letters.len(), 1, "{list}");
    let letter = &letters[0];
    assert_eq!(letter["id"], id);
    assert_eq!(letter["messageId"], message_id.to_string());
    assert_eq!(letter["reason"], "poison message");
    assert_eq!(letter["attempts"], 1);
    assert_eq!(
        letter["payload"], POISON,
        "a non-JSON payload is shown as text"
    );
    let last_error = letter["lastError"].as_str().expect("lastError");
    assert!(last_error.contains("undecodable payload"), "{last_error}");
    for field in ["enqueuedAt", "failedAt"] {
        let at = letter[field].as_str().expect(field);
        let at = DateTime::parse_from_rfc3339(at).expect("RFC 3339");
        assert!(
            (Utc::now() - at.to_utc()).num_seconds().abs() < 60,
            "{field}: {at}"
        );
    }

    assert_eq!(&get_json(&app, &format!("/dlq/{id}")).await, letter);

    let missing = app
        .admin(Method::GET, &format!("/dlq/{}", id + 1000))
        .send()
        .await
        .expect("request");
    let problem = assert_problem(missing, 404, "not-found").await;
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains(&(id + 1000).to_string()), "{detail}");

    let not_a_number = app
        .admin(Method::GET, "/dlq/abc")
        .send()
        .await
        .expect("request");
    assert_problem(not_a_number, 400, "invalid-data").await;

    let (_, second) = dead_letter(&app).await;
    let (_, third) = dead_letter(&app).await;
    let page = get_json(&app, "/dlq?limit=2").await;
    let ids: Vec<&Value> = page["deadLetters"]
        .as_array()
        .expect("list")
        .iter()
        .map(|l| &l["id"])
        .collect();
    assert_eq!(ids, [third, second], "newest first");
    let rest = get_json(&app, "/dlq?limit=2&offset=2").await;
    assert_eq!(rest["deadLetters"].as_array().expect("list").len(), 1);
    assert_eq!(rest["deadLetters"][0]["id"], id);
    let bad_limit = app
        .admin(Method::GET, "/dlq?limit=lots")
        .send()
        .await
        .expect("request");
    assert_problem(bad_limit, 400, "invalid-data").await;
}

async fn replay_moves_a_dead_letter_back_into_the_outbox(backend: Backend) {
    let app = app(backend).await;
    let (message_id, id) = dead_letter(&app).await;
    let (_, other) = dead_letter(&app).await;
    assert_eq!(queue_sizes(&app).await, (0, 2));

    let response = post(&app, "/dlq/replay", &json!({"ids": [id]}).to_string()).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body, json!({"replayed": 1}));
    assert_eq!(queue_sizes(&app).await, (1, 1), "only the named one moved");
    let remaining = app.store.list_dead_letters(10, 0).await.expect("list");
    assert_eq!(remaining[0].id, other);

    // Replayed with its original message id: still poison, it comes back as the same message.
    app.drain().await;
    let letters = app.store.list_dead_letters(10, 0).await.expect("list");
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[0].message_id, message_id);
    assert_eq!(letters[0].attempts, 1, "attempts start over after a replay");

    let unknown = post(
        &app,
        "/dlq/replay",
        &json!({"ids": [id + 1000]}).to_string(),
    )
    .await;
    assert_eq!(unknown.status(), 200);
    let body: Value = unknown.json().await.expect("JSON body");
    assert_eq!(body, json!({"replayed": 0}));

    let all = post(&app, "/dlq/replay", &json!({"all": true}).to_string()).await;
    let body: Value = all.json().await.expect("JSON body");
    assert_eq!(body, json!({"replayed": 2}));
    assert_eq!(queue_sizes(&app).await, (2, 0));
}

async fn bad_selections_are_refused_and_change_nothing(backend: Backend) {
    let app = app(backend).await;
    let (_, id) = dead_letter(&app).await;
    let bodies = [
        "{}".to_owned(),
        json!({"ids": [id], "all": true}).to_string(),
        json!({"ids": []}).to_string(),
        json!({"all": false}).to_string(),
        json!({"ids": "all"}).to_string(),
        json!({"ids": [id], "all": "yes"}).to_string(),
        "{\"ids\": [".to_owned(),
    ];
    for path in ["/dlq/replay", "/dlq/purge"] {
        for body in &bodies {
            let response = post(&app, path, body).await;
            let problem = assert_problem(response, 400, "invalid-data").await;
            assert!(
                problem["invalidElements"].is_array(),
                "{path} {body}: {problem}"
            );
        }
    }
    assert_eq!(queue_sizes(&app).await, (0, 1));
}

async fn purge_deletes_selected_then_all(backend: Backend) {
    let app = app(backend).await;
    let (_, first) = dead_letter(&app).await;
    let (_, second) = dead_letter(&app).await;
    let (_, third) = dead_letter(&app).await;

    let response = post(&app, "/dlq/purge", &json!({"ids": [first]}).to_string()).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body, json!({"purged": 1}));
    let left: Vec<i64> = app
        .store
        .list_dead_letters(10, 0)
        .await
        .expect("list")
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(left, [third, second]);

    let response = post(&app, "/dlq/purge", &json!({"all": true}).to_string()).await;
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body, json!({"purged": 2}));
    assert_eq!(queue_sizes(&app).await, (0, 0), "purged, not replayed");
    let list = get_json(&app, "/dlq").await;
    assert_eq!(list, json!({"deadLetters": []}));
}

async fn pipeline_status_shows_backlog_age_and_dead_letters(backend: Backend) {
    let app = app(backend).await;
    let idle = get_json(&app, "/pipeline").await;
    assert_eq!(
        idle,
        json!({"backlog": 0, "oldestAgeSeconds": null, "deadLetters": 0})
    );

    enqueue_poison(&app, Utc::now() - chrono::Duration::seconds(90)).await;
    enqueue_poison(&app, Utc::now() - chrono::Duration::seconds(30)).await;
    let busy = get_json(&app, "/pipeline").await;
    assert_eq!(busy["backlog"], 2, "{busy}");
    assert_eq!(busy["deadLetters"], 0, "{busy}");
    let age = busy["oldestAgeSeconds"].as_f64().expect("an age");
    assert!(
        (90.0..120.0).contains(&age),
        "oldest is 90 s old, got {age}"
    );

    app.drain().await;
    let after = get_json(&app, "/pipeline").await;
    assert_eq!(
        after,
        json!({"backlog": 0, "oldestAgeSeconds": null, "deadLetters": 2})
    );
}

/// Scrapes `/metrics` (no key needed), asserting the Prometheus text content type.
async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.expect("text body")
}

/// The value of an unlabelled sample, e.g. `linkpulse_dead_letters 2`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .find_map(|value| value.trim().parse().ok())
}

/// Asserts every pipeline metric is declared with its type.
fn assert_every_metric(text: &str) {
    for (name, kind) in METRICS {
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "{name} ({kind}) missing:\n{text}"
        );
    }
}

async fn metrics_expose_every_pipeline_metric(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "1", "--click-ack", "commit"]).await;
    let fresh = scrape(&app).await;
    assert_every_metric(&fresh);
    assert_eq!(sample(&fresh, "linkpulse_events_enqueued_total"), Some(0.0));

    app.create_link(json!({"longUrl": "https://example.com/m", "customSlug": "m"}))
        .await;
    assert_eq!(app.get("/m").await.status(), 302);
    enqueue_poison(&app, Utc::now()).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while queue_sizes(&app).await != (0, 1) || app.count("SELECT COUNT(*) FROM clicks").await != 1 {
        assert!(Instant::now() < deadline, "the worker did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let text = scrape(&app).await;
    assert_every_metric(&text);
    assert_eq!(sample(&text, "linkpulse_events_enqueued_total"), Some(1.0));
    assert_eq!(sample(&text, "linkpulse_events_processed_total"), Some(1.0));
    assert_eq!(
        sample(&text, "linkpulse_events_dead_lettered_total"),
        Some(1.0)
    );
    assert_eq!(sample(&text, "linkpulse_dead_letters"), Some(1.0));
    assert_eq!(sample(&text, "linkpulse_outbox_backlog"), Some(0.0));
    assert_eq!(
        sample(&text, "linkpulse_click_latency_seconds_count"),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "linkpulse_redirect_latency_seconds_count"),
        Some(1.0)
    );
}

async fn a_metrics_token_guards_the_scrape(backend: Backend) {
    let app = spawn_app_with(backend, &["--metrics-token", "s3cret"]).await;
    let scrape = |authorization: Option<&'static str>| {
        let mut request = app.client.get(format!("{}/metrics", app.address));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send()
    };
    for refused in [
        None,
        Some("Bearer wrong"),
        Some("s3cret"),
        Some("Basic czNjcmV0"),
    ] {
        let response = scrape(refused).await.unwrap();
        assert_eq!(response.status(), 401, "{refused:?}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"metrics\""
        );
        assert!(
            !response.text().await.unwrap().contains("linkpulse_"),
            "no figures leak"
        );
    }
    let allowed = scrape(Some("Bearer s3cret")).await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert!(
        allowed
            .text()
            .await
            .unwrap()
            .contains("linkpulse_outbox_backlog")
    );
}

backend_tests!(
    a_metrics_token_guards_the_scrape,
    admin_routes_refuse_missing_or_wrong_keys,
    dead_letters_are_listed_paged_and_shown,
    replay_moves_a_dead_letter_back_into_the_outbox,
    bad_selections_are_refused_and_change_nothing,
    purge_deletes_selected_then_all,
    pipeline_status_shows_backlog_age_and_dead_letters,
    metrics_expose_every_pipeline_metric,
);
