//! CORS in a real headless Chromium, on both backends: a page served from another origin (a
//! second local port) calls the REST API with the key — a preflighted `GET`, a JSON `POST`, a
//! listing and an error answer all reach the page — while its `fetch` of a page under `/app` is
//! blocked, as is every call to a linkpulse whose `--cors-origins` does not list the page's
//! origin (and none to one that does).
//!
//! The preflight's own headers are checked without a browser in `tests/shlink_clients.rs`.
//!
//! Skipped (reported as ignored) when chromedriver is not installed; see `build.rs`.

// Not every helper of the shared browser harness is used here.
#[allow(dead_code)]
mod browser_support;
mod common;

use browser_support::Browser;
use common::{Backend, TestApp, TestDatabase, spawn_app, spawn_app_on};
use serde_json::{Value, json};

/// The slug the page creates.
const SLUG: &str = "cross-origin";

/// The long URL the page shortens.
const LONG_URL: &str = "https://example.com/from-another-origin";

/// An origin that is not the page's, for the allow-list.
const OTHER_ORIGIN: &str = "http://allowed.example";

/// The page the other origin serves: `call(url, init)` runs `fetch` and answers what the page
/// could read of the result, or the error the promise was rejected with.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Another origin</title></head>
<body>
<h1>A Shlink client on another origin</h1>
<script>
window.call = async (url, init) => {
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    let body = null;
    try { body = JSON.parse(text); } catch (_) {}
    return {
      fetched: true,
      status: response.status,
      contentType: response.headers.get("content-type"),
      body,
    };
  } catch (error) {
    return { fetched: false, error: error.name, message: String(error.message) };
  }
};
</script>
</body>
</html>
"#;

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(browser_tests),
        ignore = "browser suite skipped: chromedriver not installed"
    )]
    async fn cross_origin_story() {
        super::cross_origin_story(super::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(browser_tests),
        ignore = "browser suite skipped: chromedriver not installed"
    )]
    #[cfg_attr(
        all(browser_tests, not(postgres_tests)),
        ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
    )]
    async fn cross_origin_story() {
        super::cross_origin_story(super::Backend::Postgres).await
    }
}

/// A second HTTP server, on a port of its own, serving [`PAGE`] at `/`; stopped when dropped.
struct OtherOrigin {
    /// `http://127.0.0.1:PORT`, the page's origin.
    origin: String,
    server: tokio::task::JoinHandle<()>,
}

impl OtherOrigin {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the other origin");
        let port = listener.local_addr().expect("local address").port();
        let router = axum::Router::new().route(
            "/",
            axum::routing::get(|| async { axum::response::Html(PAGE) }),
        );
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("the other origin serves");
        });
        Self {
            origin: format!("http://127.0.0.1:{port}"),
            server,
        }
    }
}

