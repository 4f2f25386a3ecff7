//! What Shlink's own clients need beyond the CRUD routes: CORS for the web client on another
//! origin, the health check under every version with a version that enables our features,
//! the one-request `shorten`, the redirect-rules routes, Shlink's statuses for wrong methods,
//! and `robots.txt`.

mod common;

use common::{Backend, assert_problem, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const WEB_CLIENT: &str = "https://app.shlink.io";

async fn preflight_and_responses_carry_cors_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let preflight = app
        .client
        .request(
            Method::OPTIONS,
            format!("{}/rest/v3/short-urls", app.address),
        )
        .header("Origin", WEB_CLIENT)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-api-key, content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    for method in ["GET", "POST", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("x-api-key") && allowed.contains("content-type"),
        "{allowed}"
    );
    assert!(headers.contains_key("access-control-max-age"));

    for (key, status) in [(None, 401), (Some(app.api_key.as_str()), 200)] {
        let mut request = app
            .client
            .get(format!("{}/rest/v3/short-urls", app.address))
            .header("Origin", WEB_CLIENT);
        if let Some(key) = key {
            request = request.header("X-Api-Key", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "errors too"
        );
    }
    let page = app
        .client
        .get(format!("{}/app/login", app.address))
        .header("Origin", WEB_CLIENT);
    let page = page.send().await.unwrap();
    assert!(
        !page.headers().contains_key("access-control-allow-origin"),
        "pages stay same-origin"
    );
}

async fn cors_origins_can_be_restricted(backend: Backend) {
    let app = spawn_app_with(backend, &["--cors-origins", "https://ok.example"]).await;
    for (origin, allowed) in [("https://ok.example", true), (WEB_CLIENT, false)] {
        let response = app
            .client
            .get(format!("{}/rest/health", app.address))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        let header = response.headers().get("access-control-allow-origin");
        assert_eq!(header.is_some_and(|h| h == origin), allowed, "{origin}");
    }
}

async fn health_answers_under_every_version_with_the_shlink_version_we_match(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/rest/health",
        "/rest/v1/health",
        "/rest/v2/health",
        "/rest/v3/health",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "pass");
        assert_eq!(body["version"], linkpulse::http::SHLINK_COMPATIBLE_VERSION);
        assert_eq!(body["linkpulseVersion"], env!("CARGO_PKG_VERSION"));
    }
}

async fn shorten_creates_a_link_from_the_query(backend: Backend) {
    let app = spawn_app(backend).await;
    let shorten = |query: String| {
        let client = app.client.clone();
        let url = format!("{}/rest/v3/short-urls/shorten?{query}", app.address);
        async move { client.get(url).send().await.unwrap() }
    };
    let json = shorten(format!(
        "apiKey={}&longUrl=https%3A%2F%2Fexample.com%2Fa",
        app.api_key
    ))
    .await;
    assert_eq!(json.status(), 200);
    let body: Value = json.json().await.unwrap();
    assert_eq!(body["longUrl"], "https://example.com/a");
    let code = body["shortCode"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("/{code}")).await.status(), 302);

    let text = shorten(format!(
        "apiKey={}&longUrl=https%3A%2F%2Fexample.com%2Fb&format=txt",
        app.api_key
    ))
    .await;
    assert!(
        text.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let short_url = text.text().await.unwrap();
    assert!(short_url.starts_with(&app.address), "{short_url}");

    let missing = shorten("longUrl=https%3A%2F%2Fexample.com%2Fc".into()).await;
    assert_problem(missing, 401, "missing-authentication").await;
    let wrong = shorten("apiKey=nope&longUrl=https%3A%2F%2Fexample.com%2Fc".into()).await;
    assert_problem(wrong, 401, "invalid-api-key").await;
    let bad = shorten(format!(
        "apiKey={}&longUrl=javascript%3Aalert(1)",
        app.api_key
    ))
    .await;
    let problem = assert_problem(bad, 400, "invalid-data").await;
    assert_eq!(problem["invalidElements"], json!(["longUrl"]));
}

async fn redirect_rules_routes_answer_and_refuse_naming_the_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/r", "customSlug": "ruled"}))
        .await;
    let rules: Value = app
        .api(Method::GET, "/short-urls/ruled/redirect-rules")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        rules,
        json!({"defaultLongUrl": "https://example.com/r", "redirectRules": []})
    );
    let empty = app
        .api(Method::POST, "/short-urls/ruled/redirect-rules")
        .json(&json!({"redirectRules": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 200);
    let some = app
        .api(Method::POST, "/short-urls/ruled/redirect-rules")
        .json(&json!({"redirectRules": [{"longUrl": "https://example.com/m", "conditions": []}]}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(some, 400, "invalid-data").await;
    assert_eq!(problem["invalidElements"], json!(["redirectRules[0]"]));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("at least one condition"),
        "{problem}"
    );
    let unknown = app
        .api(Method::GET, "/short-urls/nope/redirect-rules")
        .send()
        .await
        .unwrap();
    assert_problem(unknown, 404, "short-url-not-found").await;
}

async fn a_wrong_method_is_405_problem_json(backend: Backend) {
    let app = spawn_app(backend).await;
    for (method, path) in [
        (Method::DELETE, "/domains"),
        (Method::PUT, "/visits"),
        (Method::POST, "/tags/stats"),
    ] {
        let response = app.api(method.clone(), path).send().await.unwrap();
        assert_problem(response, 405, "method-not-allowed").await;
    }
}

async fn robots_txt_allows_only_crawlable_links(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(
        json!({"longUrl": "https://example.com/1", "customSlug": "open", "crawlable": true}),
    )
    .await;
    app.create_link(json!({"longUrl": "https://example.com/2", "customSlug": "hidden"}))
        .await;
    let response = app.get("/robots.txt").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains("User-agent: *\nAllow: /open\nDisallow: /\n"),
        "{text}"
    );
    assert!(!text.contains("hidden"), "{text}");
}

backend_tests!(
    robots_txt_allows_only_crawlable_links,
    preflight_and_responses_carry_cors_headers,
    cors_origins_can_be_restricted,
    health_answers_under_every_version_with_the_shlink_version_we_match,
    shorten_creates_a_link_from_the_query,
    redirect_rules_routes_answer_and_refuse_naming_the_rule,
    a_wrong_method_is_405_problem_json,
);
