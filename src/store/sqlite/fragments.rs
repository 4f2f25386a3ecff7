//! SQL fragments shared by the link and tag queries: LIKE patterns, sort directions, pagination.

use sqlx::{QueryBuilder, Sqlite};

pub(super) use crate::store::sql::{direction_sql, like_pattern};

/// Appends `LIMIT … OFFSET …` for a 1-based page; no page size means no limit.
pub(super) fn push_page(qb: &mut QueryBuilder<Sqlite>, page: u32, items_per_page: Option<u32>) {
    if let Some(size) = items_per_page {
        let offset = i64::from(page.max(1) - 1) * i64::from(size);
        qb.push(" LIMIT ")
            .push_bind(i64::from(size))
            .push(" OFFSET ")
            .push_bind(offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pattern_escapes_metacharacters() {
        assert_eq!(like_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(like_pattern("plain"), "%plain%");
    }
}
