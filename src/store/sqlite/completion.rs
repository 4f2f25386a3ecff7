//! Fenced, idempotent completion of a batch of clicks in a few multi-row statements (SQLite).
//!
//! Every SQLite statement is a round trip to the connection's thread, so a batch is completed
//! with one statement per step (chunked to stay under SQLite's bound-variable limit) instead of
//! several per click.

use std::collections::{BTreeMap, HashSet};

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::{rows_per_statement, to_millis};
use crate::store::{ClaimRef, Completion, CompletionOutcome, StoreResult};

/// For every completion: skip it if its link is gone, delete its outbox row only if the claim
/// still holds (attempt fencing; unclaimed completions have no row), and insert the click once
/// per message id. Counters and
/// rollups are the caller's job (it knows which rows were inserted).
pub(super) async fn complete_batch(
    tx: &mut SqliteConnection,
    done: &[Completion],
) -> StoreResult<Vec<CompletionOutcome>> {
    let links = existing_links(tx, done).await?;
    let live: Vec<&Completion> = done
        .iter()
        .filter(|c| {
            c.click
                .short_url_id
                .is_none_or(|link| links.contains(&link))
        })
        .collect();
    let deleted = delete_claimed(tx, &live).await?;
    let holds = |c: &Completion| c.claim.is_none_or(|claim| deleted.contains(&claim.id));
    let owned: Vec<&Completion> = live.into_iter().filter(|c| holds(c)).collect();
    let inserted = insert_clicks(tx, &owned).await?;
    Ok(done
        .iter()
        .map(|c| {
            if c.click
                .short_url_id
                .is_some_and(|link| !links.contains(&link))
            {
                CompletionOutcome::LinkGone
            } else if !holds(c) {
                CompletionOutcome::Fenced
            } else if inserted.contains(&c.click.message_id) {
                CompletionOutcome::Inserted
            } else {
                CompletionOutcome::Duplicate
            }
        })
        .collect())
}

/// Adds each link's new visits to its `short_urls` counters in one statement per chunk.
pub(super) async fn add_to_counters(
    tx: &mut SqliteConnection,
    counters: &BTreeMap<i64, (i64, i64)>,
) -> StoreResult<()> {
    let rows: Vec<_> = counters.iter().collect();
    for chunk in rows.chunks(rows_per_statement(3)) {
        let mut update = QueryBuilder::<Sqlite>::new("WITH delta (id, total, bots) AS (");
        update.push_values(chunk, |mut row, (link, (total, bots))| {
            row.push_bind(**link).push_bind(*total).push_bind(*bots);
        });
        update.push(
            ") UPDATE short_urls SET visits_total = visits_total + delta.total, \
             visits_bots = visits_bots + delta.bots FROM delta WHERE short_urls.id = delta.id",
        );
        update.build().persistent(false).execute(&mut *tx).await?;
    }
    Ok(())
}

/// The ids among the batch's links that still exist.
async fn existing_links(
    tx: &mut SqliteConnection,
    done: &[Completion],
) -> StoreResult<HashSet<i64>> {
    let wanted: Vec<i64> = done
        .iter()
        .filter_map(|c| c.click.short_url_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut found = HashSet::with_capacity(wanted.len());
    for chunk in wanted.chunks(rows_per_statement(1)) {
        let mut select = QueryBuilder::<Sqlite>::new("SELECT id FROM short_urls WHERE id IN (");
        let mut ids = select.separated(", ");
        for link in chunk {
            ids.push_bind(*link);
        }
        select.push(")");
        let rows: Vec<(i64,)> = select
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?;
        found.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(found)
}

/// Deletes the outbox rows whose claim (id, attempt) still holds; returns their ids.
async fn delete_claimed(
    tx: &mut SqliteConnection,
    live: &[&Completion],
) -> StoreResult<HashSet<i64>> {
    let claims: Vec<ClaimRef> = live.iter().filter_map(|c| c.claim).collect();
    let mut deleted = HashSet::with_capacity(claims.len());
    for chunk in claims.chunks(rows_per_statement(2)) {
        let mut delete = QueryBuilder::<Sqlite>::new("WITH claimed (id, attempts) AS (");
        delete.push_values(chunk, |mut row, claim| {
            row.push_bind(claim.id).push_bind(claim.attempt);
        });
        delete.push(
            ") DELETE FROM click_outbox WHERE (id, attempts) IN \
             (SELECT id, attempts FROM claimed) RETURNING id",
        );
        let rows: Vec<(i64,)> = delete
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?;
        deleted.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(deleted)
}

/// Inserts the clicks, skipping message ids already stored; returns the ids written.
async fn insert_clicks(
    tx: &mut SqliteConnection,
    owned: &[&Completion],
) -> StoreResult<HashSet<Uuid>> {
    let mut inserted = HashSet::with_capacity(owned.len());
    for chunk in owned.chunks(rows_per_statement(25)) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO clicks (message_id, short_url_id, kind, occurred_at, enriched_at, ip, \
             user_agent, referer, visited_url, redirect_url, potential_bot, browser, \
             browser_version, os, device, country_code, country_name, region_name, city_name, \
             latitude, longitude, timezone, traceparent, visitor_hash, referrer_domain) ",
        );
        insert.push_values(chunk, |mut row, completion| {
            let click = &completion.click;
            let loc = &click.location;
            row.push_bind(click.message_id)
                .push_bind(click.short_url_id)
                .push_bind(click.kind.as_str())
                .push_bind(to_millis(click.occurred_at))
                .push_bind(to_millis(click.enriched_at))
                .push_bind(&click.ip)
                .push_bind(&click.user_agent)
                .push_bind(&click.referer)
                .push_bind(&click.visited_url)
                .push_bind(&click.redirect_url)
                .push_bind(click.potential_bot)
                .push_bind(&click.browser)
                .push_bind(&click.browser_version)
                .push_bind(&click.os)
                .push_bind(&click.device)
                .push_bind(&loc.country_code)
                .push_bind(&loc.country_name)
                .push_bind(&loc.region_name)
                .push_bind(&loc.city_name)
                .push_bind(loc.latitude)
                .push_bind(loc.longitude)
                .push_bind(&loc.timezone)
                .push_bind(&click.traceparent)
                .push_bind(&click.visitor_hash)
                .push_bind(&click.referrer_domain);
        });
        insert.push(" ON CONFLICT (message_id) DO NOTHING RETURNING message_id");
        let rows: Vec<(Uuid,)> = insert
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?;
        inserted.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(inserted)
}
