//! Filling the outbox with realistic events, and draining it in-process with linkpulse's real
//! workers (so every click goes through the same enrichment and completion code, rollups
//! included, as in production).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use linkpulse::pipeline::enrich::{Enricher, GeoIp};
use linkpulse::pipeline::metrics::PipelineMetrics;
use linkpulse::pipeline::retry::Backoff;
use linkpulse::pipeline::worker::{Worker, WorkerSettings};
use linkpulse::store::Store;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::mix::EventMix;

/// Events per `enqueue_clicks` call (the outbox writer's largest batch).
const ENQUEUE_BATCH: usize = 4096;

/// When generated clicks happened.
#[derive(Debug, Clone, Copy)]
pub enum Timing {
    /// All now (a live backlog).
    Now,
    /// Uniformly over the last `days` days, in random order.
    SpreadOverDays(i64),
    /// History for the analytics pages: `total` clicks over the last `days` days, replayed in
    /// time order from the oldest, as live traffic arrives: each worker batch covers a narrow
    /// slice of time instead of touching rollup rows all over the 90 days, and each new day's
    /// salt prunes the visitor rows of the days before yesterday, so those tables hold what a
    /// running instance holds. `first` is how many of them earlier calls enqueued.
    OldestFirst {
        /// Length of the history.
        days: i64,
        /// Clicks in the whole history.
        total: usize,
        /// Clicks enqueued before this call.
        first: usize,
    },
}

/// Appends `count` events from `mix` to the outbox; returns how long it took.
pub async fn enqueue(
    store: &dyn Store,
    mix: &mut EventMix,
    count: usize,
    timing: Timing,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut rng = SmallRng::seed_from_u64(count as u64);
    let now = Utc::now();
    let mut done = 0;
    while done < count {
        let size = (count - done).min(ENQUEUE_BATCH);
        let batch: Vec<_> = (done..done + size)
            .map(|index| mix.entry(occurred_at(&mut rng, now, timing, index)))
            .collect();
        store.enqueue_clicks(&batch).await?;
        done += size;
    }
    Ok(started.elapsed())
}

/// When the `index`-th click of this call happened.
fn occurred_at(
    rng: &mut SmallRng,
    now: DateTime<Utc>,
    timing: Timing,
    index: usize,
) -> DateTime<Utc> {
    let span_ms = |days: i64| (days * 24 * 3_600_000).max(1);
    match timing {
        Timing::Now => now,
        Timing::SpreadOverDays(days) => {
            now - chrono::Duration::milliseconds(rng.random_range(0..span_ms(days)))
        }
        Timing::OldestFirst { days, total, first } => {
            let position = (first + index) as f64 + rng.random::<f64>();
            let age = span_ms(days) as f64 * (1.0 - position / total.max(1) as f64);
            now - chrono::Duration::milliseconds(age as i64)
        }
    }
}

/// The enricher the workers use, over the geo-IP file when there is one.
pub fn enricher(geoip: Option<&Path>) -> Arc<Enricher> {
    let geo = Arc::new(GeoIp::open(geoip.map(Path::to_path_buf)));
    Arc::new(Enricher::new(geo, true))
}

/// Runs `workers` workers claiming `batch` rows at a time until nothing is claimable; returns
/// how many rows they took and how long it took.
pub async fn drain(
    store: &Arc<dyn Store>,
    enricher: &Arc<Enricher>,
    workers: usize,
    batch: u32,
) -> anyhow::Result<(usize, Duration)> {
    let settings = WorkerSettings {
        batch_size: batch,
        lease: Duration::from_secs(300),
        idle_pause: Duration::from_millis(10),
        backoff: Backoff::default(),
    };
    let metrics = PipelineMetrics::unscraped();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers.max(1) {
        let worker = Worker::new(
            Arc::clone(store),
            Arc::clone(enricher),
            settings.clone(),
            metrics.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut taken = 0;
            loop {
                match worker.try_execute_batch().await? {
                    0 => return anyhow::Ok(taken),
                    n => taken += n,
                }
            }
        }));
    }
    let mut taken = 0;
    for task in tasks {
        taken += task.await??;
    }
    Ok((taken, started.elapsed()))
}
