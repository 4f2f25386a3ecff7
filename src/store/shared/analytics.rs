//! Rollup reads for the analytics pages, for both engines. Every query is a range scan of a
//! rollup primary key (link, [dimension,] hour|day) or of `link_hourly_hour` /
//! `link_daily_day`, never of raw clicks. Reads over many days take the whole days from
//! `link_daily` and only the edge hours from `link_hourly` (`split_days`), which gives the same
//! sums with far fewer rows.

use async_trait::async_trait;

use super::links::stored;
use crate::links::utm::UtmTag;
use crate::links::{Domain, LinkAddress, ShortCode};
use crate::store::engine::Engine;
use crate::store::rollup::{
    DaySplit, fill_sparklines, first_hour_from, sparkline_days, split_days,
};
use crate::store::sql::{At, Sql};
use crate::store::{
    AnalyticsStore, BreakdownRow, Dimension, HourFigures, HourRange, LinkFigures, StoreError,
    StoreResult,
};

/// Pushes a subquery of `(short_url_id, starts_at, total, bots)` rows that covers `split`
/// exactly: its whole days from `link_daily`, its edge hours from `link_hourly`, only of
/// `links` when given. The split must not be empty.
fn push_pieces(sql: &mut Sql, split: &DaySplit, links: Option<&[i64]>) {
    let hours = split.hours().map(|range| ("link_hourly", "hour", range));
    let days = split.days.map(|range| ("link_daily", "day", range));
    sql.push("(");
    for (index, (table, column, range)) in hours.chain(days).enumerate() {
        if index > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(format!(
            "SELECT short_url_id, {column} AS starts_at, total, bots FROM {table} \
             WHERE {column} >= "
        ))
        .bind(range.from)
        .push(format!(" AND {column} < "))
        .bind(range.to);
        if let Some(links) = links {
            sql.push(" AND short_url_id IN ")
                .bind_list(links.iter().copied());
        }
    }
    sql.push(") AS p");
}

/// Rows of `(hour, total, bots, uniques)` as figures.
fn hour_figures(rows: Vec<(At, i64, i64, i64)>) -> Vec<HourFigures> {
    rows.into_iter()
        .map(|(hour, total, bots, uniques)| HourFigures {
            hour: hour.into(),
            total,
            bots,
            uniques,
        })
        .collect()
}

/// The summed visits, with or without bots.
fn visits_sum(include_bots: bool) -> &'static str {
    if include_bots {
        "CAST(SUM(total) AS BIGINT)"
    } else {
        "CAST(SUM(total - bots) AS BIGINT)"
    }
}

