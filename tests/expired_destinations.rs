//! Links that exist but do not redirect now (expired, not yet valid, visit cap reached) send
//! their visitors to the link's `expiredUrl`, else the server's `--expired-url`, else where an
//! unknown code goes; such a visit is an orphan visit, never one of the link or of its cap.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestApp, assert_problem, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// Follows `/{code}` as a person would; the status and `Location`.
async fn follow(app: &TestApp, code: &str) -> (u16, Option<String>) {
    let response = app
        .client
        .get(format!("{}/{code}", app.address))
        .header("User-Agent", CHROME)
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    (response.status().as_u16(), location)
}

/// The orphan visits' `redirectUrl`s, once `count` of them are stored.
async fn orphan_redirects(app: &TestApp, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let visits = app.api_json("/visits/orphan").await;
        let data = visits["visits"]["data"].as_array().unwrap().clone();
        if data.len() >= count {
            return data
                .iter()
                .map(|visit| visit["redirectUrl"].clone())
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {count} orphan visits",
            data.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn disabled_links_send_visitors_to_their_expired_url(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &["--expired-url", "https://example.com/server-expired"],
    )
    .await;
    let old = app
        .create_link(json!({
            "longUrl": "https://example.com/sale",
            "customSlug": "old",
            "validUntil": "2020-01-01T00:00:00+00:00",
            "expiredUrl": "https://example.com/sale-is-over",
        }))
        .await;
    assert_eq!(old["expiredUrl"], "https://example.com/sale-is-over");
    app.create_link(json!({
        "longUrl": "https://example.com/launch",
        "customSlug": "soon",
        "validSince": "2099-01-01T00:00:00+00:00",
    }))
    .await;
    app.create_link(json!({
        "longUrl": "https://example.com/ticket",
        "customSlug": "capped",
        "maxVisits": 1,
        "expiredUrl": "https://example.com/sold-out",
    }))
    .await;

    let sale_over = Some("https://example.com/sale-is-over".to_owned());
    let server_expired = Some("https://example.com/server-expired".to_owned());
    assert_eq!(follow(&app, "old").await, (302, sale_over.clone()));
    assert_eq!(follow(&app, "soon").await, (302, server_expired.clone()));
    assert_eq!(
        follow(&app, "capped").await,
        (302, Some("https://example.com/ticket".to_owned())),
        "the one visit the cap allows"
    );
    assert_eq!(
        follow(&app, "capped").await,
        (302, Some("https://example.com/sold-out".to_owned()))
    );
    assert_eq!(
        follow(&app, "nope").await.0,
        404,
        "an unknown code is no expired link"
    );

    let mut redirects = orphan_redirects(&app, 4).await;
    redirects.sort_by_key(ToString::to_string);
    assert_eq!(
        redirects,
        vec![
            json!("https://example.com/sale-is-over"),
            json!("https://example.com/server-expired"),
            json!("https://example.com/sold-out"),
            Value::Null,
        ]
    );
    let capped = app.api_json("/short-urls/capped").await;
    assert_eq!(
        capped["visitsSummary"]["total"], 1,
        "the refused visit is not the link's"
    );

    // Cleared, the link falls back to the server's destination; a bad one is refused.
    let cleared = app
        .api(Method::PATCH, "/short-urls/old")
        .json(&json!({"expiredUrl": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    assert!(
        cleared
            .json::<Value>()
            .await
            .unwrap()
            .get("expiredUrl")
            .is_none()
    );
    assert_eq!(follow(&app, "old").await, (302, server_expired));
    let refused = app
        .api(Method::PATCH, "/short-urls/old")
        .json(&json!({"expiredUrl": "javascript:alert(1)"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 400, "invalid-data").await;
    assert_eq!(problem["invalidElements"], json!(["expiredUrl"]));
    let created = app
        .api(Method::POST, "/short-urls")
        .json(&json!({"longUrl": "https://example.com/x", "customSlug": "bad", "expiredUrl": "ftp://x"}))
        .send()
        .await
        .unwrap();
    assert_problem(created, 400, "invalid-data").await;
    assert_eq!(follow(&app, "bad").await.0, 404, "nothing stored");
}

backend_tests!(disabled_links_send_visitors_to_their_expired_url);
