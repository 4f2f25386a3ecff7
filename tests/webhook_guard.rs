//! The SSRF guard of webhooks, on both backends: a private target is refused when it is added,
//! and one added anyway (from the command line with `--allow-private`) is refused at delivery
//! by a server without `--webhooks-allow-private`, by address and by name.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, assert_problem, spawn_app_with};
use linkpulse::consumers::{Events, NewWebhook, WebhookSecret, check_url};
use reqwest::Method;
use serde_json::json;

async fn private_targets_are_refused_when_added(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "1"]).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
    ] {
        let refused = app
            .admin(Method::POST, "/webhooks")
            .json(&json!({"url": url, "events": ["new-visit"]}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(refused, 400, "invalid-data").await;
        assert_eq!(problem["invalidElements"], json!(["url"]), "{url}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("--webhooks-allow-private")
        );
    }
    let listed = app.admin_json("/webhooks").await;
    assert_eq!(listed["webhooks"], json!([]));
}

async fn a_private_target_added_anyway_is_refused_at_delivery(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--workers",
            "1",
            "--click-ack",
            "commit",
            "--webhook-attempts",
            "1",
        ],
    )
    .await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "inside"}))
        .await;
    for (name, url) in [
        ("literal", "http://127.0.0.1:9/hook"),
        ("named", "http://localhost:9/hook"),
    ] {
        app.store
            .add_webhook(&NewWebhook {
                name: name.into(),
                url: check_url(url).unwrap(),
                events: Events::parse("new-visit").unwrap(),
                secret: WebhookSecret::generate(),
            })
            .await
            .unwrap();
    }
    assert_eq!(
        app.get("/inside").await.status(),
        302,
        "redirects are unaffected"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let dead = app.store.dead_deliveries(None, 10).await.unwrap();
        if dead.len() == 2 {
            for letter in &dead {
                assert!(
                    letter.reason.contains("--webhooks-allow-private"),
                    "{}: {}",
                    letter.consumer,
                    letter.reason
                );
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not refused at delivery: {dead:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests!(
    private_targets_are_refused_when_added,
    a_private_target_added_anyway_is_refused_at_delivery,
);
