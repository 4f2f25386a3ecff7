//! Fresh databases for each run (a SQLite file in a temp dir, or a new PostgreSQL database that is
//! dropped afterwards), the links the scenarios redirect through, and size on disk.

use std::sync::Arc;

use anyhow::Context;
use linkpulse::links::NewShortUrl;
use linkpulse::links::rules::{ConditionParts, RedirectRule, RedirectRules};
use linkpulse::links::{
    DestinationParts, Domain, LinkAddress, LongUrl, ShortCode, ShortUrlPatch, Split,
};
use linkpulse::store::{self, Store};
use sqlx::Connection;
use url::Url;

/// The database engines linkpulse supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Engine {
    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// A database created for one measurement; `drop_now` removes it.
pub struct FreshDb {
    /// Which engine.
    pub engine: Engine,
    /// The URL servers and the store connect with.
    pub url: String,
    /// Holds the SQLite file (removed on drop).
    pub dir: tempfile::TempDir,
    /// The PostgreSQL maintenance URL and database name, to drop it later.
    postgres: Option<(String, String)>,
}

impl FreshDb {
    /// A new, empty database on `engine` (`admin_url` names the PostgreSQL server).
    pub async fn create(engine: Engine, admin_url: Option<&str>) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("lp-bench-").tempdir()?;
        match engine {
            Engine::Sqlite => Ok(Self {
                engine,
                url: format!("sqlite://{}/lp.db", dir.path().display()),
                dir,
                postgres: None,
            }),
            Engine::Postgres => {
                let admin = admin_url.context("no PostgreSQL URL configured")?;
                let name = format!("lp_bench_{}", uuid::Uuid::now_v7().simple());
                let mut conn = sqlx::PgConnection::connect(admin).await?;
                // The name is ours (a UUID), never user input.
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await?;
                let mut url = Url::parse(admin)?;
                url.set_path(&name);
                // Plain TCP, as linkpulse itself connects to a loopback server without an
                // sslmode, so the reference (b) pays for TLS no more than linkpulse does.
                if url.query().is_none() {
                    url.set_query(Some("sslmode=disable"));
                }
                Ok(Self {
                    engine,
                    url: url.to_string(),
                    dir,
                    postgres: Some((admin.to_owned(), name)),
                })
            }
        }
    }

    /// Connects linkpulse's store and applies its migrations.
    pub async fn store(&self) -> anyhow::Result<Arc<dyn Store>> {
        let store = store::connect(&self.url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Bytes on disk: the SQLite file with its WAL, or `pg_database_size`.
    pub async fn size_bytes(&self) -> anyhow::Result<u64> {
        match self.engine {
            Engine::Sqlite => {
                let mut total = 0;
                for entry in std::fs::read_dir(self.dir.path())? {
                    let entry = entry?;
                    if entry.file_name().to_string_lossy().starts_with("lp.db") {
                        total += entry.metadata()?.len();
                    }
                }
                Ok(total)
            }
            Engine::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await?;
                let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(&mut conn)
                    .await?;
                Ok(u64::try_from(size).unwrap_or(0))
            }
        }
    }

    /// Removes the database (the SQLite temp dir goes when `self` is dropped).
    pub async fn drop_now(self) -> anyhow::Result<()> {
        if let Some((admin, name)) = &self.postgres {
            let mut conn = sqlx::PgConnection::connect(admin).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await?;
        }
        Ok(())
    }
}

/// After a bulk load: total size on disk (SQLite checkpointed first) and each table's share,
/// its indexes included, largest first, so a report can say where the bytes go.
pub async fn sizes_after_load(db: &FreshDb) -> anyhow::Result<(u64, Vec<(String, u64)>)> {
    let tables: Vec<(String, i64)> = match db.engine {
        Engine::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut conn)
                .await?;
            sqlx::query_as(
                "SELECT s.tbl_name, SUM(d.pgsize) FROM dbstat d
                 JOIN sqlite_schema s ON s.name = d.name
                 GROUP BY s.tbl_name ORDER BY 2 DESC",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default()
        }
        Engine::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await?;
            sqlx::query_as(
                "SELECT relname::text, pg_total_relation_size(oid) FROM pg_class
                 WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace
                 ORDER BY 2 DESC",
            )
            .fetch_all(&mut conn)
            .await?
        }
    };
    let size = db.size_bytes().await?;
    let tables = tables
        .into_iter()
        .map(|(name, bytes)| (name, u64::try_from(bytes).unwrap_or(0)))
        .collect();
    Ok((size, tables))
}

