//! A/B splits: a link may send a share of its visitors to other destinations. Each visitor
//! falls in a bucket (0–99) drawn from the daily visitor hash, so one visitor keeps getting the
//! same destination all day, on every instance, and visitors spread by the weights.

use serde::{Deserialize, Serialize};

use super::{LongUrl, OwnOrigin};

/// Most destinations one split may have besides the link's own long URL.
pub const MAX_DESTINATIONS: usize = 10;

/// The buckets visitors fall in: weights are percentages.
const BUCKETS: u64 = 100;

/// Why a split was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// More destinations than [`MAX_DESTINATIONS`].
    #[error("a split has at most {MAX_DESTINATIONS} destinations besides the link's long URL")]
    TooMany,
    /// A weight outside 1..=100.
    #[error("destination {0}: weight must be a whole percentage from 1 to 100")]
    Weight(usize),
    /// The weights add up to more than 100.
    #[error("the weights add up to {0}%; at most 100% (the rest goes to the link's long URL)")]
    Total(u32),
    /// A destination's URL is refused by the long URL rules.
    #[error("destination {index}: {reason}")]
    Url {
        /// 1-based position in the list.
        index: usize,
        /// The long URL rule it breaks.
        reason: String,
    },
    /// The same URL twice.
    #[error("destination {0} repeats an earlier destination's URL")]
    Repeated(usize),
}

/// One weighted destination as clients send and see it (`{"longUrl": …, "weight": 30}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationParts {
    /// Where this share of the visitors goes.
    pub long_url: String,
    /// The percentage of visitors sent there.
    pub weight: i64,
}

/// One validated destination of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Where this share of the visitors goes.
    pub long_url: LongUrl,
    /// The percentage of visitors sent there (1–100).
    pub weight: u8,
}

/// A link's weighted destinations; the visitors they leave over go to the link's own long URL.
/// Empty means no split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split(Vec<Destination>);

/// Where a visitor falls among a split's weights: 0–99, from its daily visitor hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket(u8);

impl Bucket {
    /// The bucket of a visitor hash (hex, as the pipeline stores it); hashes that are not hex
    /// still land in a fixed bucket.
    pub fn of(visitor_hash: &str) -> Self {
        let prefix = visitor_hash.get(..16).unwrap_or(visitor_hash);
        let value = u64::from_str_radix(prefix, 16).unwrap_or_default();
        Self(u8::try_from(value % BUCKETS).unwrap_or_default())
    }
}

impl Split {
    /// Validates destinations as a client sent them; `own` is this shortener's origin, which a
    /// destination may not point back to.
    pub fn parse(parts: &[DestinationParts], own: &OwnOrigin<'_>) -> Result<Self, SplitError> {
        Self::build(parts, |raw| LongUrl::parse(raw, own))
    }

    /// Destinations read back from the store (already validated once).
    pub fn parse_stored(parts: &[DestinationParts]) -> Result<Self, SplitError> {
        Self::build(parts, LongUrl::parse_stored)
    }

    fn build<E: ToString>(
        parts: &[DestinationParts],
        parse_url: impl Fn(&str) -> Result<LongUrl, E>,
    ) -> Result<Self, SplitError> {
        if parts.len() > MAX_DESTINATIONS {
            return Err(SplitError::TooMany);
        }
        let mut destinations: Vec<Destination> = Vec::with_capacity(parts.len());
        for (position, part) in parts.iter().enumerate() {
            let index = position + 1;
            let weight = u8::try_from(part.weight)
                .ok()
                .filter(|w| (1..=100).contains(w))
                .ok_or(SplitError::Weight(index))?;
            let long_url = parse_url(&part.long_url).map_err(|err| SplitError::Url {
                index,
                reason: err.to_string(),
            })?;
            if destinations.iter().any(|d| d.long_url == long_url) {
                return Err(SplitError::Repeated(index));
            }
            destinations.push(Destination { long_url, weight });
        }
        let total: u32 = destinations.iter().map(|d| u32::from(d.weight)).sum();
        if total > 100 {
            return Err(SplitError::Total(total));
        }
        Ok(Self(destinations))
    }

    /// Whether there is no split.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The destinations, in the order given.
    pub fn destinations(&self) -> &[Destination] {
        &self.0
    }

