//! Shlink's visits API (v3 contract): visits of a link, of a tag, of all links, orphan visits,
//! the `/visits` totals, and deleting a link's or the orphan visits.
//!
//! Listings are newest first and unpaginated unless `itemsPerPage` is given, as in Shlink.

mod json;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use self::json::{DeletedJson, OverviewResponse};
pub use self::json::{VisitJson, VisitsResponse};
use super::AppState;
use super::access::DomainReach;
use super::domains::api_domain;
use super::error::ApiError;
use super::extract::{ApiKey, ApiQuery};
use super::pagination::{PageRequest, Paginated};
use super::short_urls::addressed;
use crate::clicks::{VisitKind, VisitsSummary};
use crate::links::{LinkAddress, Tag};
use crate::listing::Page;
use crate::store::{StoreError, Visit, VisitFilter, VisitScope};

/// Query of the visit listings; `type` applies to orphan visits only.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VisitsQuery {
    start_date: Option<String>,
    end_date: Option<String>,
    page: Option<i64>,
    items_per_page: Option<i64>,
    exclude_bots: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    domain: Option<String>,
}

/// The optional `?domain=` of `DELETE /short-urls/{shortCode}/visits`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DomainQuery {
    domain: Option<String>,
}

/// `GET /short-urls/{shortCode}/visits`.
#[tracing::instrument(skip_all)]
pub async fn link_visits(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<VisitsQuery>,
) -> Result<Json<VisitsResponse>, ApiError> {
    let link = visible_link(&key, path, query.domain.as_deref(), &state).await?;
    let (filter, request) = filter_from(&query)?;
    let page = state
        .store
        .list_visits(&VisitScope::Link(link), &filter)
        .await?;
    Ok(respond(page, request, VisitJson::visit))
}

