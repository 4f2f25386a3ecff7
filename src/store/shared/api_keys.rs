//! API keys, for both engines.

use async_trait::async_trait;
use chrono::Utc;

use crate::store::engine::Engine;
use crate::store::sql::{At, Sql};
use crate::store::{ApiKeyInfo, ApiKeyStore, StoreError, StoreResult};

#[async_trait]
impl<E: Engine> ApiKeyStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn insert_api_key(&self, name: &str, key_hash: &str) -> StoreResult<()> {
        let mut insert =
            Sql::new("INSERT INTO api_keys (name, key_hash, enabled, created_at) VALUES (");
        insert.bind(name).push(", ").bind(key_hash).push(", ");
        insert.bind(true).push(", ").bind(Utc::now()).push(")");
        match self.execute(insert).await {
            Err(err) if err.is_unique_violation() => {
                Err(StoreError::DuplicateKeyName(name.to_owned()))
            }
            done => done.map(drop),
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyInfo>> {
        let rows: Vec<(String, bool, At)> = self
            .fetch_all(Sql::new(
                "SELECT name, enabled, created_at FROM api_keys ORDER BY name",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(name, enabled, created_at)| ApiKeyInfo {
                name,
                enabled,
                created_at: created_at.into(),
            })
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn disable_api_key(&self, name: &str) -> StoreResult<()> {
        let mut update = Sql::new("UPDATE api_keys SET enabled = ");
        update.bind(false).push(" WHERE name = ").bind(name);
        if self.execute(update).await? == 0 {
            return Err(StoreError::ApiKeyNotFound(name.to_owned()));
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn is_valid_api_key(&self, key_hash: &str) -> StoreResult<bool> {
        let mut select = Sql::new("SELECT 1 FROM api_keys WHERE key_hash = ");
        select.bind(key_hash).push(" AND enabled = ").bind(true);
        let found: Option<(i32,)> = self.fetch_optional(select).await?;
        Ok(found.is_some())
    }
}
