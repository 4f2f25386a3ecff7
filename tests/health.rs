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

/// Postgres only: dropping the database under a running server turns the health check into a
/// 503 with the reason (SQLite keeps its file open, so it cannot be taken away the same way).
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn health_fails_with_503_when_postgres_is_gone() {
    use sqlx::Connection;
    let app = spawn_app(Backend::Postgres).await;
    assert_eq!(app.get("/rest/health").await.status(), 200);
    let name = url::Url::parse(&app.database_url).unwrap().path()[1..].to_owned();
    let admin = std::env::var("TEST_DATABASE_URL").unwrap();
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    let response = app.get("/rest/health").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "fail");
    assert!(
        body["output"].as_str().unwrap().contains("unreachable"),
        "{body}"
    );
}
