//! The rollup checks: every figure the `AnalyticsStore` reads equals what the raw clicks say.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use linkpulse::pipeline::event::ClickEvent;
use linkpulse::store::{Dimension, HourFigures, HourRange};
use rand::RngExt;
use rand::rngs::StdRng;

use crate::common::TestApp;
use crate::raw::{self, RawClick, day_of};

/// Hourly figures, breakdowns, top links and sparklines all equal the raw clicks in each range.
pub async fn assert_rollups_match(
    app: &TestApp,
    clicks: &[RawClick],
    links: &[i64],
    range: HourRange,
) {
    for link in links.iter().copied().map(Some).chain([None]) {
        let figures = app.store.hourly_figures(link, range).await.expect("hourly");
        assert!(figures.windows(2).all(|w| w[0].hour < w[1].hour));
        let got: BTreeMap<_, _> = figures
            .iter()
            .map(|f| (f.hour, (f.total, f.bots)))
            .collect();
        assert_eq!(
            got,
            raw::hourly(clicks, link, range),
            "hourly {link:?} {range:?}"
        );
    }
    for include_bots in [true, false] {
        for &link in links {
            for dimension in Dimension::ALL {
                if dimension == Dimension::Destination {
                    // The scenario's links have no split: nothing is counted by destination.
                    let rows = app
                        .store
                        .breakdown(link, dimension, range, include_bots, 100)
                        .await
                        .expect("breakdown");
                    assert!(rows.is_empty(), "{rows:?}");
                    continue;
                }
                let expected = raw::breakdown(clicks, Some(link), dimension, range, include_bots);
                let rows = app
                    .store
                    .breakdown(link, dimension, range, include_bots, 100)
                    .await
                    .expect("breakdown");
                assert!(rows.windows(2).all(|w| w[0].visits >= w[1].visits));
                let got: BTreeMap<_, _> = rows.into_iter().map(|r| (r.value, r.visits)).collect();
                assert_eq!(got, expected, "{dimension:?} of {link} bots={include_bots}");
                let top = app
                    .store
                    .breakdown(link, dimension, range, include_bots, 2)
                    .await
                    .expect("breakdown");
                let mut largest: Vec<i64> = expected.values().copied().collect();
                largest.sort_unstable_by(|a, b| b.cmp(a));
                largest.truncate(2);
                assert_eq!(top.iter().map(|r| r.visits).collect::<Vec<_>>(), largest);
                assert!(
                    top.iter()
                        .all(|r| expected.get(&r.value) == Some(&r.visits))
                );
            }
        }
        for dimension in Dimension::CAMPAIGNS {
            let Dimension::Utm(tag) = dimension else {
                unreachable!("campaign dimensions are tags")
            };
            let expected = raw::breakdown(clicks, None, dimension, range, include_bots);
            let rows = app
                .store
                .campaign_breakdown(tag, range, include_bots, 100)
                .await
                .expect("campaigns");
            let got: BTreeMap<_, _> = rows.into_iter().map(|r| (r.value, r.visits)).collect();
            assert_eq!(got, expected, "{tag:?} of all links bots={include_bots}");
        }
        let expected = raw::per_link(clicks, range, include_bots);
        let top = app
            .store
            .top_links(None, range, include_bots, 100)
            .await
            .expect("top links");
        assert!(top.windows(2).all(|w| w[0].visits >= w[1].visits));
        let got: BTreeMap<_, _> = top.iter().map(|l| (l.link_id, l.visits)).collect();
        assert_eq!(got, expected, "top links bots={include_bots}");
        for figures in &top {
            let link = app
                .store
                .find_short_url(&figures.address)
                .await
                .expect("find");
            assert_eq!(link.map(|l| l.id), Some(figures.link_id));
            let index = figures.address.code.as_str().trim_start_matches("lk");
            assert_eq!(figures.title, Some(format!("Link {index}")));
        }
        let first = app
            .store
            .top_links(None, range, include_bots, 1)
            .await
            .expect("top");
        assert_eq!(
            first.iter().map(|l| l.visits).collect::<Vec<_>>(),
            expected
                .values()
                .max()
                .into_iter()
                .copied()
                .collect::<Vec<_>>()
        );
        let mut ids = links.to_vec();
        ids.push(i64::MAX);
        let lines = app
            .store
            .daily_sparklines(&ids, range, include_bots)
            .await
            .expect("sparklines");
        assert_eq!(lines.len(), ids.len());
        for ((id, line), want) in lines.iter().zip(&ids) {
            assert_eq!(id, want);
            assert_eq!(
                line,
                &raw::sparkline(clicks, *want, range, include_bots),
                "{id}"
            );
        }
    }
}

/// Per UTC day, each link's hourly uniques add up to the distinct visitor hashes of its raw
/// clicks, and all links' uniques to the visitors the links were first to see (a visitor of
/// two links is one of them).
pub async fn assert_uniques_match(
    app: &TestApp,
    clicks: &[RawClick],
    links: &[i64],
    days: HourRange,
) {
    for &link in links {
        let figures = app
            .store
            .hourly_figures(Some(link), days)
            .await
            .expect("hourly");
        assert_eq!(
            uniques_per_day(&figures),
            raw::daily_uniques(clicks, Some(link), days),
            "uniques of {link}"
        );
    }
    let all = app.store.hourly_figures(None, days).await.expect("hourly");
    let credited = raw::Db::open(&app.database_url).await.site_uniques().await;
    assert_eq!(uniques_per_day(&all), credited, "all links' uniques");
}

/// Per UTC day, all links' hourly uniques.
pub async fn all_links_uniques(app: &TestApp, days: HourRange) -> BTreeMap<DateTime<Utc>, i64> {
    let all = app.store.hourly_figures(None, days).await.expect("hourly");
    uniques_per_day(&all)
}

fn uniques_per_day(figures: &[HourFigures]) -> BTreeMap<DateTime<Utc>, i64> {
    let mut out: BTreeMap<DateTime<Utc>, i64> = BTreeMap::new();
    for figure in figures {
        *out.entry(day_of(figure.hour)).or_default() += figure.uniques;
    }
    out.retain(|_, n| *n > 0);
    out
}

/// Distinct (IP, user agent) visitors of `link` (of any link: `None`) per day in the generated
/// traffic itself.
pub fn true_uniques(events: &[ClickEvent], link: Option<i64>) -> BTreeMap<DateTime<Utc>, i64> {
    let visitors: BTreeSet<_> = events
        .iter()
        .filter(|e| e.link_id.is_some() && (link.is_none() || e.link_id == link))
        .filter_map(|e| {
            let ip = e.client_ip?.to_canonical();
            Some((day_of(e.occurred_at), ip, e.user_agent.clone()))
        })
        .collect();
    let mut out = BTreeMap::new();
    for (day, _, _) in visitors {
        *out.entry(day).or_default() += 1;
    }
    out
}

/// A random hour-aligned sub-range of `range`.
pub fn sub_range(rng: &mut StdRng, range: HourRange) -> HourRange {
    let hours = (range.to - range.from).num_hours();
    let start = rng.random_range(0..hours);
    let length = rng.random_range(1..=hours - start);
    let from = range.from + TimeDelta::hours(start);
    HourRange {
        from,
        to: from + TimeDelta::hours(length),
    }
}
