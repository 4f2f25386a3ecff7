//! The viewer's time zone and the calendar arithmetic the analytics pages do in it.
//!
//! Rollups are hourly in UTC; ranges and day buckets follow the viewer's local calendar. Every
//! conversion here goes through real instants, so days of 23 or 25 hours (DST) come out right.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Longest zone name we try to parse (the longest IANA name is about 32 characters).
const MAX_ZONE_NAME: usize = 64;

/// A time zone from its IANA name (`Europe/Berlin`); `None` for anything else.
pub fn parse_zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_ZONE_NAME {
        return None;
    }
    name.parse().ok()
}

/// The viewer's zone: the `tz` query parameter, else the `tz` cookie set by JavaScript, else UTC.
pub fn viewer_zone(query: Option<&str>, cookie: Option<&str>) -> Tz {
    query
        .and_then(parse_zone)
        .or_else(|| cookie.and_then(parse_zone))
        .unwrap_or(chrono_tz::UTC)
}

/// The start of the whole UTC hour holding `at`.
pub fn floor_hour(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_minute(0))
        .unwrap_or(at)
}

/// The first whole UTC hour at or after `at`.
pub fn ceil_hour(at: DateTime<Utc>) -> DateTime<Utc> {
    let floor = floor_hour(at);
    if floor == at {
        at
    } else {
        floor + Duration::hours(1)
    }
}

/// The calendar date `at` falls on in `zone`.
pub fn local_date(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The first instant of `date` in `zone`; when midnight does not exist there (a DST gap at
/// midnight), the first local time of that day that does.
pub fn local_day_start(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    (0..=24 * 4)
        .map(|quarter| midnight + Duration::minutes(15 * quarter))
        .find_map(|local| zone.from_local_datetime(&local).earliest())
        .map_or_else(|| midnight.and_utc(), |start| start.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("RFC 3339")
    }

    #[test]
    fn zones_come_from_query_then_cookie_then_utc() {
        assert_eq!(
            viewer_zone(Some("Europe/Berlin"), Some("Asia/Tokyo")),
            chrono_tz::Europe::Berlin
        );
        assert_eq!(
            viewer_zone(Some("Not/AZone"), Some("Asia/Tokyo")),
            chrono_tz::Asia::Tokyo
        );
        assert_eq!(viewer_zone(None, Some("<script>")), chrono_tz::UTC);
        assert_eq!(viewer_zone(None, None), chrono_tz::UTC);
        assert_eq!(parse_zone(&"A".repeat(200)), None);
    }

    #[test]
    fn hours_round_down_and_up() {
        let at = utc("2024-03-10T13:45:10.5Z");
        assert_eq!(floor_hour(at), utc("2024-03-10T13:00:00Z"));
        assert_eq!(ceil_hour(at), utc("2024-03-10T14:00:00Z"));
        let whole = utc("2024-03-10T13:00:00Z");
        assert_eq!(ceil_hour(whole), whole);
    }

    #[test]
    fn day_starts_follow_dst() {
        let berlin = chrono_tz::Europe::Berlin;
        let spring = NaiveDate::from_ymd_opt(2024, 3, 31).expect("date");
        let next = NaiveDate::from_ymd_opt(2024, 4, 1).expect("date");
        let start = local_day_start(berlin, spring);
        assert_eq!(start, utc("2024-03-30T23:00:00Z"));
        assert_eq!(local_day_start(berlin, next) - start, Duration::hours(23));
        let autumn = NaiveDate::from_ymd_opt(2024, 10, 27).expect("date");
        let after = NaiveDate::from_ymd_opt(2024, 10, 28).expect("date");
        assert_eq!(
            local_day_start(berlin, after) - local_day_start(berlin, autumn),
            Duration::hours(25)
        );
    }

    #[test]
    fn a_missing_midnight_starts_the_day_at_the_first_real_time() {
        // Santiago skipped from 00:00 to 01:00 on 2022-09-11.
        let santiago = chrono_tz::America::Santiago;
        let day = NaiveDate::from_ymd_opt(2022, 9, 11).expect("date");
        let start = local_day_start(santiago, day);
        assert_eq!(start, utc("2022-09-11T04:00:00Z"));
        assert_eq!(local_date(santiago, start), day);
    }
}
