//! Date-range presets of the analytics pages and their hour-aligned UTC ranges.
//!
//! Day-based presets follow the viewer's calendar: "7 days" is today and the six local days
//! before it. Rollups are hourly in UTC, so a range starts at the UTC hour holding the local
//! midnight (zones with half-hour offsets gain that half hour) and ends at the end of the
//! current hour (or of the last local day of a custom range).

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::timezone::{ceil_hour, floor_hour, local_date, local_day_start};
use crate::store::HourRange;

/// A range choice of the range picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Since local midnight.
    Today,
    /// Today and the 6 days before.
    Days7,
    /// Today and the 29 days before.
    Days30,
    /// Today and the 89 days before.
    Days90,
    /// Since the link was created.
    All,
    /// Local dates `from`..=`to` chosen by the viewer.
    Custom,
}

impl Preset {
    /// Every preset, in picker order.
    pub const ALL: [Self; 6] = [
        Self::Today,
        Self::Days7,
        Self::Days30,
        Self::Days90,
        Self::All,
        Self::Custom,
    ];

    /// The preset used when the query names none (or an unknown one).
    pub const DEFAULT: Self = Self::Days30;

    /// The value of the `range` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Today => "today",
            Self::Days7 => "7d",
            Self::Days30 => "30d",
            Self::Days90 => "90d",
            Self::All => "all",
            Self::Custom => "custom",
        }
    }

    /// The picker's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Today => "Today",
            Self::Days7 => "7 days",
            Self::Days30 => "30 days",
            Self::Days90 => "90 days",
            Self::All => "All time",
            Self::Custom => "Custom",
        }
    }

    /// Parses a `range` query value; `None` when unknown.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == value)
    }

    /// How many local days before today a day-based preset reaches back.
    fn days_back(self) -> Option<u64> {
        match self {
            Self::Today => Some(0),
            Self::Days7 => Some(6),
            Self::Days30 => Some(29),
            Self::Days90 => Some(89),
            Self::All | Self::Custom => None,
        }
    }
}

/// A resolved range choice: what the picker shows and the hours it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeChoice {
    /// The preset in effect (`Custom` only when both dates were valid).
    pub preset: Preset,
    /// First local day included.
    pub first_day: NaiveDate,
    /// Last local day included.
    pub last_day: NaiveDate,
    /// The UTC hours to read.
    pub hours: HourRange,
}

/// What the viewer asked for, before resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeRequest {
    /// The preset asked for.
    pub preset: Preset,
    /// First day of a custom range.
    pub from: Option<NaiveDate>,
    /// Last day of a custom range.
    pub to: Option<NaiveDate>,
}

