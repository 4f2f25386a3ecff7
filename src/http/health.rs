//! `GET /rest/health` (and `/rest/v{1,2,3}/health`): Shlink's health check, which also proves
//! the database answers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;

/// The Shlink release whose REST API linkpulse answers like, reported as `version`: Shlink's
/// clients switch features on and off by comparing it. 4.0.0 is the API of redirect rules
/// (which we answer, with the condition types of later releases too), per-device long URLs
/// kept as device rules.
pub const SHLINK_COMPATIBLE_VERSION: &str = "4.0.0";

/// 200 `pass` when the database answers, 503 `fail` with the reason when it does not.
pub async fn check(State(state): State<AppState>) -> Response {
    let (status, body) = match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            json!({
                "status": "pass",
                "version": SHLINK_COMPATIBLE_VERSION,
                "linkpulseVersion": env!("CARGO_PKG_VERSION"),
                "links": {},
            }),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({
                    "status": "fail",
                    "version": SHLINK_COMPATIBLE_VERSION,
                    "linkpulseVersion": env!("CARGO_PKG_VERSION"),
                    "output": format!("{} database unreachable", state.store.engine()),
                }),
            )
        }
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/health+json"),
    );
    response
}
