//! Data exchanged with the store by the web app's sign-in sessions.
//!
//! Only hashes of session tokens are stored, so a database leak cannot be replayed as cookies.

use chrono::{DateTime, Utc};

/// A session to open, as the sign-in page creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 (hex) of the random token in the session cookie.
    pub token_hash: String,
    /// Hash of the API key used to sign in; disabling that key ends the session.
    pub api_key_hash: String,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A live session: unexpired, and opened with a key that is still enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}
