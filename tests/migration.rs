//! Upgrading a database made by the previous release (migrations through 0030) to the lean click
//! layout (0040), short visitor hashes (0041) and coded kinds with binary hashes (0065): every
//! stored click comes back unchanged through the `clicks` view, each text is stored once, the upgraded server stores new clicks
//! beside the moved ones, and a visitor seen before the upgrade is not counted unique again.

mod common;

use std::time::{Duration, Instant};

use chrono::{NaiveTime, Utc};
use common::migrations::migrate_before;
use common::{Backend, fresh_database, spawn_app_on, sql_rows};
use linkpulse::pipeline::visitor::visitor_hash;
use uuid::Uuid;

/// The first migration of the lean layout; the previous release ended before it.
const LEAN_LAYOUT: i64 = 40;

/// A click as every release shows it through `clicks` (times left out: their type differs per
/// engine, and they are copied as they are).
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct StoredClick {
    id: i64,
    message_id: Uuid,
    short_url_id: Option<i64>,
    kind: String,
    ip: Option<String>,
    user_agent: Option<String>,
    referer: Option<String>,
    visited_url: Option<String>,
    redirect_url: Option<String>,
    potential_bot: bool,
    browser: Option<String>,
    browser_version: Option<String>,
    os: Option<String>,
    device: String,
    country_code: Option<String>,
    country_name: Option<String>,
    region_name: Option<String>,
    city_name: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    timezone: Option<String>,
    traceparent: Option<String>,
    visitor_hash: Option<String>,
    referrer_domain: Option<String>,
}

/// Every click, by id.
const ALL_CLICKS: &str = "SELECT id, message_id, short_url_id, kind, ip, user_agent, referer, \
     visited_url, redirect_url, potential_bot, browser, browser_version, os, device, \
     country_code, country_name, region_name, city_name, latitude, longitude, timezone, \
     traceparent, visitor_hash, referrer_domain FROM clicks ORDER BY id";

/// Two clicks sharing every text (13, all different) and an orphan visit whose URL is their
/// referrer, plus its device: 14 distinct texts.
const DISTINCT_TEXTS: i64 = 14;

/// The previous release's rows (ids 1 to 3 in a fresh database), with times as `ts`, the
/// engine's literal.
fn old_rows(uuid: fn(u8) -> String, ts: &str) -> String {
    let texts = "'Mozilla/5.0 Firefox/120.0', 'https://news.example/a', 'https://s.test/moved', \
                 'https://example.com/', false, 'Firefox', '120.0', 'Linux', 'desktop', 'DE', \
                 'Germany', 'Land Berlin', 'Berlin', 52.5, 13.4, 'Europe/Berlin'";
    format!(
        "INSERT INTO short_urls (short_code, long_url, created_at)
             VALUES ('moved', 'https://example.com/', {ts});
         INSERT INTO clicks (message_id, short_url_id, kind, occurred_at, enriched_at, ip,
             user_agent, referer, visited_url, redirect_url, potential_bot, browser,
             browser_version, os, device, country_code, country_name, region_name, city_name,
             latitude, longitude, timezone, traceparent, visitor_hash, referrer_domain)
         VALUES
             ({}, 1, 'valid_short_url', {ts}, {ts}, '192.0.2.0', {texts},
              '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'a1', 'news.example'),
             ({}, 1, 'valid_short_url', {ts}, {ts}, '198.51.100.0', {texts},
              NULL, 'b2', 'news.example'),
             ({}, NULL, 'regular_404', {ts}, {ts}, NULL, NULL, NULL, 'https://news.example/a',
              NULL, true, NULL, NULL, NULL, 'bot', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
              NULL, NULL, NULL);",
        uuid(1),
        uuid(2),
        uuid(3),
    )
}

/// The message id `n` as a UUID literal of SQLite (a 16-byte blob, as sqlx stores it).
fn sqlite_uuid(n: u8) -> String {
    format!("X'0190000000007000800000000000000{n:x}'")
}

/// The message id `n` as a UUID literal of Postgres.
fn postgres_uuid(n: u8) -> String {
    format!("'01900000-0000-7000-8000-00000000000{n:x}'")
}

/// Builds the previous release's schema at `url` and fills it with [`old_rows`].
async fn previous_release(backend: Backend, url: &str) {
    let rows = match backend {
        Backend::Sqlite => old_rows(sqlite_uuid, "1733011200000"),
        Backend::Postgres => old_rows(postgres_uuid, "'2024-12-01T00:00:00Z'"),
    };
    migrate_before(backend, url, LEAN_LAYOUT).await;
    sql_rows::execute(url, rows).await;
}

/// Records today's visitor of `GET /moved` from this test (127.0.0.1, no user agent) in
/// `visitor_days` as the previous release did, with the whole 64-character digest (its first 16
/// characters are today's short hash), under today's salt written as that release did; returns
/// that long hash.
async fn visitor_seen_today(backend: Backend, url: &str) -> String {
    let salt = "salt-of-today-as-the-previous-release-made-it";
    let short = visitor_hash(salt, 1, "127.0.0.1".parse().expect("ip"), None);
    let long = format!("{short}{}", "0".repeat(64 - short.len()));
    let day = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc();
    let day = match backend {
        Backend::Sqlite => day.timestamp_millis().to_string(),
        Backend::Postgres => format!("'{}'", day.to_rfc3339()),
    };
    let salt_row = format!("INSERT INTO visitor_salts (day, salt) VALUES ({day}, '{salt}')");
    sql_rows::execute(url, salt_row).await;
    let visitor_row = format!(
        "INSERT INTO visitor_days (short_url_id, day, visitor_hash) VALUES (1, {day}, '{long}')"
    );
    sql_rows::execute(url, visitor_row).await;
    long
}

async fn clicks_survive_the_move_to_the_lean_layout(backend: Backend) {
    let (url, database) = fresh_database(backend).await;
    previous_release(backend, &url).await;
    let seen_before = visitor_seen_today(backend, &url).await;
    let before: Vec<StoredClick> = sql_rows::fetch(&url, ALL_CLICKS).await;
    assert_eq!(before.len(), 3, "the old rows are in place");

    let app = spawn_app_on(url.clone(), database, &[]).await;
    let after: Vec<StoredClick> = sql_rows::fetch(&url, ALL_CLICKS).await;
    assert_eq!(
        after, before,
        "the view gives back every moved click unchanged"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM click_texts").await,
        DISTINCT_TEXTS,
        "each text is stored once"
    );

    assert_eq!(app.get("/moved").await.status(), 302);
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.count("SELECT COUNT(*) FROM clicks").await < 4 {
        assert!(Instant::now() < deadline, "the new click was never stored");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let now: Vec<StoredClick> = sql_rows::fetch(&url, ALL_CLICKS).await;
    assert_eq!(now[..3], before[..], "the moved clicks are untouched");
    assert_eq!(now[3].id, 4, "new ids continue after the moved ones");
    assert_eq!(now[3].short_url_id, Some(1));
    assert_eq!(
        now[3].visitor_hash.as_deref(),
        Some(&seen_before[..16]),
        "the new click carries the short hash"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visitor_days").await,
        1,
        "the visitor seen before the upgrade was recognised"
    );
    assert_eq!(
        app.count("SELECT CAST(SUM(uniques) AS BIGINT) FROM link_daily")
            .await,
        0,
        "and not counted unique a second time"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM click_texts WHERE value = 'https://example.com/'")
            .await,
        1,
        "a text the new click shares with moved ones is not stored twice"
    );
}

backend_tests!(clicks_survive_the_move_to_the_lean_layout);
