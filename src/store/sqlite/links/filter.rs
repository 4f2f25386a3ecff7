//! The dynamic `WHERE` and `ORDER BY` of the link list; every user value is a bound parameter.

use sqlx::{QueryBuilder, Sqlite};

use crate::store::sqlite::fragments::{direction_sql, like_pattern};
use crate::store::{Direction, ShortUrlFilter, ShortUrlOrder, TagsMode};

/// Appends ` WHERE …` (always present, starting from `1 = 1`) for every condition in `filter`.
pub(super) fn push_where(qb: &mut QueryBuilder<Sqlite>, filter: &ShortUrlFilter, now_ms: i64) {
    qb.push(" WHERE 1 = 1");
    if let Some(term) = filter.search_term.as_deref().filter(|t| !t.is_empty()) {
        let pattern = like_pattern(term);
        qb.push(" AND (s.long_url LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR s.short_code LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR s.title LIKE ")
            .push_bind(pattern.clone())
            .push(
                " ESCAPE '\\' OR EXISTS (SELECT 1 FROM short_url_tags st \
                 JOIN tags t ON t.id = st.tag_id WHERE st.short_url_id = s.id AND t.name LIKE ",
            )
            .push_bind(pattern)
            .push(" ESCAPE '\\'))");
    }
    push_tags(qb, &filter.tags, filter.tags_mode);
    if let Some(start) = filter.start_date {
        qb.push(" AND s.created_at >= ")
            .push_bind(start.timestamp_millis());
    }
    if let Some(end) = filter.end_date {
        qb.push(" AND s.created_at <= ")
            .push_bind(end.timestamp_millis());
    }
    if filter.exclude_max_visits_reached {
        qb.push(" AND (s.max_visits IS NULL OR s.visits_total - s.visits_bots < s.max_visits)");
    }
    if filter.exclude_past_valid_until {
        qb.push(" AND (s.valid_until IS NULL OR s.valid_until >= ")
            .push_bind(now_ms)
            .push(")");
    }
}

/// Links carrying any (or all) of `tags`; an empty list filters nothing.
fn push_tags(qb: &mut QueryBuilder<Sqlite>, tags: &[String], mode: TagsMode) {
    let mut names: Vec<&str> = tags.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return;
    }
    let matching = "SELECT COUNT(*) FROM short_url_tags st JOIN tags t ON t.id = st.tag_id \
                    WHERE st.short_url_id = s.id AND t.name IN (";
    qb.push(" AND (").push(matching);
    let mut list = qb.separated(", ");
    for name in &names {
        list.push_bind(name.to_string());
    }
    qb.push("))");
    match mode {
        TagsMode::Any => qb.push(" > 0"),
        TagsMode::All => qb.push(" = ").push_bind(names.len() as i64),
    };
}

/// Appends ` ORDER BY …`, newest first by default, with the id as a stable tie-break.
pub(super) fn push_order(qb: &mut QueryBuilder<Sqlite>, order: Option<(ShortUrlOrder, Direction)>) {
    let (field, direction) = order.unwrap_or((ShortUrlOrder::DateCreated, Direction::Desc));
    let dir = direction_sql(direction);
    let column = match field {
        ShortUrlOrder::LongUrl => "s.long_url",
        ShortUrlOrder::ShortCode => "s.short_code",
        ShortUrlOrder::DateCreated => "s.created_at",
        ShortUrlOrder::Visits => "s.visits_total",
        ShortUrlOrder::NonBotVisits => "(s.visits_total - s.visits_bots)",
        ShortUrlOrder::Title => "s.title",
    };
    // Links without a title sort after titled ones in both directions.
    let nulls = if field == ShortUrlOrder::Title {
        " NULLS LAST"
    } else {
        ""
    };
    qb.push(format_args!(" ORDER BY {column} {dir}{nulls}, s.id {dir}"));
}
