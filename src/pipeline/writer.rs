//! The group-committing outbox writer: one task drains a bounded channel and commits whatever is
//! waiting (up to a batch limit) in one transaction, so batches grow with load and an idle
//! system adds no latency.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::event::ClickEvent;
use super::metrics::PipelineMetrics;
use crate::store::{OutboxEntry, Store};

/// Most events committed in one transaction (never more than the buffer holds, so a `kill -9`
/// loses at most twice the buffer: what waits in it plus the batch being committed).
const MAX_BATCH: usize = 4096;
/// First pause after a failed commit; doubles up to `MAX_RETRY_PAUSE`.
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(10);
/// Longest pause between commit attempts while the database is down.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(1);

/// When the redirect answers relative to the click's commit (`--click-ack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AckMode {
    /// Answer at once; the click is committed within milliseconds.
    Immediate,
    /// Answer once the click's batch committed (or the ack timeout passed).
    Commit,
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
    metrics: PipelineMetrics,
}

impl ClickRecorder {
    /// Starts the writer task over `store` with a buffer of `capacity` events.
    pub fn spawn(
        store: Arc<dyn Store>,
        capacity: usize,
        mode: AckMode,
        ack_timeout: Duration,
        metrics: PipelineMetrics,
    ) -> (Self, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let max_batch = MAX_BATCH.min(capacity.max(1));
        let task = tokio::spawn(run_writer(store, receiver, max_batch, metrics.clone()));
        let recorder = Self {
            sender,
            mode,
            ack_timeout,
            metrics,
        };
        (recorder, task)
    }

    /// Hands an event to the writer. In `commit` mode, waits until it is committed or the ack
    /// timeout passes; a full buffer drops the event (counted and logged), never blocks.
    pub async fn record(&self, event: ClickEvent) {
        let (committed, waiter) = match self.mode {
            AckMode::Immediate => (None, None),
            AckMode::Commit => {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            }
        };
        let message_id = event.message_id;
        if let Err(err) = self.sender.try_send(Envelope { event, committed }) {
            self.metrics.dropped.increment(1);
            let reason = match err {
                mpsc::error::TrySendError::Full(_) => "buffer full",
                mpsc::error::TrySendError::Closed(_) => "writer stopped",
            };
            tracing::warn!(%message_id, reason, "click dropped");
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

/// Commits batches until every sender is gone and the channel is empty (the shutdown flush).
async fn run_writer(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<Envelope>,
    max_batch: usize,
    metrics: PipelineMetrics,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while receiver.recv_many(&mut batch, max_batch).await > 0 {
        let now = Utc::now();
        let entries: Vec<OutboxEntry> = batch
            .iter()
            .map(|envelope| OutboxEntry {
                message_id: envelope.event.message_id,
                payload: envelope.event.to_payload(),
                enqueued_at: now,
            })
            .collect();
        commit_until_done(store.as_ref(), &entries).await;
        let committed = batch.len();
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
async fn commit_until_done(store: &dyn Store, entries: &[OutboxEntry]) {
    let mut pause = FIRST_RETRY_PAUSE;
    while let Err(err) = store.enqueue_clicks(entries).await {
        tracing::error!(error = %err, events = entries.len(), "outbox commit failed; retrying");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_RETRY_PAUSE);
    }
}
