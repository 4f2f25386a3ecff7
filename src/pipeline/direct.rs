//! Storing clicks as they arrive. When this process runs workers, the writer enriches each batch
//! and completes it in one transaction without an outbox row: one write per click instead of an
//! outbox insert, a claim that rewrites it, a delete and the click insert. What cannot be stored
//! now — a database error, a click whose link is already gone, a day salt that cannot be read —
//! goes to the outbox instead, where the workers retry it or dead-letter it with its reason.

use std::sync::Arc;

use chrono::Utc;

use super::complete::complete_splitting;
use super::event::ClickEvent;
use super::metrics::PipelineMetrics;
use super::prepare::ClickPreparer;
use super::worker::YIELD_EVERY;
use crate::clicks::{Completion, CompletionOutcome};
use crate::store::Store;

/// The writer's way of storing a batch itself.
#[derive(Clone)]
pub struct DirectStore {
    store: Arc<dyn Store>,
    preparer: Arc<ClickPreparer>,
    metrics: PipelineMetrics,
}

impl DirectStore {
    /// Stores through `store`, enriching with `preparer`.
    pub fn new(
        store: Arc<dyn Store>,
        preparer: Arc<ClickPreparer>,
        metrics: PipelineMetrics,
    ) -> Self {
        Self {
            store,
            preparer,
            metrics,
        }
    }

    /// Stores what it can of `events` (each exactly once, by message id); returns the indexes
    /// of those that must go through the outbox.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn store(&self, events: &[&ClickEvent]) -> Vec<usize> {
        let started = std::time::SystemTime::now();
        let mut leftover = Vec::new();
        let mut completions = Vec::with_capacity(events.len());
        let mut positions = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            // Enrichment shares the runtime with the redirects: hand the thread back every few
            // events so a large batch never holds a redirect up for long.
            if index % YIELD_EVERY == YIELD_EVERY - 1 {
                tokio::task::yield_now().await;
            }
            match self.preparer.prepare(event).await {
                Ok(click) => {
                    completions.push(Completion { claim: None, click });
                    positions.push(index);
                }
                Err(failure) => {
                    tracing::warn!(%failure, "click not enriched now; queued in the outbox");
                    leftover.push(index);
                }
            }
        }
        let now = Utc::now();
        let mut offset = 0;
        let complete = |part| self.store.complete_clicks(part);
        for (part, result) in complete_splitting(&completions, complete).await {
            let indexes = &positions[offset..offset + part.len()];
            offset += part.len();
            match result {
                Ok(outcomes) => {
                    for ((completion, outcome), index) in part.iter().zip(outcomes).zip(indexes) {
                        match outcome {
                            CompletionOutcome::Inserted | CompletionOutcome::Duplicate => {
                                self.metrics.record_stored(&completion.click, started, now);
                            }
                            CompletionOutcome::LinkGone | CompletionOutcome::Fenced => {
                                leftover.push(*index);
                            }
                        }
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, clicks = part.len(), "clicks not stored now; queued in the outbox");
                    leftover.extend_from_slice(indexes);
                }
            }
        }
        leftover.sort_unstable();
        leftover
    }
}
