//! Row mapping and small SQL helpers shared by the Postgres link and tag queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::links::Tag;
pub(super) use crate::store::sql::{direction_sql, like_pattern, limit_offset};
use crate::store::{ShortUrl, VisitsSummary};

/// Starts the read-only snapshot in which a count and its page are read, so the two agree.
pub(super) const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// The `short_urls` columns every link read selects, in `LinkRow` order (table alias `s`).
macro_rules! link_columns {
    () => {
        "s.id, s.short_code, s.long_url, s.title, s.created_at, s.valid_since, s.valid_until, \
         s.max_visits, s.crawlable, s.forward_query, s.visits_total, s.visits_bots"
    };
}
pub(super) use link_columns;

/// One `short_urls` row as selected by `link_columns!()`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct LinkRow {
    /// Row id.
    pub(super) id: i64,
    short_code: String,
    long_url: String,
    title: Option<String>,
    created_at: DateTime<Utc>,
    valid_since: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    max_visits: Option<i64>,
    crawlable: bool,
    forward_query: bool,
    visits_total: i64,
    visits_bots: i64,
}

impl LinkRow {
    /// Combines the row with its (sorted) tag names into the API model.
    pub(super) fn into_short_url(self, tags: Vec<String>) -> ShortUrl {
        ShortUrl {
            id: self.id,
            short_code: self.short_code,
            long_url: self.long_url,
            title: self.title,
            date_created: self.created_at,
            valid_since: self.valid_since,
            valid_until: self.valid_until,
            max_visits: self.max_visits,
            crawlable: self.crawlable,
            forward_query: self.forward_query,
            tags,
            visits: VisitsSummary {
                total: self.visits_total,
                non_bots: self.visits_total - self.visits_bots,
                bots: self.visits_bots,
            },
        }
    }
}

/// Attaches tag names to rows with one query for all of them, keeping the rows' order.
pub(super) async fn with_tags(
    conn: &mut PgConnection,
    rows: Vec<LinkRow>,
) -> sqlx::Result<Vec<ShortUrl>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let pairs: Vec<(i64, String)> = sqlx::query_as(
        "SELECT st.short_url_id, t.name FROM short_url_tags st JOIN tags t ON t.id = st.tag_id \
         WHERE st.short_url_id = ANY($1) ORDER BY t.name COLLATE \"C\"",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_link: HashMap<i64, Vec<String>> = HashMap::new();
    for (link_id, name) in pairs {
        by_link.entry(link_id).or_default().push(name);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let tags = by_link.remove(&row.id).unwrap_or_default();
            row.into_short_url(tags)
        })
        .collect())
}

/// Reads one link by id with its tags; `RowNotFound` if it vanished.
pub(super) async fn load_by_id(conn: &mut PgConnection, id: i64) -> sqlx::Result<ShortUrl> {
    let row: LinkRow = sqlx::query_as(concat!(
        "SELECT ",
        link_columns!(),
        " FROM short_urls s WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    with_tags(conn, vec![row])
        .await?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)
}

/// Creates missing tags and links them to `link_id`; returns the distinct names, sorted.
pub(super) async fn attach_tags(
    conn: &mut PgConnection,
    link_id: i64,
    tags: &[Tag],
) -> sqlx::Result<Vec<String>> {
    let mut names: Vec<String> = tags.iter().map(|tag| tag.as_str().to_owned()).collect();
    // Sorted inserts make concurrent writers lock tag rows in the same order (no deadlocks).
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(names);
    }
    sqlx::query("INSERT INTO tags (name) SELECT UNNEST($1::text[]) ON CONFLICT (name) DO NOTHING")
        .bind(&names)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO short_url_tags (short_url_id, tag_id) \
         SELECT $1, id FROM tags WHERE name = ANY($2) ON CONFLICT DO NOTHING",
    )
    .bind(link_id)
    .bind(&names)
    .execute(&mut *conn)
    .await?;
    Ok(names)
}
