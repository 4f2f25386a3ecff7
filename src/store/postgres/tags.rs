//! Tags in Postgres: list, per-tag statistics, rename and delete.

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder};

use super::link_rows::{BEGIN_SNAPSHOT, direction_sql, like_pattern, limit_offset};
use super::{PgStore, is_unique_violation};
use crate::store::{
    Direction, Page, StoreError, StoreResult, TagFilter, TagOrder, TagStats, TagStore,
    VisitsSummary,
};

/// Per-tag aggregates over its links; tags without links count zero.
const STATS_SQL: &str = "SELECT * FROM (SELECT t.name AS tag, COUNT(s.id) AS short_urls_count, \
     COALESCE(SUM(s.visits_total), 0)::BIGINT AS visits_total, \
     COALESCE(SUM(s.visits_bots), 0)::BIGINT AS visits_bots \
     FROM tags t LEFT JOIN short_url_tags st ON st.tag_id = t.id \
     LEFT JOIN short_urls s ON s.id = st.short_url_id";

/// One row of `STATS_SQL`.
#[derive(sqlx::FromRow)]
struct StatsRow {
    tag: String,
    short_urls_count: i64,
    visits_total: i64,
    visits_bots: i64,
}

#[async_trait]
impl TagStore for PgStore {
    async fn list_tags(&self, filter: &TagFilter) -> StoreResult<Page<String>> {
        if matches!(filter.order_by, Some((order, _)) if order != TagOrder::Tag) {
            let stats = self.tag_stats(filter).await?;
            return Ok(Page {
                items: stats.items.into_iter().map(|row| row.tag).collect(),
                total: stats.total,
            });
        }
        let mut tx = self.pool.begin_with(BEGIN_SNAPSHOT).await?;
        let total = count_tags(&mut tx, filter).await?;
        let mut select = QueryBuilder::<Postgres>::new("SELECT t.name FROM tags t");
        push_search(&mut select, filter);
        let direction = filter.order_by.map_or(Direction::Asc, |(_, dir)| dir);
        select.push(format_args!(
            " ORDER BY t.name COLLATE \"C\" {}",
            direction_sql(direction)
        ));
        push_page(&mut select, filter);
        let items: Vec<String> = select.build_query_scalar().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(Page { items, total })
    }

    async fn tag_stats(&self, filter: &TagFilter) -> StoreResult<Page<TagStats>> {
        let mut tx = self.pool.begin_with(BEGIN_SNAPSHOT).await?;
        let total = count_tags(&mut tx, filter).await?;
        let mut select = QueryBuilder::<Postgres>::new(STATS_SQL);
        push_search(&mut select, filter);
        select.push(" GROUP BY t.id) stats");
        let (order, direction) = filter.order_by.unwrap_or((TagOrder::Tag, Direction::Asc));
        let expr = match order {
            TagOrder::Tag => "tag COLLATE \"C\"",
            TagOrder::ShortUrlsCount => "short_urls_count",
            TagOrder::Visits => "visits_total",
            TagOrder::NonBotVisits => "(visits_total - visits_bots)",
        };
        select.push(format_args!(
            " ORDER BY {expr} {}, tag COLLATE \"C\" ASC",
            direction_sql(direction)
        ));
        push_page(&mut select, filter);
        let rows: Vec<StatsRow> = select.build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let items = rows
            .into_iter()
            .map(|row| TagStats {
                tag: row.tag,
                short_urls_count: row.short_urls_count,
                visits: VisitsSummary {
                    total: row.visits_total,
                    non_bots: row.visits_total - row.visits_bots,
                    bots: row.visits_bots,
                },
            })
            .collect();
        Ok(Page { items, total })
    }

    async fn rename_tag(&self, old: &str, new: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE tags SET name = $2 WHERE name = $1")
            .bind(old)
            .bind(new)
            .execute(&self.pool)
            .await
            .map_err(|err| {
                if is_unique_violation(&err) {
                    StoreError::DuplicateTag(new.to_owned())
                } else {
                    err.into()
                }
            })?;
        if done.rows_affected() == 0 {
            return Err(StoreError::TagNotFound(old.to_owned()));
        }
        Ok(())
    }

    async fn delete_tags(&self, names: &[String]) -> StoreResult<()> {
        if names.is_empty() {
            return Ok(());
        }
        sqlx::query("DELETE FROM tags WHERE name = ANY($1)")
            .bind(names)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Number of tags matching the filter's search term.
async fn count_tags(conn: &mut sqlx::PgConnection, filter: &TagFilter) -> sqlx::Result<u64> {
    let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM tags t");
    push_search(&mut count, filter);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
    Ok(u64::try_from(total).unwrap_or_default())
}

/// Appends the case-insensitive substring match on the tag name, when a term is set.
fn push_search(qb: &mut QueryBuilder<Postgres>, filter: &TagFilter) {
    if let Some(term) = filter.search_term.as_deref().filter(|t| !t.is_empty()) {
        qb.push(" WHERE t.name ILIKE ")
            .push_bind(like_pattern(term))
            .push(" ESCAPE '\\'");
    }
}

/// Appends `LIMIT`/`OFFSET` when the filter asks for one page.
fn push_page(qb: &mut QueryBuilder<Postgres>, filter: &TagFilter) {
    if let Some((limit, offset)) = limit_offset(filter.page, filter.items_per_page) {
        qb.push(" LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
    }
}

#[cfg(test)]
mod tests;
