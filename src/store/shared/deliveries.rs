//! Webhook queues, for both engines: the `WebhookStore` methods over `webhook_deliveries`
//! (claims under a lease, fenced completion, retries, dead letters, replay) and the endpoints'
//! administration (in `webhooks.rs`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::webhooks;
use crate::consumers::{
    ConsumerFigures, ConsumerKind, DeadDelivery, DeliveryClaim, DeliverySubject, Event, NewWebhook,
    Webhook, WebhookSecret,
};
use crate::links::{LinkAddress, ShortUrl};
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::{At, Sql};
use crate::store::{StoreError, StoreResult, WebhookStore};

/// The event a stored name stands for; a name we never write is a decoding error.
fn event(raw: &str) -> StoreResult<Event> {
    raw.parse::<Event>()
        .map_err(|err| StoreError::Database(sqlx::Error::Decode(err.into())))
}

/// A claimed row: id, webhook, message id, event, link id, deleted link's address, attempts.
type ClaimRow = (i64, i64, Uuid, String, Option<i64>, Option<String>, i32);

/// ` WHERE id = … AND attempts = …`: the claim still holds.
fn fenced(sql: &mut Sql, claim: &DeliveryClaim) {
    sql.push(" WHERE id = ").bind(claim.id);
    sql.push(" AND attempts = ").bind(i64::from(claim.attempt));
    sql.push(" AND dead_at IS NULL");
}

/// ` AND id IN (…)` when `ids` are given.
fn only<E: Engine>(sql: &mut Sql, ids: Option<&[i64]>) {
    if let Some(ids) = ids {
        sql.push(" AND id");
        E::push_any_id(sql, ids);
    }
}

/// ` webhook_id = (the id of consumer)`.
fn of_consumer(sql: &mut Sql, consumer: &str) {
    sql.push(" webhook_id = (SELECT id FROM webhooks WHERE name = ")
        .bind(consumer)
        .push(")");
}

#[async_trait]
impl<E: Engine> WebhookStore for E {
    async fn add_webhook(&self, new: &NewWebhook) -> StoreResult<Webhook> {
        webhooks::insert(self, new).await
    }