/// One integer from `sql` run on the database at `url` (either engine).
pub async fn scalar(url: &str, sql: &'static str) -> anyhow::Result<i64> {
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        Ok(sqlx::query_scalar(sql).fetch_one(&mut conn).await?)
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        Ok(sqlx::query_scalar(sql).fetch_one(&mut conn).await?)
    }
}

/// A link created for a benchmark.
#[derive(Debug, Clone)]
pub struct BenchLink {
    /// Row id (what click events carry).
    pub id: i64,
    /// Its short code.
    pub code: String,
    /// Where it redirects.
    pub long_url: String,
}

/// Creates links `bench0` … `bench{count-1}` through the store.
pub async fn create_links(store: &dyn Store, count: usize) -> anyhow::Result<Vec<BenchLink>> {
    let own_base = Url::parse("http://127.0.0.1/")?;
    let mut links = Vec::with_capacity(count);
    for i in 0..count {
        let code = format!("bench{i}");
        let long_url = format!("https://example.com/landing/{i}");
        let created = store
            .create_short_url(&NewShortUrl {
                domain: Domain::Default,
                short_code: ShortCode::parse(&code)?,
                long_url: LongUrl::parse(&long_url, &linkpulse::links::OwnOrigin::of(&own_base))?,
                title: Some(format!("Benchmark link {i}")),
                valid_since: None,
                valid_until: None,
                max_visits: None,
                crawlable: false,
                forward_query: true,
                tags: Vec::new(),
                author_key_id: None,
                date_created: None,
                rules: RedirectRules::default(),
                expired_url: None,
                password: None,
                split: Split::default(),
            })
            .await?;
        links.push(BenchLink {
            id: created.id,
            code,
            long_url,
        });
    }
    Ok(links)
}

/// Gives each link an A/B split: half its visitors to its long URL, 30% and 20% elsewhere.
pub async fn add_split(store: &dyn Store, links: &[BenchLink]) -> anyhow::Result<()> {
    let parts = [
        DestinationParts {
            long_url: "https://example.com/variant-b".to_owned(),
            weight: 30,
        },
        DestinationParts {
            long_url: "https://example.com/variant-c".to_owned(),
            weight: 20,
        },
    ];
    let patch = ShortUrlPatch {
        split: Some(Split::parse_stored(&parts)?),
        ..ShortUrlPatch::default()
    };
    for link in links {
        store
            .update_short_url(
                &LinkAddress::default_domain(ShortCode::parse(&link.code)?),
                &patch,
            )
            .await?;
    }
    Ok(())
}

/// Gives each link five redirect rules that the benchmark's requests never match (device,
/// language, query, address, date): the worst case, every rule evaluated on every redirect.
pub async fn add_five_rules(store: &dyn Store, links: &[BenchLink]) -> anyhow::Result<()> {
    let conditions = [
        ("device", None, "android"),
        ("language", None, "fr"),
        ("query-param", Some("utm"), "never"),
        ("ip-address", None, "10.0.0.0/8"),
        ("before-date", None, "2000-01-01"),
    ];
    let rules = conditions
        .iter()
        .enumerate()
        .map(|(i, (kind, key, value))| {
            let parts = [ConditionParts {
                kind: (*kind).to_owned(),
                match_key: key.map(str::to_owned),
                match_value: Some((*value).to_owned()),
            }];
            RedirectRule::parse_stored(&format!("https://example.com/rule/{i}"), &parts)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rules = RedirectRules::new(rules)?;
    for link in links {
        store
            .set_redirect_rules(
                &LinkAddress::default_domain(ShortCode::parse(&link.code)?),
                &rules,
            )
            .await?;
    }
    Ok(())
}

/// A receiver in the harness that answers every webhook delivery 204 and counts them.
pub struct Receiver {
    received: Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Deliveries received so far.
    pub fn received(&self) -> u64 {
        self.received.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a [`Receiver`] and registers it as a webhook for every visit.
pub async fn add_webhook(store: &dyn Store) -> anyhow::Result<Receiver> {
    use linkpulse::consumers::{Events, NewWebhook, WebhookSecret, check_url};
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    store
        .add_webhook(&NewWebhook {
            name: "bench".into(),
            url: check_url(&format!("http://{address}/hook"))?,
            events: Events::parse("new-visit")?,
            secret: WebhookSecret::generate(),
        })
        .await?;
    Ok(Receiver { received, task })
}
