//! The dynamic SQL behind `list_short_urls`: filters, ordering and paging, every value bound.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::link_rows::{
    LinkRow, direction_sql, like_pattern, limit_offset, link_columns, with_tags,
};
use crate::store::{Direction, Page, ShortUrl, ShortUrlFilter, ShortUrlOrder, TagsMode};

/// Runs the count and the page query for `filter`, evaluating validity against `now`.
pub(super) async fn list(
    conn: &mut PgConnection,
    filter: &ShortUrlFilter,
    now: DateTime<Utc>,
) -> sqlx::Result<Page<ShortUrl>> {
    let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM short_urls s");
    push_filters(&mut count, filter, now);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;

    let mut select =
        QueryBuilder::<Postgres>::new(concat!("SELECT ", link_columns!(), " FROM short_urls s"));
    push_filters(&mut select, filter, now);
    push_order(&mut select, filter.order_by);
    if let Some((limit, offset)) = limit_offset(filter.page, filter.items_per_page) {
        select
            .push(" LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
    }
    let rows: Vec<LinkRow> = select.build_query_as().fetch_all(&mut *conn).await?;
    Ok(Page {
        items: with_tags(conn, rows).await?,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

/// Appends the `WHERE` clause for every criterion set in `filter`.
fn push_filters(qb: &mut QueryBuilder<Postgres>, filter: &ShortUrlFilter, now: DateTime<Utc>) {
    qb.push(" WHERE TRUE");
    if let Some(term) = filter.search_term.as_deref().filter(|t| !t.is_empty()) {
        let pattern = like_pattern(term);
        qb.push(" AND (s.long_url ILIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR s.short_code ILIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR s.title ILIKE ")
            .push_bind(pattern.clone())
            .push(
                " ESCAPE '\\' OR EXISTS (SELECT 1 FROM short_url_tags st \
                 JOIN tags t ON t.id = st.tag_id WHERE st.short_url_id = s.id AND t.name ILIKE ",
            )
            .push_bind(pattern)
            .push(" ESCAPE '\\'))");
    }
    push_tag_filter(qb, &filter.tags, filter.tags_mode);
    if let Some(start) = filter.start_date {
        qb.push(" AND s.created_at >= ").push_bind(start);
    }
    if let Some(end) = filter.end_date {
        qb.push(" AND s.created_at <= ").push_bind(end);
    }
    if filter.exclude_max_visits_reached {
        qb.push(" AND (s.max_visits IS NULL OR s.visits_total - s.visits_bots < s.max_visits)");
    }
    if filter.exclude_past_valid_until {
        qb.push(" AND (s.valid_until IS NULL OR s.valid_until >= ")
            .push_bind(now)
            .push(")");
    }
}

/// Appends the tag criterion: at least one (`Any`) or every one (`All`) of the distinct names.
fn push_tag_filter(qb: &mut QueryBuilder<Postgres>, tags: &[String], mode: TagsMode) {
    let mut names = tags.to_vec();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return;
    }
    let wanted = i64::try_from(names.len()).unwrap_or(i64::MAX);
    match mode {
        TagsMode::Any => {
            qb.push(
                " AND EXISTS (SELECT 1 FROM short_url_tags st JOIN tags t ON t.id = st.tag_id \
                 WHERE st.short_url_id = s.id AND t.name = ANY(",
            )
            .push_bind(names)
            .push("))");
        }
        TagsMode::All => {
            qb.push(
                " AND (SELECT COUNT(*) FROM short_url_tags st JOIN tags t ON t.id = st.tag_id \
                 WHERE st.short_url_id = s.id AND t.name = ANY(",
            )
            .push_bind(names)
            .push(")) = ")
            .push_bind(wanted);
        }
    }
}

/// Appends `ORDER BY`: the requested field (newest first by default), then the id as tie-breaker.
fn push_order(qb: &mut QueryBuilder<Postgres>, order_by: Option<(ShortUrlOrder, Direction)>) {
    let (field, direction) = order_by.unwrap_or((ShortUrlOrder::DateCreated, Direction::Desc));
    // Text compares byte-wise (`COLLATE "C"`), as SQLite does.
    let expr = match field {
        ShortUrlOrder::LongUrl => "s.long_url COLLATE \"C\"",
        ShortUrlOrder::ShortCode => "s.short_code COLLATE \"C\"",
        ShortUrlOrder::DateCreated => "s.created_at",
        ShortUrlOrder::Visits => "s.visits_total",
        ShortUrlOrder::NonBotVisits => "(s.visits_total - s.visits_bots)",
        ShortUrlOrder::Title => "s.title COLLATE \"C\"",
    };
    // Untitled links come after titled ones in both directions, as in the SQLite store.
    let nulls = if field == ShortUrlOrder::Title {
        " NULLS LAST"
    } else {
        ""
    };
    let direction = direction_sql(direction);
    qb.push(format_args!(
        " ORDER BY {expr} {direction}{nulls}, s.id {direction}"
    ));
}
