//! API keys as the store lists them.

use chrono::{DateTime, Utc};

/// An API key as listed by the CLI (the hash never leaves the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// Unique, human-chosen name.
    pub name: String,
    /// Disabled keys are refused.
    pub enabled: bool,
    /// When it was generated.
    pub created_at: DateTime<Utc>,
}
