//! Command-line interface: every flag has an environment-variable fallback.

mod brokers;
mod commands;
mod traces;
mod values;
mod webhooks;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ipnet::IpNet;
use url::Url;

use crate::http::client_ip::parse_trusted_proxy;
use crate::pipeline::retry::Backoff;
use crate::pipeline::runtime::PipelineSettings;
use crate::pipeline::writer::AckMode;
pub use brokers::BrokerArgs;
pub use commands::{
    ApiKeyCommand, CsvImportArgs, DlqCommand, DlqSelection, HealthArgs, ImportCommand,
    ShlinkImportArgs, WebhookCommand,
};
pub use traces::TraceArgs;
pub use values::{RedirectStatus, redacted};
use values::{parse_base_url, parse_listen};
pub use webhooks::WebhookArgs;

/// linkpulse: a self-hosted URL shortener with click analytics and a Shlink-compatible REST API.
#[derive(Debug, Parser)]
#[command(name = "linkpulse", version, about, long_about = None)]
pub struct Cli {
    /// Where the data lives: `sqlite://PATH` (file and folder created on first run) or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` for several app instances sharing one database.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/linkpulse.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve redirects and the REST API (applies pending migrations first).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run only the click workers (no HTTP), e.g. on extra machines sharing a Postgres database.
    Worker(PipelineArgs),
    /// Create, list and disable the API keys that guard the REST API.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Inspect, replay and purge clicks that failed for good (the dead-letter queue), and
    /// webhooks' dead deliveries (--consumer).
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Register, list, rotate and remove webhook endpoints (Standard Webhooks signatures).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Bring links over from Shlink (a running server with their visits, or its CSV format);
    /// safe to run again: what is already here is not imported twice.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Ask a running server's /rest/health and exit 0 when it passes, 1 when it does not (a
    /// container's HEALTHCHECK); it finds the server through --address-file or --listen.
    Health(HealthArgs),
}

