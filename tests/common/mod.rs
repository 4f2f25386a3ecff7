//! Shared test harness: spawns the real server on port 0 against a fresh SQLite file or a fresh
//! Postgres database, and offers typed request helpers.
#![allow(dead_code)]

use std::sync::Arc;

use linkpulse::app::Application;
use linkpulse::auth::{generate_key, hash_key};
use linkpulse::config::{Cli, Command};
use linkpulse::store::{self, KeyRoles, Store};
use reqwest::{Client, Response, redirect::Policy};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Generates one `#[tokio::test]` per backend for each named `async fn name(backend: Backend)`.
/// Postgres variants are ignored, with the reason shown, unless `TEST_DATABASE_URL` was set.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[cfg_attr(not(postgres_tests), ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set")]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}

/// Which database engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database created on the server named by `TEST_DATABASE_URL`.
    Postgres,
}

/// A running server plus what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// The database the server uses.
    pub database_url: String,
    /// Direct access to the same database, for assertions.
    pub store: Arc<dyn Store>,
    /// A valid API key.
    pub api_key: String,
    /// A client that does not follow redirects.
    pub client: Client,
    shutdown: CancellationToken,
    _database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A test's own database, removed when dropped: the SQLite file's temporary folder, or the
/// Postgres database (tests leave nothing behind).
pub enum TestDatabase {
    /// Another test app's database (a second instance on it), removed by that app.
    Shared,
    /// The folder holding the SQLite file.
    Sqlite(tempfile::TempDir),
    /// A database on the `TEST_DATABASE_URL` server.
    Postgres {
        /// `TEST_DATABASE_URL`, to connect to while dropping.
        admin_url: String,
        /// The database's name.
        name: String,
    },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self {
            drop_postgres_database(admin_url.clone(), name.clone());
        }
    }
}

/// Drops a test database, closing whatever still uses it (a server being stopped), on a thread
/// of its own because `Drop` cannot await.
fn drop_postgres_database(admin_url: String, name: String) {
    use sqlx::Connection;
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
            // The name is ours (a UUID), not user input.
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            Ok::<_, anyhow::Error>(())
        })
    })
    .join();
    match dropped {
        Ok(Ok(())) => {}
        Ok(Err(err)) => eprintln!("could not drop a test database: {err}"),
        Err(_) => eprintln!("dropping a test database panicked"),
    }
}

/// A fresh database URL for `backend` and the guard that removes the database again.
pub async fn fresh_database(backend: Backend) -> (String, TestDatabase) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/linkpulse.db", dir.path().display());
            (url, TestDatabase::Sqlite(dir))
        }
        Backend::Postgres => fresh_postgres_database().await,
    }
}

async fn fresh_postgres_database() -> (String, TestDatabase) {
    use sqlx::Connection;
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .expect("TEST_DATABASE_URL must be set for the Postgres suite");
    let name = format!("lp_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    // The name is ours (a UUID), not user input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    (url.to_string(), TestDatabase::Postgres { admin_url, name })
}

/// Whether `name` is one of the variables linkpulse reads (`LINKPULSE_*`, `DATABASE_URL`): tests
/// must not pick them up from the developer's shell.
pub fn is_linkpulse_variable(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|name| name.starts_with("LINKPULSE_") || name == "DATABASE_URL")
}

/// Parses `argv` as the binary would, but ignoring every environment-variable fallback.
fn parse_without_env(argv: Vec<&str>) -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let no_env = |arg: clap::Arg| arg.env(None);
    let command = Cli::command()
        .mut_args(no_env)
        .mut_subcommand("serve", |serve| serve.mut_args(no_env));
    let matches = command
        .try_get_matches_from(argv)
        .expect("valid test flags");
    Cli::from_arg_matches(&matches).expect("valid test flags")
}

/// The problem type and title an API route answers for `key`: none (or an empty one) is missing
/// authentication, any other a wrong key.
pub fn refusal_for(key: Option<&str>) -> (&'static str, &'static str) {
    match key {
        None | Some("") => ("missing-authentication", "Invalid authorization"),
        Some(_) => ("invalid-api-key", "Invalid API key"),
    }
}

/// The value of the unlabelled series `name` in a Prometheus text page.
pub fn metric_value(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing in {text}"))
}

/// Starts the server with default flags.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts a server whose every answered visit can be counted exactly: workers off and commit
/// acks (so [`TestApp::drain`] stores each visit the moment its answer came), and loopback a
/// trusted proxy, so a test may speak for many visitors through `X-Forwarded-For`.
pub async fn spawn_counting_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &COUNTING_FLAGS).await
}

/// The `serve` flags of [`spawn_counting_app`], for suites that add their own.
pub const COUNTING_FLAGS: [&str; 6] = [
    "--workers",
    "0",
    "--click-ack",
    "commit",
    "--trusted-proxies",
    "127.0.0.1/32",
];

/// Starts the server with extra `serve` flags (e.g. `["--redirect-status", "301"]`).
pub async fn spawn_app_with(backend: Backend, extra: &[&str]) -> TestApp {
    let (database_url, database) = fresh_database(backend).await;
    spawn_app_on(database_url, database, extra).await
}

