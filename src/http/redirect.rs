//! `GET|HEAD /{shortCode}` and `/{shortCode}/track`: the hot path. One cache lookup, the click
//! handed to the writer, one response; enrichment happens later in the workers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::visit::{VisitFacts, record};
use super::{AppState, domains, pages};
use crate::clicks::VisitKind;
use crate::links::rules::{Locate, Place, Visitor};
use crate::links::{Miss, RedirectTarget, ShortCode};
use crate::pipeline::enrich::is_bot;

/// The histogram of how long the redirect handler takes, in seconds.
pub const LATENCY_METRIC: &str = "linkpulse_redirect_latency_seconds";

/// Browsers must not cache a redirect we need to count.
const NO_STORE: HeaderValue = HeaderValue::from_static("private, max-age=0");

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// Redirects to the link's long URL, or shows the friendly 404 page (recorded as an orphan visit);
/// `/{code}+` is the link's public analytics page instead.
pub async fn follow(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(code) = code.strip_suffix('+') {
        return pages::public::page(&state, code, &uri, &headers).await;
    }
    let started = Instant::now();
    let target = match active_target(&state, &code, &headers).await {
        Ok(target) => target,
        Err(Refusal::NoSuchLink) => {
            let facts = orphan(VisitKind::InvalidShortUrl, &uri, &headers, peer);
            record(&state, facts).await;
            return not_found_redirect(&state, Miss::InvalidShortUrl, &uri)
                .unwrap_or_else(pages::not_found);
        }
        Err(Refusal::Disabled(target)) => {
            return disabled(&state, &target, &uri, &headers, peer).await;
        }
        Err(Refusal::Unavailable) => return pages::unavailable(),
    };
    let location = target.location(&visitor(&state, peer, &uri, &headers, &|ip| {
        let found = state.geo.lookup(ip)?;
        Some(Place {
            country_code: found.country_code,
            city: found.city_name,
        })
    }));
    let Ok(location_header) = HeaderValue::try_from(location.as_str()) else {
        return pages::not_found();
    };
    let facts = VisitFacts {
        kind: VisitKind::ValidShortUrl,
        link_id: Some(target.link_id),
        redirect_url: Some(location),
        uri: &uri,
        headers: &headers,
        peer,
    };
    record(&state, facts).await;
    let response = (
        state.settings.redirect_status.code(),
        [
            (header::LOCATION, location_header),
            (header::CACHE_CONTROL, NO_STORE),
        ],
    )
        .into_response();
    state
        .redirect_latency
        .record(started.elapsed().as_secs_f64());
    response
}

/// Shlink's tracking pixel: always a GIF; counts a visit when the link is active.
pub async fn track(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let facts = match active_target(&state, &code, &headers).await {
        Ok(target) => Some(VisitFacts {
            kind: VisitKind::ValidShortUrl,
            link_id: Some(target.link_id),
            redirect_url: None,
            uri: &uri,
            headers: &headers,
            peer,
        }),
        Err(Refusal::NoSuchLink | Refusal::Disabled(_)) => {
            Some(orphan(VisitKind::InvalidShortUrl, &uri, &headers, peer))
        }
        Err(Refusal::Unavailable) => None,
    };
    if let Some(facts) = facts {
        record(&state, facts).await;
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/gif")),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        PIXEL,
    )
        .into_response()
}

/// The bare base URL: an orphan visit, then the operator's base URL redirect or our landing
/// page leading to the dashboard.
pub async fn base_url(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&state, orphan(VisitKind::BaseUrl, &uri, &headers, peer)).await;
    not_found_redirect(&state, Miss::BaseUrl, &uri).unwrap_or_else(pages::landing)
}

/// Any other unknown path: an orphan visit, then the operator's regular 404 redirect or the
/// friendly 404 page.
pub async fn regular_404(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&state, orphan(VisitKind::Regular404, &uri, &headers, peer)).await;
    not_found_redirect(&state, Miss::Regular404, &uri).unwrap_or_else(pages::not_found)
}

