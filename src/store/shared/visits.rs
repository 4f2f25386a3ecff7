//! Stored visits, for both engines: listings by link, tag or orphan kind, the `/visits`
//! totals, deletion with the link's rollups.

use async_trait::async_trait;
use uuid::Uuid;

use crate::clicks::VisitsSummary;
use crate::clicks::{Location, VisitKind};
use crate::links::LinkAddress;
use crate::listing::Page;
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::{At, Sql};
use crate::store::{
    LinkChange, StoreError, StoreResult, Visit, VisitFilter, VisitScope, VisitStore, VisitsOverview,
};

/// The columns a listing reads, in `VisitRow` field order.
const SELECT_VISITS: &str = "SELECT kind, occurred_at, referer, user_agent, visited_url, \
     redirect_url, potential_bot, country_code, country_name, region_name, city_name, latitude, \
     longitude, timezone FROM clicks";

/// One row of `SELECT_VISITS`.
#[derive(sqlx::FromRow)]
struct VisitRow {
    kind: String,
    occurred_at: At,
    referer: Option<String>,
    user_agent: Option<String>,
    visited_url: Option<String>,
    redirect_url: Option<String>,
    potential_bot: bool,
    country_code: Option<String>,
    country_name: Option<String>,
    region_name: Option<String>,
    city_name: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    timezone: Option<String>,
}

impl VisitRow {
    /// The API view; a kind we never write is a decoding error.
    fn into_visit(self) -> StoreResult<Visit> {
        let kind = VisitKind::parse(&self.kind).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown visit kind {:?}", self.kind).into())
        })?;
        let location = Location {
            country_code: self.country_code,
            country_name: self.country_name,
            region_name: self.region_name,
            city_name: self.city_name,
            latitude: self.latitude,
            longitude: self.longitude,
            timezone: self.timezone,
        };
        Ok(Visit {
            kind,
            occurred_at: self.occurred_at.into(),
            referer: self.referer,
            user_agent: self.user_agent,
            visited_url: self.visited_url,
            redirect_url: self.redirect_url,
            potential_bot: self.potential_bot,
            location: location.non_empty(),
        })
    }
}

/// A scope whose link or tag has been looked up.
enum Resolved {
    Link(i64),
    Tag(i64),
    Domain(String),
    NonOrphan,
    Orphan(Option<VisitKind>),
}

