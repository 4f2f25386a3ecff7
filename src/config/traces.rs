//! `serve`'s tracing flags: where OpenTelemetry spans are exported, if anywhere.

use clap::Args;
use url::Url;

use crate::traces::Traces;

/// OTLP export of traces (off unless an endpoint is given).
#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    /// Export traces over OTLP/HTTP (protobuf) to the collector at this base URL, e.g.
    /// `http://127.0.0.1:4318` (spans go to `/v1/traces`); unset, no span is made at all.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", hide_env_values = true)]
    pub otlp_endpoint: Option<Url>,

    /// The `service.name` spans are exported under (`OTEL_RESOURCE_ATTRIBUTES` adds more).
    #[arg(
        long,
        env = "OTEL_SERVICE_NAME",
        hide_env_values = true,
        default_value = "linkpulse"
    )]
    pub otel_service_name: String,
}

impl TraceArgs {
    /// Where spans go: exported when an endpoint is set, nowhere otherwise.
    pub fn traces(&self) -> anyhow::Result<Traces> {
        match &self.otlp_endpoint {
            Some(endpoint) => Traces::export(endpoint, &self.otel_service_name),
            None => Ok(Traces::off()),
        }
    }
}
