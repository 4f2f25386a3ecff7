//! Rollup arithmetic shared by both engines: hour/day truncation and one completion batch's
//! contribution aggregated per row key; `ranges` cuts read ranges into days and hours.
//!
//! A completion builds a `RollupBatch` from the clicks it actually inserted, inserts the batch's
//! visitor keys, credits a unique to the first hour (and the day) of every key that was new, and
//! then upserts the rows in key order, so concurrent workers always lock rollup rows in the same
//! order.

mod ranges;

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use rand::RngExt;

use super::Dimension;
use crate::clicks::Click;
use crate::links::utm::tag_of_visit;

pub(super) use ranges::{DaySplit, fill_sparklines, sparkline_days, split_days};

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in a day.
pub(super) const DAY_MS: i64 = 24 * HOUR_MS;

/// Stored value of a dimension the click has no value for.
const UNKNOWN: &str = "unknown";
/// Stored referrer of a click without a (parsable) referrer.
const DIRECT: &str = "direct";

/// `at` truncated to a multiple of `unit_ms` since the epoch.
fn truncate(at: DateTime<Utc>, unit_ms: i64) -> DateTime<Utc> {
    let ms = at.timestamp_millis();
    DateTime::from_timestamp_millis(ms - ms.rem_euclid(unit_ms)).unwrap_or(at)
}

/// Start of the UTC hour holding `at`.
pub(super) fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    truncate(at, HOUR_MS)
}

/// Start of the UTC day holding `at`.
pub(super) fn day_of(at: DateTime<Utc>) -> DateTime<Utc> {
    truncate(at, DAY_MS)
}

/// Start of the UTC day `day`.
pub(super) fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Start of the day before `day` (UTC): when `day`'s salt is asked for, salts and visitor-dedup
/// rows of earlier days are pruned. The clicks' clock decides, not the machine's, so a backlog
/// drained after midnight keeps the day it belongs to and a test needs no wall clock.
pub(super) fn prune_before(day: NaiveDate) -> DateTime<Utc> {
    day_start(day) - TimeDelta::days(1)
}

/// A new random day salt (256 bits, hex).
pub(super) fn fresh_salt() -> String {
    hex::encode(rand::rng().random::<[u8; 32]>())
}

/// What a batch adds to one `link_hourly`, `link_daily` or `hourly_totals` row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct HourDelta {
    /// Visits.
    pub total: i64,
    /// Bot visits.
    pub bots: i64,
    /// Visitors first seen that day (in `hourly_totals`: among all links' visitors).
    pub uniques: i64,
    /// In `link_hourly`: visitors first seen among all links' visitors that day, here (so
    /// `hourly_totals.uniques` is their sum, and a deleted link takes its own out).
    pub site_uniques: i64,
}

/// What a batch adds to one `link_hourly_dims` row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct DimDelta {
    /// Visits.
    pub total: i64,
    /// Bot visits.
    pub bots: i64,
}

/// Primary key of a `link_hourly_dims` row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct DimKey {
    /// Link id.
    pub link: i64,
    /// `Dimension::as_str`.
    pub dim: &'static str,
    /// Start of the hour.
    pub hour: DateTime<Utc>,
    /// The attribute value.
    pub value: String,
}

/// Primary key of a `visitor_days` row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct VisitorKey {
    /// Link id.
    pub link: i64,
    /// Start of the UTC day.
    pub day: DateTime<Utc>,
    /// The visitor hash.
    pub hash: String,
}

/// Primary key of a `site_visitor_days` row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct SiteVisitorKey {
    /// Start of the UTC day.
    pub day: DateTime<Utc>,
    /// The visitor's hash across links.
    pub hash: String,
}

