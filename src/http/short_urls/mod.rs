//! `/short-urls`: create, list, read, edit and delete links (Shlink v3 contract).
//!
//! Every handler requires an API key; input is validated completely (see `input`) before the
//! store is written, and edits and deletes drop the link from the redirect cache at once.

pub(super) mod contract;
pub(super) mod dto;
pub(super) mod input;
mod query;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use url::Url;

use self::dto::{CreateBody, EditBody, ShortUrlJson};
use self::query::ListQuery;
use super::AppState;
use super::access::DomainReach;
use super::domains::api_domain;
use super::error::ApiError;
use super::extract::{ApiJson, ApiKey, ApiQuery};
use super::pagination::Paginated;
use crate::links::service::CreateLinkError;
use crate::links::{LinkAddress, ShortCode, ShortUrl};
use crate::listing::Page;

/// `GET /short-urls` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShortUrlList {
    short_urls: Paginated<ShortUrlJson>,
}

/// The optional `?domain=` of the single-link routes.
#[derive(Debug, Deserialize)]
pub struct DomainQuery {
    domain: Option<String>,
}

/// Lists links, filtered, ordered and paginated.
#[tracing::instrument(skip_all)]
pub async fn list(
    key: ApiKey,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ShortUrlList>, ApiError> {
    let mut plan = query::plan(query, &state.settings)?;
    plan.filter.author = key.list_author(plan.api_key_name.as_deref());
    let visible = match key.reach(&state.settings.base_url) {
        DomainReach::Nothing => false,
        DomainReach::Every => true,
        DomainReach::Only(only) => {
            let asked = plan.filter.domain.get_or_insert_with(|| only.clone());
            *asked == only
        }
    };
    let page = if plan.foreign_domain || !visible {
        Page::default()
    } else {
        state.store.list_short_urls(&plan.filter).await?
    };
    Ok(Json(ShortUrlList {
        short_urls: Paginated::from_page(page, plan.page, |link| {
            ShortUrlJson::new(link, &state.settings)
        }),
    }))
}

/// Creates a link (or, with `findIfExists`, returns a matching one).
#[tracing::instrument(skip_all)]
pub async fn create(
    key: ApiKey,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Json<ShortUrlJson>, ApiError> {
    let link = create_as(&key, body, &state).await?;
    Ok(Json(ShortUrlJson::new(link, &state.settings)))
}

/// Creates a link from `body` with `key` as its author; a domain-only key creates on its own
/// domain only (which a body without `domain` means).
pub(super) async fn create_as(
    key: &ApiKey,
    mut body: CreateBody,
    state: &AppState,
) -> Result<ShortUrl, ApiError> {
    let base = &state.settings.base_url;
    if let DomainReach::Only(only) = key.reach(base)
        && body
            .domain
            .as_deref()
            .is_none_or(|raw| raw.trim().is_empty())
    {
        body.domain = only.name().map(str::to_owned);
    }
    let (mut draft, find_if_exists) = input::create_draft(body, &state.settings).await?;
    if !key.sees_domain(&draft.domain, base) {
        return Err(ApiError::invalid(
            "domain",
            "this API key may only create links on its own domain",
        ));
    }
    draft.author_key_id = Some(key.author_id());
    let found_or_created = state.links.create(&draft, find_if_exists).await?;
    if !key.may_see(&found_or_created, &state.settings.base_url) {
        // findIfExists matched another key's link: an author-only key gets its own instead.
        return Ok(state.links.create(&draft, false).await?);
    }
    Ok(found_or_created)
}

/// Reads one link.
#[tracing::instrument(skip_all)]
pub async fn get(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> Result<Json<ShortUrlJson>, ApiError> {
    let link = addressed_link(&key, path, &query, &state).await?;
    Ok(Json(ShortUrlJson::new(link, &state.settings)))
}

/// Applies a partial edit; `null` clears a nullable field.
#[tracing::instrument(skip_all)]
pub async fn edit(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
    ApiJson(body): ApiJson<EditBody>,
) -> Result<Json<ShortUrlJson>, ApiError> {
    let stored = addressed_link(&key, path, &query, &state).await?;
    let address = stored.address();
    let patch = input::edit_patch(body, &state.settings).await?;
    input::check_edited_window(&patch, stored.valid_since, stored.valid_until)?;
    if input::is_empty(&patch) {
        return Ok(Json(ShortUrlJson::new(stored, &state.settings)));
    }
    let updated = state.links.update(&address, &patch).await?;
    Ok(Json(ShortUrlJson::new(updated, &state.settings)))
}

/// Deletes a link; it stops redirecting at once.
#[tracing::instrument(skip_all)]
pub async fn delete(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> Result<StatusCode, ApiError> {
    let link = addressed_link(&key, path, &query, &state).await?;
    state.links.delete(&link.address()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The link a single-link route addresses (`?domain=` absent: the default domain's); one that
/// cannot exist (bad characters, no valid domain) is simply not found.
pub(in crate::http) fn addressed(
    path: Result<Path<String>, PathRejection>,
    domain: Option<&str>,
    base: &Url,
) -> Result<LinkAddress, ApiError> {
    let Path(raw) = path.map_err(|err| ApiError::invalid("shortCode", err.body_text()))?;
    let Ok(domain) = api_domain(domain, base) else {
        return Err(ApiError::ShortUrlNotFound(raw));
    };
    let code = ShortCode::parse(&raw).map_err(|_| ApiError::ShortUrlNotFound(raw))?;
    Ok(LinkAddress { domain, code })
}

/// The stored link the path and `?domain=` address; `short-url-not-found` when there is none
/// or `key` may not see it.
pub(in crate::http) async fn addressed_link(
    key: &ApiKey,
    path: Result<Path<String>, PathRejection>,
    query: &DomainQuery,
    state: &AppState,
) -> Result<ShortUrl, ApiError> {
    let address = addressed(path, query.domain.as_deref(), &state.settings.base_url)?;
    state
        .store
        .find_short_url(&address)
        .await?
        .filter(|link| key.may_see(link, &state.settings.base_url))
        .ok_or_else(|| ApiError::ShortUrlNotFound(address.code.as_str().to_owned()))
}

impl From<CreateLinkError> for ApiError {
    fn from(err: CreateLinkError) -> Self {
        match err {
            CreateLinkError::SlugTaken(slug) => Self::NonUniqueSlug(slug),
            CreateLinkError::Store(store) => store.into(),
            exhausted @ CreateLinkError::CodesExhausted(_) => Self::Internal(exhausted.into()),
        }
    }
}
