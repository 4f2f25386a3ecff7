//! SIGHUP through the real binary, on both backends: it reloads the geo-IP file at once (even
//! one the 30-second poll cannot tell apart from the old; a broken one leaves the old in use and
//! is logged once), and without a geo-IP database it neither stops `serve` nor
//! `linkpulse worker` nor loses a click.

mod common;
#[path = "sighup/processes.rs"]
mod processes;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::binary::Server;
use common::geo_fixture::{self, BERLIN, DBIP_CITY_NET, Place};
use common::load::{Load, database_with_link, stored_numbers};
use common::{Backend, TestDatabase, test_worker, test_worker_settings};
use linkpulse::clicks::OutboxEntry;
use linkpulse::clicks::VisitKind;
use linkpulse::links::ShortCode;
use linkpulse::pipeline::event::ClickEvent;
use linkpulse::store::Store;
use processes::{Watched, WorkerProcess, wait_for_log};
use uuid::Uuid;

/// Logs the tests wait on: the reloader's and the workers' start, nothing noisier.
const LOG_FILTER: &str = "warn,linkpulse::pipeline=info";
/// What the reloader logs for a SIGHUP when no geo-IP database is configured.
const NOTHING_TO_RELOAD: &str = "nothing to reload";
/// What the reloader logs for every file it loads (at start and on each reload).
const LOADED: &str = "GeoIP database loaded";
/// What the reloader logs, once per distinct error, when a file cannot be loaded.
const RELOAD_FAILED: &str = "GeoIP reload failed";
/// The short code every test visits.
const CODE: &str = "hup";
/// How long any one wait may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(15);
/// Outbox rows the `linkpulse worker` test hands to the worker.
const EVENTS: u64 = 50;
/// An address inside [`DBIP_CITY_NET`], sent as `X-Forwarded-For`.
const CLIENT: &str = "198.51.100.7";

/// Kassel: a rewritten file's answer for [`DBIP_CITY_NET`]. Its texts are as long as
/// [`BERLIN`]'s, so the file keeps its size.
const KASSEL: Place = Place {
    code: "DE",
    country: "Germany",
    region: "Land Hessen",
    city: "Kassel",
    latitude: 51.3127,
    longitude: 9.4797,
    timezone: "Europe/Berlin",
};

/// A fresh, migrated database with the link [`CODE`]; returns its URL, the database (removed
/// when dropped), a store on it and the link's id.
async fn prepare(backend: Backend) -> (String, TestDatabase, Arc<dyn Store>, i64) {
    let (url, database, store) = database_with_link(backend, CODE).await;
    let code = linkpulse::links::LinkAddress::default_domain(ShortCode::parse(CODE).expect("code"));
    let id = store
        .find_short_url(&code)
        .await
        .expect("find")
        .expect("link")
        .id;
    (url, database, store, id)
}

/// A DB-IP-shaped database placing [`DBIP_CITY_NET`] in `place`.
fn located_in(place: &Place) -> Vec<u8> {
    let record = geo_fixture::flat_record(place);
    geo_fixture::database("DBIP-City-Lite", vec![(DBIP_CITY_NET, record)])
}

/// Replaces `path` atomically (written next to it, then renamed over it) with `bytes`, keeping
/// its size and modification time, so only a forced reload can notice the change.
fn replace_keeping_stamp(path: &Path, bytes: &[u8]) {
    let before = std::fs::metadata(path).expect("old file");
    assert_eq!(
        before.len(),
        bytes.len() as u64,
        "the new file keeps the size"
    );
    let staged = geo_fixture::write(path.parent().expect("dir"), "geo.mmdb.new", bytes);
    let modified = before.modified().expect("mtime");
    std::fs::File::options()
        .write(true)
        .open(&staged)
        .and_then(|file| file.set_modified(modified))
        .expect("set mtime");
    std::fs::rename(&staged, path).expect("rename over the old file");
    let after = std::fs::metadata(path).expect("new file");
    assert_eq!(after.modified().expect("mtime"), modified, "mtime kept");
}

/// A client that does not follow redirects.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// `(visited_url, city_name)` of every stored click, once there are `n` of them.
async fn wait_for_clicks(database_url: &str, n: usize) -> Vec<(String, Option<String>)> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let sql = "SELECT visited_url, city_name FROM clicks ORDER BY id";
        let rows: Vec<(String, Option<String>)> = common::sql_rows::fetch(database_url, sql).await;
        assert!(rows.len() <= n, "more clicks than requests: {rows:?}");
        if rows.len() == n {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} clicks stored",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The city of the click stored for one more visit of `/hup` from [`CLIENT`].
async fn city_of_next_click(server: &Server, database_url: &str, n: usize) -> Option<String> {
    let response = client()
        .get(format!("{}/{CODE}?n={n}", server.address))
        .header("X-Forwarded-For", CLIENT)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 302);
    let rows = wait_for_clicks(database_url, n + 1).await;
    assert!(rows[n].0.ends_with(&format!("?n={n}")), "{rows:?}");
    rows[n].1.clone()
}

