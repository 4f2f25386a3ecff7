//! Analytics rollups against raw clicks, on both backends: after a seeded random run with bots,
//! repeat visitors, several links, orphans, redeliveries and a dead-letter replay, every rollup
//! figure equals what the stored clicks say; deleting a link's visits (or the link) keeps the
//! all-links totals equal to the clicks; the public-stats flag; day salts. `daily` checks the
//! daily rollup over ranges with partial days.

#[path = "analytics_store/checks.rs"]
mod checks;
mod common;
#[path = "analytics_store/daily.rs"]
mod daily;
#[path = "analytics_store/raw.rs"]
mod raw;
#[path = "analytics_store/scenario.rs"]
mod scenario;

use std::time::Duration;

use checks::{
    all_links_uniques, assert_rollups_match, assert_uniques_match, sub_range, true_uniques,
};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use common::{Backend, TestApp, spawn_app_with};
use linkpulse::clicks::DeadLetterSelection;
use linkpulse::links::utm::UtmTag;
use linkpulse::links::{LinkAddress, ShortCode};
use linkpulse::pipeline::event::ClickEvent;
use linkpulse::pipeline::visitor::visitor_hash;
use linkpulse::store::{Dimension, HourRange, StoreError};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use raw::{Db, day_of, hour_of};
use serde_json::json;

/// The per-link rollup tables, which `delete_link_visits` and deleting the link must clear.
const ROLLUP_TABLES: [&str; 4] = [
    "link_hourly",
    "link_daily",
    "link_hourly_dims",
    "visitor_days",
];

/// Creates `count` links (`lk0`, `lk1`, …) and returns their ids and codes.
async fn create_links(app: &TestApp, count: usize) -> Vec<(i64, LinkAddress)> {
    let mut links = Vec::new();
    for i in 0..count {
        let code = format!("lk{i}");
        app.create_link(json!({
            "longUrl": format!("https://example.com/{i}"),
            "customSlug": code,
            "title": format!("Link {i}"),
        }))
        .await;
        let code = LinkAddress::default_domain(ShortCode::parse(&code).expect("code"));
        let link = app.store.find_short_url(&code).await.expect("find");
        links.push((link.expect("created").id, code));
    }
    links
}

/// Whole UTC days from `start` through today.
fn days_range(start: DateTime<Utc>) -> HourRange {
    HourRange {
        from: day_of(start),
        to: day_of(Utc::now()) + TimeDelta::days(1),
    }
}

async fn rollups_equal_raw_clicks_after_a_randomized_run(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    let links: Vec<i64> = create_links(&app, 4)
        .await
        .into_iter()
        .map(|l| l.0)
        .collect();
    let mut rng = StdRng::seed_from_u64(0x5eed_0020);
    let (start, now) = scenario::window();
    let events = scenario::events(&mut rng, &links, 480, start, now);
    let orphans = scenario::events(&mut rng, &[], 40, start, now);

    scenario::enqueue(&app, &[&events[..240], &orphans[..20]].concat()).await;
    app.drain().await;
    // The rest, plus redeliveries of stored events (some twice in one call).
    let mut again: Vec<ClickEvent> = [&events[240..], &orphans[20..]].concat();
    for _ in 0..60 {
        again.push(events[rng.random_range(0..240)].clone());
    }
    scenario::enqueue(&app, &again).await;
    app.drain().await;
    // Dead-letter replay of one stored and one never-stored event.
    let fresh = scenario::event(&mut rng, &links[1..2], start, now);
    scenario::enqueue(&app, &[events[3].clone(), fresh.clone()]).await;
    let claimed = app
        .store
        .claim_clicks(10, Duration::from_secs(30))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2);
    for event in &claimed {
        assert!(
            app.store
                .dead_letter_click(event.claim, "t", "t")
                .await
                .expect("dlq")
        );
    }
    let replayed = app
        .store
        .replay_dead_letters(&DeadLetterSelection::All)
        .await;
    assert_eq!(replayed.expect("replay"), 2);
    app.drain().await;

    let all: Vec<ClickEvent> = events.iter().chain([&fresh]).cloned().collect();
    let db = Db::open(&app.database_url).await;
    let clicks = db.link_clicks().await;
    assert_eq!(
        clicks.len(),
        all.len(),
        "every link event stored exactly once"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clicks WHERE short_url_id IS NULL")
            .await,
        40
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM clicks WHERE visitor_hash IS NOT NULL AND short_url_id IS NULL"
        )
        .await,
        0
    );
    let days = days_range(start);
    assert_rollups_match(&app, &clicks, &links, days).await;
    for _ in 0..4 {
        let range = sub_range(&mut rng, days);
        assert_rollups_match(&app, &clicks, &links, range).await;
    }
    assert_uniques_match(&app, &clicks, &links, days).await;
    for &link in &links {
        assert_eq!(
            raw::daily_uniques(&clicks, Some(link), days),
            true_uniques(&all, Some(link))
        );
    }
    let sources = app
        .store
        .campaign_breakdown(UtmTag::Source, days, true, 10)
        .await
        .expect("campaigns");
    let sources: Vec<&str> = sources.iter().map(|row| row.value.as_str()).collect();
    assert!(
        sources.contains(&"newsletter") && sources.contains(&"ads"),
        "tags of the visited and of the long URL are both counted: {sources:?}"
    );
    let across = all_links_uniques(&app, days).await;
    assert_eq!(
        across,
        true_uniques(&all, None),
        "one person on two links is one"
    );
    let summed: i64 = links
        .iter()
        .map(|&link| true_uniques(&all, Some(link)).values().sum::<i64>())
        .sum();
    assert!(
        across.values().sum::<i64>() < summed,
        "the traffic has visitors of several links"
    );
    // The stored hash is the salted hash of the full IP, which it does not reveal.
    let sample = all
        .iter()
        .find(|e| e.client_ip.is_some())
        .expect("an event with an IP");
    let salt = app
        .store
        .visitor_salt(sample.occurred_at.date_naive())
        .await
        .expect("salt");
    let ip = sample.client_ip.expect("ip");
    let expected = visitor_hash(
        &salt,
        sample.link_id.expect("link"),
        ip,
        sample.user_agent.as_deref(),
    );
    let stored = clicks.iter().filter_map(|c| c.hash.as_deref());
    assert!(stored.clone().any(|hash| hash == expected));
    assert!(stored.clone().all(|hash| !hash.contains(&ip.to_string())));
}

