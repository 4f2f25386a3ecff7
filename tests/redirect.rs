//! `GET|HEAD /{shortCode}` end to end on both backends: status, headers, query forwarding,
//! validity rules, and that API edits and deletes reach the redirect at once.

mod common;

use common::{Backend, TestApp, spawn_app, spawn_app_with};
use reqwest::{Method, Response};
use serde_json::json;

/// The `Location` header of a redirect.
fn location(response: &Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("ASCII location")
        .to_owned()
}

/// Asserts the friendly HTML 404 page.
async fn assert_html_404(response: Response) {
    assert_eq!(response.status(), 404);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
}

async fn link(app: &TestApp, slug: &str, long_url: &str) {
    app.create_link(json!({"longUrl": long_url, "customSlug": slug}))
        .await;
}

async fn redirects_with_found_and_no_caching(backend: Backend) {
    let app = spawn_app(backend).await;
    link(&app, "go", "https://example.com/landing?a=1").await;
    let response = app.get("/go").await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "https://example.com/landing?a=1");
    assert_eq!(response.headers()["cache-control"], "private, max-age=0");

    let head = app.head("/go").await;
    assert_eq!(head.status(), 302);
    assert_eq!(location(&head), "https://example.com/landing?a=1");
    assert_eq!(head.headers()["cache-control"], "private, max-age=0");

    assert_html_404(app.get("/nope").await).await;
}

async fn redirect_status_is_configurable(backend: Backend) {
    let app = spawn_app_with(backend, &["--redirect-status", "301"]).await;
    link(&app, "perm", "https://example.com/permanent").await;
    let response = app.get("/perm").await;
    assert_eq!(response.status(), 301);
    assert_eq!(location(&response), "https://example.com/permanent");
    assert_eq!(app.head("/perm").await.status(), 301);
}

async fn query_is_forwarded_only_when_enabled(backend: Backend) {
    let app = spawn_app(backend).await;
    link(&app, "fwd", "https://example.com/p?a=1&b=2").await;
    app.create_link(json!({
        "longUrl": "https://example.com/p?a=1",
        "customSlug": "nofwd",
        "forwardQuery": false
    }))
    .await;
    let forwarded = app.get("/fwd?b=3&c=4").await;
    assert_eq!(location(&forwarded), "https://example.com/p?a=1&b=3&c=4");
    let plain = app.get("/fwd").await;
    assert_eq!(location(&plain), "https://example.com/p?a=1&b=2");
    let kept = app.get("/nofwd?c=4").await;
    assert_eq!(kept.status(), 302);
    assert_eq!(location(&kept), "https://example.com/p?a=1");
}

async fn validity_window_gates_the_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({
        "longUrl": "https://example.com/soon",
        "customSlug": "future",
        "validSince": "2999-01-01T00:00:00Z"
    }))
    .await;
    app.create_link(json!({
        "longUrl": "https://example.com/over",
        "customSlug": "past",
        "validUntil": "2001-01-01T00:00:00Z"
    }))
    .await;
    app.create_link(json!({
        "longUrl": "https://example.com/now",
        "customSlug": "open",
        "validSince": "2001-01-01T00:00:00Z",
        "validUntil": "2999-01-01T00:00:00Z"
    }))
    .await;
    assert_html_404(app.get("/future").await).await;
    assert_html_404(app.get("/past").await).await;
    assert_eq!(app.get("/open").await.status(), 302);
}

async fn visit_cap_gates_the_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(
        json!({"longUrl": "https://example.com/c", "customSlug": "capped", "maxVisits": 50}),
    )
    .await;
    app.create_link(
        json!({"longUrl": "https://example.com/f", "customSlug": "full", "maxVisits": 2}),
    )
    .await;
    // Two human visits granted on `full` (tests/visit_caps.rs takes them through redirects).
    app.execute_sql("UPDATE short_urls SET cap_used = 2 WHERE short_code = 'full'")
        .await;
    let under = app.get("/capped").await;
    assert_eq!(under.status(), 302);
    assert_eq!(location(&under), "https://example.com/c");
    assert_html_404(app.get("/full").await).await;
}

async fn edits_reach_the_redirect_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    link(&app, "moving", "https://example.com/before").await;
    assert_eq!(
        location(&app.get("/moving").await),
        "https://example.com/before"
    );

    let response = app
        .api(Method::PATCH, "/short-urls/moving")
        .json(&json!({"longUrl": "https://example.com/after", "forwardQuery": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        location(&app.get("/moving?x=1").await),
        "https://example.com/after"
    );

    let expire = app
        .api(Method::PATCH, "/short-urls/moving")
        .json(&json!({"validUntil": "2001-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(expire.status(), 200);
    assert_html_404(app.get("/moving").await).await;
}

async fn deletes_reach_the_redirect_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    link(&app, "doomed", "https://example.com/d").await;
    assert_eq!(app.get("/doomed").await.status(), 302);
    let response = app
        .api(Method::DELETE, "/short-urls/doomed")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_html_404(app.get("/doomed").await).await;
}

async fn new_links_work_right_after_a_miss(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_html_404(app.get("/fresh").await).await;
    link(&app, "fresh", "https://example.com/fresh").await;
    let response = app.get("/fresh").await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "https://example.com/fresh");
}

async fn the_bare_base_url_leads_to_the_dashboard_and_counts_as_an_orphan(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/").await;
    let body = response.text().await.unwrap();
    assert!(body.contains(r#"href="/app/login""#), "{body}");
    let landing = app.get("/").await;
    assert_html_404(landing).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app
        .count("SELECT COUNT(*) FROM click_rows WHERE short_url_id IS NULL")
        .await
        < 2
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the base-URL visits were not stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn app_with_a_trailing_slash_is_the_dashboard(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/app", "/app/"] {
        let response = app.get(path).await;
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        assert!(
            location(&response).starts_with("/app/login"),
            "{path} asks to sign in"
        );
    }
}

backend_tests!(
    the_bare_base_url_leads_to_the_dashboard_and_counts_as_an_orphan,
    app_with_a_trailing_slash_is_the_dashboard,
    redirects_with_found_and_no_caching,
    redirect_status_is_configurable,
    query_is_forwarded_only_when_enabled,
    validity_window_gates_the_redirect,
    visit_cap_gates_the_redirect,
    edits_reach_the_redirect_at_once,
    deletes_reach_the_redirect_at_once,
    new_links_work_right_after_a_miss,
);
