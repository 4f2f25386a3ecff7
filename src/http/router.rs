//! Every route in one place.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use tower_http::trace::TraceLayer;

use super::error::ApiError;
use super::{AppState, admin, domains, health, pages, redirect, short_urls, tags, visits};

/// Largest accepted request body; larger ones get 413.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// API versions Shlink clients may address; all speak the v3 contract.
const API_VERSIONS: [&str; 3] = ["/rest/v1", "/rest/v2", "/rest/v3"];

/// The whole application's routes over `state`.
pub fn router(state: AppState) -> Router {
    let api = rest_api();
    let mut app = Router::new()
        .route("/rest/health", get(health::check))
        .route("/rest/{*rest}", any(api_not_found));
    for prefix in API_VERSIONS {
        app = app.nest(prefix, api.clone());
    }
    app.route("/", get(redirect::base_url))
        .route("/metrics", get(admin::metrics))
        .nest("/admin", admin::router())
        .merge(pages::routes())
        .route("/{short_code}", get(redirect::follow))
        .route("/{short_code}/track", get(redirect::track))
        .fallback(redirect::regular_404)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Shlink's REST API v3, mounted under each `/rest/v{n}`.
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
        .route("/domains", get(domains::list))
        .route("/short-urls/shorten", any(not_implemented))
        .route(
            "/short-urls/{short_code}/redirect-rules",
            any(not_implemented),
        )
        .route(
            "/short-urls/{short_code}/visits",
            get(visits::link_visits).delete(visits::delete_link_visits),
        )
        .route("/tags/{tag}/visits", get(visits::tag_visits))
        .route("/domains/{domain}/visits", any(not_implemented))
        .route("/domains/redirects", any(not_implemented))
        .route("/visits", get(visits::overview))
        .route(
            "/visits/orphan",
            get(visits::orphan_visits).delete(visits::delete_orphan_visits),
        )
        .route("/visits/non-orphan", get(visits::non_orphan_visits))
        .route("/mercure-info", any(not_implemented))
        .fallback(api_not_found)
}

async fn not_implemented() -> ApiError {
    ApiError::NotImplemented("this part of the Shlink API")
}

async fn api_not_found() -> ApiError {
    ApiError::RouteNotFound
}
