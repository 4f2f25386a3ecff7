//! API keys in SQLite.

use async_trait::async_trait;
use chrono::Utc;

use super::{SqliteStore, from_millis, is_unique_violation, to_millis};
use crate::store::{ApiKeyInfo, ApiKeyStore, StoreError, StoreResult};

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn insert_api_key(&self, name: &str, key_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (name, key_hash, enabled, created_at) VALUES (?, ?, 1, ?)",
        )
        .bind(name)
        .bind(key_hash)
        .bind(to_millis(Utc::now()))
        .execute(&self.writer)
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
        let rows: Vec<(String, bool, i64)> =
            sqlx::query_as("SELECT name, enabled, created_at FROM api_keys ORDER BY name")
                .fetch_all(&self.reader)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(name, enabled, created_at)| ApiKeyInfo {
                name,
                enabled,
                created_at: from_millis(created_at),
            })
            .collect())
    }

    async fn disable_api_key(&self, name: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE api_keys SET enabled = 0 WHERE name = ?")
            .bind(name)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::ApiKeyNotFound(name.to_owned()));
        }
        Ok(())
    }

    async fn is_valid_api_key(&self, key_hash: &str) -> StoreResult<bool> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM api_keys WHERE key_hash = ? AND enabled = 1")
                .bind(key_hash)
                .fetch_optional(&self.reader)
                .await?;
        Ok(found.is_some())
    }
}