async fn deleting_visits_or_links_keeps_totals_equal_to_clicks(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    let created = create_links(&app, 3).await;
    let links: Vec<i64> = created.iter().map(|l| l.0).collect();
    let mut rng = StdRng::seed_from_u64(7);
    let (start, now) = scenario::window();
    let mut events = scenario::events(&mut rng, &links, 150, start, now);
    events.extend(scenario::events(&mut rng, &[], 10, start, now));
    scenario::enqueue(&app, &events).await;
    app.drain().await;
    let db = Db::open(&app.database_url).await;
    let days = days_range(start);
    let (a, b) = (links[0], links[1]);
    for table in ROLLUP_TABLES {
        assert!(db.rows_of_link(table, a).await > 0, "{table} filled");
    }

    let deleted = app
        .store
        .delete_link_visits(&created[0].1)
        .await
        .expect("delete");
    assert_eq!(
        deleted,
        events.iter().filter(|e| e.link_id == Some(a)).count() as u64
    );
    for table in ROLLUP_TABLES {
        assert_eq!(db.rows_of_link(table, a).await, 0, "{table} cleared");
    }
    let clicks = db.link_clicks().await;
    assert!(clicks.iter().all(|c| c.link != a));
    assert_rollups_match(&app, &clicks, &links, days).await;
    assert_uniques_match(&app, &clicks, &links, days).await;

    // A visitor seen before the reset is unique again afterwards.
    let seen = events
        .iter()
        .find(|e| e.link_id == Some(a) && e.client_ip.is_some())
        .expect("a visitor of the first link");
    let mut back = scenario::event(&mut rng, &[a], start, now);
    back.client_ip = seen.client_ip;
    back.user_agent = seen.user_agent.clone();
    back.occurred_at = seen.occurred_at + TimeDelta::milliseconds(1);
    scenario::enqueue(&app, &[back]).await;
    app.drain().await;
    let figures = app
        .store
        .hourly_figures(Some(a), days)
        .await
        .expect("hourly");
    let total: i64 = figures.iter().map(|f| f.total).sum();
    let uniques: i64 = figures.iter().map(|f| f.uniques).sum();
    assert_eq!((total, uniques), (1, 1));

    // Deleting a link takes its figures out of the all-links totals and drops its rollups.
    assert!(db.rows_of_link("visitor_days", b).await > 0);
    app.store
        .delete_short_url(&created[1].1)
        .await
        .expect("delete link");
    for table in ROLLUP_TABLES {
        assert_eq!(
            db.rows_of_link(table, b).await,
            0,
            "{table} of deleted link"
        );
    }
    let clicks = db.link_clicks().await;
    assert!(clicks.iter().all(|c| c.link != b));
    assert!(
        app.store
            .hourly_figures(Some(b), days)
            .await
            .expect("hourly")
            .is_empty()
    );
    assert_rollups_match(&app, &clicks, &[a, links[2]], days).await;
    assert_uniques_match(&app, &clicks, &[a, links[2]], days).await;

    let unknown = LinkAddress::default_domain(ShortCode::parse("nope").expect("code"));
    assert!(matches!(
        app.store.delete_link_visits(&unknown).await,
        Err(StoreError::LinkNotFound(_))
    ));
}

