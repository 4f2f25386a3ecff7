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
    /// Uniformly over the last `days` days (history for the analytics pages).
    SpreadOverDays(i64),
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
    let mut left = count;
    while left > 0 {
        let size = left.min(ENQUEUE_BATCH);
        let batch: Vec<_> = (0..size)
            .map(|_| mix.entry(occurred_at(&mut rng, now, timing)))
            .collect();
        store.enqueue_clicks(&batch).await?;
        left -= size;
    }
    Ok(started.elapsed())
}

fn occurred_at(rng: &mut SmallRng, now: DateTime<Utc>, timing: Timing) -> DateTime<Utc> {
    match timing {
        Timing::Now => now,
        Timing::SpreadOverDays(days) => {
            let span_ms = days * 24 * 3_600_000;
            now - chrono::Duration::milliseconds(rng.random_range(0..span_ms.max(1)))
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
    let metrics = PipelineMetrics::new();
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
