//! Shlink's pagination envelope and the `page` / `itemsPerPage` query parameters, shared by every
//! paginated list (short URLs, tags).
//!
//! Usage in a handler:
//!
//! ```text
//! let request = PageRequest::from_params(query.page, query.items_per_page, Some(10))?;
//! let page = store.list_something(&filter_using(request)).await?;
//! Json(Paginated::from_page(page, request, ItemJson::from))
//! ```
//!
//! Shlink semantics: `page` is 1-based and defaults to 1; `itemsPerPage` takes the list's default
//! when absent, and any value below 1 (clients send `-1`) means "everything on one page", in
//! which case the envelope reports the item count as the page size (at least 1).

use serde::Serialize;

use super::error::ApiError;
use crate::listing::Page;

/// Which slice of a list the client asked for, normalised and ready for a store filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number (always 1 when every item is requested).
    pub page: u32,
    /// Page size; `None` means every item on one page.
    pub items_per_page: Option<u32>,
}

impl PageRequest {
    /// Validates raw `page` / `itemsPerPage`; `default_size` applies when `itemsPerPage` is absent
    /// (`None` there means an unpaginated list by default, as Shlink's tag list is).
    pub fn from_params(
        page: Option<i64>,
        items_per_page: Option<i64>,
        default_size: Option<u32>,
    ) -> Result<Self, ApiError> {
        let size = match items_per_page {
            None => default_size,
            Some(n) if n < 1 => None,
            Some(n) => Some(
                u32::try_from(n)
                    .map_err(|_| ApiError::invalid("itemsPerPage", "itemsPerPage is too large"))?,
            ),
        };
        let page = match page {
            None => 1,
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| ApiError::invalid("page", "page must be a positive integer"))?,
        };
        Ok(Self {
            page: if size.is_some() { page } else { 1 },
            items_per_page: size,
        })
    }
}

/// Shlink's `{"data": [...], "pagination": {...}}` list body.
#[derive(Debug, Clone, Serialize)]
pub struct Paginated<T> {
    /// The items on this page.
    pub data: Vec<T>,
    /// Where this page sits in the whole list.
    pub pagination: Pagination,
}

/// Shlink's `pagination` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// The page returned, 1-based.
    pub current_page: u32,
    /// How many pages the whole list spans (at least 1, as in Shlink).
    pub pages_count: u64,
    /// The page size in effect.
    pub items_per_page: u64,
    /// How many items this page holds.
    pub items_in_current_page: usize,
    /// How many items match across all pages.
    pub total_items: u64,
}

impl<T> Paginated<T> {
    /// Wraps a store page, converting each row into its JSON shape with `convert`.
    pub fn from_page<U>(page: Page<U>, request: PageRequest, convert: impl FnMut(U) -> T) -> Self {
        let data: Vec<T> = page.items.into_iter().map(convert).collect();
        let per_page = request.items_per_page.map_or(page.total.max(1), u64::from);
        Self {
            pagination: Pagination {
                current_page: request.page,
                pages_count: page.total.div_ceil(per_page).max(1),
                items_per_page: per_page,
                items_in_current_page: data.len(),
                total_items: page.total,
            },
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_of(items: Vec<u32>, total: u64) -> Page<u32> {
        Page { items, total }
    }

    #[test]
    fn defaults_and_all_items() {
        let default = PageRequest::from_params(None, None, Some(10)).unwrap();
        assert_eq!(default.page, 1);
        assert_eq!(default.items_per_page, Some(10));
        let all = PageRequest::from_params(Some(3), Some(-1), Some(10)).unwrap();
        assert_eq!(all.items_per_page, None);
        assert_eq!(all.page, 1, "everything fits on the first page");
        let unpaginated = PageRequest::from_params(None, None, None).unwrap();
        assert_eq!(unpaginated.items_per_page, None);
    }

    #[test]
    fn refuses_bad_page_numbers() {
        for bad in [0, -2, i64::from(u32::MAX) + 1] {
            let err = PageRequest::from_params(Some(bad), None, Some(10)).unwrap_err();
            assert!(
                matches!(&err, ApiError::InvalidData { elements, .. } if elements == &["page"]),
                "{bad}: {err:?}"
            );
        }
        assert!(PageRequest::from_params(None, Some(i64::MAX), Some(10)).is_err());
    }

    #[test]
    fn envelope_counts_pages() {
        let request = PageRequest::from_params(Some(2), Some(3), Some(10)).unwrap();
        let body = Paginated::from_page(page_of(vec![4, 5, 6], 7), request, |n| n * 10);
        assert_eq!(body.data, vec![40, 50, 60]);
        assert_eq!(
            body.pagination,
            Pagination {
                current_page: 2,
                pages_count: 3,
                items_per_page: 3,
                items_in_current_page: 3,
                total_items: 7,
            }
        );
    }

    #[test]
    fn empty_and_unpaginated_lists_have_one_page() {
        let request = PageRequest::from_params(None, None, Some(10)).unwrap();
        let empty = Paginated::from_page(page_of(vec![], 0), request, |n| n);
        assert_eq!(empty.pagination.pages_count, 1);
        assert_eq!(empty.pagination.total_items, 0);

        let all = PageRequest::from_params(None, Some(-1), Some(10)).unwrap();
        let body = Paginated::from_page(page_of(vec![1, 2, 3, 4], 4), all, |n| n);
        assert_eq!(body.pagination.items_per_page, 4);
        assert_eq!(body.pagination.pages_count, 1);
        let none = Paginated::from_page(page_of(vec![], 0), all, |n| n);
        assert_eq!(none.pagination.items_per_page, 1);
    }
}
