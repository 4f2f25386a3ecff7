//! The spans linkpulse makes, with OpenTelemetry's HTTP and `messaging.*` semantic conventions.

use std::time::SystemTime;

use opentelemetry::trace::{Link, Span as _, SpanKind, Status, TraceContextExt, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::Span;

use super::{Traces, child_traceparent, remote_context, traceparent};
use crate::clicks::Click;
use crate::consumers::ConsumerKind;

/// Most redirects one commit span links to.
const MOST_LINKS: usize = 128;

/// The redirect's span while its request is handled, and the `traceparent` stored with its
/// click (the span's own when tracing, a fresh child of the caller's otherwise).
pub struct RedirectSpan {
    /// What the click carries, so its processing joins this trace.
    pub traceparent: String,
    span: Option<Span>,
}

impl RedirectSpan {
    /// Whether a span is recorded.
    pub fn is_recording(&self) -> bool {
        self.span.is_some()
    }

    /// Ends the span with the response's status and what the visit was.
    pub fn end(self, status: u16, route: &'static str, path: &str, kind: &str) {
        if let Some(mut span) = self.span {
            span.set_attributes([
                KeyValue::new("http.response.status_code", i64::from(status)),
                KeyValue::new("http.route", route),
                KeyValue::new("url.path", path.to_owned()),
                KeyValue::new("linkpulse.visit.type", kind.to_owned()),
            ]);
            span.end();
        }
    }
}

/// One delivery's span, and the `traceparent` the delivery carries on.
pub struct DeliverySpan {
    /// What goes in the webhook's or message's headers.
    pub traceparent: Option<String>,
    span: Option<Span>,
}

impl DeliverySpan {
    /// Ends the span: delivered, or why not.
    pub fn end(self, failure: Option<&str>) {
        if let Some(mut span) = self.span {
            if let Some(reason) = failure {
                span.set_status(Status::error(reason.to_owned()));
            }
            span.end();
        }
    }
}

impl Traces {
    /// Starts the span of a redirect whose caller sent `incoming` (a W3C `traceparent`).
    pub fn redirect(&self, incoming: Option<&str>) -> RedirectSpan {
        let Some(exporting) = &self.0 else {
            return RedirectSpan {
                traceparent: child_traceparent(incoming),
                span: None,
            };
        };
        let parent = parent_of(incoming);
        let span = exporting
            .tracer
            .span_builder("GET /{shortCode}")
            .with_kind(SpanKind::Server)
            .with_attributes([KeyValue::new("http.request.method", "GET")])
            .start_with_context(&exporting.tracer, &parent);
        RedirectSpan {
            traceparent: traceparent(span.span_context()),
            span: Some(span),
        }
    }

    /// Records the writer's commit of `count` clicks started at `started`, linked to (up to 128
    /// of) their redirects.
    pub fn committed<'a>(
        &self,
        count: usize,
        traceparents: impl Iterator<Item = &'a str>,
        started: SystemTime,
    ) {
        let Some(exporting) = &self.0 else {
            return;
        };
        let links = traceparents
            .filter_map(remote_context)
            .take(MOST_LINKS)
            .map(Link::with_context)
            .collect();
        exporting
            .tracer
            .span_builder("send clicks")
            .with_kind(SpanKind::Producer)
            .with_start_time(started)
            .with_links(links)
            .with_attributes([
                KeyValue::new("messaging.system", "linkpulse"),
                KeyValue::new("messaging.operation.type", "send"),
                KeyValue::new("messaging.destination.name", "clicks"),
                KeyValue::new("messaging.batch.message_count", count as i64),
            ])
            .start(&exporting.tracer)
            .end();
    }

    /// Records the enrichment and completion of `click`, started at `started`: a child of its
    /// redirect's span (from the stored `traceparent`), linked to it too.
    pub fn processed(&self, click: &Click, started: SystemTime) {
        let Some(exporting) = &self.0 else {
            return;
        };
        let stored = click.traceparent.as_deref();
        let redirect = stored.and_then(remote_context);
        let parent = parent_of(stored);
        let mut attributes = vec![
            KeyValue::new("messaging.system", "linkpulse"),
            KeyValue::new("messaging.operation.type", "process"),
            KeyValue::new("messaging.operation.name", "process"),
            KeyValue::new("messaging.destination.name", "clicks"),
            KeyValue::new("messaging.message.id", click.message_id.to_string()),
        ];
        if let Some(link) = click.short_url_id {
            attributes.push(KeyValue::new("linkpulse.link.id", link));
        }
        exporting
            .tracer
            .span_builder("process clicks")
            .with_kind(SpanKind::Consumer)
            .with_start_time(started)
            .with_links(redirect.into_iter().map(Link::with_context).collect())
            .with_attributes(attributes)
            .start_with_context(&exporting.tracer, &parent)
            .end();
    }

    /// Starts the span of one delivery of `message_id` to the consumer `consumer`, a child of
    /// the redirect's span named by `stored` (the click's `traceparent`).
    pub fn delivery(
        &self,
        consumer: &str,
        kind: ConsumerKind,
        message_id: &str,
        stored: Option<&str>,
    ) -> DeliverySpan {
        let Some(exporting) = &self.0 else {
            return DeliverySpan {
                traceparent: stored.map(str::to_owned),
                span: None,
            };
        };
        let system = match kind {
            ConsumerKind::Webhook => "webhook",
            broker => broker.as_str(),
        };
        let span = exporting
            .tracer
            .span_builder(format!("send {consumer}"))
            .with_kind(match kind {
                ConsumerKind::Webhook => SpanKind::Client,
                _ => SpanKind::Producer,
            })
            .with_attributes([
                KeyValue::new("messaging.system", system),
                KeyValue::new("messaging.operation.type", "send"),
                KeyValue::new("messaging.destination.name", consumer.to_owned()),
                KeyValue::new("messaging.message.id", message_id.to_owned()),
            ])
            .start_with_context(&exporting.tracer, &parent_of(stored));
        DeliverySpan {
            traceparent: Some(traceparent(span.span_context())),
            span: Some(span),
        }
    }
}

/// The context a `traceparent` continues (a fresh trace when there is none, or it is invalid).
fn parent_of(traceparent: Option<&str>) -> Context {
    traceparent
        .and_then(remote_context)
        .map_or_else(Context::new, |context| {
            Context::new().with_remote_span_context(context)
        })
}
