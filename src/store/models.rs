//! API keys as the store lists them and as a request presents them.

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
    /// What it is limited to.
    pub roles: KeyRoles,
}

/// What a key is limited to, as Shlink's roles; none (the default) makes an admin key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRoles {
    /// Sees and edits only the links created with it (Shlink's `AUTHORED_SHORT_URLS`).
    pub author_only: bool,
    /// Sees and creates only links of this domain (Shlink's `DOMAIN_SPECIFIC`).
    pub domain_only: Option<String>,
    /// Sees no orphan visits (Shlink's `NO_ORPHAN_VISITS`).
    pub no_orphan_visits: bool,
}

impl KeyRoles {
    /// Whether the key is limited in no way.
    pub fn is_admin(&self) -> bool {
        *self == Self::default()
    }

    /// The roles as `linkpulse api-key list` shows them, Shlink's friendly names.
    pub fn describe(&self) -> String {
        let mut names = Vec::new();
        if self.author_only {
            names.push("author only".to_owned());
        }
        if let Some(domain) = &self.domain_only {
            names.push(format!("domain only: {domain}"));
        }
        if self.no_orphan_visits {
            names.push("no orphan visits".to_owned());
        }
        if names.is_empty() {
            "admin".to_owned()
        } else {
            names.join(", ")
        }
    }
}

/// An enabled key, as the request that presented it acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdentity {
    /// Row id, recorded as the author of the links it creates.
    pub id: i64,
    /// Its name, for `apiKeyName`.
    pub name: String,
    /// What it is limited to.
    pub roles: KeyRoles,
}