#[async_trait]
impl<E: Engine> AnalyticsStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn hourly_figures(
        &self,
        link_id: Option<i64>,
        range: HourRange,
    ) -> StoreResult<Vec<HourFigures>> {
        let mut select = match link_id {
            Some(link) => {
                let mut select = Sql::new(
                    "SELECT hour, total, bots, uniques FROM link_hourly WHERE short_url_id = ",
                );
                select.bind(link).push(" AND hour >= ");
                select
            }
            None => Sql::new("SELECT hour, total, bots, uniques FROM hourly_totals WHERE hour >= "),
        };
        select.bind(range.from).push(" AND hour < ").bind(range.to);
        select.push(" AND total > 0 ORDER BY hour");
        Ok(hour_figures(self.fetch_all(select).await?))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn domain_hourly_figures(
        &self,
        domain: &Domain,
        range: HourRange,
    ) -> StoreResult<Vec<HourFigures>> {
        let mut select = Sql::new(
            "SELECT h.hour, CAST(SUM(h.total) AS BIGINT), CAST(SUM(h.bots) AS BIGINT), \
             CAST(SUM(h.uniques) AS BIGINT) FROM short_urls s \
             JOIN link_hourly h ON h.short_url_id = s.id WHERE s.domain = ",
        );
        select.bind(domain.key());
        select.push(" AND h.hour >= ").bind(range.from);
        select.push(" AND h.hour < ").bind(range.to);
        select.push(" GROUP BY h.hour HAVING SUM(h.total) > 0 ORDER BY h.hour");
        Ok(hour_figures(self.fetch_all(select).await?))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn breakdown(
        &self,
        link_id: i64,
        dimension: Dimension,
        range: HourRange,
        include_bots: bool,
        limit: u32,
    ) -> StoreResult<Vec<BreakdownRow>> {
        let mut select = breakdown_select(include_bots);
        select
            .push("short_url_id = ")
            .bind(link_id)
            .push(" AND dim = ")
            .bind(i64::from(dimension.code()));
        grouped::<E>(self, select, range, include_bots, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn campaign_breakdown(
        &self,
        tag: UtmTag,
        range: HourRange,
        include_bots: bool,
        limit: u32,
    ) -> StoreResult<Vec<BreakdownRow>> {
        // The code written out, not bound: each campaign dimension's partial index is chosen
        // only when the statement names its very `dim`.
        let mut select = breakdown_select(include_bots);
        select.push(format!("dim = {}", Dimension::Utm(tag).code()));
        grouped::<E>(self, select, range, include_bots, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn top_links(
        &self,
        domain: Option<&Domain>,
        range: HourRange,
        include_bots: bool,
        limit: u32,
    ) -> StoreResult<Vec<LinkFigures>> {
        let split = split_days(range);
        if split.is_empty() {
            return Ok(Vec::new());
        }
        let mut select = Sql::new(format!(
            "SELECT s.id, s.domain, s.short_code, s.title, t.visits FROM (SELECT short_url_id, {} AS visits \
             FROM ",
            visits_sum(include_bots)
        ));
        push_pieces(&mut select, &split, None);
        select.push(
            " GROUP BY short_url_id) AS t JOIN short_urls s ON s.id = t.short_url_id \
             WHERE t.visits > 0",
        );
        if let Some(domain) = domain {
            select.push(" AND s.domain = ").bind(domain.key());
        }
        select.push(" ORDER BY t.visits DESC, s.short_code ASC, s.domain ASC LIMIT ");
        select.bind(i64::from(limit));
        let rows: Vec<(i64, String, String, Option<String>, i64)> = self.fetch_all(select).await?;
        rows.into_iter()
            .map(|(link_id, domain, code, title, visits)| {
                Ok(LinkFigures {
                    link_id,
                    address: LinkAddress {
                        domain: stored("domain", &domain, Domain::from_key)?,
                        code: stored("short code", &code, ShortCode::parse)?,
                    },
                    title,
                    visits,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
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
        let mut select = Sql::new("SELECT short_url_id, ");
        E::push_days_since(&mut select, "starts_at", first_day);
        select.push(format!(" AS day, {} FROM ", visits_sum(include_bots)));
        push_pieces(&mut select, &split_days(range), Some(link_ids));
        select.push(" GROUP BY short_url_id, day");
        let rows: Vec<(i64, i64, i64)> = self.fetch_all(select).await?;
        Ok(fill_sparklines(link_ids, days, rows))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_public_stats(&self, link: &LinkAddress, public: bool) -> StoreResult<()> {
        let mut update = Sql::new("UPDATE short_urls SET public_stats = ");
        update.bind(public);
        super::links::where_address(&mut update, "", link);
        if self.execute(update).await? == 0 {
            return Err(StoreError::LinkNotFound(link.to_string()));
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn is_public_stats(&self, link: &LinkAddress) -> StoreResult<bool> {
        let mut select = Sql::new("SELECT public_stats FROM short_urls");
        super::links::where_address(&mut select, "", link);
        let public: Option<(bool,)> = self.fetch_optional(select).await?;
        public
            .map(|(public,)| public)
            .ok_or_else(|| StoreError::LinkNotFound(link.to_string()))
    }
}

/// The start of a breakdown: the `link_hourly_dims` rows summed per value id, up to `WHERE `;
/// the caller adds which rows and [`grouped`] the rest.
fn breakdown_select(include_bots: bool) -> Sql {
    Sql::new(format!(
        "SELECT t.value, g.visits FROM (SELECT value_id, {} AS visits FROM link_hourly_dims \
         WHERE ",
        visits_sum(include_bots)
    ))
}

/// Runs `select` (a [`breakdown_select`] with its rows chosen) over `range`, grouped by value,
/// largest first (equal counts by value, byte-wise), at most `limit` rows, each value's text
/// looked up in the dictionary once.
async fn grouped<E: Engine>(
    store: &E,
    mut select: Sql,
    range: HourRange,
    include_bots: bool,
    limit: u32,
) -> StoreResult<Vec<BreakdownRow>> {
    let visits = visits_sum(include_bots);
    select
        .push(" AND hour >= ")
        .bind(first_hour_from(range.from));
    select.push(" AND hour < ").bind(first_hour_from(range.to));
    select.push(format!(
        " GROUP BY value_id HAVING {visits} > 0) AS g JOIN click_texts t ON t.id = g.value_id \
         ORDER BY g.visits DESC, t.value{} ASC LIMIT ",
        E::BYTE_ORDER
    ));
    select.bind(i64::from(limit));
    let rows: Vec<(String, i64)> = store.fetch_all(select).await?;
    Ok(rows
        .into_iter()
        .map(|(value, visits)| BreakdownRow { value, visits })
        .collect())
}