    async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
        webhooks::all(self, Some(ConsumerKind::Webhook)).await
    }

    async fn consumers(&self) -> StoreResult<Vec<Webhook>> {
        webhooks::all(self, None).await
    }

    async fn enable_broker(&self, kind: ConsumerKind, address: &str) -> StoreResult<()> {
        webhooks::enable_broker(self, kind, address).await
    }

    async fn delete_webhook(&self, name: &str) -> StoreResult<bool> {
        let mut delete = Sql::new("DELETE FROM webhooks WHERE kind = 'webhook' AND name = ");
        delete.bind(name);
        Ok(self.execute(delete).await? > 0)
    }

    async fn rotate_webhook_secret(
        &self,
        name: &str,
        secret: &WebhookSecret,
        overlap_until: DateTime<Utc>,
    ) -> StoreResult<Option<Webhook>> {
        webhooks::rotate(self, name, secret, overlap_until).await
    }

    async fn disable_webhook(&self, id: i64, reason: &str) -> StoreResult<()> {
        let mut update = Sql::new("UPDATE webhooks SET disabled_at = ");
        update
            .bind(Utc::now())
            .push(", disabled_reason = ")
            .bind(reason);
        update
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND disabled_at IS NULL");
        self.execute(update).await?;
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        webhook_id: i64,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<DeliveryClaim>> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let mut claim =
            Sql::new("UPDATE webhook_deliveries SET attempts = attempts + 1, lease_until = ");
        claim.bind(until);
        claim.push(
            " WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhooks w \
             ON w.id = d.webhook_id WHERE w.disabled_at IS NULL AND d.dead_at IS NULL \
             AND d.webhook_id = ",
        );
        claim.bind(webhook_id).push(" AND d.available_at <= ");
        claim
            .bind(now)
            .push(" AND (d.lease_until IS NULL OR d.lease_until < ");
        claim.bind(now).push(") ORDER BY d.available_at LIMIT ");
        claim.bind(i64::from(limit)).push(E::SKIP_LOCKED);
        claim
            .push(") RETURNING id, webhook_id, message_id, event, link_id, link_address, attempts");
        let mut tx = self.begin_write().await?;
        let rows: Vec<ClaimRow> = tx.fetch_all(claim).await?;
        tx.commit().await?;
        rows.into_iter()
            .map(
                |(id, webhook_id, message_id, kind, link_id, address, attempts)| {
                    Ok(DeliveryClaim {
                        id,
                        webhook_id,
                        message_id,
                        event: event(&kind)?,
                        link_id,
                        deleted_link: address.as_deref().and_then(LinkAddress::from_segment),
                        attempt: u32::try_from(attempts).unwrap_or_default(),
                    })
                },
            )
            .collect()
    }

    async fn delivered(&self, claims: &[DeliveryClaim]) -> StoreResult<u64> {
        if claims.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let mut delete =
            Sql::new("DELETE FROM webhook_deliveries WHERE (id, attempts) IN (VALUES ");
        for (index, claim) in claims.iter().enumerate() {
            delete.push(if index == 0 { "(" } else { ", (" });
            delete
                .bind(claim.id)
                .push(", ")
                .bind(i64::from(claim.attempt))
                .push(")");
        }
        delete.push(") AND dead_at IS NULL RETURNING webhook_id");
        let held: Vec<(i64,)> = tx.fetch_all(delete).await?;
        let mut per_webhook: BTreeMap<i64, i64> = BTreeMap::new();
        for (webhook,) in &held {
            *per_webhook.entry(*webhook).or_default() += 1;
        }
        for (webhook, delivered) in per_webhook {
            let mut count = Sql::new("UPDATE webhooks SET delivered_total = delivered_total + ");
            count
                .bind(delivered)
                .push(", failing_since = NULL WHERE id = ")
                .bind(webhook);
            tx.execute(count).await?;
        }
        tx.commit().await?;
        Ok(held.len() as u64)
    }

    async fn retry_delivery(
        &self,
        claim: &DeliveryClaim,
        at: DateTime<Utc>,
        reason: &str,
    ) -> StoreResult<bool> {
        let mut update =
            Sql::new("UPDATE webhook_deliveries SET lease_until = NULL, available_at = ");
        update.bind(at).push(", last_error = ").bind(reason);
        fenced(&mut update, claim);
        failed(self, claim, update, "retried_total").await
    }

    async fn dead_letter_delivery(&self, claim: &DeliveryClaim, reason: &str) -> StoreResult<bool> {
        let mut update = Sql::new("UPDATE webhook_deliveries SET lease_until = NULL, dead_at = ");
        update.bind(Utc::now()).push(", last_error = ").bind(reason);
        fenced(&mut update, claim);
        failed(self, claim, update, "dead_total").await
    }

    async fn delivery_subjects(
        &self,
        claims: &[DeliveryClaim],
    ) -> StoreResult<HashMap<Uuid, DeliverySubject>> {
        let (about_links, visited): (Vec<&DeliveryClaim>, Vec<&DeliveryClaim>) = claims
            .iter()
            .partition(|claim| claim.event.is_about_a_link());
        let message_ids: Vec<Uuid> = visited.iter().map(|claim| claim.message_id).collect();
        let mut tx = self.begin_read().await?;
        let visits = super::visits::by_message_ids::<E>(&mut tx, &message_ids).await?;
        let mut link_ids: Vec<i64> = visits
            .iter()
            .filter_map(|(_, _, link, _)| *link)
            .chain(about_links.iter().filter_map(|claim| claim.link_id))
            .collect();
        link_ids.sort_unstable();
        link_ids.dedup();
        let links: HashMap<i64, ShortUrl> = super::links::by_ids::<E>(&mut tx, &link_ids)
            .await?
            .into_iter()
            .map(|link| (link.id, link))
            .collect();
        tx.commit().await?;
        let about_links = about_links.into_iter().filter_map(|claim| {
            let link = claim.link_id.and_then(|id| links.get(&id).cloned());
            if link.is_none() && claim.deleted_link.is_none() {
                return None;
            }
            let subject = DeliverySubject {
                visit: None,
                link,
                deleted_link: claim.deleted_link.clone(),
                traceparent: None,
            };
            Some((claim.message_id, subject))
        });
        let visited = visits
            .into_iter()
            .map(|(message_id, visit, link, traceparent)| {
                let subject = DeliverySubject {
                    visit: Some(visit),
                    link: link.and_then(|id| links.get(&id).cloned()),
                    deleted_link: None,
                    traceparent,
                };
                (message_id, subject)
            });
        Ok(about_links.chain(visited).collect())
    }

    async fn consumer_figures(&self) -> StoreResult<Vec<ConsumerFigures>> {
        let rows: Vec<(String, i64, Option<At>, i64, i64, i64, i64)> = self
            .fetch_all(Sql::new(
                "SELECT w.name, \
                 CAST(COUNT(d.id) - COUNT(d.dead_at) AS BIGINT), \
                 MIN(CASE WHEN d.dead_at IS NULL THEN d.created_at END), \
                 w.delivered_total, w.retried_total, w.dead_total, CAST(COUNT(d.dead_at) AS BIGINT) \
                 FROM webhooks w LEFT JOIN webhook_deliveries d ON d.webhook_id = w.id \
                 GROUP BY w.id, w.name, w.delivered_total, w.retried_total, w.dead_total \
                 ORDER BY w.name",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(consumer, backlog, oldest, delivered, retried, dead, dead_now)| ConsumerFigures {
                    consumer,
                    backlog,
                    oldest: oldest.map(Into::into),
                    delivered,
                    retried,
                    dead,
                    dead_now,
                },
            )
            .collect())
    }

    async fn dead_deliveries(
        &self,
        consumer: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeadDelivery>> {
        let mut select = Sql::new(
            "SELECT d.id, w.name, d.message_id, d.event, d.attempts, d.last_error, d.dead_at \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.dead_at IS NOT NULL",
        );
        if let Some(consumer) = consumer {
            select.push(" AND w.name = ").bind(consumer);
        }
        select
            .push(" ORDER BY d.dead_at DESC, d.id DESC LIMIT ")
            .bind(i64::from(limit));
        let rows: Vec<(i64, String, Uuid, String, i32, Option<String>, At)> =
            self.fetch_all(select).await?;
        rows.into_iter()
            .map(
                |(id, consumer, message_id, kind, attempts, reason, dead_at)| {
                    Ok(DeadDelivery {
                        id,
                        consumer,
                        message_id,
                        event: event(&kind)?,
                        attempts: u32::try_from(attempts).unwrap_or_default(),
                        reason: reason.unwrap_or_default(),
                        dead_at: dead_at.into(),
                    })
                },
            )
            .collect()
    }

    async fn replay_deliveries(&self, consumer: &str, ids: Option<&[i64]>) -> StoreResult<u64> {
        let mut update = Sql::new(
            "UPDATE webhook_deliveries SET dead_at = NULL, attempts = 0, lease_until = NULL, \
             last_error = NULL, available_at = ",
        );
        update
            .bind(Utc::now())
            .push(" WHERE dead_at IS NOT NULL AND");
        of_consumer(&mut update, consumer);
        only::<E>(&mut update, ids);
        self.execute(update).await
    }

    async fn purge_deliveries(&self, consumer: &str, ids: Option<&[i64]>) -> StoreResult<u64> {
        let mut delete = Sql::new("DELETE FROM webhook_deliveries WHERE dead_at IS NOT NULL AND");
        of_consumer(&mut delete, consumer);
        only::<E>(&mut delete, ids);
        self.execute(delete).await
    }
}

/// Runs `update` (fenced on `claim`) and, if it held, counts it in `counter` and marks the
/// endpoint failing since now unless it already was; whether the claim held.
async fn failed<E: Engine>(
    store: &E,
    claim: &DeliveryClaim,
    update: Sql,
    counter: &'static str,
) -> StoreResult<bool> {
    let mut tx = store.begin_write().await?;
    let held = tx.execute(update).await? == 1;
    if held {
        let mut count = Sql::new(format!(
            "UPDATE webhooks SET {counter} = {counter} + 1, \
             failing_since = COALESCE(failing_since, "
        ));
        count
            .bind(Utc::now())
            .push(") WHERE id = ")
            .bind(claim.webhook_id);
        tx.execute(count).await?;
    }
    tx.commit().await?;
    Ok(held)
}
