//! API key enforcement on every REST route, the key-free health check, the 501 answer of the
//! Mercure route (no hub here), and the v1/v2/v3 prefixes, on both backends.

mod common;

use common::{Backend, TestApp, assert_problem, spawn_app};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// Every built API route, with a body that would be acceptable if the key were.
fn api_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/short-urls", None),
        (
            Method::POST,
            "/short-urls",
            Some(json!({ "longUrl": "https://example.com/auth" })),
        ),
        (Method::GET, "/short-urls/abc123", None),
        (
            Method::PATCH,
            "/short-urls/abc123",
            Some(json!({ "title": "x" })),
        ),
        (Method::DELETE, "/short-urls/abc123", None),
        (Method::GET, "/tags", None),
        (Method::GET, "/tags/stats", None),
        (
            Method::PUT,
            "/tags",
            Some(json!({ "oldName": "a", "newName": "b" })),
        ),
        (Method::DELETE, "/tags?tags[]=a", None),
        (Method::GET, "/domains", None),
        (Method::GET, "/visits", None),
        (Method::GET, "/visits/orphan", None),
        (Method::DELETE, "/visits/orphan", None),
        (Method::GET, "/visits/non-orphan", None),
        (Method::GET, "/short-urls/abc123/visits", None),
        (Method::DELETE, "/short-urls/abc123/visits", None),
        (Method::GET, "/tags/a/visits", None),
        (Method::GET, "/domains/DEFAULT/visits", None),
        (
            Method::PATCH,
            "/domains/redirects",
            Some(json!({ "domain": "DEFAULT" })),
        ),
    ]
}

/// Sends `method path` under `/rest/{version}` with the given `X-Api-Key` (none if `None`).
async fn send(
    app: &TestApp,
    version: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> Response {
    let mut request = app
        .client
        .request(method, format!("{}/rest/{version}{path}", app.address));
    if let Some(key) = key {
        request = request.header("X-Api-Key", key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request")
}

/// Asserts every API route under every version answers 401 for `key`, typed as Shlink does.
async fn assert_all_refused(app: &TestApp, key: Option<&str>) {
    for version in ["v1", "v2", "v3"] {
        for (method, path, body) in api_routes() {
            let response = send(app, version, method.clone(), path, body.as_ref(), key).await;
            let (kind, title) = common::refusal_for(key);
            let problem = assert_problem(response, 401, kind).await;
            assert_eq!(problem["title"], title, "{method} {path}");
        }
    }
}

async fn missing_key_is_refused_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_all_refused(&app, None).await;
    assert_all_refused(&app, Some("")).await;
}

async fn wrong_key_is_refused_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong = format!("{}-wrong", app.api_key);
    assert_all_refused(&app, Some(&wrong)).await;
}

async fn disabled_key_is_refused_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    app.store.disable_api_key("test").await.unwrap();
    assert_all_refused(&app, Some(&app.api_key)).await;
}

async fn valid_key_is_accepted_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    for version in ["v1", "v2", "v3"] {
        for (method, path, body) in api_routes() {
            let response = send(
                &app,
                version,
                method.clone(),
                path,
                body.as_ref(),
                Some(&app.api_key),
            )
            .await;
            let status = response.status().as_u16();
            assert!(
                status != 401 && status < 500,
                "{version} {method} {path} answered {status}"
            );
        }
    }
}

async fn older_prefixes_serve_the_v3_contract(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({ "longUrl": "https://example.com/v", "tags": ["shared"] }))
        .await;
    let key = Some(app.api_key.as_str());
    let mut bodies = Vec::new();
    for version in ["v1", "v2", "v3"] {
        for path in ["/tags", "/domains"] {
            let response = send(&app, version, Method::GET, path, None, key).await;
            assert_eq!(response.status(), 200, "{version}{path}");
            bodies.push((path, response.json::<Value>().await.unwrap()));
        }
    }
    assert_eq!(bodies[0].1["tags"]["data"], json!(["shared"]));
    let (v1, rest) = bodies.split_at(2);
    for chunk in rest.chunks(2) {
        assert_eq!(chunk, v1);
    }
    let unknown = send(&app, "v4", Method::GET, "/tags", None, key).await;
    assert_problem(unknown, 404, "not-found").await;
}

async fn health_needs_no_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/rest/health").await;
    assert_eq!(response.status(), 200);
}

async fn mercure_info_checks_the_key_then_answers_501(backend: Backend) {
    let app = spawn_app(backend).await;
    for version in ["v1", "v2", "v3"] {
        let refused = send(&app, version, Method::GET, "/mercure-info", None, None).await;
        assert_problem(refused, 401, "missing-authentication").await;
        let key = Some(app.api_key.as_str());
        let response = send(&app, version, Method::GET, "/mercure-info", None, key).await;
        assert_problem(response, 501, "mercure-not-configured").await;
    }
}

backend_tests!(
    missing_key_is_refused_everywhere,
    wrong_key_is_refused_everywhere,
    disabled_key_is_refused_everywhere,
    valid_key_is_accepted_everywhere,
    older_prefixes_serve_the_v3_contract,
    health_needs_no_key,
    mercure_info_checks_the_key_then_answers_501,
);