async fn sighup_reloads_a_replaced_geo_database_at_once(backend: Backend) {
    let (url, _db_dir, _store, _link) = prepare(backend).await;
    let geo_dir = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = geo_fixture::write(geo_dir.path(), "geo.mmdb", &located_in(&BERLIN));
    let args = [
        "--workers",
        "1",
        "--trusted-proxies",
        "127.0.0.1",
        "--geoip-db",
        path.to_str().expect("UTF-8 temp path"),
    ];
    let mut server = Server::start_with_env(&url, &args, &[("RUST_LOG", LOG_FILTER)]).await;
    let berlin = Some(BERLIN.city.to_owned());
    assert_eq!(city_of_next_click(&server, &url, 0).await, berlin);

    replace_keeping_stamp(&path, &located_in(&KASSEL));
    assert_eq!(
        city_of_next_click(&server, &url, 1).await,
        berlin,
        "without SIGHUP the old database stays in use"
    );

    server.signal("-HUP");
    wait_for_log(&mut server, LOADED, 2).await;
    assert_eq!(
        city_of_next_click(&server, &url, 2).await,
        Some(KASSEL.city.to_owned()),
        "SIGHUP loaded the new file"
    );

    std::fs::write(&path, b"not a geo-IP database").expect("break the file");
    server.signal("-HUP");
    wait_for_log(&mut server, RELOAD_FAILED, 1).await;
    server.signal("-HUP");
    assert_eq!(
        city_of_next_click(&server, &url, 3).await,
        Some(KASSEL.city.to_owned()),
        "a failed reload keeps the previous database"
    );
    std::fs::write(&path, located_in(&BERLIN)).expect("repair the file");
    server.signal("-HUP");
    wait_for_log(&mut server, LOADED, 3).await;
    let failures = server.log().matches(RELOAD_FAILED).count();
    assert_eq!(
        failures,
        1,
        "the same failure is logged once: {}",
        server.log()
    );
    assert!(server.is_running());
}

/// Connections sending redirects while the signals arrive.
const LANES: u64 = 4;

async fn serve_survives_sighup_without_a_geo_database_and_keeps_every_click(backend: Backend) {
    let (url, _dir, store, _link) = prepare(backend).await;
    let env = [("RUST_LOG", LOG_FILTER)];
    let mut server = Server::start_with_env(&url, &["--workers", "0"], &env).await;
    let load = Load::start(&server.address, CODE, LANES);
    for hangups in 1..=2 {
        load.wait_for(hangups * 20).await;
        server.signal("-HUP");
        wait_for_log(&mut server, NOTHING_TO_RELOAD, hangups).await;
    }
    load.wait_for(60).await;
    assert_eq!(load.failures(), 0, "every redirect answered 302");
    let acked = load.stop().await;

    assert!(server.is_running(), "{}", server.log());
    assert_eq!(server.metric("linkpulse_events_dropped_total").await, 0.0);
    server.signal("-TERM");
    assert_eq!(server.wait(), Some(0), "graceful exit: {}", server.log());
    let worker = test_worker(Arc::clone(&store), test_worker_settings());
    while worker.try_execute_batch().await.expect("worker batch") > 0 {}
    assert_eq!(
        stored_numbers(&store, &url, CODE).await,
        acked,
        "every answered click, once"
    );
    let stats = store.outbox_stats().await.expect("stats");
    assert_eq!((stats.backlog, stats.dead_letters), (0, 0));
}

/// Outbox rows for `n` visits of the link `link_id`, numbered like the redirects.
fn outbox_entries(link_id: i64, n: u64) -> Vec<OutboxEntry> {
    (0..n)
        .map(|i| {
            let event = ClickEvent {
                message_id: Uuid::now_v7(),
                kind: VisitKind::ValidShortUrl,
                link_id: Some(link_id),
                occurred_at: Utc::now(),
                client_ip: Some(CLIENT.parse().expect("IP")),
                user_agent: None,
                referrer: None,
                visited_url: format!("http://lp.test/{CODE}?n={i}"),
                redirect_url: Some("https://example.com/".into()),
                destination: None,
                traceparent: None,
            };
            event.to_outbox_entry(event.occurred_at)
        })
        .collect()
}

async fn worker_survives_sighup_without_a_geo_database(backend: Backend) {
    let (url, _dir, store, link) = prepare(backend).await;
    let mut worker = WorkerProcess::start(&url).await;
    worker.signal("-HUP");
    wait_for_log(&mut worker, NOTHING_TO_RELOAD, 1).await;
    store
        .enqueue_clicks(&outbox_entries(link, EVENTS))
        .await
        .expect("enqueue");
    wait_for_clicks(&url, EVENTS as usize).await;
    assert!(worker.is_running());
    worker.signal("-TERM");
    assert_eq!(worker.wait(), Some(0), "graceful exit: {}", worker.log());
    assert_eq!(
        stored_numbers(&store, &url, CODE).await,
        (0..EVENTS).collect::<HashSet<_>>()
    );
    assert_eq!(store.outbox_stats().await.expect("stats").backlog, 0);
}

backend_tests!(
    sighup_reloads_a_replaced_geo_database_at_once,
    serve_survives_sighup_without_a_geo_database_and_keeps_every_click,
    worker_survives_sighup_without_a_geo_database,
);
