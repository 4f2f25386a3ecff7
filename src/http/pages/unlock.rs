//! The password form of a protected link: shown at the link's own address instead of the
//! redirect, and posted back there (`http::redirect::unlock`). It names no destination.

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::layout::{Layout, render};
use super::{csrf, security};
use crate::http::AppState;
use crate::links::LinkAddress;

/// The password page.
#[derive(Template)]
#[template(path = "unlock.html")]
struct UnlockPage<'a> {
    layout: Layout,
    action: &'a str,
    csrf: &'a str,
    short_url: &'a str,
    error: Option<&'a str>,
}

/// The posted password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UnlockForm {
    password: String,
    csrf: String,
}

impl UnlockForm {
    /// The password as typed (never trimmed: spaces may be part of it).
    pub fn into_password(self) -> String {
        self.password
    }

    /// The form's CSRF token.
    pub fn token(&self) -> &str {
        &self.csrf
    }
}

/// Shown after a wrong password; says nothing more.
const WRONG_PASSWORD: &str = "That password is not right. Check it and try again.";

/// Whether the form is shown fresh or after a wrong password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The first showing (200).
    First,
    /// After a wrong password (403, with the message).
    Wrong,
}

/// The form for `link`, posting back to the requested address (its query string kept, so
/// query rules and forwarding still apply once unlocked), with its double-submit cookie.
pub fn form(
    state: &AppState,
    link: &LinkAddress,
    uri: &Uri,
    headers: &HeaderMap,
    attempt: Attempt,
) -> Response {
    let own_path = format!("/{}", link.code);
    let action = match uri.query() {
        Some(query) => format!("{own_path}?{query}"),
        None => own_path.clone(),
    };
    let token = csrf::UNLOCK.token(headers);
    let (status, error) = match attempt {
        Attempt::First => (StatusCode::OK, None),
        Attempt::Wrong => (StatusCode::FORBIDDEN, Some(WRONG_PASSWORD)),
    };
    let page = UnlockPage {
        layout: Layout::signed_out(),
        action: &action,
        csrf: &token,
        short_url: &state.settings.short_url_of(link),
        error,
    };
    let mut response = render(status, &page).unwrap_or_else(IntoResponse::into_response);
    let headers = response.headers_mut();
    security::apply(headers);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    let cookie = csrf::UNLOCK.cookie_at(&token, &own_path, &state.settings);
    if let Ok(value) = HeaderValue::try_from(cookie) {
        headers.append(header::SET_COOKIE, value);
    }
    response
}
