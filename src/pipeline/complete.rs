//! Completing a batch so that one bad row cannot fail the others: when the database refuses
//! what a batch carries, each half is completed on its own, down to single rows.

use crate::store::StoreError;

/// Failed multi-row parts after which a batch is no longer split: enough to isolate a couple of
/// bad rows in the largest batch (12 halvings each), while a batch whose every row fails costs a
/// few dozen transactions instead of twice its size.
const SPLIT_BUDGET: usize = 32;

/// One part of a batch and what completing it gave.
pub type PartResult<'a, T, O> = (&'a [T], Result<Vec<O>, StoreError>);

/// Completes `items` with `complete` (one transaction per call), splitting a part in halves
/// when its failure concerns the data ([`StoreError::concerns_the_data`]); returns every part
/// with its outcomes or its error, in the order of `items`.
pub async fn complete_splitting<'a, T, O, F>(
    items: &'a [T],
    mut complete: impl FnMut(&'a [T]) -> F,
) -> Vec<PartResult<'a, T, O>>
where
    F: Future<Output = Result<Vec<O>, StoreError>>,
{
    let mut results = Vec::new();
    let mut pending = vec![items];
    let mut failed_splits = 0;
    while let Some(part) = pending.pop() {
        if part.is_empty() {
            continue;
        }
        match complete(part).await {
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// What the database says about a row it refuses.
    fn refused() -> StoreError {
        StoreError::Database(sqlx::Error::Encode("value refused".into()))
    }

    /// Completes `rows`, refusing every part that holds a row `bad` accepts (or, with
    /// `connection_down`, every part); returns the parts and how many transactions were tried.
    async fn run(
        rows: &[u32],
        bad: impl Fn(u32) -> bool,
        connection_down: bool,
    ) -> (Vec<(Vec<u32>, bool)>, usize) {
        let calls = Cell::new(0);
        let parts = complete_splitting(rows, |part| {
            calls.set(calls.get() + 1);
            std::future::ready(if connection_down {
                Err(StoreError::Database(sqlx::Error::PoolTimedOut))
            } else if part.iter().any(|row| bad(*row)) {
                Err(refused())
            } else {
                Ok(part.to_vec())
            })
        })
        .await;
        let parts = parts
            .into_iter()
            .map(|(part, result)| (part.to_vec(), result.is_ok()))
            .collect();
        (parts, calls.get())
    }

    #[tokio::test]
    async fn one_bad_row_is_isolated_with_a_halving_per_level() {
        let rows: Vec<u32> = (0..8).collect();
        let (parts, calls) = run(&rows, |row| row == 5, false).await;
        let failed: Vec<_> = parts.iter().filter(|(_, ok)| !ok).collect();
        assert_eq!(failed, [&(vec![5], false)], "only the bad row fails");
        let stored: Vec<u32> = parts
            .iter()
            .filter(|(_, ok)| *ok)
            .flat_map(|(p, _)| p.clone())
            .collect();
        assert_eq!(
            stored,
            [0, 1, 2, 3, 4, 6, 7],
            "the rest is stored, in order"
        );
        // 8 → 4 + 4 → (4 | 2 + 2) → (2 | 1 + 1): one failed part per level, then the single row.
        assert_eq!(calls, 7);
    }

    #[tokio::test]
    async fn a_connection_failure_is_not_split() {
        let rows: Vec<u32> = (0..64).collect();
        let (parts, calls) = run(&rows, |_| false, true).await;
        assert_eq!(calls, 1);
        assert_eq!(parts, [(rows, false)]);
    }

    #[tokio::test]
    async fn a_batch_whose_every_row_fails_costs_the_budget_not_twice_its_size() {
        let rows: Vec<u32> = (0..4096).collect();
        let (parts, calls) = run(&rows, |_| true, false).await;
        assert_eq!(
            calls,
            SPLIT_BUDGET + parts.len(),
            "every split was a refused part"
        );
        assert!(calls < 2 * SPLIT_BUDGET + 2, "{calls} transactions");
        let covered: Vec<u32> = parts.iter().flat_map(|(p, _)| p.clone()).collect();
        assert_eq!(covered, rows, "every row is in exactly one part, in order");
        assert!(parts.iter().all(|(_, ok)| !ok));
    }

    #[tokio::test]
    async fn the_budget_still_isolates_two_bad_rows_in_the_largest_batch() {
        let rows: Vec<u32> = (0..4096).collect();
        let (parts, _) = run(&rows, |row| row == 7 || row == 3000, false).await;
        let failed: Vec<_> = parts
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(p, _)| p.clone())
            .collect();
        assert_eq!(failed, [vec![7], vec![3000]]);
    }
}
