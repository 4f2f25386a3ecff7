//! The server-rendered web app: sign-in, dashboard, link forms, static assets, and the friendly
//! HTML pages browsers get at dead ends.
//!
//! Pages never answer with problem+json: every failure is a [`PageError`], rendered as HTML.
//! Every page carries the strict security headers of [`security`].

pub mod assets;
pub mod csrf;
mod dashboard;
mod error;
mod export;
pub mod form;
pub mod layout;
mod link;
pub mod link_forms;
mod live;
pub mod login;
pub mod public;
pub mod security;
pub mod session;
mod throttle;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

pub use self::error::PageError;
use self::error::render_error;
use super::AppState;

/// 404 for a link that does not exist or no longer redirects.
pub fn not_found() -> Response {
    render_error(
        StatusCode::NOT_FOUND,
        "Link not found",
        "This short link does not exist, has expired, or has reached its visit limit.",
    )
}

/// 503 when the database cannot be reached.
pub fn unavailable() -> Response {
    render_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "We could not look this link up right now. Please try again in a moment.",
    )
}

/// The web app's routes (`/app…`, `/static/…`, and the analytics pages of [`link`]), with the
/// security headers applied.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app", get(dashboard::show))
        .route("/app/login", get(login::show).post(login::submit))
        .route("/app/logout", post(login::logout))
        .route("/app/links", post(link_forms::create))
        .route("/app/links/new", get(link_forms::new))
        .route(
            "/app/links/{code}/edit",
            get(link_forms::edit).post(link_forms::update),
        )
        .route(
            "/app/links/{code}/delete",
            get(link_forms::confirm_delete).post(link_forms::delete),
        )
        .route("/static/{file}", get(assets::serve))
        .layer(axum::Extension(throttle::LoginThrottle::default()))
        .layer(axum::middleware::from_fn(security::headers))
        .merge(link::routes())
}
