//! SQL fragments both dialects write the same way: LIKE patterns, sort keywords, pages.

use crate::listing::Direction;

/// A `LIKE`/`ILIKE … ESCAPE '\'` pattern matching `term` as a literal substring anywhere
/// (`%`, `_` and `\` in the term are escaped).
pub(in crate::store) fn like_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for ch in term.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// The SQL keyword for a sort direction.
pub(in crate::store) fn direction_sql(direction: Direction) -> &'static str {
    match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    }
}

/// `LIMIT`/`OFFSET` values for a 1-based page, or `None` when every row is wanted.
pub(in crate::store) fn limit_offset(page: u32, items_per_page: Option<u32>) -> Option<(i64, i64)> {
    items_per_page.map(|size| {
        let size = i64::from(size);
        (size, i64::from(page.max(1) - 1) * size)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pattern_escapes_metacharacters() {
        assert_eq!(like_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(like_pattern("plain"), "%plain%");
        assert_eq!(like_pattern(""), "%%");
    }

    #[test]
    fn pages_are_one_based() {
        assert_eq!(limit_offset(1, Some(10)), Some((10, 0)));
        assert_eq!(limit_offset(3, Some(5)), Some((5, 10)));
        assert_eq!(limit_offset(0, Some(5)), Some((5, 0)));
        assert_eq!(limit_offset(4, None), None);
    }
}
