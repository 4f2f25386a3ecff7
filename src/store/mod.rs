//! Persistence: one `Store` trait, one implementation per database engine.
//!
//! This folder is the only place that knows SQL; the two dialects differ only in `sqlite/` and
//! `postgres/`. Everything above it (HTTP, pipeline, CLI) talks to `Arc<dyn Store>`.

mod analytics_models;
mod click_texts;
#[cfg(test)]
mod contract;
mod engine;
mod models;
pub mod postgres;
mod rollup;
mod session_models;
mod shared;
mod sql;
pub mod sqlite;
mod visit_models;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

pub use analytics_models::*;
pub use click_texts::TextIds;
pub use models::*;
pub use session_models::*;
pub use visit_models::*;

use uuid::Uuid;

use crate::clicks::{
    ClaimRef, ClaimedEvent, Completion, CompletionOutcome, DeadLetter, DeadLetterSelection,
    OutboxEntry, OutboxStats,
};
use crate::consumers::{
    ConsumerFigures, ConsumerKind, DeadDelivery, DeliveryClaim, DeliverySubject, NewWebhook,
    Webhook, WebhookSecret,
};
use crate::links::rules::RedirectRules;
use crate::links::utm::UtmTag;
use crate::links::{
    Domain, LinkAddress, NewShortUrl, NotFoundRedirects, NotFoundRedirectsPatch, RedirectTarget,
    ShortUrl, ShortUrlFilter, ShortUrlPatch, TagFilter, TagStats,
};
use crate::listing::Page;

/// Everything that can go wrong below the store boundary.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A link with this short code already exists.
    #[error("short code {0} is already in use")]
    DuplicateShortCode(String),
    /// An API key with this name already exists.
    #[error("an API key named {0} already exists")]
    DuplicateKeyName(String),
    /// A webhook with this name already exists.
    #[error("a webhook named {0} already exists; choose another --name")]
    DuplicateWebhookName(String),
    /// A tag rename would collide with an existing tag.
    #[error("tag {0} already exists")]
    DuplicateTag(String),
    /// No link has this short code.
    #[error("no short URL with code {0}")]
    LinkNotFound(String),
    /// No tag has this name.
    #[error("tag {0} not found")]
    TagNotFound(String),
    /// No API key has this name.
    #[error("no API key named {0:?}")]
    ApiKeyNotFound(String),
    /// The Postgres server could not be reached or refused us; `reason` says why and what to fix.
    #[error("cannot connect to Postgres at {server} (database {database:?}): {reason}")]
    PostgresConnect {
        /// `host:port`.
        server: String,
        /// The database named in the URL.
        database: String,
        /// What went wrong and what to change.
        reason: String,
    },
    /// The SQLite file cannot be opened or created; `reason` says why and what to fix.
    #[error("cannot open the SQLite database {path}: {reason}")]
    SqliteOpen {
        /// The file named in the URL.
        path: String,
        /// What went wrong and what to change.
        reason: String,
    },
    /// `DATABASE_URL` names an engine we do not support.
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The text dictionary returned no id for a click's text (on Postgres: a digest collision).
    #[error("click text {0:?} has no id in click_texts")]
    UnresolvedText(String),
    /// Any other database failure (connection, I/O, constraint we did not expect).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Whether a UNIQUE constraint refused the statement.
    fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Database(err) if engine::is_unique_violation(err))
    }

    /// Whether the database could not be reached or is not serving (connection refused or lost,
    /// pool exhausted, server shutting down or refusing connections, SQLite locked or full): a
    /// condition that passes, answered with 503 and `Retry-After` rather than 500.
    pub fn is_unavailable(&self) -> bool {
        use sqlx::Error;
        let Self::Database(err) = self else {
            return false;
        };
        match err {
            Error::Io(_)
            | Error::Tls(_)
            | Error::PoolTimedOut
            | Error::PoolClosed
            | Error::WorkerCrashed => true,
            Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                // Postgres: class 08 (connection), 57P01–57P03 (shutdown, cannot connect now),
                // 53300 (too many connections), 55000 for a database not accepting connections.
                // SQLite: 5 and 6 (busy, locked), 13 (disk full), 14 (cannot open).
                code.starts_with("08")
                    || matches!(
                        &*code,
                        "57P01" | "57P02" | "57P03" | "53300" | "5" | "6" | "13" | "14"
                    )
                    || (code == "55000"
                        && db.message().contains("not currently accepting connections"))
            }
            _ => false,
        }
    }

    /// Whether the database refused what a statement carried (a constraint, a trigger, a value it
    /// cannot take) rather than failing as a whole: only then can a smaller batch get through.
    pub fn concerns_the_data(&self) -> bool {
        matches!(
            self,
            Self::Database(sqlx::Error::Database(_) | sqlx::Error::Encode(_))
                | Self::UnresolvedText(_)
        )
    }
}

