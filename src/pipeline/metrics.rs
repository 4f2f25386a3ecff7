//! Pipeline and redirect metrics, rendered in Prometheus text format at `GET /metrics`.
//!
//! Each application instance owns its recorder (nothing global), so several servers in one test
//! process never mix their figures.

use metrics::{Counter, Gauge, Histogram, Key, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::clicks::OutboxStats;

/// Bucket bounds in seconds, from a fraction of a millisecond to minutes.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Bucket bounds for writer and worker batch sizes.
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// Every metric the pipeline and the redirect path record.
#[derive(Clone)]
pub struct PipelineMetrics {
    handle: PrometheusHandle,
    /// Events committed to the outbox.
    pub enqueued: Counter,
    /// Events turned into clicks (or found to be duplicates) and removed from the outbox.
    pub processed: Counter,
    /// Events put back for another attempt after a retryable failure.
    pub retried: Counter,
    /// Events moved to the dead-letter table.
    pub dead_lettered: Counter,
    /// Events refused because the writer's buffer stayed full for the whole wait.
    pub dropped: Counter,
    /// Redirects that waited for room in a full buffer (back pressure).
    pub waited: Counter,
    /// Events accepted but not yet committed to the outbox.
    pub buffered: Gauge,
    /// Rows waiting in the outbox (set at scrape time).
    pub backlog: Gauge,
    /// Age of the oldest outbox row in seconds (set at scrape time).
    pub oldest_age: Gauge,
    /// Rows in the dead-letter table (set at scrape time).
    pub dead_letters: Gauge,
    /// Seconds from the request to the stored click.
    pub click_latency: Histogram,
    /// Seconds the redirect handler took.
    pub redirect_latency: Histogram,
    /// Events per outbox commit.
    pub batch_size: Histogram,
    /// Outbox rows claimed per worker batch (empty claims are not recorded).
    pub worker_batch_size: Histogram,
}

impl PipelineMetrics {
    /// A fresh, private recorder with every metric registered at zero.
    pub fn new() -> Self {
        let recorder = build_recorder();
        let counter =
            |name: &'static str| recorder.register_counter(&Key::from_static_name(name), &meta());
        let gauge =
            |name: &'static str| recorder.register_gauge(&Key::from_static_name(name), &meta());
        let histogram =
            |name: &'static str| recorder.register_histogram(&Key::from_static_name(name), &meta());
        let metrics = Self {
            enqueued: counter("linkpulse_events_enqueued_total"),
            processed: counter("linkpulse_events_processed_total"),
            retried: counter("linkpulse_events_retried_total"),
            dead_lettered: counter("linkpulse_events_dead_lettered_total"),
            dropped: counter("linkpulse_events_dropped_total"),
            waited: counter("linkpulse_events_waited_total"),
            buffered: gauge("linkpulse_events_buffered"),
            backlog: gauge("linkpulse_outbox_backlog"),
            oldest_age: gauge("linkpulse_outbox_oldest_age_seconds"),
            dead_letters: gauge("linkpulse_dead_letters"),
            click_latency: histogram("linkpulse_click_latency_seconds"),
            redirect_latency: histogram("linkpulse_redirect_latency_seconds"),
            batch_size: histogram("linkpulse_writer_batch_size"),
            worker_batch_size: histogram("linkpulse_worker_batch_size"),
            handle: recorder.handle(),
        };
        for counter in [
            &metrics.enqueued,
            &metrics.processed,
            &metrics.retried,
            &metrics.dead_lettered,
            &metrics.dropped,
            &metrics.waited,
        ] {
            counter.increment(0);
        }
        metrics.buffered.set(0.0);
        metrics
    }

    /// Counts a click stored (or found already stored) and its latency from the request.
    pub fn record_stored(&self, click: &crate::clicks::Click, now: chrono::DateTime<chrono::Utc>) {
        self.processed.increment(1);
        let latency = (now - click.occurred_at).num_microseconds().unwrap_or(0);
        self.click_latency.record(latency.max(0) as f64 / 1e6);
    }

    /// Sets the queue gauges from a fresh database reading.
    pub fn observe_outbox(&self, stats: &OutboxStats, now: chrono::DateTime<chrono::Utc>) {
        self.backlog.set(stats.backlog as f64);
        self.dead_letters.set(stats.dead_letters as f64);
        let age = stats.oldest_enqueued_at.map_or(0.0, |oldest| {
            (now - oldest).num_milliseconds().max(0) as f64 / 1000.0
        });
        self.oldest_age.set(age);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

impl Default for PipelineMetrics {
    fn default() -> Self {
        Self::new()
    }
}

fn meta() -> Metadata<'static> {
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()))
}

fn build_recorder() -> PrometheusRecorder {
    use metrics_exporter_prometheus::Matcher;
    let builder = PrometheusBuilder::new();
    let with_buckets = builder
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Suffix("_batch_size".into()), BATCH_BUCKETS)
        });
    match with_buckets {
        Ok(builder) => builder.build_recorder(),
        Err(err) => {
            tracing::warn!(error = %err, "histogram buckets refused; using summaries");
            PrometheusBuilder::new().build_recorder()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = PipelineMetrics::new();
        metrics.enqueued.increment(3);
        metrics.batch_size.record(3.0);
        let text = metrics.render();
        assert!(text.contains("linkpulse_events_enqueued_total 3"), "{text}");
        assert!(text.contains("linkpulse_events_dropped_total 0"), "{text}");
        assert!(
            text.contains("linkpulse_writer_batch_size_bucket"),
            "{text}"
        );
    }

    #[test]
    fn queue_gauges_show_the_last_reading_with_the_age_in_seconds() {
        let metrics = PipelineMetrics::new();
        let now = chrono::Utc::now();
        let stats = OutboxStats {
            backlog: 7,
            oldest_enqueued_at: Some(now - chrono::TimeDelta::milliseconds(1_500)),
            dead_letters: 2,
        };
        metrics.observe_outbox(&stats, now);
        let text = metrics.render();
        assert!(text.contains("linkpulse_outbox_backlog 7\n"), "{text}");
        assert!(text.contains("linkpulse_dead_letters 2\n"), "{text}");
        assert!(
            text.contains("linkpulse_outbox_oldest_age_seconds 1.5\n"),
            "{text}"
        );
    }

    #[test]
    fn instances_do_not_share_figures() {
        let (a, b) = (PipelineMetrics::new(), PipelineMetrics::new());
        a.processed.increment(5);
        assert!(b.render().contains("linkpulse_events_processed_total 0"));
    }
}
