//! The real binary's subcommands against a fresh database on both backends: `api-key`
//! (generate, list, disable, and the key working against a running server), `migrate`, `dlq`
//! (list, show, replay, purge, clap's refusals), and the help texts.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Backend, TestDatabase, fresh_database, test_worker, test_worker_settings};
use linkpulse::auth::hash_key;
use linkpulse::clicks::OutboxEntry;
use linkpulse::store::{self, KeyRoles, Store};
use tokio::process::Command;
use uuid::Uuid;

/// A payload no worker can decode: dead-lettered on its first attempt.
const POISON: &str = "{this is not an event";

/// What one run of the binary left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts the run succeeded; returns its stdout.
    fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "stderr: {}", self.stderr);
        &self.stdout
    }

    /// Asserts the run failed; returns its stderr.
    fn failed(&self) -> &str {
        assert!(
            self.code.is_some_and(|code| code != 0),
            "expected a failure, got {:?}; stdout: {}",
            self.code,
            self.stdout
        );
        &self.stderr
    }
}

/// The binary with none of the caller's `LINKPULSE_*` or `DATABASE_URL` variables.
fn binary() -> Command {
    Command::from(common::binary::command())
}

/// Runs `linkpulse --database-url URL ARGS…` to completion.
async fn linkpulse(database_url: &str, args: &[&str]) -> Run {
    let output = binary()
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .output()
        .await
        .expect("binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// A fresh, migrated database and a store on it (plus the temp dir of a SQLite file).
async fn database(backend: Backend) -> (String, TestDatabase, Arc<dyn Store>) {
    let (url, dir) = fresh_database(backend).await;
    let store = store::connect(&url).await.expect("store connects");
    store.migrate().await.expect("migrations");
    (url, dir, store)
}

/// `linkpulse serve --workers 0` on the same database, killed when dropped.
struct Server(common::binary::Server);

impl Server {
    async fn start(database_url: &str) -> Self {
        Self(common::binary::Server::start(database_url, &["--workers", "0"]).await)
    }

    /// The status of an API call made with `key`.
    async fn api_status(&self, key: &str) -> u16 {
        reqwest::Client::new()
            .get(format!("{}/rest/v3/short-urls", self.0.address))
            .header("X-Api-Key", key)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }
}

/// Drains the outbox with a test worker (no server needed).
async fn drain(store: &Arc<dyn Store>) {
    let worker = test_worker(Arc::clone(store), test_worker_settings());
    while worker.try_execute_batch().await.expect("worker batch") > 0 {}
}

/// A dead letter made from an undecodable event; returns its message id and dead-letter id.
async fn poison_dead_letter(store: &Arc<dyn Store>) -> (Uuid, i64) {
    let message_id = Uuid::now_v7();
    let entry = OutboxEntry {
        message_id,
        payload: POISON.into(),
        enqueued_at: Utc::now(),
    };
    store.enqueue_clicks(&[entry]).await.expect("enqueue");
    drain(store).await;
    let letters = store.list_dead_letters(1, 0).await.expect("list");
    assert_eq!(letters[0].message_id, message_id);
    (message_id, letters[0].id)
}

/// `(outbox rows, dead letters)`.
async fn queue_sizes(store: &Arc<dyn Store>) -> (i64, i64) {
    let stats = store.outbox_stats().await.expect("stats");
    (stats.backlog, stats.dead_letters)
}

/// The line of `api-key list` naming `name`, if any.
fn key_line<'a>(listing: &'a str, name: &str) -> Option<&'a str> {
    listing
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
}