async fn public_stats_can_be_toggled(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    let created = create_links(&app, 2).await;
    let (first, second) = (&created[0].1, &created[1].1);
    assert!(!app.store.is_public_stats(first).await.expect("read"));
    app.store.set_public_stats(first, true).await.expect("set");
    assert!(app.store.is_public_stats(first).await.expect("read"));
    assert!(!app.store.is_public_stats(second).await.expect("read"));
    app.store
        .set_public_stats(first, true)
        .await
        .expect("set again");
    app.store
        .set_public_stats(first, false)
        .await
        .expect("unset");
    assert!(!app.store.is_public_stats(first).await.expect("read"));
    let unknown = LinkAddress::default_domain(ShortCode::parse("nope").expect("code"));
    assert!(matches!(
        app.store.set_public_stats(&unknown, true).await,
        Err(StoreError::LinkNotFound(_))
    ));
    assert!(matches!(
        app.store.is_public_stats(&unknown).await,
        Err(StoreError::LinkNotFound(_))
    ));
}

async fn day_salts_are_stable_per_day_and_pruned_after_yesterday(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    // The store prunes by the day asked for, never by the machine's clock: any day will do.
    let today = NaiveDate::from_ymd_opt(2030, 1, 10).expect("day");
    let yesterday = today.pred_opt().expect("yesterday");
    let old = today - TimeDelta::days(5);
    let salt_today = app.store.visitor_salt(today).await.expect("salt");
    assert_eq!(salt_today.len(), 64);
    assert_eq!(
        app.store.visitor_salt(today).await.expect("salt"),
        salt_today
    );
    let salt_yesterday = app.store.visitor_salt(yesterday).await.expect("salt");
    assert_ne!(salt_yesterday, salt_today);
    let salt_old = app.store.visitor_salt(old).await.expect("salt");
    assert_ne!(salt_old, salt_today);
    // Asking for any day prunes days before yesterday, so the old salt is gone for good.
    app.store.visitor_salt(today).await.expect("salt");
    assert_ne!(app.store.visitor_salt(old).await.expect("salt"), salt_old);
    assert_eq!(
        app.store.visitor_salt(yesterday).await.expect("salt"),
        salt_yesterday
    );
    assert_eq!(
        app.store.visitor_salt(today).await.expect("salt"),
        salt_today
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM visitor_salts").await, 2);
}

async fn empty_ranges_and_unknown_links_give_nothing(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    let links: Vec<i64> = create_links(&app, 1)
        .await
        .into_iter()
        .map(|l| l.0)
        .collect();
    let mut rng = StdRng::seed_from_u64(11);
    let (start, now) = scenario::window();
    scenario::enqueue(&app, &scenario::events(&mut rng, &links, 20, start, now)).await;
    app.drain().await;
    let at = hour_of(now);
    let empty = HourRange { from: at, to: at };
    assert!(
        app.store
            .hourly_figures(None, empty)
            .await
            .expect("hourly")
            .is_empty()
    );
    assert!(
        app.store
            .top_links(None, empty, true, 10)
            .await
            .expect("top")
            .is_empty()
    );
    let lines = app
        .store
        .daily_sparklines(&links, empty, true)
        .await
        .expect("lines");
    assert_eq!(lines, vec![(links[0], Vec::new())]);
    assert!(
        app.store
            .daily_sparklines(&[], days_range(start), true)
            .await
            .expect("lines")
            .is_empty()
    );
    let days = days_range(start);
    assert!(
        app.store
            .hourly_figures(Some(i64::MAX), days)
            .await
            .expect("hourly")
            .is_empty()
    );
    let none = app
        .store
        .breakdown(i64::MAX, Dimension::Browser, days, true, 10)
        .await;
    assert!(none.expect("breakdown").is_empty());
}

backend_tests!(
    rollups_equal_raw_clicks_after_a_randomized_run,
    deleting_visits_or_links_keeps_totals_equal_to_clicks,
    public_stats_can_be_toggled,
    day_salts_are_stable_per_day_and_pruned_after_yesterday,
    empty_ranges_and_unknown_links_give_nothing,
);
