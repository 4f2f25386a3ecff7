//! Bad configuration gets one line on stderr naming the thing and the fix — no backtrace, even
//! with `RUST_BACKTRACE=1` — and a failing exit code.

mod common;

use std::time::Duration;

use common::binary::command;

/// Runs the binary with `args`; its stderr, after asserting it failed with one `error:` line.
async fn one_line_error(args: &[&str]) -> String {
    let mut child = command();
    child.args(args).env("RUST_BACKTRACE", "1");
    let output = tokio::task::spawn_blocking(move || child.output().expect("binary runs"));
    let output = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .expect("the binary gives up within 30 s")
        .unwrap();
    assert!(!output.status.success(), "{args:?} succeeded");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line for {args:?}: {stderr}");
    assert!(
        !stderr.to_lowercase().contains("backtrace"),
        "no backtrace: {stderr}"
    );
    errors[0].to_string()
}

fn assert_says(line: &str, parts: &[&str]) {
    for part in parts {
        assert!(line.contains(part), "{line:?} lacks {part:?}");
    }
}

#[tokio::test]
async fn sqlite_paths_that_cannot_work_are_named_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_line_error(&["--database-url", "sqlite://", "migrate"]).await;
    assert_says(&line, &["names no file", "sqlite://data/linkpulse.db"]);

    let folder = format!("sqlite://{}", dir.path().display());
    let line = one_line_error(&["--database-url", &folder, "migrate"]).await;
    assert_says(
        &line,
        &[&dir.path().display().to_string(), "it is a folder"],
    );

    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let under_file = format!("sqlite://{}/x.db", file.display());
    let line = one_line_error(&["--database-url", &under_file, "migrate"]).await;
    assert_says(
        &line,
        &[
            &file.display().to_string(),
            "a file of that name is in the way",
        ],
    );
}

#[tokio::test]
async fn an_unreachable_postgres_is_named_with_host_port_and_cause() {
    let line = one_line_error(&[
        "--database-url",
        "postgres://postgres@127.0.0.1:1/app",
        "migrate",
    ])
    .await;
    assert_says(
        &line,
        &[
            "cannot connect to Postgres at 127.0.0.1:1",
            "\"app\"",
            "connection refused",
        ],
    );
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn a_missing_database_and_a_rejected_user_say_so() {
    let admin = url::Url::parse(&std::env::var("TEST_DATABASE_URL").unwrap()).unwrap();
    let mut missing = admin.clone();
    missing.set_path("lp_no_such_database");
    let line = one_line_error(&["--database-url", missing.as_str(), "migrate"]).await;
    assert_says(
        &line,
        &["lp_no_such_database", "does not exist", "createdb"],
    );

    let mut stranger = admin.clone();
    stranger.set_username("lp_no_such_user").unwrap();
    let line = one_line_error(&["--database-url", stranger.as_str(), "migrate"]).await;
    assert_says(&line, &["lp_no_such_user", "rejected", "user and password"]);
}

#[tokio::test]
async fn base_urls_and_listen_addresses_that_break_a_rule_say_which() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/lp.db", dir.path().display());
    for (flag, value, rule) in [
        (
            "--base-url",
            "ftp://s.example",
            "must start with http:// or https://",
        ),
        (
            "--base-url",
            "https://s.example/?utm=x",
            "must not have a query",
        ),
        ("--listen", "localhost", "expected HOST:PORT"),
        (
            "--listen",
            "127.0.0.1:99999",
            "not a number from 0 to 65535",
        ),
    ] {
        let line = one_line_error(&["--database-url", &db, "serve", flag, value]).await;
        assert_says(&line, &[value, rule]);
    }
}

#[tokio::test]
async fn listen_accepts_a_host_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/lp.db", dir.path().display());
    let mut child = command()
        .args(["--database-url", &db, "serve", "--listen", "localhost:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        line
    })
    .await
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(line.starts_with("listening on http://"), "{line}");
}
