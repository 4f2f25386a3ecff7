//! OpenTelemetry traces, exported over OTLP/HTTP when `--otlp-endpoint` is set: the redirect's
//! span, the writer's commit, the processing of each click (a child of its redirect through the
//! `traceparent` stored with it, and linked to it, as River and graphile_worker do) and each
//! delivery to a consumer, which passes its own `traceparent` on. Off by default, and then every
//! call returns at once: no span is made.

mod context;
mod export;
mod spans;

use std::sync::Arc;

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

pub use context::child_traceparent;
pub use spans::{DeliverySpan, RedirectSpan};

/// Where spans go, if anywhere; cheap to clone.
#[derive(Clone, Default)]
pub struct Traces(Option<Arc<Exporting>>);

/// The exporting pipeline.
struct Exporting {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

impl Traces {
    /// No tracing: nothing is recorded or sent.
    pub fn off() -> Self {
        Self(None)
    }

    /// Whether spans are exported.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Sends the spans still buffered and stops exporting (at shutdown).
    pub fn shutdown(&self) {
        if let Some(exporting) = &self.0
            && let Err(err) = exporting.provider.shutdown()
        {
            tracing::warn!(error = %err, "the last spans could not be exported");
        }
    }
}

/// The span context a stored W3C `traceparent` names, as a remote parent.
pub fn remote_context(traceparent: &str) -> Option<SpanContext> {
    let mut parts = traceparent.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version != "00"
        || parts.next().is_some()
        || trace.len() != 32
        || span.len() != 16
        || flags.len() != 2
    {
        return None;
    }
    let trace_id = TraceId::from_hex(trace).ok()?;
    let span_id = SpanId::from_hex(span).ok()?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let context = SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(flags),
        true,
        TraceState::default(),
    );
    context.is_valid().then_some(context)
}

/// The W3C `traceparent` of `context`.
pub fn traceparent(context: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        context.trace_id(),
        context.span_id(),
        context.trace_flags().to_u8()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_reads_back_as_written() {
        let raw = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = remote_context(raw).unwrap();
        assert!(context.is_remote() && context.is_sampled());
        assert_eq!(traceparent(&context), raw);
        for broken in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01",
        ] {
            assert!(remote_context(broken).is_none(), "{broken}");
        }
    }

    #[test]
    fn off_makes_no_span() {
        let traces = Traces::off();
        assert!(!traces.is_on());
        let redirect = traces.redirect(Some(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ));
        assert!(
            redirect
                .traceparent
                .contains("4bf92f3577b34da6a3ce929d0e0e4736"),
            "the trace goes on"
        );
        assert!(!redirect.is_recording());
    }
}