#[async_trait]
impl<E: Engine> VisitStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_visits(
        &self,
        scope: &VisitScope,
        filter: &VisitFilter,
    ) -> StoreResult<Page<Visit>> {
        let mut tx = self.begin_read().await?;
        let scope = resolve(&mut tx, scope).await?;
        let mut count = Sql::new("SELECT COUNT(*) FROM click_rows");
        push_where(&mut count, &scope, filter);
        let (total,): (i64,) = tx
            .fetch_optional(count)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let mut select = Sql::new(SELECT_VISITS);
        push_where(&mut select, &scope, filter);
        select.push(" ORDER BY occurred_at DESC, id DESC");
        select.page(filter.page, filter.items_per_page);
        let rows: Vec<VisitRow> = tx.fetch_all(select).await?;
        tx.commit().await?;
        let items = rows
            .into_iter()
            .map(VisitRow::into_visit)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or_default(),
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn visits_overview(&self, author_key_id: Option<i64>) -> StoreResult<VisitsOverview> {
        let mut links = Sql::new(
            "SELECT CAST(COALESCE(SUM(visits_total), 0) AS BIGINT), \
             CAST(COALESCE(SUM(visits_bots), 0) AS BIGINT) FROM short_urls",
        );
        if let Some(author) = author_key_id {
            links.push(" WHERE author_key_id = ").bind(author);
        }
        let (links_total, links_bots): (i64, i64) = self.fetch_one(links).await?;
        let (orphan_total, orphan_bots): (i64, i64) = self
            .fetch_one(Sql::new(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN potential_bot THEN 1 ELSE 0 END), 0) \
                 FROM click_rows WHERE short_url_id IS NULL",
            ))
            .await?;
        Ok(VisitsOverview {
            non_orphan: summary(links_total, links_bots),
            orphan: summary(orphan_total, orphan_bots),
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_link_visits(&self, address: &LinkAddress) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        // Where a worker may complete a click for the link meanwhile (Postgres), locking the
        // link's row orders the two: its counter update waits for us, or we for its commit.
        let mut find = Sql::new("SELECT id FROM short_urls");
        super::links::where_address(&mut find, "", address);
        find.push(E::FOR_UPDATE);
        let link = id_of(
            &mut tx,
            find,
            &address.to_string(),
            StoreError::LinkNotFound,
        )
        .await?;
        let mut delete = Sql::new("DELETE FROM click_rows WHERE short_url_id = ");
        delete.bind(link);
        let deleted = tx.execute(delete).await?;
        let mut reset = Sql::new(
            "UPDATE short_urls SET visits_total = 0, visits_bots = 0, cap_used = 0 WHERE id = ",
        );
        reset.bind(link);
        tx.execute(reset).await?;
        forget_rollups::<E>(&mut tx, link).await?;
        super::links::announce::<E>(&mut tx, LinkChange::Link(address.cache_key().into_owned()))
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_orphan_visits(&self) -> StoreResult<u64> {
        self.execute(Sql::new(
            "DELETE FROM click_rows WHERE short_url_id IS NULL",
        ))
        .await
    }
}

/// Removes a link's rollups and takes its figures out of `hourly_totals`, in the caller's
/// transaction. Where row locks order writers, the totals rows are locked in hour order first,
/// as the workers lock them.
async fn forget_rollups<E: Engine>(tx: &mut E::Tx, link: i64) -> StoreResult<()> {
    if !E::FOR_UPDATE.is_empty() {
        let mut lock = Sql::new(
            "SELECT hour FROM hourly_totals \
             WHERE hour IN (SELECT hour FROM link_hourly WHERE short_url_id = ",
        );
        lock.bind(link).push(") ORDER BY hour").push(E::FOR_UPDATE);
        tx.execute(lock).await?;
    }
    let mut totals = Sql::new(
        "UPDATE hourly_totals
         SET total = hourly_totals.total - l.total, bots = hourly_totals.bots - l.bots,
             uniques = hourly_totals.uniques - l.site_uniques
         FROM (SELECT hour, total, bots, site_uniques FROM link_hourly WHERE short_url_id = ",
    );
    totals
        .bind(link)
        .push(") AS l WHERE hourly_totals.hour = l.hour");
    tx.execute(totals).await?;
    for table in ["link_hourly", "link_daily", "link_hourly_dims"] {
        let mut delete = Sql::new(format!("DELETE FROM {table} WHERE short_url_id = "));
        delete.bind(link);
        tx.execute(delete).await?;
    }
    // Keyed by day first: seek each day kept (every one has its salt) rather than scan.
    let mut visitors = Sql::new(
        "DELETE FROM visitor_days WHERE day IN (SELECT day FROM visitor_salts) \
         AND short_url_id = ",
    );
    visitors.bind(link);
    tx.execute(visitors).await?;
    Ok(())
}

/// A stored visit read by its message id, with its link's id and the W3C `traceparent` its
/// redirect carried.
#[derive(sqlx::FromRow)]
struct KeyedVisitRow {
    message_id: Uuid,
    short_url_id: Option<i64>,
    traceparent: Option<String>,
    #[sqlx(flatten)]
    visit: VisitRow,
}

/// The stored visits with these message ids: `(message id, visit, link id, traceparent)`, in
/// one query (ids no longer stored are left out).
pub(in crate::store::shared) async fn by_message_ids<E: Engine>(
    tx: &mut E::Tx,
    message_ids: &[Uuid],
) -> StoreResult<Vec<(Uuid, Visit, Option<i64>, Option<String>)>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = Sql::new(SELECT_VISITS.replacen(
        "SELECT ",
        "SELECT message_id, short_url_id, traceparent, ",
        1,
    ));
    select
        .push(" WHERE message_id IN ")
        .bind_list(message_ids.iter().copied());
    let rows: Vec<KeyedVisitRow> = tx.fetch_all(select).await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.message_id,
                row.visit.into_visit()?,
                row.short_url_id,
                row.traceparent,
            ))
        })
        .collect()
}

