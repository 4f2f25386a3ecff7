//! API keys in Postgres.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{PgStore, is_unique_violation};
use crate::store::{ApiKeyInfo, ApiKeyStore, StoreError, StoreResult};

#[async_trait]
impl ApiKeyStore for PgStore {
    async fn insert_api_key(&self, name: &str, key_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (name, key_hash, enabled, created_at) VALUES ($1, $2, TRUE, $3)",
        )
        .bind(name)
        .bind(key_hash)
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                StoreError::DuplicateKeyName(name.to_owned())
            } else {
                err.into()
            }
        })?;
        Ok(())
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyInfo>> {
        let rows: Vec<(String, bool, DateTime<Utc>)> =
            sqlx::query_as("SELECT name, enabled, created_at FROM api_keys ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(name, enabled, created_at)| ApiKeyInfo {
                name,
                enabled,
                created_at,
            })
            .collect())
    }

    async fn disable_api_key(&self, name: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE api_keys SET enabled = FALSE WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::ApiKeyNotFound(name.to_owned()));
        }
        Ok(())
    }

    async fn is_valid_api_key(&self, key_hash: &str) -> StoreResult<bool> {
        let found: Option<(i32,)> =
            sqlx::query_as("SELECT 1 FROM api_keys WHERE key_hash = $1 AND enabled")
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}
