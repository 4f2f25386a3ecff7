//! Health check and the friendly 404 page, on both backends.

mod common;

use common::{Backend, assert_problem, spawn_app};

async fn health_passes_when_database_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/rest/health").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pass");
}

async fn unknown_code_gets_friendly_html_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/doesNotExist").await;
    assert_eq!(response.status(), 404);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(response.text().await.unwrap().contains("Link not found"));
}

async fn unknown_api_route_is_problem_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/rest/v3/no-such-thing").await;
    assert_problem(response, 404, "not-found").await;
}

backend_tests!(
    health_passes_when_database_answers,
    unknown_code_gets_friendly_html_404,
    unknown_api_route_is_problem_json,
);
