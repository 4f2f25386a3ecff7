//! Child processes: servers pinned to their core, free ports, readiness probes, memory, stopping.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// How long a server may take to answer its first redirect before the run gives up on it.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopped server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Which cores the server and the load generator run on (`taskset -c`), when the machine allows.
#[derive(Debug, Clone)]
pub struct Pinning {
    /// Core list for servers, or `None` when not pinned.
    pub server: Option<String>,
    /// Core list for the load generator, or `None` when not pinned.
    pub load: Option<String>,
}

impl Pinning {
    /// Server on core 0 and load on the other cores when there are at least two and `taskset`
    /// exists; no pinning otherwise.
    pub fn detect() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let taskset = which("taskset").is_some();
        if cores >= 2 && taskset {
            let load = if cores == 2 {
                "1".to_owned()
            } else {
                format!("1-{}", cores - 1)
            };
            Self {
                server: Some("0".to_owned()),
                load: Some(load),
            }
        } else {
            Self::none()
        }
    }

    /// Nothing pinned: every process may run on every core.
    pub fn none() -> Self {
        Self {
            server: None,
            load: None,
        }
    }

    /// One sentence for the report saying what was done.
    pub fn describe(&self) -> String {
        match (&self.server, &self.load) {
            (Some(server), Some(load)) => format!(
                "servers pinned with `taskset -c {server}`, the load generator with `taskset -c {load}` \
                 (each server's tokio runtime therefore runs 1 worker thread and linkpulse starts 1 click \
                 worker; PostgreSQL itself is a system service and is not pinned)"
            ),
            _ => {
                "no pinning (fewer than 2 cores or no `taskset`): servers and load share every core"
                    .to_owned()
            }
        }
    }
}

/// The full path of `program` on `PATH`, if any.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// A command for `program`, prefixed with `taskset -c CORES` when `cores` is given.
pub fn command(cores: Option<&str>, program: &Path) -> Command {
    let mut cmd = match cores {
        Some(cores) => {
            let mut cmd = Command::new("taskset");
            cmd.arg("-c").arg(cores).arg(program);
            cmd
        }
        None => Command::new(program),
    };
    cmd.kill_on_drop(true).stdin(Stdio::null());
    cmd
}

/// A loopback port that was free a moment ago (the OS picks it; the server binds it next).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A started server process.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// When it was spawned, for start-up time.
    pub spawned: Instant,
    /// Its stderr, for diagnostics when it misbehaves.
    pub log: PathBuf,
}

impl Server {
    /// Spawns `cmd` (already carrying its arguments) with stdout and stderr going to `log`.
    pub fn spawn(mut cmd: Command, addr: SocketAddr, log: PathBuf) -> anyhow::Result<Self> {
        let file = std::fs::File::create(&log)?;
        cmd.stdout(file.try_clone()?).stderr(file);
        let spawned = Instant::now();
        let child = cmd.spawn().context("spawning server")?;
        Ok(Self {
            child,
            addr,
            spawned,
            log,
        })
    }

    /// The process id.
    pub fn pid(&self) -> anyhow::Result<u32> {
        self.child.id().context("server already exited")
    }

    /// Waits until `GET path` answers with a redirect; returns the time since spawn.
    pub async fn wait_ready(&mut self, path: &str) -> anyhow::Result<Duration> {
        self.wait_for(path, |status| (300..400).contains(&status))
            .await
    }

    /// Waits until `GET path` answers with any status (the server accepts requests).
    pub async fn wait_listening(&mut self, path: &str) -> anyhow::Result<Duration> {
        self.wait_for(path, |_| true).await
    }

    async fn wait_for(
        &mut self,
        path: &str,
        accept: impl Fn(u16) -> bool,
    ) -> anyhow::Result<Duration> {
        let deadline = self.spawned + READY_TIMEOUT;
        loop {
            if let Ok(status) = get_status(self.addr, path).await
                && accept(status)
            {
                return Ok(self.spawned.elapsed());
            }
            if let Some(exit) = self.child.try_wait()? {
                bail!("server exited with {exit}; see {}", self.log.display());
            }
            if Instant::now() > deadline {
                bail!(
                    "server not ready after {READY_TIMEOUT:?}; see {}",
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }

    /// Resident memory now, its peak so far and the private part of it now.
    pub fn memory_kib(&self) -> anyhow::Result<MemoryReading> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
                .with_context(|| format!("{name} missing from /proc status"))
        };
        Ok(MemoryReading {
            rss: field("VmRSS:")?,
            peak: field("VmHWM:")?,
            private: field("RssAnon:")?,
        })
    }

    /// SIGTERM, then SIGKILL if it has not exited in time.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
        }
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
        }
        Ok(())
    }
}

/// One `GET path` on a fresh connection; the response status.
pub async fn get_status(addr: SocketAddr, path: &str) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    let status = std::str::from_utf8(&head[9..12])?.parse()?;
    Ok(status)
}

/// The body of `GET path`, which must answer 200 (e.g. `/metrics`).
pub async fn get_text(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    let response = reqwest::get(format!("http://{addr}{path}")).await?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET {path} answered {status}");
    }
    Ok(response.text().await?)
}

/// One reading of a process's memory from /proc/PID/status, in KiB.
#[derive(Debug, Clone, Copy)]
pub struct MemoryReading {
    /// Resident now (`VmRSS`).
    pub rss: u64,
    /// Resident at the peak so far (`VmHWM`).
    pub peak: u64,
    /// The private part of `rss` (`RssAnon`); the rest is pages of files, mostly the binary's
    /// code, shared with every process that maps them.
    pub private: u64,
}
