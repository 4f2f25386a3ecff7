//! Starting and stopping the pipeline's tasks: the outbox writer, the workers, the geo reloader.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::direct::DirectStore;
use super::enrich::{Enricher, GeoIp};
use super::metrics::PipelineMetrics;
use super::prepare::ClickPreparer;
use super::retry::Backoff;
use super::worker::{Worker, WorkerSettings};
use crate::store::Store;

/// Pause of an idle worker before it looks at the outbox again.
const IDLE_PAUSE: Duration = Duration::from_millis(50);
/// How often the geo-IP file is checked for changes.
const GEO_RELOAD_EVERY: Duration = Duration::from_secs(30);

/// What the pipeline's tasks start with; `config` builds it from the command line.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// Worker tasks in this process (`None`: one per core; 0: redirect-only).
    pub workers: Option<usize>,
    /// Outbox rows a worker claims at once.
    pub batch_size: u32,
    /// How long a claim holds before another worker may take the rows over.
    pub lease: Duration,
    /// Retry delays and the attempts before dead-lettering.
    pub backoff: Backoff,
    /// The geo-IP database file, if any.
    pub geoip_db: Option<PathBuf>,
    /// Whether client IPs are anonymised before they are stored.
    pub anonymize_ip: bool,
}

/// Running workers (and the geo reloader), stopped together.
pub struct Workers {
    tasks: Vec<JoinHandle<()>>,
    stop: CancellationToken,
    geo: Arc<GeoIp>,
    direct: Option<DirectStore>,
}

impl Workers {
    /// Builds the enricher and spawns the configured workers over `store` on `runtime`.
    pub fn spawn(
        runtime: &Handle,
        store: &Arc<dyn Store>,
        settings: &PipelineSettings,
        metrics: &PipelineMetrics,
    ) -> Self {
        let _on_runtime = runtime.enter();
        let stop = CancellationToken::new();
        let count = settings.workers.unwrap_or_else(super::threads::cores);
        let mut tasks = Vec::with_capacity(count + 1);
        let mut direct = None;
        // Opened even without workers: the analytics pages show the database's attribution.
        let geo = Arc::new(GeoIp::open(settings.geoip_db.clone()));
        tasks.push(Arc::clone(&geo).spawn_reloader(GEO_RELOAD_EVERY, stop.clone()));
        if count > 0 {
            let enricher = Arc::new(Enricher::new(Arc::clone(&geo), settings.anonymize_ip));
            let preparer = Arc::new(ClickPreparer::new(Arc::clone(store), Arc::clone(&enricher)));
            direct = Some(DirectStore::new(
                Arc::clone(store),
                preparer,
                metrics.clone(),
            ));
            let worker_settings = WorkerSettings {
                batch_size: settings.batch_size.max(1),
                lease: settings.lease,
                idle_pause: IDLE_PAUSE,
                backoff: settings.backoff,
            };
            for _ in 0..count {
                let worker = Worker::new(
                    Arc::clone(store),
                    Arc::clone(&enricher),
                    worker_settings.clone(),
                    metrics.clone(),
                );
                tasks.push(tokio::spawn(worker.run(stop.clone())));
            }
        }
        tracing::info!(workers = count, "click workers started");
        Self {
            tasks,
            stop,
            geo,
            direct,
        }
    }

    /// How this process's writer stores clicks itself; `None` on a redirect-only node
    /// (`--workers 0`), whose clicks all go through the outbox to other processes' workers.
    pub fn direct_store(&self) -> Option<DirectStore> {
        self.direct.clone()
    }

    /// The geolocation database the workers use (shared, hot-reloaded).
    pub fn geo(&self) -> Arc<GeoIp> {
        Arc::clone(&self.geo)
    }

    /// Lets each worker finish the batch in hand, then waits for all of them.
    pub async fn stop(self) {
        self.stop.cancel();
        for task in self.tasks {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "a pipeline task failed");
            }
        }
        tracing::info!("click workers stopped");
    }
}
