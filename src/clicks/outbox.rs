//! The click pipeline's queue vocabulary, shared by the pipeline and the store: outbox entries,
//! claims, completions, dead letters.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Click;

/// An event accepted from the redirect path, ready to be written to the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// The idempotency key, made at the edge.
    pub message_id: Uuid,
    /// The serialized event.
    pub payload: String,
    /// When the writer accepted it.
    pub enqueued_at: DateTime<Utc>,
}

/// A worker's hold on one outbox row: the row id plus the attempt number that fences it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRef {
    /// Outbox row id.
    pub id: i64,
    /// The attempt number this claim set; only this claim may complete or fail the row.
    pub attempt: i32,
}

/// An outbox row handed to a worker under a lease.
#[derive(Debug, Clone)]
pub struct ClaimedEvent {
    /// The claim, for completing or failing the row.
    pub claim: ClaimRef,
    /// The idempotency key.
    pub message_id: Uuid,
    /// The serialized event.
    pub payload: String,
    /// When it entered the outbox.
    pub enqueued_at: DateTime<Utc>,
}

/// An event together with the click it became: a claimed outbox row, or an event the writer
/// stores straight away (no outbox row, so nothing to fence or delete).
#[derive(Debug, Clone)]
pub struct Completion {
    /// The claim being completed; `None` for an event that never entered the outbox.
    pub claim: Option<ClaimRef>,
    /// The click to insert.
    pub click: Click,
}

/// What completing one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionOutcome {
    /// A new click row was written and counters moved.
    Inserted,
    /// The click already existed (redelivery or replay); the outbox row was removed, nothing counted.
    Duplicate,
    /// The claim had been taken over (lease expired); nothing changed. Never for an unclaimed
    /// completion.
    Fenced,
    /// The event's link no longer exists; nothing changed, the caller dead-letters it.
    LinkGone,
}

/// Queue depth figures for metrics and the health of the pipeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Rows waiting in the outbox (claimed or not).
    pub backlog: i64,
    /// When the oldest waiting row was enqueued.
    pub oldest_enqueued_at: Option<DateTime<Utc>>,
    /// Rows in the dead-letter table.
    pub dead_letters: i64,
}

/// An event that failed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Row id, for `dlq show|replay|purge`.
    pub id: i64,
    /// The original idempotency key, kept on replay.
    pub message_id: Uuid,
    /// The serialized event.
    pub payload: String,
    /// Why it was dead-lettered (terminal error or attempts exhausted).
    pub reason: String,
    /// The last error seen.
    pub last_error: String,
    /// Attempts made.
    pub attempts: i32,
    /// When it first entered the outbox.
    pub enqueued_at: DateTime<Utc>,
    /// When it was dead-lettered.
    pub failed_at: DateTime<Utc>,
}

/// Which dead letters a replay or purge addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterSelection {
    /// Every dead letter.
    All,
    /// Only these ids.
    Ids(Vec<i64>),
}
