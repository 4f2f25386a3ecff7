//! Health check (the route and the `linkpulse health` command a container runs) and the
//! friendly 404 page, on both backends.

mod common;

use common::binary::{Server, command};
use common::{Backend, assert_problem, fresh_database, spawn_app};

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

/// Runs `linkpulse health ARGS…` with `env`; returns whether it passed, its stdout and stderr.
async fn health_command(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = tokio::process::Command::from(command())
        .arg("health")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The check finds a server started on a port it could not guess (port 0) through the address
/// file named by the same variable the server read, and fails, naming the fix, once it stops.
async fn health_command_finds_the_server_through_its_address_file(backend: Backend) {
    let (database_url, _database) = fresh_database(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("linkpulse.address");
    let file_env = [("LINKPULSE_ADDRESS_FILE", file.to_str().unwrap())];
    let mut server = Server::start_with_env(&database_url, &[], &file_env).await;
    let port = server.address.rsplit(':').next().unwrap().to_owned();

    let (passed, stdout, stderr) = health_command(&["--listen", "127.0.0.1:1"], &file_env).await;
    assert!(passed, "{stderr}");
    assert!(
        stdout.contains(&format!(":{port}/rest/health answered 200")),
        "{stdout}"
    );

    let (passed, _, stderr) = health_command(&["--listen", "127.0.0.1:1"], &[]).await;
    assert!(!passed, "nothing listens on port 1");
    assert!(
        stderr.contains("nothing answered at http://127.0.0.1:1/rest/health"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--address-file"),
        "the fix is named: {stderr}"
    );

    server.signal("-TERM");
    assert_eq!(server.wait(), Some(0));
    assert!(!file.exists(), "a clean stop removes the address file");
    let (passed, _, _) = health_command(&["--listen", "127.0.0.1:1"], &file_env).await;
    assert!(!passed, "a stopped server is unhealthy");
}

backend_tests!(
    health_command_finds_the_server_through_its_address_file,
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
