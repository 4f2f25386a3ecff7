//! The click outbox in Postgres: array-bound batch statements, `FOR UPDATE SKIP LOCKED` claims,
//! fenced completion. Several app instances and worker processes can share it.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::rollups::record as record_rollups;
use super::{PgStore, completion::complete_batch};
use crate::clicks::Click;
use crate::clicks::{ClaimedEvent, Completion, CompletionOutcome, OutboxEntry};
use crate::store::shared::outbox::{ClaimRow, claimed_events, link_counters};
use crate::store::shared::webhooks::queue_deliveries;
use crate::store::{ClickStore, StoreResult};

#[async_trait]
impl ClickStore for PgStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn enqueue_clicks(&self, entries: &[OutboxEntry]) -> StoreResult<()> {
        let ids: Vec<Uuid> = entries.iter().map(|e| e.message_id).collect();
        let payloads: Vec<&str> = entries.iter().map(|e| e.payload.as_str()).collect();
        let times: Vec<DateTime<Utc>> = entries.iter().map(|e| e.enqueued_at).collect();
        sqlx::query(
            "INSERT INTO click_outbox (message_id, payload, enqueued_at, available_at)
             SELECT m, p, t, t FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[]) AS e(m, p, t)
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(&ids)
        .bind(&payloads)
        .bind(&times)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_clicks(&self, limit: u32, lease: Duration) -> StoreResult<Vec<ClaimedEvent>> {
        let rows: Vec<ClaimRow> = sqlx::query_as(
            "WITH picked AS (
                 SELECT id FROM click_outbox
                 WHERE available_at <= now() AND (lease_until IS NULL OR lease_until < now())
                 ORDER BY id LIMIT $1
                 FOR UPDATE SKIP LOCKED)
             UPDATE click_outbox o
             SET attempts = o.attempts + 1, lease_until = now() + $2 * interval '1 second'
             FROM picked WHERE o.id = picked.id
             RETURNING o.id, o.message_id, o.attempts, o.payload, o.enqueued_at",
        )
        .bind(i64::from(limit))
        .bind(lease.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        Ok(claimed_events(rows))
    }

    // Per engine like the claim: the click, its counters and its rollups are written in one
    // transaction with this engine's statements (array-bound statements after locking the links in id order).
    #[tracing::instrument(level = "debug", skip_all)]
    async fn complete_clicks(&self, done: &[Completion]) -> StoreResult<Vec<CompletionOutcome>> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        let (outcomes, texts) = complete_batch(&mut tx, &self.texts, done).await?;
        let counters = link_counters(done, &outcomes);
        let inserted: Vec<&Click> = done
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| **outcome == CompletionOutcome::Inserted)
            .map(|(completion, _)| &completion.click)
            .collect();
        if !counters.is_empty() {
            let links: Vec<i64> = counters.keys().copied().collect();
            let totals: Vec<i64> = counters.values().map(|c| c.0).collect();
            let bots: Vec<i64> = counters.values().map(|c| c.1).collect();
            // Lock the counter rows in id order first: concurrent workers then never deadlock.
            sqlx::query(
                "SELECT id FROM short_urls WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
            )
            .bind(&links)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE short_urls s
                 SET visits_total = s.visits_total + c.n, visits_bots = s.visits_bots + c.b
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) AS c(id, n, b)
                 WHERE s.id = c.id",
            )
            .bind(&links)
            .bind(&totals)
            .bind(&bots)
            .execute(&mut *tx)
            .await?;
            record_rollups(&mut tx, &inserted, &texts).await?;
        }
        queue_deliveries(&mut tx, &inserted).await?;
        tx.commit().await?;
        self.texts.remember(&texts);
        Ok(outcomes)
    }
}
