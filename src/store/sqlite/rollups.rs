//! Rollup maintenance in SQLite: applied by `complete_clicks` for the clicks it inserted (same
//! transaction, single writer), as multi-row upserts sized to SQLite's bound-variable limit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{from_millis, rows_per_statement, to_millis};
use crate::clicks::Click;
use crate::store::StoreResult;
use crate::store::click_texts::BatchTexts;
use crate::store::rollup::{HourDelta, RollupBatch, SiteVisitorKey, VisitorKey, hour_number};

/// Adds the inserted clicks to `link_hourly`, `link_daily`, `link_hourly_dims`, `hourly_totals`,
/// `visitor_days` and `site_visitor_days`; a visitor counts as unique to a link only if its
/// (link, day) row is new, and among all links' visitors only if its (day) row is.
pub(super) async fn record(
    tx: &mut SqliteConnection,
    inserted: &[&Click],
    texts: &BatchTexts<'_>,
) -> StoreResult<()> {
    let mut batch = RollupBatch::new(inserted.iter().copied());
    if batch.is_empty() {
        return Ok(());
    }
    let keys: Vec<&VisitorKey> = batch.visitors.keys().collect();
    let mut new_visitors = Vec::new();
    for chunk in keys.chunks(rows_per_statement(3)) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO visitor_days (short_url_id, day, visitor_hash) ",
        );
        insert.push_values(chunk, |mut row, key| {
            row.push_bind(key.link)
                .push_bind(to_millis(key.day))
                .push_bind(&key.hash);
        });
        insert.push(" ON CONFLICT DO NOTHING RETURNING short_url_id, day, visitor_hash");
        let rows: Vec<(i64, i64, String)> = insert
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?;
        new_visitors.extend(rows.into_iter().map(|(link, day, hash)| VisitorKey {
            link,
            day: from_millis(day),
            hash,
        }));
    }
    batch.credit_new_visitors(new_visitors);
    let new_site_visitors = insert_site_visitors(tx, &batch).await?;
    batch.credit_new_site_visitors(new_site_visitors);
    upsert_per_link(tx, LinkTable::Hourly, &batch.hourly).await?;
    upsert_per_link(tx, LinkTable::Daily, &batch.daily).await?;
    upsert_dims(tx, &batch, texts).await?;
    upsert_totals(tx, &batch).await
}

/// Inserts the batch's visitors across links; returns the ones that were not there yet.
async fn insert_site_visitors(
    tx: &mut SqliteConnection,
    batch: &RollupBatch,
) -> StoreResult<Vec<SiteVisitorKey>> {
    let keys: Vec<&SiteVisitorKey> = batch.site_visitors.keys().collect();
    let mut new = Vec::new();
    for chunk in keys.chunks(rows_per_statement(2)) {
        let mut insert =
            QueryBuilder::<Sqlite>::new("INSERT INTO site_visitor_days (day, visitor_hash) ");
        insert.push_values(chunk, |mut row, key| {
            row.push_bind(to_millis(key.day)).push_bind(&key.hash);
        });
        insert.push(" ON CONFLICT DO NOTHING RETURNING day, visitor_hash");
        let rows: Vec<(i64, String)> = insert
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?;
        new.extend(rows.into_iter().map(|(day, hash)| SiteVisitorKey {
            day: from_millis(day),
            hash,
        }));
    }
    Ok(new)
}

/// A per-link counter table keyed by (link, start of its period).
#[derive(Clone, Copy)]
enum LinkTable {
    /// `link_hourly`.
    Hourly,
    /// `link_daily`.
    Daily,
}

