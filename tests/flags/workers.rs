//! `--worker-batch` (observed through the `linkpulse_worker_batch_size` histogram) and the
//! `linkpulse worker` subcommand enriching what a redirect-only node queued.

use std::process::{Child, Command, Stdio};

use linkpulse::clicks::OutboxEntry;

use super::{CODE, PIPELINE_DEADLINE, fixture, queued_click, redirect, wait_for};
use crate::backend_tests;
use crate::common::Backend;
use crate::common::binary::{Server, command};

/// Clicks queued before the worker starts; not a multiple of the batch, so the last is short.
const QUEUED: u32 = 50;
/// The batch under test; the default (4096) would take all [`QUEUED`] rows in one claim.
const BATCH: u32 = 7;

/// One worker and a backlog waiting before it starts: it claims full batches of [`BATCH`] and
/// then the remainder, `ceil(50 / 7)` = 8 claims holding 50 rows in all.
async fn worker_batch_limits_the_rows_claimed_at_once(backend: Backend) {
    let fixture = fixture(backend).await;
    let entries: Vec<OutboxEntry> = (0..QUEUED).map(|_| queued_click(&fixture)).collect();
    fixture
        .store
        .enqueue_clicks(&entries)
        .await
        .expect("enqueue");
    let batch = BATCH.to_string();
    let server = Server::start(&fixture.url, &["--workers", "1", "--worker-batch", &batch]).await;
    wait_for("the backlog processed", PIPELINE_DEADLINE, async || {
        server.metric("linkpulse_events_processed_total").await == f64::from(QUEUED)
    })
    .await;
    assert_eq!(fixture.clicks().await, i64::from(QUEUED));
    assert_eq!(
        server.metric("linkpulse_worker_batch_size_sum").await,
        f64::from(QUEUED),
        "every row claimed once"
    );
    assert_eq!(
        server.metric("linkpulse_worker_batch_size_count").await,
        f64::from(QUEUED.div_ceil(BATCH)),
        "claims of at most {BATCH} rows"
    );
}

/// `linkpulse worker` as its own process, stopped with SIGTERM when dropped or asked to.
struct WorkerProcess {
    child: Child,
}

impl WorkerProcess {
    /// Starts `linkpulse --database-url URL worker --workers 1`.
    fn start(database_url: &str) -> Self {
        let child = command()
            .args(["--database-url", database_url, "worker", "--workers", "1"])
            .stdout(Stdio::null())
            .spawn()
            .expect("worker starts");
        Self { child }
    }

    /// Sends SIGTERM and returns the exit code (`None` when a signal killed it).
    fn stop(&mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.child.wait().expect("worker exits").code()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A serve node without workers only queues; the separate worker process enriches each click
/// once, then stops cleanly on SIGTERM.
async fn worker_subcommand_enriches_what_a_redirect_only_node_queued(backend: Backend) {
    const REDIRECTS: i64 = 20;
    let fixture = fixture(backend).await;
    let server = Server::start(&fixture.url, &["--workers", "0"]).await;
    for _ in 0..REDIRECTS {
        assert_eq!(redirect(&server, &[]).await.0, 302);
    }
    wait_for("the clicks queued", PIPELINE_DEADLINE, async || {
        fixture.backlog().await == REDIRECTS
    })
    .await;
    assert_eq!(fixture.clicks().await, 0, "the serve node enriches nothing");

    let mut worker = WorkerProcess::start(&fixture.url);
    wait_for("the clicks stored", PIPELINE_DEADLINE, async || {
        fixture.clicks().await == REDIRECTS
    })
    .await;
    assert_eq!(fixture.backlog().await, 0);
    let distinct = fixture
        .sql
        .integer("SELECT COUNT(DISTINCT message_id) FROM clicks")
        .await;
    assert_eq!(distinct, REDIRECTS, "no click stored twice");
    let chrome = fixture
        .sql
        .integer("SELECT COUNT(*) FROM clicks WHERE browser = 'Chrome'")
        .await;
    assert_eq!(chrome, REDIRECTS, "every click enriched");
    let code = linkpulse::links::ShortCode::parse(CODE).expect("code");
    let link = fixture
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .expect("read");
    assert_eq!(
        link.expect("link").visits.total,
        REDIRECTS,
        "counted once each"
    );
    assert_eq!(server.metric("linkpulse_events_processed_total").await, 0.0);
    assert_eq!(worker.stop(), Some(0), "SIGTERM stops the worker cleanly");
}

backend_tests!(
    worker_batch_limits_the_rows_claimed_at_once,
    worker_subcommand_enriches_what_a_redirect_only_node_queued,
);
