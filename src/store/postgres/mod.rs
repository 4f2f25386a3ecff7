//! Postgres: the scale-out engine, shared by several app instances.

mod completion;
mod engine;
mod outbox;
mod rollups;

use std::time::Duration;

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
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        Ok(Self {
            pool,
            texts: TextIds::default(),
        })
    }
}
