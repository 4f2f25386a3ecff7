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

use self::dto::{CreateBody, EditBody, ShortUrlJson};
use self::query::ListQuery;
use super::AppState;
use super::domains::is_own_domain;
use super::error::ApiError;
use super::extract::{ApiJson, ApiKey, ApiQuery};
use super::pagination::Paginated;
use crate::links::service::CreateLinkError;
use crate::links::{ShortCode, ShortUrl};
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
    _key: ApiKey,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ShortUrlList>, ApiError> {
    let plan = query::plan(query, &state.settings)?;
    let page = if plan.foreign_domain {
        Page {
            items: Vec::new(),
            total: 0,
        }
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
    _key: ApiKey,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Json<ShortUrlJson>, ApiError> {
    let (draft, find_if_exists) = input::create_draft(body, &state.settings)?;
    let link = state.links.create(&draft, find_if_exists).await?;
    Ok(Json(ShortUrlJson::new(link, &state.settings)))
}

/// Reads one link.
#[tracing::instrument(skip_all)]
pub async fn get(
    _key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> Result<Json<ShortUrlJson>, ApiError> {
    let link = addressed_link(path, &query, &state).await?;
    Ok(Json(ShortUrlJson::new(link, &state.settings)))
}

/// Applies a partial edit; `null` clears a nullable field.
#[tracing::instrument(skip_all)]
pub async fn edit(
    _key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
    ApiJson(body): ApiJson<EditBody>,
) -> Result<Json<ShortUrlJson>, ApiError> {
    let code = addressed_code(path, &query, &state)?;
    let patch = input::edit_patch(body, &state.settings)?;
    let stored = state
        .store
        .find_short_url(&code)
        .await?
        .ok_or_else(|| not_found(&code))?;
    input::check_edited_window(&patch, stored.valid_since, stored.valid_until)?;
    if input::is_empty(&patch) {
        return Ok(Json(ShortUrlJson::new(stored, &state.settings)));
    }
    let updated = state.links.update(&code, &patch).await?;
    Ok(Json(ShortUrlJson::new(updated, &state.settings)))
}

/// Deletes a link; it stops redirecting at once.
#[tracing::instrument(skip_all)]
pub async fn delete(
    _key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> Result<StatusCode, ApiError> {
    let code = addressed_code(path, &query, &state)?;
    state.links.delete(&code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The code a single-link route addresses; one that cannot exist (bad characters, another
/// domain) is simply not found.
fn addressed_code(
    path: Result<Path<String>, PathRejection>,
    query: &DomainQuery,
    state: &AppState,
) -> Result<ShortCode, ApiError> {
    let Path(raw) = path.map_err(|err| ApiError::invalid("shortCode", err.body_text()))?;
    if !is_own_domain(query.domain.as_deref(), &state.settings.base_url) {
        return Err(ApiError::ShortUrlNotFound(raw));
    }
    ShortCode::parse(&raw).map_err(|_| ApiError::ShortUrlNotFound(raw))
}

/// The stored link the path and `?domain=` address; `short-url-not-found` when there is none.
async fn addressed_link(
    path: Result<Path<String>, PathRejection>,
    query: &DomainQuery,
    state: &AppState,
) -> Result<ShortUrl, ApiError> {
    let code = addressed_code(path, query, state)?;
    state
        .store
        .find_short_url(&code)
        .await?
        .ok_or_else(|| not_found(&code))
}

fn not_found(code: &ShortCode) -> ApiError {
    ApiError::ShortUrlNotFound(code.as_str().to_owned())
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
