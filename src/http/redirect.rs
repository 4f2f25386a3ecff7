//! `GET|HEAD /{shortCode}`: the hot path. One cache lookup, one response, nothing awaited beyond it.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::AppState;
use super::pages;
use crate::links::ShortCode;

/// Browsers must not cache a redirect we need to count.
const NO_STORE: HeaderValue = HeaderValue::from_static("private, max-age=0");

/// Redirects to the link's long URL, or shows the friendly 404 page.
pub async fn follow(State(state): State<AppState>, Path(code): Path<String>, uri: Uri) -> Response {
    let Ok(code) = ShortCode::parse(&code) else {
        return pages::not_found();
    };
    let target = match state.redirects.lookup(&code).await {
        Ok(Some(target)) if target.is_enabled_at(Utc::now()) => target,
        Ok(_) => return pages::not_found(),
        Err(err) => {
            tracing::error!(error = %err, code = %code, "redirect lookup failed");
            return pages::unavailable();
        }
    };
    let Ok(location) = HeaderValue::try_from(target.location(uri.query())) else {
        return pages::not_found();
    };
    (
        state.settings.redirect_status.code(),
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, NO_STORE),
        ],
    )
        .into_response()
}
