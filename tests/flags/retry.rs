//! `--retry-attempts`, `--retry-base` and `--retry-cap`: with every insert into `click_rows` failing,
//! a click is tried exactly `--retry-attempts` times on the schedule the flags set, then
//! dead-lettered, and each retry is counted in `linkpulse_events_retried_total`.
//!
//! The click is put straight into the outbox, so only the workers' schedule is timed, however
//! the writer stores a redirect's click. The schedule is observed as the time from the enqueue to
//! the dead letter: it is at least the sum of the delays (a retry is not claimable before its
//! delay passed) and, on a healthy pipeline, only a few idle pauses more. Each scenario picks flags whose delays differ from the
//! defaults' (base 1 s, cap 5 min) by seconds, so a flag the binary ignored cannot hide in noise.

use std::time::{Duration, Instant};

use super::{Fixture, fixture, queued_click, wait_for};
use crate::backend_tests;
use crate::common::Backend;
use crate::common::binary::Server;

/// The attempts both scenarios allow (the default is 5).
const ATTEMPTS: u32 = 3;

/// Starts a one-worker server with `retry_flags` while every insert into `click_rows` fails, queues
/// one click, and waits up to `within` for its dead letter; returns the server and how long that
/// took from the enqueue.
async fn time_until_dead_lettered(
    fixture: &Fixture,
    retry_flags: &[&str],
    within: Duration,
) -> (Server, Duration) {
    fixture.fail_inserts_into("click_rows").await;
    let attempts = ATTEMPTS.to_string();
    let mut args = vec!["--workers", "1", "--retry-attempts", &attempts];
    args.extend_from_slice(retry_flags);
    let server = Server::start(&fixture.url, &args).await;
    let started = Instant::now();
    let click = queued_click(fixture);
    fixture
        .store
        .enqueue_clicks(&[click])
        .await
        .expect("enqueue");
    wait_for("the click dead-lettered", within, async || {
        let stats = fixture.store.outbox_stats().await.expect("stats");
        stats.dead_letters == 1
    })
    .await;
    (server, started.elapsed())
}

/// Asserts the one dead letter gave up after [`ATTEMPTS`] deliveries of the injected failure,
/// and that the server counted every retry in between.
async fn assert_gave_up_after_the_attempts(fixture: &Fixture, server: &Server) {
    let letters = fixture
        .store
        .list_dead_letters(10, 0)
        .await
        .expect("dead letters");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].attempts, ATTEMPTS as i32);
    assert_eq!(
        letters[0].reason,
        format!("gave up after {ATTEMPTS} attempts")
    );
    assert!(
        letters[0].last_error.contains("injected failure"),
        "{}",
        letters[0].last_error
    );
    assert_eq!(fixture.clicks().await, 0);
    assert_eq!(fixture.backlog().await, 0);
    assert_eq!(
        server.metric("linkpulse_events_retried_total").await,
        f64::from(ATTEMPTS - 1),
        "every attempt but the last is retried"
    );
    assert_eq!(
        server.metric("linkpulse_events_dead_lettered_total").await,
        1.0
    );
}

/// A base far above the cap: every delay is the cap, 160–200 ms with jitter, so both retries
/// fit in 3 s; an ignored cap would make the first delay alone 8 s or more.
async fn retry_cap_bounds_every_delay(backend: Backend) {
    let fixture = fixture(backend).await;
    let flags = ["--retry-base", "10s", "--retry-cap", "200ms"];
    let (server, took) = time_until_dead_lettered(&fixture, &flags, Duration::from_secs(3)).await;
    assert!(
        took >= Duration::from_millis(2 * 160),
        "two capped delays take at least 320 ms, took {took:?}"
    );
    assert_gave_up_after_the_attempts(&fixture, &server).await;
}

/// Delays of 50 ms and 100 ms (±20 %), so both retries fit in 2 s; the default base would wait
/// 1 s and 2 s (at least 2.4 s with jitter).
async fn retry_base_sets_the_first_delay(backend: Backend) {
    let fixture = fixture(backend).await;
    let flags = ["--retry-base", "50ms"];
    let (server, took) = time_until_dead_lettered(&fixture, &flags, Duration::from_secs(2)).await;
    assert!(
        took >= Duration::from_millis(40 + 80),
        "the two delays take at least 120 ms, took {took:?}"
    );
    assert_gave_up_after_the_attempts(&fixture, &server).await;
}

backend_tests!(
    retry_cap_bounds_every_delay,
    retry_base_sets_the_first_delay
);
