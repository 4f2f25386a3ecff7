//! How reads cut a range over the rollups: whole UTC days answered by `link_daily` and the edge
//! hours by `link_hourly`, and the day buckets of sparklines.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::day_of;
use crate::store::HourRange;

/// A range cut into what `link_daily` can answer (whole UTC days) and what only `link_hourly`
/// can (the hours before the first whole day and after the last); the pieces are disjoint, in
/// order, and together exactly the range, so summing them gives the figures of the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store) struct DaySplit {
    /// Hours before the first whole day, or the whole range when it holds no whole day.
    pub head: Option<HourRange>,
    /// Whole UTC days: both ends are midnights.
    pub days: Option<HourRange>,
    /// Hours after the last whole day.
    pub tail: Option<HourRange>,
}

impl DaySplit {
    /// The pieces read from `link_hourly`, in order.
    pub fn hours(&self) -> impl Iterator<Item = HourRange> {
        self.head.into_iter().chain(self.tail)
    }

    /// Whether the range was empty (nothing to read).
    pub fn is_empty(&self) -> bool {
        self.head.is_none() && self.days.is_none()
    }
}

/// Cuts `[from, to)` at the first and the last midnight inside it. Works for any instants:
/// an hour row belongs to a piece exactly when it belonged to the range.
pub(in crate::store) fn split_days(range: HourRange) -> DaySplit {
    let none = DaySplit {
        head: None,
        days: None,
        tail: None,
    };
    if range.to <= range.from {
        return none;
    }
    let floor = day_of(range.from);
    let first = if floor == range.from {
        floor
    } else {
        floor + TimeDelta::days(1)
    };
    let last = day_of(range.to);
    if first >= last {
        return DaySplit {
            head: Some(range),
            ..none
        };
    }
    let piece =
        |from: DateTime<Utc>, to: DateTime<Utc>| (from < to).then_some(HourRange { from, to });
    DaySplit {
        head: piece(range.from, first),
        days: Some(HourRange {
            from: first,
            to: last,
        }),
        tail: piece(last, range.to),
    }
}

/// The UTC days a sparkline over `range` has: the first day's start and how many days.
pub(in crate::store) fn sparkline_days(range: HourRange) -> (DateTime<Utc>, usize) {
    let first = day_of(range.from);
    if range.to <= range.from {
        return (first, 0);
    }
    let last = day_of(range.to - TimeDelta::milliseconds(1));
    let days = (last - first).num_days() + 1;
    (first, usize::try_from(days).unwrap_or(0))
}

