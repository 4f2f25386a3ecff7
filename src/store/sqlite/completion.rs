//! Fenced, idempotent completion of a batch of clicks in a few multi-row statements (SQLite).
//!
//! Every SQLite statement is a round trip to the connection's thread, so a batch is completed
//! with one statement per step (chunked to stay under SQLite's bound-variable limit) instead of
//! several per click.

use std::collections::{BTreeMap, HashSet};

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::{rows_per_statement, to_millis};
use crate::clicks::{ClaimRef, Completion, CompletionOutcome};
use crate::store::click_texts::{BatchTexts, TEXT_COLUMNS, TEXT_ID_COLUMNS, visitor_hash_bytes};
use crate::store::{StoreResult, TextIds};

/// For every completion: skip it if its link is gone, delete its outbox row only if the claim
/// still holds (attempt fencing; unclaimed completions have no row), and insert the click once
/// per message id, its texts through the dictionary. Counters and rollups are the caller's job
/// (it knows which rows were inserted), and so is remembering the texts' ids once it commits.
pub(super) async fn complete_batch<'a>(
    tx: &mut SqliteConnection,
    cache: &TextIds,
    done: &'a [Completion],
) -> StoreResult<(Vec<CompletionOutcome>, BatchTexts<'a>)> {
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
    let mut texts = cache.for_batch(owned.iter().map(|c| &c.click));
    resolve_texts(tx, &mut texts).await?;
    let inserted = insert_clicks(tx, &owned, &texts).await?;
    let outcomes = done
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
        .collect();
    Ok((outcomes, texts))
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

/// Inserts the batch's texts the cache does not know (or finds them, if another batch wrote
/// them) and learns their ids.
async fn resolve_texts(tx: &mut SqliteConnection, texts: &mut BatchTexts<'_>) -> StoreResult<()> {
    let unknown = texts.unknown();
    for chunk in unknown.chunks(rows_per_statement(1)) {
        let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO click_texts (value) ");
        insert.push_values(chunk, |mut row, text| {
            row.push_bind(text.as_str());
        });
        insert.push(" ON CONFLICT (value) DO UPDATE SET value = value RETURNING id, value");
        let rows: Vec<(i64, String)> = insert
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?;
        texts.learn(rows);
    }
    Ok(())
}

/// Inserts the clicks, skipping message ids already stored; returns the ids written.
async fn insert_clicks(
    tx: &mut SqliteConnection,
    owned: &[&Completion],
    texts: &BatchTexts<'_>,
) -> StoreResult<HashSet<Uuid>> {
    let rows = owned
        .iter()
        .map(|completion| Ok((&completion.click, texts.ids_of(&completion.click)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    let mut inserted = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(rows_per_statement(12 + TEXT_COLUMNS)) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO click_rows (message_id, short_url_id, kind_code, occurred_at, enriched_at, \
             ip, potential_bot, country_code, latitude, longitude, traceparent, visitor_hash",
        );
        for column in TEXT_ID_COLUMNS {
            insert.push(", ").push(column);
        }
        insert.push(") ");
        insert.push_values(chunk, |mut row, (click, ids)| {
            let place = &click.location;
            row.push_bind(click.message_id)
                .push_bind(click.short_url_id)
                .push_bind(click.kind.code())
                .push_bind(to_millis(click.occurred_at))
                .push_bind(to_millis(click.enriched_at))
                .push_bind(&click.ip)
                .push_bind(click.potential_bot)
                .push_bind(&place.country_code)
                .push_bind(place.latitude)
                .push_bind(place.longitude)
                .push_bind(&click.traceparent)
                .push_bind(visitor_hash_bytes(click));
            for id in ids {
                row.push_bind(*id);
            }
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
