//! Turning rollup rows into what the analytics pages show: totals, chart buckets in the viewer's
//! time zone, and breakdown shares.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use super::range::RangeChoice;
use super::timezone::local_date;
use crate::store::{BreakdownRow, HourFigures};

/// Ranges of at most this many local days are charted by hour, longer ones by day.
pub const HOURLY_UP_TO_DAYS: i64 = 7;

/// Label of the breakdown row that gathers the values beyond the listed ones.
pub const OTHER_VALUES: &str = "Other values";

/// The headline figures of a range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// All visits.
    pub total: i64,
    /// Visits flagged as bots.
    pub bots: i64,
    /// Visits not flagged as bots.
    pub humans: i64,
    /// Unique visitors per UTC day, summed over the range.
    pub uniques: i64,
}

impl Totals {
    /// Sums hourly rollup rows.
    pub fn of(hours: &[HourFigures]) -> Self {
        let mut totals = hours.iter().fold(Self::default(), |acc, h| Self {
            total: acc.total + h.total,
            bots: acc.bots + h.bots,
            humans: 0,
            uniques: acc.uniques + h.uniques,
        });
        totals.humans = totals.total - totals.bots;
        totals
    }

    /// The visits counted under the bot switch.
    pub fn visits(&self, include_bots: bool) -> i64 {
        if include_bots {
            self.total
        } else {
            self.humans
        }
    }
}

/// The visits of one hour under the bot switch.
fn counted(hour: &HourFigures, include_bots: bool) -> i64 {
    if include_bots {
        hour.total
    } else {
        hour.total - hour.bots
    }
}

/// How finely a range is charted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One bar per UTC hour, labelled in local time.
    Hour,
    /// One bar per local day.
    Day,
}

impl Granularity {
    /// By hour for ranges of up to [`HOURLY_UP_TO_DAYS`] local days, by day beyond.
    pub fn of(choice: &RangeChoice) -> Self {
        if (choice.last_day - choice.first_day).num_days() < HOURLY_UP_TO_DAYS {
            Self::Hour
        } else {
            Self::Day
        }
    }
}

/// One bar of the time series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// When the bar starts, in the viewer's zone (its tooltip and axis label).
    pub label: String,
    /// Visits in the bucket under the bot switch.
    pub visits: i64,
}

/// The time series of `choice`: every bucket of the range (zeros included), so that the buckets
/// add up to the range's total. Hours before the first local day (zones with half-hour offsets)
/// go to the first day.
pub fn buckets(
    hours: &[HourFigures],
    choice: &RangeChoice,
    zone: Tz,
    include_bots: bool,
) -> Vec<Bucket> {
    match Granularity::of(choice) {
        Granularity::Hour => hour_buckets(hours, choice, zone, include_bots),
        Granularity::Day => day_buckets(hours, choice, zone, include_bots),
    }
}

fn hour_buckets(
    hours: &[HourFigures],
    choice: &RangeChoice,
    zone: Tz,
    include_bots: bool,
) -> Vec<Bucket> {
    let range = choice.hours;
    let count = usize::try_from((range.to - range.from).num_hours()).unwrap_or(0);
    let mut out: Vec<Bucket> = (0..count)
        .map(|i| {
            let start = range.from + Duration::hours(i64::try_from(i).unwrap_or(0));
            let local = start.with_timezone(&zone);
            Bucket {
                label: local.format("%a %-d %b %H:%M").to_string(),
                visits: 0,
            }
        })
        .collect();
    for hour in hours {
        let index = usize::try_from((hour.hour - range.from).num_hours()).ok();
        if let Some(bucket) = index.and_then(|i| out.get_mut(i)) {
            bucket.visits += counted(hour, include_bots);
        }
    }
    out
}

fn day_buckets(
    hours: &[HourFigures],
    choice: &RangeChoice,
    zone: Tz,
    include_bots: bool,
) -> Vec<Bucket> {
    let days: Vec<NaiveDate> = choice
        .first_day
        .iter_days()
        .take_while(|d| *d <= choice.last_day)
        .collect();
    let mut out: Vec<Bucket> = days
        .iter()
        .map(|day| Bucket {
            label: day.format("%a %-d %b %Y").to_string(),
            visits: 0,
        })
        .collect();
    for hour in hours {
        let day = local_date(zone, hour.hour).clamp(choice.first_day, choice.last_day);
        let index = usize::try_from((day - choice.first_day).num_days()).ok();
        if let Some(bucket) = index.and_then(|i| out.get_mut(i)) {
            bucket.visits += counted(hour, include_bots);
        }
    }
    out
}

/// One breakdown row with its share of the range's visits.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// The attribute value (or [`OTHER_VALUES`]).
    pub value: String,
    /// Visits with that value.
    pub visits: i64,
    /// Percentage of the range's visits, 0–100.
    pub percent: f64,
}

impl Share {
    /// The percentage with one decimal, e.g. `33.3`.
    pub fn percent_label(&self) -> String {
        format!("{:.1}", self.percent)
    }
}

/// Shares of `total` for each row, plus a row for the visits the listed rows leave out.
pub fn shares(rows: Vec<BreakdownRow>, total: i64) -> Vec<Share> {
    let percent = |visits: i64| {
        if total > 0 {
            visits as f64 * 100.0 / total as f64
        } else {
            0.0
        }
    };
    let listed: i64 = rows.iter().map(|r| r.visits).sum();
    let mut out: Vec<Share> = rows
        .into_iter()
        .map(|row| Share {
            percent: percent(row.visits),
            value: row.value,
            visits: row.visits,
        })
        .collect();
    if total > listed {
        out.push(Share {
            value: OTHER_VALUES.to_owned(),
            visits: total - listed,
            percent: percent(total - listed),
        });
    }
    out
}

#[cfg(test)]
mod tests;
