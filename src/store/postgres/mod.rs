//! Postgres: the scale-out engine, shared by several app instances.

mod completion;
mod connect;
mod engine;
mod link_changes;
mod outbox;
mod rollups;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::{StoreResult, TextIds};

/// Connections per instance; the group-committing writer and the workers need only a few.
const MAX_CONNECTIONS: u32 = 16;

/// The Postgres implementation of `Store`.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    texts: TextIds,
}

impl PgStore {
    /// Connects to the database named by a `postgres://` URL.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = connect::check(url).await?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(connect::CONNECT_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            texts: TextIds::default(),
        })
    }
}
