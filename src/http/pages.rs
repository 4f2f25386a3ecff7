//! Friendly HTML pages for browsers that reach a dead end.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// The page shown for unknown, expired or exhausted links and unknown paths.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

fn render(status: StatusCode, title: &str, message: &str) -> Response {
    match (ErrorPage { title, message }).render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "error page failed to render");
            (status, title.to_owned()).into_response()
        }
    }
}

/// 404 for a link that does not exist or no longer redirects.
pub fn not_found() -> Response {
    render(
        StatusCode::NOT_FOUND,
        "Link not found",
        "This short link does not exist, has expired, or has reached its visit limit.",
    )
}

/// 503 when the database cannot be reached.
pub fn unavailable() -> Response {
    render(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "We could not look this link up right now. Please try again in a moment.",
    )
}