/// One batch's rollup changes, each map sorted in the order its rows are locked.
#[derive(Debug, Default)]
pub(super) struct RollupBatch {
    /// `link_hourly` by (link, hour).
    pub hourly: BTreeMap<(i64, DateTime<Utc>), HourDelta>,
    /// `link_daily` by (link, day): the sums of the batch's `hourly` rows per UTC day.
    pub daily: BTreeMap<(i64, DateTime<Utc>), HourDelta>,
    /// `link_hourly_dims` by key.
    pub dims: BTreeMap<DimKey, DimDelta>,
    /// `hourly_totals` by hour.
    pub totals: BTreeMap<DateTime<Utc>, HourDelta>,
    /// Visitors seen, each with the earliest hour it appeared in within the batch.
    pub visitors: BTreeMap<VisitorKey, DateTime<Utc>>,
    /// Visitors seen across links, each with the earliest hour and the link of that click.
    pub site_visitors: BTreeMap<SiteVisitorKey, (DateTime<Utc>, i64)>,
}

impl RollupBatch {
    /// Aggregates the given inserted clicks; clicks without a link (orphans) are left out.
    pub fn new<'a>(inserted: impl IntoIterator<Item = &'a Click>) -> Self {
        let mut batch = Self::default();
        for click in inserted {
            let Some(link) = click.short_url_id else {
                continue;
            };
            let hour = hour_of(click.occurred_at);
            let day = day_of(click.occurred_at);
            let bot = i64::from(click.potential_bot);
            for delta in [
                batch.hourly.entry((link, hour)).or_default(),
                batch.daily.entry((link, day)).or_default(),
                batch.totals.entry(hour).or_default(),
            ] {
                delta.total += 1;
                delta.bots += bot;
            }
            for dim in Dimension::ALL {
                let Some(value) = dimension_value(click, dim) else {
                    continue;
                };
                let key = DimKey {
                    link,
                    dim: dim.as_str(),
                    hour,
                    value: value.into_owned(),
                };
                let delta = batch.dims.entry(key).or_default();
                delta.total += 1;
                delta.bots += bot;
            }
            if let Some(hash) = &click.visitor_hash {
                let key = VisitorKey {
                    link,
                    day,
                    hash: hash.clone(),
                };
                let first = batch.visitors.entry(key).or_insert(hour);
                *first = (*first).min(hour);
            }
            if let Some(hash) = &click.site_visitor_hash {
                let key = SiteVisitorKey {
                    day,
                    hash: hash.clone(),
                };
                let first = batch.site_visitors.entry(key).or_insert((hour, link));
                *first = (*first).min((hour, link));
            }
        }
        batch
    }

    /// Whether the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.hourly.is_empty()
    }

    /// Counts a unique visitor of its link, in the hour it first appeared and in its day, for
    /// every key that was new to `visitor_days`; keys not in the batch are ignored.
    pub fn credit_new_visitors(&mut self, new: impl IntoIterator<Item = VisitorKey>) {
        for key in new {
            let Some(&hour) = self.visitors.get(&key) else {
                continue;
            };
            self.hourly.entry((key.link, hour)).or_default().uniques += 1;
            self.daily.entry((key.link, key.day)).or_default().uniques += 1;
        }
    }

    /// Counts a unique visitor among all links' visitors, in the hour it first appeared (and
    /// on the link it visited then), for every key that was new to `site_visitor_days`; keys
    /// not in the batch are ignored.
    pub fn credit_new_site_visitors(&mut self, new: impl IntoIterator<Item = SiteVisitorKey>) {
        for key in new {
            let Some(&(hour, link)) = self.site_visitors.get(&key) else {
                continue;
            };
            self.hourly.entry((link, hour)).or_default().site_uniques += 1;
            self.totals.entry(hour).or_default().uniques += 1;
        }
    }
}

