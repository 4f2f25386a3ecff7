//! Tags, for both engines: list, per-tag statistics, rename and delete.

use async_trait::async_trait;

use crate::clicks::VisitsSummary;
use crate::links::{TagFilter, TagOrder, TagStats};
use crate::listing::{Direction, Page};
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::{Sql, direction_sql, like_pattern};
use crate::store::{StoreError, StoreResult, TagStore};

/// Per-tag aggregates over its links; tags without links count zero. Wrapped in a subquery so
/// the listing can order by expressions over the aggregates' names.
const STATS_SQL: &str = "SELECT * FROM (SELECT t.name AS tag, COUNT(s.id) AS short_urls_count, \
     CAST(COALESCE(SUM(s.visits_total), 0) AS BIGINT) AS visits_total, \
     CAST(COALESCE(SUM(s.visits_bots), 0) AS BIGINT) AS visits_bots \
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
impl<E: Engine> TagStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_tags(&self, filter: &TagFilter) -> StoreResult<Page<String>> {
        // Ordering by a statistic needs the aggregates; ordering by name does not.
        if matches!(filter.order_by, Some((order, _)) if order != TagOrder::Tag) {
            let stats = self.tag_stats(filter).await?;
            return Ok(Page {
                items: stats.items.into_iter().map(|row| row.tag).collect(),
                total: stats.total,
            });
        }
        let mut tx = self.begin_read().await?;
        let total = count_tags::<E>(&mut tx, filter).await?;
        let mut select = Sql::new("SELECT t.name FROM tags t");
        push_search::<E>(&mut select, filter);
        let direction = filter.order_by.map_or(Direction::Asc, |(_, dir)| dir);
        select.push(format!(
            " ORDER BY t.name{} {}",
            E::BYTE_ORDER,
            direction_sql(direction)
        ));
        select.page(filter.page, filter.items_per_page);
        let rows: Vec<(String,)> = tx.fetch_all(select).await?;
        tx.commit().await?;
        Ok(Page {
            items: rows.into_iter().map(|(name,)| name).collect(),
            total,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn tag_stats(&self, filter: &TagFilter) -> StoreResult<Page<TagStats>> {
        let mut tx = self.begin_read().await?;
        let total = count_tags::<E>(&mut tx, filter).await?;
        let mut select = Sql::new(STATS_SQL);
        if let Some(author) = filter.author_key_id {
            select.push(" AND s.author_key_id = ").bind(author);
        }
        push_search::<E>(&mut select, filter);
        select.push(" GROUP BY t.id) stats");
        let (order, direction) = filter.order_by.unwrap_or((TagOrder::Tag, Direction::Asc));
        let by_name = format!("tag{}", E::BYTE_ORDER);
        let expr = match order {
            TagOrder::Tag => by_name.as_str(),
            TagOrder::ShortUrlsCount => "short_urls_count",
            TagOrder::Visits => "visits_total",
            TagOrder::NonBotVisits => "(visits_total - visits_bots)",
        };
        select.push(format!(
            " ORDER BY {expr} {}, {by_name} ASC",
            direction_sql(direction)
        ));
        select.page(filter.page, filter.items_per_page);
        let rows: Vec<StatsRow> = tx.fetch_all(select).await?;
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

    #[tracing::instrument(level = "debug", skip_all)]
    async fn rename_tag(&self, old: &str, new: &str) -> StoreResult<()> {
        // Renaming a tag to itself matches its own row and so is a no-op that still checks `old`.
        let mut update = Sql::new("UPDATE tags SET name = ");
        update.bind(new).push(" WHERE name = ").bind(old);
        match self.execute(update).await {
            Err(err) if err.is_unique_violation() => Err(StoreError::DuplicateTag(new.to_owned())),
            Err(err) => Err(err),
            Ok(0) => Err(StoreError::TagNotFound(old.to_owned())),
            Ok(_) => Ok(()),
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_tags(&self, names: &[String]) -> StoreResult<()> {
        if names.is_empty() {
            return Ok(());
        }
        let mut delete = Sql::new("DELETE FROM tags WHERE name IN ");
        delete.bind_list(names);
        self.execute(delete).await.map(drop)
    }
}

/// Number of tags matching the filter's search term.
async fn count_tags<E: Engine>(tx: &mut E::Tx, filter: &TagFilter) -> StoreResult<u64> {
    let mut count = Sql::new("SELECT COUNT(*) FROM tags t");
    push_search::<E>(&mut count, filter);
    let total: Option<(i64,)> = tx.fetch_optional(count).await?;
    Ok(total.map_or(0, |(total,)| u64::try_from(total).unwrap_or_default()))
}

/// Appends ` WHERE …` (always present): the case-insensitive substring match on the tag name
/// when a term is set, and only tags carried by the author's links when one is set.
fn push_search<E: Engine>(sql: &mut Sql, filter: &TagFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(term) = filter.search_term.as_deref().filter(|t| !t.is_empty()) {
        sql.push(format!(" AND t.name {} ", E::ILIKE))
            .bind(like_pattern(term).as_str())
            .push(" ESCAPE '\\'");
    }
    if let Some(author) = filter.author_key_id {
        sql.push(
            " AND t.id IN (SELECT st.tag_id FROM short_url_tags st \
             JOIN short_urls s ON s.id = st.short_url_id WHERE s.author_key_id = ",
        )
        .bind(author)
        .push(")");
    }
}
