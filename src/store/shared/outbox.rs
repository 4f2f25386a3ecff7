//! The parts of the click outbox that read and write alike on both engines: retries, dead
//! letters of single claims, releases at shutdown, the backlog figures and the day salts. The
//! appends, claims and completions differ per engine (`sqlite/outbox.rs`, `postgres/outbox.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::clicks::{ClaimRef, ClaimedEvent, Completion, CompletionOutcome, OutboxStats};
use crate::store::engine::{Engine, Transaction};
use crate::store::rollup::{day_start, fresh_salt, prune_before};
use crate::store::sql::{At, Sql};
use crate::store::{OutboxStore, StoreResult};

/// Claims released per statement: two bound values each stays below SQLite's limit.
const RELEASES_PER_STATEMENT: usize = 4096;

#[async_trait]
impl<E: Engine> OutboxStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn retry_click(
        &self,
        claim: ClaimRef,
        available_at: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<bool> {
        let mut update = Sql::new("UPDATE click_outbox SET lease_until = NULL, available_at = ");
        update
            .bind(available_at)
            .push(", last_error = ")
            .bind(error);
        push_claim(&mut update, claim);
        Ok(self.execute(update).await? == 1)
    }

    // The outbox row is deleted first, fenced on the claim's attempt, so a row another worker
    // has claimed since is left alone.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn dead_letter_click(
        &self,
        claim: ClaimRef,
        reason: &str,
        error: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let mut delete = Sql::new("DELETE FROM click_outbox");
        push_claim(&mut delete, claim);
        delete.push(" RETURNING message_id, payload, attempts, enqueued_at");
        let gone: Option<(Uuid, String, i32, At)> = tx.fetch_optional(delete).await?;
        let Some((message_id, payload, attempts, enqueued_at)) = gone else {
            return Ok(false);
        };
        let mut insert = Sql::new(
            "INSERT INTO dead_letters \
             (message_id, payload, reason, last_error, attempts, enqueued_at, failed_at) VALUES (",
        );
        insert.bind(message_id).push(", ").bind(payload.as_str());
        insert.push(", ").bind(reason).push(", ").bind(error);
        insert
            .push(", ")
            .bind(i64::from(attempts))
            .push(", ")
            .bind(enqueued_at.0);
        insert.push(", ").bind(Utc::now()).push(
            ") ON CONFLICT (message_id) DO UPDATE SET \
             payload = excluded.payload, reason = excluded.reason, \
             last_error = excluded.last_error, attempts = excluded.attempts, \
             failed_at = excluded.failed_at",
        );
        tx.execute(insert).await?;
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn release_clicks(&self, claims: &[ClaimRef]) -> StoreResult<()> {
        if claims.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in claims.chunks(RELEASES_PER_STATEMENT) {
            let mut update = Sql::new(
                "UPDATE click_outbox SET lease_until = NULL, attempts = attempts - 1 \
                 WHERE (id, attempts) IN (VALUES ",
            );
            for (index, claim) in chunk.iter().enumerate() {
                update.push(if index == 0 { "(" } else { ", (" });
                update
                    .bind(claim.id)
                    .push(", ")
                    .bind(i64::from(claim.attempt))
                    .push(")");
            }
            update.push(")");
            tx.execute(update).await?;
        }
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        let (backlog, dead_letters, oldest): (i64, i64, Option<At>) = self
            .fetch_one(Sql::new(
                "SELECT (SELECT COUNT(*) FROM click_outbox), \
                        (SELECT COUNT(*) FROM dead_letters), \
                        (SELECT enqueued_at FROM click_outbox ORDER BY id LIMIT 1)",
            ))
            .await?;
        Ok(OutboxStats {
            backlog,
            oldest_enqueued_at: oldest.map(Into::into),
            dead_letters,
        })
    }

    // Separate statements, not one transaction, so the read sees a salt another instance or
    // process committed meanwhile.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn visitor_salt(&self, day: NaiveDate) -> StoreResult<String> {
        let cutoff = prune_before(day);
        let day = day_start(day);
        for table in ["visitor_salts", "visitor_days", "site_visitor_days"] {
            let mut prune = Sql::new(format!("DELETE FROM {table} WHERE day < "));
            prune.bind(cutoff);
            self.execute(prune).await?;
        }
        let mut insert = Sql::new("INSERT INTO visitor_salts (day, salt) VALUES (");
        insert.bind(day).push(", ").bind(fresh_salt().as_str());
        insert.push(") ON CONFLICT (day) DO NOTHING");
        self.execute(insert).await?;
        let mut select = Sql::new("SELECT salt FROM visitor_salts WHERE day = ");
        select.bind(day);
        let (salt,): (String,) = self.fetch_one(select).await?;
        Ok(salt)
    }
}

/// One claimed outbox row as both engines' claims return it.
pub(in crate::store) type ClaimRow = (i64, Uuid, i32, String, At);

/// The claimed rows as events, in outbox order (the order a worker completes them in).
pub(in crate::store) fn claimed_events(rows: Vec<ClaimRow>) -> Vec<ClaimedEvent> {
    let mut claimed: Vec<ClaimedEvent> = rows
        .into_iter()
        .map(
            |(id, message_id, attempt, payload, enqueued_at)| ClaimedEvent {
                claim: ClaimRef { id, attempt },
                message_id,
                payload,
                enqueued_at: enqueued_at.into(),
            },
        )
        .collect();
    claimed.sort_by_key(|event| event.claim.id);
    claimed
}

/// What the inserted clicks add to each link's counters: (total, bots) per link id, in id
/// order (the order Postgres locks the links in).
pub(in crate::store) fn link_counters(
    done: &[Completion],
    outcomes: &[CompletionOutcome],
) -> BTreeMap<i64, (i64, i64)> {
    let mut counters: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (completion, outcome) in done.iter().zip(outcomes) {
        if *outcome == CompletionOutcome::Inserted
            && let Some(link) = completion.click.short_url_id
        {
            let entry = counters.entry(link).or_default();
            entry.0 += 1;
            entry.1 += i64::from(completion.click.potential_bot);
        }
    }
    counters
}

/// Appends the fence of a claim: its row, still at the attempt it was claimed with.
fn push_claim(sql: &mut Sql, claim: ClaimRef) {
    sql.push(" WHERE id = ").bind(claim.id);
    sql.push(" AND attempts = ").bind(i64::from(claim.attempt));
}
