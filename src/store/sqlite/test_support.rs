//! Test fixtures for the SQLite store tests: a migrated temporary database and link builders.

use chrono::{DateTime, Utc};
use tempfile::TempDir;
use url::Url;

use crate::links::NewShortUrl;
use crate::links::{LongUrl, ShortCode, Tag};
use crate::store::Store;
use crate::store::sqlite::{SqliteStore, to_millis};

/// A freshly migrated store in a temporary folder; keep the folder alive as long as the store.
pub(in crate::store::sqlite) async fn store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    (dir, store)
}

/// A parsed short code.
pub(in crate::store::sqlite) fn code(raw: &str) -> ShortCode {
    ShortCode::parse(raw).expect("valid code")
}

/// A valid new link with the given code, URL and tags and no other options.
pub(in crate::store::sqlite) fn new_link(code_raw: &str, url: &str, tags: &[&str]) -> NewShortUrl {
    let base = Url::parse("https://lp.test/").expect("base");
    NewShortUrl {
        short_code: code(code_raw),
        long_url: LongUrl::parse(url, &base).expect("valid long URL"),
        title: None,
        valid_since: None,
        valid_until: None,
        max_visits: None,
        crawlable: false,
        forward_query: true,
        tags: tags.iter().map(|t| Tag::parse(t).expect("tag")).collect(),
    }
}

/// Overwrites a link's visit counters, as the click pipeline would.
pub(in crate::store::sqlite) async fn set_visits(
    store: &SqliteStore,
    code: &str,
    total: i64,
    bots: i64,
) {
    sqlx::query("UPDATE short_urls SET visits_total = ?, visits_bots = ? WHERE short_code = ?")
        .bind(total)
        .bind(bots)
        .bind(code)
        .execute(&store.writer)
        .await
        .expect("set visits");
}

/// Overwrites a link's creation instant, to test date ranges and ordering.
pub(in crate::store::sqlite) async fn set_created_at(
    store: &SqliteStore,
    code: &str,
    at: DateTime<Utc>,
) {
    sqlx::query("UPDATE short_urls SET created_at = ? WHERE short_code = ?")
        .bind(to_millis(at))
        .bind(code)
        .execute(&store.writer)
        .await
        .expect("set created_at");
}
