use chrono::{DateTime, Utc};

use super::*;
use crate::analytics::range::RangeRequest;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339")
}

fn hour(at: &str, total: i64, bots: i64, uniques: i64) -> HourFigures {
    HourFigures {
        hour: utc(at),
        total,
        bots,
        uniques,
    }
}

fn choice(range: &str, zone: Tz, now: &str) -> RangeChoice {
    RangeRequest::parse(Some(range), None, None).resolve(
        zone,
        utc(now),
        utc("2020-01-01T00:00:00Z"),
    )
}

#[test]
fn totals_sum_hours_and_split_humans_from_bots() {
    let hours = [
        hour("2024-06-15T01:00:00Z", 5, 2, 3),
        hour("2024-06-15T02:00:00Z", 4, 1, 1),
    ];
    let totals = Totals::of(&hours);
    assert_eq!(
        (totals.total, totals.bots, totals.humans, totals.uniques),
        (9, 3, 6, 4)
    );
    assert_eq!(totals.visits(true), 9);
    assert_eq!(totals.visits(false), 6);
}

#[test]
fn short_ranges_are_hourly_and_long_ones_daily() {
    let now = "2024-06-15T10:20:00Z";
    assert_eq!(
        Granularity::of(&choice("today", chrono_tz::UTC, now)),
        Granularity::Hour
    );
    assert_eq!(
        Granularity::of(&choice("7d", chrono_tz::UTC, now)),
        Granularity::Hour
    );
    assert_eq!(
        Granularity::of(&choice("30d", chrono_tz::UTC, now)),
        Granularity::Day
    );
}

#[test]
fn hour_buckets_cover_the_range_and_add_up() {
    let range = choice("today", chrono_tz::UTC, "2024-06-15T10:20:00Z");
    let hours = [
        hour("2024-06-15T00:00:00Z", 3, 1, 1),
        hour("2024-06-15T10:00:00Z", 7, 2, 4),
    ];
    let humans = buckets(&hours, &range, chrono_tz::UTC, false);
    assert_eq!(humans.len(), 11);
    assert_eq!(humans[0].visits, 2);
    assert_eq!(humans[10].visits, 5);
    assert_eq!(humans[10].label, "Sat 15 Jun 10:00");
    let all: i64 = buckets(&hours, &range, chrono_tz::UTC, true)
        .iter()
        .map(|b| b.visits)
        .sum();
    assert_eq!(all, Totals::of(&hours).total);
}

#[test]
fn hour_labels_are_local_and_dst_safe() {
    // Berlin springs forward at 01:00 UTC on 31 March 2024: 01:00 CET is followed by 03:00 CEST.
    let zone = chrono_tz::Europe::Berlin;
    let range = choice("today", zone, "2024-03-31T05:30:00Z");
    let labels: Vec<String> = buckets(&[], &range, zone, true)
        .into_iter()
        .map(|b| b.label)
        .collect();
    let expected = [
        "00:00", "01:00", "03:00", "04:00", "05:00", "06:00", "07:00",
    ];
    let expected: Vec<String> = expected.iter().map(|t| format!("Sun 31 Mar {t}")).collect();
    assert_eq!(labels, expected);
}

#[test]
fn day_buckets_follow_local_days_across_dst() {
    let zone = chrono_tz::America::New_York;
    // 30 days up to 15 March 2024 (DST began on 10 March).
    let range = choice("30d", zone, "2024-03-15T16:00:00Z");
    let hours = [
        // 9 March 23:00 local (EST): still 9 March.
        hour("2024-03-10T04:00:00Z", 1, 0, 1),
        // 10 March 00:00 local (EST).
        hour("2024-03-10T05:00:00Z", 2, 0, 1),
        // 10 March 23:00 local (EDT): the 23-hour day's last hour.
        hour("2024-03-11T03:00:00Z", 8, 0, 1),
        // 11 March 00:00 local (EDT) is 04:00 UTC.
        hour("2024-03-11T04:00:00Z", 4, 1, 1),
    ];
    let days = buckets(&hours, &range, zone, true);
    assert_eq!(days.len(), 30);
    let by_label = |label: &str| days.iter().find(|b| b.label == label).map(|b| b.visits);
    assert_eq!(by_label("Sat 9 Mar 2024"), Some(1));
    assert_eq!(by_label("Sun 10 Mar 2024"), Some(10));
    assert_eq!(by_label("Mon 11 Mar 2024"), Some(4));
    assert_eq!(days.iter().map(|b| b.visits).sum::<i64>(), 15);
}

#[test]
fn half_hour_zones_put_the_leading_half_hour_in_the_first_day() {
    let zone = chrono_tz::Asia::Kolkata;
    let range = choice("30d", zone, "2024-06-15T10:20:00Z");
    let first = range.hours.from;
    let days = buckets(&[hour(&first.to_rfc3339(), 3, 0, 1)], &range, zone, true);
    assert_eq!(days[0].visits, 3);
}

#[test]
fn shares_are_of_the_range_total_with_the_rest_gathered() {
    let rows = vec![
        BreakdownRow {
            value: "DE".into(),
            visits: 6,
        },
        BreakdownRow {
            value: "FR".into(),
            visits: 3,
        },
    ];
    let shares = shares(rows, 12);
    assert_eq!(shares.len(), 3);
    assert_eq!(shares[0].percent_label(), "50.0");
    assert_eq!(shares[1].percent_label(), "25.0");
    assert_eq!(
        (shares[2].value.as_str(), shares[2].visits),
        (OTHER_VALUES, 3)
    );
    assert!((shares.iter().map(|s| s.percent).sum::<f64>() - 100.0).abs() < 1e-9);
}

#[test]
fn shares_of_nothing_are_zero() {
    assert!(shares(Vec::new(), 0).is_empty());
    let one = shares(
        vec![BreakdownRow {
            value: "x".into(),
            visits: 0,
        }],
        0,
    );
    assert_eq!(one[0].percent, 0.0);
}
