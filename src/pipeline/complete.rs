//! Completing a batch so that one bad row cannot fail the others: when the database refuses
//! what a batch carries, each half is completed on its own, down to single rows.

use crate::store::{Completion, CompletionOutcome, Store, StoreError};

/// Failed multi-row parts after which a batch is no longer split: enough to isolate a couple of
/// bad rows in the largest batch (12 halvings each), while a batch whose every row fails costs a
/// few dozen transactions instead of twice its size.
const SPLIT_BUDGET: usize = 32;

/// One part of a batch and what completing it gave.
pub type PartResult<'a> = (&'a [Completion], Result<Vec<CompletionOutcome>, StoreError>);

/// Completes `completions`, splitting a part in halves when its failure concerns the data
/// ([`StoreError::concerns_the_data`]); returns every part with its outcomes or its error, in order.
pub async fn complete_splitting<'a>(
    store: &dyn Store,
    completions: &'a [Completion],
) -> Vec<PartResult<'a>> {
    let mut results = Vec::new();
    let mut pending = vec![completions];
    let mut failed_splits = 0;
    while let Some(part) = pending.pop() {
        if part.is_empty() {
            continue;
        }
        match store.complete_clicks(part).await {
            Err(err)
                if part.len() > 1 && failed_splits < SPLIT_BUDGET && err.concerns_the_data() =>
            {
                failed_splits += 1;
                let (first, second) = part.split_at(part.len() / 2);
                pending.extend([second, first]);
            }
            result => results.push((part, result)),
        }
    }
    results
}
