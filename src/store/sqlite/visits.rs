//! Stored visits in SQLite: listings by link, tag or orphan kind, the `/visits` totals, deletion.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::fragments::push_page;
use super::{SqliteStore, from_millis, to_millis};
use crate::clicks::{Location, VisitKind};
use crate::links::ShortCode;
use crate::store::{
    Page, StoreError, StoreResult, Visit, VisitFilter, VisitScope, VisitStore, VisitsOverview,
    VisitsSummary,
};

/// The columns a listing reads, in `VisitRow` field order.
const SELECT_VISITS: &str = "SELECT kind, occurred_at, referer, user_agent, visited_url, \
     redirect_url, potential_bot, country_code, country_name, region_name, city_name, latitude, \
     longitude, timezone FROM clicks";

/// A link's row id by short code.
const LINK_ID: &str = "SELECT id FROM short_urls WHERE short_code = ?";

/// One row of `SELECT_VISITS`.
#[derive(sqlx::FromRow)]
struct VisitRow {
    kind: String,
    occurred_at: i64,
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
            occurred_at: from_millis(self.occurred_at),
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
    NonOrphan,
    Orphan(Option<VisitKind>),
}

#[async_trait]
impl VisitStore for SqliteStore {
    async fn list_visits(
        &self,
        scope: &VisitScope,
        filter: &VisitFilter,
    ) -> StoreResult<Page<Visit>> {
        let mut tx = self.reader.begin().await?;
        let scope = resolve(&mut tx, scope).await?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM click_rows");
        push_where(&mut count, &scope, filter);
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
        let mut select = QueryBuilder::<Sqlite>::new(SELECT_VISITS);
        push_where(&mut select, &scope, filter);
        select.push(" ORDER BY occurred_at DESC, id DESC");
        push_page(&mut select, filter.page, filter.items_per_page);
        let rows: Vec<VisitRow> = select.build_query_as().fetch_all(&mut *tx).await?;
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

    async fn visits_overview(&self) -> StoreResult<VisitsOverview> {
        let (links_total, links_bots, orphan_total, orphan_bots): (i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT (SELECT COALESCE(SUM(visits_total), 0) FROM short_urls),
                        (SELECT COALESCE(SUM(visits_bots), 0) FROM short_urls),
                        (SELECT COUNT(*) FROM click_rows WHERE short_url_id IS NULL),
                        (SELECT COALESCE(SUM(potential_bot), 0) FROM click_rows
                         WHERE short_url_id IS NULL)",
            )
            .fetch_one(&self.reader)
            .await?;
        Ok(VisitsOverview {
            non_orphan: summary(links_total, links_bots),
            orphan: summary(orphan_total, orphan_bots),
        })
    }

    async fn delete_link_visits(&self, code: &ShortCode) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let link = id_of(&mut tx, LINK_ID, code.as_str(), StoreError::LinkNotFound).await?;
        let deleted = sqlx::query("DELETE FROM click_rows WHERE short_url_id = ?")
            .bind(link)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE short_urls SET visits_total = 0, visits_bots = 0 WHERE id = ?")
            .bind(link)
            .execute(&mut *tx)
            .await?;
        super::rollups::forget_link(&mut tx, link).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn delete_orphan_visits(&self) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM click_rows WHERE short_url_id IS NULL")
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

/// Looks up the scope's link or tag; `LinkNotFound` or `TagNotFound` when it does not exist.
async fn resolve(conn: &mut SqliteConnection, scope: &VisitScope) -> StoreResult<Resolved> {
    Ok(match scope {
        VisitScope::Link(code) => {
            Resolved::Link(id_of(conn, LINK_ID, code.as_str(), StoreError::LinkNotFound).await?)
        }
        VisitScope::Tag(name) => Resolved::Tag(
            id_of(
                conn,
                "SELECT id FROM tags WHERE name = ?",
                name,
                StoreError::TagNotFound,
            )
            .await?,
        ),
        VisitScope::NonOrphan => Resolved::NonOrphan,
        VisitScope::Orphan(kind) => Resolved::Orphan(*kind),
    })
}

/// The id `sql` finds for `key`, or the error `missing` makes of it.
async fn id_of(
    conn: &mut SqliteConnection,
    sql: &'static str,
    key: &str,
    missing: fn(String) -> StoreError,
) -> StoreResult<i64> {
    let id: Option<i64> = sqlx::query_scalar(sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    id.ok_or_else(|| missing(key.to_owned()))
}

/// Appends the scope's condition (chosen to use `click_rows_link_time` or `click_rows_kind_time`) and
/// the filter's date and bot conditions.
fn push_where(qb: &mut QueryBuilder<Sqlite>, scope: &Resolved, filter: &VisitFilter) {
    match scope {
        Resolved::Link(link) => {
            qb.push(" WHERE short_url_id = ").push_bind(*link);
        }
        Resolved::Tag(tag) => {
            qb.push(
                " WHERE short_url_id IN (SELECT short_url_id FROM short_url_tags WHERE tag_id = ",
            )
            .push_bind(*tag)
            .push(")");
        }
        Resolved::NonOrphan => {
            qb.push(" WHERE kind = ")
                .push_bind(VisitKind::ValidShortUrl.as_str());
        }
        Resolved::Orphan(None) => {
            qb.push(" WHERE short_url_id IS NULL");
        }
        Resolved::Orphan(Some(kind)) => {
            qb.push(" WHERE short_url_id IS NULL AND kind = ")
                .push_bind(kind.as_str());
        }
    }
    if let Some(start) = filter.start_date {
        qb.push(" AND occurred_at >= ").push_bind(to_millis(start));
    }
    if let Some(end) = filter.end_date {
        qb.push(" AND occurred_at <= ").push_bind(to_millis(end));
    }
    if filter.exclude_bots {
        qb.push(" AND potential_bot = 0");
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
