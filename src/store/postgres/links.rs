//! Links in Postgres: create, read, list, edit and delete `short_urls` rows with their tags.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::{Postgres, QueryBuilder};

use super::link_rows::{BEGIN_SNAPSHOT, LinkRow, attach_tags, link_columns, load_by_id, with_tags};
use super::{PgStore, is_unique_violation, link_list};
use crate::links::{RedirectTarget, ShortCode};
use crate::store::{
    LinkStore, NewShortUrl, Page, ShortUrl, ShortUrlFilter, ShortUrlPatch, StoreError, StoreResult,
};

/// The columns `find_redirect_target` reads, in `RedirectTarget` field order.
type RedirectRow = (
    i64,
    String,
    bool,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i64>,
    i64,
);

#[async_trait]
impl LinkStore for PgStore {
    async fn create_short_url(&self, new: &NewShortUrl) -> StoreResult<ShortUrl> {
        let code = new.short_code.as_str();
        let mut tx = self.pool.begin().await?;
        // Millisecond precision, like the SQLite store, so both engines report the same instants.
        let created_at = Utc::now().trunc_subsecs(3);
        let row: LinkRow = sqlx::query_as(concat!(
            "INSERT INTO short_urls AS s (short_code, long_url, title, created_at, valid_since, \
             valid_until, max_visits, crawlable, forward_query) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
            link_columns!()
        ))
        .bind(code)
        .bind(new.long_url.as_str())
        .bind(new.title.as_deref())
        .bind(created_at)
        .bind(new.valid_since)
        .bind(new.valid_until)
        .bind(new.max_visits)
        .bind(new.crawlable)
        .bind(new.forward_query)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                StoreError::DuplicateShortCode(code.to_owned())
            } else {
                err.into()
            }
        })?;
        let tags = attach_tags(&mut tx, row.id, &new.tags).await?;
        tx.commit().await?;
        Ok(row.into_short_url(tags))
    }

    async fn find_short_url(&self, code: &ShortCode) -> StoreResult<Option<ShortUrl>> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<LinkRow> = sqlx::query_as(concat!(
            "SELECT ",
            link_columns!(),
            " FROM short_urls s WHERE s.short_code = $1"
        ))
        .bind(code.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some(row) => Ok(with_tags(&mut conn, vec![row]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn find_by_long_url(&self, long_url: &str) -> StoreResult<Vec<ShortUrl>> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<LinkRow> = sqlx::query_as(concat!(
            "SELECT ",
            link_columns!(),
            " FROM short_urls s WHERE s.long_url = $1 ORDER BY s.created_at DESC, s.id DESC"
        ))
        .bind(long_url)
        .fetch_all(&mut *conn)
        .await?;
        Ok(with_tags(&mut conn, rows).await?)
    }

    async fn find_redirect_target(&self, code: &ShortCode) -> StoreResult<Option<RedirectTarget>> {
        let row: Option<RedirectRow> = sqlx::query_as(
            "SELECT id, long_url, forward_query, valid_since, valid_until, max_visits, \
             visits_total - visits_bots FROM short_urls WHERE short_code = $1",
        )
        .bind(code.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(link_id, long_url, forward_query, valid_since, valid_until, max_visits, non_bots)| {
                RedirectTarget {
                    link_id,
                    long_url,
                    forward_query,
                    valid_since,
                    valid_until,
                    max_visits,
                    non_bot_visits: non_bots,
                }
            },
        ))
    }

    async fn list_short_urls(&self, filter: &ShortUrlFilter) -> StoreResult<Page<ShortUrl>> {
        let mut tx = self.pool.begin_with(BEGIN_SNAPSHOT).await?;
        let page = link_list::list(&mut tx, filter, Utc::now()).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn update_short_url(
        &self,
        code: &ShortCode,
        patch: &ShortUrlPatch,
    ) -> StoreResult<ShortUrl> {
        let mut tx = self.pool.begin().await?;
        let id: i64 =
            sqlx::query_scalar("SELECT id FROM short_urls WHERE short_code = $1 FOR UPDATE")
                .bind(code.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::LinkNotFound(code.to_string()))?;
        if let Some(mut update) = update_statement(id, patch) {
            update.build().execute(&mut *tx).await?;
        }
        if let Some(tags) = &patch.tags {
            sqlx::query("DELETE FROM short_url_tags WHERE short_url_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            attach_tags(&mut tx, id, tags).await?;
        }
        let link = load_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(link)
    }

    async fn delete_short_url(&self, code: &ShortCode) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM short_urls WHERE short_code = $1")
            .bind(code.as_str())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::LinkNotFound(code.to_string()));
        }
        Ok(())
    }
}

/// `UPDATE short_urls SET …` for the scalar fields present in `patch`, or `None` if there are none.
fn update_statement(id: i64, patch: &ShortUrlPatch) -> Option<QueryBuilder<Postgres>> {
    let mut qb = QueryBuilder::<Postgres>::new("UPDATE short_urls SET ");
    let mut set = qb.separated(", ");
    let mut changed = false;
    if let Some(long_url) = &patch.long_url {
        set.push("long_url = ")
            .push_bind_unseparated(long_url.as_str());
        changed = true;
    }
    if let Some(title) = &patch.title {
        set.push("title = ").push_bind_unseparated(title.as_deref());
        changed = true;
    }
    if let Some(valid_since) = patch.valid_since {
        set.push("valid_since = ")
            .push_bind_unseparated(valid_since);
        changed = true;
    }
    if let Some(valid_until) = patch.valid_until {
        set.push("valid_until = ")
            .push_bind_unseparated(valid_until);
        changed = true;
    }
    if let Some(max_visits) = patch.max_visits {
        set.push("max_visits = ").push_bind_unseparated(max_visits);
        changed = true;
    }
    if let Some(crawlable) = patch.crawlable {
        set.push("crawlable = ").push_bind_unseparated(crawlable);
        changed = true;
    }
    if let Some(forward_query) = patch.forward_query {
        set.push("forward_query = ")
            .push_bind_unseparated(forward_query);
        changed = true;
    }
    if !changed {
        return None;
    }
    qb.push(" WHERE id = ").push_bind(id);
    Some(qb)
}

#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod tests;
