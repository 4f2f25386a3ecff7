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

/// Whole hours since the epoch up to `at`: how `link_hourly_dims` keys its hour (three bytes in
/// SQLite, four in Postgres, where an instant takes six or eight).
pub(super) fn hour_number(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis().div_euclid(HOUR_MS)
}

/// The first hour number whose hour starts at or after `at`: a range `[from, to)` holds the
/// hours numbered `first_hour_from(from)..first_hour_from(to)`.
pub(super) fn first_hour_from(at: DateTime<Utc>) -> i64 {
    let ms = at.timestamp_millis();
    ms.div_euclid(HOUR_MS) + i64::from(ms.rem_euclid(HOUR_MS) != 0)
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

/// Primary key of a `link_hourly_dims` row, with its value as text (the row stores the text's
/// `click_texts` id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct DimKey {
    /// Link id.
    pub link: i64,
    /// `Dimension::code`.
    pub dim: i16,
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
                    dim: dim.code(),
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

/// The values a click is counted under in the breakdowns (none for an orphan visit, which no
/// link's rollups count), for the dictionary to hold.
pub(super) fn breakdown_values(click: &Click) -> impl Iterator<Item = Cow<'_, str>> {
    let counted = click.short_url_id.is_some();
    Dimension::ALL
        .into_iter()
        .filter(move |_| counted)
        .filter_map(|dimension| dimension_value(click, dimension))
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
mod tests;
