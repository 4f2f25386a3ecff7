//! Web app sign-in sessions in Postgres.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::{NewSession, Session, SessionStore, StoreResult};

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, new: &NewSession) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(new.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, api_key_hash, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&new.token_hash)
        .bind(&new.api_key_hash)
        .bind(&new.csrf_token)
        .bind(new.created_at)
        .bind(new.expires_at)
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
        let row: Option<(String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT s.csrf_token, s.expires_at FROM sessions s \
             JOIN api_keys k ON k.key_hash = s.api_key_hash \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND k.enabled",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(csrf_token, expires_at)| Session {
            csrf_token,
            expires_at,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
