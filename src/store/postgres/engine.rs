//! Postgres as an `Engine` for the store logic written once: one pool for reads and writes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Postgres;
use tokio::sync::mpsc;

use super::{PgStore, link_changes};
use crate::store::engine::{Engine, Record, Transaction};
use crate::store::sql::Sql;
use crate::store::{LinkChange, StoreResult};

/// Starts the read-only snapshot in which a count and its page are read, so the two agree.
const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

// Shaped like the SQLite one on purpose: each binds the shared `Sql` to its own sqlx
// types and pools, and holds the idioms in which the two engines' SQL truly differs.
#[async_trait]
impl Engine for PgStore {
    type Tx = sqlx::Transaction<'static, Postgres>;

    const NAME: &'static str = "postgres";

    const FOR_UPDATE: &'static str = " FOR UPDATE";

    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";

    const ILIKE: &'static str = "ILIKE";

    const BYTE_ORDER: &'static str = " COLLATE \"C\"";

    fn push_any_id(sql: &mut Sql, ids: &[i64]) {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        sql.push(" = ANY(CAST(")
            .bind(format!("{{{}}}", ids.join(",")).as_str())
            .push(" AS BIGINT[]))");
    }

    fn push_days_since(sql: &mut Sql, column: &'static str, since: DateTime<Utc>) {
        sql.push("CAST(EXTRACT(EPOCH FROM ")
            .push(column)
            .push(" - ")
            .bind(since);
        sql.push(") AS BIGINT) / 86400");
    }

    fn announcement(change: &LinkChange) -> Option<Sql> {
        link_changes::notice(change)
    }

    fn link_changes(&self) -> Option<mpsc::Receiver<LinkChange>> {
        Some(link_changes::listen(self))
    }

    async fn migrate(&self) -> StoreResult<()> {
        Ok(sqlx::migrate!("migrations/postgres")
            .run(&self.pool)
            .await?)
    }

    async fn fetch_all<T: Record>(&self, sql: Sql) -> StoreResult<Vec<T>> {
        let mut query = sql.into_builder::<Postgres>();
        Ok(query.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn execute(&self, sql: Sql) -> StoreResult<u64> {
        let mut query = sql.into_builder::<Postgres>();
        Ok(query.build().execute(&self.pool).await?.rows_affected())
    }

    async fn begin_read(&self) -> StoreResult<Self::Tx> {
        Ok(self.pool.begin_with(BEGIN_SNAPSHOT).await?)
    }

    async fn begin_write(&self) -> StoreResult<Self::Tx> {
        Ok(self.pool.begin().await?)
    }
}

// Written per engine: sqlx has no engine-generic way to read a statement's rows affected.
#[async_trait]
impl Transaction for sqlx::Transaction<'static, Postgres> {
    async fn fetch_all<T: Record>(&mut self, sql: Sql) -> StoreResult<Vec<T>> {
        let mut query = sql.into_builder::<Postgres>();
        Ok(query.build_query_as().fetch_all(&mut **self).await?)
    }

    async fn execute(&mut self, sql: Sql) -> StoreResult<u64> {
        let mut query = sql.into_builder::<Postgres>();
        Ok(query.build().execute(&mut **self).await?.rows_affected())
    }

    async fn commit(self) -> StoreResult<()> {
        Ok(sqlx::Transaction::commit(self).await?)
    }
}
