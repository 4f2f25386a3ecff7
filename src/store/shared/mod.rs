//! Store logic written once for both engines: each file implements a store trait, or the part
//! of one that does not differ, for every `Engine`. What truly differs stays in `sqlite/` and
//! `postgres/`.

mod analytics;
mod api_keys;
mod dead_letters;
mod deliveries;
mod domains;
mod links;
pub(super) mod outbox;
mod rules;
mod sessions;
mod tags;
mod visits;
pub(in crate::store) mod webhooks;

use async_trait::async_trait;

use super::engine::Engine;
use super::sql::Sql;
use super::{ClickStore, Store, StoreResult};

#[async_trait]
impl<E: Engine + ClickStore> Store for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn migrate(&self) -> StoreResult<Vec<String>> {
        let before = applied_migrations(self).await;
        Engine::migrate(self).await?;
        let after = applied_migrations(self).await;
        Ok(after
            .into_iter()
            .filter(|migration| !before.contains(migration))
            .map(|(version, description)| format!("{version:04} {description}"))
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        let _: (i32,) = self.fetch_one(Sql::new("SELECT 1")).await?;
        Ok(())
    }

    fn engine(&self) -> &'static str {
        E::NAME
    }

    fn link_changes(&self) -> Option<tokio::sync::mpsc::Receiver<super::LinkChange>> {
        Engine::link_changes(self)
    }
}

/// The migrations recorded as applied, oldest first; none before the first run (no table yet).
async fn applied_migrations<E: Engine>(engine: &E) -> Vec<(i64, String)> {
    let select = Sql::new("SELECT version, description FROM _sqlx_migrations ORDER BY version");
    engine.fetch_all(select).await.unwrap_or_default()
}
