//! `GET|HEAD /{shortCode}` and `/{shortCode}/track`: the hot path. One cache lookup, the click
//! handed to the writer, one response; enrichment happens later in the workers. A protected
//! link answers with its password form instead (`unlock.rs` takes the password).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

mod unlock;

pub use self::unlock::unlock;
use super::visit::{VisitFacts, record};
use super::{AppState, domains, host, pages};
use crate::clicks::VisitKind;
use crate::http::pages::unlock::Attempt;
use crate::links::rules::{Locate, Place, Visitor};
use crate::links::{Bucket, Domain, LinkAddress, Miss, RedirectTarget, ShortCode};
use crate::pipeline::enrich::is_bot;
use crate::pipeline::visitor::visitor_hash;

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
/// `/{code}+` is the link's public analytics page instead, and a protected link shows its
/// password form (nothing recorded until the password is given).
pub async fn follow(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(domain) = host::request_domain(&state, peer.ip(), &headers) else {
        return pages::not_found();
    };
    if let Some(code) = code.strip_suffix('+') {
        return pages::public::page(&state, domain, code, &uri, &headers).await;
    }
    let started = Instant::now();
    let (link, target) = match lookup(&state, domain, &code).await {
        Ok(found) => found,
        Err((domain, refusal)) => {
            return refused(&state, &domain, refusal, &uri, &headers, peer).await;
        }
    };
    if target.password.is_some() {
        return pages::unlock::form(&state, &link, &uri, &headers, Attempt::First);
    }
    let visit = Visit {
        uri: &uri,
        headers: &headers,
        peer,
    };
    match grant(&state, &link, target, &headers).await {
        Ok(target) => {
            let status = state.settings.redirect_status.code();
            let response = redirect(&state, &target, &visit, status).await;
            state
                .redirect_latency
                .record(started.elapsed().as_secs_f64());
            response
        }
        Err(refusal) => refused(&state, &link.domain, refusal, &uri, &headers, peer).await,
    }
}

/// The request a redirect answers.
struct Visit<'a> {
    uri: &'a Uri,
    headers: &'a HeaderMap,
    peer: SocketAddr,
}

/// Sends the visitor where `target`'s rules choose, with `status`, and records the visit.
async fn redirect(
    state: &AppState,
    target: &RedirectTarget,
    visit: &Visit<'_>,
    status: StatusCode,
) -> Response {
    let bucket = if target.split.is_empty() {
        None
    } else {
        Some(split_bucket(state, target, visit).await)
    };
    // The visitor's lazily worked-out facts stay in this block: they are not `Send`.
    let (location, destination) = {
        let locate = |ip| {
            let found = state.geo.lookup(ip)?;
            Some(Place {
                country_code: found.country_code,
                city: found.city_name,
            })
        };
        let visitor = visitor(state, visit, &locate);
        let destination = target.destination(&visitor, bucket);
        let location = target.location(destination, &visitor);
        let split = (!target.split.is_empty()).then(|| destination.to_owned());
        (location, split)
    };
    let Ok(location_header) = HeaderValue::try_from(location.as_str()) else {
        return pages::not_found();
    };
    let facts = VisitFacts {
        kind: VisitKind::ValidShortUrl,
        link_id: Some(target.link_id),
        redirect_url: Some(location),
        destination,
        uri: visit.uri,
        headers: visit.headers,
        peer: visit.peer,
    };
    record(state, facts).await;
    (
        status,
        [
            (header::LOCATION, location_header),
            (header::CACHE_CONTROL, NO_STORE),
        ],
    )
        .into_response()
}

