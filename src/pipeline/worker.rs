//! Workers: claim outbox rows under a lease, enrich them, and complete them idempotently.
//!
//! A claim bumps the row's attempt number; completion, retry and dead-lettering are all fenced on
//! that number, so a worker whose lease expired and was taken over cannot change anything.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::complete::complete_splitting;
use super::enrich::Enricher;
use super::event::ClickEvent;
use super::metrics::PipelineMetrics;
use super::prepare::ClickPreparer;
use super::retry::{Backoff, Decision, Failure};
use crate::clicks::{ClaimRef, ClaimedEvent, Completion, CompletionOutcome};
use crate::store::{Store, StoreResult};

/// Why a click whose link was deleted before it was stored is dead-lettered.
pub const LINK_GONE: &str = "link no longer exists";

/// Events enriched before the task lets other tasks (redirects) run.
pub(super) const YIELD_EVERY: usize = 32;

/// How a worker claims and paces itself.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Rows claimed per round.
    pub batch_size: u32,
    /// How long a claim is exclusive; after it, another worker may take the row.
    pub lease: Duration,
    /// Pause when the outbox is empty.
    pub idle_pause: Duration,
    /// Retry schedule and attempt limit.
    pub backoff: Backoff,
}

/// One worker; run several for parallelism (they coordinate through the database only).
#[derive(Clone)]
pub struct Worker {
    store: Arc<dyn Store>,
    settings: WorkerSettings,
    metrics: PipelineMetrics,
    preparer: Arc<ClickPreparer>,
}

impl Worker {
    /// A worker over `store`.
    pub fn new(
        store: Arc<dyn Store>,
        enricher: Arc<Enricher>,
        settings: WorkerSettings,
        metrics: PipelineMetrics,
    ) -> Self {
        Self {
            preparer: Arc::new(ClickPreparer::new(Arc::clone(&store), enricher)),
            store,
            settings,
            metrics,
        }
    }

    /// Processes batches until `shutdown`, finishing the batch in hand before it returns.
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            // A short batch means the outbox is caught up: pausing as when idle lets the next
            // one gather rows, so steady traffic is completed in a few large transactions.
            let pause = match self.execute_batch(&shutdown).await {
                Ok(claimed) if claimed < self.settings.batch_size as usize => {
                    self.settings.idle_pause
                }
                Ok(_) => Duration::ZERO,
                Err(err) => {
                    tracing::warn!(error = %err, "claiming clicks failed");
                    self.settings.idle_pause
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    () = shutdown.cancelled() => {},
                    () = tokio::time::sleep(pause) => {},
                }
            }
        }
    }

    /// Claims one batch and takes every row in it to a final state; returns how many it claimed.
    /// Tests call this to drain the outbox without sleeping.
    pub async fn try_execute_batch(&self) -> StoreResult<usize> {
        self.execute_batch(&CancellationToken::new()).await
    }

    /// One batch; if its completion fails while `stopping` is cancelled, the claims are released
    /// without counting the attempt, so a shutdown never burns one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn execute_batch(&self, stopping: &CancellationToken) -> StoreResult<usize> {
        let started = SystemTime::now();
        let claimed = self
            .store
            .claim_clicks(self.settings.batch_size, self.settings.lease)
            .await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        self.metrics.worker_batch_size.record(count as f64);
        let mut completions = Vec::with_capacity(count);
        for (index, event) in claimed.into_iter().enumerate() {
            // Enrichment shares the runtime with the redirects: handing the thread back every
            // few events keeps a large batch from holding a redirect up for milliseconds.
            if index % YIELD_EVERY == YIELD_EVERY - 1 {
                tokio::task::yield_now().await;
            }
            match self.prepare(&event).await {
                Ok(completion) => completions.push(completion),
                Err(failure) => self.fail(event.claim, &failure).await?,
            }
        }
        self.complete_isolating(&completions, started, stopping)
            .await?;
        Ok(count)
    }

    /// Completes the batch, split where the database refuses a row (so one bad click is retried
    /// alone while the others are stored on this attempt). A part that fails while `stopping` is
    /// released without counting the attempt.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn complete_isolating(
        &self,
        completions: &[Completion],
        started: SystemTime,
        stopping: &CancellationToken,
    ) -> StoreResult<()> {
        let complete = |part| self.store.complete_clicks(part);
        for (part, result) in complete_splitting(completions, complete).await {
            match result {
                Ok(outcomes) => self.settle(part, &outcomes, started).await?,
                Err(err) if stopping.is_cancelled() => {
                    tracing::warn!(error = %err, "completion failed during shutdown; releasing claims");
                    let claims: Vec<ClaimRef> = part.iter().filter_map(|c| c.claim).collect();
                    self.store.release_clicks(&claims).await?;
                }
                Err(err) => {
                    let failure = Failure::Retryable(err.to_string());
                    for claim in part.iter().filter_map(|c| c.claim) {
                        self.fail(claim, &failure).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Decodes and enriches one claimed row; an undecodable payload is a poison message.
    async fn prepare(&self, event: &ClaimedEvent) -> Result<Completion, Failure> {
        let click = ClickEvent::from_payload(&event.payload)
            .map_err(|err| Failure::Terminal(format!("undecodable payload: {err}")))?;
        Ok(Completion {
            claim: Some(event.claim),
            click: self.preparer.prepare(&click).await?,
        })
    }

    /// Records metrics for completed rows and dead-letters those whose link is gone.
    async fn settle(
        &self,
        completions: &[Completion],
        outcomes: &[CompletionOutcome],
        started: SystemTime,
    ) -> StoreResult<()> {
        let now = Utc::now();
        for (completion, outcome) in completions.iter().zip(outcomes) {
            match outcome {
                CompletionOutcome::Inserted | CompletionOutcome::Duplicate => {
                    self.metrics.record_stored(&completion.click, started, now);
                }
                CompletionOutcome::Fenced => {
                    tracing::info!(claim = ?completion.claim, "lease was taken over; skipped");
                }
                CompletionOutcome::LinkGone => {
                    if let Some(claim) = completion.claim {
                        self.fail(claim, &Failure::Terminal(LINK_GONE.into()))
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Schedules a retry or moves the row to the dead letters, as the retry policy decides.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn fail(&self, claim: ClaimRef, failure: &Failure) -> StoreResult<()> {
        let attempt = u32::try_from(claim.attempt).unwrap_or(u32::MAX);
        let decision = self
            .settings
            .backoff
            .decide(attempt, failure, &mut rand::rng());
        let (Failure::Retryable(message) | Failure::Terminal(message)) = failure;
        match decision {
            Decision::RetryAfter(delay) => {
                let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                if self.store.retry_click(claim, at, message).await? {
                    self.metrics.retried.increment(1);
                }
            }
            Decision::DeadLetter => {
                let reason = if failure.is_retryable() {
                    format!("gave up after {attempt} attempts")
                } else {
                    "poison message".to_owned()
                };
                if self
                    .store
                    .dead_letter_click(claim, &reason, message)
                    .await?
                {
                    self.metrics.dead_lettered.increment(1);
                    tracing::warn!(row = claim.id, %reason, "click dead-lettered");
                }
            }
        }
        Ok(())
    }
}
