//! Link rows: the column list, row → model mapping, and attaching/loading tags without N+1 queries.

use std::collections::HashMap;

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};

use crate::links::Tag;
use crate::store::sqlite::from_millis;
use crate::store::{ShortUrl, StoreResult, VisitsSummary};

/// `SELECT` of every link column from `short_urls s`; callers append the rest.
pub(super) fn select_links() -> QueryBuilder<Sqlite> {
    QueryBuilder::new(
        "SELECT s.id, s.short_code, s.long_url, s.title, s.created_at, s.valid_since, \
         s.valid_until, s.max_visits, s.crawlable, s.forward_query, s.visits_total, s.visits_bots \
         FROM short_urls s",
    )
}

/// One `short_urls` row as stored (instants in epoch milliseconds).
#[derive(FromRow)]
pub(super) struct LinkRow {
    id: i64,
    short_code: String,
    long_url: String,
    title: Option<String>,
    created_at: i64,
    valid_since: Option<i64>,
    valid_until: Option<i64>,
    max_visits: Option<i64>,
    crawlable: bool,
    forward_query: bool,
    visits_total: i64,
    visits_bots: i64,
}

impl LinkRow {
    /// The API model, given the link's tag names (already sorted).
    fn into_short_url(self, tags: Vec<String>) -> ShortUrl {
        ShortUrl {
            id: self.id,
            short_code: self.short_code,
            long_url: self.long_url,
            title: self.title,
            date_created: from_millis(self.created_at),
            valid_since: self.valid_since.map(from_millis),
            valid_until: self.valid_until.map(from_millis),
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

/// Turns rows into models, loading every row's tags in one query and keeping the row order.
pub(super) async fn with_tags(
    conn: &mut SqliteConnection,
    rows: Vec<LinkRow>,
) -> StoreResult<Vec<ShortUrl>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Ids travel as one JSON array bound to a single parameter, so page size never hits the
    // bind-parameter limit.
    let ids = rows
        .iter()
        .map(|row| row.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let pairs: Vec<(i64, String)> = sqlx::query_as(
        "SELECT st.short_url_id, t.name FROM short_url_tags st JOIN tags t ON t.id = st.tag_id \
         WHERE st.short_url_id IN (SELECT value FROM json_each(?)) ORDER BY t.name",
    )
    .bind(format!("[{ids}]"))
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

/// Reads one link with its tags by code.
pub(super) async fn find_by_code(
    conn: &mut SqliteConnection,
    code: &str,
) -> StoreResult<Option<ShortUrl>> {
    let mut qb = select_links();
    qb.push(" WHERE s.short_code = ").push_bind(code);
    let rows: Vec<LinkRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    Ok(with_tags(conn, rows).await?.pop())
}

/// Links `tags` to a link, creating missing tags; existing links to the same tag are kept.
pub(super) async fn attach_tags(
    conn: &mut SqliteConnection,
    link_id: i64,
    tags: &[Tag],
) -> StoreResult<()> {
    for tag in tags {
        sqlx::query("INSERT OR IGNORE INTO tags (name) VALUES (?)")
            .bind(tag.as_str())
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT OR IGNORE INTO short_url_tags (short_url_id, tag_id) \
             SELECT ?, id FROM tags WHERE name = ?",
        )
        .bind(link_id)
        .bind(tag.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
