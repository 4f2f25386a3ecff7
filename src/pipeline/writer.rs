//! The group-committing click writer: one task drains a bounded channel and commits whatever is
//! waiting (up to a batch limit) in one transaction, so batches grow with load and an idle
//! system adds no latency. In `immediate` mode it stores the clicks itself when this process runs
//! workers (`direct`); otherwise — and for what it could not store — it appends them to the
//! outbox.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::direct::DirectStore;
use super::event::ClickEvent;
use super::metrics::PipelineMetrics;
use crate::clicks::OutboxEntry;
use crate::store::Store;

/// In `immediate` mode, how long the writer lets events gather after the first one arrives
/// before it commits: nobody waits for the commit, and under load one statement per few hundred
/// clicks costs far less than one per handful (each is a round trip to the database thread).
const GATHER_FOR: Duration = Duration::from_millis(5);
/// Most events committed in one transaction (never more than the buffer holds, so a `kill -9`
/// loses at most twice the buffer: what waits in it plus the batch being committed). Under
/// sustained load a larger batch turns more of its rollup rows into one upsert for many clicks:
/// against 4,096, P7 measured 1.13× the redirects on SQLite and a redirect p99 of 5.6 ms instead
/// of 59 ms; 16,384 gained little more and raised peak memory past 150 MB (BENCHMARKS.md).
const MAX_BATCH: usize = 8192;
/// First pause after a failed commit; doubles up to `MAX_RETRY_PAUSE`.
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(10);
/// Longest pause between commit attempts while the database is down.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(1);

/// When the redirect answers relative to the click's commit (`--click-ack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckMode {
    /// Answer at once; the click is committed within milliseconds.
    Immediate,
    /// Answer once the click's batch committed (or the ack timeout passed).
    Commit,
}

/// How the writer buffers and acknowledges (`--click-*` flags).
#[derive(Debug, Clone, Copy)]
pub struct WriterSettings {
    /// Events buffered in memory between the redirects and the writer.
    pub capacity: usize,
    /// When a redirect is answered.
    pub mode: AckMode,
    /// In `commit` mode, the longest a redirect waits for its commit.
    pub ack_timeout: Duration,
    /// The longest a redirect waits for room in a full buffer before its click is dropped.
    pub full_wait: Duration,
}

/// One event travelling to the writer, with a way to tell the sender it was committed.
struct Envelope {
    event: ClickEvent,
    committed: Option<oneshot::Sender<()>>,
}

/// The redirect path's handle on the writer; cheap to clone.
#[derive(Clone)]
pub struct ClickRecorder {
    sender: mpsc::Sender<Envelope>,
    mode: AckMode,
    ack_timeout: Duration,
    full_wait: Duration,
    metrics: PipelineMetrics,
    drops: Arc<DropLog>,
}

impl ClickRecorder {
    /// Starts the writer task on `runtime` over `store` with a buffer of `capacity` events. With `direct`, in
    /// `immediate` mode the writer stores clicks itself and uses the outbox only for what it
    /// could not store. In `commit` mode every redirect waits for its commit, so the writer
    /// appends to the outbox (one statement, the shortest wait) and the workers store the clicks.
    pub fn spawn(
        runtime: &tokio::runtime::Handle,
        store: Arc<dyn Store>,
        direct: Option<DirectStore>,
        settings: WriterSettings,
        metrics: PipelineMetrics,
    ) -> (Self, JoinHandle<()>) {
        let capacity = settings.capacity.max(1);
        let (sender, receiver) = mpsc::channel(capacity);
        let max_batch = MAX_BATCH.min(capacity);
        let (gather, direct) = match settings.mode {
            AckMode::Immediate => (GATHER_FOR, direct),
            AckMode::Commit => (Duration::ZERO, None),
        };
        let task = runtime.spawn(run_writer(
            store,
            direct,
            receiver,
            Batching { max_batch, gather },
            metrics.clone(),
        ));
        let recorder = Self {
            sender,
            mode: settings.mode,
            ack_timeout: settings.ack_timeout,
            full_wait: settings.full_wait,
            metrics,
            drops: Arc::default(),
        };
        (recorder, task)
    }

