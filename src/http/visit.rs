//! Turns an HTTP request into a `ClickEvent` for the pipeline (no I/O, no waiting).

use std::net::SocketAddr;

use axum::http::{HeaderMap, Uri, header};
use chrono::Utc;
use uuid::Uuid;

use super::AppState;
use crate::clicks::VisitKind;
use crate::pipeline::event::ClickEvent;

/// What the request was about, from the handler's point of view.
pub struct VisitFacts<'a> {
    /// Valid visit or orphan kind.
    pub kind: VisitKind,
    /// The link, for valid visits.
    pub link_id: Option<i64>,
    /// Where the client is sent, if anywhere.
    pub redirect_url: Option<String>,
    /// A split link's chosen destination, before the query was merged in.
    pub destination: Option<String>,
    /// The request's path and query.
    pub uri: &'a Uri,
    /// The request's headers.
    pub headers: &'a HeaderMap,
    /// The socket peer.
    pub peer: SocketAddr,
}

/// Builds the event and hands it to the writer (waiting only in `commit` ack mode).
pub async fn record(state: &AppState, facts: VisitFacts<'_>) {
    let header = |name: header::HeaderName| {
        facts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let path = facts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let incoming_trace = facts
        .headers
        .get("traceparent")
        .and_then(|value| value.to_str().ok());
    let span = state.metrics.traces.redirect(incoming_trace);
    let event = ClickEvent {
        message_id: Uuid::now_v7(),
        kind: facts.kind,
        link_id: facts.link_id,
        occurred_at: Utc::now(),
        client_ip: Some(state.client_ip.resolve(facts.peer.ip(), facts.headers)),
        user_agent: header(header::USER_AGENT),
        referrer: header(header::REFERER),
        visited_url: state.settings.absolute_url(path),
        redirect_url: facts.redirect_url,
        destination: facts.destination,
        traceparent: Some(span.traceparent.clone()),
    };
    let kind = event.kind;
    // A visit with a destination is redirected; a link's without one is its tracking pixel.
    let answered = match (&event.redirect_url, kind) {
        (Some(_), _) => state.settings.redirect_status.code().as_u16(),
        (None, VisitKind::ValidShortUrl) => 200,
        (None, _) => 404,
    };
    state.clicks.record(event).await;
    span.end(answered, "/{shortCode}", facts.uri.path(), kind.as_str());
}
