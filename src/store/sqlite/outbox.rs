//! The click outbox in SQLite: group-committed appends, leased claims, fenced completion.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::{SqliteStore, from_millis, to_millis};
use crate::store::{
    ClaimRef, ClaimedEvent, ClickStore, Completion, CompletionOutcome, DeadLetter,
    DeadLetterSelection, NewClick, OutboxEntry, OutboxStats, StoreResult,
};

/// Rows per multi-row INSERT: 4 parameters each stays far below SQLite's variable limit.
const ROWS_PER_INSERT: usize = 500;

#[async_trait]
impl ClickStore for SqliteStore {
    async fn enqueue_clicks(&self, entries: &[OutboxEntry]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for chunk in entries.chunks(ROWS_PER_INSERT) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO click_outbox (message_id, payload, enqueued_at, available_at) ",
            );
            insert.push_values(chunk, |mut row, entry| {
                let at = to_millis(entry.enqueued_at);
                row.push_bind(entry.message_id)
                    .push_bind(&entry.payload)
                    .push_bind(at)
                    .push_bind(at);
            });
            insert.push(" ON CONFLICT (message_id) DO NOTHING");
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn claim_clicks(&self, limit: u32, lease: Duration) -> StoreResult<Vec<ClaimedEvent>> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let rows: Vec<(i64, Uuid, i32, String, i64)> = sqlx::query_as(
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
        let mut claimed: Vec<ClaimedEvent> = rows
            .into_iter()
            .map(
                |(id, message_id, attempt, payload, enqueued_at)| ClaimedEvent {
                    claim: ClaimRef { id, attempt },
                    message_id,
                    payload,
                    enqueued_at: from_millis(enqueued_at),
                },
            )
            .collect();
        claimed.sort_by_key(|event| event.claim.id);
        Ok(claimed)
    }

    async fn complete_clicks(&self, done: &[Completion]) -> StoreResult<Vec<CompletionOutcome>> {
        let mut tx = self.begin_write().await?;
        let mut outcomes = Vec::with_capacity(done.len());
        let mut counters: HashMap<i64, (i64, i64)> = HashMap::new();
        for completion in done {
            let outcome = complete_one(&mut tx, completion).await?;
            if outcome == CompletionOutcome::Inserted
                && let Some(link) = completion.click.short_url_id
            {
                let entry = counters.entry(link).or_default();
                entry.0 += 1;
                entry.1 += i64::from(completion.click.potential_bot);
            }
            outcomes.push(outcome);
        }
        for (link, (total, bots)) in counters {
            sqlx::query(
                "UPDATE short_urls SET visits_total = visits_total + ?, visits_bots = visits_bots + ?
                 WHERE id = ?",
            )
            .bind(total)
            .bind(bots)
            .bind(link)
            .execute(&mut *tx)
            .await?;
        }
        let inserted: Vec<&NewClick> = done
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| **outcome == CompletionOutcome::Inserted)
            .map(|(completion, _)| &completion.click)
            .collect();
        super::rollups::record(&mut tx, &inserted).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn retry_click(
        &self,
        claim: ClaimRef,
        available_at: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE click_outbox SET lease_until = NULL, available_at = ?, last_error = ?
             WHERE id = ? AND attempts = ?",
        )
        .bind(to_millis(available_at))
        .bind(error)
        .bind(claim.id)
        .bind(claim.attempt)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn dead_letter_click(
        &self,
        claim: ClaimRef,
        reason: &str,
        error: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "INSERT INTO dead_letters
                 (message_id, payload, reason, last_error, attempts, enqueued_at, failed_at)
             SELECT message_id, payload, ?, ?, attempts, enqueued_at, ?
             FROM click_outbox WHERE id = ? AND attempts = ?
             ON CONFLICT (message_id) DO UPDATE SET
                 payload = excluded.payload, reason = excluded.reason,
                 last_error = excluded.last_error, attempts = excluded.attempts,
                 failed_at = excluded.failed_at",
        )
        .bind(reason)
        .bind(error)
        .bind(to_millis(Utc::now()))
        .bind(claim.id)
        .bind(claim.attempt)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM click_outbox WHERE id = ? AND attempts = ?")
            .bind(claim.id)
            .bind(claim.attempt)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(moved == 1)
    }

    async fn release_clicks(&self, claims: &[ClaimRef]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for claim in claims {
            sqlx::query(
                "UPDATE click_outbox SET lease_until = NULL, attempts = attempts - 1
                 WHERE id = ? AND attempts = ?",
            )
            .bind(claim.id)
            .bind(claim.attempt)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        let (backlog, dead_letters, oldest): (i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM click_outbox),
                    (SELECT COUNT(*) FROM dead_letters),
                    (SELECT enqueued_at FROM click_outbox ORDER BY id LIMIT 1)",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(OutboxStats {
            backlog,
            oldest_enqueued_at: oldest.map(from_millis),
            dead_letters,
        })
    }

    async fn list_dead_letters(&self, limit: u32, offset: u32) -> StoreResult<Vec<DeadLetter>> {
        super::dead_letters::list(&self.reader, limit, offset).await
    }

    async fn find_dead_letter(&self, id: i64) -> StoreResult<Option<DeadLetter>> {
        super::dead_letters::find(&self.reader, id).await
    }

    async fn replay_dead_letters(&self, which: &DeadLetterSelection) -> StoreResult<u64> {
        super::dead_letters::replay(&self.writer, which).await
    }

    async fn purge_dead_letters(&self, which: &DeadLetterSelection) -> StoreResult<u64> {
        super::dead_letters::purge(&self.writer, which).await
    }

    async fn visitor_salt(&self, day: NaiveDate) -> StoreResult<String> {
        super::rollups::visitor_salt(&self.writer, day).await
    }
}

