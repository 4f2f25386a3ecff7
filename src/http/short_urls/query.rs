//! The `GET /short-urls` query string and its translation into a store filter.

use serde::Deserialize;

use super::input::{Violations, parse_instant};
use crate::http::HttpSettings;
use crate::http::domains::api_domain;
use crate::http::error::ApiError;
use crate::http::pagination::PageRequest;
use crate::links::{Domain, ShortUrlFilter, ShortUrlOrder, TagsMode};
use crate::listing::Direction;

/// Links per page when the client does not say (Shlink's default).
const DEFAULT_ITEMS_PER_PAGE: u32 = 10;

/// The list parameters as sent; repeated `tags[]` keys collect into a list.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    page: Option<i64>,
    items_per_page: Option<i64>,
    search_term: Option<String>,
    #[serde(rename = "tags[]", default)]
    tags: Vec<String>,
    tags_mode: Option<ModeParam>,
    #[serde(rename = "excludeTags[]", default)]
    exclude_tags: Vec<String>,
    exclude_tags_mode: Option<ModeParam>,
    order_by: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    exclude_max_visits_reached: Option<bool>,
    exclude_past_valid_until: Option<bool>,
    domain: Option<String>,
    api_key_name: Option<String>,
}

/// `tagsMode`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ModeParam {
    Any,
    All,
}

/// What to ask the store for.
#[derive(Debug)]
pub(super) struct ListPlan {
    /// The store filter, page included.
    pub filter: ShortUrlFilter,
    /// The page as the envelope reports it.
    pub page: PageRequest,
    /// The client asked for a domain that cannot exist, so the answer is empty.
    pub foreign_domain: bool,
    /// `apiKeyName`, which the caller's key decides about (see `ApiKey::list_author`).
    pub api_key_name: Option<String>,
}

/// Validates the query; unsupported filters are refused rather than silently ignored.
pub(super) fn plan(query: ListQuery, settings: &HttpSettings) -> Result<ListPlan, ApiError> {
    let page = PageRequest::from_params(
        query.page,
        query.items_per_page,
        Some(DEFAULT_ITEMS_PER_PAGE),
    )?;
    let mut v = Violations::default();
    let order_by = query
        .order_by
        .filter(|o| !o.trim().is_empty())
        .and_then(|raw| v.check("orderBy", order(&raw)));
    let mut date = |field: &str, raw: Option<String>| {
        raw.filter(|d| !d.trim().is_empty())
            .and_then(|d| v.check(field, parse_instant(field, &d)))
    };
    let start_date = date("startDate", query.start_date);
    let end_date = date("endDate", query.end_date);
    v.finish()?;
    let filter = ShortUrlFilter {
        page: page.page,
        items_per_page: page.items_per_page,
        search_term: query
            .search_term
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()),
        tags: tag_names(&query.tags),
        tags_mode: mode(query.tags_mode),
        exclude_tags: tag_names(&query.exclude_tags),
        exclude_tags_mode: mode(query.exclude_tags_mode),
        order_by,
        start_date,
        end_date,
        exclude_max_visits_reached: query.exclude_max_visits_reached.unwrap_or(false),
        exclude_past_valid_until: query.exclude_past_valid_until.unwrap_or(false),
        author: None,
        domain: None,
    };
    let (domain, foreign_domain) = match list_domain(query.domain.as_deref(), settings) {
        Ok(domain) => (domain, false),
        Err(()) => (None, true),
    };
    Ok(ListPlan {
        filter: ShortUrlFilter { domain, ..filter },
        page,
        foreign_domain,
        api_key_name: query.api_key_name,
    })
}

/// The domain a list is limited to: none when `domain` is absent or blank, `Err` when it names
/// no valid domain.
fn list_domain(raw: Option<&str>, settings: &HttpSettings) -> Result<Option<Domain>, ()> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => api_domain(Some(raw), &settings.base_url)
            .map(Some)
            .map_err(|_| ()),
    }
}

