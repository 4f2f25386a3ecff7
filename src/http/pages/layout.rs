//! What `templates/base.html` needs from every page, and rendering a page into a response.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::PageError;
use super::session::SignedIn;

/// The layout's inputs: with a session, the header shows the navigation and the sign-out form.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The session's CSRF token, for the sign-out form; `None` when signed out.
    pub csrf_token: Option<String>,
}

impl Layout {
    /// The layout of a signed-in page.
    pub fn signed_in(session: &SignedIn) -> Self {
        Self {
            csrf_token: Some(session.csrf_token().to_owned()),
        }
    }

    /// The layout of a page shown without a session (sign-in, public pages).
    pub fn signed_out() -> Self {
        Self::default()
    }
}

/// Renders `page` as HTML with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Result<Response, PageError> {
    let body = page
        .render()
        .map_err(|err| PageError::Internal(anyhow::Error::new(err)))?;
    Ok((status, Html(body)).into_response())
}
