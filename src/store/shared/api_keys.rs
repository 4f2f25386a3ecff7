//! API keys, for both engines.

use async_trait::async_trait;
use chrono::Utc;

use crate::store::engine::Engine;
use crate::store::sql::{At, Sql};
use crate::store::{ApiKeyInfo, ApiKeyStore, KeyIdentity, KeyRoles, StoreError, StoreResult};

/// The role columns, in `KeyRoles` field order.
type RolesRow = (bool, Option<String>, bool);

fn roles((author_only, domain_only, no_orphan_visits): RolesRow) -> KeyRoles {
    KeyRoles {
        author_only,
        domain_only,
        no_orphan_visits,
    }
}

#[async_trait]
impl<E: Engine> ApiKeyStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn insert_api_key(
        &self,
        name: &str,
        key_hash: &str,
        roles: &KeyRoles,
    ) -> StoreResult<()> {
        let mut insert = Sql::new(
            "INSERT INTO api_keys (name, key_hash, enabled, created_at, author_only, \
             domain_only, no_orphan_visits) VALUES (",
        );
        insert.bind(name).push(", ").bind(key_hash).push(", ");
        insert.bind(true).push(", ").bind(Utc::now()).push(", ");
        insert.bind(roles.author_only).push(", ");
        insert.bind(roles.domain_only.as_deref()).push(", ");
        insert.bind(roles.no_orphan_visits).push(")");
        match self.execute(insert).await {
            Err(err) if err.is_unique_violation() => {
                Err(StoreError::DuplicateKeyName(name.to_owned()))
            }
            done => done.map(drop),
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyInfo>> {
        let rows: Vec<(String, bool, At, bool, Option<String>, bool)> = self
            .fetch_all(Sql::new(
                "SELECT name, enabled, created_at, author_only, domain_only, no_orphan_visits \
                 FROM api_keys ORDER BY name",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(name, enabled, created_at, author_only, domain_only, no_orphans)| ApiKeyInfo {
                    name,
                    enabled,
                    created_at: created_at.into(),
                    roles: roles((author_only, domain_only, no_orphans)),
                },
            )
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn disable_api_key(&self, name: &str) -> StoreResult<()> {
        let mut update = Sql::new("UPDATE api_keys SET enabled = ");
        update.bind(false).push(" WHERE name = ").bind(name);
        if self.execute(update).await? == 0 {
            return Err(StoreError::ApiKeyNotFound(name.to_owned()));
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<KeyIdentity>> {
        let mut select = Sql::new(
            "SELECT id, name, author_only, domain_only, no_orphan_visits FROM api_keys \
             WHERE key_hash = ",
        );
        select.bind(key_hash).push(" AND enabled = ").bind(true);
        let found: Option<(i64, String, bool, Option<String>, bool)> =
            self.fetch_optional(select).await?;
        Ok(found.map(
            |(id, name, author_only, domain_only, no_orphans)| KeyIdentity {
                id,
                name,
                roles: roles((author_only, domain_only, no_orphans)),
            },
        ))
    }
}
