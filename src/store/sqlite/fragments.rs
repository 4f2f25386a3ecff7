//! SQL fragments shared by the link and tag queries: LIKE patterns, sort directions, pagination.

use sqlx::{QueryBuilder, Sqlite};

pub(super) use crate::store::sql::{direction_sql, like_pattern, limit_offset};

/// Appends `LIMIT … OFFSET …` for a 1-based page; no page size means no limit.
pub(super) fn push_page(qb: &mut QueryBuilder<Sqlite>, page: u32, items_per_page: Option<u32>) {
    if let Some((limit, offset)) = limit_offset(page, items_per_page) {
        qb.push(" LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
    }
}
