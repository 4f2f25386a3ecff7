//! The reference servers P1 compares linkpulse with: a bare axum app that answers a fixed 302
//! from a `HashMap` (the ceiling), optionally inserting each click synchronously into SQLite or
//! PostgreSQL before it answers (the naive way to record every click).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// Where the bare server records clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BareMode {
    /// Records nothing: the fastest a redirect can be answered.
    Fixed,
    /// One autocommitted INSERT per request into SQLite (WAL, synchronous=NORMAL, like linkpulse).
    Sqlite,
    /// One autocommitted INSERT per request into PostgreSQL.
    Postgres,
}

/// Flags of `bench serve-bare`.
#[derive(Debug, Clone, clap::Args)]
pub struct BareArgs {
    /// What to do with each click.
    #[arg(long, value_enum)]
    pub mode: BareMode,
    /// Address to listen on.
    #[arg(long)]
    pub listen: SocketAddr,
    /// Database for `sqlite` / `postgres` modes.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Links `bench0` … `bench{N-1}` to serve.
    #[arg(long, default_value_t = 100)]
    pub links: usize,
}

/// The click sink of a recording bare server.
#[derive(Clone)]
enum Sink {
    None,
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone)]
struct Bare {
    links: Arc<HashMap<String, String>>,
    sink: Sink,
}

/// Runs the bare server until killed.
pub fn main(args: &BareArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(args))
}

async fn serve(args: &BareArgs) -> anyhow::Result<()> {
    let links = (0..args.links)
        .map(|i| {
            (
                format!("bench{i}"),
                format!("https://example.com/landing/{i}"),
            )
        })
        .collect();
    let url = || {
        args.database_url
            .clone()
            .ok_or_else(|| anyhow::anyhow!("--database-url is required for this mode"))
    };
    let sink = match args.mode {
        BareMode::Fixed => Sink::None,
        BareMode::Sqlite => Sink::Sqlite(open_sqlite(&url()?).await?),
        BareMode::Postgres => Sink::Postgres(open_postgres(&url()?).await?),
    };
    let state = Bare {
        links: Arc::new(links),
        sink,
    };
    let app = Router::new()
        .route("/{code}", get(follow))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

async fn open_sqlite(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS bare_clicks (id INTEGER PRIMARY KEY, code TEXT NOT NULL,
         occurred_at INTEGER NOT NULL, ip TEXT, user_agent TEXT, referer TEXT)",
    )
    .execute(&pool)
    .await?;
    Ok(pool)
}

async fn open_postgres(url: &str) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(url)
        .await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS bare_clicks (id BIGSERIAL PRIMARY KEY, code TEXT NOT NULL,
         occurred_at BIGINT NOT NULL, ip TEXT, user_agent TEXT, referer TEXT)",
    )
    .execute(&pool)
    .await?;
    Ok(pool)
}

async fn follow(
    State(bare): State<Bare>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(target) = bare.links.get(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (ua, referer) = (text(header::USER_AGENT), text(header::REFERER));
    let (ip, at) = (peer.ip().to_string(), Utc::now().timestamp_millis());
    let recorded = match &bare.sink {
        Sink::None => Ok(()),
        Sink::Sqlite(pool) => sqlx::query(
            "INSERT INTO bare_clicks (code, occurred_at, ip, user_agent, referer)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&code)
        .bind(at)
        .bind(ip)
        .bind(ua)
        .bind(referer)
        .execute(pool)
        .await
        .map(drop),
        Sink::Postgres(pool) => sqlx::query(
            "INSERT INTO bare_clicks (code, occurred_at, ip, user_agent, referer)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&code)
        .bind(at)
        .bind(ip)
        .bind(ua)
        .bind(referer)
        .execute(pool)
        .await
        .map(drop),
    };
    match recorded {
        Ok(()) => (StatusCode::FOUND, [(header::LOCATION, target.clone())]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
