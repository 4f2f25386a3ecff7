//! What every store story starts from: a fresh, migrated store of one engine (a temporary
//! SQLite file, or a Postgres database of its own dropped afterwards), and link builders.

use chrono::{DateTime, Utc};
use sqlx::Connection;
use tempfile::TempDir;
use url::Url;

use crate::links::{Domain, LinkAddress, LongUrl, NewShortUrl, OwnOrigin, ShortCode, Tag};
use crate::store::Store;
use crate::store::engine::Engine;
use crate::store::postgres::PgStore;
use crate::store::sql::Sql;
use crate::store::sqlite::SqliteStore;

/// A fresh store of one engine, cleaned up when dropped.
pub(super) trait Fixture: Sized {
    /// The engine's store.
    type Store: Engine + Store;

    /// A newly created, migrated, empty store.
    async fn fresh() -> Self;

    /// The store under test.
    fn store(&self) -> &Self::Store;
}

/// SQLite in a temporary folder, removed with the fixture.
pub(super) struct SqliteFixture {
    store: SqliteStore,
    _dir: TempDir,
}

impl Fixture for SqliteFixture {
    type Store = SqliteStore;

    async fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = SqliteStore::connect(&url).await.expect("connect");
        Store::migrate(&store).await.expect("migrate");
        Self { store, _dir: dir }
    }

    fn store(&self) -> &SqliteStore {
        &self.store
    }
}

/// A Postgres database of its own on the `TEST_DATABASE_URL` server, dropped with the fixture
/// (tests leave nothing behind).
pub(super) struct PgFixture {
    store: PgStore,
    admin_url: String,
    name: String,
}

impl Fixture for PgFixture {
    type Store = PgStore;

    async fn fresh() -> Self {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .expect("TEST_DATABASE_URL must be set for the Postgres tests");
        let name = format!("lp_unit_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to TEST_DATABASE_URL");
        // The name is ours (a UUID), not user input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.expect("close admin connection");
        let mut url = Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        let store = PgStore::connect(url.as_str())
            .await
            .expect("connect to test database");
        Store::migrate(&store).await.expect("migrations apply");
        Self {
            store,
            admin_url,
            name,
        }
    }

    fn store(&self) -> &PgStore {
        &self.store
    }
}

impl Drop for PgFixture {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // `Drop` cannot await: the database is dropped from a runtime on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                // The name is ours (a UUID), not user input.
                let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(drop))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                Ok::<_, anyhow::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// A short code on the default domain.
pub(super) fn code(raw: &str) -> LinkAddress {
    LinkAddress::default_domain(ShortCode::parse(raw).expect("valid code"))
}

/// A valid new link with the given code, URL and tags and no other options.
pub(super) fn new_link(code_raw: &str, url: &str, tags: &[&str]) -> NewShortUrl {
    let base = Url::parse("https://lp.test/").expect("base");
    NewShortUrl {
        domain: Domain::Default,
        short_code: code(code_raw).code,
        long_url: LongUrl::parse(url, &OwnOrigin::of(&base)).expect("valid long URL"),
        title: None,
        valid_since: None,
        valid_until: None,
        max_visits: None,
        crawlable: false,
        forward_query: true,
        tags: Tag::parse_all(tags).expect("valid tags"),
        author_key_id: None,
        date_created: None,
        rules: crate::links::rules::RedirectRules::default(),
        expired_url: None,
        password: None,
        split: crate::links::Split::default(),
    }
}

/// Overwrites a link's visit counters, as the click pipeline would.
pub(super) async fn set_visits(store: &impl Engine, code: &str, total: i64, bots: i64) {
    let mut update = Sql::new("UPDATE short_urls SET visits_total = ");
    update.bind(total).push(", visits_bots = ").bind(bots);
    update.push(" WHERE short_code = ").bind(code);
    let changed = store.execute(update).await.expect("set visits");
    assert_eq!(changed, 1, "no link {code}");
}

/// Overwrites a link's creation instant, to test date ranges and ordering.
pub(super) async fn set_created_at(store: &impl Engine, code: &str, at: DateTime<Utc>) {
    let mut update = Sql::new("UPDATE short_urls SET created_at = ");
    update.bind(at).push(" WHERE short_code = ").bind(code);
    let changed = store.execute(update).await.expect("set created_at");
    assert_eq!(changed, 1, "no link {code}");
}

/// How many rows `table` holds.
pub(super) async fn count_rows(store: &impl Engine, table: &'static str) -> i64 {
    let (rows,): (i64,) = store
        .fetch_one(Sql::new(format!("SELECT COUNT(*) FROM {table}")))
        .await
        .expect("count rows");
    rows
}