/// The non-blank names of a `tags[]`-style parameter, trimmed.
fn tag_names(raw: &[String]) -> Vec<String> {
    raw.iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

/// `tagsMode` / `excludeTagsMode`, `any` unless the client says `all`.
fn mode(param: Option<ModeParam>) -> TagsMode {
    match param {
        Some(ModeParam::All) => TagsMode::All,
        Some(ModeParam::Any) | None => TagsMode::Any,
    }
}

/// Parses `field-ASC` / `field-DESC` (a bare field sorts ascending, as in Shlink).
fn order(raw: &str) -> Result<(ShortUrlOrder, Direction), String> {
    let (field, dir) = raw.trim().split_once('-').unwrap_or((raw.trim(), "ASC"));
    let field = match field {
        "longUrl" => ShortUrlOrder::LongUrl,
        "shortCode" => ShortUrlOrder::ShortCode,
        "dateCreated" => ShortUrlOrder::DateCreated,
        "title" => ShortUrlOrder::Title,
        "visits" => ShortUrlOrder::Visits,
        "nonBotVisits" => ShortUrlOrder::NonBotVisits,
        _ => return Err(format!("orderBy cannot sort by {field:?}")),
    };
    let dir = match dir.to_ascii_uppercase().as_str() {
        "ASC" => Direction::Asc,
        "DESC" => Direction::Desc,
        _ => {
            return Err(format!(
                "orderBy direction must be ASC or DESC, not {dir:?}"
            ));
        }
    };
    Ok((field, dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RedirectStatus;
    use url::Url;

    fn settings() -> HttpSettings {
        HttpSettings {
            base_url: Url::parse("https://s.example/").unwrap(),
            request_timeout: std::time::Duration::from_secs(30),
            listen: None,
            cors_origins: vec!["*".to_owned()],
            metrics_token: None,
            expired_url: None,
            unknown_hosts: crate::config::UnknownHosts::Default,
            webhooks_allow_private: false,
            redirect_status: "302".parse::<RedirectStatus>().unwrap(),
        }
    }

    fn parse(query: &str) -> Result<ListPlan, ApiError> {
        let raw: ListQuery = serde_html_form::from_str(query).unwrap();
        plan(raw, &settings())
    }

    fn refused(query: &str) -> Vec<String> {
        match parse(query) {
            Err(ApiError::InvalidData { elements, .. }) => elements,
            other => panic!("{query}: expected invalid-data, got {other:?}"),
        }
    }

    #[test]
    fn defaults_match_shlink() {
        let plan = parse("").unwrap();
        assert_eq!(plan.filter.page, 1);
        assert_eq!(plan.filter.items_per_page, Some(DEFAULT_ITEMS_PER_PAGE));
        assert_eq!(plan.filter.order_by, None);
        assert_eq!(plan.filter.tags_mode, TagsMode::Any);
        assert!(!plan.foreign_domain);
    }

    #[test]
    fn every_filter_is_carried_over() {
        let plan = parse(
            "page=2&itemsPerPage=3&searchTerm=%20foo%20&tags[]=a&tags[]=b&tagsMode=all\
             &excludeTags[]=c&excludeTagsMode=all\
             &orderBy=visits-DESC&startDate=2026-01-01T00:00:00%2B02:00&endDate=2026-02-01T00:00:00Z\
             &excludeMaxVisitsReached=true&excludePastValidUntil=true&domain=s.example",
        )
        .unwrap();
        let f = plan.filter;
        assert_eq!((f.page, f.items_per_page), (2, Some(3)));
        assert_eq!(f.search_term.as_deref(), Some("foo"));
        assert_eq!(f.tags, vec!["a", "b"]);
        assert_eq!(f.tags_mode, TagsMode::All);
        assert_eq!(f.exclude_tags, vec!["c"]);
        assert_eq!(f.exclude_tags_mode, TagsMode::All);
        assert_eq!(f.order_by, Some((ShortUrlOrder::Visits, Direction::Desc)));
        assert_eq!(
            f.start_date.unwrap().to_rfc3339(),
            "2025-12-31T22:00:00+00:00"
        );
        assert!(f.end_date.is_some());
        assert!(f.exclude_max_visits_reached && f.exclude_past_valid_until);
        assert_eq!(f.domain, Some(Domain::Default));
        assert!(!plan.foreign_domain);
    }

    #[test]
    fn unsupported_or_malformed_filters_are_refused() {
        assert_eq!(refused("orderBy=color-ASC"), vec!["orderBy"]);
        assert_eq!(refused("orderBy=title-UP"), vec!["orderBy"]);
        assert_eq!(
            refused("startDate=yesterday&endDate=2026-13-01T00:00:00Z"),
            vec!["startDate", "endDate"]
        );
        assert!(parse("page=0").is_err());
    }

    #[test]
    fn a_domain_limits_the_list() {
        let other = parse("domain=elsewhere.example").unwrap();
        assert_eq!(
            other
                .filter
                .domain
                .and_then(|d| d.name().map(str::to_owned))
                .as_deref(),
            Some("elsewhere.example")
        );
        assert_eq!(
            parse("domain=DEFAULT").unwrap().filter.domain,
            Some(Domain::Default)
        );
        assert_eq!(parse("").unwrap().filter.domain, None);
        assert!(parse("domain=not%20a%20host").unwrap().foreign_domain);
    }

    #[test]
    fn bare_order_field_sorts_ascending() {
        assert_eq!(
            order("shortCode").unwrap(),
            (ShortUrlOrder::ShortCode, Direction::Asc)
        );
        assert_eq!(
            order("dateCreated-desc").unwrap(),
            (ShortUrlOrder::DateCreated, Direction::Desc)
        );
    }
}
