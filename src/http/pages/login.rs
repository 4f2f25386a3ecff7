//! `GET/POST /app/login` (sign in with an API key) and `POST /app/logout`.

use std::net::SocketAddr;

use askama::Template;
use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{PageForm, PageQuery};
use super::layout::{Layout, render};
use super::session::{self, SignedIn, safe_next};
use super::throttle::LoginThrottle;
use super::{PageError, csrf};
use crate::http::AppState;

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    layout: Layout,
    csrf: &'a str,
    next: &'a str,
    error: Option<&'a str>,
}

/// `?next=` of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    api_key: String,
    csrf: String,
    next: String,
}

/// A form that carries nothing but its CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

impl CsrfForm {
    /// The token the form carried.
    pub fn token(&self) -> &str {
        &self.csrf
    }
}

/// Shown after a wrong key; deliberately says nothing about why.
const WRONG_KEY: &str = "That API key was not accepted. Check it and try again.";

/// Shown for a key with roles: the web app shows and edits every link, so it needs an admin key.
const LIMITED_KEY: &str = "That API key is limited to some links or visits; the web app needs a \
                           key without roles (linkpulse api-key generate --name NAME).";

/// `GET /app/login`: the sign-in form, with its double-submit token cookie.
#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<LoginQuery>,
) -> Result<Response, PageError> {
    let next = safe_next(query.next.as_deref());
    login_page(&state, &headers, &next, StatusCode::OK, None)
}

/// `POST /app/login`: opens a session for a valid key, else shows the form again (422).
#[tracing::instrument(skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(throttle): Extension<LoginThrottle>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    let ip = state.client_ip.resolve(peer.ip(), &headers);
    throttle
        .check(&ip)
        .map_err(|paused| PageError::TooManyAttempts {
            retry_after: paused.retry_after,
        })?;
    csrf::LOGIN.verify(&headers, &form.csrf)?;
    let next = safe_next(Some(&form.next));
    let key = form.api_key.trim();
    let identity = match key {
        "" => None,
        key => state.api_keys.identify(key).await?,
    };
    if let Some(limited) = identity.as_ref().filter(|id| !id.roles.is_admin()) {
        tracing::info!(client = %ip, key = %limited.name, "sign-in with a limited API key");
        return login_page(
            &state,
            &headers,
            &next,
            StatusCode::FORBIDDEN,
            Some(LIMITED_KEY),
        );
    }
    if identity.is_none() {
        throttle.failed(ip);
        tracing::info!(client = %ip, "sign-in with a wrong API key");
        return login_page(
            &state,
            &headers,
            &next,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(WRONG_KEY),
        );
    }
    throttle.succeeded(&ip);
    let session_cookie = session::open(&state, key).await?;
    Ok((
        AppendHeaders([
            (header::SET_COOKIE, session_cookie),
            (
                header::SET_COOKIE,
                csrf::LOGIN.clear_cookie(&state.settings),
            ),
        ]),
        Redirect::to(&next),
    )
        .into_response())
}

/// `POST /app/logout`: ends the session here and in the database.
#[tracing::instrument(skip_all)]
pub async fn logout(
    State(state): State<AppState>,
    signed_in: SignedIn,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PageError> {
    csrf::verify(&signed_in, form.token())?;
    state.store.delete_session(signed_in.token_hash()).await?;
    Ok((
        [(header::SET_COOKIE, session::clear(&state.settings))],
        Redirect::to("/app/login"),
    )
        .into_response())
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    next: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let token = csrf::LOGIN.token(headers);
    let page = LoginPage {
        layout: Layout::signed_out(),
        csrf: &token,
        next,
        error,
    };
    let mut response = render(status, &page)?;
    let cookie = csrf::LOGIN.cookie(&token, &state.settings);
    if let Ok(value) = header::HeaderValue::try_from(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
