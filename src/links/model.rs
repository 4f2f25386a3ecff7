//! Links and tags as the API, the pages and the store exchange them: stored links, new links,
//! edits, and the filters and orders of their listings.

use chrono::{DateTime, Utc};

use super::rules::{DeviceLongUrls, DeviceUrlsPatch, RedirectRules};
use super::{Domain, LinkAddress, LongUrl, PasswordHash, ShortCode, Split, Tag};
use crate::clicks::VisitsSummary;
use crate::listing::Direction;

/// A stored link as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortUrl {
    /// Row id.
    pub id: i64,
    /// The domain it lives on; its code is unique there.
    pub domain: Domain,
    /// The code in the short URL's path.
    pub short_code: ShortCode,
    /// Where it redirects.
    pub long_url: LongUrl,
    /// Optional human title.
    pub title: Option<String>,
    /// Creation time.
    pub date_created: DateTime<Utc>,
    /// Redirects only from this instant on.
    pub valid_since: Option<DateTime<Utc>>,
    /// Redirects only until this instant.
    pub valid_until: Option<DateTime<Utc>>,
    /// Redirects only while fewer human visits than this were counted.
    pub max_visits: Option<i64>,
    /// Listed as `Allow` in robots.txt.
    pub crawlable: bool,
    /// Merge the request query into the long URL.
    pub forward_query: bool,
    /// Tags, sorted by name.
    pub tags: Vec<Tag>,
    /// Visit counters.
    pub visits: VisitsSummary,
    /// The API key it was created with (`None`: by an admin's session or before keys had roles).
    pub author_key_id: Option<i64>,
    /// Where visitors go while it does not redirect (expired, not yet valid, cap reached).
    pub expired_url: Option<LongUrl>,
    /// Whether it carries redirect rules (Shlink's `hasRedirectRules`).
    pub has_redirect_rules: bool,
    /// Shlink's `deviceLongUrls`: the URLs of its single-device rules.
    pub device_long_urls: DeviceLongUrls,
    /// Whether visitors must give a password before being redirected (the hash stays stored).
    pub password_protected: bool,
    /// The A/B split: shares of its visitors sent elsewhere (empty: none).
    pub split: Split,
}

impl ShortUrl {
    /// The domain and code that name it.
    pub fn address(&self) -> LinkAddress {
        LinkAddress {
            domain: self.domain.clone(),
            code: self.short_code.clone(),
        }
    }
}

/// A validated new link. `C` is what is known of its code: the `ShortCode` itself when it is
/// ready to insert, or how it is to be chosen (`service::LinkDraft`) while a generated code is
/// still to be drawn.
#[derive(Debug, Clone)]
pub struct NewShortUrl<C = ShortCode> {
    /// The domain it goes on (added to the domains served if new).
    pub domain: Domain,
    /// The code, custom or generated (or how it is to be chosen).
    pub short_code: C,
    /// The destination.
    pub long_url: LongUrl,
    /// Optional title.
    pub title: Option<String>,
    /// Start of validity.
    pub valid_since: Option<DateTime<Utc>>,
    /// End of validity.
    pub valid_until: Option<DateTime<Utc>>,
    /// Visit cap.
    pub max_visits: Option<i64>,
    /// robots.txt flag.
    pub crawlable: bool,
    /// Query forwarding flag.
    pub forward_query: bool,
    /// Tags to attach (created when missing).
    pub tags: Vec<Tag>,
    /// The API key creating it, if one does.
    pub author_key_id: Option<i64>,
    /// When it was created: `None` is now; an import keeps the source's date.
    pub date_created: Option<DateTime<Utc>>,
    /// Redirect rules it starts with (Shlink's `deviceLongUrls` on create).
    pub rules: RedirectRules,
    /// Where visitors go while it does not redirect.
    pub expired_url: Option<LongUrl>,
    /// The hash of the password visitors must give, if it has one.
    pub password: Option<PasswordHash>,
    /// The A/B split it starts with (empty: none).
    pub split: Split,
}

impl<C> NewShortUrl<C> {
    /// The same link with its code decided (or chosen another way).
    pub fn with_code<D>(&self, short_code: D) -> NewShortUrl<D> {
        NewShortUrl {
            domain: self.domain.clone(),
            short_code,
            long_url: self.long_url.clone(),
            title: self.title.clone(),
            valid_since: self.valid_since,
            valid_until: self.valid_until,
            max_visits: self.max_visits,
            crawlable: self.crawlable,
            forward_query: self.forward_query,
            tags: self.tags.clone(),
            author_key_id: self.author_key_id,
            date_created: self.date_created,
            rules: self.rules.clone(),
            expired_url: self.expired_url.clone(),
            password: self.password.clone(),
            split: self.split.clone(),
        }
    }
}