/// The answer when a code does not redirect: an orphan visit and the not-found redirect or
/// page, a disabled link's expired destination, or 503.
async fn refused(
    state: &AppState,
    domain: &Domain,
    refusal: Refusal,
    uri: &Uri,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Response {
    match refusal {
        Refusal::NoSuchLink => {
            let facts = orphan(VisitKind::InvalidShortUrl, uri, headers, peer);
            record(state, facts).await;
            not_found_redirect(state, domain, Miss::InvalidShortUrl, uri)
                .unwrap_or_else(pages::not_found)
        }
        Refusal::Disabled(target) => disabled(state, domain, &target, uri, headers, peer).await,
        Refusal::Unavailable => pages::unavailable(),
    }
}

/// Shlink's tracking pixel: always a GIF; counts a visit when the link is active (a protected
/// link's only once its password is given, so never here).
pub async fn track(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let granted = match host::request_domain(&state, peer.ip(), &headers) {
        None => Err(Refusal::Unavailable),
        Some(domain) => match lookup(&state, domain, &code).await {
            Ok((_, target)) if target.password.is_some() => Err(Refusal::Unavailable),
            Ok((link, target)) => grant(&state, &link, target, &headers).await,
            Err((_, refusal)) => Err(refusal),
        },
    };
    let facts = match granted {
        Ok(target) => Some(VisitFacts {
            kind: VisitKind::ValidShortUrl,
            link_id: Some(target.link_id),
            redirect_url: None,
            destination: None,
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
    let Some(domain) = host::request_domain(&state, peer.ip(), &headers) else {
        return pages::not_found();
    };
    record(&state, orphan(VisitKind::BaseUrl, &uri, &headers, peer)).await;
    not_found_redirect(&state, &domain, Miss::BaseUrl, &uri).unwrap_or_else(pages::landing)
}

/// Any other unknown path: an orphan visit, then the operator's regular 404 redirect or the
/// friendly 404 page.
pub async fn regular_404(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(domain) = host::request_domain(&state, peer.ip(), &headers) else {
        return pages::not_found();
    };
    record(&state, orphan(VisitKind::Regular404, &uri, &headers, peer)).await;
    not_found_redirect(&state, &domain, Miss::Regular404, &uri).unwrap_or_else(pages::not_found)
}

/// A 302 to where the operator sends visitors who made `miss` on `domain` (`PATCH
/// /domains/redirects`, the default domain's where it names none), if anywhere; always 302
/// whatever `--redirect-status` says, since the setting may change.
fn not_found_redirect(
    state: &AppState,
    domain: &Domain,
    miss: Miss,
    uri: &Uri,
) -> Option<Response> {
    let name = match domain.name() {
        Some(name) => name.to_owned(),
        None => domains::authority(&state.settings.base_url),
    };
    let target = state
        .domains
        .redirects_for(domain)
        .target(miss, &name, uri.path())?;
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
    domain: &Domain,
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
        .or_else(|| not_found_redirect(state, domain, Miss::InvalidShortUrl, uri))
        .unwrap_or_else(pages::not_found)
}

/// Where the visitor falls in `target`'s split: the bucket of its daily visitor hash, the very
/// hash its visit is counted under, so it keeps its destination all day on every instance. The
/// day's salt is fetched once per instance; if the database cannot give it in time, an unsalted
/// hash still places the visitor (consistently, until the salt is known).
async fn split_bucket(state: &AppState, target: &RedirectTarget, visit: &Visit<'_>) -> Bucket {
    let today = Utc::now().date_naive();
    let salt = match tokio::time::timeout(SALT_WAIT, state.visitor_salts.salt(today)).await {
        Ok(Ok(salt)) => salt,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "no visitor salt for the A/B split; using an unsalted hash");
            Arc::from("")
        }
        Err(_) => {
            tracing::warn!("the visitor salt took too long; using an unsalted hash");
            Arc::from("")
        }
    };
    let ip = state.client_ip.resolve(visit.peer.ip(), visit.headers);
    let user_agent = visit
        .headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok());
    Bucket::of(&visitor_hash(&salt, target.link_id, ip, user_agent))
}

/// How long a split's redirect waits for the day's salt before placing the visitor without it.
const SALT_WAIT: Duration = Duration::from_millis(250);

/// The visit as redirect rules see it; `locate` is asked only by geolocation conditions.
fn visitor<'a>(state: &AppState, visit: &Visit<'a>, locate: Locate<'a>) -> Visitor<'a> {
    let header = |name| {
        visit
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    Visitor::new(
        header(header::USER_AGENT),
        header(header::ACCEPT_LANGUAGE),
        visit.uri.query(),
        Some(state.client_ip.resolve(visit.peer.ip(), visit.headers)),
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

/// The link behind `code` on `domain` if it exists and may redirect now (its visit cap aside:
/// see [`grant`]); a refusal comes with the domain, whose not-found redirects then apply.
async fn lookup(
    state: &AppState,
    domain: Domain,
    code: &str,
) -> Result<(LinkAddress, Arc<RedirectTarget>), (Domain, Refusal)> {
    let Ok(code) = ShortCode::parse(code) else {
        return Err((domain, Refusal::NoSuchLink));
    };
    let link = LinkAddress { domain, code };
    match state.redirects.lookup(&link).await {
        Ok(Some(target)) if target.is_enabled_at(Utc::now()) => Ok((link, target)),
        Ok(Some(target)) => Err((link.domain, Refusal::Disabled(target))),
        Ok(None) => Err((link.domain, Refusal::NoSuchLink)),
        Err(err) => {
            tracing::error!(error = %err, link = %link, "redirect lookup failed");
            Err((link.domain, Refusal::Unavailable))
        }
    }
}

/// `target` when this visit may use it. A human visit of a capped link is granted by the
/// store first, so the cap is exact; bots (judged by the pipeline's own detector) never use it
/// up, and uncapped links cost no I/O.
async fn grant(
    state: &AppState,
    link: &LinkAddress,
    target: Arc<RedirectTarget>,
    headers: &HeaderMap,
) -> Result<Arc<RedirectTarget>, Refusal> {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|agent| agent.to_str().ok());
    if target.max_visits.is_none() || is_bot(user_agent) {
        return Ok(target);
    }
    match state.store.take_capped_visit(target.link_id).await {
        Ok(true) => Ok(target),
        Ok(false) => {
            state.redirects.invalidate(&link.cache_key());
            Err(Refusal::Disabled(target))
        }
        Err(err) => {
            tracing::error!(error = %err, link = %link, "cannot grant a capped visit");
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
        destination: None,
        uri,
        headers,
        peer,
    }
}
