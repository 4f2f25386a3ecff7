//! `MetricsRegistry`: the Prometheus recorder every part registers its metrics on, rendered in
//! text format at `GET /metrics`.
//!
//! Each application instance owns its registry (nothing global), so several servers in one test
//! process never mix their figures.

use std::sync::Arc;

use metrics::{Counter, Gauge, Histogram, Key, Metadata, Recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

/// Bucket bounds in seconds, from a fraction of a millisecond to minutes.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Bucket bounds for writer and worker batch sizes.
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// One instance's metrics: `*_seconds` histograms get latency buckets, `*_batch_size` ones
/// batch buckets.
#[derive(Clone)]
pub struct MetricsRegistry {
    recorder: Arc<PrometheusRecorder>,
}

impl MetricsRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        let with_buckets = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Suffix("_batch_size".into()), BATCH_BUCKETS)
            });
        let recorder = match with_buckets {
            Ok(builder) => builder.build_recorder(),
            Err(err) => {
                tracing::warn!(error = %err, "histogram buckets refused; using summaries");
                PrometheusBuilder::new().build_recorder()
            }
        };
        Self {
            recorder: Arc::new(recorder),
        }
    }

    /// A counter, shown at once as 0 so a scrape sees it before its first event.
    pub fn counter(&self, name: &'static str) -> Counter {
        let counter = self
            .recorder
            .register_counter(&Key::from_static_name(name), &meta());
        counter.increment(0);
        counter
    }

    /// A gauge.
    pub fn gauge(&self, name: &'static str) -> Gauge {
        self.recorder
            .register_gauge(&Key::from_static_name(name), &meta())
    }

    /// A histogram (buckets chosen by the name's suffix).
    pub fn histogram(&self, name: &'static str) -> Histogram {
        self.recorder
            .register_histogram(&Key::from_static_name(name), &meta())
    }

    /// The Prometheus text exposition of everything registered.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
}

impl Default for MetricsRegistry {
    fn default() -> Self {
        Self::new()
    }
}

fn meta() -> Metadata<'static> {
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms_with_their_buckets() {
        let registry = MetricsRegistry::new();
        registry.counter("lp_things_total").increment(3);
        let _unused = registry.counter("lp_none_total");
        registry.histogram("lp_writer_batch_size").record(3.0);
        registry.histogram("lp_wait_seconds").record(0.002);
        let text = registry.render();
        assert!(text.contains("lp_things_total 3"), "{text}");
        assert!(text.contains("lp_none_total 0"), "{text}");
        assert!(
            text.contains("lp_writer_batch_size_bucket{le=\"4\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("lp_wait_seconds_bucket{le=\"0.0025\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn registries_do_not_share_figures() {
        let (a, b) = (MetricsRegistry::new(), MetricsRegistry::new());
        a.counter("lp_processed_total").increment(5);
        let _unused = b.counter("lp_processed_total");
        assert!(b.render().contains("lp_processed_total 0"));
    }
}