/// Flags of `linkpulse serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Host (name or address) and port to listen on, e.g. `0.0.0.0:8080`, `[::]:8080` or
    /// `localhost:8080` (port 0 picks a free one).
    #[arg(long, env = "LINKPULSE_LISTEN", hide_env_values = true, default_value = "127.0.0.1:8080", value_parser = parse_listen)]
    pub listen: String,

    /// Public base URL used to build `shortUrl` (e.g. https://s.example.com);
    /// defaults to http://<listen address>.
    #[arg(long, env = "LINKPULSE_BASE_URL", hide_env_values = true, value_parser = parse_base_url)]
    pub base_url: Option<Url>,

    /// How long a link looked up for a redirect is trusted before it is read again (in the
    /// background; the redirect does not wait). Edits on this instance apply at once, on other
    /// Postgres instances within a second (LISTEN/NOTIFY); this is the fallback when such
    /// announcements are lost. While the database is down, known links keep redirecting from
    /// their last answer (kept 24 h). 0 reads the database on every redirect.
    #[arg(long, env = "LINKPULSE_LINK_CACHE_TTL", hide_env_values = true, default_value = "60s", value_parser = humantime::parse_duration)]
    pub link_cache_ttl: Duration,

    /// How long a verdict on an API key is reused: a disabled key stops working within this
    /// time (0 checks the database on every request).
    #[arg(long, env = "LINKPULSE_API_KEY_CACHE_TTL", hide_env_values = true, default_value = "2s", value_parser = humantime::parse_duration)]
    pub api_key_cache_ttl: Duration,

    /// HTTP status of redirects: 302 (default, every visit reaches us), 301, 307 or 308.
    #[arg(
        long,
        env = "LINKPULSE_REDIRECT_STATUS",
        hide_env_values = true,
        default_value = "302"
    )]
    pub redirect_status: RedirectStatus,

    /// When a redirect is answered: `immediate` (at once; a kill -9 can lose at most the
    /// clicks still in the buffer) or `commit` (after the click is durably in the outbox).
    #[arg(
        long,
        env = "LINKPULSE_CLICK_ACK",
        hide_env_values = true,
        value_enum,
        default_value = "immediate"
    )]
    pub click_ack: ClickAck,

    /// In `commit` mode, answer anyway after this long (e.g. database down); the click stays
    /// buffered and is retried.
    #[arg(long, env = "LINKPULSE_CLICK_ACK_TIMEOUT", hide_env_values = true, default_value = "250ms", value_parser = humantime::parse_duration)]
    pub click_ack_timeout: Duration,

    /// Clicks the writer buffers in memory; when it is full, redirects wait for room (the
    /// pipeline sets the pace) rather than lose their click.
    #[arg(
        long,
        env = "LINKPULSE_CLICK_BUFFER",
        hide_env_values = true,
        default_value_t = 65_536
    )]
    pub click_buffer: usize,

    /// How much lower the CPU priority of the click pipeline's threads (writer, workers,
    /// deliveries) is than the redirects', as a nice increment: a redirect ready to run preempts
    /// a backlog being drained. 0 runs them at the redirects' priority; at most 19.
    #[arg(long, env = "LINKPULSE_PIPELINE_NICE", hide_env_values = true, default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=19))]
    pub pipeline_nice: u8,

    /// The longest a redirect waits for room in a full click buffer; only when the pipeline is
    /// stalled longer (e.g. database down) is its click dropped, counted and logged.
    #[arg(long, env = "LINKPULSE_CLICK_BUFFER_WAIT", hide_env_values = true, default_value = "2s", value_parser = humantime::parse_duration)]
    pub click_buffer_wait: Duration,

    /// The longest a client may take to send a request's headers, counted from their first byte
    /// (a client trickling them is disconnected).
    #[arg(long, env = "LINKPULSE_HEADER_TIMEOUT", hide_env_values = true, default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,

    /// How long a kept-alive connection may sit idle between requests before it is closed
    /// (keep it above 15 s, the live pages' heartbeat).
    #[arg(long, env = "LINKPULSE_IDLE_TIMEOUT", hide_env_values = true, default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,

    /// The longest a REST API request may take; a slower one is answered 503 problem+json.
    #[arg(long, env = "LINKPULSE_REQUEST_TIMEOUT", hide_env_values = true, default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// Connections open at once; further clients wait in the listen queue until one closes.
    #[arg(
        long,
        env = "LINKPULSE_MAX_CONNECTIONS",
        hide_env_values = true,
        default_value_t = 4096
    )]
    pub max_connections: usize,

    /// On SIGTERM, how long open requests may finish before their connections are closed;
    /// every click already answered is flushed to the database after that either way.
    #[arg(long, env = "LINKPULSE_SHUTDOWN_TIMEOUT", hide_env_values = true, default_value = "10s", value_parser = humantime::parse_duration)]
    pub shutdown_timeout: Duration,

    /// Origins whose web pages may call the REST API from a browser (comma-separated, e.g.
    /// `https://app.shlink.io`); `*` allows any, as Shlink does, since the API key is the
    /// credential. The pages under /app stay same-origin only.
    #[arg(
        long,
        env = "LINKPULSE_CORS_ORIGINS",
        hide_env_values = true,
        value_delimiter = ',',
        default_value = "*"
    )]
    pub cors_origins: Vec<String>,

    /// A token `/metrics` requires as `Authorization: Bearer TOKEN` (Prometheus:
    /// `authorization: {credentials: TOKEN}`); unset, `/metrics` is open, so bind it where only
    /// the scraper reaches it.
    #[arg(long, env = "LINKPULSE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Proxies whose X-Forwarded-For / Forwarded headers are believed (comma-separated CIDRs).
    #[arg(long, env = "LINKPULSE_TRUSTED_PROXIES", hide_env_values = true, value_delimiter = ',', value_parser = parse_trusted_proxy)]
    pub trusted_proxies: Vec<IpNet>,

    /// Where visitors of a link that does not redirect (expired, not yet valid, visit cap
    /// reached) go when the link names no `expiredUrl` of its own; unset, they get the
    /// invalid-short-URL redirect or the 404 page. Their visits count as orphan visits.
    #[arg(long, env = "LINKPULSE_EXPIRED_URL", hide_env_values = true)]
    pub expired_url: Option<String>,

    /// What a request for a host this instance does not serve gets: `default` serves the
    /// default domain's links (as when every request used the base URL), `not-found` the 404
    /// page. A host is served once a link was created on it (`domain` in the API).
    #[arg(
        long,
        env = "LINKPULSE_UNKNOWN_HOSTS",
        hide_env_values = true,
        value_enum,
        default_value = "default"
    )]
    pub unknown_hosts: UnknownHosts,

    /// Once listening, write the address (e.g. `0.0.0.0:8080`) into this file, removed again on
    /// a clean stop: `linkpulse health` and scripts read it, whatever --listen said.
    #[arg(long, env = "LINKPULSE_ADDRESS_FILE", hide_env_values = true)]
    pub address_file: Option<PathBuf>,

    /// Click workers and enrichment.
    #[command(flatten)]
    pub pipeline: PipelineArgs,

    /// Webhook deliveries (made where click workers run).
    #[command(flatten)]
    pub webhooks: WebhookArgs,

    /// Brokers Shlink's real-time events are published to.
    #[command(flatten)]
    pub brokers: BrokerArgs,

    /// OpenTelemetry traces.
    #[command(flatten)]
    pub traces: TraceArgs,
}