impl LinkTable {
    /// The upsert's head, up to its VALUES.
    fn insert(self) -> &'static str {
        match self {
            Self::Hourly => {
                "INSERT INTO link_hourly (short_url_id, hour, total, bots, uniques, site_uniques) "
            }
            Self::Daily => "INSERT INTO link_daily (short_url_id, day, total, bots, uniques) ",
        }
    }

    /// Bound values per row: `link_hourly` also keeps the visitors first seen across links.
    fn columns(self) -> usize {
        match self {
            Self::Hourly => 6,
            Self::Daily => 5,
        }
    }

    /// The upsert's tail, adding to the row already there.
    fn on_conflict(self) -> &'static str {
        match self {
            Self::Hourly => {
                " ON CONFLICT (short_url_id, hour) DO UPDATE SET total = total + excluded.total, \
                 bots = bots + excluded.bots, uniques = uniques + excluded.uniques, \
                 site_uniques = site_uniques + excluded.site_uniques"
            }
            Self::Daily => {
                " ON CONFLICT (short_url_id, day) DO UPDATE SET total = total + excluded.total, \
                 bots = bots + excluded.bots, uniques = uniques + excluded.uniques"
            }
        }
    }
}

/// Adds the batch's per-link figures of one period to `table`.
async fn upsert_per_link(
    tx: &mut SqliteConnection,
    table: LinkTable,
    deltas: &BTreeMap<(i64, DateTime<Utc>), HourDelta>,
) -> StoreResult<()> {
    let rows: Vec<_> = deltas.iter().collect();
    for chunk in rows.chunks(rows_per_statement(table.columns())) {
        let mut upsert = QueryBuilder::<Sqlite>::new(table.insert());
        upsert.push_values(chunk, |mut row, ((link, start), delta)| {
            row.push_bind(*link)
                .push_bind(to_millis(*start))
                .push_bind(delta.total)
                .push_bind(delta.bots)
                .push_bind(delta.uniques);
            if let LinkTable::Hourly = table {
                row.push_bind(delta.site_uniques);
            }
        });
        upsert.push(table.on_conflict());
        upsert.build().persistent(false).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Adds the batch's per-dimension hourly figures, each value by its dictionary id.
async fn upsert_dims(
    tx: &mut SqliteConnection,
    batch: &RollupBatch,
    texts: &BatchTexts<'_>,
) -> StoreResult<()> {
    let rows = batch
        .dims
        .iter()
        .map(|(key, delta)| Ok((key, texts.id_of(&key.value)?, delta)))
        .collect::<StoreResult<Vec<_>>>()?;
    for chunk in rows.chunks(rows_per_statement(6)) {
        let mut upsert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO link_hourly_dims (short_url_id, dim, hour, value_id, total, bots) ",
        );
        upsert.push_values(chunk, |mut row, (key, value_id, delta)| {
            row.push_bind(key.link)
                .push_bind(key.dim)
                .push_bind(hour_number(key.hour))
                .push_bind(*value_id)
                .push_bind(delta.total)
                .push_bind(delta.bots);
        });
        upsert.push(
            " ON CONFLICT (short_url_id, dim, hour, value_id) DO UPDATE SET \
             total = total + excluded.total, bots = bots + excluded.bots",
        );
        upsert.build().persistent(false).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Adds the batch's all-links hourly figures.
async fn upsert_totals(tx: &mut SqliteConnection, batch: &RollupBatch) -> StoreResult<()> {
    let rows: Vec<_> = batch.totals.iter().collect();
    for chunk in rows.chunks(rows_per_statement(4)) {
        let mut upsert =
            QueryBuilder::<Sqlite>::new("INSERT INTO hourly_totals (hour, total, bots, uniques) ");
        upsert.push_values(chunk, |mut row, (hour, delta)| {
            row.push_bind(to_millis(**hour))
                .push_bind(delta.total)
                .push_bind(delta.bots)
                .push_bind(delta.uniques);
        });
        upsert.push(
            " ON CONFLICT (hour) DO UPDATE SET total = total + excluded.total, \
             bots = bots + excluded.bots, uniques = uniques + excluded.uniques",
        );
        upsert.build().persistent(false).execute(&mut *tx).await?;
    }
    Ok(())
}
