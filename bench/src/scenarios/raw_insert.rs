//! P3's reference: the raw insert rate of the same click rows, enriched beforehand (untimed),
//! written straight into `click_rows` (their texts already in the dictionary) with multi-row INSERTs and no outbox, claim or rollups.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use linkpulse::clicks::VisitKind;
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

/// One enriched click as linkpulse stores it: its texts by id in `click_texts`.
struct Row {
    message_id: Uuid,
    link: i64,
    occurred_at: DateTime<Utc>,
    ip: Option<String>,
    bot: bool,
    country_code: Option<String>,
    texts: [Option<i64>; TEXTS],
}

/// The texts of a row, in the order of `COLUMNS`' id columns.
const TEXTS: usize = 10;

const COLUMNS: &str = "INSERT INTO click_rows (message_id, short_url_id, kind_code, occurred_at, \
     enriched_at, ip, potential_bot, country_code, user_agent_id, referer_id, visited_url_id, \
     redirect_url_id, browser_id, browser_version_id, os_id, device_id, country_name_id, \
     city_name_id) ";

/// The texts of the run and the ids they get, as linkpulse's dictionary would give them.
#[derive(Default)]
struct Dictionary {
    ids: HashMap<String, i64>,
}

impl Dictionary {
    fn id(&mut self, text: Option<String>) -> Option<i64> {
        let next = i64::try_from(self.ids.len()).unwrap_or(i64::MAX) + 1;
        text.map(|text| *self.ids.entry(text).or_insert(next))
    }
}

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
    let (rows, dictionary) = enriched_rows(ctx, created, events);
    insert_texts(engine, &db.url, dictionary).await?;
    let chunks: Vec<Vec<Row>> = chunked(rows);
    let queue = Arc::new(Mutex::new(chunks));
    let started = Instant::now();
    match engine {
        Engine::Sqlite => insert_sqlite(&db.url, queue).await?,
        Engine::Postgres => insert_postgres(&db.url, queue).await?,
    }
    let elapsed = started.elapsed();
    let stored = db::scalar(&db.url, "SELECT COUNT(*) FROM click_rows").await?;
    db.drop_now().await?;
    Ok((stored, elapsed))
}

fn enriched_rows(ctx: &Ctx, links: Vec<db::BenchLink>, events: usize) -> (Vec<Row>, Dictionary) {
    let enricher = loader::enricher(ctx.geoip.as_deref());
    let mut mix = EventMix::new(links, 3);
    let mut dictionary = Dictionary::default();
    let now = Utc::now();
    let rows = (0..events)
        .map(|_| {
            let event = mix.event(now);
            let e = enricher.enrich(event.client_ip, event.user_agent.as_deref());
            let location = e.location.unwrap_or_default();
            let texts = [
                event.user_agent,
                event.referrer,
                Some(event.visited_url),
                event.redirect_url,
                e.user_agent.browser,
                e.user_agent.browser_version,
                e.user_agent.os,
                Some(e.user_agent.device.as_str().to_owned()),
                location.country_name,
                location.city_name,
            ]
            .map(|text| dictionary.id(text));
            Row {
                message_id: event.message_id,
                link: event.link_id.unwrap_or_default(),
                occurred_at: event.occurred_at,
                ip: e.stored_ip.map(|ip| ip.to_string()),
                bot: e.potential_bot,
                country_code: location.country_code,
                texts,
            }
        })
        .collect();
    (rows, dictionary)
}

/// Writes the run's texts beforehand (untimed), as the dictionary holds them at steady state.
async fn insert_texts(engine: Engine, url: &str, dictionary: Dictionary) -> anyhow::Result<()> {
    let texts: Vec<(String, i64)> = dictionary.ids.into_iter().collect();
    match engine {
        Engine::Sqlite => {
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await?;
            for chunk in texts.chunks(ROWS) {
                let mut insert =
                    QueryBuilder::<Sqlite>::new("INSERT INTO click_texts (id, value) ");
                insert.push_values(chunk, |mut b, (text, id)| {
                    b.push_bind(*id).push_bind(text);
                });
                insert.build().execute(&pool).await?;
            }
        }
        Engine::Postgres => {
            let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
            for chunk in texts.chunks(ROWS) {
                let mut insert = QueryBuilder::<Postgres>::new(
                    "INSERT INTO click_texts (id, value) OVERRIDING SYSTEM VALUE ",
                );
                insert.push_values(chunk, |mut b, (text, id)| {
                    b.push_bind(*id).push_bind(text);
                });
                insert.build().execute(&pool).await?;
            }
        }
    }
    Ok(())
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
                        .push_bind(VisitKind::ValidShortUrl.code())
                        .push_bind(r.occurred_at.timestamp_millis())
                        .push_bind(Utc::now().timestamp_millis())
                        .push_bind(&r.ip)
                        .push_bind(r.bot)
                        .push_bind(&r.country_code);
                    for id in r.texts {
                        b.push_bind(id);
                    }
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
                        .push_bind(VisitKind::ValidShortUrl.code())
                        .push_bind(r.occurred_at)
                        .push_bind(Utc::now())
                        .push_bind(&r.ip)
                        .push_bind(r.bot)
                        .push_bind(&r.country_code);
                    for id in r.texts {
                        b.push_bind(id);
                    }
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
