//! `linkpulse webhook add|list|remove|rotate`: webhook endpoints from the command line.

use chrono::{SecondsFormat, Utc};

use crate::config::WebhookCommand;
use crate::consumers::guard::check_target;
use crate::consumers::{
    Events, NewWebhook, ROTATION_OVERLAP, WebhookSecret, check_name, check_url,
};
use crate::store::Store;

/// Runs one `webhook` subcommand against `store`, printing to stdout.
pub async fn run(store: &dyn Store, command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Add {
            url,
            events,
            name,
            allow_private,
        } => {
            let url = check_url(&url).map_err(|err| anyhow::anyhow!("{url}: {err}"))?;
            check_target(&url, allow_private).await?;
            let events =
                Events::parse(&events).map_err(|err| anyhow::anyhow!("--events: {err}"))?;
            let default_name = url.host_str().unwrap_or("webhook").to_owned();
            let name = check_name(name.as_deref().unwrap_or(&default_name))
                .map_err(|err| anyhow::anyhow!("--name: {err}"))?
                .to_owned();
            let secret = WebhookSecret::generate();
            let hook = store
                .add_webhook(&NewWebhook {
                    name,
                    url,
                    events,
                    secret: secret.clone(),
                })
                .await?;
            println!(
                "Webhook {} registered for {} at {}.",
                hook.name, hook.events, hook.url
            );
            println!("Its signing secret (shown only now; verify webhook-signature with it):");
            println!("{}", secret.expose());
        }
        WebhookCommand::List => {
            let hooks = store.webhooks().await?;
            let figures = store.consumer_figures().await?;
            if hooks.is_empty() {
                println!("No webhooks. Add one with: linkpulse webhook add URL --events new-visit");
            }
            for hook in hooks {
                let queue = figures.iter().find(|f| f.consumer == hook.name);
                let state = match &hook.disabled {
                    Some((at, reason)) => format!(
                        "DISABLED since {}: {reason}",
                        at.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                    None => "enabled".to_owned(),
                };
                println!(
                    "{}  {}  {}  {state}  waiting={} delivered={} dead={}",
                    hook.name,
                    hook.url,
                    hook.events,
                    queue.map_or(0, |q| q.backlog),
                    queue.map_or(0, |q| q.delivered),
                    queue.map_or(0, |q| q.dead_now),
                );
            }
        }
        WebhookCommand::Remove { name } => {
            if !store.delete_webhook(&name).await? {
                anyhow::bail!("no webhook named {name:?}; `linkpulse webhook list` shows them");
            }
            println!("Webhook {name} removed with its queue.");
        }
        WebhookCommand::Rotate { name } => {
            let secret = WebhookSecret::generate();
            let until = Utc::now() + ROTATION_OVERLAP;
            if store
                .rotate_webhook_secret(&name, &secret, until)
                .await?
                .is_none()
            {
                anyhow::bail!("no webhook named {name:?}; `linkpulse webhook list` shows them");
            }
            println!(
                "The old secret still signs until {}; the new one (shown only now):",
                until.to_rfc3339_opts(SecondsFormat::Secs, true)
            );
            println!("{}", secret.expose());
        }
    }
    Ok(())
}
