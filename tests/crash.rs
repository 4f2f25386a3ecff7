//! Crash and shutdown safety of the real binary: `kill -9` mid-load in both ack modes, and
//! SIGTERM under load, on both backends. Every request that got a 302 is checked in `clicks`.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::binary::Server;
use common::load::{Load, database_with_link, stored_numbers};
use common::{Backend, TestDatabase};
use linkpulse::store::Store;

/// Buffer size used for the `immediate` run; the stated loss bound is the buffer plus one batch
/// (plus any click the server logged as dropped because the buffer was full).
const BUFFER: usize = 256;

async fn prepare(backend: Backend) -> (String, TestDatabase, Arc<dyn Store>) {
    database_with_link(backend, "crash").await
}

/// Restarts on the same database and waits until the outbox is empty.
async fn restart_and_drain(database_url: &str, store: &Arc<dyn Store>) -> Server {
    let server = Server::start(database_url, &["--workers", "2", "--lease", "2s"]).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.outbox_stats().await.unwrap().backlog > 0 {
        assert!(Instant::now() < deadline, "outbox did not drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

/// What the pipeline logs once every worker has finished the batch in hand.
const WORKERS_STOPPED: &str = "click workers stopped";

/// Acknowledged clicks to wait for before the signal, so the process dies mid-load however
/// slow the machine is.
const LOAD_BEFORE_SIGNAL: usize = 300;

async fn load_then(server: &mut Server, signal: &str) -> HashSet<u64> {
    let load = Load::start(&server.address, "crash", 16);
    load.wait_for(LOAD_BEFORE_SIGNAL).await;
    server.signal(signal);
    server.wait();
    load.stop().await
}

async fn kill_9_in_commit_mode_loses_no_acknowledged_click(backend: Backend) {
    let (url, _dir, store) = prepare(backend).await;
    let mut server = Server::start(
        &url,
        &["--click-ack", "commit", "--workers", "1", "--lease", "2s"],
    )
    .await;
    let acked = load_then(&mut server, "-KILL").await;
    let _server = restart_and_drain(&url, &store).await;
    let stored = stored_numbers(&store, &url, "crash").await;
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged clicks lost", lost.len());
}

async fn kill_9_in_immediate_mode_loses_at_most_the_buffer(backend: Backend) {
    let (url, _dir, store) = prepare(backend).await;
    let buffer = BUFFER.to_string();
    let args = [
        "--click-ack",
        "immediate",
        "--click-buffer",
        &buffer,
        "--workers",
        "1",
        "--lease",
        "2s",
    ];
    let mut server = Server::start(&url, &args).await;
    let acked = load_then(&mut server, "-KILL").await;
    let dropped = server.dropped_clicks();
    let _server = restart_and_drain(&url, &store).await;
    let stored = stored_numbers(&store, &url, "crash").await;
    let lost = acked.difference(&stored).count();
    let bound = 2 * BUFFER + dropped;
    assert!(
        lost <= bound,
        "{lost} lost; bound: 2 × buffer + {dropped} logged drops"
    );
}

async fn sigterm_under_load_flushes_everything_and_burns_no_attempt(backend: Backend) {
    let (url, _dir, store) = prepare(backend).await;
    let mut server = Server::start_with_env(
        &url,
        &["--workers", "1", "--lease", "2s"],
        &[("RUST_LOG", "warn,linkpulse::pipeline=info")],
    )
    .await;
    let acked = load_then(&mut server, "-TERM").await;
    assert!(
        server.log().contains(WORKERS_STOPPED),
        "the workers were stopped before the process ended: {}",
        server.log()
    );
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!(stats.dead_letters, 0);
    let claimable = store
        .claim_clicks(u32::MAX / 2, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        claimable.len() as i64,
        stats.backlog,
        "no row left under a lease"
    );
    assert!(
        claimable.iter().all(|event| event.claim.attempt == 1),
        "no attempt burned"
    );
    store
        .release_clicks(
            &claimable
                .iter()
                .map(|event| event.claim)
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let _server = restart_and_drain(&url, &store).await;
    let stored = stored_numbers(&store, &url, "crash").await;
    assert!(acked.is_subset(&stored), "SIGTERM lost acknowledged clicks");
}

backend_tests!(
    kill_9_in_commit_mode_loses_no_acknowledged_click,
    kill_9_in_immediate_mode_loses_at_most_the_buffer,
    sigterm_under_load_flushes_everything_and_burns_no_attempt,
);
