//! The `serve` and `worker` flags of the real binary, each proven wired by its effect on both
//! backends: `--anonymize-ip`, the `--retry-*` schedule, `--click-ack-timeout` (and the outbox
//! writer retrying a failed commit), `--worker-batch`, `--pipeline-nice`, and the `linkpulse
//! worker` subcommand.

mod common;

#[path = "flags/ack.rs"]
mod ack;
#[path = "flags/anonymize.rs"]
mod anonymize;
#[path = "flags/priority.rs"]
mod priority;
#[path = "flags/retry.rs"]
mod retry;
#[path = "flags/workers.rs"]
mod workers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::binary::Server;
use common::faults;
use common::load::database_with_link;
use common::{Backend, TestDatabase};
use linkpulse::clicks::OutboxEntry;
use linkpulse::clicks::VisitKind;
use linkpulse::links::ShortCode;
use linkpulse::pipeline::event::ClickEvent;
use linkpulse::store::Store;
use reqwest::StatusCode;
use uuid::Uuid;

/// Every redirect in these tests goes to this link.
pub const CODE: &str = "flag";

/// A desktop Chrome user agent, so a stored `browser` of `Chrome` proves the click was enriched.
pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// How long to wait for the pipeline when the flag under test does not bound the time itself.
pub const PIPELINE_DEADLINE: Duration = Duration::from_secs(20);

/// A fresh, migrated database holding the link [`CODE`], and the ways a test reaches it.
pub struct Fixture {
    /// The database URL to hand to the binary.
    pub url: String,
    /// The store API on the same database.
    pub store: Arc<dyn Store>,
    /// Raw SQL on the same database.
    pub sql: Sql,
    /// The engine, for the dialect of injected triggers.
    backend: Backend,
    /// The link's id.
    pub link_id: i64,
    // Declared last so it is dropped last: the database outlives every connection above.
    _database: TestDatabase,
}

/// Creates the database and the link [`CODE`] before any server starts, so tests can inject
/// faults before the first click.
pub async fn fixture(backend: Backend) -> Fixture {
    let (url, database, store) = database_with_link(backend, CODE).await;
    let code = ShortCode::parse(CODE).expect("short code");
    let link_id = store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .expect("find")
        .expect("link")
        .id;
    let sql = Sql::connect(&url).await;
    Fixture {
        url,
        store,
        sql,
        backend,
        link_id,
        _database: database,
    }
}

impl Fixture {
    /// Makes every insert into `table` fail, as a database refusing writes would.
    pub async fn fail_inserts_into(&self, table: &str) {
        let sql = faults::refuse_inserts(self.backend, table, "injected failure");
        self.sql.execute(sql).await;
    }

    /// Undoes [`Fixture::fail_inserts_into`].
    pub async fn clear_insert_failure(&self, table: &str) {
        self.sql
            .execute(faults::allow_inserts(self.backend, table))
            .await;
    }

    /// Rows in `clicks`.
    pub async fn clicks(&self) -> i64 {
        self.sql.integer("SELECT COUNT(*) FROM clicks").await
    }

    /// Rows waiting in the outbox.
    pub async fn backlog(&self) -> i64 {
        self.store
            .outbox_stats()
            .await
            .expect("outbox stats")
            .backlog
    }
}

/// A pool on the test database for SQL the store API does not offer (faults, raw checks).
pub enum Sql {
    /// A SQLite file.
    Sqlite(sqlx::SqlitePool),
    /// A Postgres database.
    Postgres(sqlx::PgPool),
}

impl Sql {
    /// Connects to `url`.
    async fn connect(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Self::Sqlite(sqlx::SqlitePool::connect(url).await.expect("sqlite"))
        } else {
            Self::Postgres(sqlx::PgPool::connect(url).await.expect("postgres"))
        }
    }

    /// Runs statements built by the tests (table names are ours, never input).
    async fn execute(&self, sql: String) {
        let sql = sqlx::AssertSqlSafe(sql);
        match self {
            Self::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            Self::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        }
        .expect("sql");
    }

    /// A single integer from portable SQL such as `SELECT COUNT(*) FROM clicks`.
    pub async fn integer(&self, sql: &'static str) -> i64 {
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .expect("sql")
    }

    /// A single nullable text value, such as `SELECT ip FROM clicks`.
    pub async fn text(&self, sql: &'static str) -> Option<String> {
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .expect("sql")
    }
}

/// An outbox row for a Chrome visit of the fixture's link.
pub fn queued_click(fixture: &Fixture) -> OutboxEntry {
    let event = ClickEvent {
        message_id: Uuid::now_v7(),
        kind: VisitKind::ValidShortUrl,
        link_id: Some(fixture.link_id),
        occurred_at: Utc::now(),
        client_ip: Some("198.51.100.7".parse().expect("IP")),
        user_agent: Some(CHROME.into()),
        referrer: None,
        visited_url: format!("http://lp.test/{CODE}"),
        redirect_url: Some("https://example.com/".into()),
        destination: None,
        traceparent: None,
    };
    event.to_outbox_entry(Utc::now())
}

/// Sends `GET /flag` from Chrome with `headers`; returns the status and how long the answer took.
pub async fn redirect(server: &Server, headers: &[(&str, &str)]) -> (StatusCode, Duration) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client
        .get(format!("{}/{CODE}", server.address))
        .header("User-Agent", CHROME);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let started = Instant::now();
    let response = request.send().await.expect("redirect request");
    (response.status(), started.elapsed())
}

/// Polls `check` every 20 ms until it holds, panicking after `within`; returns the time it took.
pub async fn wait_for(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> bool,
) -> Duration {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}