/// A 302 to where the operator sends visitors who made `miss` (`PATCH /domains/redirects`),
/// if anywhere; always 302 whatever `--redirect-status` says, since the setting may change.
fn not_found_redirect(state: &AppState, miss: Miss, uri: &Uri) -> Option<Response> {
    let domain = domains::authority(&state.settings.base_url);
    let target = state
        .not_found
        .current()
        .target(miss, &domain, uri.path())?;
    found(&target)
}

/// An uncached 302 to `location`.
fn found(location: &str) -> Option<Response> {
    let location = HeaderValue::try_from(location).ok()?;
    let headers = [
        (header::LOCATION, location),
        (header::CACHE_CONTROL, NO_STORE),
    ];
    Some((StatusCode::FOUND, headers).into_response())
}

/// A link that exists but does not redirect now (expired, not yet valid, visit cap reached):
/// the visit is an orphan visit (Shlink counts it so: it is no visit of the link, nor of its
/// cap), sent to the link's `expiredUrl`, else the server's `--expired-url`, else where an
/// unknown code goes.
async fn disabled(
    state: &AppState,
    target: &RedirectTarget,
    uri: &Uri,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Response {
    let destination = target
        .expired_url
        .clone()
        .or_else(|| state.settings.expired_url.clone());
    let mut facts = orphan(VisitKind::InvalidShortUrl, uri, headers, peer);
    facts.redirect_url.clone_from(&destination);
    record(state, facts).await;
    destination
        .as_deref()
        .and_then(found)
        .or_else(|| not_found_redirect(state, Miss::InvalidShortUrl, uri))
        .unwrap_or_else(pages::not_found)
}

/// The visit as redirect rules see it; `locate` is asked only by geolocation conditions.
fn visitor<'a>(
    state: &AppState,
    peer: SocketAddr,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    locate: Locate<'a>,
) -> Visitor<'a> {
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
    Visitor::new(
        header(header::USER_AGENT),
        header(header::ACCEPT_LANGUAGE),
        uri.query(),
        Some(state.client_ip.resolve(peer.ip(), headers)),
        Utc::now(),
        locate,
    )
}

/// Why a code does not redirect.
enum Refusal {
    /// No link has it: an orphan visit.
    NoSuchLink,
    /// The link exists but does not redirect now: an orphan visit, sent to its expired URL.
    Disabled(Arc<RedirectTarget>),
    /// The database failed and nothing is known about the code: not a visit of anything.
    Unavailable,
}

/// The link behind `code` if it exists and redirects now. A human visit of a capped link is
/// granted by the store first, so the cap is exact; bots (judged by the pipeline's own detector)
/// never use it up, and uncapped links cost no I/O.
async fn active_target(
    state: &AppState,
    code: &str,
    headers: &HeaderMap,
) -> Result<Arc<RedirectTarget>, Refusal> {
    let Ok(code) = ShortCode::parse(code) else {
        return Err(Refusal::NoSuchLink);
    };
    let target = match state.redirects.lookup(&code).await {
        Ok(Some(target)) if target.is_enabled_at(Utc::now()) => target,
        Ok(Some(target)) => return Err(Refusal::Disabled(target)),
        Ok(None) => return Err(Refusal::NoSuchLink),
        Err(err) => {
            tracing::error!(error = %err, code = %code, "redirect lookup failed");
            return Err(Refusal::Unavailable);
        }
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|agent| agent.to_str().ok());
    if target.max_visits.is_none() || is_bot(user_agent) {
        return Ok(target);
    }
    match state.store.take_capped_visit(target.link_id).await {
        Ok(true) => Ok(target),
        Ok(false) => {
            state.redirects.invalidate(code.as_str());
            Err(Refusal::Disabled(target))
        }
        Err(err) => {
            tracing::error!(error = %err, code = %code, "cannot grant a capped visit");
            Err(Refusal::Unavailable)
        }
    }
}

fn orphan<'a>(
    kind: VisitKind,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    peer: SocketAddr,
) -> VisitFacts<'a> {
    VisitFacts {
        kind,
        link_id: None,
        redirect_url: None,
        uri,
        headers,
        peer,
    }
}
