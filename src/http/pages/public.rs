//! `GET /{code}+`: a link's analytics page for anyone, when its owner made it public.
//!
//! It shows the same figures as the private page (totals, time series, breakdowns) and nothing
//! that identifies a visitor: no visit list, no IPs, no user agents, no export. A link that is
//! unknown or not public gets the same friendly 404, so the page reveals nothing either way.

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::PageError;
use super::layout::{Layout, render};
use super::link::find_address;
use super::link::report::{Report, ReportQuery, Selection};
use super::security;
use crate::http::AppState;
use crate::links::{Domain, LinkAddress, ShortCode};

/// The public analytics page.
#[derive(Template)]
#[template(path = "public.html")]
struct PublicPage {
    layout: Layout,
    title: Option<String>,
    short_url: String,
    report: Report,
    dbip: bool,
}

/// Answers `/{code}+` (called by the redirect route, which sees the `+`).
#[tracing::instrument(skip_all)]
pub async fn page(
    state: &AppState,
    domain: Domain,
    code: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let mut response = match build(state, domain, code, uri, headers).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };
    let headers = response.headers_mut();
    security::apply(headers);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn build(
    state: &AppState,
    domain: Domain,
    code: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let code = ShortCode::parse(code).map_err(|_| PageError::LinkNotFound(code.to_owned()))?;
    let (code, link) = find_address(state, LinkAddress { domain, code }).await?;
    if !state.store.is_public_stats(&code).await? {
        return Err(PageError::LinkNotFound(code.to_string()));
    }
    let query: ReportQuery =
        serde_html_form::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    let selection = Selection {
        destinations: false,
        ..Selection::new(&query, headers, &link)
    };
    let report = Report::load(state, &link, selection).await?;
    let page = PublicPage {
        layout: Layout::signed_out(),
        title: link.title.clone(),
        short_url: state.settings.short_url_of(&code),
        report,
        dbip: state.geo.is_dbip(),
    };
    render(StatusCode::OK, &page)
}
