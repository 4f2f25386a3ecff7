//! `Engine`: what the store logic written once (`shared/`) needs from SQLite or Postgres — a
//! way to run an engine-independent `Sql`, transactions, and the few idioms that differ.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use tokio::sync::mpsc;

use super::sql::Sql;
use super::{LinkChange, StoreError, StoreResult};

/// A row type both engines decode, so a query written once can read it on either.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// An engine as the shared store logic sees it. Reads go to the engine's readers, writes to
/// its writer (SQLite: one connection; Postgres: the pool).
#[async_trait]
pub trait Engine: Send + Sync {
    /// A transaction on this engine.
    type Tx: Transaction;

    /// The engine's name, for logs and the health check.
    const NAME: &'static str;

    /// Appended to a `SELECT` whose rows must stay locked until the transaction ends. Postgres
    /// needs it to order concurrent writers; SQLite's single writer already orders them.
    const FOR_UPDATE: &'static str;

    /// Appended to a claim's inner `SELECT` so several instances take different rows
    /// (` FOR UPDATE SKIP LOCKED`; empty on SQLite, whose one writer already orders claims).
    const SKIP_LOCKED: &'static str;

    /// The operator of a case-insensitive `LIKE` (SQLite's own `LIKE` is, for ASCII).
    const ILIKE: &'static str;

    /// Appended to an `ORDER BY` text column so both engines sort by bytes, as SQLite does.
    const BYTE_ORDER: &'static str;

    /// Appends a condition that the preceding column is one of `ids`, as one bound argument
    /// (a JSON array in SQLite, an array in Postgres) so no list hits a bind-parameter limit.
    fn push_any_id(sql: &mut Sql, ids: &[i64]);

    /// Appends the whole days from `since` to the instant in `column`, as an integer (instants
    /// are milliseconds in SQLite and `timestamptz` in Postgres).
    fn push_days_since(sql: &mut Sql, column: &'static str, since: DateTime<Utc>);

    /// A statement telling other instances of `change`, run inside the edit's transaction so
    /// it is announced exactly when the edit commits; `None` where no other instance shares
    /// the database.
    fn announcement(_change: &LinkChange) -> Option<Sql> {
        None
    }

    /// Edits announced by other instances, for the redirect cache; `None` where there are none.
    fn link_changes(&self) -> Option<mpsc::Receiver<LinkChange>> {
        None
    }

    /// Applies the engine's own migration stream.
    async fn migrate(&self) -> StoreResult<()>;

    /// Every row a read returns.
    async fn fetch_all<T: Record>(&self, sql: Sql) -> StoreResult<Vec<T>>;

    /// Runs a write; how many rows it changed.
    async fn execute(&self, sql: Sql) -> StoreResult<u64>;

    /// A transaction on the readers: one snapshot for several reads.
    async fn begin_read(&self) -> StoreResult<Self::Tx>;

    /// A transaction on the writer.
    async fn begin_write(&self) -> StoreResult<Self::Tx>;

    /// The first row a read returns, if any.
    async fn fetch_optional<T: Record>(&self, sql: Sql) -> StoreResult<Option<T>> {
        Ok(self.fetch_all(sql).await?.into_iter().next())
    }

    /// The one row a read must return.
    async fn fetch_one<T: Record>(&self, sql: Sql) -> StoreResult<T> {
        self.fetch_optional(sql)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }
}

/// A transaction as the shared store logic sees it.
#[async_trait]
pub trait Transaction: Send {
    /// Every row a statement returns.
    async fn fetch_all<T: Record>(&mut self, sql: Sql) -> StoreResult<Vec<T>>;

    /// Runs a statement; how many rows it changed.
    async fn execute(&mut self, sql: Sql) -> StoreResult<u64>;

    /// Makes the transaction's writes durable and visible.
    async fn commit(self) -> StoreResult<()>;

    /// The first row a statement returns, if any.
    async fn fetch_optional<T: Record>(&mut self, sql: Sql) -> StoreResult<Option<T>> {
        Ok(self.fetch_all(sql).await?.into_iter().next())
    }
}

/// Whether an error is a UNIQUE constraint violation.
pub(super) fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|db| db.is_unique_violation())
}