impl Drop for OtherOrigin {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// What the page got from `call(url, init)` (see [`PAGE`]).
async fn call(browser: &Browser, url: &str, init: Value) -> Value {
    let script = format!(
        "return window.call({}, {init});",
        serde_json::to_string(url).expect("a URL as JSON")
    );
    browser.eval(&script).await
}

/// `init` for an API call with the key (a custom header: the browser sends a preflight first).
fn with_key(app: &TestApp, method: &str, body: Option<Value>) -> Value {
    let mut init = json!({
        "method": method,
        "headers": { "X-Api-Key": app.api_key },
    });
    if let Some(body) = body {
        init["headers"]["Content-Type"] = json!("application/json");
        init["body"] = json!(body.to_string());
    }
    init
}

/// Asserts the page's `fetch` was rejected as a network error (what a CORS refusal looks like
/// to a page: nothing of the answer is readable).
fn assert_blocked(result: &Value, what: &str) {
    assert_eq!(
        result["fetched"], false,
        "{what} reached the page: {result}"
    );
    assert_eq!(result["error"], "TypeError", "{what}: {result}");
}

/// Asserts the console holds Chromium's CORS refusal of `url` from `origin`, and nothing but
/// that refusal and the failed load it causes.
async fn assert_console_refused(browser: &Browser, url: &str, origin: &str) {
    let errors = browser.console_errors().await;
    let refusal = format!(
        "Access to fetch at '{url}' from origin '{origin}' has been blocked by CORS policy"
    );
    assert!(
        errors.iter().any(|error| error.contains(&refusal)),
        "no CORS refusal of {url} in the console: {errors:?}"
    );
    for error in &errors {
        assert!(
            error.contains("blocked by CORS policy") || error.contains("net::ERR_FAILED"),
            "unexpected console error: {error}"
        );
    }
}

/// The whole story: the API answers the other origin, the pages and a restrictive allow-list
/// do not.
async fn cross_origin_story(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = OtherOrigin::start().await;
    assert_ne!(page.origin, app.address, "two origins");
    let browser = Browser::start(1024, 768).await;
    browser.goto(&format!("{}/", page.origin)).await;
    let origin = browser.eval("return window.location.origin;").await;
    assert_eq!(origin, page.origin.as_str());

    api_answers_the_other_origin(&browser, &app).await;
    browser.assert_clean().await;
    errors_reach_the_other_origin(&browser, &app).await;
    pages_stay_same_origin(&browser, &app, &page).await;
    allow_list_bites(&browser, &app, &page).await;
    browser.assert_clean().await;
    browser.close().await;
}

/// (a) the health check, (b) a JSON `POST` creating a link, (c) the listing showing it — each
/// with the key, each preflighted, each readable by the page.
async fn api_answers_the_other_origin(browser: &Browser, app: &TestApp) {
    let health = call(
        browser,
        &format!("{}/rest/v3/health", app.address),
        with_key(app, "GET", None),
    )
    .await;
    assert_eq!(health["fetched"], true, "health: {health}");
    assert_eq!(health["status"], 200, "health: {health}");
    assert_eq!(health["body"]["status"], "pass", "health: {health}");

    let created = call(
        browser,
        &format!("{}/rest/v3/short-urls", app.address),
        with_key(
            app,
            "POST",
            Some(json!({ "longUrl": LONG_URL, "customSlug": SLUG })),
        ),
    )
    .await;
    assert_eq!(created["fetched"], true, "create: {created}");
    assert_eq!(created["status"], 200, "create: {created}");
    assert_eq!(created["body"]["shortCode"], SLUG, "create: {created}");
    assert_eq!(
        created["body"]["shortUrl"],
        format!("{}/{SLUG}", app.address),
        "create: {created}"
    );
    assert_eq!(created["body"]["longUrl"], LONG_URL, "create: {created}");

    let listed = call(
        browser,
        &format!("{}/rest/v3/short-urls", app.address),
        with_key(app, "GET", None),
    )
    .await;
    assert_eq!(listed["status"], 200, "list: {listed}");
    let codes: Vec<&str> = listed["body"]["shortUrls"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a listing: {listed}"))
        .iter()
        .filter_map(|link| link["shortCode"].as_str())
        .collect();
    assert_eq!(codes, [SLUG], "list: {listed}");
}

/// (d) an error answer carries `Access-Control-Allow-Origin` too: the page reads its status,
/// its content type and its problem `type`.
async fn errors_reach_the_other_origin(browser: &Browser, app: &TestApp) {
    let missing = call(
        browser,
        &format!("{}/rest/v3/short-urls/no-such-link", app.address),
        with_key(app, "GET", None),
    )
    .await;
    assert_eq!(missing["fetched"], true, "missing: {missing}");
    assert_eq!(missing["status"], 404, "missing: {missing}");
    assert_eq!(
        missing["contentType"], "application/problem+json",
        "missing: {missing}"
    );
    assert_eq!(
        missing["body"]["type"], "https://shlink.io/api/error/short-url-not-found",
        "missing: {missing}"
    );

    let unauthenticated = call(
        browser,
        &format!("{}/rest/v3/short-urls", app.address),
        json!({ "method": "GET" }),
    )
    .await;
    assert_eq!(unauthenticated["status"], 401, "no key: {unauthenticated}");
    assert_eq!(
        unauthenticated["body"]["type"], "https://shlink.io/api/error/missing-authentication",
        "no key: {unauthenticated}"
    );

    // Chromium logs a failed load for each error status; nothing else may be in the console.
    let errors = browser.console_errors().await;
    assert_eq!(errors.len(), 2, "one log line per error answer: {errors:?}");
    for (error, status) in errors.iter().zip(["404", "401"]) {
        assert!(
            error.contains(&format!("status of {status}")),
            "unexpected console error: {error}"
        );
    }
}

/// (e) the pages under `/app` send no CORS headers: the page's `fetch` of one is rejected,
/// although the server answered it.
async fn pages_stay_same_origin(browser: &Browser, app: &TestApp, page: &OtherOrigin) {
    let login = format!("{}/app/login", app.address);
    let direct = app.get("/app/login").await;
    assert_eq!(direct.status(), 200, "the login page answers");
    let blocked = call(browser, &login, json!({})).await;
    assert_blocked(&blocked, "/app/login");
    assert_console_refused(browser, &login, &page.origin).await;
}

/// A linkpulse (on the same database) whose `--cors-origins` does not list the page's origin
/// refuses it every call, even the health check without the key; one listing it answers.
async fn allow_list_bites(browser: &Browser, app: &TestApp, page: &OtherOrigin) {
    let restricted = spawn_app_on(
        app.database_url.clone(),
        TestDatabase::Shared,
        &["--cors-origins", OTHER_ORIGIN],
    )
    .await;
    let health = format!("{}/rest/v3/health", restricted.address);
    let listing = format!("{}/rest/v3/short-urls", restricted.address);
    let blocked = call(browser, &health, with_key(&restricted, "GET", None)).await;
    assert_blocked(&blocked, "health with the key (preflighted)");
    assert_console_refused(browser, &health, &page.origin).await;
    let blocked = call(browser, &health, json!({})).await;
    assert_blocked(&blocked, "health without the key (no preflight)");
    assert_console_refused(browser, &health, &page.origin).await;
    let blocked = call(
        browser,
        &listing,
        with_key(
            &restricted,
            "POST",
            Some(json!({ "longUrl": LONG_URL, "customSlug": "refused" })),
        ),
    )
    .await;
    assert_blocked(&blocked, "create");
    assert_console_refused(browser, &listing, &page.origin).await;
    // The refused preflight stopped the POST itself: no link was created.
    let refused = restricted
        .api(reqwest::Method::GET, "/short-urls/refused")
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 404, "the refused POST was not sent");

    let listed_origins = format!("{OTHER_ORIGIN},{}", page.origin);
    let allowing = spawn_app_on(
        app.database_url.clone(),
        TestDatabase::Shared,
        &["--cors-origins", &listed_origins],
    )
    .await;
    let listed = call(
        browser,
        &format!("{}/rest/v3/short-urls", allowing.address),
        with_key(&allowing, "GET", None),
    )
    .await;
    assert_eq!(
        listed["status"], 200,
        "an allow-list naming the page: {listed}"
    );
    assert_eq!(
        listed["body"]["shortUrls"]["data"][0]["shortCode"], SLUG,
        "the same database: {listed}"
    );
}