/// One series of `days` zeros per requested link, in request order, filled from
/// `(link, day index, visits)` rows (indexes outside the series are ignored).
pub(in crate::store) fn fill_sparklines(
    link_ids: &[i64],
    days: usize,
    rows: impl IntoIterator<Item = (i64, i64, i64)>,
) -> Vec<(i64, Vec<i64>)> {
    let mut series: HashMap<i64, Vec<i64>> =
        link_ids.iter().map(|&link| (link, vec![0; days])).collect();
    for (link, day, visits) in rows {
        if let (Some(line), Ok(day)) = (series.get_mut(&link), usize::try_from(day))
            && let Some(slot) = line.get_mut(day)
        {
            *slot += visits;
        }
    }
    link_ids
        .iter()
        .map(|link| (*link, series.get(link).cloned().unwrap_or_default()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rollup::hour_of;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, day, hour, 0, 0)
            .single()
            .expect("valid time")
    }

    fn range(from: DateTime<Utc>, to: DateTime<Utc>) -> HourRange {
        HourRange { from, to }
    }

    /// The non-empty pieces in order: head, days, tail.
    fn pieces(split: &DaySplit) -> Vec<HourRange> {
        [split.head, split.days, split.tail]
            .into_iter()
            .flatten()
            .collect()
    }

    #[test]
    fn partial_days_at_both_ends_become_hours() {
        let split = split_days(range(at(4, 13), at(7, 5)));
        assert_eq!(split.head, Some(range(at(4, 13), at(5, 0))));
        assert_eq!(split.days, Some(range(at(5, 0), at(7, 0))));
        assert_eq!(split.tail, Some(range(at(7, 0), at(7, 5))));
        assert_eq!(split.hours().count(), 2);
        assert!(!split.is_empty());
    }

    #[test]
    fn aligned_ends_leave_no_hours() {
        let split = split_days(range(at(4, 0), at(6, 0)));
        assert_eq!((split.head, split.tail), (None, None));
        assert_eq!(split.days, Some(range(at(4, 0), at(6, 0))));
        // The dashboard's window: from a midnight to the end of the current hour.
        let dashboard = split_days(range(at(4, 0), at(6, 10)));
        assert_eq!(dashboard.head, None);
        assert_eq!(dashboard.tail, Some(range(at(6, 0), at(6, 10))));
    }

    #[test]
    fn ranges_without_a_whole_day_stay_hours() {
        let across_midnight = range(at(4, 13), at(5, 12));
        assert_eq!(
            split_days(across_midnight),
            DaySplit {
                head: Some(across_midnight),
                days: None,
                tail: None,
            }
        );
        let empty = split_days(range(at(4, 13), at(4, 13)));
        assert!(empty.is_empty());
        assert_eq!(empty.hours().count(), 0);
        assert!(split_days(range(at(5, 0), at(4, 0))).is_empty());
    }

    #[test]
    fn sparklines_cover_every_touched_day_and_ignore_strays() {
        let range = range(at(4, 5), at(6, 0));
        let (first, days) = sparkline_days(range);
        assert_eq!((first, days), (at(4, 0), 2));
        let filled = fill_sparklines(&[7, 8], days, [(7, 1, 3), (7, 1, 2), (9, 0, 1), (8, 5, 1)]);
        assert_eq!(filled, vec![(7, vec![0, 5]), (8, vec![0, 0])]);
        let empty = HourRange {
            from: range.to,
            to: range.to,
        };
        assert_eq!(sparkline_days(empty).1, 0);
    }

    /// Instants within ten days of a fixed midnight, often on an hour or a midnight.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        let base = at(1, 0);
        prop_oneof![
            (0..240i64).prop_map(move |h| base + TimeDelta::hours(h)),
            (0..10i64).prop_map(move |d| base + TimeDelta::days(d)),
            (0..864_000_000i64).prop_map(move |ms| base + TimeDelta::milliseconds(ms)),
        ]
    }

    proptest! {
        #[test]
        fn pieces_are_disjoint_and_cover_the_range_exactly(
            from in instant(),
            to in instant(),
            probes in proptest::collection::vec(instant(), 16),
        ) {
            let whole = range(from, to);
            let split = split_days(whole);
            let parts = pieces(&split);
            prop_assert_eq!(split.is_empty(), to <= from);
            prop_assert!(parts.iter().all(|p| p.from < p.to));
            // Contiguous from `from` to `to`: disjoint, and nothing left out.
            if let (Some(first), Some(last)) = (parts.first(), parts.last()) {
                prop_assert_eq!(first.from, from);
                prop_assert_eq!(last.to, to);
            }
            prop_assert!(parts.windows(2).all(|w| w[0].to == w[1].from));
            if let Some(days) = split.days {
                prop_assert_eq!(day_of(days.from), days.from);
                prop_assert_eq!(day_of(days.to), days.to);
            }
            // Every hour piece is shorter than a day unless it is the whole range, and a whole
            // range with a midnight-to-midnight day inside it always uses the daily table.
            for hours in split.hours() {
                prop_assert!(hours.to - hours.from < TimeDelta::days(1) || split.days.is_none());
            }
            let midnight = day_of(from) + TimeDelta::days(1);
            let holds_a_day = day_of(from) == from && from + TimeDelta::days(1) <= to
                || midnight + TimeDelta::days(1) <= to;
            prop_assert_eq!(split.days.is_some(), holds_a_day);
            // A probe (or the hour row starting at it) is in exactly as many pieces as the
            // range holds it: once or never.
            for probe in probes.into_iter().chain([hour_of(from), from, to]) {
                let inside = |r: &HourRange| probe >= r.from && probe < r.to;
                let hits = parts.iter().filter(|r| inside(r)).count();
                prop_assert_eq!(hits, usize::from(inside(&whole)));
            }
        }
    }
}
