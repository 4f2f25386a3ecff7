//! `--click-ack-timeout` in `--click-ack commit` mode: while the outbox refuses inserts, a
//! redirect is answered once the timeout passes, and the writer keeps retrying the commit so the
//! click lands exactly once when the database recovers.
//!
//! The node runs no workers, so its writer takes every click to the outbox (a node with workers
//! may store clicks itself and never touch the outbox); a test worker drains it afterwards.

use std::sync::Arc;
use std::time::Duration;

use super::{PIPELINE_DEADLINE, fixture, redirect, wait_for};
use crate::backend_tests;
use crate::common::binary::Server;
use crate::common::{Backend, test_worker, test_worker_settings};

/// Far from the 250 ms default, so an ignored flag shows.
const ACK_TIMEOUT: Duration = Duration::from_millis(1500);

async fn commit_ack_answers_after_the_timeout_and_the_click_lands_once_recovered(backend: Backend) {
    let fixture = fixture(backend).await;
    fixture.fail_inserts_into("click_outbox").await;
    let timeout = format!("{}ms", ACK_TIMEOUT.as_millis());
    let args = [
        "--click-ack",
        "commit",
        "--click-ack-timeout",
        &timeout,
        "--workers",
        "0",
    ];
    let server = Server::start(&fixture.url, &args).await;
    let (status, took) = redirect(&server, &[]).await;
    assert_eq!(status, 302);
    assert!(
        took >= ACK_TIMEOUT - Duration::from_millis(100) && took < Duration::from_secs(5),
        "answered after {took:?}, expected about {ACK_TIMEOUT:?}"
    );
    // The writer's pauses start at 10 ms and double: over the timeout it failed several times,
    // so a writer that gives up after one failure cannot pass what follows.
    let failures = server.log().matches("outbox commit failed").count();
    assert!(failures >= 3, "{failures} failed commits logged");
    assert_eq!(fixture.backlog().await, 0, "the fault let nothing through");
    assert_eq!(server.metric("linkpulse_events_buffered").await, 1.0);

    fixture.clear_insert_failure("click_outbox").await;
    wait_for("the click committed", PIPELINE_DEADLINE, async || {
        fixture.backlog().await == 1
    })
    .await;
    // Nothing left in the buffer and one commit: no second copy can still arrive.
    assert_eq!(server.metric("linkpulse_events_buffered").await, 0.0);
    assert_eq!(server.metric("linkpulse_events_enqueued_total").await, 1.0);
    let worker = test_worker(Arc::clone(&fixture.store), test_worker_settings());
    while worker.try_execute_batch().await.expect("worker batch") > 0 {}
    assert_eq!(fixture.clicks().await, 1);
    let distinct = fixture
        .sql
        .integer("SELECT COUNT(DISTINCT message_id) FROM clicks")
        .await;
    assert_eq!(distinct, 1);
    assert_eq!(fixture.backlog().await, 0);
}

backend_tests!(commit_ack_answers_after_the_timeout_and_the_click_lands_once_recovered);
