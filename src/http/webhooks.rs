//! `/admin/webhooks`: register, list, rotate and remove webhook endpoints, and replay their
//! dead letters (admin key). A secret is shown once, when it is made.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{AdminKey, ApiJson};
use crate::consumers::guard::check_target;
use crate::consumers::{
    ConsumerFigures, Events, NewWebhook, ROTATION_OVERLAP, Webhook, WebhookSecret, check_name,
    check_url,
};

/// `POST /admin/webhooks`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookBody {
    name: Option<String>,
    url: String,
    events: Vec<String>,
}

/// `POST /admin/webhooks/{name}/replay`: some dead letters, or all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    #[serde(default)]
    ids: Option<Vec<i64>>,
    #[serde(default)]
    all: bool,
}

/// An endpoint as the admin API shows it (never its secrets).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookJson {
    name: String,
    url: String,
    events: Vec<&'static str>,
    created_at: String,
    failing_since: Option<String>,
    disabled: Option<Value>,
    queue: Option<Value>,
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl WebhookJson {
    fn new(hook: &Webhook, figures: Option<&ConsumerFigures>) -> Self {
        Self {
            name: hook.name.clone(),
            url: hook.url.to_string(),
            events: hook.events.iter().map(|event| event.as_str()).collect(),
            created_at: iso(hook.created_at),
            failing_since: hook.failing_since.map(iso),
            disabled: hook
                .disabled
                .as_ref()
                .map(|(at, reason)| json!({"at": iso(*at), "reason": reason})),
            queue: figures.map(|f| {
                json!({
                    "backlog": f.backlog,
                    "oldestAgeSeconds": f.oldest.map(|at| (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0),
                    "delivered": f.delivered,
                    "retried": f.retried,
                    "deadLettered": f.dead,
                    "deadLetters": f.dead_now,
                })
            }),
        }
    }
}

/// Registers an endpoint; the answer carries its secret, the only time it is shown.
pub async fn add(
    _: AdminKey,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let url = check_url(&body.url).map_err(|err| ApiError::invalid("url", err.to_string()))?;
    check_target(&url, state.settings.webhooks_allow_private)
        .await
        .map_err(|err| ApiError::invalid("url", err.to_string()))?;
    let events = Events::of(body.events.iter().map(String::as_str))
        .map_err(|err| ApiError::invalid("events", err.to_string()))?;
    let default_name = url.host_str().unwrap_or("webhook").to_owned();
    let name = check_name(body.name.as_deref().unwrap_or(&default_name))
        .map_err(|err| ApiError::invalid("name", err.to_string()))?
        .to_owned();
    let secret = WebhookSecret::generate();
    let new = NewWebhook {
        name,
        url,
        events,
        secret: secret.clone(),
    };
    let hook = state.store.add_webhook(&new).await?;
    let mut shown = serde_json::to_value(WebhookJson::new(&hook, None)).unwrap_or_default();
    shown["secret"] = json!(secret.expose());
    Ok((StatusCode::CREATED, Json(shown)))
}

/// Every endpoint with its queue's figures.
pub async fn list(_: AdminKey, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let hooks = state.store.webhooks().await?;
    let figures = state.store.consumer_figures().await?;
    let shown: Vec<WebhookJson> = hooks
        .iter()
        .map(|hook| WebhookJson::new(hook, figures.iter().find(|f| f.consumer == hook.name)))
        .collect();
    Ok(Json(json!({"webhooks": shown})))
}

/// Removes an endpoint and its queue.
pub async fn remove(
    _: AdminKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let name = named(path)?;
    if state.store.delete_webhook(&name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(unknown(&name))
    }
}

/// Gives an endpoint a new secret; the old one still signs for [`ROTATION_OVERLAP`], both
/// signatures sent meanwhile, so the receiver can switch without losing a delivery.
pub async fn rotate(
    _: AdminKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let name = named(path)?;
    let secret = WebhookSecret::generate();
    let until = Utc::now() + ROTATION_OVERLAP;
    match state
        .store
        .rotate_webhook_secret(&name, &secret, until)
        .await?
    {
        Some(_) => Ok(Json(json!({
            "secret": secret.expose(),
            "previousSecretValidUntil": iso(until),
        }))),
        None => Err(unknown(&name)),
    }
}

/// An endpoint's dead letters, newest first.
pub async fn dead_letters(
    _: AdminKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let name = named(path)?;
    let dead = state.store.dead_deliveries(Some(&name), 500).await?;
    let shown: Vec<Value> = dead
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "messageId": d.message_id,
                "event": d.event.as_str(),
                "attempts": d.attempts,
                "reason": d.reason,
                "deadAt": iso(d.dead_at),
            })
        })
        .collect();
    Ok(Json(json!({"deadLetters": shown})))
}

/// Puts dead letters back in the endpoint's queue with fresh attempts.
pub async fn replay(
    _: AdminKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<ReplayBody>,
) -> Result<Json<Value>, ApiError> {
    let name = named(path)?;
    let ids = match (body.ids, body.all) {
        (Some(ids), false) => Some(ids),
        (None, true) => None,
        _ => return Err(ApiError::invalid("ids", "give either ids or \"all\": true")),
    };
    let replayed = state.store.replay_deliveries(&name, ids.as_deref()).await?;
    Ok(Json(json!({"replayed": replayed})))
}

fn named(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(name) = path.map_err(|err| ApiError::invalid("name", err.body_text()))?;
    Ok(name)
}

fn unknown(name: &str) -> ApiError {
    ApiError::NotFound(format!("no webhook named {name:?}"))
}