/// Completes one event inside the caller's transaction; see `ClickStore::complete_clicks`.
async fn complete_one(
    tx: &mut SqliteConnection,
    completion: &Completion,
) -> StoreResult<CompletionOutcome> {
    let click = &completion.click;
    if let Some(link) = click.short_url_id {
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM short_urls WHERE id = ?")
            .bind(link)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(CompletionOutcome::LinkGone);
        }
    }
    let fenced = sqlx::query("DELETE FROM click_outbox WHERE id = ? AND attempts = ?")
        .bind(completion.claim.id)
        .bind(completion.claim.attempt)
        .execute(&mut *tx)
        .await?;
    if fenced.rows_affected() == 0 {
        return Ok(CompletionOutcome::Fenced);
    }
    let inserted = insert_click(tx, click).await?;
    Ok(if inserted {
        CompletionOutcome::Inserted
    } else {
        CompletionOutcome::Duplicate
    })
}

/// Inserts a click unless its message id is already stored; true when a row was written.
async fn insert_click(tx: &mut SqliteConnection, click: &NewClick) -> StoreResult<bool> {
    let loc = &click.location;
    let done = sqlx::query(
        "INSERT INTO clicks (message_id, short_url_id, kind, occurred_at, enriched_at, ip,
             user_agent, referer, visited_url, redirect_url, potential_bot, browser,
             browser_version, os, device, country_code, country_name, region_name, city_name,
             latitude, longitude, timezone, traceparent, visitor_hash, referrer_domain)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(click.message_id)
    .bind(click.short_url_id)
    .bind(click.kind.as_str())
    .bind(to_millis(click.occurred_at))
    .bind(to_millis(click.enriched_at))
    .bind(&click.ip)
    .bind(&click.user_agent)
    .bind(&click.referer)
    .bind(&click.visited_url)
    .bind(&click.redirect_url)
    .bind(click.potential_bot)
    .bind(&click.browser)
    .bind(&click.browser_version)
    .bind(&click.os)
    .bind(&click.device)
    .bind(&loc.country_code)
    .bind(&loc.country_name)
    .bind(&loc.region_name)
    .bind(&loc.city_name)
    .bind(loc.latitude)
    .bind(loc.longitude)
    .bind(&loc.timezone)
    .bind(&click.traceparent)
    .bind(&click.visitor_hash)
    .bind(&click.referrer_domain)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
