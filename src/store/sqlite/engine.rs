//! SQLite as an `Engine` for the store logic written once: reads on the reader pool, writes on
//! the one writer connection, write transactions taken with `BEGIN IMMEDIATE`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Sqlite;

use super::SqliteStore;
use crate::store::StoreResult;
use crate::store::engine::{Engine, Record, Transaction};
use crate::store::rollup::DAY_MS;
use crate::store::sql::Sql;

// Shaped like the Postgres one on purpose: each binds the shared `Sql` to its own sqlx
// types and pools, and holds the idioms in which the two engines' SQL truly differs.
#[async_trait]
impl Engine for SqliteStore {
    type Tx = sqlx::Transaction<'static, Sqlite>;

    const NAME: &'static str = "sqlite";

    const FOR_UPDATE: &'static str = "";

    const SKIP_LOCKED: &'static str = "";

    const ILIKE: &'static str = "LIKE";

    const BYTE_ORDER: &'static str = "";

    fn push_any_id(sql: &mut Sql, ids: &[i64]) {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        sql.push(" IN (SELECT value FROM json_each(")
            .bind(format!("[{}]", ids.join(",")).as_str())
            .push("))");
    }

    fn push_days_since(sql: &mut Sql, column: &'static str, since: DateTime<Utc>) {
        sql.push("(").push(column).push(" - ").bind(since);
        sql.push(") / ").bind(DAY_MS);
    }

    async fn migrate(&self) -> StoreResult<()> {
        Ok(sqlx::migrate!("migrations/sqlite")
            .run(&self.writer)
            .await?)
    }

    async fn fetch_all<T: Record>(&self, sql: Sql) -> StoreResult<Vec<T>> {
        let mut query = sql.into_builder::<Sqlite>();
        Ok(query.build_query_as().fetch_all(&self.reader).await?)
    }

    async fn execute(&self, sql: Sql) -> StoreResult<u64> {
        let mut query = sql.into_builder::<Sqlite>();
        Ok(query.build().execute(&self.writer).await?.rows_affected())
    }

    async fn begin_read(&self) -> StoreResult<Self::Tx> {
        Ok(self.reader.begin().await?)
    }

    async fn begin_write(&self) -> StoreResult<Self::Tx> {
        Ok(SqliteStore::begin_write(self).await?)
    }
}

// Written per engine: sqlx has no engine-generic way to read a statement's rows affected.
#[async_trait]
impl Transaction for sqlx::Transaction<'static, Sqlite> {
    async fn fetch_all<T: Record>(&mut self, sql: Sql) -> StoreResult<Vec<T>> {
        let mut query = sql.into_builder::<Sqlite>();
        Ok(query.build_query_as().fetch_all(&mut **self).await?)
    }

    async fn execute(&mut self, sql: Sql) -> StoreResult<u64> {
        let mut query = sql.into_builder::<Sqlite>();
        Ok(query.build().execute(&mut **self).await?.rows_affected())
    }

    async fn commit(self) -> StoreResult<()> {
        Ok(sqlx::Transaction::commit(self).await?)
    }
}