/// An edit made by another instance, as the redirect cache hears of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkChange {
    /// The link with this cache key (`LinkAddress::cache_key`) was created, edited or deleted.
    Link(String),
    /// A domain was added or its not-found redirects changed.
    Domains,
    /// Announcements may have been lost (the listening connection dropped): trust nothing.
    Missed,
}

/// Short alias used by every store method.
pub type StoreResult<T> = Result<T, StoreError>;

/// Links: create, read, list, edit, delete.
#[async_trait]
pub trait LinkStore: Send + Sync {
    /// Inserts a link with its tags in one transaction; a taken code gives `DuplicateShortCode`.
    async fn create_short_url(&self, new: &NewShortUrl) -> StoreResult<ShortUrl>;
    /// Reads one link with its tags and visit counters.
    async fn find_short_url(&self, link: &LinkAddress) -> StoreResult<Option<ShortUrl>>;
    /// Links on `domain` with exactly this long URL, newest first (for `findIfExists`).
    async fn find_by_long_url(&self, domain: &Domain, long_url: &str)
    -> StoreResult<Vec<ShortUrl>>;
    /// Short codes of `domain`'s links search engines may crawl (`crawlable`), in byte order,
    /// for that domain's `robots.txt`.
    async fn crawlable_short_codes(&self, domain: &Domain) -> StoreResult<Vec<String>>;
    /// The small record the redirect path caches.
    async fn find_redirect_target(&self, link: &LinkAddress)
    -> StoreResult<Option<RedirectTarget>>;
    /// Grants one human visit of a capped link, atomically across instances: false once its
    /// `maxVisits` are used up (or it has no cap), so the visit that reaches the cap is the last
    /// one redirected.
    async fn take_capped_visit(&self, link_id: i64) -> StoreResult<bool>;
    /// One page of links matching `filter`, with the total count for the pagination envelope.
    async fn list_short_urls(&self, filter: &ShortUrlFilter) -> StoreResult<Page<ShortUrl>>;
    /// Applies the fields present in `patch`; `NotFound` when the code does not exist.
    async fn update_short_url(
        &self,
        link: &LinkAddress,
        patch: &ShortUrlPatch,
    ) -> StoreResult<ShortUrl>;
    /// Deletes a link (its tag links go with it); `NotFound` when the code does not exist.
    async fn delete_short_url(&self, link: &LinkAddress) -> StoreResult<()>;
}

