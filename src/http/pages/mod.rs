//! The server-rendered web app: sign-in, dashboard, link forms, static assets, and the friendly
//! HTML pages browsers get at dead ends.
//!
//! Pages never answer with problem+json: every failure is a [`PageError`], rendered as HTML.
//! Every page carries the strict security headers of [`security`].

pub mod assets;
pub mod csrf;
pub mod dashboard;
mod error;
pub mod export;
pub mod form;
pub mod layout;
pub mod link;
pub mod link_forms;
pub mod link_rules;
pub mod live;
pub mod login;
pub mod public;
pub mod security;
pub mod session;
pub mod throttle;
pub mod unlock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

pub use self::error::PageError;
use self::error::{render_error, render_page};

/// 404 for a link that does not exist or no longer redirects.
pub fn not_found() -> Response {
    render_error(
        StatusCode::NOT_FOUND,
        "Link not found",
        "This short link does not exist, has expired, or has reached its visit limit.",
    )
}

/// The bare base URL: what this server is, and the way to its dashboard.
pub fn landing() -> Response {
    render_page(
        StatusCode::NOT_FOUND,
        "linkpulse",
        "This address serves short links: each one is this address followed by its code.",
        Some(("/app/login", "Sign in to the dashboard")),
    )
}

/// Seconds a client is asked to wait after a 503, when the database cannot be reached.
pub const RETRY_AFTER_SECONDS: HeaderValue = HeaderValue::from_static("5");

/// 503 when the database cannot be reached.
pub fn unavailable() -> Response {
    let mut page = render_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "We could not look this link up right now. Please try again in a moment.",
    );
    page.headers_mut()
        .insert(header::RETRY_AFTER, RETRY_AFTER_SECONDS);
    page
}
