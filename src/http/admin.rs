//! Our own operational routes, outside Shlink's contract: `/metrics` and `/admin/…` (pipeline
//! status and the dead-letter queue, API-key protected).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use super::extract::{AdminKey, ApiJson, ApiQuery};
use crate::clicks::{DeadLetter, DeadLetterSelection};
use crate::consumers::consumer_metrics;

/// Prometheus text exposition; queue gauges are read from the database at scrape time. With
/// `--metrics-token`, only a request bearing it is answered (401 with `WWW-Authenticate`).
#[tracing::instrument(skip_all)]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.settings.metrics_token
        && !bears(&headers, token)
    {
        let challenge = HeaderValue::from_static("Bearer realm=\"metrics\"");
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            "/metrics needs Authorization: Bearer <the --metrics-token>\n",
        )
            .into_response();
    }
    match state.store.outbox_stats().await {
        Ok(stats) => state.metrics.observe_outbox(&stats, Utc::now()),
        Err(err) => tracing::warn!(error = %err, "metrics: outbox stats unavailable"),
    }
    let mut text = state.registry.render();
    match state.store.consumer_figures().await {
        Ok(figures) => text.push_str(&consumer_metrics(&figures, Utc::now())),
        Err(err) => tracing::warn!(error = %err, "metrics: consumer queues unavailable"),
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        text,
    )
        .into_response()
}

/// Whether `headers` carry `Authorization: Bearer {token}`; digests are compared, so the time
/// taken says nothing about how much of a guess was right.
fn bears(headers: &HeaderMap, token: &str) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    Sha256::digest(presented.as_bytes()) == Sha256::digest(token.as_bytes())
}

pub(super) async fn pipeline_status(
    _: AdminKey,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let stats = state.store.outbox_stats().await?;
    let oldest_age_seconds = stats
        .oldest_enqueued_at
        .map(|oldest| (Utc::now() - oldest).num_milliseconds().max(0) as f64 / 1000.0);
    Ok(Json(json!({
        "backlog": stats.backlog,
        "oldestAgeSeconds": oldest_age_seconds,
        "deadLetters": stats.dead_letters,
    })))
}

/// Page parameters of the dead-letter list.
#[derive(Debug, Deserialize)]
pub(super) struct ListParams {
    #[serde(default = "default_limit")]
    limit: u32,
    #[serde(default)]
    offset: u32,
}

fn default_limit() -> u32 {
    50
}

/// A dead letter as the admin API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeadLetterView {
    id: i64,
    message_id: String,
    reason: String,
    last_error: String,
    attempts: i32,
    enqueued_at: String,
    failed_at: String,
    payload: Value,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(letter: DeadLetter) -> Self {
        Self {
            id: letter.id,
            message_id: letter.message_id.to_string(),
            reason: letter.reason,
            last_error: letter.last_error,
            attempts: letter.attempts,
            enqueued_at: letter
                .enqueued_at
                .to_rfc3339_opts(SecondsFormat::Secs, false),
            failed_at: letter.failed_at.to_rfc3339_opts(SecondsFormat::Secs, false),
            payload: serde_json::from_str(&letter.payload).unwrap_or(Value::String(letter.payload)),
        }
    }
}

pub(super) async fn list_dead_letters(
    _: AdminKey,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let letters = state
        .store
        .list_dead_letters(params.limit.min(1000), params.offset)
        .await?;
    let views: Vec<DeadLetterView> = letters.into_iter().map(Into::into).collect();
    Ok(Json(json!({ "deadLetters": views })))
}

pub(super) async fn show_dead_letter(
    _: AdminKey,
    State(state): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<DeadLetterView>, ApiError> {
    let Path(id) = path.map_err(|_| ApiError::invalid("id", "a dead-letter id is an integer"))?;
    match state.store.find_dead_letter(id).await? {
        Some(letter) => Ok(Json(letter.into())),
        None => Err(ApiError::NotFound(format!("no dead letter with id {id}"))),
    }
}

/// Body of replay and purge: either `{"ids": [...]}` or `{"all": true}`.
#[derive(Debug, Deserialize)]
pub(super) struct SelectionBody {
    #[serde(default)]
    ids: Vec<i64>,
    #[serde(default)]
    all: bool,
}

impl SelectionBody {
    fn selection(self) -> Result<DeadLetterSelection, ApiError> {
        match (self.all, self.ids.is_empty()) {
            (true, true) => Ok(DeadLetterSelection::All),
            (false, false) => Ok(DeadLetterSelection::Ids(self.ids)),
            _ => Err(ApiError::invalid(
                "ids",
                "give either a non-empty \"ids\" list or \"all\": true",
            )),
        }
    }
}

pub(super) async fn replay(
    _: AdminKey,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SelectionBody>,
) -> Result<Json<Value>, ApiError> {
    let replayed = state.store.replay_dead_letters(&body.selection()?).await?;
    Ok(Json(json!({ "replayed": replayed })))
}

pub(super) async fn purge(
    _: AdminKey,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SelectionBody>,
) -> Result<Json<Value>, ApiError> {
    let purged = state.store.purge_dead_letters(&body.selection()?).await?;
    Ok(Json(json!({ "purged": purged })))
}
