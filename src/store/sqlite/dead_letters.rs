//! Dead letters in SQLite: list, inspect, replay into the outbox, purge.

use chrono::Utc;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use uuid::Uuid;

use super::{from_millis, to_millis};
use crate::store::{DeadLetter, DeadLetterSelection, StoreResult};

type Row = (i64, Uuid, String, String, String, i32, i64, i64);

const COLUMNS: &str = "SELECT id, message_id, payload, reason, last_error, attempts, enqueued_at, failed_at FROM dead_letters";

fn to_dead_letter(row: Row) -> DeadLetter {
    let (id, message_id, payload, reason, last_error, attempts, enqueued_at, failed_at) = row;
    DeadLetter {
        id,
        message_id,
        payload,
        reason,
        last_error,
        attempts,
        enqueued_at: from_millis(enqueued_at),
        failed_at: from_millis(failed_at),
    }
}

/// Newest first.
pub(super) async fn list(
    pool: &SqlitePool,
    limit: u32,
    offset: u32,
) -> StoreResult<Vec<DeadLetter>> {
    let mut query = QueryBuilder::<Sqlite>::new(COLUMNS);
    query
        .push(" ORDER BY id DESC LIMIT ")
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    let rows: Vec<Row> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(to_dead_letter).collect())
}

/// One by id.
pub(super) async fn find(pool: &SqlitePool, id: i64) -> StoreResult<Option<DeadLetter>> {
    let mut query = QueryBuilder::<Sqlite>::new(COLUMNS);
    query.push(" WHERE id = ").push_bind(id);
    let row: Option<Row> = query.build_query_as().fetch_optional(pool).await?;
    Ok(row.map(to_dead_letter))
}

/// Appends the WHERE clause for the selection (always present: SQLite needs one before an
/// upsert's `ON CONFLICT` in `INSERT … SELECT`).
fn push_selection(query: &mut QueryBuilder<Sqlite>, which: &DeadLetterSelection) {
    match which {
        DeadLetterSelection::All => {
            query.push(" WHERE true");
        }
        DeadLetterSelection::Ids(ids) => {
            query.push(" WHERE id IN (");
            let mut list = query.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            list.push_unseparated(")");
        }
    }
}

/// Moves the selection back into the outbox (original message ids, fresh attempts) in one transaction.
pub(super) async fn replay(pool: &SqlitePool, which: &DeadLetterSelection) -> StoreResult<u64> {
    if matches!(which, DeadLetterSelection::Ids(ids) if ids.is_empty()) {
        return Ok(0);
    }
    let now = to_millis(Utc::now());
    let mut tx = pool.begin_with(super::BEGIN_WRITE).await?;
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO click_outbox (message_id, payload, enqueued_at, available_at)
         SELECT message_id, payload, ",
    );
    insert.push_bind(now).push(", ").push_bind(now);
    insert.push(" FROM dead_letters");
    push_selection(&mut insert, which);
    insert.push(" ON CONFLICT (message_id) DO NOTHING");
    insert.build().execute(&mut *tx).await?;
    let mut delete = QueryBuilder::<Sqlite>::new("DELETE FROM dead_letters");
    push_selection(&mut delete, which);
    let moved = delete.build().execute(&mut *tx).await?.rows_affected();
    tx.commit().await?;
    Ok(moved)
}

/// Deletes the selection.
pub(super) async fn purge(pool: &SqlitePool, which: &DeadLetterSelection) -> StoreResult<u64> {
    if matches!(which, DeadLetterSelection::Ids(ids) if ids.is_empty()) {
        return Ok(0);
    }
    let mut delete = QueryBuilder::<Sqlite>::new("DELETE FROM dead_letters");
    push_selection(&mut delete, which);
    Ok(delete.build().execute(pool).await?.rows_affected())
}
