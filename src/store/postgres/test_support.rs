//! Test-only helpers for the Postgres store: a fresh, migrated database per test and link fixtures.

use chrono::{DateTime, Utc};
use sqlx::Connection;
use url::Url;

use super::PgStore;
use crate::links::NewShortUrl;
use crate::links::{LongUrl, ShortCode, Tag};
use crate::store::Store;

/// A migrated store on a database of its own, dropped with it (tests leave nothing behind).
pub(super) struct TestPgStore {
    store: PgStore,
    admin_url: String,
    name: String,
}

impl std::ops::Deref for TestPgStore {
    type Target = PgStore;

    fn deref(&self) -> &PgStore {
        &self.store
    }
}

impl Drop for TestPgStore {
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

/// Creates an empty database on the `TEST_DATABASE_URL` server and returns a migrated store on it.
pub(super) async fn fresh_store() -> TestPgStore {
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
    store.migrate().await.expect("migrations apply");
    TestPgStore {
        store,
        admin_url,
        name,
    }
}

/// A link to `long_url` with the given code and tags and every option at its default.
pub(super) fn new_link(code: &str, long_url: &str, tags: &[&str]) -> NewShortUrl {
    let base = Url::parse("https://lp.test/").expect("base URL");
    NewShortUrl {
        short_code: ShortCode::parse(code).expect("valid code"),
        long_url: LongUrl::parse(long_url, &base).expect("valid long URL"),
        title: None,
        valid_since: None,
        valid_until: None,
        max_visits: None,
        crawlable: false,
        forward_query: true,
        tags: Tag::parse_all(tags).expect("valid tags"),
    }
}

/// Sets a link's visit counters directly (the visit pipeline is not under test here).
pub(super) async fn set_visits(store: &PgStore, code: &str, total: i64, bots: i64) {
    let done = sqlx::query(
        "UPDATE short_urls SET visits_total = $1, visits_bots = $2 WHERE short_code = $3",
    )
    .bind(total)
    .bind(bots)
    .bind(code)
    .execute(&store.pool)
    .await
    .expect("update visits");
    assert_eq!(done.rows_affected(), 1, "no link {code}");
}

/// Back-dates a link's creation instant.
pub(super) async fn set_created_at(store: &PgStore, code: &str, at: DateTime<Utc>) {
    let done = sqlx::query("UPDATE short_urls SET created_at = $1 WHERE short_code = $2")
        .bind(at)
        .bind(code)
        .execute(&store.pool)
        .await
        .expect("update created_at");
    assert_eq!(done.rows_affected(), 1, "no link {code}");
}
