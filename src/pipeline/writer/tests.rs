//! Tests for the writer: gathering, batch bounds, commit-mode acks, retry pauses, the drop log.

use std::net::IpAddr;

use super::*;
use crate::clicks::VisitKind;
use crate::telemetry::MetricsRegistry;

fn orphan_event() -> ClickEvent {
    ClickEvent {
        message_id: uuid::Uuid::now_v7(),
        kind: VisitKind::Regular404,
        link_id: None,
        occurred_at: Utc::now(),
        client_ip: Some(IpAddr::from([203, 0, 113, 9])),
        user_agent: Some("test".into()),
        referrer: None,
        visited_url: "http://lp.test/nope".into(),
        redirect_url: None,
        destination: None,
        traceparent: None,
    }
}

/// A running test writer: its temporary folder, store, recorder, task and metrics registry.
type TestWriter = (
    tempfile::TempDir,
    Arc<dyn Store>,
    ClickRecorder,
    JoinHandle<()>,
    MetricsRegistry,
);

/// Starts a writer in `mode` over a fresh SQLite file; returns its store and metrics too.
async fn writer(mode: AckMode) -> TestWriter {
    writer_with_capacity(mode, 1024).await
}

/// Like [`writer`], with a buffer of `capacity` events.
async fn writer_with_capacity(mode: AckMode, capacity: usize) -> TestWriter {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/writer.db", dir.path().display());
    let store = crate::store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let registry = MetricsRegistry::new();
    let metrics = PipelineMetrics::on(&registry);
    let settings = WriterSettings {
        capacity,
        mode,
        ack_timeout: Duration::from_secs(5),
        full_wait: Duration::from_secs(5),
    };
    let (recorder, task) = ClickRecorder::spawn(
        &tokio::runtime::Handle::current(),
        Arc::clone(&store),
        None,
        settings,
        metrics,
    );
    (dir, store, recorder, task, registry)
}

/// How many commits the writer made.
fn commits(metrics: &MetricsRegistry) -> u64 {
    metrics
        .render()
        .lines()
        .find_map(|line| line.strip_prefix("linkpulse_writer_batch_size_count "))
        .and_then(|count| count.trim().parse().ok())
        .unwrap()
}

/// Commits that held more than `limit` events.
fn commits_over(metrics: &MetricsRegistry, limit: u32) -> u64 {
    let bucket = format!("linkpulse_writer_batch_size_bucket{{le=\"{limit}\"}} ");
    let within: u64 = metrics
        .render()
        .lines()
        .find_map(|line| line.strip_prefix(bucket.as_str()))
        .and_then(|count| count.trim().parse().ok())
        .unwrap();
    commits(metrics) - within
}

#[test]
fn retry_pauses_double_up_to_the_cap() {
    assert_eq!(next_retry_pause(FIRST_RETRY_PAUSE), FIRST_RETRY_PAUSE * 2);
    assert_eq!(
        next_retry_pause(MAX_RETRY_PAUSE / 2 + Duration::from_millis(1)),
        MAX_RETRY_PAUSE
    );
    assert_eq!(next_retry_pause(MAX_RETRY_PAUSE), MAX_RETRY_PAUSE);
}

// The writer takes the first event and gathers for 5 ms (the clock is paused, so exactly);
// meanwhile the buffer fills with four more. The batch it then commits must stop at the
// buffer's size, the bound a `kill -9` loss is stated in.
#[tokio::test]
async fn a_gathered_batch_never_exceeds_the_buffer() {
    let (_dir, store, recorder, task, metrics) = writer_with_capacity(AckMode::Immediate, 4).await;
    recorder.record(orphan_event()).await;
    tokio::time::pause();
    tokio::time::advance(Duration::from_millis(1)).await;
    for _ in 0..4 {
        recorder.record(orphan_event()).await;
    }
    tokio::time::advance(GATHER_FOR).await;
    tokio::time::resume();
    drop(recorder);
    task.await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap().backlog, 5);
    assert_eq!(
        commits(&metrics),
        2,
        "a full batch of 4, then the last event"
    );
    assert_eq!(commits_over(&metrics, 4), 0, "no commit held more than 4");
}

#[test]
fn the_first_drop_is_logged_at_once_and_later_ones_summed_per_interval() {
    let log = DropLog::default();
    for _ in 0..3 {
        log.note(uuid::Uuid::now_v7(), "buffer full");
    }
    let state = log.state.lock().unwrap();
    assert!(state.last_logged.is_some(), "the first drop was logged");
    assert_eq!(state.unlogged, 2, "the next two wait for the next line");
}

// The clock is paused between the two events, so "1 ms later" is exact whatever the
// machine's load: the writer has taken the first event and must still be gathering.
#[tokio::test]
async fn immediate_mode_gathers_events_arriving_within_the_window() {
    let (_dir, store, recorder, task, metrics) = writer(AckMode::Immediate).await;
    recorder.record(orphan_event()).await;
    tokio::time::pause();
    tokio::time::advance(Duration::from_millis(1)).await;
    recorder.record(orphan_event()).await;
    tokio::time::resume();
    drop(recorder);
    task.await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap().backlog, 2);
    assert_eq!(commits(&metrics), 1, "both events in one commit");
}

#[tokio::test]
async fn commit_mode_commits_each_waiting_event_without_delay() {
    let (_dir, store, recorder, task, metrics) = writer(AckMode::Commit).await;
    for _ in 0..20 {
        recorder.record(orphan_event()).await;
    }
    drop(recorder);
    task.await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap().backlog, 20);
    assert_eq!(
        commits(&metrics),
        20,
        "each record() waited for its own commit"
    );
}
