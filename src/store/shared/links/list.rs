//! The dynamic `WHERE` and `ORDER BY` of the link list; every user value is a bound parameter.

use chrono::{DateTime, Utc};

use crate::links::{Author, ShortUrlFilter, ShortUrlOrder, TagsMode};
use crate::listing::Direction;
use crate::store::engine::Engine;
use crate::store::sql::{Sql, direction_sql, like_pattern};

/// Appends ` WHERE …` (always present) for every condition in `filter`, validity judged at `now`.
pub(super) fn push_where<E: Engine>(sql: &mut Sql, filter: &ShortUrlFilter, now: DateTime<Utc>) {
    sql.push(" WHERE 1 = 1");
    if let Some(domain) = &filter.domain {
        sql.push(" AND s.domain = ").bind(domain.key());
    }
    if let Some(term) = filter.search_term.as_deref().filter(|t| !t.is_empty()) {
        let pattern = like_pattern(term);
        let like = format!(" {} ", E::ILIKE);
        sql.push(" AND (s.long_url")
            .push(like.clone())
            .bind(pattern.as_str());
        sql.push(" ESCAPE '\\' OR s.short_code")
            .push(like.clone())
            .bind(pattern.as_str());
        sql.push(" ESCAPE '\\' OR s.title")
            .push(like.clone())
            .bind(pattern.as_str());
        sql.push(
            " ESCAPE '\\' OR EXISTS (SELECT 1 FROM short_url_tags st \
             JOIN tags t ON t.id = st.tag_id WHERE st.short_url_id = s.id AND t.name",
        );
        sql.push(like).bind(pattern.as_str()).push(" ESCAPE '\\'))");
    }
    push_tags(sql, &filter.tags, filter.tags_mode, Carrying::Keep);
    push_tags(
        sql,
        &filter.exclude_tags,
        filter.exclude_tags_mode,
        Carrying::Exclude,
    );
    if let Some(start) = filter.start_date {
        sql.push(" AND s.created_at >= ").bind(start);
    }
    if let Some(end) = filter.end_date {
        sql.push(" AND s.created_at <= ").bind(end);
    }
    if filter.exclude_max_visits_reached {
        sql.push(" AND (s.max_visits IS NULL OR s.visits_total - s.visits_bots < s.max_visits)");
    }
    match &filter.author {
        Some(Author::Key(id)) => {
            sql.push(" AND s.author_key_id = ").bind(*id);
        }
        Some(Author::Named(name)) => {
            sql.push(" AND s.author_key_id = (SELECT id FROM api_keys WHERE name = ")
                .bind(name.as_str())
                .push(")");
        }
        None => {}
    }
    if filter.exclude_past_valid_until {
        sql.push(" AND (s.valid_until IS NULL OR s.valid_until >= ")
            .bind(now)
            .push(")");
    }
}

/// Whether links carrying the tags are the ones kept or the ones left out.
#[derive(Clone, Copy)]
enum Carrying {
    Keep,
    Exclude,
}

/// Keeps (or leaves out) links carrying any (or all) of the distinct `tags`; an empty list
/// filters nothing.
fn push_tags(sql: &mut Sql, tags: &[String], mode: TagsMode, carrying: Carrying) {
    let mut names: Vec<&str> = tags.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return;
    }
    let wanted = i64::try_from(names.len()).unwrap_or(i64::MAX);
    let carried = "FROM short_url_tags st JOIN tags t ON t.id = st.tag_id \
                   WHERE st.short_url_id = s.id AND t.name IN ";
    match (mode, carrying) {
        (TagsMode::Any, Carrying::Keep) => {
            sql.push(format!(" AND EXISTS (SELECT 1 {carried}"));
            sql.bind_list(names).push(")");
        }
        (TagsMode::Any, Carrying::Exclude) => {
            sql.push(format!(" AND NOT EXISTS (SELECT 1 {carried}"));
            sql.bind_list(names).push(")");
        }
        (TagsMode::All, Carrying::Keep) => {
            sql.push(format!(" AND (SELECT COUNT(*) {carried}"));
            sql.bind_list(names).push(") = ").bind(wanted);
        }
        (TagsMode::All, Carrying::Exclude) => {
            sql.push(format!(" AND (SELECT COUNT(*) {carried}"));
            sql.bind_list(names).push(") < ").bind(wanted);
        }
    }
}

/// Appends ` ORDER BY …`, newest first by default, with the id as a stable tie-break; text
/// compares byte-wise on both engines.
pub(super) fn push_order<E: Engine>(sql: &mut Sql, order: Option<(ShortUrlOrder, Direction)>) {
    let (field, direction) = order.unwrap_or((ShortUrlOrder::DateCreated, Direction::Desc));
    let dir = direction_sql(direction);
    let bytes = E::BYTE_ORDER;
    let column = match field {
        ShortUrlOrder::LongUrl => format!("s.long_url{bytes}"),
        ShortUrlOrder::ShortCode => format!("s.short_code{bytes}"),
        ShortUrlOrder::DateCreated => "s.created_at".to_owned(),
        ShortUrlOrder::Visits => "s.visits_total".to_owned(),
        ShortUrlOrder::NonBotVisits => "(s.visits_total - s.visits_bots)".to_owned(),
        ShortUrlOrder::Title => format!("s.title{bytes}"),
    };
    // Links without a title sort after titled ones in both directions.
    let nulls = if field == ShortUrlOrder::Title {
        " NULLS LAST"
    } else {
        ""
    };
    sql.push(format!(" ORDER BY {column} {dir}{nulls}, s.id {dir}"));
}