/// The value a click is counted under in `dimension`'s breakdown; `None` leaves it out (the
/// destination breakdown counts only the clicks of links with a split, a campaign breakdown only
/// the visits tagged with it).
fn dimension_value(click: &Click, dimension: Dimension) -> Option<Cow<'_, str>> {
    let value = match dimension {
        Dimension::Country => click.location.country_code.as_deref(),
        Dimension::City => click.location.city_name.as_deref(),
        Dimension::ReferrerDomain => {
            return Some(click.referrer_domain.as_deref().unwrap_or(DIRECT).into());
        }
        Dimension::Browser => click.browser.as_deref(),
        Dimension::Os => click.os.as_deref(),
        Dimension::Device => Some(click.device.as_str()),
        Dimension::Destination => return click.destination.as_deref().map(Cow::Borrowed),
        Dimension::Utm(tag) => {
            let visited = click.visited_url.as_deref();
            return tag_of_visit(tag, visited, click.redirect_url.as_deref()).map(Cow::Owned);
        }
    };
    Some(value.filter(|v| !v.is_empty()).unwrap_or(UNKNOWN).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    use crate::clicks::DeviceKind;

    fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, day, hour, minute, 7)
            .single()
            .expect("valid time")
    }

    fn click(link: Option<i64>, when: DateTime<Utc>, bot: bool, hash: Option<&str>) -> Click {
        Click {
            message_id: uuid::Uuid::now_v7(),
            short_url_id: link,
            kind: crate::clicks::VisitKind::ValidShortUrl,
            occurred_at: when,
            enriched_at: when,
            ip: None,
            user_agent: None,
            referer: None,
            visited_url: None,
            redirect_url: None,
            potential_bot: bot,
            browser: Some("Firefox".into()),
            browser_version: None,
            os: None,
            device: DeviceKind::Desktop,
            location: Default::default(),
            traceparent: None,
            visitor_hash: hash.map(|hash| format!("{hash}@{}", link.unwrap_or_default())),
            site_visitor_hash: hash.map(str::to_owned),
            referrer_domain: None,
            destination: None,
        }
    }

    #[test]
    fn truncation_finds_hour_and_day_starts() {
        assert_eq!(hour_of(at(4, 13, 59)), at(4, 13, 0) - TimeDelta::seconds(7));
        assert_eq!(day_of(at(4, 13, 59)), at(4, 0, 0) - TimeDelta::seconds(7));
    }

    #[test]
    fn batch_aggregates_per_key_and_credits_the_first_hour() {
        let clicks = [
            click(Some(1), at(4, 10, 5), false, Some("a")),
            click(Some(1), at(4, 9, 30), true, Some("a")),
            click(Some(2), at(4, 9, 31), false, None),
            click(None, at(4, 9, 32), false, Some("orphan")),
        ];
        let mut batch = RollupBatch::new(&clicks);
        assert_eq!(batch.hourly.len(), 3);
        assert_eq!(batch.daily.len(), 2);
        assert_eq!(batch.totals.values().map(|d| d.total).sum::<i64>(), 3);
        assert_eq!(batch.visitors.len(), 1);
        let nine = hour_of(at(4, 9, 0));
        let key = VisitorKey {
            link: 1,
            day: day_of(nine),
            hash: "a@1".into(),
        };
        batch.credit_new_visitors([key]);
        assert_eq!(batch.hourly[&(1, nine)].uniques, 1);
        assert_eq!(batch.hourly[&(1, nine)].bots, 1);
        assert_eq!(batch.totals[&nine].uniques, 0, "counted across links apart");
        let site = batch.site_visitors.keys().cloned().collect::<Vec<_>>();
        batch.credit_new_site_visitors(site);
        assert_eq!(batch.totals[&nine].uniques, 1);
        assert_eq!(batch.hourly[&(1, nine)].site_uniques, 1);
        let first_day = HourDelta {
            total: 2,
            bots: 1,
            uniques: 1,
            site_uniques: 0,
        };
        assert_eq!(batch.daily[&(1, day_of(nine))], first_day);
        assert_eq!(batch.daily[&(2, day_of(nine))].uniques, 0);
        let unknown_os = batch
            .dims
            .iter()
            .filter(|(k, _)| k.dim == "os" && k.value == UNKNOWN)
            .map(|(_, d)| d.total)
            .sum::<i64>();
        assert_eq!(unknown_os, 3);
        let direct = batch
            .dims
            .iter()
            .filter(|(k, _)| k.dim == "referrer" && k.value == DIRECT)
            .count();
        assert_eq!(direct, 3);
    }

    #[test]
    fn a_visitor_of_two_links_is_one_visitor_of_all_links() {
        let clicks = [
            click(Some(2), at(4, 11, 0), false, Some("a")),
            click(Some(1), at(4, 10, 0), false, Some("a")),
            click(Some(1), at(4, 12, 0), false, Some("b")),
        ];
        let mut batch = RollupBatch::new(&clicks);
        let links = batch.visitors.keys().cloned().collect::<Vec<_>>();
        batch.credit_new_visitors(links);
        let site = batch.site_visitors.keys().cloned().collect::<Vec<_>>();
        batch.credit_new_site_visitors(site);
        let per_link: i64 = batch.daily.values().map(|d| d.uniques).sum();
        let all: i64 = batch.totals.values().map(|d| d.uniques).sum();
        assert_eq!(
            (per_link, all),
            (3, 2),
            "a counts once per link, once in all"
        );
        let ten = hour_of(at(4, 10, 0));
        assert_eq!(
            batch.hourly[&(1, ten)].site_uniques,
            1,
            "credited where first seen"
        );
        assert_eq!(batch.hourly[&(2, hour_of(at(4, 11, 0)))].site_uniques, 0);
    }

    proptest::proptest! {
        #[test]
        fn all_links_visitors_are_the_distinct_visitors_of_each_day(
            visits in proptest::collection::vec((1..4_i64, 0..48_u32, 0..5_u8), 0..60),
        ) {
            let clicks: Vec<Click> = visits
                .iter()
                .map(|&(link, hour, who)| {
                    let when = at(4 + hour / 24, hour % 24, 0);
                    click(Some(link), when, false, Some(&who.to_string()))
                })
                .collect();
            let mut batch = RollupBatch::new(&clicks);
            let site = batch.site_visitors.keys().cloned().collect::<Vec<_>>();
            batch.credit_new_site_visitors(site);
            let distinct: std::collections::BTreeSet<(u32, u8)> =
                visits.iter().map(|&(_, hour, who)| (hour / 24, who)).collect();
            let all: i64 = batch.totals.values().map(|d| d.uniques).sum();
            let credited: i64 = batch.hourly.values().map(|d| d.site_uniques).sum();
            proptest::prop_assert_eq!(all, distinct.len() as i64);
            proptest::prop_assert_eq!(credited, all, "the links' credits sum to the totals");
        }
    }

    #[test]
    fn only_split_clicks_are_counted_by_destination() {
        let mut split = click(Some(1), at(4, 10, 5), false, None);
        split.destination = Some("https://example.com/b".into());
        let plain = click(Some(2), at(4, 10, 6), false, None);
        let batch = RollupBatch::new(&[split, plain]);
        let destinations: Vec<(i64, &str)> = batch
            .dims
            .keys()
            .filter(|k| k.dim == "destination")
            .map(|k| (k.link, k.value.as_str()))
            .collect();
        assert_eq!(destinations, vec![(1, "https://example.com/b")]);
        assert_eq!(batch.dims.keys().filter(|k| k.dim == "os").count(), 2);
    }

    #[test]
    fn daily_rows_sum_each_days_hourly_rows() {
        let clicks = [
            click(Some(1), at(4, 23, 59), false, Some("a")),
            click(Some(1), at(5, 0, 1), true, Some("a")),
            click(Some(1), at(5, 7, 0), false, Some("b")),
            click(Some(1), at(5, 9, 0), false, Some("b")),
        ];
        let mut batch = RollupBatch::new(&clicks);
        let new = batch.visitors.keys().cloned().collect::<Vec<_>>();
        assert_eq!(new.len(), 3, "a on the 4th, a and b on the 5th");
        batch.credit_new_visitors(new);
        let mut summed: BTreeMap<(i64, DateTime<Utc>), HourDelta> = BTreeMap::new();
        for (&(link, hour), delta) in &batch.hourly {
            let day = summed.entry((link, day_of(hour))).or_default();
            day.total += delta.total;
            day.bots += delta.bots;
            day.uniques += delta.uniques;
        }
        assert_eq!(batch.daily, summed);
        let fifth = HourDelta {
            total: 3,
            bots: 1,
            uniques: 2,
            site_uniques: 0,
        };
        assert_eq!(batch.daily[&(1, day_of(at(5, 0, 0)))], fifth);
    }
}
