//! The rest of the `/short-urls` contract: Shlink's one-request `shorten` (the key in the query,
//! as ShareX, browser extensions and shell scripts call it) and the redirect-rules routes.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::dto::{CreateBody, ShortUrlJson};
use super::{DomainQuery, addressed_link, create_as};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiKey, ApiQuery};
use crate::links::rules::{ConditionParts, RedirectRule, RedirectRules};

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

/// `GET /short-urls/{shortCode}/redirect-rules`: the default long URL and the rules in
/// priority order.
#[tracing::instrument(skip_all)]
pub async fn redirect_rules(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> Result<Response, ApiError> {
    let link = addressed_link(&key, path, &query, &state).await?;
    let rules = state.store.redirect_rules(link.id).await?;
    Ok(Json(rules_json(link.long_url.as_str(), &rules)).into_response())
}

/// One rule of `POST /short-urls/{shortCode}/redirect-rules` (its priority is its position).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleBody {
    long_url: String,
    conditions: Vec<ConditionParts>,
}

/// The body of `POST /short-urls/{shortCode}/redirect-rules`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesBody {
    #[serde(default)]
    redirect_rules: Vec<RuleBody>,
}

/// `POST /short-urls/{shortCode}/redirect-rules`: replaces the rules (an empty list removes
/// them); the first rule given is priority 1. A bad rule is refused naming it, and nothing is
/// stored.
#[tracing::instrument(skip_all)]
pub async fn set_redirect_rules(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<DomainQuery>,
    ApiJson(body): ApiJson<RulesBody>,
) -> Result<Response, ApiError> {
    let link = addressed_link(&key, path, &query, &state).await?;
    let own = state.settings.own_origin();
    let rules = body
        .redirect_rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            RedirectRule::parse(&rule.long_url, &rule.conditions, &own).map_err(|err| {
                ApiError::invalid(&format!("redirectRules[{index}]"), err.to_string())
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rules = RedirectRules::new(rules)
        .map_err(|err| ApiError::invalid("redirectRules", err.to_string()))?;
    if !state
        .links
        .set_redirect_rules(&link.address(), &rules)
        .await?
    {
        return Err(ApiError::ShortUrlNotFound(
            link.short_code.as_str().to_owned(),
        ));
    }
    Ok(Json(rules_json(link.long_url.as_str(), &rules)).into_response())
}

/// Shlink's answer of both routes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RulesJson<'a> {
    default_long_url: &'a str,
    redirect_rules: Vec<RuleJson<'a>>,
}

/// One rule as Shlink lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleJson<'a> {
    long_url: &'a str,
    priority: usize,
    conditions: Vec<ConditionParts>,
}

fn rules_json<'a>(default_long_url: &'a str, rules: &'a RedirectRules) -> RulesJson<'a> {
    RulesJson {
        default_long_url,
        redirect_rules: rules
            .rules()
            .iter()
            .enumerate()
            .map(|(index, rule)| RuleJson {
                long_url: rule.long_url.as_str(),
                priority: index + 1,
                conditions: rule.condition_parts(),
            })
            .collect(),
    }
}
