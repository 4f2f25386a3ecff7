//! Web app sign-in sessions, for both engines.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::store::engine::{Engine, Transaction};
use crate::store::sql::{At, Sql};
use crate::store::{NewSession, Session, SessionStore, StoreResult};

#[async_trait]
impl<E: Engine> SessionStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_session(&self, new: &NewSession) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let mut expired = Sql::new("DELETE FROM sessions WHERE expires_at <= ");
        expired.bind(new.created_at);
        tx.execute(expired).await?;
        let mut insert = Sql::new(
            "INSERT INTO sessions (token_hash, api_key_hash, csrf_token, created_at, expires_at) \
             VALUES (",
        );
        insert
            .bind(&new.token_hash)
            .push(", ")
            .bind(&new.api_key_hash);
        insert
            .push(", ")
            .bind(&new.csrf_token)
            .push(", ")
            .bind(new.created_at);
        insert.push(", ").bind(new.expires_at).push(")");
        tx.execute(insert).await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Session>> {
        let mut select = Sql::new(
            "SELECT s.csrf_token, s.expires_at FROM sessions s \
             JOIN api_keys k ON k.key_hash = s.api_key_hash WHERE s.token_hash = ",
        );
        select
            .bind(token_hash)
            .push(" AND s.expires_at > ")
            .bind(now);
        select.push(" AND k.enabled = ").bind(true);
        let row: Option<(String, At)> = self.fetch_optional(select).await?;
        Ok(row.map(|(csrf_token, expires_at)| Session {
            csrf_token,
            expires_at: expires_at.into(),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let mut delete = Sql::new("DELETE FROM sessions WHERE token_hash = ");
        delete.bind(token_hash);
        self.execute(delete).await.map(drop)
    }
}
