//! The source of truth for the rollup checks: clicks read straight from the database, and the
//! figures they imply, computed naively in Rust (no shared code with the store's aggregation).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use linkpulse::links::utm::UtmTag;
use linkpulse::store::{Dimension, HourRange};
use sqlx::{PgPool, SqlitePool};

/// One stored click of a link, with its six breakdown values in `Dimension::ALL` order and its
/// campaign tags (source, medium, campaign) read naively from its URLs.
#[derive(Debug, Clone)]
pub struct RawClick {
    pub link: i64,
    pub at: DateTime<Utc>,
    pub bot: bool,
    pub hash: Option<String>,
    pub dims: [String; 6],
    pub utm: [Option<String>; 3],
}

/// The value `click` is counted under in `dimension` (`None`: not counted there).
pub fn value_of(click: &RawClick, dimension: Dimension) -> Option<&str> {
    let index = match dimension {
        Dimension::Country => 0,
        Dimension::City => 1,
        Dimension::ReferrerDomain => 2,
        Dimension::Browser => 3,
        Dimension::Os => 4,
        Dimension::Device => 5,
        Dimension::Destination => return None,
        Dimension::Utm(tag) => {
            let index = UtmTag::ALL.iter().position(|t| *t == tag).expect("a tag");
            return click.utm[index].as_deref();
        }
    };
    Some(&click.dims[index])
}

/// The tag `name` on the first of `urls` that has a non-blank one.
fn utm(name: &str, urls: [&Option<String>; 2]) -> Option<String> {
    urls.into_iter().flatten().find_map(|url| {
        let query = url.split_once('?')?.1;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim().to_owned())
    })
}

/// Direct access to the test database.
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The breakdown values as the rollups name them (`unknown` / `direct` when absent).
const RAW_COLUMNS: &str = "SELECT short_url_id, occurred_at, potential_bot, visitor_hash, \
     COALESCE(NULLIF(country_code, ''), 'unknown'), COALESCE(NULLIF(city_name, ''), 'unknown'), \
     COALESCE(referrer_domain, 'direct'), COALESCE(NULLIF(browser, ''), 'unknown'), \
     COALESCE(NULLIF(os, ''), 'unknown'), COALESCE(NULLIF(device, ''), 'unknown'), \
     visited_url, redirect_url FROM clicks WHERE short_url_id IS NOT NULL";

type Row<T> = (
    i64,
    T,
    bool,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn raw_click<T>(row: Row<T>, at: impl Fn(T) -> DateTime<Utc>) -> RawClick {
    RawClick {
        link: row.0,
        at: at(row.1),
        bot: row.2,
        hash: row.3,
        dims: [row.4, row.5, row.6, row.7, row.8, row.9],
        utm: ["utm_source", "utm_medium", "utm_campaign"].map(|name| utm(name, [&row.10, &row.11])),
    }
}

impl Db {
    pub async fn open(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Self::Sqlite(SqlitePool::connect(url).await.expect("sqlite"))
        } else {
            Self::Postgres(PgPool::connect(url).await.expect("postgres"))
        }
    }

    /// Every stored click that has a link.
    pub async fn link_clicks(&self) -> Vec<RawClick> {
        match self {
            Self::Sqlite(pool) => {
                let rows: Vec<Row<i64>> = sqlx::query_as(RAW_COLUMNS)
                    .fetch_all(pool)
                    .await
                    .expect("raw clicks");
                let at = |ms| DateTime::from_timestamp_millis(ms).expect("instant");
                rows.into_iter().map(|row| raw_click(row, at)).collect()
            }
            Self::Postgres(pool) => {
                let rows: Vec<Row<DateTime<Utc>>> = sqlx::query_as(RAW_COLUMNS)
                    .fetch_all(pool)
                    .await
                    .expect("raw clicks");
                rows.into_iter()
                    .map(|row| raw_click(row, |at| at))
                    .collect()
            }
        }
    }

    /// Every `link_daily` row: (total, bots, uniques) by (link, start of the UTC day).
    pub async fn link_daily(&self) -> BTreeMap<(i64, DateTime<Utc>), (i64, i64, i64)> {
        const SQL: &str = "SELECT short_url_id, day, total, bots, uniques FROM link_daily";
        match self {
            Self::Sqlite(pool) => {
                let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(SQL)
                    .fetch_all(pool)
                    .await
                    .expect("link_daily");
                rows.into_iter()
                    .map(|(link, day, total, bots, uniques)| {
                        let day = DateTime::from_timestamp_millis(day).expect("day");
                        ((link, day), (total, bots, uniques))
                    })
                    .collect()
            }
            Self::Postgres(pool) => {
                let rows: Vec<(i64, DateTime<Utc>, i64, i64, i64)> = sqlx::query_as(SQL)
                    .fetch_all(pool)
                    .await
                    .expect("link_daily");
                rows.into_iter()
                    .map(|(link, day, total, bots, uniques)| ((link, day), (total, bots, uniques)))
                    .collect()
            }
        }
    }

    /// Per UTC day, the visitors first seen among all links' visitors, as the links' hours were
    /// credited with them (`link_hourly.site_uniques`); days without any left out.
    pub async fn site_uniques(&self) -> BTreeMap<DateTime<Utc>, i64> {
        const SQL: &str = "SELECT hour, site_uniques FROM link_hourly";
        let rows: Vec<(DateTime<Utc>, i64)> = match self {
            Self::Sqlite(pool) => {
                let rows: Vec<(i64, i64)> = sqlx::query_as(SQL)
                    .fetch_all(pool)
                    .await
                    .expect("link_hourly");
                rows.into_iter()
                    .map(|(ms, n)| (DateTime::from_timestamp_millis(ms).expect("hour"), n))
                    .collect()
            }
            Self::Postgres(pool) => sqlx::query_as(SQL)
                .fetch_all(pool)
                .await
                .expect("link_hourly"),
        };
        let mut out = BTreeMap::new();
        for (hour, n) in rows {
            *out.entry(day_of(hour)).or_default() += n;
        }
        out.retain(|_, n| *n > 0);
        out
    }

    /// `SELECT COUNT(*) FROM {table} WHERE short_url_id = {link}`.
    pub async fn rows_of_link(&self, table: &str, link: i64) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE short_url_id = {link}");
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .expect("count"),
            Self::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .expect("count"),
        }
    }
}

pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).expect("hour")
}

pub fn day_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::days(1)).expect("day")
}

/// The clicks of `link` (or of every link) inside `range`.
pub fn within(
    clicks: &[RawClick],
    link: Option<i64>,
    range: HourRange,
) -> impl Iterator<Item = &RawClick> {
    clicks
        .iter()
        .filter(move |c| link.is_none_or(|l| c.link == l) && c.at >= range.from && c.at < range.to)
}

fn weight(click: &RawClick, include_bots: bool) -> i64 {
    i64::from(include_bots || !click.bot)
}

/// (total, bots) per hour with visits.
pub fn hourly(
    clicks: &[RawClick],
    link: Option<i64>,
    range: HourRange,
) -> BTreeMap<DateTime<Utc>, (i64, i64)> {
    let mut out: BTreeMap<DateTime<Utc>, (i64, i64)> = BTreeMap::new();
    for click in within(clicks, link, range) {
        let entry = out.entry(hour_of(click.at)).or_default();
        entry.0 += 1;
        entry.1 += i64::from(click.bot);
    }
    out
}

/// (total, bots) per link and UTC day with visits.
pub fn daily(clicks: &[RawClick]) -> BTreeMap<(i64, DateTime<Utc>), (i64, i64)> {
    let mut out: BTreeMap<(i64, DateTime<Utc>), (i64, i64)> = BTreeMap::new();
    for click in clicks {
        let entry = out.entry((click.link, day_of(click.at))).or_default();
        entry.0 += 1;
        entry.1 += i64::from(click.bot);
    }
    out
}

/// Distinct (link, visitor hash) pairs per UTC day, summed over the links asked for.
pub fn daily_uniques(
    clicks: &[RawClick],
    link: Option<i64>,
    range: HourRange,
) -> BTreeMap<DateTime<Utc>, i64> {
    let mut seen: BTreeSet<(DateTime<Utc>, i64, &str)> = BTreeSet::new();
    for click in within(clicks, link, range) {
        if let Some(hash) = &click.hash {
            seen.insert((day_of(click.at), click.link, hash));
        }
    }
    let mut out = BTreeMap::new();
    for (day, _, _) in seen {
        *out.entry(day).or_default() += 1;
    }
    out
}

/// Visits of `link` (of every link: `None`) per value of `dimension`, values without visits
/// left out.
pub fn breakdown(
    clicks: &[RawClick],
    link: Option<i64>,
    dimension: Dimension,
    range: HourRange,
    include_bots: bool,
) -> BTreeMap<String, i64> {
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for click in within(clicks, link, range) {
        if let Some(value) = value_of(click, dimension) {
            *out.entry(value.to_owned()).or_default() += weight(click, include_bots);
        }
    }
    out.retain(|_, visits| *visits > 0);
    out
}

/// Visits per link, links without visits left out.
pub fn per_link(clicks: &[RawClick], range: HourRange, include_bots: bool) -> BTreeMap<i64, i64> {
    let mut out: BTreeMap<i64, i64> = BTreeMap::new();
    for click in within(clicks, None, range) {
        *out.entry(click.link).or_default() += weight(click, include_bots);
    }
    out.retain(|_, visits| *visits > 0);
    out
}

/// Visits of `link` per UTC day from the day holding `range.from` to the one holding its end.
pub fn sparkline(clicks: &[RawClick], link: i64, range: HourRange, include_bots: bool) -> Vec<i64> {
    let first = day_of(range.from);
    let days = (day_of(range.to - TimeDelta::milliseconds(1)) - first).num_days() + 1;
    let mut out = vec![0; usize::try_from(days).expect("days")];
    for click in within(clicks, Some(link), range) {
        let index = usize::try_from((day_of(click.at) - first).num_days()).expect("index");
        out[index] += weight(click, include_bots);
    }
    out
}
