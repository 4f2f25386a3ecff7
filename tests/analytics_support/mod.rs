//! Helpers of the analytics page tests: a server with a DB-IP-shaped geo database, visits with
//! chosen headers, a geo-aware drain, raw clicks read straight from the database, figures
//! scraped out of the pages by their `data-` attributes, and a reader of live-update streams.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use linkpulse::pipeline::enrich::{Enricher, GeoIp};
use linkpulse::pipeline::metrics::PipelineMetrics;
use linkpulse::pipeline::worker::Worker;
use reqwest::StatusCode;
use sqlx::Row;

use crate::common::{self, Backend, COUNTING_FLAGS, TestApp, geo_fixture, spawn_app_with};

/// Firefox on Linux.
pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
/// Chrome on Windows.
pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/// A crawler.
pub const GOOGLEBOT: &str =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// A server without workers, answering redirects once the click is in the outbox, trusting
/// `X-Forwarded-For` from the test client, with a DB-IP-shaped geo database.
pub struct PagesApp {
    /// The server.
    pub app: TestApp,
    /// The geo database file the server and [`PagesApp::drain`] use.
    pub geo_path: std::path::PathBuf,
    _geo_dir: tempfile::TempDir,
}

impl std::ops::Deref for PagesApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// Starts a [`PagesApp`] with [`geo_fixture::dbip_city`]'s places.
pub async fn spawn(backend: Backend) -> PagesApp {
    spawn_with_geo(backend, &geo_fixture::dbip_city("DBIP-City-Lite")).await
}

/// Starts a [`PagesApp`] whose geo database is `bytes`.
pub async fn spawn_with_geo(backend: Backend, bytes: &[u8]) -> PagesApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = geo_fixture::write(dir.path(), "geo.mmdb", bytes);
    let mut flags = COUNTING_FLAGS.to_vec();
    flags.extend(["--geoip-db", path.to_str().expect("UTF-8 temp path")]);
    let app = spawn_app_with(backend, &flags).await;
    PagesApp {
        app,
        geo_path: path,
        _geo_dir: dir,
    }
}

impl PagesApp {
    /// Processes the outbox with the geo database until nothing is claimable.
    pub async fn drain(&self) {
        let geo = Arc::new(GeoIp::open(Some(self.geo_path.clone())));
        let worker = Worker::new(
            Arc::clone(&self.app.store),
            Arc::new(Enricher::new(geo, true)),
            common::test_worker_settings(),
            PipelineMetrics::unscraped(),
        );
        while worker.try_execute_batch().await.expect("worker batch") > 0 {}
    }
}

/// A visit's request headers.
#[derive(Debug, Clone, Copy)]
pub struct Visitor<'a> {
    /// `User-Agent`.
    pub agent: &'a str,
    /// `Referer`, if any.
    pub referer: Option<&'a str>,
    /// `X-Forwarded-For`.
    pub ip: &'a str,
}

/// Follows `/{code}` as `visitor`; asserts the redirect.
pub async fn visit(app: &TestApp, code: &str, visitor: Visitor<'_>) {
    let mut request = app
        .client
        .get(format!("{}/{code}", app.address))
        .header("User-Agent", visitor.agent)
        .header("X-Forwarded-For", visitor.ip);
    if let Some(referer) = visitor.referer {
        request = request.header("Referer", referer);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), StatusCode::FOUND, "visit /{code}");
}

/// Moves every click still in the outbox to 23:59 UTC yesterday (before today's range).
pub async fn backdate_outbox(app: &TestApp) {
    if app.database_url.starts_with("sqlite:") {
        app.execute_sql(
            "UPDATE click_outbox SET payload = json_set(payload, '$.occurred_at', \
             strftime('%Y-%m-%dT23:59:00Z', 'now', '-1 day'))",
        )
        .await;
    } else {
        app.execute_sql(
            "UPDATE click_outbox SET payload = jsonb_set(payload::jsonb, '{occurred_at}', \
             to_jsonb(to_char(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 minute', \
             'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')))::text",
        )
        .await;
    }
}

/// `GET path` with a `Cookie` header, asserting 200; returns the HTML.
pub async fn page(app: &TestApp, cookie: &str, path: &str) -> String {
    let response = crate::pages_support::get_with(app, path, cookie).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().await.expect("HTML")
}

/// The text of the element carrying `attribute`, parsed as a number.
pub fn number_after(html: &str, attribute: &str) -> i64 {
    let at = html
        .find(attribute)
        .unwrap_or_else(|| panic!("{attribute} not on the page"));
    let rest = &html[at..];
    let start = rest.find('>').expect("element end") + 1;
    let end = rest[start..].find('<').expect("text end") + start;
    rest[start..end]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{attribute} is not a number: {:?}", &rest[start..end]))
}

/// A headline figure: `data-figure="{name}"`.
pub fn figure(html: &str, name: &str) -> i64 {
    number_after(html, &format!("data-figure=\"{name}\""))
}

