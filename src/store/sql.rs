//! SQL fragments both dialects write the same way: LIKE patterns and sort keywords.

use super::Direction;

/// A `LIKE`/`ILIKE … ESCAPE '\'` pattern matching `term` as a literal substring anywhere
/// (`%`, `_` and `\` in the term are escaped).
pub(super) fn like_pattern(term: &str) -> String {
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
pub(super) fn direction_sql(direction: Direction) -> &'static str {
    match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    }
}
