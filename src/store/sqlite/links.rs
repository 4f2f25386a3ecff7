//! Links in SQLite: writes go through the single writer connection inside one transaction each,
//! reads use the reader pool.

mod filter;
#[cfg(test)]
pub(super) mod fixtures;
mod rows;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{QueryBuilder, Sqlite};

use self::rows::{LinkRow, attach_tags, find_by_code, select_links, with_tags};
use super::fragments::push_page;
use super::{SqliteStore, from_millis, is_unique_violation, to_millis};
use crate::links::{RedirectTarget, ShortCode};
use crate::store::{
    LinkStore, NewShortUrl, Page, ShortUrl, ShortUrlFilter, ShortUrlPatch, StoreError, StoreResult,
};

/// The columns `find_redirect_target` reads, in `RedirectTarget` field order.
type TargetRow = (
    i64,
    String,
    bool,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
);

#[async_trait]
impl LinkStore for SqliteStore {
    async fn create_short_url(&self, new: &NewShortUrl) -> StoreResult<ShortUrl> {
        let code = new.short_code.as_str();
        let mut tx = self.begin_write().await?;
        let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO short_urls (short_code, long_url, title, created_at, valid_since, \
             valid_until, max_visits, crawlable, forward_query) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(code)
        .bind(new.long_url.as_str())
        .bind(new.title.as_deref())
        .bind(to_millis(Utc::now()))
        .bind(new.valid_since.map(to_millis))
        .bind(new.valid_until.map(to_millis))
        .bind(new.max_visits)
        .bind(new.crawlable)
        .bind(new.forward_query)
        .fetch_one(&mut *tx)
        .await;
        let (id,) = inserted.map_err(|err| {
            if is_unique_violation(&err) {
                StoreError::DuplicateShortCode(code.to_owned())
            } else {
                err.into()
            }
        })?;
        attach_tags(&mut tx, id, &new.tags).await?;
        let created = find_by_code(&mut tx, code)
            .await?
            .ok_or_else(|| StoreError::LinkNotFound(code.to_owned()))?;
        tx.commit().await?;
        Ok(created)
    }

    async fn find_short_url(&self, code: &ShortCode) -> StoreResult<Option<ShortUrl>> {
        let mut conn = self.reader.acquire().await?;
        find_by_code(&mut conn, code.as_str()).await
    }

    async fn find_by_long_url(&self, long_url: &str) -> StoreResult<Vec<ShortUrl>> {
        let mut conn = self.reader.acquire().await?;
        let mut qb = select_links();
        qb.push(" WHERE s.long_url = ")
            .push_bind(long_url)
            .push(" ORDER BY s.created_at DESC, s.id DESC");
        let rows: Vec<LinkRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
        with_tags(&mut conn, rows).await
    }

    async fn find_redirect_target(&self, code: &ShortCode) -> StoreResult<Option<RedirectTarget>> {
        let row: Option<TargetRow> = sqlx::query_as(
            "SELECT id, long_url, forward_query, valid_since, valid_until, max_visits, \
             visits_total - visits_bots FROM short_urls WHERE short_code = ?",
        )
        .bind(code.as_str())
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(
            |(link_id, long_url, forward_query, since, until, max_visits, non_bot_visits)| {
                RedirectTarget {
                    link_id,
                    long_url,
                    forward_query,
                    valid_since: since.map(from_millis),
                    valid_until: until.map(from_millis),
                    max_visits,
                    non_bot_visits,
                }
            },
        ))
    }

    async fn list_short_urls(&self, filter: &ShortUrlFilter) -> StoreResult<Page<ShortUrl>> {
        let now_ms = to_millis(Utc::now());
        // One read transaction so the count and the page see the same snapshot.
        let mut tx = self.reader.begin().await?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM short_urls s");
        filter::push_where(&mut count, filter, now_ms);
        let (total,): (i64,) = count.build_query_as().fetch_one(&mut *tx).await?;

        let mut select = select_links();
        filter::push_where(&mut select, filter, now_ms);
        filter::push_order(&mut select, filter.order_by);
        push_page(&mut select, filter.page, filter.items_per_page);
        let rows: Vec<LinkRow> = select.build_query_as().fetch_all(&mut *tx).await?;
        let items = with_tags(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or_default(),
        })
    }

    async fn update_short_url(
        &self,
        code: &ShortCode,
        patch: &ShortUrlPatch,
    ) -> StoreResult<ShortUrl> {
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM short_urls WHERE short_code = ?")
            .bind(code.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::LinkNotFound(code.to_string()))?;
        if let Some(mut update) = update_statement(patch) {
            update.push(" WHERE id = ").push_bind(id);
            update.build().execute(&mut *tx).await?;
        }
        if let Some(tags) = &patch.tags {
            sqlx::query("DELETE FROM short_url_tags WHERE short_url_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            attach_tags(&mut tx, id, tags).await?;
        }
        let updated = find_by_code(&mut tx, code.as_str())
            .await?
            .ok_or_else(|| StoreError::LinkNotFound(code.to_string()))?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_short_url(&self, code: &ShortCode) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM short_urls WHERE short_code = ?")
            .bind(code.as_str())
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::LinkNotFound(code.to_string()));
        }
        Ok(())
    }
}

/// `UPDATE short_urls SET …` for the scalar fields present in `patch`; `None` when there are none.
fn update_statement(patch: &ShortUrlPatch) -> Option<QueryBuilder<Sqlite>> {
    let mut qb = QueryBuilder::new("UPDATE short_urls SET ");
    let mut set = qb.separated(", ");
    let mut fields = 0;
    if let Some(long_url) = &patch.long_url {
        set.push("long_url = ")
            .push_bind_unseparated(long_url.as_str().to_owned());
        fields += 1;
    }
    if let Some(title) = &patch.title {
        set.push("title = ").push_bind_unseparated(title.clone());
        fields += 1;
    }
    if let Some(since) = patch.valid_since {
        set.push("valid_since = ")
            .push_bind_unseparated(since.map(to_millis));
        fields += 1;
    }
    if let Some(until) = patch.valid_until {
        set.push("valid_until = ")
            .push_bind_unseparated(until.map(to_millis));
        fields += 1;
    }
    if let Some(max_visits) = patch.max_visits {
        set.push("max_visits = ").push_bind_unseparated(max_visits);
        fields += 1;
    }
    if let Some(crawlable) = patch.crawlable {
        set.push("crawlable = ").push_bind_unseparated(crawlable);
        fields += 1;
    }
    if let Some(forward_query) = patch.forward_query {
        set.push("forward_query = ")
            .push_bind_unseparated(forward_query);
        fields += 1;
    }
    (fields > 0).then_some(qb)
}
