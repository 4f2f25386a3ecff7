//! Rollup reads for the analytics pages in SQLite. Every query is a range scan of a rollup
//! primary key (link, [dimension,] hour|day) or of `link_hourly_hour` / `link_daily_day`, never
//! of raw clicks. Reads over many days take the whole days from `link_daily` and only the edge
//! hours from `link_hourly` (`split_days`), which gives the same sums with far fewer rows.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};

use super::{SqliteStore, from_millis, to_millis};
use crate::links::ShortCode;
use crate::store::rollup::{DAY_MS, DaySplit, fill_sparklines, sparkline_days, split_days};
use crate::store::{
    AnalyticsStore, BreakdownRow, Dimension, HourFigures, HourRange, LinkFigures, StoreError,
    StoreResult,
};

/// Pushes a subquery of `(short_url_id, starts_at, total, bots)` rows that covers `split`
/// exactly: its whole days from `link_daily`, its edge hours from `link_hourly`, only of
/// `links` when given. The split must not be empty.
fn push_pieces(query: &mut QueryBuilder<Sqlite>, split: &DaySplit, links: Option<&[i64]>) {
    let hours = split.hours().map(|range| ("link_hourly", "hour", range));
    let days = split.days.map(|range| ("link_daily", "day", range));
    query.push("(");
    for (index, (table, column, range)) in hours.chain(days).enumerate() {
        if index > 0 {
            query.push(" UNION ALL ");
        }
        query
            .push(format_args!(
                "SELECT short_url_id, {column} AS starts_at, total, bots FROM {table} \
                 WHERE {column} >= "
            ))
            .push_bind(to_millis(range.from))
            .push(format_args!(" AND {column} < "))
            .push_bind(to_millis(range.to));
        if let Some(links) = links {
            query.push(" AND short_url_id IN (");
            let mut ids = query.separated(", ");
            for link in links {
                ids.push_bind(*link);
            }
            query.push(")");
        }
    }
    query.push(") AS p");
}

/// The summed visits, with or without bots.
fn visits_sum(include_bots: bool) -> &'static str {
    if include_bots {
        "SUM(total)"
    } else {
        "SUM(total - bots)"
    }
}

#[async_trait]
impl AnalyticsStore for SqliteStore {
    async fn hourly_figures(
        &self,
        link_id: Option<i64>,
        range: HourRange,
    ) -> StoreResult<Vec<HourFigures>> {
        let (from, to) = (to_millis(range.from), to_millis(range.to));
        let rows: Vec<(i64, i64, i64, i64)> = match link_id {
            Some(link) => {
                sqlx::query_as(
                    "SELECT hour, total, bots, uniques FROM link_hourly
                     WHERE short_url_id = ? AND hour >= ? AND hour < ? AND total > 0
                     ORDER BY hour",
                )
                .bind(link)
                .bind(from)
                .bind(to)
                .fetch_all(&self.reader)
                .await?
            }
            None => {
                sqlx::query_as(
                    "SELECT hour, total, bots, uniques FROM hourly_totals
                     WHERE hour >= ? AND hour < ? AND total > 0 ORDER BY hour",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&self.reader)
                .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(hour, total, bots, uniques)| HourFigures {
                hour: from_millis(hour),
                total,
                bots,
                uniques,
            })
            .collect())
    }

    async fn breakdown(
        &self,
        link_id: i64,
        dimension: Dimension,
        range: HourRange,
        include_bots: bool,
        limit: u32,
    ) -> StoreResult<Vec<BreakdownRow>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT value, ");
        query
            .push(visits_sum(include_bots))
            .push(" AS visits FROM link_hourly_dims WHERE short_url_id = ")
            .push_bind(link_id)
            .push(" AND dim = ")
            .push_bind(dimension.as_str())
            .push(" AND hour >= ")
            .push_bind(to_millis(range.from))
            .push(" AND hour < ")
            .push_bind(to_millis(range.to))
            .push(" GROUP BY value HAVING visits > 0 ORDER BY visits DESC, value ASC LIMIT ")
            .push_bind(i64::from(limit));
        let rows: Vec<(String, i64)> = query.build_query_as().fetch_all(&self.reader).await?;
        Ok(rows
            .into_iter()
            .map(|(value, visits)| BreakdownRow { value, visits })
            .collect())
    }

    async fn top_links(
        &self,
        range: HourRange,
        include_bots: bool,
        limit: u32,
    ) -> StoreResult<Vec<LinkFigures>> {
        let split = split_days(range);
        if split.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT s.id, s.short_code, s.title, t.visits FROM (SELECT short_url_id, ",
        );
        query
            .push(visits_sum(include_bots))
            .push(" AS visits FROM ");
        push_pieces(&mut query, &split, None);
        query
            .push(
                " GROUP BY short_url_id) AS t JOIN short_urls s ON s.id = t.short_url_id \
                 WHERE t.visits > 0 ORDER BY t.visits DESC, s.short_code ASC LIMIT ",
            )
            .push_bind(i64::from(limit));
        let rows: Vec<(i64, String, Option<String>, i64)> =
            query.build_query_as().fetch_all(&self.reader).await?;
        Ok(rows
            .into_iter()
            .map(|(link_id, short_code, title, visits)| LinkFigures {
                link_id,
                short_code,
                title,
                visits,
            })
            .collect())
    }

    async fn daily_sparklines(
        &self,
        link_ids: &[i64],
        range: HourRange,
        include_bots: bool,
    ) -> StoreResult<Vec<(i64, Vec<i64>)>> {
        let (first_day, days) = sparkline_days(range);
        if link_ids.is_empty() || days == 0 {
            return Ok(fill_sparklines(link_ids, days, []));
        }
        let mut query = QueryBuilder::<Sqlite>::new("SELECT short_url_id, (starts_at - ");
        query
            .push_bind(to_millis(first_day))
            .push(") / ")
            .push_bind(DAY_MS)
            .push(" AS day, ")
            .push(visits_sum(include_bots))
            .push(" FROM ");
        push_pieces(&mut query, &split_days(range), Some(link_ids));
        query.push(" GROUP BY short_url_id, day");
        let rows: Vec<(i64, i64, i64)> = query.build_query_as().fetch_all(&self.reader).await?;
        Ok(fill_sparklines(link_ids, days, rows))
    }

    async fn set_public_stats(&self, code: &ShortCode, public: bool) -> StoreResult<()> {
        let done = sqlx::query("UPDATE short_urls SET public_stats = ? WHERE short_code = ?")
            .bind(public)
            .bind(code.as_str())
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::LinkNotFound(code.to_string()));
        }
        Ok(())
    }

    async fn is_public_stats(&self, code: &ShortCode) -> StoreResult<bool> {
        let public: Option<bool> =
            sqlx::query_scalar("SELECT public_stats FROM short_urls WHERE short_code = ?")
                .bind(code.as_str())
                .fetch_optional(&self.reader)
                .await?;
        public.ok_or_else(|| StoreError::LinkNotFound(code.to_string()))
    }
}