/// `--unknown-hosts`: how a request whose `Host` names no domain served here is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UnknownHosts {
    /// As if it named the default domain.
    Default,
    /// With the 404 page, recording nothing.
    NotFound,
}

/// `--click-ack`: the command line's name for the writer's [`AckMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClickAck {
    /// Answer at once; the click is committed within milliseconds.
    Immediate,
    /// Answer once the click's batch committed (or the ack timeout passed).
    Commit,
}

impl From<ClickAck> for AckMode {
    fn from(ack: ClickAck) -> Self {
        match ack {
            ClickAck::Immediate => Self::Immediate,
            ClickAck::Commit => Self::Commit,
        }
    }
}

/// Flags shared by `serve` and `worker`: how clicks are claimed, enriched and retried.
#[derive(Debug, Clone, Args)]
pub struct PipelineArgs {
    /// Click worker tasks in this process (default: one per core). For `serve`, 0 makes a
    /// redirect-only node whose clicks other processes' workers store; `worker` needs at least 1.
    #[arg(long, env = "LINKPULSE_WORKERS", hide_env_values = true)]
    pub workers: Option<usize>,

    /// How long a claimed click is reserved for its worker before another may take it.
    #[arg(long, env = "LINKPULSE_LEASE", hide_env_values = true, default_value = "30s", value_parser = humantime::parse_duration)]
    pub lease: Duration,

    /// Outbox rows a worker claims at once and completes in one transaction; large batches
    /// amortize index writes while a backlog drains (a quiet outbox yields small ones anyway).
    #[arg(
        long,
        env = "LINKPULSE_WORKER_BATCH",
        hide_env_values = true,
        default_value_t = 4096
    )]
    pub worker_batch: u32,

    /// Attempts before a failing click goes to the dead-letter queue.
    #[arg(
        long,
        env = "LINKPULSE_RETRY_ATTEMPTS",
        hide_env_values = true,
        default_value_t = 5
    )]
    pub retry_attempts: u32,

    /// First retry delay; each later one doubles (with ±20% jitter) up to --retry-cap.
    #[arg(long, env = "LINKPULSE_RETRY_BASE", hide_env_values = true, default_value = "1s", value_parser = humantime::parse_duration)]
    pub retry_base: Duration,

    /// Longest retry delay.
    #[arg(long, env = "LINKPULSE_RETRY_CAP", hide_env_values = true, default_value = "5m", value_parser = humantime::parse_duration)]
    pub retry_cap: Duration,

    /// A MaxMind (GeoIP2/GeoLite2 City or Country) or DB-IP .mmdb file; reloaded when it
    /// changes or on SIGHUP. Without it, visits have no location.
    #[arg(long, env = "LINKPULSE_GEOIP_DB", hide_env_values = true)]
    pub geoip_db: Option<PathBuf>,

    /// Zero the last IPv4 octet / last 80 IPv6 bits before storing (`--anonymize-ip false` keeps them).
    #[arg(long, env = "LINKPULSE_ANONYMIZE_IP", hide_env_values = true, default_value_t = true, action = clap::ArgAction::Set)]
    pub anonymize_ip: bool,
}

impl PipelineArgs {
    /// The settings the pipeline's tasks start with.
    pub fn settings(&self) -> PipelineSettings {
        PipelineSettings {
            workers: self.workers,
            batch_size: self.worker_batch,
            lease: self.lease,
            backoff: Backoff {
                base: self.retry_base,
                cap: self.retry_cap,
                max_attempts: self.retry_attempts.max(1),
            },
            geoip_db: self.geoip_db.clone(),
            anonymize_ip: self.anonymize_ip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_parses_serve_flags() {
        let cli = Cli::try_parse_from([
            "linkpulse",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--redirect-status",
            "301",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(args.redirect_status.code().as_u16(), 301);
    }
}
