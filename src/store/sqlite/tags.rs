//! Tags in SQLite: listing (plain or with statistics), renaming and deleting.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};

use super::fragments::{direction_sql, like_pattern, push_page};
use super::{SqliteStore, is_unique_violation};
use crate::store::{
    Direction, Page, StoreError, StoreResult, TagFilter, TagOrder, TagStats, TagStore,
    VisitsSummary,
};

/// Per-tag aggregates: links carrying it and the visits to those links.
const STATS_SELECT: &str = "SELECT t.name, COUNT(s.id) AS short_urls_count, \
     COALESCE(SUM(s.visits_total), 0) AS visits_total, \
     COALESCE(SUM(s.visits_bots), 0) AS visits_bots \
     FROM tags t LEFT JOIN short_url_tags st ON st.tag_id = t.id \
     LEFT JOIN short_urls s ON s.id = st.short_url_id";

/// One row of `STATS_SELECT`.
type StatsRow = (String, i64, i64, i64);

/// Appends the name filter of `filter` (a case-insensitive substring), if any.
fn push_search(qb: &mut QueryBuilder<Sqlite>, filter: &TagFilter) {
    if let Some(term) = filter.search_term.as_deref().filter(|t| !t.is_empty()) {
        qb.push(" WHERE t.name LIKE ")
            .push_bind(like_pattern(term))
            .push(" ESCAPE '\\'");
    }
}

/// Counts the tags matching `filter`, ignoring pagination.
async fn count_tags(conn: &mut sqlx::SqliteConnection, filter: &TagFilter) -> StoreResult<u64> {
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM tags t");
    push_search(&mut qb, filter);
    let (total,): (i64,) = qb.build_query_as().fetch_one(&mut *conn).await?;
    Ok(u64::try_from(total).unwrap_or_default())
}

#[async_trait]
impl TagStore for SqliteStore {
    async fn list_tags(&self, filter: &TagFilter) -> StoreResult<Page<String>> {
        // Ordering by a statistic needs the aggregates; ordering by name does not.
        if let Some((order, _)) = filter.order_by
            && order != TagOrder::Tag
        {
            let stats = self.tag_stats(filter).await?;
            return Ok(Page {
                items: stats.items.into_iter().map(|s| s.tag).collect(),
                total: stats.total,
            });
        }
        let direction = filter.order_by.map_or(Direction::Asc, |(_, d)| d);
        let mut tx = self.reader.begin().await?;
        let total = count_tags(&mut tx, filter).await?;
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT t.name FROM tags t");
        push_search(&mut qb, filter);
        qb.push(format_args!(
            " ORDER BY t.name {}",
            direction_sql(direction)
        ));
        push_page(&mut qb, filter.page, filter.items_per_page);
        let items: Vec<String> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(Page { items, total })
    }

    async fn tag_stats(&self, filter: &TagFilter) -> StoreResult<Page<TagStats>> {
        let (order, direction) = filter.order_by.unwrap_or((TagOrder::Tag, Direction::Asc));
        let column = match order {
            TagOrder::Tag => "t.name",
            TagOrder::ShortUrlsCount => "short_urls_count",
            TagOrder::Visits => "visits_total",
            TagOrder::NonBotVisits => "(visits_total - visits_bots)",
        };
        let mut tx = self.reader.begin().await?;
        let total = count_tags(&mut tx, filter).await?;
        let mut qb = QueryBuilder::<Sqlite>::new(STATS_SELECT);
        push_search(&mut qb, filter);
        qb.push(format_args!(
            " GROUP BY t.id, t.name ORDER BY {column} {}, t.name ASC",
            direction_sql(direction)
        ));
        push_page(&mut qb, filter.page, filter.items_per_page);
        let rows: Vec<StatsRow> = qb.build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let items = rows
            .into_iter()
            .map(|(tag, short_urls_count, total, bots)| TagStats {
                tag,
                short_urls_count,
                visits: VisitsSummary {
                    total,
                    non_bots: total - bots,
                    bots,
                },
            })
            .collect();
        Ok(Page { items, total })
    }

