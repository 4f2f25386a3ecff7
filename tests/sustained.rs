//! Sustained load against the real binary on both backends: flat out from 32 connections for
//! 3 s with a click buffer far smaller than what arrives, so the pipeline is slower than the
//! redirects for the whole run. Every redirect answered 302 must be a click once the pipeline
//! has caught up, exactly once, and nothing may be dropped: a full buffer makes redirects wait.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Backend;
use common::binary::Server;
use common::load::{Load, database_with_link, stored_numbers};
use linkpulse::links::ShortCode;
use linkpulse::store::Store;

/// The link's visit counter, which moves in the transaction that stores each click.
async fn counted(store: &Arc<dyn Store>) -> usize {
    let code = ShortCode::parse("load").unwrap();
    let link = store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .unwrap()
        .unwrap();
    usize::try_from(link.visits.total).unwrap()
}

/// Connections the in-test client keeps busy.
const CONNECTIONS: u64 = 32;
/// How long the load runs.
const LOAD_FOR: Duration = Duration::from_secs(3);

async fn every_answered_redirect_is_stored_once_under_sustained_load(backend: Backend) {
    let (url, _database, store) = database_with_link(backend, "load").await;
    for mode in ["immediate", "commit"] {
        let server = Server::start(&url, &["--click-ack", mode, "--click-buffer", "8"]).await;
        let load = Load::start(&server.address, "load", CONNECTIONS);
        tokio::time::sleep(LOAD_FOR).await;
        assert_eq!(load.failures(), 0, "{mode}: every redirect answered 302");
        let acked = load.stop().await;
        assert!(
            acked.len() > 100,
            "{mode}: too little load: {}",
            acked.len()
        );

        let deadline = Instant::now() + Duration::from_secs(30);
        while counted(&store).await < acked.len() {
            assert!(
                Instant::now() < deadline,
                "{mode}: the pipeline never caught up"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let stored = stored_numbers(&store, &url, "load").await;
        assert!(
            acked.is_subset(&stored),
            "{mode}: an answered redirect has no click"
        );
        assert_eq!(
            server.metric("linkpulse_events_dropped_total").await,
            0.0,
            "{mode}"
        );
        assert!(
            server.metric("linkpulse_events_waited_total").await > 0.0,
            "{mode}: the buffer never filled, so back pressure was not exercised"
        );
        assert_eq!(server.dropped_clicks(), 0, "{mode}: {}", server.log());
        // The next mode starts from the same link: numbers must not collide with this run's.
        store
            .delete_link_visits(&linkpulse::links::LinkAddress::default_domain(
                ShortCode::parse("load").unwrap(),
            ))
            .await
            .unwrap();
    }
}

backend_tests!(every_answered_redirect_is_stored_once_under_sustained_load);
