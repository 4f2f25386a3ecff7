//! API keys on `/short-urls`: missing, wrong and disabled keys get 401 and change nothing.

use reqwest::Method;
use serde_json::json;

use super::stored_links;
use crate::backend_tests;
use crate::common::{Backend, TestApp, assert_problem, refusal_for, spawn_app, spawn_app_with};

/// Every `/short-urls` route with `key` (or none) must answer 401 with the matching type.
async fn all_refused(app: &TestApp, key: Option<&str>) {
    let body = json!({"longUrl": "https://example.com/"});
    for (method, path) in [
        (Method::GET, "/short-urls"),
        (Method::POST, "/short-urls"),
        (Method::GET, "/short-urls/known"),
        (Method::PATCH, "/short-urls/known"),
        (Method::DELETE, "/short-urls/known"),
    ] {
        let mut request = app
            .client
            .request(method.clone(), format!("{}/rest/v3{path}", app.address))
            .json(&body);
        if let Some(key) = key {
            request = request.header("X-Api-Key", key);
        }
        let response = request.send().await.unwrap();
        let (kind, title) = refusal_for(key);
        let problem = assert_problem(response, 401, kind).await;
        assert_eq!(problem["title"], title, "{method} {path}");
    }
}

async fn known_link(app: &TestApp) {
    app.store
        .create_short_url(&linkpulse::links::NewShortUrl {
            domain: linkpulse::links::Domain::Default,
            short_code: linkpulse::links::ShortCode::parse("known").unwrap(),
            long_url: linkpulse::links::LongUrl::parse(
                "https://example.com/known",
                &linkpulse::links::OwnOrigin::of(&url::Url::parse(&app.address).unwrap()),
            )
            .unwrap(),
            title: None,
            valid_since: None,
            valid_until: None,
            max_visits: None,
            crawlable: false,
            forward_query: true,
            tags: Vec::new(),
            author_key_id: None,
            date_created: None,
            rules: linkpulse::links::rules::RedirectRules::default(),
            expired_url: None,
            password: None,
            split: linkpulse::links::Split::default(),
        })
        .await
        .unwrap();
}

async fn missing_and_wrong_keys_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    known_link(&app).await;
    all_refused(&app, None).await;
    all_refused(&app, Some("")).await;
    all_refused(&app, Some("not-a-key")).await;
    assert_eq!(stored_links(&app).await, 1, "only the seeded link");
    let kept = app
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(
            linkpulse::links::ShortCode::parse("known").unwrap(),
        ))
        .await
        .unwrap();
    assert!(kept.is_some(), "DELETE without a key removed the link");
}

async fn disabled_key_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    known_link(&app).await;
    app.store.disable_api_key("test").await.unwrap();
    all_refused(&app, Some(&app.api_key)).await;
    assert_eq!(stored_links(&app).await, 1);
}

async fn a_disabled_key_is_refused_once_its_verdict_expires(backend: Backend) {
    // A time-to-live of zero: the verdict has expired by the next request.
    let app = spawn_app_with(backend, &["--api-key-cache-ttl", "0s"]).await;
    let ok = app.api(Method::GET, "/short-urls").send().await.unwrap();
    assert_eq!(ok.status(), 200);
    app.store.disable_api_key("test").await.unwrap();
    let refused = app.api(Method::GET, "/short-urls").send().await.unwrap();
    assert_problem(refused, 401, "invalid-api-key").await;
}

async fn key_is_checked_before_the_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(format!("{}/rest/v3/short-urls", app.address))
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "missing-authentication").await;
}

backend_tests!(
    missing_and_wrong_keys_are_refused,
    disabled_key_is_refused,
    a_disabled_key_is_refused_once_its_verdict_expires,
    key_is_checked_before_the_body,
);
