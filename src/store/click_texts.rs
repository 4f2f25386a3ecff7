//! The dictionary of click texts, shared by both engines: user agents, referrers, URLs, browser
//! and place names are stored once in `click_texts`, and a click row (`click_rows`) refers to
//! each by id, as a breakdown row (`link_hourly_dims`) does to its value. Most clicks repeat
//! texts seen before, so rows stay small and a batch writes only the texts it is the first to
//! see. The `clicks` view joins them back.
//!
//! A text's id never changes once committed and dictionary rows are never deleted, so ids can be
//! cached per process (and per instance on Postgres) without invalidation. Ids learnt inside a
//! transaction are only remembered after it commits.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use moka::sync::Cache;

use super::rollup::breakdown_values;
use super::{StoreError, StoreResult};
use crate::clicks::Click;

/// The texts of a click kept in the dictionary, in the order of [`TEXT_ID_COLUMNS`].
pub(super) fn texts(click: &Click) -> [Option<&str>; TEXT_COLUMNS] {
    let place = &click.location;
    [
        click.user_agent.as_deref(),
        click.referer.as_deref(),
        click.visited_url.as_deref(),
        click.redirect_url.as_deref(),
        click.browser.as_deref(),
        click.browser_version.as_deref(),
        click.os.as_deref(),
        Some(click.device.as_str()),
        place.country_name.as_deref(),
        place.region_name.as_deref(),
        place.city_name.as_deref(),
        place.timezone.as_deref(),
        click.referrer_domain.as_deref(),
    ]
}

/// The bytes a click row keeps its visitor hash as: the hash's hex text decoded, half its size
/// (the `clicks` view spells it back). Every hash linkpulse makes is hex; anything else (none
/// is ever stored) would be kept as no hash rather than fail the click.
pub(super) fn visitor_hash_bytes(click: &Click) -> Option<Vec<u8>> {
    click
        .visitor_hash
        .as_deref()
        .and_then(|hash| hex::decode(hash).ok())
}

/// How many texts of a click the dictionary holds.
pub(super) const TEXT_COLUMNS: usize = 13;

/// The `click_rows` columns holding the ids of [`texts`], in the same order.
pub(super) const TEXT_ID_COLUMNS: [&str; TEXT_COLUMNS] = [
    "user_agent_id",
    "referer_id",
    "visited_url_id",
    "redirect_url_id",
    "browser_id",
    "browser_version_id",
    "os_id",
    "device_id",
    "country_name_id",
    "region_name_id",
    "city_name_id",
    "timezone_id",
    "referrer_domain_id",
];

/// Bytes of text the process keeps ids for: the texts of a busy day's traffic (user agents
/// and URLs repeat), without letting a flood of unique referrers grow memory without bound.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Ids of texts known to be committed, so a batch of repeated texts writes nothing new.
#[derive(Clone)]
pub struct TextIds {
    cache: Cache<Arc<str>, i64>,
}

impl Default for TextIds {
    fn default() -> Self {
        let cache = Cache::builder()
            .weigher(|text: &Arc<str>, _: &i64| weight(text))
            .max_capacity(CACHE_BYTES)
            .build();
        Self { cache }
    }
}

/// What a cached text costs: its bytes plus the entry's id and pointer.
fn weight(text: &str) -> u32 {
    u32::try_from(text.len() + 16).unwrap_or(u32::MAX)
}

impl TextIds {
    /// The ids the cache knows for the batch's texts (the clicks' own and the values their
    /// breakdowns count them under), and the texts it does not (sorted, so concurrent
    /// transactions insert them in one order and cannot deadlock).
    pub(super) fn for_batch<'a>(&self, clicks: impl Iterator<Item = &'a Click>) -> BatchTexts<'a> {
        let mut ids = HashMap::new();
        let mut unknown = HashSet::new();
        let every_text = clicks.flat_map(|click| {
            let own = texts(click).into_iter().flatten().map(Cow::Borrowed);
            own.chain(breakdown_values(click))
        });
        for text in every_text {
            if ids.contains_key(text.as_ref()) || unknown.contains(text.as_ref()) {
                continue;
            }
            match self.cache.get(text.as_ref()) {
                Some(id) => {
                    ids.insert(text, id);
                }
                None => {
                    unknown.insert(text);
                }
            }
        }
        let mut unknown: Vec<Cow<'a, str>> = unknown.into_iter().collect();
        unknown.sort_unstable();
        BatchTexts {
            ids,
            unknown,
            learnt: Vec::new(),
        }
    }

    /// Remembers the ids a committed batch wrote or found.
    pub(super) fn remember(&self, batch: &BatchTexts<'_>) {
        for (text, id) in &batch.learnt {
            self.cache.insert(Arc::from(text.as_ref()), *id);
        }
    }
}

/// The dictionary ids one batch needs: those cached, plus those its transaction resolves.
pub(super) struct BatchTexts<'a> {
    ids: HashMap<Cow<'a, str>, i64>,
    unknown: Vec<Cow<'a, str>>,
    learnt: Vec<(Cow<'a, str>, i64)>,
}

impl<'a> BatchTexts<'a> {
    /// The texts the transaction must insert or look up, sorted.
    pub(super) fn unknown(&self) -> Vec<String> {
        self.unknown.iter().map(|text| text.to_string()).collect()
    }

    /// Takes the `(id, text)` rows the dictionary returned for [`Self::unknown`] (a row for a
    /// text not asked for is ignored).
    pub(super) fn learn(&mut self, rows: impl IntoIterator<Item = (i64, String)>) {
        for (id, text) in rows {
            if let Ok(at) = self
                .unknown
                .binary_search_by(|probe| probe.as_ref().cmp(text.as_str()))
            {
                let text = self.unknown[at].clone();
                self.ids.insert(text.clone(), id);
                self.learnt.push((text, id));
            }
        }
    }

    /// The id of `text`, which must be one of the batch's texts.
    pub(super) fn id_of(&self, text: &str) -> StoreResult<i64> {
        self.ids
            .get(text)
            .copied()
            .ok_or_else(|| StoreError::UnresolvedText(text.chars().take(80).collect()))
    }

    /// The ids of a click's texts, in the order of [`TEXT_ID_COLUMNS`].
    pub(super) fn ids_of(&self, click: &Click) -> StoreResult<[Option<i64>; TEXT_COLUMNS]> {
        let mut ids = [None; TEXT_COLUMNS];
        for (slot, text) in ids.iter_mut().zip(texts(click)) {
            if let Some(text) = text {
                *slot = Some(self.id_of(text)?);
            }
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests;
