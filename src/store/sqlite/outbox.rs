//! The click outbox in SQLite: group-committed appends, leased claims, fenced completion.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{QueryBuilder, Sqlite};

use super::completion::{add_to_counters, complete_batch};
use super::{SqliteStore, to_millis};
use crate::clicks::Click;
use crate::clicks::{ClaimedEvent, Completion, CompletionOutcome, OutboxEntry};
use crate::store::shared::outbox::{ClaimRow, claimed_events, link_counters};
use crate::store::shared::webhooks::queue_deliveries;
use crate::store::{ClickStore, StoreResult};

/// Rows per multi-row INSERT: 4 parameters each stays below SQLite's limit of 32,766 bound
/// variables, and covers the outbox writer's largest batch in one statement.
const ROWS_PER_INSERT: usize = 4096;

#[async_trait]
impl ClickStore for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn enqueue_clicks(&self, entries: &[OutboxEntry]) -> StoreResult<()> {
        // One statement is atomic on its own: a batch that fits in one skips BEGIN and COMMIT,
        // two round trips to the connection's thread on the redirect path's busiest statement.
        if entries.len() <= ROWS_PER_INSERT {
            insert_outbox_rows(entries)
                .build()
                .persistent(false)
                .execute(&self.writer)
                .await?;
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in entries.chunks(ROWS_PER_INSERT) {
            insert_outbox_rows(chunk)
                .build()
                .persistent(false)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_clicks(&self, limit: u32, lease: Duration) -> StoreResult<Vec<ClaimedEvent>> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let rows: Vec<ClaimRow> = sqlx::query_as(
            "UPDATE click_outbox SET attempts = attempts + 1, lease_until = ?1
             WHERE id IN (SELECT id FROM click_outbox
                          WHERE available_at <= ?2 AND (lease_until IS NULL OR lease_until < ?2)
                          ORDER BY id LIMIT ?3)
             RETURNING id, message_id, attempts, payload, enqueued_at",
        )
        .bind(to_millis(lease_until))
        .bind(to_millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        Ok(claimed_events(rows))
    }

    // Per engine like the claim: the click, its counters and its rollups are written in one
    // transaction with this engine's statements (multi-row statements on the one writer).
    #[tracing::instrument(level = "debug", skip_all)]
    async fn complete_clicks(&self, done: &[Completion]) -> StoreResult<Vec<CompletionOutcome>> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let (outcomes, texts) = complete_batch(&mut tx, &self.texts, done).await?;
        let inserted: Vec<&Click> = done
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| **outcome == CompletionOutcome::Inserted)
            .map(|(completion, _)| &completion.click)
            .collect();
        let counters = link_counters(done, &outcomes);
        add_to_counters(&mut tx, &counters).await?;
        super::rollups::record(&mut tx, &inserted, &texts).await?;
        queue_deliveries(&mut tx, &inserted).await?;
        tx.commit().await?;
        self.texts.remember(&texts);
        Ok(outcomes)
    }
}

/// One multi-row INSERT of outbox entries; a message id already queued is skipped.
fn insert_outbox_rows(entries: &[OutboxEntry]) -> QueryBuilder<Sqlite> {
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO click_outbox (message_id, payload, enqueued_at, available_at) ",
    );
    insert.push_values(entries, |mut row, entry| {
        let at = to_millis(entry.enqueued_at);
        row.push_bind(entry.message_id)
            .push_bind(&entry.payload)
            .push_bind(at)
            .push_bind(at);
    });
    insert.push(" ON CONFLICT (message_id) DO NOTHING");
    insert
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::store::{OutboxStore, Store};

    fn entries(count: usize) -> Vec<OutboxEntry> {
        (0..count)
            .map(|n| OutboxEntry {
                message_id: Uuid::now_v7(),
                payload: format!("{{\"n\":{n}}}"),
                enqueued_at: Utc::now(),
            })
            .collect()
    }

    #[tokio::test]
    async fn enqueue_takes_batches_below_and_above_one_statement() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/outbox.db", dir.path().display());
        let store = SqliteStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let small = entries(3);
        store.enqueue_clicks(&small).await.unwrap();
        store
            .enqueue_clicks(&entries(ROWS_PER_INSERT * 2 + 1))
            .await
            .unwrap();
        // A redelivered batch adds nothing: message ids are unique in the outbox.
        store.enqueue_clicks(&small).await.unwrap();
        let stats = store.outbox_stats().await.unwrap();
        assert_eq!(stats.backlog, (3 + ROWS_PER_INSERT * 2 + 1) as i64);
    }
}
