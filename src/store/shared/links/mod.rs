//! Links, for both engines: create, read, list, edit and delete `short_urls` rows with their
//! tags. Every write is one transaction; a list's count and page share one snapshot.

mod list;
mod rows;

use async_trait::async_trait;
use chrono::{SubsecRound, Utc};

use self::rows::{
    LinkRow, TargetRow, attach_tags, load_by_id, select_links, split_json, with_tags,
};
pub(in crate::store::shared) use self::rows::{stored, where_address};
use super::rules;
use super::webhooks::{LinkSubject, queue_link_event};
use crate::consumers::Event;
use crate::links::{Domain, LinkAddress, LongUrl, PasswordHash, RedirectTarget};
use crate::links::{NewShortUrl, ShortUrl, ShortUrlFilter, ShortUrlPatch};
use crate::listing::Page;
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::Sql;
use crate::store::{LinkChange, LinkStore, StoreError, StoreResult};

#[async_trait]
impl<E: Engine> LinkStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_short_url(&self, new: &NewShortUrl) -> StoreResult<ShortUrl> {
        let address = LinkAddress {
            domain: new.domain.clone(),
            code: new.short_code.clone(),
        };
        let mut tx = self.begin_write().await?;
        let domain_is_new = add_domain(&mut tx, &new.domain).await?;
        let mut insert = Sql::new(
            "INSERT INTO short_urls (domain, short_code, long_url, title, created_at, valid_since, \
             valid_until, max_visits, crawlable, forward_query, author_key_id, expired_url, \
             password_hash, destinations) VALUES (",
        );
        insert.bind(new.domain.key()).push(", ");
        insert.bind(new.short_code.as_str()).push(", ");
        insert.bind(new.long_url.as_str());
        insert.push(", ").bind(new.title.as_deref());
        // Millisecond precision, what SQLite stores, so both engines report the same instants.
        let created_at = new.date_created.unwrap_or_else(Utc::now);
        insert.push(", ").bind(created_at.trunc_subsecs(3));
        insert.push(", ").bind(new.valid_since);
        insert.push(", ").bind(new.valid_until);
        insert.push(", ").bind(new.max_visits);
        insert.push(", ").bind(new.crawlable);
        insert.push(", ").bind(new.forward_query);
        insert.push(", ").bind(new.author_key_id);
        insert
            .push(", ")
            .bind(new.expired_url.as_ref().map(LongUrl::as_str));
        insert
            .push(", ")
            .bind(new.password.as_ref().map(PasswordHash::as_str));
        insert
            .push(", ")
            .bind(split_json(&new.split).as_deref())
            .push(") RETURNING id");
        let (id,): (i64,) = match tx.fetch_optional(insert).await {
            Err(err) if err.is_unique_violation() => {
                return Err(StoreError::DuplicateShortCode(address.to_string()));
            }
            inserted => inserted?.ok_or(sqlx::Error::RowNotFound)?,
        };
        attach_tags(&mut tx, id, &new.tags).await?;
        queue_link_event(&mut tx, Event::NewShortUrl, LinkSubject::Stored(id)).await?;
        if !new.rules.is_empty() {
            rules::write_rules(&mut tx, id, &new.rules).await?;
        }
        let created = load_by_id::<E>(&mut tx, id, &address).await?;
        announce::<E>(&mut tx, LinkChange::Link(address.cache_key().into_owned())).await?;
        if domain_is_new {
            announce::<E>(&mut tx, LinkChange::Domains).await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_short_url(&self, link: &LinkAddress) -> StoreResult<Option<ShortUrl>> {
        let mut tx = self.begin_read().await?;
        let mut select = select_links();
        where_address(&mut select, "s.", link);
        let rows: Vec<LinkRow> = tx.fetch_all(select).await?;
        let found = with_tags::<E>(&mut tx, rows).await?.pop();
        tx.commit().await?;
        Ok(found)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_by_long_url(
        &self,
        domain: &Domain,
        long_url: &str,
    ) -> StoreResult<Vec<ShortUrl>> {
        let mut tx = self.begin_read().await?;
        let mut select = select_links();
        select.push(" WHERE s.long_url = ").bind(long_url);
        select.push(" AND s.domain = ").bind(domain.key());
        select.push(" ORDER BY s.created_at DESC, s.id DESC");
        let rows: Vec<LinkRow> = tx.fetch_all(select).await?;
        let found = with_tags::<E>(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(found)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn crawlable_short_codes(&self, domain: &Domain) -> StoreResult<Vec<String>> {
        let mut select = Sql::new("SELECT short_code FROM short_urls WHERE crawlable = ");
        select
            .bind(true)
            .push(" AND domain = ")
            .bind(domain.key())
            .push(" ORDER BY short_code")
            .push(E::BYTE_ORDER);
        let codes: Vec<(String,)> = self.fetch_all(select).await?;
        Ok(codes.into_iter().map(|(code,)| code).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_redirect_target(
        &self,
        link: &LinkAddress,
    ) -> StoreResult<Option<RedirectTarget>> {
        let mut select = Sql::new(
            "SELECT id, long_url, forward_query, valid_since, valid_until, max_visits, \
             cap_used, expired_url, password_hash, destinations FROM short_urls",
        );
        where_address(&mut select, "", link);
        let row: Option<TargetRow> = self.fetch_optional(select).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let rules = rules::rules_from(self.fetch_all(rules::select(row.id)).await?)?;
        row.into_target(rules).map(Some)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn take_capped_visit(&self, link_id: i64) -> StoreResult<bool> {
        let mut take = Sql::new("UPDATE short_urls SET cap_used = cap_used + 1 WHERE id = ");
        take.bind(link_id)
            .push(" AND max_visits IS NOT NULL AND cap_used < max_visits");
        Ok(self.execute(take).await? == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_short_urls(&self, filter: &ShortUrlFilter) -> StoreResult<Page<ShortUrl>> {
        let now = Utc::now();
        let mut tx = self.begin_read().await?;
        let mut count = Sql::new("SELECT COUNT(*) FROM short_urls s");
        list::push_where::<E>(&mut count, filter, now);
        let total: Option<(i64,)> = tx.fetch_optional(count).await?;
        let mut select = select_links();
        list::push_where::<E>(&mut select, filter, now);
        list::push_order::<E>(&mut select, filter.order_by);
        select.page(filter.page, filter.items_per_page);
        let rows: Vec<LinkRow> = tx.fetch_all(select).await?;
        let items = with_tags::<E>(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(Page {
            items,
            total: total.map_or(0, |(total,)| u64::try_from(total).unwrap_or_default()),
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_short_url(
        &self,
        link: &LinkAddress,
        patch: &ShortUrlPatch,
    ) -> StoreResult<ShortUrl> {
        let mut tx = self.begin_write().await?;
        let mut find = Sql::new("SELECT id FROM short_urls");
        where_address(&mut find, "", link);
        find.push(E::FOR_UPDATE);
        let (id,): (i64,) = tx
            .fetch_optional(find)
            .await?
            .ok_or_else(|| StoreError::LinkNotFound(link.to_string()))?;
        if let Some(mut update) = update_statement(patch) {
            update.push(" WHERE id = ").bind(id);
            tx.execute(update).await?;
        }
        if let Some(tags) = &patch.tags {
            let mut detach = Sql::new("DELETE FROM short_url_tags WHERE short_url_id = ");
            detach.bind(id);
            tx.execute(detach).await?;
            attach_tags(&mut tx, id, tags).await?;
        }
        if !patch.device_long_urls.is_empty() {
            let current = rules::rules_from(tx.fetch_all(rules::select(id)).await?)?;
            rules::write_rules(&mut tx, id, &patch.device_long_urls.apply(&current)).await?;
        }
        let updated = load_by_id::<E>(&mut tx, id, link).await?;
        queue_link_event(&mut tx, Event::ShortUrlEdited, LinkSubject::Stored(id)).await?;
        announce::<E>(&mut tx, LinkChange::Link(link.cache_key().into_owned())).await?;
        tx.commit().await?;
        Ok(updated)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_short_url(&self, link: &LinkAddress) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let mut delete = Sql::new("DELETE FROM short_urls");
        where_address(&mut delete, "", link);
        if tx.execute(delete).await? == 0 {
            return Err(StoreError::LinkNotFound(link.to_string()));
        }
        queue_link_event(&mut tx, Event::ShortUrlDeleted, LinkSubject::Deleted(link)).await?;
        announce::<E>(&mut tx, LinkChange::Link(link.cache_key().into_owned())).await?;
        tx.commit().await
    }
}

/// The links with these row ids that are still stored, with their tags, in two queries.
pub(in crate::store::shared) async fn by_ids<E: Engine>(
    tx: &mut E::Tx,
    ids: &[i64],
) -> StoreResult<Vec<ShortUrl>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = select_links();
    select.push(" WHERE s.id");
    E::push_any_id(&mut select, ids);
    let rows: Vec<LinkRow> = tx.fetch_all(select).await?;
    with_tags::<E>(tx, rows).await
}

/// Adds `domain` to the domains served, if it is new; true when it was.
async fn add_domain(tx: &mut impl Transaction, domain: &Domain) -> StoreResult<bool> {
    let mut insert = Sql::new("INSERT INTO domains (domain) VALUES (");
    insert
        .bind(domain.key())
        .push(") ON CONFLICT (domain) DO NOTHING");
    Ok(tx.execute(insert).await? == 1)
}

/// Tells other instances that a link or the domains changed, when the transaction commits.
pub(in crate::store::shared) async fn announce<E: Engine>(
    tx: &mut E::Tx,
    change: LinkChange,
) -> StoreResult<()> {
    if let Some(notice) = E::announcement(&change) {
        tx.execute(notice).await?;
    }
    Ok(())
}

/// `UPDATE short_urls SET …` for the scalar fields present in `patch`; `None` when there are none.
fn update_statement(patch: &ShortUrlPatch) -> Option<Sql> {
    let mut update = Sql::new("UPDATE short_urls SET ");
    let mut fields = 0;
    let mut set = |column: &'static str, value: crate::store::sql::Arg| {
        update
            .push(if fields == 0 { "" } else { ", " })
            .push(column)
            .bind(value);
        fields += 1;
    };
    if let Some(long_url) = &patch.long_url {
        set("long_url = ", long_url.as_str().into());
    }
    if let Some(title) = &patch.title {
        set("title = ", title.as_deref().into());
    }
    if let Some(since) = patch.valid_since {
        set("valid_since = ", since.into());
    }
    if let Some(until) = patch.valid_until {
        set("valid_until = ", until.into());
    }
    if let Some(max_visits) = patch.max_visits {
        set("max_visits = ", max_visits.into());
        // A new cap counts the human visits already made, and any granted since.
        set(
            "cap_used = CASE WHEN cap_used > visits_total - visits_bots THEN cap_used \
             ELSE visits_total - visits_bots END + ",
            0_i64.into(),
        );
    }
    if let Some(crawlable) = patch.crawlable {
        set("crawlable = ", crawlable.into());
    }
    if let Some(forward_query) = patch.forward_query {
        set("forward_query = ", forward_query.into());
    }
    if let Some(expired_url) = &patch.expired_url {
        set(
            "expired_url = ",
            expired_url.as_ref().map(LongUrl::as_str).into(),
        );
    }
    if let Some(split) = &patch.split {
        set("destinations = ", split_json(split).as_deref().into());
    }
    if let Some(password) = &patch.password {
        set(
            "password_hash = ",
            password.as_ref().map(PasswordHash::as_str).into(),
        );
    }
    (fields > 0).then_some(update)
}
