//! Rollup maintenance in Postgres: applied by `complete_clicks` for the clicks it inserted (same
//! transaction, after the links are locked), as `UNNEST` upserts over arrays.
//!
//! Each table gets one array-bound statement per batch with its keys sorted, and the tables are
//! always written in the same order (visitor_days, site_visitor_days, link_hourly, link_daily,
//! link_hourly_dims, then the shared hourly_totals last), so concurrent workers queue on rows instead of
//! deadlocking.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::clicks::Click;
use crate::store::StoreResult;
use crate::store::click_texts::BatchTexts;
use crate::store::rollup::{HourDelta, RollupBatch, SiteVisitorKey, VisitorKey, hour_number};

/// Adds the inserted clicks to `visitor_days`, `link_hourly`, `link_daily`, `link_hourly_dims`
/// and `hourly_totals`; a visitor counts as unique to a link only if its (link, day) row is new,
/// and among all links' visitors only if its `site_visitor_days` row is. The caller holds the
/// links' row locks.
pub(super) async fn record(
    tx: &mut PgConnection,
    inserted: &[&Click],
    texts: &BatchTexts<'_>,
) -> StoreResult<()> {
    let mut batch = RollupBatch::new(inserted.iter().copied());
    if batch.is_empty() {
        return Ok(());
    }
    let new_visitors = insert_visitors(tx, &batch).await?;
    batch.credit_new_visitors(new_visitors);
    let new_site_visitors = insert_site_visitors(tx, &batch).await?;
    batch.credit_new_site_visitors(new_site_visitors);
    upsert_per_link(
        tx,
        "INSERT INTO link_hourly AS t (short_url_id, hour, total, bots, uniques, site_uniques)
         SELECT * FROM UNNEST($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[],
             $5::bigint[], $6::bigint[])
         ON CONFLICT (short_url_id, hour) DO UPDATE SET total = t.total + excluded.total,
             bots = t.bots + excluded.bots, uniques = t.uniques + excluded.uniques,
             site_uniques = t.site_uniques + excluded.site_uniques",
        &batch.hourly,
    )
    .await?;
    upsert_per_link(
        tx,
        "INSERT INTO link_daily AS t (short_url_id, day, total, bots, uniques)
         SELECT l, d, t, b, u FROM UNNEST($1::bigint[], $2::timestamptz[], $3::bigint[],
             $4::bigint[], $5::bigint[], $6::bigint[]) AS r (l, d, t, b, u, s)
         ON CONFLICT (short_url_id, day) DO UPDATE SET total = t.total + excluded.total,
             bots = t.bots + excluded.bots, uniques = t.uniques + excluded.uniques",
        &batch.daily,
    )
    .await?;
    let value_ids = batch
        .dims
        .keys()
        .map(|k| texts.id_of(&k.value))
        .collect::<StoreResult<Vec<_>>>()?;
    let dims = batch.dims.iter();
    sqlx::query(
        "INSERT INTO link_hourly_dims AS t (short_url_id, dim, hour, value_id, total, bots)
         SELECT * FROM UNNEST($1::bigint[], $2::smallint[], $3::integer[], $4::bigint[],
             $5::bigint[], $6::bigint[])
         ON CONFLICT (short_url_id, dim, hour, value_id) DO UPDATE SET
             total = t.total + excluded.total, bots = t.bots + excluded.bots",
    )
    .bind(dims.clone().map(|(k, _)| k.link).collect::<Vec<_>>())
    .bind(dims.clone().map(|(k, _)| k.dim).collect::<Vec<_>>())
    .bind(
        dims.clone()
            .map(|(k, _)| hour_number(k.hour))
            .collect::<Vec<_>>(),
    )
    .bind(value_ids)
    .bind(dims.clone().map(|(_, d)| d.total).collect::<Vec<_>>())
    .bind(dims.map(|(_, d)| d.bots).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let totals = batch.totals.iter();
    sqlx::query(
        "INSERT INTO hourly_totals AS t (hour, total, bots, uniques)
         SELECT * FROM UNNEST($1::timestamptz[], $2::bigint[], $3::bigint[], $4::bigint[])
         ON CONFLICT (hour) DO UPDATE SET total = t.total + excluded.total,
             bots = t.bots + excluded.bots, uniques = t.uniques + excluded.uniques",
    )
    .bind(totals.clone().map(|(hour, _)| *hour).collect::<Vec<_>>())
    .bind(totals.clone().map(|(_, d)| d.total).collect::<Vec<_>>())
    .bind(totals.clone().map(|(_, d)| d.bots).collect::<Vec<_>>())
    .bind(totals.map(|(_, d)| d.uniques).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Runs `upsert` (a per-link counter table's UNNEST upsert) with the rows in key order; the
/// sixth array, `site_uniques`, is `link_hourly`'s only (`link_daily`'s statement skips it).
async fn upsert_per_link(
    tx: &mut PgConnection,
    upsert: &'static str,
    deltas: &BTreeMap<(i64, DateTime<Utc>), HourDelta>,
) -> StoreResult<()> {
    let rows = deltas.iter();
    sqlx::query(upsert)
        .bind(rows.clone().map(|((link, _), _)| *link).collect::<Vec<_>>())
        .bind(
            rows.clone()
                .map(|((_, start), _)| *start)
                .collect::<Vec<_>>(),
        )
        .bind(rows.clone().map(|(_, d)| d.total).collect::<Vec<_>>())
        .bind(rows.clone().map(|(_, d)| d.bots).collect::<Vec<_>>())
        .bind(rows.clone().map(|(_, d)| d.uniques).collect::<Vec<_>>())
        .bind(rows.map(|(_, d)| d.site_uniques).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Inserts the batch's visitors across links; returns the ones that were not there yet.
async fn insert_site_visitors(
    tx: &mut PgConnection,
    batch: &RollupBatch,
) -> StoreResult<Vec<SiteVisitorKey>> {
    if batch.site_visitors.is_empty() {
        return Ok(Vec::new());
    }
    let keys = batch.site_visitors.keys();
    let rows: Vec<(DateTime<Utc>, String)> = sqlx::query_as(
        "INSERT INTO site_visitor_days (day, visitor_hash)
         SELECT * FROM UNNEST($1::timestamptz[], $2::text[])
         ON CONFLICT DO NOTHING
         RETURNING day, visitor_hash",
    )
    .bind(keys.clone().map(|k| k.day).collect::<Vec<_>>())
    .bind(keys.map(|k| k.hash.as_str()).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(day, hash)| SiteVisitorKey { day, hash })
        .collect())
}

/// Inserts the batch's visitor keys; returns the ones that were not there yet.
async fn insert_visitors(
    tx: &mut PgConnection,
    batch: &RollupBatch,
) -> StoreResult<Vec<VisitorKey>> {
    if batch.visitors.is_empty() {
        return Ok(Vec::new());
    }
    let keys = batch.visitors.keys();
    let rows: Vec<(i64, DateTime<Utc>, String)> = sqlx::query_as(
        "INSERT INTO visitor_days (short_url_id, day, visitor_hash)
         SELECT * FROM UNNEST($1::bigint[], $2::timestamptz[], $3::text[])
         ON CONFLICT DO NOTHING
         RETURNING short_url_id, day, visitor_hash",
    )
    .bind(keys.clone().map(|k| k.link).collect::<Vec<_>>())
    .bind(keys.clone().map(|k| k.day).collect::<Vec<_>>())
    .bind(keys.map(|k| k.hash.as_str()).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(link, day, hash)| VisitorKey { link, day, hash })
        .collect())
}
