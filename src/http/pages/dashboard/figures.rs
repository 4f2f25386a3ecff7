//! The dashboard's headline figures from hourly rollups, by UTC day.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

use crate::store::{HourFigures, HourRange};

/// Days the dashboard's totals and chart cover (today included).
pub const DASHBOARD_DAYS: u32 = 30;

/// Days each link's sparkline covers (today included).
pub const SPARKLINE_DAYS: u32 = 14;

/// The dashboard's figures over its window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    /// All clicks.
    pub clicks: i64,
    /// Clicks not flagged as bots.
    pub humans: i64,
    /// Clicks flagged as bots.
    pub bots: i64,
    /// Unique visitors per UTC day, summed over the days.
    pub uniques: i64,
    /// Clicks today (UTC).
    pub today: i64,
    /// Clicks yesterday (UTC).
    pub yesterday: i64,
    /// Clicks per UTC day, oldest first, every day of the window (zeros included).
    pub days: Vec<(NaiveDate, i64)>,
}

impl Overview {
    /// Sums `hours` (rows of the window ending `today`) into totals and daily buckets.
    pub fn of(hours: &[HourFigures], today: NaiveDate, days: u32) -> Self {
        let first = first_day(today, days);
        let mut out = Self {
            days: first
                .iter_days()
                .take(days as usize)
                .map(|day| (day, 0))
                .collect(),
            ..Self::default()
        };
        let yesterday = today.pred_opt().unwrap_or(today);
        for hour in hours {
            let day = hour.hour.date_naive();
            out.clicks += hour.total;
            out.bots += hour.bots;
            out.uniques += hour.uniques;
            if day == today {
                out.today += hour.total;
            } else if day == yesterday {
                out.yesterday += hour.total;
            }
            if let Some(bucket) = out.days.iter_mut().find(|(d, _)| *d == day) {
                bucket.1 += hour.total;
            }
        }
        out.humans = out.clicks - out.bots;
        out
    }

    /// Today's change against yesterday, e.g. "+3" or "−2" (or "±0").
    pub fn change(&self) -> String {
        match self.today - self.yesterday {
            0 => "±0".to_owned(),
            d if d > 0 => format!("+{d}"),
            d => format!("−{}", d.unsigned_abs()),
        }
    }

    /// The chart's points: `MM-DD` labels and clicks.
    pub fn chart_points(&self) -> Vec<(String, i64)> {
        self.days
            .iter()
            .map(|(day, clicks)| (day.format("%b %-d").to_string(), *clicks))
            .collect()
    }
}

/// The hours of the `days` UTC days ending with the current hour of `now`.
pub fn window(now: DateTime<Utc>, days: u32) -> HourRange {
    let today = now.date_naive();
    let from = first_day(today, days)
        .and_hms_opt(0, 0, 0)
        .map_or(now, |midnight| midnight.and_utc());
    let hour_start = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    HourRange {
        from,
        to: hour_start + Duration::hours(1),
    }
}

fn first_day(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_sub_days(chrono::Days::new(u64::from(days.saturating_sub(1))))
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn hour(s: &str, total: i64, bots: i64, uniques: i64) -> HourFigures {
        HourFigures {
            hour: at(s),
            total,
            bots,
            uniques,
        }
    }

    #[test]
    fn window_covers_whole_days_up_to_the_current_hour() {
        let range = window(at("2024-06-15T10:20:00Z"), 30);
        assert_eq!(range.from, at("2024-05-17T00:00:00Z"));
        assert_eq!(range.to, at("2024-06-15T11:00:00Z"));
    }

    #[test]
    fn sums_totals_today_yesterday_and_days() {
        let today = NaiveDate::from_ymd_opt(2024, 6, 15).unwrap();
        let hours = [
            hour("2024-06-01T08:00:00Z", 4, 1, 2),
            hour("2024-06-14T23:00:00Z", 2, 0, 1),
            hour("2024-06-15T00:00:00Z", 3, 2, 1),
            hour("2024-06-15T09:00:00Z", 5, 0, 3),
        ];
        let overview = Overview::of(&hours, today, 30);
        assert_eq!(overview.clicks, 14);
        assert_eq!(overview.bots, 3);
        assert_eq!(overview.humans, 11);
        assert_eq!(overview.uniques, 7);
        assert_eq!((overview.today, overview.yesterday), (8, 2));
        assert_eq!(overview.change(), "+6");
        assert_eq!(overview.days.len(), 30);
        assert_eq!(overview.days.last(), Some(&(today, 8)));
        let summed: i64 = overview.days.iter().map(|(_, c)| c).sum();
        assert_eq!(summed, overview.clicks);
        assert_eq!(overview.chart_points()[29].0, "Jun 15");
    }

    #[test]
    fn change_reads_naturally() {
        let mut overview = Overview::default();
        assert_eq!(overview.change(), "±0");
        overview.yesterday = 3;
        assert_eq!(overview.change(), "−3");
    }
}
