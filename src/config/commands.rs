//! The arguments of the subcommands that are small programs over the store (`import`, `dlq`,
//! `api-key`) or over a running server (`health`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use url::Url;

use super::values::{parse_base_url, parse_listen};

/// Where `linkpulse health` looks for the server.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The file a running `serve --address-file` wrote its address into; when it exists it
    /// wins over --listen, so the check finds the server whatever address it was started with.
    #[arg(long, env = "LINKPULSE_ADDRESS_FILE", hide_env_values = true)]
    pub address_file: Option<PathBuf>,
    /// The server's `--listen` address, used when there is no address file (an unspecified
    /// host such as 0.0.0.0 or [::] is reached on loopback).
    #[arg(long, env = "LINKPULSE_LISTEN", hide_env_values = true, default_value = "127.0.0.1:8080", value_parser = parse_listen)]
    pub listen: String,
    /// How long to wait for the answer before calling the server unhealthy.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// `linkpulse import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// From a running Shlink server's REST API: short URLs with tags, titles, limits and
    /// creation dates, every visit with its date, location and bot flag, and orphan visits.
    Shlink(ShlinkImportArgs),
    /// From a CSV file in Shlink's import format (`Long URL`, `Short code`, and optionally
    /// `Domain`, `Title`, `Tags` separated by `|`); rows without a code get a generated one.
    Csv(CsvImportArgs),
}

/// Where the Shlink server is.
#[derive(Debug, Args)]
pub struct ShlinkImportArgs {
    /// The server's base URL, e.g. https://s.example.com.
    #[arg(long, value_parser = parse_base_url)]
    pub url: Url,
    /// An API key of that server that sees every link (an admin key).
    #[arg(long, env = "SHLINK_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Leave the orphan visits (visits that hit no link) at the source.
    #[arg(long)]
    pub skip_orphan_visits: bool,
}

/// Which CSV file.
#[derive(Debug, Args)]
pub struct CsvImportArgs {
    /// The file to read.
    pub file: PathBuf,
    /// The character between fields.
    #[arg(long, default_value_t = ',', value_parser = parse_delimiter)]
    pub delimiter: char,
}

/// A CSV field separator: one ASCII character.
fn parse_delimiter(raw: &str) -> Result<char, String> {
    let mut chars = raw.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() => Ok(c),
        _ => Err(format!("{raw:?} is not one ASCII character, e.g. , or ;")),
    }
}

/// `linkpulse dlq …`.
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters, newest first.
    List {
        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// The dead deliveries of this webhook (its name) instead of the clicks'.
        #[arg(long, value_name = "NAME")]
        consumer: Option<String>,
    },
    /// Show one dead letter with its payload and last error.
    Show {
        /// Its id (from `dlq list`).
        id: i64,
    },
    /// Put dead letters back in the outbox with their original message ids (never double-counted);
    /// with --consumer, a webhook's dead deliveries back in its queue with fresh attempts.
    Replay {
        /// Which dead letters.
        #[command(flatten)]
        which: DlqSelection,
        /// The webhook (its name) whose dead deliveries are meant.
        #[arg(long, value_name = "NAME")]
        consumer: Option<String>,
    },
    /// Delete dead letters for good (with --consumer, a webhook's dead deliveries).
    Purge {
        /// Which dead letters.
        #[command(flatten)]
        which: DlqSelection,
        /// The webhook (its name) whose dead deliveries are meant.
        #[arg(long, value_name = "NAME")]
        consumer: Option<String>,
    },
}

/// `linkpulse webhook …`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register an endpoint; its whsec_ signing secret is printed once, on the last line.
    Add {
        /// Where deliveries are POSTed (http:// or https://).
        url: String,
        /// What it receives, comma-separated: new-visit, new-orphan-visit, new-short-url,
        /// short-url-edited, short-url-deleted.
        #[arg(long, value_name = "EVENTS", default_value = "new-visit")]
        events: String,
        /// A unique name for it (its consumer name in /metrics and the DLQ); default: its host.
        #[arg(long)]
        name: Option<String>,
        /// Allow a private, loopback or link-local target (the server needs
        /// --webhooks-allow-private too to deliver there).
        #[arg(long)]
        allow_private: bool,
    },
    /// List endpoints with their queues, and why one is disabled.
    List,
    /// Remove an endpoint and its queue.
    Remove {
        /// Its name.
        name: String,
    },
    /// Give an endpoint a new secret (printed once); the old one still signs for 24 hours,
    /// both signatures sent meanwhile.
    Rotate {
        /// Its name.
        name: String,
    },
}

/// Which dead letters a replay or purge addresses.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct DlqSelection {
    /// Dead-letter ids.
    pub ids: Vec<i64>,
    /// Every dead letter.
    #[arg(long)]
    pub all: bool,
}

/// `linkpulse api-key …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; it is printed once, on the last line, and stored only as a hash. Without
    /// role flags it is an admin key; each flag limits it as Shlink's roles do.
    Generate {
        /// A unique name to recognise the key by (e.g. the client that uses it).
        #[arg(long)]
        name: String,
        /// The key sees and edits only the links created with it (and their tags and visits),
        /// and may not rename or delete tags.
        #[arg(long)]
        author_only: bool,
        /// The key sees and creates only links of this domain (`host[:port]`); a domain this
        /// instance does not serve leaves it nothing to see.
        #[arg(long, value_name = "DOMAIN")]
        domain_only: Option<String>,
        /// The key sees no orphan visits (visits that hit no link).
        #[arg(long)]
        no_orphan_visits: bool,
    },
    /// List keys by name with their state.
    List,
    /// Disable a key by name; requests using it are refused within seconds.
    Disable {
        /// The key's name.
        name: String,
    },
}