/// Webhooks: the endpoints, their delivery queues and each one's dead letters.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Registers an endpoint; `DuplicateWebhookName` when the name is taken.
    async fn add_webhook(&self, new: &NewWebhook) -> StoreResult<Webhook>;
    /// Every endpoint, by name.
    async fn webhooks(&self) -> StoreResult<Vec<Webhook>>;
    /// Every consumer (endpoints and brokers), by name: what the deliverer serves.
    async fn consumers(&self) -> StoreResult<Vec<Webhook>>;
    /// Makes or re-enables the consumer of a configured broker (named after its kind) at
    /// `address`; `DuplicateWebhookName` when a webhook holds that name.
    async fn enable_broker(&self, kind: ConsumerKind, address: &str) -> StoreResult<()>;
    /// Removes the endpoint named `name` with its queue; false when there is none.
    async fn delete_webhook(&self, name: &str) -> StoreResult<bool>;
    /// Replaces the secret of the endpoint named `name`; the old one still signs until
    /// `overlap_until`. `None` when there is no such endpoint.
    async fn rotate_webhook_secret(
        &self,
        name: &str,
        secret: &WebhookSecret,
        overlap_until: DateTime<Utc>,
    ) -> StoreResult<Option<Webhook>>;
    /// Stops deliveries to an endpoint, recording why (its queue is kept).
    async fn disable_webhook(&self, id: i64, reason: &str) -> StoreResult<()>;
    /// Leases up to `limit` due deliveries of the endpoint `webhook_id` (if enabled) for
    /// `lease`, each attempt counted (rows of other instances' live leases are skipped).
    async fn claim_deliveries(
        &self,
        webhook_id: i64,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<DeliveryClaim>>;
    /// Completes the deliveries whose claims still hold, in one transaction; how many did (a
    /// fenced one is left to the worker that holds it now).
    async fn delivered(&self, claims: &[DeliveryClaim]) -> StoreResult<u64>;
    /// Schedules the next attempt at `at` if the claim still holds.
    async fn retry_delivery(
        &self,
        claim: &DeliveryClaim,
        at: DateTime<Utc>,
        reason: &str,
    ) -> StoreResult<bool>;
    /// Dead-letters a delivery with `reason` if the claim still holds.
    async fn dead_letter_delivery(&self, claim: &DeliveryClaim, reason: &str) -> StoreResult<bool>;
    /// What the claimed deliveries are about (their stored visits with their links, or the
    /// created links), by message id, in one read for the whole batch; a click or link no
    /// longer stored is left out.
    async fn delivery_subjects(
        &self,
        claims: &[DeliveryClaim],
    ) -> StoreResult<std::collections::HashMap<Uuid, DeliverySubject>>;
    /// Every endpoint's queue figures, by name.
    async fn consumer_figures(&self) -> StoreResult<Vec<ConsumerFigures>>;
    /// Dead deliveries (of the endpoint named `consumer`, or all), newest first.
    async fn dead_deliveries(
        &self,
        consumer: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeadDelivery>>;
    /// Puts dead deliveries of `consumer` (the ids, or all) back in its queue with fresh
    /// attempts; how many.
    async fn replay_deliveries(&self, consumer: &str, ids: Option<&[i64]>) -> StoreResult<u64>;
    /// Deletes dead deliveries of `consumer` (the ids, or all); how many.
    async fn purge_deliveries(&self, consumer: &str, ids: Option<&[i64]>) -> StoreResult<u64>;
}

/// Domains: the ones served here and where visitors who miss a link on each are sent.
#[async_trait]
pub trait DomainStore: Send + Sync {
    /// Every domain with its own not-found redirects (empty until set), the default first, the
    /// others by name.
    async fn domains(&self) -> StoreResult<Vec<(Domain, NotFoundRedirects)>>;
    /// Applies `patch` to `domain`'s redirects in one transaction (adding the domain if it is
    /// new) and returns the result.
    async fn set_not_found_redirects(
        &self,
        domain: &Domain,
        patch: NotFoundRedirectsPatch,
    ) -> StoreResult<NotFoundRedirects>;
}

/// Redirect rules: each link's ordered rules, read with the link for the redirect cache.
#[async_trait]
pub trait RuleStore: Send + Sync {
    /// The rules of the link with this id, in priority order (none for an unknown id).
    async fn redirect_rules(&self, link_id: i64) -> StoreResult<RedirectRules>;
    /// Replaces the rules of the link with `code` in one transaction and announces the edit to
    /// other instances; `false` when no link has the code.
    async fn set_redirect_rules(
        &self,
        link: &LinkAddress,
        rules: &RedirectRules,
    ) -> StoreResult<bool>;
}

/// Tags: list, stats, rename, delete.
#[async_trait]
pub trait TagStore: Send + Sync {
    /// Tag names matching `filter`, with the total count.
    async fn list_tags(&self, filter: &TagFilter) -> StoreResult<Page<String>>;
    /// Tags with the number of links and visits each, with the total count.
    async fn tag_stats(&self, filter: &TagFilter) -> StoreResult<Page<TagStats>>;
    /// Renames a tag; `NotFound` if `old` does not exist, `DuplicateTag` if `new` does.
    async fn rename_tag(&self, old: &str, new: &str) -> StoreResult<()>;
    /// Deletes the named tags (unknown names are ignored) and detaches them from links.
    async fn delete_tags(&self, names: &[String]) -> StoreResult<()>;
}

/// API keys, stored only as SHA-256 hashes.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key with its roles; `DuplicateKeyName` when the name is taken.
    async fn insert_api_key(&self, name: &str, key_hash: &str, roles: &KeyRoles)
    -> StoreResult<()>;
    /// Every key's name, state and creation date (never the hash).
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyInfo>>;
    /// Disables the key with this name; `NotFound` if there is none.
    async fn disable_api_key(&self, name: &str) -> StoreResult<()>;
    /// The enabled key with this hash, if any.
    async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<KeyIdentity>>;
}

