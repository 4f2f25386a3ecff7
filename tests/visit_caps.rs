//! `maxVisits` is exact at redirect time, on both backends and across instances on Postgres:
//! the visit that reaches the cap is the last one redirected, however many arrive at once, and
//! bots never use the cap up.

mod common;

use common::{Backend, TestApp, spawn_app, spawn_app_on};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

/// A browser's user agent: a human visit.
const HUMAN: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                     Chrome/120.0.0.0 Safari/537.36";

/// A crawler's user agent: a bot visit.
const BOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

async fn visit(app: &TestApp, code: &str, agent: &str) -> StatusCode {
    app.client
        .get(format!("{}/{code}", app.address))
        .header("user-agent", agent)
        .send()
        .await
        .expect("visit")
        .status()
}

/// Sends `visits` human visits to `code` at once, spread over `apps`; how many redirected.
async fn redirected_at_once(apps: &[&TestApp], code: &str, visits: usize) -> usize {
    let statuses = join_all((0..visits).map(|i| visit(apps[i % apps.len()], code, HUMAN))).await;
    for status in &statuses {
        assert!(
            *status == StatusCode::FOUND || *status == StatusCode::NOT_FOUND,
            "{status}"
        );
    }
    statuses.iter().filter(|s| **s == StatusCode::FOUND).count()
}

async fn capped_link(app: &TestApp, code: &str, max_visits: u32) {
    app.create_link(json!({
        "longUrl": "https://example.com/capped",
        "customSlug": code,
        "maxVisits": max_visits,
    }))
    .await;
}

async fn five_quick_visits_to_a_one_visit_link_redirect_once(backend: Backend) {
    let app = spawn_app(backend).await;
    capped_link(&app, "once", 1).await;
    assert_eq!(redirected_at_once(&[&app], "once", 5).await, 1);
    assert_eq!(visit(&app, "once", HUMAN).await, StatusCode::NOT_FOUND);
}

async fn a_burst_redirects_exactly_the_cap(backend: Backend) {
    let app = spawn_app(backend).await;
    capped_link(&app, "burst", 7).await;
    assert_eq!(redirected_at_once(&[&app], "burst", 40).await, 7);
    assert_eq!(
        visit(&app, "burst", BOT).await,
        StatusCode::NOT_FOUND,
        "a used-up link answers bots 404 too"
    );
}

async fn bots_do_not_use_the_cap_up(backend: Backend) {
    let app = spawn_app(backend).await;
    capped_link(&app, "crawled", 1).await;
    for _ in 0..3 {
        assert_eq!(visit(&app, "crawled", BOT).await, StatusCode::FOUND);
    }
    assert_eq!(visit(&app, "crawled", HUMAN).await, StatusCode::FOUND);
    assert_eq!(visit(&app, "crawled", HUMAN).await, StatusCode::NOT_FOUND);
}

async fn raising_the_cap_grants_only_the_difference(backend: Backend) {
    let app = spawn_app(backend).await;
    capped_link(&app, "raised", 2).await;
    assert_eq!(redirected_at_once(&[&app], "raised", 4).await, 2);
    let raised = app
        .api(reqwest::Method::PATCH, "/short-urls/raised")
        .json(&json!({"maxVisits": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(raised.status(), 200);
    assert_eq!(redirected_at_once(&[&app], "raised", 6).await, 3);
}

backend_tests!(
    five_quick_visits_to_a_one_visit_link_redirect_once,
    a_burst_redirects_exactly_the_cap,
    bots_do_not_use_the_cap_up,
    raising_the_cap_grants_only_the_difference,
);

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn two_instances_together_redirect_exactly_the_cap() {
    let a = spawn_app(Backend::Postgres).await;
    let (url, guard) = (a.database_url.clone(), common::TestDatabase::Shared);
    let b = spawn_app_on(url, guard, &[]).await;
    capped_link(&a, "shared", 9).await;
    assert_eq!(redirected_at_once(&[&a, &b], "shared", 50).await, 9);
    assert_eq!(visit(&b, "shared", HUMAN).await, StatusCode::NOT_FOUND);
    assert_eq!(visit(&a, "shared", HUMAN).await, StatusCode::NOT_FOUND);
}
