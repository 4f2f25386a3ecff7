//! `linkpulse api-key generate|list|disable`.

use anyhow::Context;

use crate::auth::{generate_key, hash_key};
use crate::config::ApiKeyCommand;
use crate::store::{KeyRoles, Store, StoreError};

/// Runs one `api-key` subcommand against `store`, printing to stdout.
pub async fn run(store: &dyn Store, command: ApiKeyCommand) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Generate {
            name,
            author_only,
            domain_only,
            no_orphan_visits,
        } => {
            let roles = KeyRoles {
                author_only,
                domain_only: domain_only
                    .map(|d| d.trim().to_owned())
                    .filter(|d| !d.is_empty()),
                no_orphan_visits,
            };
            let key = generate_key();
            store
                .insert_api_key(&name, &hash_key(&key), &roles)
                .await
                .with_context(|| format!("creating API key {name:?}"))?;
            println!(
                "Generated API key {name:?} ({}). It is shown only now; store it safely:",
                roles.describe()
            );
            println!("{key}");
        }
        ApiKeyCommand::List => {
            let keys = store.list_api_keys().await?;
            if keys.is_empty() {
                println!(
                    "No API keys yet: create one with `linkpulse api-key generate --name NAME`."
                );
            }
            for key in keys {
                let state = if key.enabled { "enabled" } else { "disabled" };
                println!(
                    "{:<30} {:<9} created {}  {}",
                    key.name,
                    state,
                    key.created_at.to_rfc3339(),
                    key.roles.describe()
                );
            }
        }
        ApiKeyCommand::Disable { name } => match store.disable_api_key(&name).await {
            Ok(()) => println!("API key {name:?} disabled."),
            Err(err @ StoreError::ApiKeyNotFound(_)) => anyhow::bail!("{err}"),
            Err(err) => return Err(err.into()),
        },
    }
    Ok(())
}
