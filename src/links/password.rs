//! A link's password: what a creator may choose, and the Argon2 hash that is all we keep of it.

use std::fmt;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Fewest characters a link password may have.
pub const MIN_PASSWORD_LEN: usize = 4;

/// Most characters a link password may have (longer inputs only cost hashing time).
pub const MAX_PASSWORD_LEN: usize = 128;

/// Why a password or a stored hash was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short or too long.
    #[error(
        "a link password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters; this one has {0}"
    )]
    Length(usize),
    /// A stored value that is not an Argon2 PHC string (the database was edited by hand).
    #[error("the stored password hash is not an Argon2 PHC string")]
    NotAHash,
    /// Hashing failed (the random salt could not be drawn).
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

/// A password a link's creator chose: checked for length, never stored or shown.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkPassword(String);

impl LinkPassword {
    /// Accepts `raw` when it has [`MIN_PASSWORD_LEN`]..=[`MAX_PASSWORD_LEN`] characters.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let length = raw.chars().count();
        if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&length) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PasswordError::Length(length))
        }
    }

    /// Its Argon2id hash with a fresh salt (OWASP's parameters, tens of milliseconds of CPU:
    /// call it off the async runtime's threads).
    pub fn hash(&self) -> Result<PasswordHash, PasswordError> {
        let hash = Argon2::default()
            .hash_password(self.0.as_bytes())
            .map_err(|err| PasswordError::Hashing(err.to_string()))?;
        Ok(PasswordHash(hash.to_string()))
    }
}

impl fmt::Debug for LinkPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkPassword(…)")
    }
}

/// The Argon2 PHC string a protected link keeps; the password itself is never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// A hash read back from the store.
    pub fn parse_stored(raw: &str) -> Result<Self, PasswordError> {
        argon2::PasswordHash::new(raw).map_err(|_| PasswordError::NotAHash)?;
        Ok(Self(raw.to_owned()))
    }

    /// The PHC string, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is the password (constant time; as costly as hashing it, so call it
    /// off the async runtime's threads and only after the throttle allowed the attempt).
    pub fn verify(&self, candidate: &str) -> bool {
        argon2::PasswordHash::new(&self.0).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        })
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert!(LinkPassword::parse("abc").is_err());
        assert!(LinkPassword::parse("äöüß").is_ok());
        assert!(LinkPassword::parse(&"x".repeat(MAX_PASSWORD_LEN)).is_ok());
        assert_eq!(
            LinkPassword::parse(&"x".repeat(MAX_PASSWORD_LEN + 1)),
            Err(PasswordError::Length(MAX_PASSWORD_LEN + 1))
        );
    }

    #[test]
    fn a_hash_accepts_its_password_only_and_is_salted() {
        let password = LinkPassword::parse("open sesame").unwrap();
        let hash = password.hash().unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(!hash.as_str().contains("open sesame"));
        assert!(hash.verify("open sesame"));
        assert!(!hash.verify("open sesame "));
        assert!(!hash.verify(""));
        assert_ne!(password.hash().unwrap(), hash, "each hash has its own salt");
        let stored = PasswordHash::parse_stored(hash.as_str()).unwrap();
        assert!(stored.verify("open sesame"));
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let password = LinkPassword::parse("hunter22").unwrap();
        let hash = password.hash().unwrap();
        assert!(!format!("{password:?}{hash:?}").contains("hunter22"));
        assert!(!format!("{hash:?}").contains("argon2"));
    }

    #[test]
    fn stored_values_must_be_phc_strings() {
        assert_eq!(
            PasswordHash::parse_stored("plain text"),
            Err(PasswordError::NotAHash)
        );
    }
}
