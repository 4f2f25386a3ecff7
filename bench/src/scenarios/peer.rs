//! The peer: chhoto-url (a public Rust URL shortener on actix-web and SQLite), run under the same
//! P1 load when `--peer-bin` names its binary. It counts hits per link (batched in memory and
//! written every 500 ms) rather than storing each click.

use std::path::Path;

use anyhow::{Context, bail};

use crate::procs::{self, Server};
use crate::scenarios::{Ctx, P1_LINKS, loopback};

/// The note printed when no peer binary was given.
pub const NOT_GIVEN: &str = "peer: not run (no --peer-bin given; build chhoto-url's `backend/` \
     with `cargo build --release` and pass `--peer-bin PATH/chhoto-url`)";

/// A strong API key (chhoto-url only warns about weak ones, but a strong one keeps logs quiet).
const API_KEY: &str = "bench-Q7v!x9Lr#2mT8wZp$4sKd6Yh";

/// A started peer with the P1 links, and the SQL that counts the hits it recorded.
pub struct Peer {
    /// The running server.
    pub server: Server,
    /// Its database URL.
    pub database_url: String,
    /// Holds its database file.
    pub dir: tempfile::TempDir,
}

/// The label in tables.
pub const LABEL: &str = "peer: chhoto-url (SQLite WAL, hit counters batched every 500 ms)";

/// Counts what the peer recorded.
pub const RECORDED_SQL: &str = "SELECT COALESCE(SUM(hits), 0) FROM urls";

/// Starts chhoto-url on a free port with a fresh database and creates the `bench*` links
/// through its API; `None` when no binary was given.
pub async fn start(ctx: &Ctx) -> anyhow::Result<Option<Peer>> {
    let Some(bin) = ctx.peer.as_deref() else {
        return Ok(None);
    };
    if !bin.is_file() {
        bail!("{} is not a file", bin.display());
    }
    let dir = tempfile::Builder::new()
        .prefix("lp-bench-peer-")
        .tempdir()?;
    let db_path = dir.path().join("urls.sqlite");
    let addr = loopback()?;
    let mut cmd = procs::command(ctx.pin.server.as_deref(), bin);
    cmd.current_dir(dir.path())
        .env("CHHOTO_DB_URL", &db_path)
        .env("CHHOTO_LISTEN_ADDRESS", "127.0.0.1")
        .env("CHHOTO_LISTEN_PORT", addr.port().to_string())
        .env("CHHOTO_API_KEY", API_KEY)
        .env("CHHOTO_REDIRECT_METHOD", "TEMPORARY")
        .env("CHHOTO_SQLITE_USE_WAL_MODE", "True")
        .env("CHHOTO_SQLITE_ENSURE_ACID", "False")
        .env("RUST_LOG", "warn");
    let mut server = Server::spawn(cmd, addr, ctx.logs.join("peer.log"))?;
    server.wait_listening("/api/version").await?;
    create_links(&server, bin).await?;
    Ok(Some(Peer {
        server,
        database_url: format!("sqlite://{}", db_path.display()),
        dir,
    }))
}

async fn create_links(server: &Server, bin: &Path) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for i in 0..P1_LINKS {
        let body = serde_json::json!({
            "shortlink": format!("bench{i}"),
            "longlink": format!("https://example.com/landing/{i}"),
        });
        let response = client
            .post(format!("http://{}/api/new", server.addr))
            .header("X-API-Key", API_KEY)
            .body(body.to_string())
            .send()
            .await
            .with_context(|| format!("creating links in {}", bin.display()))?;
        if !response.status().is_success() {
            bail!(
                "{} refused link bench{i}: {} {}",
                bin.display(),
                response.status(),
                response.text().await.unwrap_or_default()
            );
        }
    }
    Ok(())
}