/// The value of `attribute="…"` on the first element that has it.
pub fn attribute(html: &str, attribute: &str) -> String {
    let marker = format!("{attribute}=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{attribute} not on the page"));
    let rest = &html[at + marker.len()..];
    unescape(&rest[..rest.find('"').expect("attribute end")])
}

/// The range the page's figures cover, from `data-range-from` / `data-range-to`.
pub fn page_range(html: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let parse = |name| attribute(html, name).parse().expect("RFC 3339 range bound");
    (parse("data-range-from"), parse("data-range-to"))
}

/// `(value, visits)` rows of the breakdown of `dimension`, as listed.
pub fn breakdown(html: &str, dimension: &str) -> Vec<(String, i64)> {
    let marker = format!("data-dimension=\"{dimension}\"");
    let start = html.find(&marker).expect("breakdown on the page");
    let section = &html[start..];
    let section = &section[..section.find("</section>").expect("section end")];
    let mut rows = Vec::new();
    let mut rest = section;
    while let Some(at) = rest.find("<tr data-value=\"") {
        rest = &rest[at + 16..];
        let value = unescape(&rest[..rest.find('"').expect("value end")]);
        let visits = attribute(rest, "data-visits").parse().expect("visits");
        rows.push((value, visits));
    }
    rows
}

/// Reverses HTML escaping, named (`&lt;`) and numeric (`&#60;`, `&#x3c;`).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One stored click, as the raw table has it.
#[derive(Debug, Clone)]
pub struct RawClick {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Flagged as a bot.
    pub bot: bool,
    /// Unique-visitor hash.
    pub visitor: Option<String>,
    /// Raw user agent.
    pub user_agent: Option<String>,
    /// Raw referrer.
    pub referer: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Browser family.
    pub browser: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Device category.
    pub device: String,
    /// Referrer host.
    pub referrer_domain: Option<String>,
}

/// Columns read for a [`RawClick`], in field order.
const RAW_COLUMNS: &str = "c.occurred_at, c.potential_bot, c.visitor_hash, c.user_agent, \
    c.referer, c.country_code, c.city_name, c.browser, c.os, c.device, c.referrer_domain";

/// Every stored click of the link with this code.
pub async fn raw_clicks(app: &TestApp, code: &str) -> Vec<RawClick> {
    let sql = |placeholder: &str| {
        format!(
            "SELECT {RAW_COLUMNS} FROM clicks c JOIN short_urls s ON s.id = c.short_url_id \
             WHERE s.short_code = {placeholder}"
        )
    };
    if app.database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.database_url)
            .await
            .expect("sqlite");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql("?")))
            .bind(code)
            .fetch_all(&pool)
            .await
            .expect("clicks");
        rows.iter()
            .map(|row| {
                let ms: i64 = row.get(0);
                RawClick {
                    at: DateTime::from_timestamp_millis(ms).expect("instant"),
                    bot: row.get(1),
                    visitor: row.get(2),
                    user_agent: row.get(3),
                    referer: row.get(4),
                    country: row.get(5),
                    city: row.get(6),
                    browser: row.get(7),
                    os: row.get(8),
                    device: row.get(9),
                    referrer_domain: row.get(10),
                }
            })
            .collect()
    } else {
        let pool = sqlx::PgPool::connect(&app.database_url)
            .await
            .expect("postgres");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql("$1")))
            .bind(code)
            .fetch_all(&pool)
            .await
            .expect("clicks");
        rows.iter()
            .map(|row| RawClick {
                at: row.get(0),
                bot: row.get(1),
                visitor: row.get(2),
                user_agent: row.get(3),
                referer: row.get(4),
                country: row.get(5),
                city: row.get(6),
                browser: row.get(7),
                os: row.get(8),
                device: row.get(9),
                referrer_domain: row.get(10),
            })
            .collect()
    }
}

/// The value a click is counted under in a breakdown, as the page names dimensions.
pub fn dimension_value(click: &RawClick, dimension: &str) -> String {
    let known = |value: &Option<String>| {
        value
            .clone()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "unknown".into())
    };
    match dimension {
        "country" => known(&click.country),
        "city" => known(&click.city),
        "referrer" => click
            .referrer_domain
            .clone()
            .unwrap_or_else(|| "direct".into()),
        "browser" => known(&click.browser),
        "os" => known(&click.os),
        "device" => click.device.clone(),
        other => panic!("unknown dimension {other}"),
    }
}

/// Reads the stream until the next `totals` event; returns its data.
pub async fn next_totals(
    response: &mut reqwest::Response,
    buffer: &mut String,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.lines().any(|l| l == "event: totals") {
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("event data");
                return serde_json::from_str(data).expect("JSON data");
            }
            continue;
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("an event within the time limit")
            .expect("stream readable")
            .expect("stream still open");
        buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    }
}
