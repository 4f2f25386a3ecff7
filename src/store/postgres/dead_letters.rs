//! Dead letters in Postgres: list, inspect, replay into the outbox, purge.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::store::{DeadLetter, DeadLetterSelection, StoreResult};

type Row = (
    i64,
    Uuid,
    String,
    String,
    String,
    i32,
    DateTime<Utc>,
    DateTime<Utc>,
);

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
        enqueued_at,
        failed_at,
    }
}

/// Newest first.
pub(super) async fn list(pool: &PgPool, limit: u32, offset: u32) -> StoreResult<Vec<DeadLetter>> {
    let mut query = QueryBuilder::<Postgres>::new(COLUMNS);
    query
        .push(" ORDER BY id DESC LIMIT ")
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    let rows: Vec<Row> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(to_dead_letter).collect())
}

/// One by id.
pub(super) async fn find(pool: &PgPool, id: i64) -> StoreResult<Option<DeadLetter>> {
    let mut query = QueryBuilder::<Postgres>::new(COLUMNS);
    query.push(" WHERE id = ").push_bind(id);
    let row: Option<Row> = query.build_query_as().fetch_optional(pool).await?;
    Ok(row.map(to_dead_letter))
}

/// Appends ` WHERE id IN (…)` unless every row is selected.
fn push_selection(query: &mut QueryBuilder<Postgres>, which: &DeadLetterSelection) {
    if let DeadLetterSelection::Ids(ids) = which {
        query.push(" WHERE id IN (");
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        list.push_unseparated(")");
    }
}

/// Moves the selection back into the outbox (original message ids, fresh attempts) in one transaction.
pub(super) async fn replay(pool: &PgPool, which: &DeadLetterSelection) -> StoreResult<u64> {
    if matches!(which, DeadLetterSelection::Ids(ids) if ids.is_empty()) {
        return Ok(0);
    }
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    let mut insert = QueryBuilder::<Postgres>::new(
        "INSERT INTO click_outbox (message_id, payload, enqueued_at, available_at)
         SELECT message_id, payload, ",
    );
    insert.push_bind(now).push(", ").push_bind(now);
    insert.push(" FROM dead_letters");
    push_selection(&mut insert, which);
    insert.push(" ON CONFLICT (message_id) DO NOTHING");
    insert.build().execute(&mut *tx).await?;
    let mut delete = QueryBuilder::<Postgres>::new("DELETE FROM dead_letters");
    push_selection(&mut delete, which);
    let moved = delete.build().execute(&mut *tx).await?.rows_affected();
    tx.commit().await?;
    Ok(moved)
}

/// Deletes the selection.
pub(super) async fn purge(pool: &PgPool, which: &DeadLetterSelection) -> StoreResult<u64> {
    if matches!(which, DeadLetterSelection::Ids(ids) if ids.is_empty()) {
        return Ok(0);
    }
    let mut delete = QueryBuilder::<Postgres>::new("DELETE FROM dead_letters");
    push_selection(&mut delete, which);
    Ok(delete.build().execute(pool).await?.rows_affected())
}