/// The click pipeline's queue: outbox writes, leased claims, fenced completion.
#[async_trait]
pub trait ClickStore: Send + Sync {
    /// Appends events to the outbox in one transaction; a message id already there is skipped.
    async fn enqueue_clicks(&self, entries: &[OutboxEntry]) -> StoreResult<()>;
    /// Leases up to `limit` available rows for `lease`, bumping each row's attempt number.
    async fn claim_clicks(&self, limit: u32, lease: Duration) -> StoreResult<Vec<ClaimedEvent>>;
    /// In one transaction per call: for each completion still held by its claim, inserts the click
    /// (once per message id), moves the link's counters only when inserted, and deletes the row.
    async fn complete_clicks(&self, done: &[Completion]) -> StoreResult<Vec<CompletionOutcome>>;
}

/// The outbox's upkeep, alike on both engines: a claim retried, dead-lettered or given back,
/// the backlog figures, and the day salts of visitor hashes.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Releases a claim for another try at `available_at`; false if the claim was taken over.
    async fn retry_click(
        &self,
        claim: ClaimRef,
        available_at: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<bool>;
    /// Moves a claimed row to the dead letters with the reason; false if the claim was taken over.
    async fn dead_letter_click(
        &self,
        claim: ClaimRef,
        reason: &str,
        error: &str,
    ) -> StoreResult<bool>;
    /// Gives claims back without counting the attempt (graceful shutdown).
    async fn release_clicks(&self, claims: &[ClaimRef]) -> StoreResult<()>;
    /// Backlog, oldest age and dead-letter count.
    async fn outbox_stats(&self) -> StoreResult<OutboxStats>;
    /// The random secret that `day`'s visitor hashes are salted with, created on first use;
    /// salts and visitor-dedup rows of days before the day before `day` are deleted on the way.
    async fn visitor_salt(&self, day: NaiveDate) -> StoreResult<String>;
}

/// The clicks that failed for good: listed and inspected by operators, replayed after a fix.
#[async_trait]
pub trait DeadLetterStore: Send + Sync {
    /// Dead letters, newest first.
    async fn list_dead_letters(&self, limit: u32, offset: u32) -> StoreResult<Vec<DeadLetter>>;
    /// One dead letter.
    async fn find_dead_letter(&self, id: i64) -> StoreResult<Option<DeadLetter>>;
    /// Puts dead letters back in the outbox with their original message ids; returns how many.
    async fn replay_dead_letters(&self, which: &DeadLetterSelection) -> StoreResult<u64>;
    /// Deletes dead letters; returns how many.
    async fn purge_dead_letters(&self, which: &DeadLetterSelection) -> StoreResult<u64>;
}

/// Stored visits for the Shlink visits API: listings, totals, deletion.
#[async_trait]
pub trait VisitStore: Send + Sync {
    /// Visits in `scope` matching `filter`, newest first; `NotFound` for an unknown link or tag.
    async fn list_visits(
        &self,
        scope: &VisitScope,
        filter: &VisitFilter,
    ) -> StoreResult<Page<Visit>>;
    /// Totals: link visits from the links' counters, orphan visits counted (no full scan).
    /// `author_key_id` limits the link totals to the links created with that key.
    async fn visits_overview(&self, author_key_id: Option<i64>) -> StoreResult<VisitsOverview>;
    /// Deletes a link's visits and zeroes its counters in one transaction; returns how many.
    /// `NotFound` when the code does not exist.
    async fn delete_link_visits(&self, link: &LinkAddress) -> StoreResult<u64>;
    /// Deletes every orphan visit; returns how many.
    async fn delete_orphan_visits(&self) -> StoreResult<u64>;
}

