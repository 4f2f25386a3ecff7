//! The scenarios (P1–P7) and what they share: the sizes of a quick or full run, and the context
//! that starts servers on random loopback ports and runs the pinned load generator against them.

pub mod p1;
pub mod p2;
pub mod p3;
pub mod p4;
pub mod p5;
pub mod p6;
pub mod p7;
pub mod peer;
pub mod raw_insert;
pub mod timing;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::bare::BareMode;
use crate::load::LoadResult;
use crate::procs::{self, Pinning, Server};

/// Links every P1/P2 server serves (`bench0` … `bench99`); the load cycles through them.
pub const P1_LINKS: usize = 100;

/// How big and long each scenario is.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Load before measuring.
    pub warmup: Duration,
    /// Measured load per P1 server.
    pub measure: Duration,
    /// Keep-alive connections of the load generator.
    pub connections: usize,
    /// P2: outbox events waiting when the measurement starts.
    pub p2_backlog: usize,
    /// P2: measured window, with and without backlog.
    pub p2_window: Duration,
    /// P2: fixed request rate (requests per second).
    pub p2_rate: f64,
    /// P3: outbox events drained per configuration.
    pub p3_events: usize,
    /// P4: clicks to load (the loader stops early when `p4_budget` runs out).
    pub p4_clicks: usize,
    /// P4: longest the loader may take; the pages are then timed at whatever scale it reached.
    pub p4_budget: Duration,
    /// P4: links they spread over.
    pub p4_links: usize,
    /// P4: days they spread over.
    pub p4_days: i64,
    /// P4: requests timed per endpoint and range.
    pub p4_samples: usize,
    /// P6: start-ups timed per server.
    pub p6_starts: usize,
    /// P6: clicks already in the database.
    pub p6_history: usize,
    /// P7: how long the load runs flat out.
    pub p7_window: Duration,
}

impl Plan {
    /// The full run (about half an hour on 2 cores) or the quick one (under 3 minutes).
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                warmup: Duration::from_secs(1),
                measure: Duration::from_secs(2),
                connections: 64,
                p2_backlog: 50_000,
                p2_window: Duration::from_secs(2),
                p2_rate: 2_000.0,
                p3_events: 20_000,
                p4_clicks: 200_000,
                p4_budget: Duration::from_secs(20),
                p4_links: 1_000,
                p4_days: 90,
                p4_samples: 15,
                p6_starts: 5,
                p6_history: 2_000,
                p7_window: Duration::from_secs(3),
            }
        } else {
            Self {
                warmup: Duration::from_secs(3),
                measure: Duration::from_secs(10),
                connections: 64,
                p2_backlog: 1_000_000,
                p2_window: Duration::from_secs(8),
                p2_rate: 2_000.0,
                p3_events: 1_000_000,
                p4_clicks: 10_000_000,
                p4_budget: Duration::from_secs(20 * 60),
                p4_links: 1_000,
                p4_days: 90,
                p4_samples: 60,
                p6_starts: 15,
                p6_history: 10_000,
                p7_window: Duration::from_secs(20),
            }
        }
    }
}

/// Everything a scenario needs to start servers and load.
#[derive(Clone)]
pub struct Ctx {
    /// Sizes.
    pub plan: Plan,
    /// Core pinning.
    pub pin: Pinning,
    /// `target/release/linkpulse`.
    pub linkpulse: PathBuf,
    /// This harness's own executable (for `load` and `serve-bare`).
    pub bench: PathBuf,
    /// PostgreSQL maintenance URL, when PostgreSQL runs are wanted.
    pub postgres: Option<String>,
    /// The geo-IP database given to linkpulse's workers.
    pub geoip: Option<PathBuf>,
    /// chhoto-url's binary, when given.
    pub peer: Option<PathBuf>,
    /// Where server logs go.
    pub logs: PathBuf,
}

impl Ctx {
    /// The same context with servers and load free on every core, as users deploy.
    pub fn unpinned(&self) -> Self {
        Self {
            pin: Pinning::none(),
            ..self.clone()
        }
    }

    /// Starts `linkpulse serve` on a free port against `database_url`, pinned to the server core.
    pub fn linkpulse_serve(
        &self,
        database_url: &str,
        extra: &[&str],
        log: &str,
    ) -> anyhow::Result<Server> {
        let addr = loopback()?;
        let mut cmd = procs::command(self.pin.server.as_deref(), &self.linkpulse);
        cmd.arg("--database-url")
            .arg(database_url)
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .args(extra);
        if let Some(geoip) = &self.geoip {
            cmd.arg("--geoip-db").arg(geoip);
        }
        Server::spawn(cmd, addr, self.logs.join(log))
    }

    /// Starts a bare reference server on a free port, pinned to the server core.
    pub fn bare(&self, mode: BareMode, database_url: Option<&str>) -> anyhow::Result<Server> {
        let addr = loopback()?;
        let mut cmd = procs::command(self.pin.server.as_deref(), &self.bench);
        cmd.arg("serve-bare")
            .arg("--mode")
            .arg(format!("{mode:?}").to_lowercase())
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--links")
            .arg(P1_LINKS.to_string());
        if let Some(url) = database_url {
            cmd.arg("--database-url").arg(url);
        }
        Server::spawn(cmd, addr, self.logs.join(format!("bare-{mode:?}.log")))
    }

    /// Runs the load generator (pinned to the load cores) against `addr`, cycling over the
    /// `P1_LINKS` short codes; `rate` fixes requests per second, `None` means flat out.
    pub async fn load(
        &self,
        addr: SocketAddr,
        rate: Option<f64>,
        warmup: Duration,
        measure: Duration,
    ) -> anyhow::Result<LoadResult> {
        let mut cmd = procs::command(self.pin.load.as_deref(), &self.bench);
        cmd.arg("load")
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--connections")
            .arg(self.plan.connections.to_string())
            .arg("--warmup-ms")
            .arg(warmup.as_millis().to_string())
            .arg("--duration-ms")
            .arg(measure.as_millis().to_string());
        for i in 0..P1_LINKS {
            cmd.arg("--path").arg(format!("/bench{i}"));
        }
        if let Some(rate) = rate {
            cmd.arg("--rate").arg(rate.to_string());
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let output = cmd.output().await.context("running the load generator")?;
        if !output.status.success() {
            bail!(
                "load generator failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let text = String::from_utf8(output.stdout)?;
        let line = text
            .lines()
            .last()
            .context("load generator printed nothing")?;
        Ok(serde_json::from_str(line)?)
    }
}

/// A free loopback address.
pub fn loopback() -> anyhow::Result<SocketAddr> {
    Ok(SocketAddr::from(([127, 0, 0, 1], procs::free_port()?)))
}

/// Logs progress on stderr (stdout carries the report).
pub fn progress(message: impl AsRef<str>) {
    eprintln!("[bench] {}", message.as_ref());
}