/// A partial edit: `None` leaves a field alone, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct ShortUrlPatch {
    /// New destination.
    pub long_url: Option<LongUrl>,
    /// New title, or cleared.
    pub title: Option<Option<String>>,
    /// New start of validity, or cleared.
    pub valid_since: Option<Option<DateTime<Utc>>>,
    /// New end of validity, or cleared.
    pub valid_until: Option<Option<DateTime<Utc>>>,
    /// New visit cap, or cleared.
    pub max_visits: Option<Option<i64>>,
    /// Replaces the whole tag set.
    pub tags: Option<Vec<Tag>>,
    /// New robots.txt flag.
    pub crawlable: Option<bool>,
    /// New query forwarding flag.
    pub forward_query: Option<bool>,
    /// Shlink's `deviceLongUrls` edits, applied to the device rules.
    pub device_long_urls: DeviceUrlsPatch,
    /// New destination while it does not redirect, or cleared.
    pub expired_url: Option<Option<LongUrl>>,
    /// A new password (as its hash), or the protection removed.
    pub password: Option<Option<PasswordHash>>,
    /// A new A/B split (empty removes it).
    pub split: Option<Split>,
}

/// Whether a tag filter needs any or all of the listed tags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TagsMode {
    /// A link matches when it carries at least one of the tags.
    #[default]
    Any,
    /// A link matches only when it carries every tag.
    All,
}

/// Fields a link list can be ordered by (Shlink's `orderBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortUrlOrder {
    /// By long URL.
    LongUrl,
    /// By short code.
    ShortCode,
    /// By creation date (the default, newest first).
    DateCreated,
    /// By all visits.
    Visits,
    /// By human visits.
    NonBotVisits,
    /// By title.
    Title,
}

/// Which slice of the link list to return.
#[derive(Debug, Clone)]
pub struct ShortUrlFilter {
    /// 1-based page number.
    pub page: u32,
    /// Page size; `None` returns everything.
    pub items_per_page: Option<u32>,
    /// Case-insensitive substring of the long URL, short code, title or a tag.
    pub search_term: Option<String>,
    /// Tag names to filter by.
    pub tags: Vec<String>,
    /// Any or all of `tags`.
    pub tags_mode: TagsMode,
    /// Tag names whose links are left out.
    pub exclude_tags: Vec<String>,
    /// Leave out links carrying any, or only those carrying all, of `exclude_tags`.
    pub exclude_tags_mode: TagsMode,
    /// Ordering; `None` means newest first.
    pub order_by: Option<(ShortUrlOrder, Direction)>,
    /// Only links created at or after this instant.
    pub start_date: Option<DateTime<Utc>>,
    /// Only links created at or before this instant.
    pub end_date: Option<DateTime<Utc>>,
    /// Leave out links whose visit cap is reached.
    pub exclude_max_visits_reached: bool,
    /// Leave out links whose `valid_until` has passed.
    pub exclude_past_valid_until: bool,
    /// Only links created with this API key.
    pub author: Option<Author>,
    /// Only links on this domain (`None`: every domain).
    pub domain: Option<Domain>,
}

/// The API key whose links a list is limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// The key with this id (an author-only key listing its own).
    Key(i64),
    /// The key with this name (`apiKeyName`); no key by that name means no links.
    Named(String),
}

impl Default for ShortUrlFilter {
    fn default() -> Self {
        Self {
            page: 1,
            items_per_page: Some(10),
            search_term: None,
            tags: Vec::new(),
            tags_mode: TagsMode::Any,
            exclude_tags: Vec::new(),
            exclude_tags_mode: TagsMode::Any,
            order_by: None,
            start_date: None,
            end_date: None,
            exclude_max_visits_reached: false,
            exclude_past_valid_until: false,
            author: None,
            domain: None,
        }
    }
}

/// Which slice of the tag list to return.
#[derive(Debug, Clone)]
pub struct TagFilter {
    /// 1-based page number.
    pub page: u32,
    /// Page size; `None` returns everything.
    pub items_per_page: Option<u32>,
    /// Case-insensitive substring of the tag name.
    pub search_term: Option<String>,
    /// Ordering by name (the default, ascending) or by a statistic.
    pub order_by: Option<(TagOrder, Direction)>,
    /// Only tags of links created with this API key, counted over those links.
    pub author_key_id: Option<i64>,
}

impl Default for TagFilter {
    fn default() -> Self {
        Self {
            page: 1,
            items_per_page: None,
            search_term: None,
            order_by: None,
            author_key_id: None,
        }
    }
}

/// Fields a tag list can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOrder {
    /// By name.
    Tag,
    /// By number of links carrying it.
    ShortUrlsCount,
    /// By visits to those links.
    Visits,
    /// By human visits to those links.
    NonBotVisits,
}

/// One tag with its statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagStats {
    /// Tag name.
    pub tag: String,
    /// Links carrying the tag.
    pub short_urls_count: i64,
    /// Visits to those links.
    pub visits: VisitsSummary,
}
