//! Workers: claim outbox rows under a lease, enrich them, and complete them idempotently.
//!
//! A claim bumps the row's attempt number; completion, retry and dead-lettering are all fenced on
//! that number, so a worker whose lease expired and was taken over cannot change anything.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::enrich::Enricher;
use super::event::ClickEvent;
use super::metrics::PipelineMetrics;
use super::retry::{Backoff, Decision, Failure};
use super::visitor::{VisitorSalts, referrer_domain};
use crate::store::{
    ClaimRef, ClaimedEvent, Completion, CompletionOutcome, NewClick, Store, StoreResult,
};

/// Events a worker enriches before it lets other tasks (redirects) run.
const YIELD_EVERY: usize = 32;

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
    enricher: Arc<Enricher>,
    settings: WorkerSettings,
    metrics: PipelineMetrics,
    visitors: Arc<VisitorSalts>,
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
            visitors: Arc::new(VisitorSalts::new(Arc::clone(&store))),
            store,
            enricher,
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
    async fn execute_batch(&self, stopping: &CancellationToken) -> StoreResult<usize> {
        let claimed = self
            .store
            .claim_clicks(self.settings.batch_size, self.settings.lease)
            .await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
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
        match self.store.complete_clicks(&completions).await {
            Ok(outcomes) => self.settle(&completions, &outcomes).await?,
            Err(err) if stopping.is_cancelled() => {
                tracing::warn!(error = %err, "completion failed during shutdown; releasing claims");
                let claims: Vec<ClaimRef> = completions.iter().map(|c| c.claim).collect();
                self.store.release_clicks(&claims).await?;
            }
            Err(err) => {
                let failure = Failure::Retryable(err.to_string());
                for completion in &completions {
                    self.fail(completion.claim, &failure).await?;
                }
            }
        }
        Ok(count)
    }

    /// Decodes and enriches one claimed row; an undecodable payload is a poison message.
    /// The visitor hash uses the full IP, before enrichment anonymizes it.
    async fn prepare(&self, event: &ClaimedEvent) -> Result<Completion, Failure> {
        let click = ClickEvent::from_payload(&event.payload)
            .map_err(|err| Failure::Terminal(format!("undecodable payload: {err}")))?;
        let visitor_hash = self
            .visitors
            .visitor_hash(&click)
            .await
            .map_err(|err| Failure::Retryable(format!("visitor salt: {err}")))?;
        let referrer_domain = referrer_domain(click.referrer.as_deref());
        let _span = tracing::debug_span!(
            "enrich_click",
            message_id = %click.message_id,
            traceparent = click.traceparent.as_deref().unwrap_or_default()
        )
        .entered();
        let enriched = self
            .enricher
            .enrich(click.client_ip, click.user_agent.as_deref());
        let agent = enriched.user_agent;
        Ok(Completion {
            claim: event.claim,
            click: NewClick {
                message_id: click.message_id,
                short_url_id: click.link_id,
                kind: click.kind,
                occurred_at: click.occurred_at,
                enriched_at: Utc::now(),
                ip: enriched.stored_ip.map(|ip| ip.to_string()),
                user_agent: click.user_agent,
                referer: click.referrer,
                visited_url: Some(click.visited_url),
                redirect_url: click.redirect_url,
                potential_bot: enriched.potential_bot,
                browser: agent.browser,
                browser_version: agent.browser_version,
                os: agent.os,
                device: agent.device.as_str().to_owned(),
                location: enriched.location.unwrap_or_default(),
                traceparent: click.traceparent,
                visitor_hash,
                referrer_domain,
            },
        })
    }

    /// Records metrics for completed rows and dead-letters those whose link is gone.
    async fn settle(
        &self,
        completions: &[Completion],
        outcomes: &[CompletionOutcome],
    ) -> StoreResult<()> {
        let now = Utc::now();
        for (completion, outcome) in completions.iter().zip(outcomes) {
            match outcome {
                CompletionOutcome::Inserted | CompletionOutcome::Duplicate => {
                    self.metrics.processed.increment(1);
                    let latency = (now - completion.click.occurred_at).num_microseconds();
                    self.metrics
                        .click_latency
                        .record(latency.unwrap_or(0).max(0) as f64 / 1e6);
                }
                CompletionOutcome::Fenced => {
                    tracing::info!(row = completion.claim.id, "lease was taken over; skipped");
                }
                CompletionOutcome::LinkGone => {
                    let failure = Failure::Terminal("link no longer exists".into());
                    self.fail(completion.claim, &failure).await?;
                }
            }
        }
        Ok(())
    }

    /// Schedules a retry or moves the row to the dead letters, as the retry policy decides.
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