/// `DELETE /short-urls/{shortCode}/visits`: deletes them and zeroes the link's counters.
#[tracing::instrument(skip_all)]
pub async fn delete_link_visits(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> Result<Json<DeletedJson>, ApiError> {
    let link = visible_link(&key, path, query.domain.as_deref(), &state).await?;
    let deleted = state.links.delete_visits(&link).await?;
    Ok(Json(DeletedJson {
        deleted_visits: deleted,
    }))
}

/// `GET /tags/{tag}/visits`: visits of every link carrying the tag.
#[tracing::instrument(skip_all)]
pub async fn tag_visits(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<VisitsQuery>,
) -> Result<Json<VisitsResponse>, ApiError> {
    let Path(raw) = path.map_err(|err| ApiError::invalid("tag", err.body_text()))?;
    let tag = Tag::parse(&raw).map_err(|_| ApiError::TagNotFound(raw.clone()))?;
    let (filter, request) = filter_from(&query)?;
    let scope = VisitScope::Tag(tag.as_str().to_owned());
    let page = list_on_domain(&key, &state, &query, &scope, filter).await?;
    Ok(respond(page, request, VisitJson::visit))
}

/// `GET /visits/non-orphan`: visits of every link.
#[tracing::instrument(skip_all)]
pub async fn non_orphan_visits(
    key: ApiKey,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<VisitsQuery>,
) -> Result<Json<VisitsResponse>, ApiError> {
    let (filter, request) = filter_from(&query)?;
    let page = list_on_domain(&key, &state, &query, &VisitScope::NonOrphan, filter).await?;
    Ok(respond(page, request, VisitJson::visit))
}

/// `GET /visits/orphan`: visits that hit no link, optionally of one `type`.
#[tracing::instrument(skip_all)]
pub async fn orphan_visits(
    key: ApiKey,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<VisitsQuery>,
) -> Result<Json<VisitsResponse>, ApiError> {
    let (filter, request) = filter_from(&query)?;
    let kind = query
        .kind
        .as_deref()
        .filter(|raw| !raw.trim().is_empty())
        .map(orphan_kind)
        .transpose()?;
    let page = list_on_domain(&key, &state, &query, &VisitScope::Orphan(kind), filter).await?;
    Ok(respond(page, request, VisitJson::orphan))
}

/// `DELETE /visits/orphan`.
#[tracing::instrument(skip_all)]
pub async fn delete_orphan_visits(
    key: ApiKey,
    State(state): State<AppState>,
) -> Result<Json<DeletedJson>, ApiError> {
    let deleted = if key.sees_orphan_visits(&state.settings.base_url) {
        state.store.delete_orphan_visits().await?
    } else {
        0
    };
    Ok(Json(DeletedJson {
        deleted_visits: deleted,
    }))
}

/// `GET /visits`: link and orphan totals.
#[tracing::instrument(skip_all)]
pub async fn overview(
    key: ApiKey,
    State(state): State<AppState>,
) -> Result<Json<OverviewResponse>, ApiError> {
    let base = &state.settings.base_url;
    let mut overview = state.store.visits_overview(key.own_links_only()).await?;
    if !key.sees_our_domain(base) {
        overview.non_orphan = VisitsSummary::default();
    }
    if !key.sees_orphan_visits(base) {
        overview.orphan = VisitsSummary::default();
    }
    Ok(Json(overview.into()))
}

/// Lists every visit of links in `scope` that `query` asks for and `key` may see, in
/// Shlink's envelope.
pub(super) async fn list_scope(
    key: &ApiKey,
    state: &AppState,
    query: &VisitsQuery,
    scope: &VisitScope,
) -> Result<Json<VisitsResponse>, ApiError> {
    let (filter, request) = filter_from(query)?;
    let page = list_on_domain(key, state, query, scope, filter).await?;
    Ok(respond(page, request, VisitJson::visit))
}

/// Lists what `key` may see of `scope`: only its own links' visits for an author-only key,
/// only its domain's for a domain-only key, orphan visits only where its roles allow;
/// `?domain=` narrows every link visit to that domain's links.
async fn list_on_domain(
    key: &ApiKey,
    state: &AppState,
    query: &VisitsQuery,
    scope: &VisitScope,
    mut filter: VisitFilter,
) -> Result<Page<Visit>, StoreError> {
    let base = &state.settings.base_url;
    let asked = query
        .domain
        .as_deref()
        .map(str::trim)
        .filter(|raw| !raw.is_empty());
    let Ok(asked) = asked.map(|raw| api_domain(Some(raw), base)).transpose() else {
        return Ok(Page::default());
    };
    let only = match key.reach(base) {
        DomainReach::Nothing => return Ok(Page::default()),
        DomainReach::Every => None,
        DomainReach::Only(only) => Some(only),
    };
    let scope = match (scope, asked.or(only)) {
        (VisitScope::NonOrphan, Some(domain)) => VisitScope::Domain(domain),
        (scope, _) => scope.clone(),
    };
    let visible = match &scope {
        VisitScope::Orphan(_) => key.sees_orphan_visits(base),
        VisitScope::Domain(domain) => key.sees_domain(domain, base),
        VisitScope::Link(link) => key.sees_domain(&link.domain, base),
        VisitScope::Tag(_) | VisitScope::NonOrphan => key.sees_our_domain(base),
    };
    filter.author_key_id = key.own_links_only();
    if visible {
        state.store.list_visits(&scope, &filter).await
    } else {
        Ok(Page::default())
    }
}

fn respond(
    page: Page<Visit>,
    request: PageRequest,
    convert: fn(Visit) -> VisitJson,
) -> Json<VisitsResponse> {
    Json(VisitsResponse {
        visits: Paginated::from_page(page, request, convert),
    })
}

/// Validates the common listing parameters, naming every refused one at once.
fn filter_from(query: &VisitsQuery) -> Result<(VisitFilter, PageRequest), ApiError> {
    let request = PageRequest::from_params(query.page, query.items_per_page, None)?;
    let mut refused = Vec::new();
    let mut date = |field: &str, raw: Option<&str>| {
        let raw = raw.map(str::trim).filter(|d| !d.is_empty())?;
        parse_date(raw).or_else(|| {
            refused.push(field.to_owned());
            None
        })
    };
    let start_date = date("startDate", query.start_date.as_deref());
    let end_date = date("endDate", query.end_date.as_deref());
    let exclude_bots = match query.exclude_bots.as_deref().map(str::trim) {
        None | Some("" | "false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => {
            refused.push("excludeBots".to_owned());
            false
        }
    };
    if !refused.is_empty() {
        return Err(ApiError::InvalidData {
            detail: "startDate and endDate must be ISO-8601 dates; excludeBots must be true or \
                     false"
                .to_owned(),
            elements: refused,
        });
    }
    let filter = VisitFilter {
        page: request.page,
        items_per_page: request.items_per_page,
        start_date,
        end_date,
        exclude_bots,
        author_key_id: None,
    };
    Ok((filter, request))
}

/// An ISO-8601 date-time with offset, or a bare date (midnight UTC).
fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .or_else(|_| DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|instant| instant.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|day| day.and_hms_opt(0, 0, 0))
                .map(|midnight| midnight.and_utc())
        })
}

