//! API keys: how they are made, hashed and checked. Only the SHA-256 hash is ever stored.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::store::{KeyIdentity, Store, StoreResult};

/// Makes a new random key (128 bits, shown once to the operator).
pub fn generate_key() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The stored form of a key. Keys are random, so a fast hash is enough (no password stretching).
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Checks presented keys against the store, remembering recent verdicts.
#[derive(Clone)]
pub struct ApiKeyVerifier {
    store: Arc<dyn Store>,
    /// `None` when verdicts are not to be reused (a time-to-live of zero).
    verdicts: Option<Cache<String, Option<Arc<KeyIdentity>>>>,
}

impl ApiKeyVerifier {
    /// A verifier over `store` that reuses a verdict for `ttl`: a disabled key stops working
    /// within that time.
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        let verdicts = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build()
        });
        Self { store, verdicts }
    }

    /// The enabled API key `key` is, with its roles; `None` for an unknown or disabled one.
    pub async fn identify(&self, key: &str) -> StoreResult<Option<Arc<KeyIdentity>>> {
        let hash = hash_key(key);
        if let Some(verdict) = self.verdicts.as_ref().and_then(|v| v.get(&hash)) {
            return Ok(verdict);
        }
        let verdict = self.store.find_api_key(&hash).await?.map(Arc::new);
        if let Some(verdicts) = &self.verdicts {
            verdicts.insert(hash, verdict.clone());
        }
        Ok(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_hashes_stable() {
        let (a, b) = (generate_key(), generate_key());
        assert_ne!(a, b);
        assert_eq!(hash_key(&a), hash_key(&a));
        assert_ne!(hash_key(&a), hash_key(&b));
        assert_eq!(hash_key(&a).len(), 64);
    }
}
