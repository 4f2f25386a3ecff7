//! Upgrading a database whose breakdowns were stored by name (migrations through 0062) to the
//! compact rows of 0063 (dimension codes, values as dictionary ids): every breakdown reads the
//! same after the upgrade, a value the dictionary already held is not stored twice, and a new
//! click adds to the moved row of its value instead of opening another.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::migrations::migrate_before;
use common::{Backend, TestApp, fresh_database, spawn_app_on, sql_rows};
use linkpulse::links::utm::UtmTag;
use linkpulse::store::{Dimension, HourRange};

/// The first migration of the compact breakdown rows; the previous release ended before it.
const COMPACT_BREAKDOWNS: i64 = 63;

/// The start of the current UTC hour, where the moved rows and the new click meet.
fn this_hour() -> DateTime<Utc> {
    let now = Utc::now().timestamp_millis();
    DateTime::from_timestamp_millis(now - now.rem_euclid(3_600_000)).expect("hour")
}

/// The previous release's breakdown rows of link 1 in `hour` (the engine's literal), and a
/// dictionary that already holds one of their values.
fn old_rows(hour: &str, now: &str) -> String {
    format!(
        "INSERT INTO short_urls (short_code, long_url, created_at)
             VALUES ('moved', 'https://example.com/', {now});
         INSERT INTO click_texts (value) VALUES ('Firefox');
         INSERT INTO link_hourly_dims (short_url_id, dim, hour, value, total, bots) VALUES
             (1, 'country', {hour}, 'DE', 3, 1),
             (1, 'country', {hour}, 'FR', 1, 0),
             (1, 'browser', {hour}, 'Firefox', 4, 1),
             (1, 'referrer', {hour}, 'direct', 5, 0),
             (1, 'utm_source', {hour}, 'newsletter', 2, 0);"
    )
}

/// Builds the previous release's schema at `url` with [`old_rows`] in the current hour.
async fn previous_release(backend: Backend, url: &str) {
    let hour = this_hour();
    let rows = match backend {
        Backend::Sqlite => {
            let ms = |at: DateTime<Utc>| at.timestamp_millis().to_string();
            old_rows(&ms(hour), &ms(Utc::now()))
        }
        Backend::Postgres => {
            let literal = |at: DateTime<Utc>| format!("'{}'", at.to_rfc3339());
            old_rows(&literal(hour), &literal(Utc::now()))
        }
    };
    migrate_before(backend, url, COMPACT_BREAKDOWNS).await;
    sql_rows::execute(url, rows).await;
}

/// Link 1's breakdown by `dimension` over the last day, as `(value, visits)`.
async fn breakdown(app: &TestApp, dimension: Dimension, bots: bool) -> Vec<(String, i64)> {
    let rows = app
        .store
        .breakdown(1, dimension, last_day(), bots, 10)
        .await
        .expect("breakdown");
    rows.into_iter()
        .map(|row| (row.value, row.visits))
        .collect()
}

/// The day up to the end of the current hour.
fn last_day() -> HourRange {
    let to = this_hour() + TimeDelta::hours(1);
    HourRange {
        from: to - TimeDelta::days(1),
        to,
    }
}

/// Owned `(value, visits)` pairs, for comparing.
fn pairs(rows: &[(&str, i64)]) -> Vec<(String, i64)> {
    rows.iter().map(|(v, n)| ((*v).to_owned(), *n)).collect()
}

async fn breakdowns_survive_the_move_to_compact_rows(backend: Backend) {
    let (url, database) = fresh_database(backend).await;
    previous_release(backend, &url).await;
    let app = spawn_app_on(url, database, &[]).await;

    assert_eq!(
        breakdown(&app, Dimension::Country, true).await,
        pairs(&[("DE", 3), ("FR", 1)])
    );
    assert_eq!(
        breakdown(&app, Dimension::Country, false).await,
        pairs(&[("DE", 2), ("FR", 1)]),
        "bot visits moved with their rows"
    );
    assert_eq!(
        breakdown(&app, Dimension::Browser, true).await,
        pairs(&[("Firefox", 4)])
    );
    let campaigns = app
        .store
        .campaign_breakdown(UtmTag::Source, last_day(), true, 10)
        .await
        .expect("campaign breakdown");
    assert_eq!(campaigns.len(), 1);
    assert_eq!(
        (campaigns[0].value.as_str(), campaigns[0].visits),
        ("newsletter", 2)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM click_texts WHERE value = 'Firefox'")
            .await,
        1,
        "a value the dictionary held is not stored twice"
    );

    assert_eq!(app.get("/moved").await.status(), 302);
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.count("SELECT COUNT(*) FROM clicks").await < 1 {
        assert!(Instant::now() < deadline, "the new click was never stored");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        breakdown(&app, Dimension::ReferrerDomain, true).await,
        pairs(&[("direct", 6)]),
        "the new direct visit adds to the moved row"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM link_hourly_dims WHERE dim = 3")
            .await,
        1,
        "one referrer row for the hour, not a second"
    );
}

backend_tests!(breakdowns_survive_the_move_to_compact_rows);