/// An orphan `type`; `valid_short_url` and unknown names are refused.
fn orphan_kind(raw: &str) -> Result<VisitKind, ApiError> {
    VisitKind::parse(raw.trim())
        .filter(|kind| *kind != VisitKind::ValidShortUrl)
        .ok_or_else(|| {
            ApiError::invalid(
                "type",
                "type must be one of invalid_short_url, base_url, regular_404",
            )
        })
}

/// The link a link route addresses when `key` may see it; otherwise not found.
async fn visible_link(
    key: &ApiKey,
    path: Result<Path<String>, PathRejection>,
    domain: Option<&str>,
    state: &AppState,
) -> Result<LinkAddress, ApiError> {
    let base = &state.settings.base_url;
    let address = addressed(path, domain, base)?;
    if key.is_admin() {
        return Ok(address);
    }
    match state.store.find_short_url(&address).await? {
        Some(link) if key.may_see(&link, base) => Ok(address),
        _ => Err(ApiError::ShortUrlNotFound(address.code.as_str().to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_with_offset_or_bare() {
        let with_offset = parse_date("2026-01-02T03:04:05+02:00").unwrap();
        assert_eq!(with_offset.to_rfc3339(), "2026-01-02T01:04:05+00:00");
        let compact = parse_date("2026-01-02T03:04:05+0200").unwrap();
        assert_eq!(compact, with_offset);
        let bare = parse_date("2026-01-02").unwrap();
        assert_eq!(bare.to_rfc3339(), "2026-01-02T00:00:00+00:00");
        assert!(parse_date("yesterday").is_none());
    }

    #[test]
    fn refuses_every_bad_parameter_at_once() {
        let query = VisitsQuery {
            start_date: Some("nope".into()),
            end_date: Some("2026-01-02".into()),
            exclude_bots: Some("maybe".into()),
            ..VisitsQuery::default()
        };
        let err = filter_from(&query).unwrap_err();
        assert!(
            matches!(&err, ApiError::InvalidData { elements, .. }
                if elements == &["startDate", "excludeBots"]),
            "{err:?}"
        );
    }

    #[test]
    fn filter_defaults_to_everything() {
        let (filter, request) = filter_from(&VisitsQuery::default()).unwrap();
        assert_eq!(filter, VisitFilter::default());
        assert_eq!(request.items_per_page, None);
        let query = VisitsQuery {
            exclude_bots: Some("true".into()),
            page: Some(2),
            items_per_page: Some(5),
            ..VisitsQuery::default()
        };
        let (filter, _) = filter_from(&query).unwrap();
        assert!(filter.exclude_bots);
        assert_eq!((filter.page, filter.items_per_page), (2, Some(5)));
    }

    #[test]
    fn orphan_types_exclude_link_visits() {
        assert_eq!(orphan_kind("base_url").unwrap(), VisitKind::BaseUrl);
        assert!(orphan_kind("valid_short_url").is_err());
        assert!(orphan_kind("nope").is_err());
    }
}
