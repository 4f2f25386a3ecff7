//! Every route in one place.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, patch, post};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use super::error::ApiError;
use super::extract::ApiKey;
use super::pages::{
    assets, dashboard, export, link, link_forms, link_rules, live, login, security, throttle,
};
use super::short_urls::contract;
use super::{
    AppState, admin, domains, health, redirect, robots, short_urls, tags, visits, webhooks,
};

/// Largest accepted request body; larger ones get 413.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a browser may reuse a CORS preflight's answer.
const CORS_MAX_AGE: Duration = Duration::from_secs(3600);

/// API versions Shlink clients may address; all speak the v3 contract.
const API_VERSIONS: [&str; 3] = ["/rest/v1", "/rest/v2", "/rest/v3"];

/// The whole application's routes over `state`. `/{short_code}` also answers `/{code}+`, the
/// public statistics page of a link that allows it (`redirect::follow` tells them apart: a code
/// never ends in `+`).
pub fn router(state: AppState) -> Router {
    let api = rest_api().layer(middleware::from_fn_with_state(state.clone(), time_limit));
    let mut rest = Router::new()
        .route(
            "/rest/health",
            get(health::check).fallback(method_not_allowed),
        )
        .route(
            "/rest/openapi.json",
            get(super::openapi::document).fallback(method_not_allowed),
        )
        .route("/rest/{*rest}", any(api_not_found));
    for prefix in API_VERSIONS {
        rest = rest.nest(prefix, api.clone());
    }
    let rest = rest
        .layer(cors(&state.settings.cors_origins))
        .layer(middleware::from_fn(preflight_no_content));
    Router::new()
        .merge(rest)
        .route("/", get(redirect::base_url))
        .route("/metrics", get(admin::metrics))
        .route("/robots.txt", get(robots::robots))
        .nest("/admin", admin_routes())
        .merge(pages())
        .route(
            "/{short_code}",
            get(redirect::follow)
                .post(redirect::unlock.layer(axum::Extension(throttle::UnlockThrottle::default()))),
        )
        .route("/{short_code}/track", get(redirect::track))
        .fallback(redirect::regular_404)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Our operational routes under `/admin` (API-key protected by their extractors).
fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/pipeline", get(admin::pipeline_status))
        .route("/dlq", get(admin::list_dead_letters))
        .route("/dlq/{id}", get(admin::show_dead_letter))
        .route("/dlq/replay", post(admin::replay))
        .route("/dlq/purge", post(admin::purge))
        .route("/webhooks", get(webhooks::list).post(webhooks::add))
        .route("/webhooks/{name}", delete(webhooks::remove))
        .route("/webhooks/{name}/rotate", post(webhooks::rotate))
        .route("/webhooks/{name}/dlq", get(webhooks::dead_letters))
        .route("/webhooks/{name}/replay", post(webhooks::replay))
        .method_not_allowed_fallback(method_not_allowed)
}

/// The server-rendered web app under `/app` and its assets, every response with the security
/// headers, gzipped for browsers that ask (the analytics page carries its map inline; live
/// event streams are left uncompressed).
fn pages() -> Router<AppState> {
    Router::new()
        .route("/app", get(dashboard::show))
        .route("/app/", get(dashboard::show))
        .route("/app/login", get(login::show).post(login::submit))
        .route("/app/logout", post(login::logout))
        .route("/app/links", post(link_forms::create))
        .route("/app/links/new", get(link_forms::new))
        .route("/app/links/{code}", get(link::show))
        .route(
            "/app/links/{code}/edit",
            get(link_forms::edit).post(link_forms::update),
        )
        .route(
            "/app/links/{code}/delete",
            get(link_forms::confirm_delete).post(link_forms::delete),
        )
        .route("/app/links/{code}/public", post(link::set_public))
        .route(
            "/app/links/{code}/rules",
            get(link_rules::edit).post(link_rules::update),
        )
        .route("/app/links/{code}/export.csv", get(export::csv))
        .route("/app/links/{code}/export.json", get(export::json))
        .route("/app/links/{code}/events", get(live::link_events))
        .route("/app/events", get(live::global_events))
        .route("/static/{file}", get(assets::serve))
        .layer(axum::Extension(throttle::LoginThrottle::default()))
        .layer(middleware::from_fn(security::headers))
        .layer(CompressionLayer::new())
}

/// Shlink's REST API v3, mounted under each `/rest/v{n}`. Every route here (and every other
/// API route above) is documented in `openapi.json`; `tests/openapi.rs` checks both ways.
fn rest_api() -> Router<AppState> {
    Router::new()
        .route(
            "/short-urls",
            get(short_urls::list).post(short_urls::create),
        )
        .route(
            "/short-urls/{short_code}",
            get(short_urls::get)
                .patch(short_urls::edit)
                .delete(short_urls::delete),
        )
        .route(
            "/tags",
            get(tags::list).put(tags::rename).delete(tags::delete),
        )
        .route("/tags/stats", get(tags::stats))
        .route("/health", get(health::check))
        .route("/domains", get(domains::list))
        .route("/short-urls/shorten", get(contract::shorten))
        .route(
            "/short-urls/{short_code}/redirect-rules",
            get(contract::redirect_rules).post(contract::set_redirect_rules),
        )
        .route(
            "/short-urls/{short_code}/visits",
            get(visits::link_visits).delete(visits::delete_link_visits),
        )
        .route("/tags/{tag}/visits", get(visits::tag_visits))
        .route("/domains/{domain}/visits", get(domains::domain_visits))
        .route("/domains/redirects", patch(domains::set_redirects))
        .route("/visits", get(visits::overview))
        .route(
            "/visits/orphan",
            get(visits::orphan_visits).delete(visits::delete_orphan_visits),
        )
        .route("/visits/non-orphan", get(visits::non_orphan_visits))
        .route("/mercure-info", get(mercure_info))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// CORS for the REST API, which browser clients on other origins (Shlink's web client) call
/// with the API key as the credential: `*` allows any origin, as Shlink does.
fn cors(origins: &[String]) -> CorsLayer {
    let allowed = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allowed)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            HeaderName::from_static("x-api-key"),
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
        ])
        .max_age(CORS_MAX_AGE)
}

/// A CORS preflight answered by [`cors`] says "no content" with 204, as Shlink's does.
async fn preflight_no_content(request: Request, next: Next) -> Response {
    let preflight = request.method() == Method::OPTIONS;
    let mut response = next.run(request).await;
    if preflight && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

/// Answers 503 problem+json for an API request still running after `--request-timeout`.
async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.settings.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable(format!(
            "the request took longer than {}",
            humantime::format_duration(limit)
        ))
        .into_response(),
    }
}

/// Real-time events are not offered through a Mercure hub here.
async fn mercure_info(_key: ApiKey) -> ApiError {
    ApiError::MercureNotConfigured
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn api_not_found() -> ApiError {
    ApiError::RouteNotFound
}
