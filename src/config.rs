//! Command-line interface: every flag has an environment-variable fallback.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use axum::http::StatusCode;
use clap::{Args, Parser, Subcommand};
use url::Url;

/// linkpulse: a self-hosted URL shortener with click analytics and a Shlink-compatible REST API.
#[derive(Debug, Parser)]
#[command(name = "linkpulse", version, about, long_about = None)]
pub struct Cli {
    /// Where the data lives: `sqlite://PATH` (file and folder created on first run) or
    /// `postgres://USER@HOST/DB` for several app instances sharing one database.
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
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create, list and disable the API keys that guard the REST API.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
}

/// Flags of `linkpulse serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "LINKPULSE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Public base URL used to build `shortUrl` (e.g. https://s.example.com);
    /// defaults to http://<listen address>.
    #[arg(long, env = "LINKPULSE_BASE_URL")]
    pub base_url: Option<Url>,

    /// HTTP status of redirects: 302 (default, every visit reaches us), 301, 307 or 308.
    #[arg(long, env = "LINKPULSE_REDIRECT_STATUS", default_value = "302")]
    pub redirect_status: RedirectStatus,
}

/// `linkpulse api-key …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; it is printed once, on the last line, and stored only as a hash.
    Generate {
        /// A unique name to recognise the key by (e.g. the client that uses it).
        #[arg(long)]
        name: String,
    },
    /// List keys by name with their state.
    List,
    /// Disable a key by name; requests using it are refused within seconds.
    Disable {
        /// The key's name.
        name: String,
    },
}

/// The redirect status codes a link may answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedirectStatus(StatusCode);

impl RedirectStatus {
    /// The status to send.
    pub fn code(self) -> StatusCode {
        self.0
    }
}

impl FromStr for RedirectStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "301" => Ok(Self(StatusCode::MOVED_PERMANENTLY)),
            "302" => Ok(Self(StatusCode::FOUND)),
            "307" => Ok(Self(StatusCode::TEMPORARY_REDIRECT)),
            "308" => Ok(Self(StatusCode::PERMANENT_REDIRECT)),
            other => Err(format!("{other} is not one of 301, 302, 307, 308")),
        }
    }
}

impl fmt::Display for RedirectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.as_u16())
    }
}

/// A database URL with any password hidden, for logs.
pub fn redacted(database_url: &str) -> String {
    match Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => database_url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_status_accepts_only_redirects() {
        assert_eq!(
            "307".parse::<RedirectStatus>().unwrap().code().as_u16(),
            307
        );
        assert!("200".parse::<RedirectStatus>().is_err());
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redacted("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redacted("sqlite://data/x.db"), "sqlite://data/x.db");
    }

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