/// Starts the server with extra `serve` flags on a database the test prepared (it migrates it).
pub async fn spawn_app_on(database_url: String, database: TestDatabase, extra: &[&str]) -> TestApp {
    let mut argv = vec![
        "linkpulse",
        "--database-url",
        &database_url,
        "serve",
        "--listen",
        "127.0.0.1:0",
    ];
    argv.extend_from_slice(extra);
    let cli = parse_without_env(argv);
    let Command::Serve(args) = cli.command else {
        unreachable!("argv names serve")
    };
    let app = Application::build(&cli.database_url, *args)
        .await
        .expect("application builds");
    let port = app.port();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());

    let store = store::connect(&database_url).await.expect("store connects");
    let api_key = generate_key();
    // A second instance on a shared database gets a key of its own name.
    let name = match database {
        TestDatabase::Shared => format!("test-{}", uuid::Uuid::now_v7().simple()),
        _ => "test".to_owned(),
    };
    store
        .insert_api_key(&name, &hash_key(&api_key), &KeyRoles::default())
        .await
        .expect("insert API key");
    let client = Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        database_url,
        store,
        api_key,
        client,
        shutdown,
        _database: database,
    }
}

impl TestApp {
    /// `GET` a path without credentials.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    /// `HEAD` a path without credentials.
    pub async fn head(&self, path: &str) -> Response {
        self.client
            .head(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    /// A request builder for `/rest/v3{path}` carrying the API key.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/rest/v3{path}", self.address))
            .header("X-Api-Key", &self.api_key)
    }

    /// A request builder for our operational routes, `/admin{path}`, carrying the API key.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/admin{path}", self.address))
            .header("X-Api-Key", &self.api_key)
    }

    /// `GET /admin{path}` with the API key; its JSON, asserting a 200.
    pub async fn admin_json(&self, path: &str) -> Value {
        let response = self
            .admin(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "GET /admin{path}");
        response.json().await.expect("JSON body")
    }

    /// `GET /rest/v3{path}` with the API key; its JSON, asserting a 200.
    pub async fn api_json(&self, path: &str) -> Value {
        let response = self
            .api(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// Creates a link through the API and returns its JSON; panics unless it succeeds.
    pub async fn create_link(&self, body: Value) -> Value {
        let response = self
            .api(reqwest::Method::POST, "/short-urls")
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let json: Value = response.json().await.expect("JSON body");
        assert!(status.is_success(), "create failed: {status} {json}");
        json
    }
}

/// Asserts a problem+json response with `status` and Shlink `type` suffix, returning the body.
pub async fn assert_problem(response: Response, status: u16, kind: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body");
    assert_eq!(
        body["type"],
        format!("https://shlink.io/api/error/{kind}"),
        "body: {body}"
    );
    assert_eq!(body["status"], status);
    body
}

/// Worker settings for tests: small batches, a short lease, and millisecond retries.
pub fn test_worker_settings() -> linkpulse::pipeline::worker::WorkerSettings {
    use std::time::Duration;
    linkpulse::pipeline::worker::WorkerSettings {
        batch_size: 64,
        lease: Duration::from_secs(30),
        idle_pause: Duration::from_millis(10),
        backoff: linkpulse::pipeline::retry::Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_secs(1),
            max_attempts: 5,
        },
    }
}

/// A worker over `store` without a geo database, with its own metrics.
pub fn test_worker(
    store: Arc<dyn Store>,
    settings: linkpulse::pipeline::worker::WorkerSettings,
) -> linkpulse::pipeline::worker::Worker {
    use linkpulse::pipeline::enrich::{Enricher, GeoIp};
    let enricher = Arc::new(Enricher::new(Arc::new(GeoIp::open(None)), true));
    linkpulse::pipeline::worker::Worker::new(
        store,
        enricher,
        settings,
        linkpulse::pipeline::metrics::PipelineMetrics::unscraped(),
    )
}

impl TestApp {
    /// Processes the outbox until nothing is claimable (start the app with `--workers 0`).
    pub async fn drain(&self) {
        let worker = test_worker(Arc::clone(&self.store), test_worker_settings());
        while worker.try_execute_batch().await.expect("worker batch") > 0 {}
    }
}

impl TestApp {
    /// Runs a statement straight on the test database (fault injection, raw checks).
    pub async fn execute_sql(&self, sql: &str) {
        // Fault injection written by the tests themselves, never outside input.
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        if self.database_url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.database_url)
                .await
                .expect("sqlite");
            sqlx::raw_sql(sql).execute(&pool).await.expect("sql");
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url)
                .await
                .expect("postgres");
            sqlx::raw_sql(sql).execute(&pool).await.expect("sql");
        }
    }

    /// A single integer from portable SQL such as `SELECT COUNT(*) FROM clicks`.
    pub async fn count(&self, sql: &'static str) -> i64 {
        if self.database_url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.database_url)
                .await
                .expect("sqlite");
            sqlx::query_scalar(sql).fetch_one(&pool).await.expect("sql")
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url)
                .await
                .expect("postgres");
            sqlx::query_scalar(sql).fetch_one(&pool).await.expect("sql")
        }
    }
}
pub mod binary;
pub mod faults;
pub mod geo_fixture;
pub mod load;
pub mod migrations;
pub mod proxy;
pub mod sql_rows;
