//! Security headers of every page, static asset and error page: a strict Content Security
//! Policy (no inline script or style, nothing from other origins), no sniffing, no framing.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Only our own scripts, styles, images (plus `data:` images) and requests; forms post only to
/// us; no framing, no `<base>` tricks.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Pages may hold private figures: never stored by browsers or proxies unless a handler
/// (static assets) chose otherwise.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// Middleware adding the security headers (and `no-store` unless set) to every response.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    apply(headers);
    headers.entry(header::CACHE_CONTROL).or_insert(NO_STORE);
    response
}

/// Sets the security headers on one response.
pub fn apply(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}
