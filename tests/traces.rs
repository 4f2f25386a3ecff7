//! OpenTelemetry over OTLP/HTTP protobuf, against a collector in the test: one click's redirect
//! span continues the caller's trace, and the writer's commit, the click's processing and its
//! delivery to a broker join it (a child of the redirect and linked to it), with the documented
//! attributes and resource.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use common::{Backend, spawn_app_with};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message as _;
use serde_json::json;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// Every span the collector got, with its resource's `service.name`.
type Received = Arc<Mutex<Vec<(String, Span)>>>;

/// An OTLP/HTTP collector on port 0 that decodes and keeps every exported span.
async fn collector() -> (String, Received) {
    async fn take(State(received): State<Received>, body: Bytes) -> &'static str {
        let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
        for resource_spans in request.resource_spans {
            let attributes = resource_spans
                .resource
                .map(|resource| resource.attributes)
                .unwrap_or_default();
            let service = text(&attributes, "service.name").unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    received.lock().unwrap().push((service.clone(), span));
                }
            }
        }
        ""
    }
    let received = Received::default();
    let app = Router::new()
        .route("/v1/traces", post(take))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), received)
}

fn value<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Any> {
    attributes
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    match value(attributes, key)? {
        Any::StringValue(text) => Some(text.clone()),
        _ => None,
    }
}

fn number(attributes: &[KeyValue], key: &str) -> Option<i64> {
    match value(attributes, key)? {
        Any::IntValue(number) => Some(*number),
        _ => None,
    }
}

/// The first span `wanted` picks (with its service), waiting up to 20 s for the export.
async fn awaited(
    received: &Received,
    what: &str,
    wanted: impl Fn(&Span) -> bool,
) -> (String, Span) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = received
            .lock()
            .unwrap()
            .iter()
            .find(|(_, span)| wanted(span))
            .cloned();
        if let Some(found) = found {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still missing after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first span named `name`.
async fn named(received: &Received, name: &str) -> (String, Span) {
    awaited(received, name, |span| span.name == name).await
}

async fn one_click_is_one_trace(backend: Backend) {
    let (endpoint, received) = collector().await;
    let app = spawn_app_with(
        backend,
        &[
            "--workers",
            "1",
            "--click-ack",
            "commit",
            "--otlp-endpoint",
            &endpoint,
            "--otel-service-name",
            "linkpulse-test",
            "--redis-url",
            "redis://127.0.0.1:6379",
        ],
    )
    .await;
    app.create_link(json!({"longUrl": "https://example.com/traced", "customSlug": "traced"}))
        .await;
    let redirect = app
        .client
        .get(format!("{}/traced", app.address))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 302);

    let (service, redirect) = named(&received, "GET /{shortCode}").await;
    assert_eq!(service, "linkpulse-test");
    assert_eq!(
        hex::encode(&redirect.trace_id),
        TRACE_ID,
        "the caller's trace goes on"
    );
    assert_eq!(hex::encode(&redirect.parent_span_id), CALLER_SPAN);
    assert_eq!(redirect.kind, SpanKind::Server as i32);
    assert_eq!(
        number(&redirect.attributes, "http.response.status_code"),
        Some(302)
    );
    assert_eq!(
        text(&redirect.attributes, "http.route").as_deref(),
        Some("/{shortCode}")
    );
    assert_eq!(
        text(&redirect.attributes, "url.path").as_deref(),
        Some("/traced")
    );

    let (_, processed) = named(&received, "process clicks").await;
    assert_eq!(
        processed.trace_id, redirect.trace_id,
        "the worker's span is in the redirect's trace"
    );
    assert_eq!(
        processed.parent_span_id, redirect.span_id,
        "a child of the redirect"
    );
    assert!(
        processed
            .links
            .iter()
            .any(|link| link.span_id == redirect.span_id),
        "and linked to it"
    );
    assert_eq!(processed.kind, SpanKind::Consumer as i32);
    assert_eq!(
        text(&processed.attributes, "messaging.system").as_deref(),
        Some("linkpulse")
    );
    assert_eq!(
        text(&processed.attributes, "messaging.operation.type").as_deref(),
        Some("process")
    );
    let message_id =
        text(&processed.attributes, "messaging.message.id").expect("the click's message id");
    assert!(uuid::Uuid::parse_str(&message_id).is_ok(), "{message_id}");

    let (_, committed) = named(&received, "send clicks").await;
    assert!(
        committed
            .links
            .iter()
            .any(|link| link.span_id == redirect.span_id)
    );
    assert_eq!(
        number(&committed.attributes, "messaging.batch.message_count"),
        Some(1)
    );

    // The link's creation is delivered too, in a trace of its own: find the click's delivery.
    let of_click =
        |span: &Span| text(&span.attributes, "messaging.message.id").as_ref() == Some(&message_id);
    let (_, delivered) = awaited(&received, "the click's delivery span", |span| {
        span.name == "send redis" && of_click(span)
    })
    .await;
    assert_eq!(
        delivered.trace_id, redirect.trace_id,
        "the delivery joins the trace too"
    );
    assert_eq!(delivered.parent_span_id, redirect.span_id);
    assert_eq!(delivered.kind, SpanKind::Producer as i32);
    assert_eq!(
        text(&delivered.attributes, "messaging.system").as_deref(),
        Some("redis")
    );
    assert_eq!(
        text(&delivered.attributes, "messaging.destination.name").as_deref(),
        Some("redis")
    );
}

backend_tests!(one_click_is_one_trace);
