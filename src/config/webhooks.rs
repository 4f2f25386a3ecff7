//! `serve`'s webhook flags: how deliveries are made, retried and guarded.

use std::time::Duration;

use clap::Args;

use crate::consumers::DelivererSettings;
use crate::pipeline::retry::Backoff;

/// How webhook deliveries are made.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// The longest one webhook request may take before it counts as failed and is retried.
    #[arg(long, env = "LINKPULSE_WEBHOOK_TIMEOUT", hide_env_values = true, default_value = "15s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,

    /// Let webhooks reach private, loopback and link-local addresses (refused by default so an
    /// API key cannot aim deliveries at this machine or its network).
    #[arg(long, env = "LINKPULSE_WEBHOOKS_ALLOW_PRIVATE", hide_env_values = true)]
    pub webhooks_allow_private: bool,

    /// First retry delay of a failed delivery; each later one doubles (±20% jitter) up to 6 h.
    #[arg(long, env = "LINKPULSE_WEBHOOK_RETRY_BASE", hide_env_values = true, default_value = "5s", value_parser = humantime::parse_duration)]
    pub webhook_retry_base: Duration,

    /// Attempts before a delivery goes to its webhook's dead letters (16 at the default base
    /// spread the retries over about a day).
    #[arg(
        long,
        env = "LINKPULSE_WEBHOOK_ATTEMPTS",
        hide_env_values = true,
        default_value_t = 16
    )]
    pub webhook_attempts: u32,

    /// A webhook whose every delivery failed for this long is disabled (shown with the reason
    /// in `linkpulse webhook list`); re-add it once it is fixed.
    #[arg(long, env = "LINKPULSE_WEBHOOK_DISABLE_AFTER", hide_env_values = true, default_value = "5days", value_parser = humantime::parse_duration)]
    pub webhook_disable_after: Duration,
}

impl WebhookArgs {
    /// The deliverer's settings.
    pub fn settings(&self) -> DelivererSettings {
        DelivererSettings {
            timeout: self.webhook_timeout,
            backoff: Backoff {
                base: self.webhook_retry_base,
                max_attempts: self.webhook_attempts.max(1),
                ..DelivererSettings::default_backoff()
            },
            broker_backoff: DelivererSettings::default_broker_backoff(),
            batch: 32,
            concurrency: 8,
            idle_poll: Duration::from_millis(250),
            allow_private: self.webhooks_allow_private,
            disable_after: self.webhook_disable_after,
        }
    }
}
