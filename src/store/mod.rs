//! Persistence: one `Store` trait, one implementation per database engine.
//!
//! This folder is the only place that knows SQL; the two dialects differ only in `sqlite/` and
//! `postgres/`. Everything above it (HTTP, pipeline, CLI) talks to `Arc<dyn Store>`.

mod models;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

pub use models::*;

use crate::links::{RedirectTarget, ShortCode};

/// Everything that can go wrong below the store boundary.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A link with this short code already exists.
    #[error("short code {0} is already in use")]
    DuplicateShortCode(String),
    /// An API key with this name already exists.
    #[error("an API key named {0} already exists")]
    DuplicateKeyName(String),
    /// A tag rename would collide with an existing tag.
    #[error("tag {0} already exists")]
    DuplicateTag(String),
    /// The addressed row does not exist.
    #[error("not found")]
    NotFound,
    /// `DATABASE_URL` names an engine we do not support.
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database failure (connection, I/O, constraint we did not expect).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Short alias used by every store method.
pub type StoreResult<T> = Result<T, StoreError>;

/// Links: create, read, list, edit, delete.
#[async_trait]
pub trait LinkStore: Send + Sync {
    /// Inserts a link with its tags in one transaction; a taken code gives `DuplicateShortCode`.
    async fn create_short_url(&self, new: &NewShortUrl) -> StoreResult<ShortUrl>;
    /// Reads one link with its tags and visit counters.
    async fn find_short_url(&self, code: &ShortCode) -> StoreResult<Option<ShortUrl>>;
    /// Links with exactly this long URL, newest first (for `findIfExists`).
    async fn find_by_long_url(&self, long_url: &str) -> StoreResult<Vec<ShortUrl>>;
    /// The small record the redirect path caches.
    async fn find_redirect_target(&self, code: &ShortCode) -> StoreResult<Option<RedirectTarget>>;
    /// One page of links matching `filter`, with the total count for the pagination envelope.
    async fn list_short_urls(&self, filter: &ShortUrlFilter) -> StoreResult<Page<ShortUrl>>;
    /// Applies the fields present in `patch`; `NotFound` when the code does not exist.
    async fn update_short_url(
        &self,
        code: &ShortCode,
        patch: &ShortUrlPatch,
    ) -> StoreResult<ShortUrl>;
    /// Deletes a link (its tag links go with it); `NotFound` when the code does not exist.
    async fn delete_short_url(&self, code: &ShortCode) -> StoreResult<()>;
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
    /// Stores a new key; `DuplicateKeyName` when the name is taken.
    async fn insert_api_key(&self, name: &str, key_hash: &str) -> StoreResult<()>;
    /// Every key's name, state and creation date (never the hash).
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyInfo>>;
    /// Disables the key with this name; `NotFound` if there is none.
    async fn disable_api_key(&self, name: &str) -> StoreResult<()>;
    /// Whether an enabled key has this hash.
    async fn is_valid_api_key(&self, key_hash: &str) -> StoreResult<bool>;
}

/// The whole persistence surface the application depends on.
#[async_trait]
pub trait Store: LinkStore + TagStore + ApiKeyStore {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// A trivial round trip, for the health check.
    async fn ping(&self) -> StoreResult<()>;
    /// Which engine this is, for logs and the health check.
    fn engine(&self) -> &'static str;
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
