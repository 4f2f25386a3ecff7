//! The daily rollup (`link_daily`) against raw clicks: ranges that start and end inside a day
//! (whole days read from `link_daily`, the edge hours from `link_hourly`) give exactly the raw
//! figures, the table itself sums each day's clicks, and its migration rebuilds it from
//! `link_hourly`.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use linkpulse::store::HourRange;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::checks::{assert_rollups_match, sub_range};
use crate::common::{Backend, TestApp, spawn_app_with};
use crate::raw::{self, Db, day_of, hour_of};
use crate::{create_links, scenario};

/// Days of traffic before yesterday.
const EARLIER_DAYS: i64 = 4;

/// Links with seeded traffic from `EARLIER_DAYS` days before yesterday until now, including
/// clicks on both sides of midnights (the instants a day/hour split could get wrong).
async fn traffic_over_days(
    backend: Backend,
    seed: u64,
    count: usize,
) -> (TestApp, Vec<i64>, DateTime<Utc>, DateTime<Utc>) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    let links: Vec<i64> = create_links(&app, 4)
        .await
        .into_iter()
        .map(|l| l.0)
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let (yesterday, now) = scenario::window();
    let start = yesterday - TimeDelta::days(EARLIER_DAYS);
    let mut events = scenario::events(&mut rng, &links, count, start, now);
    for day in 1..=EARLIER_DAYS {
        let midnight = start + TimeDelta::days(day);
        for at in [midnight - TimeDelta::milliseconds(1), midnight] {
            let mut event = scenario::event(&mut rng, &links, start, now);
            event.occurred_at = at;
            events.push(event);
        }
    }
    scenario::enqueue(&app, &events).await;
    app.drain().await;
    (app, links, start, now)
}

async fn top_links_over_partial_days_equal_raw_clicks(backend: Backend) {
    let (app, links, start, now) = traffic_over_days(backend, 0x0da1_1e30, 500).await;
    let db = Db::open(&app.database_url).await;
    let clicks = db.link_clicks().await;
    assert!(clicks.len() > 500);

    // 13:00 on the first day to 17:00 yesterday: partial days at both ends, whole days between.
    let partial = HourRange {
        from: start + TimeDelta::hours(13),
        to: start + TimeDelta::days(EARLIER_DAYS) + TimeDelta::hours(17),
    };
    assert_ne!(day_of(partial.from), partial.from);
    assert_ne!(day_of(partial.to), partial.to);
    assert!(partial.to - partial.from > TimeDelta::days(2));
    let in_edges = clicks.iter().filter(|c| {
        c.at >= partial.from && c.at < day_of(partial.from) + TimeDelta::days(1)
            || c.at >= day_of(partial.to) && c.at < partial.to
    });
    assert!(in_edges.count() > 0, "the edge hours hold clicks");
    assert!(
        clicks.iter().any(|c| c.at < partial.from) && clicks.iter().any(|c| c.at >= partial.to),
        "clicks outside the range must be left out"
    );
    // Like the dashboard: from a midnight to the end of the current hour.
    let dashboard = HourRange {
        from: start,
        to: hour_of(now) + TimeDelta::hours(1),
    };
    let whole_days = HourRange {
        from: start,
        to: day_of(now) + TimeDelta::days(1),
    };
    for range in [partial, dashboard, whole_days] {
        assert_rollups_match(&app, &clicks, &links, range).await;
    }
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..4 {
        let range = sub_range(&mut rng, whole_days);
        assert_rollups_match(&app, &clicks, &links, range).await;
    }
    assert_daily_table_matches(&app, &db, &clicks, &links, whole_days).await;
}

/// `link_daily` holds each link's clicks per UTC day, and the uniques its hours credited.
async fn assert_daily_table_matches(
    app: &TestApp,
    db: &Db,
    clicks: &[raw::RawClick],
    links: &[i64],
    days: HourRange,
) {
    let stored = db.link_daily().await;
    let figures: BTreeMap<_, _> = stored.iter().map(|(k, v)| (*k, (v.0, v.1))).collect();
    assert_eq!(figures, raw::daily(clicks), "link_daily totals and bots");
    for &link in links {
        let mut uniques: BTreeMap<DateTime<Utc>, i64> = BTreeMap::new();
        let hours = app
            .store
            .hourly_figures(Some(link), days)
            .await
            .expect("hourly");
        for hour in hours {
            *uniques.entry(day_of(hour.hour)).or_default() += hour.uniques;
        }
        let daily: BTreeMap<_, _> = stored
            .iter()
            .filter(|((l, _), _)| *l == link)
            .map(|((_, day), v)| (*day, v.2))
            .collect();
        assert_eq!(uniques, daily, "uniques of {link}");
    }
}

async fn the_migration_backfills_link_daily_from_link_hourly(backend: Backend) {
    let (app, links, start, now) = traffic_over_days(backend, 0x0030, 200).await;
    let db = Db::open(&app.database_url).await;
    let maintained = db.link_daily().await;
    assert!(!maintained.is_empty());
    // An existing database before the migration: rollups without the daily table.
    app.execute_sql("DROP TABLE link_daily; DELETE FROM _sqlx_migrations WHERE version = 30")
        .await;
    app.store.migrate().await.expect("migrate");
    assert_eq!(db.link_daily().await, maintained);
    let clicks = db.link_clicks().await;
    let range = HourRange {
        from: start + TimeDelta::hours(5),
        to: hour_of(now) + TimeDelta::hours(1),
    };
    assert_rollups_match(&app, &clicks, &links, range).await;
}

crate::backend_tests!(
    top_links_over_partial_days_equal_raw_clicks,
    the_migration_backfills_link_daily_from_link_hourly,
);
