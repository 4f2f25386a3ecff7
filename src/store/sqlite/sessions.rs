//! Web app sign-in sessions in SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{SqliteStore, from_millis, to_millis};
use crate::store::{NewSession, Session, SessionStore, StoreResult};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, new: &NewSession) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(to_millis(new.created_at))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, api_key_hash, csrf_token, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&new.token_hash)
        .bind(&new.api_key_hash)
        .bind(&new.csrf_token)
        .bind(to_millis(new.created_at))
        .bind(to_millis(new.expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Session>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT s.csrf_token, s.expires_at FROM sessions s \
             JOIN api_keys k ON k.key_hash = s.api_key_hash \
             WHERE s.token_hash = ? AND s.expires_at > ? AND k.enabled = 1",
        )
        .bind(token_hash)
        .bind(to_millis(now))
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(csrf_token, expires_at)| Session {
            csrf_token,
            expires_at: from_millis(expires_at),
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
