//! The OTLP/HTTP (protobuf) export: a batching span processor whose requests go through our own
//! `reqwest` client on the application's runtime.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};

use super::{Exporting, Traces};

/// How often buffered spans are sent.
const EXPORT_EVERY: Duration = Duration::from_secs(1);

/// The longest one export request may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

impl Traces {
    /// Exports spans to the OTLP/HTTP collector at `endpoint` (its base URL: spans go to
    /// `{endpoint}/v1/traces`) as the service `service`; `OTEL_RESOURCE_ATTRIBUTES` adds
    /// resource attributes. Must be called on the application's runtime.
    pub fn export(endpoint: &url::Url, service: &str) -> anyhow::Result<Self> {
        let client = Runtime {
            client: reqwest::Client::builder().timeout(EXPORT_TIMEOUT).build()?,
            runtime: tokio::runtime::Handle::current(),
        };
        let exporter = SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!(
                "{}/v1/traces",
                endpoint.as_str().trim_end_matches('/')
            ))
            .with_timeout(EXPORT_TIMEOUT)
            .build()?;
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_scheduled_delay(EXPORT_EVERY)
                    .build(),
            )
            .build();
        let resource = Resource::builder()
            .with_service_name(service.to_owned())
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(resource)
            .build();
        let tracer = provider.tracer("linkpulse");
        Ok(Self(Some(Arc::new(Exporting { provider, tracer }))))
    }
}

/// The exporter's HTTP client: the span processor sends from a thread of its own, so each request
/// runs as a task on the application's runtime, where `reqwest` lives.
#[derive(Debug)]
struct Runtime {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait]
impl HttpClient for Runtime {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let client = self.client.clone();
        let sent = self.runtime.spawn(async move {
            let response = client.execute(request).await?;
            let mut answer = Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response.bytes().await?;
            Ok::<_, HttpError>(answer.body(body)?)
        });
        sent.await?
    }
}
