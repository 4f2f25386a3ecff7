//! The README's commands, run verbatim as a newcomer types them: a README that drifts is a bug.
//!
//! Every `sh` block of README.md is either run here, in README order, in a temporary folder
//! (the test's own build of the binary stands in for `cargo run --release --` and for
//! `linkpulse` on the `PATH`), with the output the README shows after it compared to what it
//! printed; or it names the repository script that runs it, and each of its commands must be
//! in that script. A new block that is neither fails the test.

#[path = "readme/blocks.rs"]
mod blocks;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use blocks::{Block, matches_shown, sh_blocks};

/// Where the README's server listens (its default `--listen`).
const README_ADDRESS: &str = "127.0.0.1:8080";

/// How a block is tried.
#[derive(Debug)]
enum Handling {
    /// Starts a server on [`README_ADDRESS`]: it must come up, and later stop cleanly.
    Server,
    /// Runs to completion; what it prints must be what the README shows.
    Run,
    /// Like `Run`, retried for a few seconds: the README says the work happens in the background.
    Eventually,
    /// Run by this script of the repository, which must contain each of its commands.
    RunBy(&'static str),
}

/// How the block is tried, from its first line.
fn handling(block: &Block) -> Handling {
    let first = block.first_line();
    if first.starts_with("cargo run --release -- serve") || first.starts_with("linkpulse serve") {
        Handling::Server
    } else if first.starts_with("docker ") {
        Handling::RunBy(".ci/docker-check")
    } else if first.starts_with(".ci/run") || first.starts_with("TEST_DATABASE_URL=") {
        Handling::RunBy(".ci/run")
    } else if first.starts_with("curl -s http://") {
        Handling::Eventually
    } else {
        Handling::Run
    }
}

/// The folder the README's commands run in, with the stand-ins on its `PATH`.
struct Workspace {
    dir: tempfile::TempDir,
    bin: PathBuf,
    state: PathBuf,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).expect("bin folder");
        let cargo = bin.join("cargo");
        // `cargo run [-q] --release -- ARGS…` without building again: the test built the binary.
        std::fs::write(
            &cargo,
            "#!/usr/bin/env bash\nwhile [[ $# -gt 0 && $1 != -- ]]; do shift; done\nshift\nexec linkpulse \"$@\"\n",
        )
        .expect("cargo stand-in");
        let mut permissions = std::fs::metadata(&cargo).expect("stand-in").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&cargo, permissions).expect("executable stand-in");
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_linkpulse"), bin.join("linkpulse"))
            .expect("linkpulse on the PATH");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).expect("work folder");
        // What the import section's prose asks for: a CSV file of Shlink's format.
        std::fs::write(
            work.join("links.csv"),
            "Long URL;Short code;Tags\nhttps://example.com/csv;fromcsv;a|b\n",
        )
        .expect("links.csv");
        let state = dir.path().join("state.sh");
        std::fs::write(&state, "").expect("state file");
        Self { dir, bin, state }
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `bash` running `script` in the work folder with a clean environment: no `LINKPULSE_*`
    /// or `DATABASE_URL` from the caller, the stand-ins first on the `PATH`.
    fn bash(&self, script: &str) -> Command {
        let mut command = Command::new("bash");
        for (name, _) in std::env::vars_os() {
            if common::is_linkpulse_variable(&name) {
                command.env_remove(name);
            }
        }
        let path = std::env::var("PATH").unwrap_or_default();
        command
            .env("PATH", format!("{}:{path}", self.bin.display()))
            .env("RUST_LOG", "warn")
            .current_dir(self.work())
            .stdin(Stdio::null())
            .arg("-c")
            .arg(script);
        command
    }

    /// The block with what earlier blocks assigned, saving what it assigns for later ones. The
    /// import section's variables point at the README's own server (standing in for Shlink)
    /// and at a second database, as its prose says to set them.
    fn script(&self, block: &Block) -> String {
        let state = self.state.display();
        let mut script = format!(
            "set -euo pipefail\nsource {state}\nexport SHLINK_URL=http://{README_ADDRESS} SHLINK_API_KEY=\"${{KEY:-}}\"\n"
        );
        if block.first_line().contains("linkpulse import") {
            script.push_str("export DATABASE_URL=sqlite://imported/linkpulse.db\n");
        }
        script.push_str(&block.script);
        script.push('\n');
        for name in block.assigned() {
            script.push_str(&format!("declare -p {name} >> {state}\n"));
        }
        script
    }

    /// Runs `block` to completion; its stdout, panicking with its stderr on failure.
    fn run(&self, block: &Block) -> String {
        let output = self.bash(&self.script(block)).output().expect("bash runs");
        assert!(
            output.status.success(),
            "README line {}: {:?} failed: {}",
            block.line,
            block.script,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// A README server running in the background.
struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    fn start(workspace: &Workspace, block: &Block) -> Self {
        let log = workspace
            .dir
            .path()
            .join(format!("server-{}.log", block.line));
        let child = workspace
            .bash(&format!("exec {}", block.script))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("server starts");
        let mut running = Self { child, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !health_passes() {
            assert!(
                running.child.try_wait().expect("status").is_none(),
                "README line {}: the server exited: {}",
                block.line,
                running.log()
            );
            assert!(
                Instant::now() < deadline,
                "README line {}: no server",
                block.line
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        running
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, as Ctrl-C or `docker stop` would: it must exit 0.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let code = self.child.wait().expect("server exits").code();
        assert_eq!(code, Some(0), "a clean stop: {}", self.log());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn health_passes() -> bool {
    let output = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("http://{README_ADDRESS}/rest/health"))
        .output();
    output.is_ok_and(|output| output.stdout == b"200")
}

/// Asserts that each command of `block` is in the repository script at `path`.
fn assert_run_by(path: &str, block: &Block) {
    let script = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|err| panic!("README line {}: {path}: {err}", block.line));
    let flat = script.replace("\\\n", " ");
    let flat: String = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    for command in block.commands() {
        if path == ".ci/run" && command == ".ci/run" {
            continue;
        }
        assert!(
            flat.contains(&command),
            "README line {}: {path} does not run {command:?}",
            block.line
        );
    }
}

#[test]
#[cfg_attr(
    not(readme_tests),
    ignore = "README check skipped: bash, curl and jq must be on the PATH"
)]
fn every_readme_command_runs_as_written() {
    assert!(
        std::net::TcpListener::bind(README_ADDRESS).is_ok(),
        "{README_ADDRESS} is taken: the README's commands use it, stop what listens there"
    );
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let workspace = Workspace::new();
    let mut server: Option<Running> = None;
    let mut tried = 0;
    for block in sh_blocks(&readme) {
        match handling(&block) {
            Handling::Server => {
                if let Some(previous) = server.take() {
                    previous.stop();
                }
                server = Some(Running::start(&workspace, &block));
            }
            Handling::RunBy(path) => assert_run_by(path, &block),
            Handling::Run | Handling::Eventually => {
                let eventually = matches!(handling(&block), Handling::Eventually);
                let deadline = Instant::now() + Duration::from_secs(5);
                loop {
                    let printed = workspace.run(&block);
                    let verdict = block
                        .shown
                        .as_deref()
                        .map_or(Ok(()), |shown| matches_shown(shown, &printed));
                    match verdict {
                        Ok(()) => break,
                        Err(_) if eventually && Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(100));
                        }
                        Err(difference) => panic!(
                            "README line {}: {:?} printed what the README does not show ({difference}):\n{printed}",
                            block.line, block.script
                        ),
                    }
                }
            }
        }
        tried += 1;
    }
    if let Some(last) = server.take() {
        last.stop();
    }
    assert!(tried >= 10, "only {tried} README blocks found");
    assert!(
        workspace.work().join("imported/linkpulse.db").exists(),
        "the import section ran"
    );
}
