//! The click pipeline's metrics: queue depth and age, throughput, retries, dead letters, drops,
//! batch sizes and how long a click takes from the request to storage.

use metrics::{Counter, Gauge, Histogram};

use crate::clicks::OutboxStats;
use crate::telemetry::MetricsRegistry;
use crate::traces::Traces;

/// Every metric the click pipeline records.
#[derive(Clone)]
pub struct PipelineMetrics {
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
    /// Unix time of the last successful reading of the three gauges above: while the database
    /// is down they keep their last values, and this says how old those are.
    pub outbox_read_at: Gauge,
    /// Seconds from the request to the stored click.
    pub click_latency: Histogram,
    /// Events per outbox commit.
    pub batch_size: Histogram,
    /// Outbox rows claimed per worker batch (empty claims are not recorded).
    pub worker_batch_size: Histogram,
    /// Where the spans of commits and of processed clicks go (nowhere unless tracing is on).
    pub traces: Traces,
}

impl PipelineMetrics {
    /// The pipeline's metrics, registered on `registry` (shown at `/metrics`).
    pub fn on(registry: &MetricsRegistry) -> Self {
        let metrics = Self {
            enqueued: registry.counter("linkpulse_events_enqueued_total"),
            processed: registry.counter("linkpulse_events_processed_total"),
            retried: registry.counter("linkpulse_events_retried_total"),
            dead_lettered: registry.counter("linkpulse_events_dead_lettered_total"),
            dropped: registry.counter("linkpulse_events_dropped_total"),
            waited: registry.counter("linkpulse_events_waited_total"),
            buffered: registry.gauge("linkpulse_events_buffered"),
            backlog: registry.gauge("linkpulse_outbox_backlog"),
            oldest_age: registry.gauge("linkpulse_outbox_oldest_age_seconds"),
            dead_letters: registry.gauge("linkpulse_dead_letters"),
            outbox_read_at: registry.gauge("linkpulse_outbox_stats_read_timestamp_seconds"),
            click_latency: registry.histogram("linkpulse_click_latency_seconds"),
            batch_size: registry.histogram("linkpulse_writer_batch_size"),
            worker_batch_size: registry.histogram("linkpulse_worker_batch_size"),
            traces: Traces::off(),
        };
        metrics.buffered.set(0.0);
        metrics
    }

    /// The same metrics, with the pipeline's spans exported to `traces`.
    pub fn traced(self, traces: Traces) -> Self {
        Self { traces, ..self }
    }

    /// The pipeline's metrics on a registry of their own, for workers whose figures nobody
    /// scrapes (`linkpulse worker`, tests, benchmarks).
    pub fn unscraped() -> Self {
        Self::on(&MetricsRegistry::new())
    }

    /// Counts a click stored (or found already stored) and its latency from the request.
    pub fn record_stored(
        &self,
        click: &crate::clicks::Click,
        started: std::time::SystemTime,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        self.traces.processed(click, started);
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
        self.outbox_read_at
            .set(now.timestamp_millis() as f64 / 1000.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let registry = MetricsRegistry::new();
        let metrics = PipelineMetrics::on(&registry);
        metrics.enqueued.increment(3);
        metrics.batch_size.record(3.0);
        let text = registry.render();
        assert!(text.contains("linkpulse_events_enqueued_total 3"), "{text}");
        assert!(text.contains("linkpulse_events_dropped_total 0"), "{text}");
        assert!(
            text.contains("linkpulse_writer_batch_size_bucket"),
            "{text}"
        );
    }

    #[test]
    fn queue_gauges_show_the_last_reading_with_the_age_in_seconds() {
        let registry = MetricsRegistry::new();
        let metrics = PipelineMetrics::on(&registry);
        let now = chrono::Utc::now();
        let stats = OutboxStats {
            backlog: 7,
            oldest_enqueued_at: Some(now - chrono::TimeDelta::milliseconds(1_500)),
            dead_letters: 2,
        };
        metrics.observe_outbox(&stats, now);
        let text = registry.render();
        assert!(text.contains("linkpulse_outbox_backlog 7\n"), "{text}");
        assert!(text.contains("linkpulse_dead_letters 2\n"), "{text}");
        assert!(
            text.contains("linkpulse_outbox_oldest_age_seconds 1.5\n"),
            "{text}"
        );
        let read_at = format!(
            "linkpulse_outbox_stats_read_timestamp_seconds {}\n",
            now.timestamp_millis() as f64 / 1000.0
        );
        assert!(text.contains(&read_at), "{text}");
    }
}
