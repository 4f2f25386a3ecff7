//! `linkpulse webhook …` and `linkpulse dlq … --consumer` with the real binary, on both
//! backends: registering (the secret printed once, the SSRF guard, unique names), listing,
//! rotating, removing, and a webhook's dead deliveries listed, replayed and purged.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestApp, spawn_app_with};
use serde_json::json;

/// Runs `linkpulse --database-url URL ARGS…`; `(success, stdout, stderr)`.
async fn linkpulse(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::from(common::binary::command())
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .output()
        .await
        .expect("binary runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

async fn ok(app: &TestApp, args: &[&str]) -> String {
    let (success, stdout, stderr) = linkpulse(&app.database_url, args).await;
    assert!(success, "{args:?} failed: {stderr}");
    stdout
}

async fn endpoints_are_added_listed_rotated_and_removed(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    assert!(
        ok(&app, &["webhook", "list"])
            .await
            .contains("No webhooks.")
    );
    let (success, _, refused) = linkpulse(
        &app.database_url,
        &["webhook", "add", "http://127.0.0.1:9/hook"],
    )
    .await;
    assert!(
        !success && refused.contains("--webhooks-allow-private"),
        "{refused}"
    );

    let add = [
        "webhook",
        "add",
        "https://hooks.example/in",
        "--events",
        "new-visit,new-orphan-visit",
        "--name",
        "crm",
    ];
    let added = ok(&app, &add).await;
    let secret = added.lines().last().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{added}");
    let stored = app.store.webhooks().await.unwrap();
    assert_eq!(stored[0].secret.expose(), secret);
    assert_eq!(stored[0].events.to_string(), "new-visit,new-orphan-visit");
    let (success, _, taken) = linkpulse(&app.database_url, &add).await;
    assert!(
        !success && taken.contains("choose another --name"),
        "{taken}"
    );

    let listing = ok(&app, &["webhook", "list"]).await;
    assert!(
        listing.contains("crm  https://hooks.example/in  new-visit,new-orphan-visit  enabled"),
        "{listing}"
    );
    assert!(!listing.contains("whsec_"), "secrets are never listed");

    let rotated = ok(&app, &["webhook", "rotate", "crm"]).await;
    let new = rotated.lines().last().unwrap();
    assert!(new.starts_with("whsec_") && new != secret);
    let stored = app.store.webhooks().await.unwrap();
    assert_eq!(stored[0].secret.expose(), new);
    assert_eq!(
        stored[0].previous_secret.as_ref().map(|(s, _)| s.expose()),
        Some(secret.as_str())
    );

    assert!(
        ok(&app, &["webhook", "remove", "crm"])
            .await
            .contains("removed")
    );
    let (success, _, missing) = linkpulse(&app.database_url, &["webhook", "remove", "crm"]).await;
    assert!(!success && missing.contains("webhook list"), "{missing}");
}

async fn a_consumers_dead_deliveries_are_listed_replayed_and_purged(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--workers",
            "1",
            "--click-ack",
            "commit",
            "--webhooks-allow-private",
            "--webhook-attempts",
            "1",
        ],
    )
    .await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "dead"}))
        .await;
    // Nothing listens on port 9 here: every attempt fails at once.
    ok(
        &app,
        &[
            "webhook",
            "add",
            "http://127.0.0.1:9/hook",
            "--name",
            "nobody",
            "--allow-private",
        ],
    )
    .await;
    assert_eq!(app.get("/dead").await.status(), 302);
    let deadline = Instant::now() + Duration::from_secs(20);
    let listed = loop {
        let listed = ok(&app, &["dlq", "list", "--consumer", "nobody"]).await;
        if listed.contains("new-visit") {
            break listed;
        }
        assert!(Instant::now() < deadline, "never dead-lettered: {listed}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        listed.contains("attempts=1") && listed.contains("cannot connect"),
        "{listed}"
    );
    let replayed = ok(&app, &["dlq", "replay", "--consumer", "nobody", "--all"]).await;
    assert!(
        replayed.contains("1 dead deliveries of nobody put back"),
        "{replayed}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while app
        .store
        .dead_deliveries(Some("nobody"), 10)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the replayed delivery was not tried again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let purged = ok(&app, &["dlq", "purge", "--consumer", "nobody", "--all"]).await;
    assert!(
        purged.contains("1 dead deliveries of nobody deleted"),
        "{purged}"
    );
    assert!(
        ok(&app, &["dlq", "list", "--consumer", "nobody"])
            .await
            .contains("no dead deliveries")
    );
    assert!(
        ok(&app, &["dlq", "list"]).await.contains("empty"),
        "the clicks' own DLQ is apart"
    );
}

backend_tests!(
    endpoints_are_added_listed_rotated_and_removed,
    a_consumers_dead_deliveries_are_listed_replayed_and_purged,
);