impl RangeRequest {
    /// Reads the `range`, `from` and `to` query values; unknown or malformed ones fall back to
    /// the default preset rather than failing the page.
    pub fn parse(range: Option<&str>, from: Option<&str>, to: Option<&str>) -> Self {
        let date =
            |s: Option<&str>| s.and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok());
        Self {
            preset: range.and_then(Preset::parse).unwrap_or(Preset::DEFAULT),
            from: date(from),
            to: date(to),
        }
    }

    /// The hours covered in `zone` at `now`; `all_since` is where "all time" starts (the link's
    /// creation). A custom range with a missing date falls back to the default preset; reversed
    /// dates are swapped.
    pub fn resolve(self, zone: Tz, now: DateTime<Utc>, all_since: DateTime<Utc>) -> RangeChoice {
        let today = local_date(zone, now);
        let end = floor_hour(now) + chrono::Duration::hours(1);
        match (self.preset, self.from, self.to) {
            (Preset::Custom, Some(a), Some(b)) => {
                let (first_day, last_day) = if a <= b { (a, b) } else { (b, a) };
                let after = last_day.checked_add_days(Days::new(1)).unwrap_or(last_day);
                RangeChoice {
                    preset: Preset::Custom,
                    first_day,
                    last_day,
                    hours: HourRange {
                        from: floor_hour(local_day_start(zone, first_day)),
                        to: ceil_hour(local_day_start(zone, after)),
                    },
                }
            }
            (Preset::All, ..) => {
                let from = floor_hour(all_since.min(now));
                RangeChoice {
                    preset: Preset::All,
                    first_day: local_date(zone, from),
                    last_day: today,
                    hours: HourRange { from, to: end },
                }
            }
            (preset, ..) => {
                let preset = if preset.days_back().is_some() {
                    preset
                } else {
                    Preset::DEFAULT
                };
                let back = preset.days_back().unwrap_or(0);
                let first_day = today.checked_sub_days(Days::new(back)).unwrap_or(today);
                RangeChoice {
                    preset,
                    first_day,
                    last_day: today,
                    hours: HourRange {
                        from: floor_hour(local_day_start(zone, first_day)),
                        to: end,
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("RFC 3339")
    }

    fn request(range: &str) -> RangeRequest {
        RangeRequest::parse(Some(range), None, None)
    }

    #[test]
    fn presets_round_trip_and_unknown_falls_back() {
        for preset in Preset::ALL {
            assert_eq!(Preset::parse(preset.as_str()), Some(preset));
        }
        assert_eq!(request("week").preset, Preset::DEFAULT);
        assert_eq!(
            RangeRequest::parse(None, None, None).preset,
            Preset::DEFAULT
        );
    }

    #[test]
    fn today_starts_at_local_midnight_and_ends_after_the_current_hour() {
        let now = utc("2024-06-15T10:20:00Z");
        let since = utc("2024-01-01T00:00:00Z");
        let utc_today = request("today").resolve(chrono_tz::UTC, now, since);
        assert_eq!(utc_today.hours.from, utc("2024-06-15T00:00:00Z"));
        assert_eq!(utc_today.hours.to, utc("2024-06-15T11:00:00Z"));
        let tokyo = request("today").resolve(chrono_tz::Asia::Tokyo, now, since);
        assert_eq!(tokyo.hours.from, utc("2024-06-14T15:00:00Z"));
        let kolkata = request("today").resolve(chrono_tz::Asia::Kolkata, now, since);
        assert_eq!(kolkata.hours.from, utc("2024-06-14T18:00:00Z"));
    }

    #[test]
    fn day_presets_cover_whole_local_days() {
        let now = utc("2024-06-15T10:20:00Z");
        let since = utc("2020-01-01T00:00:00Z");
        for (name, days) in [("7d", 7), ("30d", 30), ("90d", 90)] {
            let choice = request(name).resolve(chrono_tz::UTC, now, since);
            assert_eq!(choice.preset.as_str(), name);
            assert_eq!((choice.last_day - choice.first_day).num_days() + 1, days);
            assert_eq!(
                choice.hours.from,
                utc("2024-06-15T00:00:00Z") - Duration::days(days - 1)
            );
        }
    }

    #[test]
    fn a_week_across_dst_is_one_hour_shorter() {
        let now = utc("2024-04-02T12:00:00Z");
        let since = utc("2020-01-01T00:00:00Z");
        let berlin = request("7d").resolve(chrono_tz::Europe::Berlin, now, since);
        // 27 March 00:00 CET is 26 March 23:00 UTC.
        assert_eq!(berlin.hours.from, utc("2024-03-26T23:00:00Z"));
    }

    #[test]
    fn all_starts_at_the_creation_hour() {
        let now = utc("2024-06-15T10:20:00Z");
        let choice = request("all").resolve(chrono_tz::UTC, now, utc("2024-05-01T08:59:59Z"));
        assert_eq!(choice.hours.from, utc("2024-05-01T08:00:00Z"));
        assert_eq!(choice.hours.to, utc("2024-06-15T11:00:00Z"));
    }

    #[test]
    fn custom_ranges_are_inclusive_local_days_and_swapped_when_reversed() {
        let now = utc("2024-06-15T10:20:00Z");
        let since = utc("2020-01-01T00:00:00Z");
        let custom = RangeRequest::parse(Some("custom"), Some("2024-06-10"), Some("2024-06-01"))
            .resolve(chrono_tz::America::New_York, now, since);
        assert_eq!(custom.preset, Preset::Custom);
        assert_eq!(custom.hours.from, utc("2024-06-01T04:00:00Z"));
        assert_eq!(custom.hours.to, utc("2024-06-11T04:00:00Z"));
        let missing = RangeRequest::parse(Some("custom"), Some("2024-06-10"), Some("junk"))
            .resolve(chrono_tz::UTC, now, since);
        assert_eq!(missing.preset, Preset::DEFAULT);
    }

    #[test]
    fn every_range_is_hour_aligned_and_not_empty() {
        let since = utc("2024-06-15T10:05:00Z");
        for minute in [0, 1, 59] {
            let now = utc("2024-06-15T10:00:00Z") + Duration::minutes(minute);
            for preset in Preset::ALL {
                let choice = request(preset.as_str()).resolve(chrono_tz::Asia::Kolkata, now, since);
                assert_eq!(floor_hour(choice.hours.from), choice.hours.from);
                assert_eq!(floor_hour(choice.hours.to), choice.hours.to);
                assert!(choice.hours.from < choice.hours.to, "{preset:?} at {now}");
                assert!(choice.hours.to > now);
            }
        }
    }
}
