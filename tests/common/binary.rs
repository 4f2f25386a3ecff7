//! The real `linkpulse` binary as a child process: started on port 0 with a clean environment
//! (it binds a free port itself and reports it on stdout), its stderr captured for assertions,
//! killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// `linkpulse` with none of the caller's `LINKPULSE_*` or `DATABASE_URL` variables, so a test
/// sees only the flags it passes.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_linkpulse"));
    for (name, _) in std::env::vars_os() {
        if super::is_linkpulse_variable(&name) {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "warn").stdin(Stdio::null());
    command
}

/// The address `linkpulse serve` reports on its first line of stdout (`listening on URL`). The
/// rest of stdout is drained until the child exits, so a later line never meets a closed pipe.
fn reported_address(stdout: ChildStdout) -> Option<String> {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    line.trim().strip_prefix("listening on ").map(str::to_owned)
}

/// `linkpulse serve` running as its own process.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    log: tempfile::NamedTempFile,
}

impl Server {
    /// Starts `linkpulse --database-url URL serve --listen … ARGS…` and waits for its health check.
    pub async fn start(database_url: &str, args: &[&str]) -> Self {
        Self::start_with_env(database_url, args, &[]).await
    }

    /// Like [`Server::start`], with extra environment variables (e.g. `RUST_LOG`).
    pub async fn start_with_env(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let log = tempfile::NamedTempFile::new().expect("log file");
        let mut child = command()
            .args([
                "--database-url",
                database_url,
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("log file"))
            .spawn()
            .expect("binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let reading = tokio::task::spawn_blocking(move || reported_address(stdout));
        let address = tokio::time::timeout(Duration::from_secs(20), reading)
            .await
            .expect("server reported no address within 20 s")
            .expect("reading stdout");
        let Some(address) = address else {
            let _ = child.kill();
            panic!(
                "server exited before listening: {}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            );
        };
        let mut server = Self {
            child,
            address,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = reqwest::Client::new();
        while client
            .get(format!("{}/rest/health", server.address))
            .send()
            .await
            .is_err()
        {
            assert!(
                server.child.try_wait().expect("child status").is_none(),
                "server exited at start: {}",
                server.log()
            );
            assert!(Instant::now() < deadline, "server did not come up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
    }

    /// The process id, e.g. to read its threads under `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).expect("server log")
    }

    /// Clicks the server logged as dropped (never silent: each log line carries the number
    /// dropped since the previous one).
    pub fn dropped_clicks(&self) -> usize {
        self.log()
            .lines()
            .filter(|line| line.contains("clicks dropped"))
            .map(|line| {
                // `count=N` in text lines, `"count":N` in JSON ones (the default off a terminal).
                line.split_once("count=")
                    .or_else(|| line.split_once("\"count\":"))
                    .and_then(|(_, rest)| {
                        let digits: String =
                            rest.chars().take_while(char::is_ascii_digit).collect();
                        digits.parse::<usize>().ok()
                    })
                    .expect("a drop line carries its count")
            })
            .sum()
    }

    /// Sends `signal` (as `kill` spells it, e.g. `-TERM`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit; returns its exit code (`None` when killed by a signal).
    pub fn wait(&mut self) -> Option<i32> {
        self.child.wait().expect("server exits").code()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("child status").is_none()
    }

    /// The value of an unlabelled series in `GET /metrics` (e.g. `linkpulse_events_dropped_total`).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.address))
            .await
            .expect("metrics request")
            .text()
            .await
            .expect("metrics body");
        super::metric_value(&text, name)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