async fn api_key_generate_list_and_disable(backend: Backend) {
    let (url, _dir, store) = database(backend).await;
    let empty = linkpulse(&url, &["api-key", "list"]).await;
    assert!(empty.ok().contains("No API keys yet"), "{}", empty.stdout);

    let generated = linkpulse(&url, &["api-key", "generate", "--name", "ci"]).await;
    let stdout = generated.ok();
    let body = stdout
        .strip_suffix('\n')
        .expect("newline-terminated output");
    let key = body.rsplit('\n').next().unwrap_or(body);
    assert!(
        key.len() >= 20 && !key.contains(char::is_whitespace),
        "the last line is the key and nothing follows it: {stdout:?}"
    );
    let found = store.find_api_key(&hash_key(key)).await.expect("check");
    assert_eq!(
        found.map(|k| k.roles),
        Some(KeyRoles::default()),
        "an admin key"
    );

    let server = Server::start(&url).await;
    assert_eq!(server.api_status(key).await, 200, "the new key works");
    assert_eq!(server.api_status("not-the-key").await, 401);

    let again = linkpulse(&url, &["api-key", "generate", "--name", "ci"]).await;
    let stderr = again.failed();
    assert!(
        stderr.contains("ci") && stderr.contains("already exists"),
        "{stderr}"
    );
    assert!(again.stdout.is_empty(), "no key printed: {}", again.stdout);

    let listing = linkpulse(&url, &["api-key", "list"]).await;
    let line = key_line(listing.ok(), "ci").expect("ci listed");
    assert_eq!(line.split_whitespace().nth(1), Some("enabled"), "{line}");
    assert!(line.ends_with("admin"), "{line}");
    assert_eq!(
        listing.stdout.lines().count(),
        1,
        "one key: {}",
        listing.stdout
    );

    let disabled = linkpulse(&url, &["api-key", "disable", "ci"]).await;
    assert!(disabled.ok().contains("disabled"), "{}", disabled.stdout);
    assert_eq!(
        store.find_api_key(&hash_key(key)).await.expect("check"),
        None
    );
    let listing = linkpulse(&url, &["api-key", "list"]).await;
    let line = key_line(listing.ok(), "ci").expect("ci listed");
    assert_eq!(line.split_whitespace().nth(1), Some("disabled"), "{line}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.api_status(key).await != 401 {
        assert!(Instant::now() < deadline, "disabled key still accepted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let unknown = linkpulse(&url, &["api-key", "disable", "nope"]).await;
    assert!(
        unknown.failed().contains("no API key named \"nope\""),
        "{}",
        unknown.stderr
    );
}

async fn migrate_names_what_it_applied_and_runs_twice(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let first = linkpulse(&url, &["migrate"]).await;
    let stdout = first.ok();
    assert!(stdout.starts_with("applied "), "{stdout}");
    assert!(
        stdout.contains("  0001 links\n"),
        "each applied migration is named: {stdout}"
    );
    let second = linkpulse(&url, &["migrate"]).await;
    assert!(
        second
            .ok()
            .contains("is up to date: no migration was pending"),
        "{}",
        second.stdout
    );
    let store = store::connect(&url).await.expect("store connects");
    assert!(
        store
            .list_api_keys()
            .await
            .expect("schema exists")
            .is_empty()
    );
}

async fn dlq_list_show_replay_and_purge(backend: Backend) {
    let (url, _dir, store) = database(backend).await;
    let empty = linkpulse(&url, &["dlq", "list"]).await;
    assert!(
        empty.ok().contains("dead-letter queue is empty"),
        "{}",
        empty.stdout
    );

    let (message_id, id) = poison_dead_letter(&store).await;
    let listed = linkpulse(&url, &["dlq", "list"]).await;
    let line = listed
        .ok()
        .lines()
        .find(|line| line.split_whitespace().next() == Some(id.to_string().as_str()))
        .unwrap_or_else(|| panic!("dead letter {id} listed: {}", listed.stdout));
    for part in [&message_id.to_string(), "attempts=1", "poison message"] {
        assert!(line.contains(part), "{part} in {line}");
    }

    let shown = linkpulse(&url, &["dlq", "show", &id.to_string()]).await;
    let text = shown.ok();
    for part in [
        format!("payload:     {POISON}"),
        "reason:      poison message".to_owned(),
        format!("message id:  {message_id}"),
        "undecodable payload".to_owned(),
    ] {
        assert!(text.contains(&part), "{part:?} in {text}");
    }
    let missing = linkpulse(&url, &["dlq", "show", &(id + 1000).to_string()]).await;
    let stderr = missing.failed();
    assert!(
        stderr.contains(&format!("no dead letter with id {}", id + 1000)),
        "{stderr}"
    );

    let replayed = linkpulse(&url, &["dlq", "replay", &id.to_string()]).await;
    assert!(
        replayed.ok().starts_with("1 dead letter(s)"),
        "{}",
        replayed.stdout
    );
    assert_eq!(queue_sizes(&store).await, (1, 0), "back in the outbox");

    drain(&store).await;
    assert_eq!(queue_sizes(&store).await, (0, 1), "still poison");
    let purged = linkpulse(&url, &["dlq", "purge", "--all"]).await;
    assert!(
        purged.ok().starts_with("1 dead letter(s) deleted"),
        "{}",
        purged.stdout
    );
    assert_eq!(queue_sizes(&store).await, (0, 0));
    let empty = linkpulse(&url, &["dlq", "list"]).await;
    assert!(
        empty.ok().contains("dead-letter queue is empty"),
        "{}",
        empty.stdout
    );
}

async fn dlq_replay_and_purge_need_a_selection(backend: Backend) {
    let (url, _dir, store) = database(backend).await;
    let (_, id) = poison_dead_letter(&store).await;
    let id = id.to_string();
    for args in [
        vec!["dlq", "replay"],
        vec!["dlq", "purge"],
        vec!["dlq", "replay", &id, "--all"],
        vec!["dlq", "purge", &id, "--all"],
        vec!["dlq", "replay", "seven"],
    ] {
        let run = linkpulse(&url, &args).await;
        assert_eq!(
            run.code,
            Some(2),
            "clap usage error for {args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    }
    assert_eq!(
        queue_sizes(&store).await,
        (0, 1),
        "nothing was replayed or purged"
    );
}

async fn api_key_roles_are_chosen_at_generate_and_listed(backend: Backend) {
    let (url, _dir, store) = database(backend).await;
    let args = [
        "api-key",
        "generate",
        "--name",
        "limited",
        "--author-only",
        "--domain-only",
        "s.example",
        "--no-orphan-visits",
    ];
    let generated = linkpulse(&url, &args).await;
    let stdout = generated.ok();
    assert!(
        stdout.contains("author only, domain only: s.example, no orphan visits"),
        "{stdout}"
    );
    let key = stdout.trim_end().rsplit('\n').next().expect("key line");
    let found = store.find_api_key(&hash_key(key)).await.expect("check");
    let roles = found.expect("stored").roles;
    assert_eq!(
        roles,
        KeyRoles {
            author_only: true,
            domain_only: Some("s.example".to_owned()),
            no_orphan_visits: true,
        }
    );
    let listing = linkpulse(&url, &["api-key", "list"]).await;
    let line = key_line(listing.ok(), "limited").expect("listed");
    assert!(line.ends_with("no orphan visits"), "{line}");
}

/// The server's log lines when its stderr is a file, as in a container: JSON by default, text
/// when asked; never colour codes.
async fn logs_off_a_terminal_are_json_lines_without_colour(backend: Backend) {
    let (url, _dir, _store) = database(backend).await;
    let info = [("RUST_LOG", "info")];
    let server = common::binary::Server::start_with_env(&url, &["--workers", "0"], &info).await;
    let log = server.log();
    let lines: Vec<&str> = log.lines().filter(|line| !line.is_empty()).collect();
    assert!(!lines.is_empty(), "the server logs its start at info");
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "no colour codes: {line:?}");
        let event: serde_json::Value =
            serde_json::from_str(line).expect("one JSON object per line");
        assert!(
            event["level"].is_string() && event["fields"].is_object(),
            "{line}"
        );
    }
    drop(server);
    let text = [("RUST_LOG", "info"), ("LINKPULSE_LOG_FORMAT", "text")];
    let server = common::binary::Server::start_with_env(&url, &["--workers", "0"], &text).await;
    let log = server.log();
    assert!(
        !log.contains('\u{1b}'),
        "text off a terminal has no colour either: {log}"
    );
    assert!(log.lines().any(|line| line.contains(" INFO ")), "{log}");
    assert!(log.lines().all(|line| !line.starts_with('{')), "{log}");
}

backend_tests!(
    logs_off_a_terminal_are_json_lines_without_colour,
    api_key_generate_list_and_disable,
    api_key_roles_are_chosen_at_generate_and_listed,
    migrate_names_what_it_applied_and_runs_twice,
    dlq_list_show_replay_and_purge,
    dlq_replay_and_purge_need_a_selection,
);

/// `--help` output (needs no database, so it runs once rather than per backend).
async fn help(args: &[&str]) -> String {
    let output = binary()
        .env(
            "DATABASE_URL",
            "postgres://someone:hunter2@db.example/links",
        )
        .args(args)
        .output()
        .await
        .expect("binary runs");
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).expect("UTF-8 help")
}

#[tokio::test]
async fn help_names_the_database_url_and_the_serve_flags() {
    let top = help(&["--help"]).await;
    for part in ["DATABASE_URL", "serve", "migrate", "api-key", "dlq"] {
        assert!(top.contains(part), "{part} in:\n{top}");
    }
    let serve = help(&["serve", "--help"]).await;
    for part in [
        "DATABASE_URL",
        "--click-ack",
        "LINKPULSE_CLICK_ACK",
        "--workers",
        "LINKPULSE_WORKERS",
        "--trusted-proxies",
        "LINKPULSE_TRUSTED_PROXIES",
        "--geoip-db",
        "LINKPULSE_GEOIP_DB",
    ] {
        assert!(serve.contains(part), "{part} in:\n{serve}");
    }
    for text in [&top, &serve] {
        assert!(
            !text.contains("hunter2"),
            "the database password leaks:\n{text}"
        );
    }
}

#[tokio::test]
async fn every_help_text_names_its_variables_cleanly() {
    let commands: [&[&str]; 8] = [
        &["--help"],
        &["serve", "--help"],
        &["worker", "--help"],
        &["migrate", "--help"],
        &["api-key", "generate", "--help"],
        &["import", "shlink", "--help"],
        &["import", "csv", "--help"],
        &["dlq", "replay", "--help"],
    ];
    for args in commands {
        let text = help(args).await;
        assert!(!text.contains("=]"), "a dangling `=` in {args:?}:\n{text}");
        assert!(
            !text.contains("postgres://USER@HOST/DB"),
            "the URL form matches the README's in {args:?}"
        );
    }
    let worker = help(&["worker", "--help"]).await;
    assert!(worker.contains("`worker` needs at least 1"), "{worker}");
    let generate = help(&["api-key", "generate", "--help"]).await;
    for role in ["--author-only", "--domain-only", "--no-orphan-visits"] {
        assert!(generate.contains(role), "{role} in:\n{generate}");
    }
}

#[tokio::test]
async fn a_worker_without_workers_is_refused_with_the_fix() {
    let output = binary()
        .args([
            "--database-url",
            "sqlite::memory:",
            "worker",
            "--workers",
            "0",
        ])
        .output()
        .await
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("give 1 or more"), "{stderr}");
}