/// Rollup reads for the analytics pages; never a scan of raw clicks.
#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Hourly figures of one link (or of all links when `link_id` is `None`) in `range`, hours
    /// without visits left out, ascending.
    async fn hourly_figures(
        &self,
        link_id: Option<i64>,
        range: HourRange,
    ) -> StoreResult<Vec<HourFigures>>;
    /// Hourly figures of every link on `domain` in `range` (their sums; uniques summed per link),
    /// hours without visits left out, ascending.
    async fn domain_hourly_figures(
        &self,
        domain: &Domain,
        range: HourRange,
    ) -> StoreResult<Vec<HourFigures>>;
    /// Visits of one link in `range` grouped by `dimension`, largest first, at most `limit` rows.
    async fn breakdown(
        &self,
        link_id: i64,
        dimension: Dimension,
        range: HourRange,
        include_bots: bool,
        limit: u32,
    ) -> StoreResult<Vec<BreakdownRow>>;
    /// Visits of all links in `range` grouped by the campaign tag `tag`, largest first, at most
    /// `limit` rows (read through the campaign dimensions' own indexes).
    async fn campaign_breakdown(
        &self,
        tag: UtmTag,
        range: HourRange,
        include_bots: bool,
        limit: u32,
    ) -> StoreResult<Vec<BreakdownRow>>;
    /// The links (of `domain` when given) with the most visits in `range`, largest first.
    async fn top_links(
        &self,
        domain: Option<&Domain>,
        range: HourRange,
        include_bots: bool,
        limit: u32,
    ) -> StoreResult<Vec<LinkFigures>>;
    /// Daily visit counts (UTC days in `range`, oldest first, zeros included) for each link,
    /// for the dashboard's sparklines.
    async fn daily_sparklines(
        &self,
        link_ids: &[i64],
        range: HourRange,
        include_bots: bool,
    ) -> StoreResult<Vec<(i64, Vec<i64>)>>;
    /// Marks a link's analytics page as public (`/{code}+`) or private.
    async fn set_public_stats(&self, link: &LinkAddress, public: bool) -> StoreResult<()>;
    /// Whether a link's analytics page is public.
    async fn is_public_stats(&self, link: &LinkAddress) -> StoreResult<bool>;
}

/// The web app's sign-in sessions, shared by every instance through the database.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session, first purging expired ones (so they never pile up).
    async fn create_session(&self, new: &NewSession) -> StoreResult<()>;
    /// The session with this token hash if it is unexpired at `now` and its API key is enabled.
    async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Session>>;
    /// Ends a session (signing out); an unknown hash is not an error.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
}

/// The whole persistence surface the application depends on.
#[async_trait]
pub trait Store:
    LinkStore
    + DomainStore
    + WebhookStore
    + RuleStore
    + TagStore
    + ApiKeyStore
    + ClickStore
    + OutboxStore
    + DeadLetterStore
    + VisitStore
    + AnalyticsStore
    + SessionStore
{
    /// Applies pending migrations; returns the ones it applied (`"0050 domain redirects"`),
    /// oldest first, none when the schema was current.
    async fn migrate(&self) -> StoreResult<Vec<String>>;
    /// A trivial round trip, for the health check.
    async fn ping(&self) -> StoreResult<()>;
    /// Which engine this is, for logs and the health check.
    fn engine(&self) -> &'static str;
    /// Link edits announced by other instances sharing the database (Postgres); `None` when
    /// no other instance can (SQLite).
    fn link_changes(&self) -> Option<tokio::sync::mpsc::Receiver<LinkChange>>;
}

/// Opens the store named by `database_url` (`sqlite://…` or `postgres://…`).
pub async fn connect(database_url: &str) -> StoreResult<Arc<dyn Store>> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(database_url).await?))
    } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PgStore::connect(database_url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(database_url.to_owned()))
    }
}
