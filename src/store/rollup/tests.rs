//! The rollup arithmetic of one batch: keys, first hours, unique credits and daily sums.

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
        .filter(|(k, _)| k.dim == Dimension::Os.code() && k.value == UNKNOWN)
        .map(|(_, d)| d.total)
        .sum::<i64>();
    assert_eq!(unknown_os, 3);
    let direct = batch
        .dims
        .iter()
        .filter(|(k, _)| k.dim == Dimension::ReferrerDomain.code() && k.value == DIRECT)
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
        .filter(|k| k.dim == Dimension::Destination.code())
        .map(|k| (k.link, k.value.as_str()))
        .collect();
    assert_eq!(destinations, vec![(1, "https://example.com/b")]);
    assert_eq!(
        batch
            .dims
            .keys()
            .filter(|k| k.dim == Dimension::Os.code())
            .count(),
        2
    );
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

proptest::proptest! {
    /// An hour row belongs to `[from, to)` exactly when its number lies in
    /// `first_hour_from(from)..first_hour_from(to)`, for any instants, before or after 1970.
    #[test]
    fn hour_numbers_select_the_hours_a_range_holds(
        from_ms in -3_600_000_000_000_i64..3_600_000_000_000,
        length_ms in 0_i64..10 * HOUR_MS,
        offset in -2_i64..12,
    ) {
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).expect("instant");
        let (from, to) = (at(from_ms), at(from_ms + length_ms));
        let hour = from_ms.div_euclid(HOUR_MS) + offset;
        let start = at(hour * HOUR_MS);
        proptest::prop_assert_eq!(hour_number(start), hour);
        proptest::prop_assert_eq!(hour_number(hour_of(from)), hour_number(from));
        let numbered = (first_hour_from(from)..first_hour_from(to)).contains(&hour);
        proptest::prop_assert_eq!(numbered, from <= start && start < to);
    }
}