    /// Hands an event to the writer. When the buffer is full the redirect waits for room (back
    /// pressure: the pipeline sets the pace) up to `--click-buffer-wait`; only a pipeline stalled
    /// longer than that drops the event (counted, and logged once per interval). In `commit`
    /// mode, then waits until the event is committed or the ack timeout passes.
    pub async fn record(&self, event: ClickEvent) {
        let (committed, waiter) = match self.mode {
            AckMode::Immediate => (None, None),
            AckMode::Commit => {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            }
        };
        let message_id = event.message_id;
        let envelope = Envelope { event, committed };
        let refused = match self.sender.try_send(envelope) {
            Ok(()) => None,
            Err(mpsc::error::TrySendError::Full(envelope)) => {
                self.metrics.waited.increment(1);
                match tokio::time::timeout(self.full_wait, self.sender.send(envelope)).await {
                    Ok(Ok(())) => None,
                    Ok(Err(_)) => Some("writer stopped"),
                    Err(_) => Some("buffer full"),
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Some("writer stopped"),
        };
        if let Some(reason) = refused {
            self.metrics.dropped.increment(1);
            self.drops.note(message_id, reason);
            return;
        }
        self.metrics.buffered.increment(1.0);
        if let Some(waiter) = waiter
            && tokio::time::timeout(self.ack_timeout, waiter)
                .await
                .is_err()
        {
            tracing::debug!(%message_id, "ack timeout: click stays buffered for retry");
        }
    }
}

/// How often, at most, dropped clicks are logged (each is counted in the metrics).
const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

/// Logs dropped clicks without flooding the log when many drop at once: the first at once, then
/// at most one line per [`DROP_LOG_EVERY`] with the number dropped since the last line.
#[derive(Default)]
struct DropLog {
    state: std::sync::Mutex<DropLogState>,
}

#[derive(Default)]
struct DropLogState {
    last_logged: Option<std::time::Instant>,
    unlogged: u64,
}

impl DropLog {
    fn note(&self, message_id: uuid::Uuid, reason: &str) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.unlogged += 1;
        let due = state
            .last_logged
            .is_none_or(|last| last.elapsed() >= DROP_LOG_EVERY);
        if due {
            tracing::warn!(%message_id, reason, count = state.unlogged, "clicks dropped");
            state.last_logged = Some(std::time::Instant::now());
            state.unlogged = 0;
        }
    }
}

/// How the writer forms batches.
#[derive(Debug, Clone, Copy)]
struct Batching {
    /// Most events per commit.
    max_batch: usize,
    /// How long to let a short batch fill before committing it (zero: commit at once).
    gather: Duration,
}

/// Commits batches until every sender is gone and the channel is empty (the shutdown flush).
async fn run_writer(
    store: Arc<dyn Store>,
    direct: Option<DirectStore>,
    mut receiver: mpsc::Receiver<Envelope>,
    batching: Batching,
    metrics: PipelineMetrics,
) {
    let max_batch = batching.max_batch;
    let mut batch = Vec::with_capacity(max_batch);
    while receiver.recv_many(&mut batch, max_batch).await > 0 {
        if batch.len() < max_batch && !batching.gather.is_zero() {
            tokio::time::sleep(batching.gather).await;
            while batch.len() < max_batch
                && let Ok(envelope) = receiver.try_recv()
            {
                batch.push(envelope);
            }
        }
        let started = std::time::SystemTime::now();
        let events: Vec<&ClickEvent> = batch.iter().map(|envelope| &envelope.event).collect();
        let for_outbox = match &direct {
            Some(direct) => direct.store(&events).await,
            None => (0..events.len()).collect(),
        };
        if !for_outbox.is_empty() {
            let now = Utc::now();
            let entries: Vec<OutboxEntry> = for_outbox
                .into_iter()
                .map(|index| events[index].to_outbox_entry(now))
                .collect();
            commit_until_done(store.as_ref(), &entries).await;
        }
        let committed = batch.len();
        let traceparents = events
            .iter()
            .filter_map(|event| event.traceparent.as_deref());
        metrics.traces.committed(committed, traceparents, started);
        metrics.enqueued.increment(committed as u64);
        metrics.buffered.decrement(committed as f64);
        metrics.batch_size.record(committed as f64);
        for envelope in batch.drain(..) {
            if let Some(ack) = envelope.committed {
                let _ = ack.send(());
            }
        }
    }
    tracing::info!("click writer flushed and stopped");
}

/// Retries a failed commit with growing pauses; accepted events are never given up.
#[tracing::instrument(level = "debug", skip_all)]
async fn commit_until_done(store: &dyn Store, entries: &[OutboxEntry]) {
    let mut pause = FIRST_RETRY_PAUSE;
    while let Err(err) = store.enqueue_clicks(entries).await {
        tracing::error!(error = %err, events = entries.len(), "outbox commit failed; retrying");
        tokio::time::sleep(pause).await;
        pause = next_retry_pause(pause);
    }
}

/// The pause after `pause` while the database keeps refusing commits: doubled, at most
/// `MAX_RETRY_PAUSE`, so an outage is retried often at first and then once a second.
fn next_retry_pause(pause: Duration) -> Duration {
    (pause * 2).min(MAX_RETRY_PAUSE)
}

#[cfg(test)]
mod tests;
