//! Connecting to Postgres with errors a person can act on: which server and database, and
//! whether it refused, timed out, rejected the credentials or failed the TLS check.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
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
