//! Connecting to Postgres with errors a person can act on: which server and database, and
//! whether it refused, timed out, rejected the credentials or failed the TLS check.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection};

use crate::store::{StoreError, StoreResult};

/// How long the first connection may take before the server is reported unreachable.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses `url` and opens (and closes) one connection, so a failure is reported with its cause
/// rather than as a pool that timed out.
pub(super) async fn check(url: &str) -> StoreResult<PgConnectOptions> {
    let options = PgConnectOptions::from_str(url).map_err(|err| {
        StoreError::UnsupportedUrl(format!("{}: {err}", crate::config::redacted(url)))
    })?;
    let options = plain_on_loopback(options, names_ssl_mode(url));
    let failed = |reason: String| StoreError::PostgresConnect {
        server: format!("{}:{}", options.get_host(), options.get_port()),
        database: options
            .get_database()
            .unwrap_or(options.get_username())
            .to_owned(),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Err(_) => Err(failed(format!(
            "no answer within {}s: check the host and port, and that a firewall lets them through",
            CONNECT_TIMEOUT.as_secs()
        ))),
        Ok(Err(err)) => Err(failed(explain(&options, &err))),
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(options)
        }
    }
}

/// Whether `url` (or the `PGSSLMODE` variable libpq and sqlx read) chooses an `sslmode`.
fn names_ssl_mode(url: &str) -> bool {
    std::env::var_os("PGSSLMODE").is_some()
        || url::Url::parse(url).is_ok_and(|url| url.query_pairs().any(|(key, _)| key == "sslmode"))
}

/// A server on this machine, reached without an `sslmode`, is reached without TLS rather than
/// with sqlx's `prefer`: TLS over loopback protects nothing, and sqlx 0.9.0 leaves Nagle's
/// algorithm on, so its TLS writes wait ~40 ms for delayed ACKs (launchbadge/sqlx#4335):
/// `commit`-mode redirects ran 7× slower. An explicit `sslmode` is always obeyed.
fn plain_on_loopback(options: PgConnectOptions, ssl_mode_chosen: bool) -> PgConnectOptions {
    let host = options.get_host();
    let loopback = host == "localhost"
        || host.starts_with('/')
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback && !ssl_mode_chosen {
        options.ssl_mode(PgSslMode::Disable)
    } else {
        options
    }
}

fn is_tls_failure(text: &str) -> bool {
    ["certificate", "TLS", "handshake"]
        .iter()
        .any(|word| text.contains(word))
}

fn tls_failed(cause: &dyn std::fmt::Display) -> String {
    format!(
        "TLS failed ({cause}): check sslmode and sslrootcert in DATABASE_URL \
         (e.g. ?sslmode=verify-full&sslrootcert=/path/to/ca.pem)"
    )
}

/// The cause of a failed connection and what to change.
fn explain(options: &PgConnectOptions, err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused: is Postgres running there and listening on that port?".into()
        }
        // rustls reports a certificate it cannot verify as an I/O error of the handshake.
        sqlx::Error::Io(io) if is_tls_failure(&io.to_string()) => tls_failed(io),
        sqlx::Error::Io(io) => format!("{io}: check the host name and port in DATABASE_URL"),
        sqlx::Error::Tls(tls) => tls_failed(tls),
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match &*code {
                "28P01" | "28000" => format!(
                    "user {:?} was rejected ({}): check the user and password in DATABASE_URL",
                    options.get_username(),
                    db.message()
                ),
                "3D000" => format!(
                    "{}: create it (createdb {}) or name another database in DATABASE_URL",
                    db.message(),
                    options.get_database().unwrap_or_default()
                ),
                _ => db.message().to_owned(),
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(url: &str) -> PgSslMode {
        let options = PgConnectOptions::from_str(url).unwrap();
        plain_on_loopback(options, url.contains("sslmode")).get_ssl_mode()
    }

    #[test]
    fn loopback_without_a_choice_is_plain_and_a_choice_is_obeyed() {
        assert!(matches!(
            mode("postgres://u@127.0.0.1/db"),
            PgSslMode::Disable
        ));
        assert!(matches!(
            mode("postgres://u@localhost:5433/db"),
            PgSslMode::Disable
        ));
        assert!(matches!(mode("postgres://u@[::1]/db"), PgSslMode::Disable));
        assert!(matches!(
            mode("postgres://u@127.0.0.1/db?sslmode=require"),
            PgSslMode::Require
        ));
        assert!(matches!(
            mode("postgres://u@db.example.com/db"),
            PgSslMode::Prefer
        ));
        assert!(matches!(
            mode("postgres://u@10.0.0.5/db"),
            PgSslMode::Prefer
        ));
    }
}
