//! The processes the SIGHUP tests signal: a [`Watched`] process's log can be waited on, and
//! [`WorkerProcess`] runs `linkpulse worker` as a child.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::binary::{self, Server};
use crate::{LOG_FILTER, PATIENCE};

/// A child process whose stderr a test can wait on.
pub trait Watched {
    /// Everything it logged so far.
    fn log(&self) -> String;
    /// Whether it still runs.
    fn is_running(&mut self) -> bool;
}

impl Watched for Server {
    fn log(&self) -> String {
        Server::log(self)
    }
    fn is_running(&mut self) -> bool {
        Server::is_running(self)
    }
}

/// Waits until `process` logged `count` lines containing `needle`; fails at once if it exits.
pub async fn wait_for_log(process: &mut impl Watched, needle: &str, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let log = process.log();
        if log.lines().filter(|line| line.contains(needle)).count() >= count {
            return;
        }
        assert!(process.is_running(), "process died; its log:\n{log}");
        assert!(
            Instant::now() < deadline,
            "no {count}× {needle:?} in:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `linkpulse worker` as its own process, killed when dropped.
pub struct WorkerProcess {
    child: Child,
    log: tempfile::NamedTempFile,
}

impl WorkerProcess {
    /// Starts `linkpulse --database-url URL worker --workers 1` and waits until its workers run.
    pub async fn start(database_url: &str) -> Self {
        let log = tempfile::NamedTempFile::new().expect("log file");
        let child = binary::command()
            .args(["--database-url", database_url, "worker", "--workers", "1"])
            .env("RUST_LOG", LOG_FILTER)
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("log file"))
            .spawn()
            .expect("binary starts");
        let mut worker = Self { child, log };
        wait_for_log(&mut worker, "click workers started", 1).await;
        worker
    }

    /// Sends `signal` (as `kill` spells it) to the process.
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the exit; its code (`None` when a signal ended it).
    pub fn wait(&mut self) -> Option<i32> {
        self.child.wait().expect("worker exits").code()
    }
}

impl Watched for WorkerProcess {
    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).expect("worker log")
    }
    fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("child status").is_none()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