    async fn rename_tag(&self, old: &str, new: &str) -> StoreResult<()> {
        // Renaming a tag to itself matches its own row and so is a no-op that still checks `old`.
        let done = sqlx::query("UPDATE tags SET name = ? WHERE name = ?")
            .bind(new)
            .bind(old)
            .execute(&self.writer)
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
        let mut tx = self.begin_write().await?;
        for name in names {
            sqlx::query("DELETE FROM tags WHERE name = ?")
                .bind(name.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LinkStore;
    use crate::store::sqlite::links::fixtures::{code, new_link, set_visits, store};

    /// Links: l1 [a, b] 10 visits (4 bots), l2 [b] 3 visits; tag `c_x` exists with no links.
    async fn seeded() -> (tempfile::TempDir, SqliteStore) {
        let (dir, store) = store().await;
        for (c, tags) in [
            ("l1", &["b", "a"][..]),
            ("l2", &["b"][..]),
            ("l3", &["c_x"][..]),
        ] {
            store
                .create_short_url(&new_link(c, "https://example.com/", tags))
                .await
                .unwrap();
        }
        store.delete_short_url(&code("l3")).await.unwrap();
        set_visits(&store, "l1", 10, 4).await;
        set_visits(&store, "l2", 3, 0).await;
        (dir, store)
    }

    #[tokio::test]
    async fn list_tags_sorts_searches_and_pages() {
        let (_dir, store) = seeded().await;
        let all = store.list_tags(&TagFilter::default()).await.unwrap();
        assert_eq!(
            (all.items, all.total),
            (vec!["a".into(), "b".into(), "c_x".into()], 3)
        );

        let desc = TagFilter {
            order_by: Some((TagOrder::Tag, Direction::Desc)),
            ..TagFilter::default()
        };
        assert_eq!(
            store.list_tags(&desc).await.unwrap().items,
            vec!["c_x", "b", "a"]
        );

        let search = TagFilter {
            search_term: Some("_".into()),
            ..TagFilter::default()
        };
        let found = store.list_tags(&search).await.unwrap();
        assert_eq!((found.items, found.total), (vec!["c_x".into()], 1));

        let page = TagFilter {
            page: 2,
            items_per_page: Some(2),
            ..TagFilter::default()
        };
        let second = store.list_tags(&page).await.unwrap();
        assert_eq!((second.items, second.total), (vec!["c_x".into()], 3));

        let by_count = TagFilter {
            order_by: Some((TagOrder::ShortUrlsCount, Direction::Desc)),
            ..TagFilter::default()
        };
        assert_eq!(
            store.list_tags(&by_count).await.unwrap().items,
            vec!["b", "a", "c_x"]
        );
    }

    #[tokio::test]
    async fn tag_stats_count_links_and_visits() {
        let (_dir, store) = seeded().await;
        let stats = store.tag_stats(&TagFilter::default()).await.unwrap();
        assert_eq!(stats.total, 3);
        let summary = |s: &TagStats| (s.tag.clone(), s.short_urls_count, s.visits);
        let rows: Vec<_> = stats.items.iter().map(summary).collect();
        let visits = |total, bots| VisitsSummary {
            total,
            non_bots: total - bots,
            bots,
        };
        assert_eq!(
            rows,
            vec![
                ("a".into(), 1, visits(10, 4)),
                ("b".into(), 2, visits(13, 4)),
                ("c_x".into(), 0, visits(0, 0)),
            ]
        );

        let by_humans = TagFilter {
            order_by: Some((TagOrder::NonBotVisits, Direction::Asc)),
            ..TagFilter::default()
        };
        let ordered = store.tag_stats(&by_humans).await.unwrap();
        let names: Vec<_> = ordered.items.iter().map(|s| s.tag.as_str()).collect();
        assert_eq!(names, vec!["c_x", "a", "b"]);
    }

    #[tokio::test]
    async fn rename_tag_outcomes() {
        let (_dir, store) = seeded().await;
        store.rename_tag("a", "alpha").await.unwrap();
        let link = store.find_short_url(&code("l1")).await.unwrap().unwrap();
        assert_eq!(link.tags, vec!["alpha", "b"]);
        assert!(matches!(
            store.rename_tag("alpha", "b").await,
            Err(StoreError::DuplicateTag(ref t)) if t == "b"
        ));
        assert!(matches!(
            store.rename_tag("missing", "x").await,
            Err(StoreError::TagNotFound(_))
        ));
        assert!(matches!(
            store.rename_tag("missing", "b").await,
            Err(StoreError::TagNotFound(_))
        ));
        store.rename_tag("b", "b").await.unwrap();
    }

    #[tokio::test]
    async fn delete_tags_detaches_from_links() {
        let (_dir, store) = seeded().await;
        store
            .delete_tags(&["b".into(), "unknown".into()])
            .await
            .unwrap();
        let l1 = store.find_short_url(&code("l1")).await.unwrap().unwrap();
        assert_eq!(l1.tags, vec!["a"]);
        let l2 = store.find_short_url(&code("l2")).await.unwrap().unwrap();
        assert!(l2.tags.is_empty());
        let left = store.list_tags(&TagFilter::default()).await.unwrap();
        assert_eq!(left.items, vec!["a", "c_x"]);
        store.delete_tags(&[]).await.unwrap();
    }
}
