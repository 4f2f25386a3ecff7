//! Data exchanged with the store by the click pipeline: outbox entries, claims, clicks, dead letters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// The stored (and Shlink API) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidShortUrl => "valid_short_url",
            Self::InvalidShortUrl => "invalid_short_url",
            Self::BaseUrl => "base_url",
            Self::Regular404 => "regular_404",
        }
    }

    /// Parses a stored name.
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

/// An event accepted from the redirect path, ready to be written to the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// The idempotency key, made at the edge.
    pub message_id: Uuid,
    /// The serialized event.
    pub payload: String,
    /// When the writer accepted it.
    pub enqueued_at: DateTime<Utc>,
}

/// A worker's hold on one outbox row: the row id plus the attempt number that fences it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRef {
    /// Outbox row id.
    pub id: i64,
    /// The attempt number this claim set; only this claim may complete or fail the row.
    pub attempt: i32,
}

/// An outbox row handed to a worker under a lease.
#[derive(Debug, Clone)]
pub struct ClaimedEvent {
    /// The claim, for completing or failing the row.
    pub claim: ClaimRef,
    /// The idempotency key.
    pub message_id: Uuid,
    /// The serialized event.
    pub payload: String,
    /// When it entered the outbox.
    pub enqueued_at: DateTime<Utc>,
}

/// Where a visit came from, as resolved from the geo-IP database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisitLocation {
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
pub struct NewClick {
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
    pub device: String,
    /// Geo-IP result.
    pub location: VisitLocation,
    /// W3C traceparent of the request that produced it.
    pub traceparent: Option<String>,
    /// Salted daily hash identifying the visitor for unique counts (none for orphan visits).
    pub visitor_hash: Option<String>,
    /// Lowercase host of the referrer, for the referrer breakdown (`None` means direct).
    pub referrer_domain: Option<String>,
}

/// An event together with the click it became: a claimed outbox row, or an event the writer
/// stores straight away (no outbox row, so nothing to fence or delete).
#[derive(Debug, Clone)]
pub struct Completion {
    /// The claim being completed; `None` for an event that never entered the outbox.
    pub claim: Option<ClaimRef>,
    /// The click to insert.
    pub click: NewClick,
}

/// What completing one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionOutcome {
    /// A new click row was written and counters moved.
    Inserted,
    /// The click already existed (redelivery or replay); the outbox row was removed, nothing counted.
    Duplicate,
    /// The claim had been taken over (lease expired); nothing changed. Never for an unclaimed
    /// completion.
    Fenced,
    /// The event's link no longer exists; nothing changed, the caller dead-letters it.
    LinkGone,
}

/// Queue depth figures for metrics and the health of the pipeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Rows waiting in the outbox (claimed or not).
    pub backlog: i64,
    /// When the oldest waiting row was enqueued.
    pub oldest_enqueued_at: Option<DateTime<Utc>>,
    /// Rows in the dead-letter table.
    pub dead_letters: i64,
}

/// An event that failed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Row id, for `dlq show|replay|purge`.
    pub id: i64,
    /// The original idempotency key, kept on replay.
    pub message_id: Uuid,
    /// The serialized event.
    pub payload: String,
    /// Why it was dead-lettered (terminal error or attempts exhausted).
    pub reason: String,
    /// The last error seen.
    pub last_error: String,
    /// Attempts made.
    pub attempts: i32,
    /// When it first entered the outbox.
    pub enqueued_at: DateTime<Utc>,
    /// When it was dead-lettered.
    pub failed_at: DateTime<Utc>,
}

/// Which dead letters a replay or purge addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterSelection {
    /// Every dead letter.
    All,
    /// Only these ids.
    Ids(Vec<i64>),
}