/// Looks up the scope's link or tag; `LinkNotFound` or `TagNotFound` when it does not exist.
async fn resolve(tx: &mut impl Transaction, scope: &VisitScope) -> StoreResult<Resolved> {
    Ok(match scope {
        VisitScope::Link(address) => {
            let mut find = Sql::new("SELECT id FROM short_urls");
            super::links::where_address(&mut find, "", address);
            Resolved::Link(id_of(tx, find, &address.to_string(), StoreError::LinkNotFound).await?)
        }
        VisitScope::Domain(domain) => Resolved::Domain(domain.key().to_owned()),
        VisitScope::Tag(name) => {
            let mut find = Sql::new("SELECT id FROM tags WHERE name = ");
            find.bind(name);
            Resolved::Tag(id_of(tx, find, name, StoreError::TagNotFound).await?)
        }
        VisitScope::NonOrphan => Resolved::NonOrphan,
        VisitScope::Orphan(kind) => Resolved::Orphan(*kind),
    })
}

/// The id `find` returns for `key`, or the error `missing` makes of it.
async fn id_of(
    tx: &mut impl Transaction,
    find: Sql,
    key: &str,
    missing: fn(String) -> StoreError,
) -> StoreResult<i64> {
    let id: Option<(i64,)> = tx.fetch_optional(find).await?;
    id.map(|(id,)| id).ok_or_else(|| missing(key.to_owned()))
}

/// Appends the scope's condition (chosen to use `click_rows_link_time` or
/// `click_rows_valid_time`) and the filter's date and bot conditions.
fn push_where(sql: &mut Sql, scope: &Resolved, filter: &VisitFilter) {
    match scope {
        Resolved::Link(link) => sql.push(" WHERE short_url_id = ").bind(*link),
        Resolved::Tag(tag) => sql
            .push(" WHERE short_url_id IN (SELECT short_url_id FROM short_url_tags WHERE tag_id = ")
            .bind(*tag)
            .push(")"),
        Resolved::Domain(domain) => sql
            .push(" WHERE short_url_id IN (SELECT id FROM short_urls WHERE domain = ")
            .bind(domain.as_str())
            .push(")"),
        // The code written out, not bound: only then is `click_rows_valid_time` chosen.
        Resolved::NonOrphan => sql.push(format!(
            " WHERE kind_code = {}",
            VisitKind::ValidShortUrl.code()
        )),
        Resolved::Orphan(None) => sql.push(" WHERE short_url_id IS NULL"),
        Resolved::Orphan(Some(kind)) => sql
            .push(" WHERE short_url_id IS NULL AND kind_code = ")
            .bind(i64::from(kind.code())),
    };
    if let Some(start) = filter.start_date {
        sql.push(" AND occurred_at >= ").bind(start);
    }
    if let Some(end) = filter.end_date {
        sql.push(" AND occurred_at <= ").bind(end);
    }
    if filter.exclude_bots {
        sql.push(" AND NOT potential_bot");
    }
    let of_links = !matches!(scope, Resolved::Orphan(_));
    if let Some(author) = filter.author_key_id.filter(|_| of_links) {
        sql.push(" AND short_url_id IN (SELECT id FROM short_urls WHERE author_key_id = ")
            .bind(author)
            .push(")");
    }
}

/// Counters as the API reports them.
fn summary(total: i64, bots: i64) -> VisitsSummary {
    VisitsSummary {
        total,
        non_bots: total - bots,
        bots,
    }
}
