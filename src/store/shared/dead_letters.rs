//! Dead letters, for both engines: list, inspect, replay into the outbox, purge.

use async_trait::async_trait;
use chrono::Utc;
use uuid::Uuid;

use crate::clicks::{DeadLetter, DeadLetterSelection};
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::{At, Sql};
use crate::store::{DeadLetterStore, StoreResult};

/// One row of `COLUMNS`.
type Row = (i64, Uuid, String, String, String, i32, At, At);

/// The columns a listing reads, in `Row` order.
const COLUMNS: &str = "SELECT id, message_id, payload, reason, last_error, attempts, \
     enqueued_at, failed_at FROM dead_letters";

/// The model of one row.
fn to_dead_letter(row: Row) -> DeadLetter {
    let (id, message_id, payload, reason, last_error, attempts, enqueued_at, failed_at) = row;
    DeadLetter {
        id,
        message_id,
        payload,
        reason,
        last_error,
        attempts,
        enqueued_at: enqueued_at.into(),
        failed_at: failed_at.into(),
    }
}

#[async_trait]
impl<E: Engine> DeadLetterStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_dead_letters(&self, limit: u32, offset: u32) -> StoreResult<Vec<DeadLetter>> {
        let mut select = Sql::new(COLUMNS);
        select
            .push(" ORDER BY id DESC LIMIT ")
            .bind(i64::from(limit));
        select.push(" OFFSET ").bind(i64::from(offset));
        let rows: Vec<Row> = self.fetch_all(select).await?;
        Ok(rows.into_iter().map(to_dead_letter).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_dead_letter(&self, id: i64) -> StoreResult<Option<DeadLetter>> {
        let mut select = Sql::new(COLUMNS);
        select.push(" WHERE id = ").bind(id);
        let row: Option<Row> = self.fetch_optional(select).await?;
        Ok(row.map(to_dead_letter))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn replay_dead_letters(&self, which: &DeadLetterSelection) -> StoreResult<u64> {
        if selects_nothing(which) {
            return Ok(0);
        }
        let now = Utc::now();
        let mut tx = self.begin_write().await?;
        let mut insert = Sql::new(
            "INSERT INTO click_outbox (message_id, payload, enqueued_at, available_at) \
             SELECT message_id, payload, ",
        );
        insert
            .bind(now)
            .push(", ")
            .bind(now)
            .push(" FROM dead_letters");
        push_selection(&mut insert, which);
        insert.push(" ON CONFLICT (message_id) DO NOTHING");
        tx.execute(insert).await?;
        let mut delete = Sql::new("DELETE FROM dead_letters");
        push_selection(&mut delete, which);
        let moved = tx.execute(delete).await?;
        tx.commit().await?;
        Ok(moved)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn purge_dead_letters(&self, which: &DeadLetterSelection) -> StoreResult<u64> {
        if selects_nothing(which) {
            return Ok(0);
        }
        let mut delete = Sql::new("DELETE FROM dead_letters");
        push_selection(&mut delete, which);
        self.execute(delete).await
    }
}

/// Appends the WHERE clause for the selection (always present: SQLite needs one before an
/// upsert's `ON CONFLICT` in `INSERT … SELECT`).
fn push_selection(sql: &mut Sql, which: &DeadLetterSelection) {
    match which {
        DeadLetterSelection::All => sql.push(" WHERE true"),
        DeadLetterSelection::Ids(ids) => sql.push(" WHERE id IN ").bind_list(ids.iter().copied()),
    };
}

/// Whether the selection names no dead letter at all.
fn selects_nothing(which: &DeadLetterSelection) -> bool {
    matches!(which, DeadLetterSelection::Ids(ids) if ids.is_empty())
}
