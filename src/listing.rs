//! Paging and sorting shared by every listing (links, tags, visits).

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// One page of results plus the total, for Shlink's pagination envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows on this page.
    pub items: Vec<T>,
    /// Rows matching the filter across all pages.
    pub total: u64,
}

impl<T> Default for Page<T> {
    /// No rows at all: what a caller who may see nothing gets.
    fn default() -> Self {
        Self {
            items: Vec::new(),
            total: 0,
        }
    }
}
