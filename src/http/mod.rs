//! The HTTP surface: Shlink's REST API, the redirect, our own routes and the pages.

mod access;
mod admin;
pub mod client_ip;
mod domains;
pub mod error;
pub mod events;
pub mod extract;
mod health;
mod host;
mod openapi;
mod pages;
mod pagination;
mod redirect;
mod robots;
mod router;
pub mod serve;
mod short_urls;
mod tags;
mod visit;
mod visits;
mod webhooks;

use std::sync::Arc;

use metrics::Histogram;

pub use health::SHLINK_COMPATIBLE_VERSION;
pub use redirect::LATENCY_METRIC as REDIRECT_LATENCY;
pub use router::router;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::auth::ApiKeyVerifier;
use crate::config::{RedirectStatus, UnknownHosts};
use crate::links::service::LinkService;
use crate::links::{Domain, DomainDirectory, LinkAddress, OwnOrigin, RedirectCache};
use crate::pipeline::enrich::GeoIp;
use crate::pipeline::metrics::PipelineMetrics;
use crate::pipeline::visitor::VisitorSalts;
use crate::pipeline::writer::ClickRecorder;
use crate::store::Store;
use crate::telemetry::MetricsRegistry;
use client_ip::ClientIpResolver;

/// Everything a handler needs; one `Arc`, so the clone axum makes per request is one atomic
/// increment however many parts the state has.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    /// Shares `parts` with every handler.
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The parts of `AppState`.
pub struct AppParts {
    /// The database, behind the one trait.
    pub store: Arc<dyn Store>,
    /// Link lookups for the redirect path, served from memory when hot.
    pub redirects: RedirectCache,
    /// The domains served and where visitors who miss a link on each are sent, held in memory
    /// for the redirect path.
    pub domains: DomainDirectory,
    /// Every edit of a link, keeping `redirects` true to it.
    pub links: LinkService,
    /// API key checks with a short-lived verdict cache.
    pub api_keys: ApiKeyVerifier,
    /// Settings that do not change while serving.
    pub settings: HttpSettings,
    /// Hands click events to the outbox writer.
    pub clicks: ClickRecorder,
    /// Finds the real client address behind trusted proxies.
    pub client_ip: ClientIpResolver,
    /// Every metric of this instance, rendered at `/metrics`.
    pub registry: MetricsRegistry,
    /// The pipeline's metrics (the queue gauges are read at scrape time).
    pub metrics: PipelineMetrics,
    /// How long the redirect handler takes.
    pub redirect_latency: Histogram,
    /// The geolocation database, so pages can credit it (DB-IP asks for an attribution).
    pub geo: Arc<GeoIp>,
    /// Cancelled when the server starts shutting down, so live-update streams end and let it.
    pub shutdown: CancellationToken,
    /// The day salts of the visitor hash, which places a visitor in a link's A/B split.
    pub visitor_salts: VisitorSalts,
}

/// The serving settings handlers read.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Public base URL; `shortUrl` is this plus the code, and links may not point here.
    pub base_url: Url,
    /// Status code of redirects.
    pub redirect_status: RedirectStatus,
    /// The longest a REST API request may take.
    pub request_timeout: std::time::Duration,
    /// The address the server listens on (`None` in tests without a listener).
    pub listen: Option<std::net::SocketAddr>,
    /// Origins whose browser pages may call the REST API (`*`: any).
    pub cors_origins: Vec<String>,
    /// The bearer token `/metrics` requires, if any.
    pub metrics_token: Option<String>,
    /// Where visitors of a link that does not redirect go when the link names no place itself.
    pub expired_url: Option<String>,
    /// How a request for a host not served here is answered.
    pub unknown_hosts: UnknownHosts,
    /// Whether webhooks may target private, loopback and link-local addresses.
    pub webhooks_allow_private: bool,
}

impl HttpSettings {
    /// Where we answer, which links may not point back to.
    pub fn own_origin(&self) -> OwnOrigin<'_> {
        match self.listen {
            Some(listen) => OwnOrigin::new(&self.base_url, listen),
            None => OwnOrigin::of(&self.base_url),
        }
    }

    /// The full short URL for a code on the default domain.
    pub fn short_url(&self, code: &str) -> String {
        self.absolute_url(code)
    }

    /// The full short URL of `link`: on its own domain, with the base URL's scheme.
    pub fn short_url_of(&self, link: &LinkAddress) -> String {
        match &link.domain {
            Domain::Default => self.short_url(link.code.as_str()),
            Domain::Named(name) => format!("{}://{name}/{}", self.base_url.scheme(), link.code),
        }
    }

    /// The full URL for a path (with or without its leading slash) on our base URL.
    pub fn absolute_url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}
