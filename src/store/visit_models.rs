//! Data exchanged with the store by the visits API: which visits to read, and the visits read.

use chrono::{DateTime, Utc};

use crate::clicks::VisitsSummary;
use crate::clicks::{Location, VisitKind};
use crate::links::{Domain, LinkAddress};

/// Which stored visits a listing addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitScope {
    /// The visits of one link; `NotFound` when the code does not exist.
    Link(LinkAddress),
    /// The visits of every link on one domain.
    Domain(Domain),
    /// The visits of every link carrying this tag; `NotFound` when the tag does not exist.
    Tag(String),
    /// Every visit to a link.
    NonOrphan,
    /// Visits to no link, optionally of one orphan kind only.
    Orphan(Option<VisitKind>),
}

/// Which slice of a scope's visits to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitFilter {
    /// 1-based page number.
    pub page: u32,
    /// Page size; `None` returns everything.
    pub items_per_page: Option<u32>,
    /// Only visits at or after this instant.
    pub start_date: Option<DateTime<Utc>>,
    /// Only visits at or before this instant.
    pub end_date: Option<DateTime<Utc>>,
    /// Leave out visits flagged as bots.
    pub exclude_bots: bool,
    /// Only visits of links created with this API key (orphan visits have no author).
    pub author_key_id: Option<i64>,
}

impl Default for VisitFilter {
    fn default() -> Self {
        Self {
            page: 1,
            items_per_page: None,
            start_date: None,
            end_date: None,
            exclude_bots: false,
            author_key_id: None,
        }
    }
}

/// One stored visit as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    /// Link visit or orphan kind.
    pub kind: VisitKind,
    /// When the request arrived.
    pub occurred_at: DateTime<Utc>,
    /// Raw referrer.
    pub referer: Option<String>,
    /// Raw user agent.
    pub user_agent: Option<String>,
    /// The URL the client asked for.
    pub visited_url: Option<String>,
    /// Where the client was sent, if anywhere.
    pub redirect_url: Option<String>,
    /// Flagged as a bot or crawler.
    pub potential_bot: bool,
    /// Geo-IP result; `None` when nothing was resolved.
    pub location: Option<Location>,
}

/// The `/visits` totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitsOverview {
    /// Visits to links (from the links' counters).
    pub non_orphan: VisitsSummary,
    /// Visits to no link.
    pub orphan: VisitsSummary,
}

impl Location {
    /// `None` when no field was resolved, so the API can answer `null`.
    pub fn non_empty(self) -> Option<Self> {
        (self != Self::default()).then_some(self)
    }
}
