//! The click domain: what a recorded visit is, whatever stores, enriches or shows it. Every layer
//! (pipeline, store, HTTP) speaks these types; this module depends on nothing of ours.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod outbox;

pub use outbox::{
    ClaimRef, ClaimedEvent, Completion, CompletionOutcome, DeadLetter, DeadLetterSelection,
    OutboxEntry, OutboxStats,
};

/// What a recorded visit was: a redirect through a link, or one of Shlink's orphan kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// A visit to an existing link (redirect or tracking pixel).
    ValidShortUrl,
    /// A visit to a short code that does not exist or no longer redirects.
    InvalidShortUrl,
    /// A visit to the bare base URL.
    BaseUrl,
    /// Any other path that ended in a 404.
    Regular404,
}

impl VisitKind {
    /// The small number a click row keeps the kind as (migration 0065 assigned them; the
    /// `clicks` view turns it back into the name). Codes never change.
    pub fn code(self) -> i16 {
        match self {
            Self::ValidShortUrl => 1,
            Self::InvalidShortUrl => 2,
            Self::BaseUrl => 3,
            Self::Regular404 => 4,
        }
    }

    /// The Shlink API name, as the `clicks` view gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidShortUrl => "valid_short_url",
            Self::InvalidShortUrl => "invalid_short_url",
            Self::BaseUrl => "base_url",
            Self::Regular404 => "regular_404",
        }
    }

    /// Parses a name the `clicks` view gave.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::ValidShortUrl,
            Self::InvalidShortUrl,
            Self::BaseUrl,
            Self::Regular404,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == raw)
    }
}

/// Where a visit came from, as resolved from the geo-IP database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    /// ISO 3166-1 alpha-2 code.
    pub country_code: Option<String>,
    /// Country name in English.
    pub country_name: Option<String>,
    /// First-level subdivision.
    pub region_name: Option<String>,
    /// City name in English.
    pub city_name: Option<String>,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// IANA time zone.
    pub timezone: Option<String>,
}

/// An enriched click, ready to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct Click {
    /// The idempotency key; a second insert with it changes nothing.
    pub message_id: Uuid,
    /// The link visited, if any (orphan visits have none).
    pub short_url_id: Option<i64>,
    /// What kind of visit it was.
    pub kind: VisitKind,
    /// When the request arrived.
    pub occurred_at: DateTime<Utc>,
    /// When the worker enriched it.
    pub enriched_at: DateTime<Utc>,
    /// Client IP as stored (anonymized unless configured otherwise).
    pub ip: Option<String>,
    /// Raw user agent.
    pub user_agent: Option<String>,
    /// Raw referrer.
    pub referer: Option<String>,
    /// The URL the client asked for.
    pub visited_url: Option<String>,
    /// Where it was sent, if anywhere.
    pub redirect_url: Option<String>,
    /// Flagged as a bot or crawler.
    pub potential_bot: bool,
    /// Browser family.
    pub browser: Option<String>,
    /// Browser version.
    pub browser_version: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Device category (desktop, mobile, tablet, bot, other).
    pub device: DeviceKind,
    /// Geo-IP result.
    pub location: Location,
    /// W3C traceparent of the request that produced it.
    pub traceparent: Option<String>,
    /// Salted daily hash identifying the visitor of its link, for the link's unique counts
    /// (none for orphan visits).
    pub visitor_hash: Option<String>,
    /// Salted daily hash identifying the visitor whatever link they visit, so a person on two
    /// links counts once among all links' visitors (read by the rollups, not stored).
    pub site_visitor_hash: Option<String>,
    /// Lowercase host of the referrer, for the referrer breakdown (`None` means direct).
    pub referrer_domain: Option<String>,
    /// A split link's chosen destination (counted in the rollups' destination breakdown only;
    /// the stored click keeps the full `redirect_url`).
    pub destination: Option<String>,
}

/// The kind of device a visit claims to come from, for the "devices" breakdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeviceKind {
    /// A desktop or laptop browser.
    Desktop,
    /// A phone (smartphone or feature phone).
    Mobile,
    /// A tablet (iPad, Android without the `Mobile` token).
    Tablet,
    /// A crawler that woothee recognises.
    Bot,
    /// Anything else: HTTP libraries, appliances, unknown or missing user agents.
    #[default]
    Other,
}

impl DeviceKind {
    /// Stable lowercase name, for storage and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Bot => "bot",
            Self::Other => "other",
        }
    }
}

/// Visit counters kept on every link (Shlink's `visitsSummary`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitsSummary {
    /// All visits.
    pub total: i64,
    /// Visits not flagged as bots.
    pub non_bots: i64,
    /// Visits flagged as bots.
    pub bots: i64,
}