    /// The share of visitors left for the link's own long URL, in percent.
    pub fn own_weight(&self) -> u8 {
        let given: u32 = self.0.iter().map(|d| u32::from(d.weight)).sum();
        u8::try_from(100u32.saturating_sub(given)).unwrap_or_default()
    }

    /// The destination of a visitor in `bucket`; `None` is the link's own long URL.
    pub fn choose(&self, bucket: Bucket) -> Option<&LongUrl> {
        let mut upper = 0u32;
        for destination in &self.0 {
            upper += u32::from(destination.weight);
            if u32::from(bucket.0) < upper {
                return Some(&destination.long_url);
            }
        }
        None
    }

    /// The destinations as clients see them (and the store keeps them).
    pub fn parts(&self) -> Vec<DestinationParts> {
        self.0
            .iter()
            .map(|d| DestinationParts {
                long_url: d.long_url.to_string(),
                weight: i64::from(d.weight),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parts(weights: &[i64]) -> Vec<DestinationParts> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| DestinationParts {
                long_url: format!("https://example.com/variant-{i}"),
                weight,
            })
            .collect()
    }

    fn base() -> url::Url {
        url::Url::parse("https://s.example/").unwrap()
    }

    #[test]
    fn weights_are_percentages_that_leave_the_rest_to_the_link() {
        assert_eq!(
            Split::parse(&parts(&[0]), &OwnOrigin::of(&base())),
            Err(SplitError::Weight(1))
        );
        assert_eq!(
            Split::parse(&parts(&[50, 101]), &OwnOrigin::of(&base())),
            Err(SplitError::Weight(2))
        );
        assert_eq!(
            Split::parse(&parts(&[60, 50]), &OwnOrigin::of(&base())),
            Err(SplitError::Total(110))
        );
        assert_eq!(
            Split::parse(&parts(&[30, 20]), &OwnOrigin::of(&base()))
                .unwrap()
                .own_weight(),
            50
        );
        assert_eq!(
            Split::parse(&parts(&[100]), &OwnOrigin::of(&base()))
                .unwrap()
                .own_weight(),
            0
        );
        assert_eq!(
            Split::parse(&parts(&[1; 11]), &OwnOrigin::of(&base())),
            Err(SplitError::TooMany)
        );
    }

    #[test]
    fn urls_follow_the_long_url_rules_and_do_not_repeat() {
        let mut bad = parts(&[10, 10]);
        bad[1].long_url = "https://s.example/loop".into();
        assert!(matches!(
            Split::parse(&bad, &OwnOrigin::of(&base())),
            Err(SplitError::Url { index: 2, .. })
        ));
        let mut twice = parts(&[10, 10]);
        twice[1].long_url = twice[0].long_url.clone();
        assert_eq!(
            Split::parse(&twice, &OwnOrigin::of(&base())),
            Err(SplitError::Repeated(2))
        );
    }

    #[test]
    fn buckets_come_from_the_hash_prefix() {
        assert_eq!(Bucket::of("0000000000000063"), Bucket(99));
        assert_eq!(Bucket::of("0000000000000064"), Bucket(0));
        assert_eq!(Bucket::of("zz"), Bucket(0));
    }

    proptest! {
        /// Over the hundred buckets, each destination gets exactly its weight and the link the rest.
        #[test]
        fn every_bucket_goes_where_the_weights_say(weights in prop::collection::vec(1i64..=30, 0..=3)) {
            let split = Split::parse(&parts(&weights), &OwnOrigin::of(&base())).unwrap();
            let mut counts = vec![0i64; weights.len()];
            let mut own_count = 0i64;
            for bucket in 0..100u8 {
                match split.choose(Bucket(bucket)) {
                    Some(url) => {
                        let index = split.destinations().iter().position(|d| &d.long_url == url).unwrap();
                        counts[index] += 1;
                    }
                    None => own_count += 1,
                }
            }
            prop_assert_eq!(counts, weights);
            prop_assert_eq!(own_count, i64::from(split.own_weight()));
        }

        /// Stored destinations read back as they were given.
        #[test]
        fn parts_round_trip(weights in prop::collection::vec(1i64..=10, 0..=10)) {
            let split = Split::parse(&parts(&weights), &OwnOrigin::of(&base())).unwrap();
            prop_assert_eq!(Split::parse_stored(&split.parts()).unwrap(), split);
        }
    }
}
