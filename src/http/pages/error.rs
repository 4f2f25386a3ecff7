//! `PageError`: every way a page can fail, and its one rendering as a friendly HTML page.

use std::time::Duration;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::security;
use crate::store::StoreError;

/// The page shown for errors: unknown links, expired forms, failures.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    /// A link onward (`href`, label), when there is somewhere useful to go.
    action: Option<(&'a str, &'a str)>,
}

/// Everything a page handler can fail with; never rendered as problem+json.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No valid session: the browser is sent to the sign-in page, then back to `next`.
    #[error("sign-in required")]
    SignInRequired {
        /// The local path (with query) to return to after signing in.
        next: String,
    },
    /// A form came without its CSRF token, or with a wrong one; nothing was changed.
    #[error("missing or invalid CSRF token")]
    Csrf,
    /// Too many failed sign-ins from this client; it must wait.
    #[error("too many failed sign-in attempts")]
    TooManyAttempts {
        /// How long until attempts are accepted again.
        retry_after: Duration,
    },
    /// Too many wrong passwords for a protected link from this client; it must wait.
    #[error("too many wrong passwords")]
    TooManyPasswords {
        /// How long until attempts are accepted again.
        retry_after: Duration,
    },
    /// No link has this short code.
    #[error("no short URL with code {0}")]
    LinkNotFound(String),
    /// No page at this address.
    #[error("page not found")]
    NotFound,
    /// The request could not be understood (e.g. a malformed form body).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The store failed; logged, shown as a generic failure.
    #[error(transparent)]
    Store(StoreError),
    /// Anything else (e.g. a template failed); logged, shown as a generic failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::LinkNotFound(code) => Self::LinkNotFound(code),
            other => Self::Store(other),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            Self::SignInRequired { next } => {
                let target = format!("/app/login?next={}", encode(next));
                return Redirect::to(&target).into_response();
            }
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was missing its security token or it was out of date, so nothing was \
                 changed. Go back, reload the page and try again.",
            ),
            Self::TooManyAttempts { retry_after } => {
                return paused(
                    *retry_after,
                    "Too many sign-in attempts",
                    "Sign-in is paused for this address after several wrong API keys. Please \
                     wait a few minutes and try again.",
                );
            }
            Self::TooManyPasswords { retry_after } => {
                return paused(
                    *retry_after,
                    "Too many attempts",
                    "This link is paused for your address after several wrong passwords. \
                     Please wait a few minutes and try again.",
                );
            }
            Self::LinkNotFound(_) => (
                StatusCode::NOT_FOUND,
                "Link not found",
                "There is no short link with this code. It may have been deleted.",
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address.",
            ),
            Self::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "Bad request",
                "The request could not be understood. Go back and try again.",
            ),
            Self::Store(err) if err.is_unavailable() => {
                tracing::warn!(error = %err, "page failed: database unavailable");
                return super::unavailable();
            }
            Self::Store(err) => {
                tracing::error!(error = %err, "page failed in the store");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The page could not be loaded; the problem has been logged. Please try \
                     again in a moment.",
                )
            }
            Self::Internal(err) => {
                tracing::error!(error = ?err, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The page could not be loaded; the problem has been logged. Please try \
                     again in a moment.",
                )
            }
        };
        render_error(status, title, message)
    }
}

/// 429 with `Retry-After`.
fn paused(retry_after: Duration, title: &str, message: &str) -> Response {
    let mut response = render_error(StatusCode::TOO_MANY_REQUESTS, title, message);
    if let Ok(value) = HeaderValue::try_from(retry_after.as_secs().to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The friendly error page with `status`, carrying the security headers (it is served from
/// the redirect routes too, which have no page middleware).
pub(super) fn render_error(status: StatusCode, title: &str, message: &str) -> Response {
    render_page(status, title, message, None)
}

/// [`render_error`] with a link onward.
pub(super) fn render_page(
    status: StatusCode,
    title: &str,
    message: &str,
    action: Option<(&str, &str)>,
) -> Response {
    let page = ErrorPage {
        title,
        message,
        action,
    };
    let mut response = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "error page failed to render");
            (status, title.to_owned()).into_response()
        }
    };
    security::apply(response.headers_mut());
    response
}

/// Percent-encodes a query value (`/` becomes `%2F`).
pub(super) fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
