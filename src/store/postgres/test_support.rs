//! Test-only helpers for the Postgres store: a fresh, migrated database per test and link fixtures.

use chrono::{DateTime, Utc};
use sqlx::Connection;
use url::Url;

use super::PgStore;
use crate::links::{LongUrl, ShortCode, Tag};
use crate::store::{NewShortUrl, Store};

/// Creates an empty database on the `TEST_DATABASE_URL` server and returns a migrated store on it.
pub(super) async fn fresh_store() -> PgStore {
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
    store
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
