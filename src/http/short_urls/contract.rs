//! The rest of the `/short-urls` contract: Shlink's one-request `shorten` (the key in the query,
//! as ShareX, browser extensions and shell scripts call it) and the redirect-rules routes, which
//! answer with the rules we apply — none yet — rather than a 501 a client would hide.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::dto::{CreateBody, ShortUrlJson};
use super::{DomainQuery, addressed_link, create_as};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiKey, ApiQuery};

/// `GET /short-urls/shorten` parameters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShortenQuery {
    api_key: Option<String>,
    long_url: Option<String>,
    format: Option<String>,
}

/// Creates a link from `?longUrl=` by the rules of `POST /short-urls`; `format=txt` answers
/// with the short URL alone, as `text/plain`.
#[tracing::instrument(skip_all)]
pub async fn shorten(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ShortenQuery>,
) -> Result<Response, ApiError> {
    let key = ApiKey::identify(query.api_key.as_deref(), &state).await?;
    let body = CreateBody {
        long_url: query.long_url.unwrap_or_default(),
        ..CreateBody::default()
    };
    let link = create_as(&key, body, &state).await?;
    if query.format.as_deref() == Some("txt") {
        let text = state.settings.short_url(link.short_code.as_str());
        let plain = HeaderValue::from_static("text/plain; charset=utf-8");
        return Ok(([(header::CONTENT_TYPE, plain)], text).into_response());
    }
    Ok(Json(ShortUrlJson::new(link, &state.settings)).into_response())
}

/// `GET /short-urls/{shortCode}/redirect-rules`: the default long URL and no rules.
#[tracing::instrument(skip_all)]
pub async fn redirect_rules(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> Result<Json<Value>, ApiError> {
    let link = addressed_link(&key, path, &query, &state).await?;
    Ok(Json(json!({
        "defaultLongUrl": link.long_url.as_str(),
        "redirectRules": [],
    })))
}

/// The body of `POST /short-urls/{shortCode}/redirect-rules`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesBody {
    #[serde(default)]
    redirect_rules: Vec<Value>,
}

/// `POST /short-urls/{shortCode}/redirect-rules`: an empty set is what we have and is
/// accepted; rules themselves are refused, naming the field, rather than silently dropped.
#[tracing::instrument(skip_all)]
pub async fn set_redirect_rules(
    key: ApiKey,
    state: State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: ApiQuery<DomainQuery>,
    ApiJson(body): ApiJson<RulesBody>,
) -> Result<Json<Value>, ApiError> {
    if !body.redirect_rules.is_empty() {
        return Err(ApiError::invalid(
            "redirectRules",
            "redirect rules are not supported by this server yet",
        ));
    }
    redirect_rules(key, state, path, query).await
}
