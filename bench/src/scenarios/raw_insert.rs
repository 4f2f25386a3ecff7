//! P3's reference: the raw insert rate of the same click rows, enriched beforehand (untimed),
//! written straight into `clicks` with multi-row INSERTs and no outbox, claim or rollups.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, QueryBuilder, Sqlite};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::db::{self, Engine, FreshDb};
use crate::loader;
use crate::mix::EventMix;
use crate::scenarios::Ctx;

/// Concurrent writers (SQLite serialises them on its one write connection, as linkpulse does).
pub const WRITERS: usize = 2;
/// Rows per INSERT statement and transaction (linkpulse's default worker batch).
const ROWS: usize = 512;

/// One enriched click as stored.
struct Row {
    message_id: Uuid,
    link: i64,
    occurred_at: DateTime<Utc>,
    ip: Option<String>,
    user_agent: Option<String>,
    referer: Option<String>,
    visited_url: String,
    redirect_url: Option<String>,
    bot: bool,
    browser: Option<String>,
    browser_version: Option<String>,
    os: Option<String>,
    device: &'static str,
    country_code: Option<String>,
    country_name: Option<String>,
    city_name: Option<String>,
}

const COLUMNS: &str = "INSERT INTO clicks (message_id, short_url_id, kind, occurred_at, enriched_at, \
     ip, user_agent, referer, visited_url, redirect_url, potential_bot, browser, browser_version, \
     os, device, country_code, country_name, city_name) ";

/// Inserts `events` rows into a fresh database; returns how many were stored and the time.
pub async fn measure(
    ctx: &Ctx,
    engine: Engine,
    events: usize,
    links: usize,
) -> anyhow::Result<(i64, Duration)> {
    let db = FreshDb::create(engine, ctx.postgres.as_deref()).await?;
    let store = db.store().await?;
    let created = db::create_links(store.as_ref(), links).await?;
    drop(store);
    let rows = enriched_rows(ctx, created, events);
    let chunks: Vec<Vec<Row>> = chunked(rows);
    let queue = Arc::new(Mutex::new(chunks));
    let started = Instant::now();
    match engine {
        Engine::Sqlite => insert_sqlite(&db.url, queue).await?,
        Engine::Postgres => insert_postgres(&db.url, queue).await?,
    }
    let elapsed = started.elapsed();
    let stored = db::scalar(&db.url, "SELECT COUNT(*) FROM clicks").await?;
    db.drop_now().await?;
    Ok((stored, elapsed))
}

fn enriched_rows(ctx: &Ctx, links: Vec<db::BenchLink>, events: usize) -> Vec<Row> {
    let enricher = loader::enricher(ctx.geoip.as_deref());
    let mut mix = EventMix::new(links, 3);
    let now = Utc::now();
    (0..events)
        .map(|_| {
            let event = mix.event(now);
            let e = enricher.enrich(event.client_ip, event.user_agent.as_deref());
            let location = e.location.unwrap_or_default();
            Row {
                message_id: event.message_id,
                link: event.link_id.unwrap_or_default(),
                occurred_at: event.occurred_at,
                ip: e.stored_ip.map(|ip| ip.to_string()),
                user_agent: event.user_agent,
                referer: event.referrer,
                visited_url: event.visited_url,
                redirect_url: event.redirect_url,
                bot: e.potential_bot,
                browser: e.user_agent.browser,
                browser_version: e.user_agent.browser_version,
                os: e.user_agent.os,
                device: e.user_agent.device.as_str(),
                country_code: location.country_code,
                country_name: location.country_name,
                city_name: location.city_name,
            }
        })
        .collect()
}

fn chunked(rows: Vec<Row>) -> Vec<Vec<Row>> {
    let mut rows = rows.into_iter();
    let mut chunks = Vec::new();
    loop {
        let chunk: Vec<Row> = rows.by_ref().take(ROWS).collect();
        if chunk.is_empty() {
            return chunks;
        }
        chunks.push(chunk);
    }
}

type Queue = Arc<Mutex<Vec<Vec<Row>>>>;

/// Takes the next chunk, releasing the lock before the caller inserts it.
async fn next_chunk(queue: &Queue) -> Option<Vec<Row>> {
    queue.lock().await.pop()
}

async fn insert_sqlite(url: &str, queue: Queue) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let (pool, queue) = (pool.clone(), Arc::clone(&queue));
        tasks.push(tokio::spawn(async move {
            while let Some(chunk) = next_chunk(&queue).await {
                let mut insert = QueryBuilder::<Sqlite>::new(COLUMNS);
                insert.push_values(&chunk, |mut b, r| {
                    b.push_bind(r.message_id)
                        .push_bind(r.link)
                        .push_bind("valid_short_url")
                        .push_bind(r.occurred_at.timestamp_millis())
                        .push_bind(Utc::now().timestamp_millis())
                        .push_bind(&r.ip)
                        .push_bind(&r.user_agent)
                        .push_bind(&r.referer)
                        .push_bind(&r.visited_url)
                        .push_bind(&r.redirect_url)
                        .push_bind(r.bot)
                        .push_bind(&r.browser)
                        .push_bind(&r.browser_version)
                        .push_bind(&r.os)
                        .push_bind(r.device)
                        .push_bind(&r.country_code)
                        .push_bind(&r.country_name)
                        .push_bind(&r.city_name);
                });
                let mut tx = pool.begin().await?;
                insert.build().execute(&mut *tx).await?;
                tx.commit().await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

async fn insert_postgres(url: &str, queue: Queue) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(WRITERS as u32)
        .connect(url)
        .await?;
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let (pool, queue) = (pool.clone(), Arc::clone(&queue));
        tasks.push(tokio::spawn(async move {
            while let Some(chunk) = next_chunk(&queue).await {
                let mut insert = QueryBuilder::<Postgres>::new(COLUMNS);
                insert.push_values(&chunk, |mut b, r| {
                    b.push_bind(r.message_id)
                        .push_bind(r.link)
                        .push_bind("valid_short_url")
                        .push_bind(r.occurred_at)
                        .push_bind(Utc::now())
                        .push_bind(&r.ip)
                        .push_bind(&r.user_agent)
                        .push_bind(&r.referer)
                        .push_bind(&r.visited_url)
                        .push_bind(&r.redirect_url)
                        .push_bind(r.bot)
                        .push_bind(&r.browser)
                        .push_bind(&r.browser_version)
                        .push_bind(&r.os)
                        .push_bind(r.device)
                        .push_bind(&r.country_code)
                        .push_bind(&r.country_name)
                        .push_bind(&r.city_name);
                });
                let mut tx = pool.begin().await?;
                insert.build().execute(&mut *tx).await?;
                tx.commit().await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}
