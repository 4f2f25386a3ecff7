//! The database fails; the redirects do not. Postgres only: the test database is made to refuse
//! connections (`ALLOW_CONNECTIONS false` and every session terminated) under a steady load, then
//! allowed again — the server is never stopped.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Backend, TestApp, assert_problem, spawn_app, spawn_app_on, spawn_app_with};
use serde_json::json;
use sqlx::Connection;

/// How long the database refuses connections.
const OUTAGE: Duration = Duration::from_secs(4);

/// Concurrent clients of the steady load.
const CLIENTS: usize = 4;

/// Runs `sql` on the admin database of `TEST_DATABASE_URL`.
async fn admin(sql: String) {
    let url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("admin connection");
    // Statements built by the test from its own database name.
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("admin statement");
}

fn database_name(app: &TestApp) -> String {
    let url = url::Url::parse(&app.database_url).unwrap();
    url.path().trim_start_matches('/').to_owned()
}

async fn refuse_connections(name: &str) {
    admin(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false;
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = '{name}' AND pid <> pg_backend_pid();"
    ))
    .await;
    // A connection that was being opened while the database closed may have got through on a
    // busy machine (the suite once saw the API answer 200 here): end those too.
    tokio::time::sleep(Duration::from_millis(200)).await;
    admin(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = '{name}' AND pid <> pg_backend_pid();"
    ))
    .await;
}

async fn allow_connections(name: &str) {
    admin(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await;
}

/// Answers to the steady load: redirects and everything else.
#[derive(Default)]
struct Tally {
    redirects: AtomicU64,
    others: AtomicU64,
}

fn steady_load(
    app: &TestApp,
    path: &str,
    stop: &Arc<AtomicBool>,
    tally: &Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..CLIENTS)
        .map(|_| {
            let (client, url) = (app.client.clone(), format!("{}{path}", app.address));
            let (stop, tally) = (Arc::clone(stop), Arc::clone(tally));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match client.get(&url).send().await.map(|r| r.status().as_u16()) {
                        Ok(302) => tally.redirects.fetch_add(1, Ordering::Relaxed),
                        _ => tally.others.fetch_add(1, Ordering::Relaxed),
                    };
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
        })
        .collect()
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn redirects_and_their_clicks_survive_a_database_outage() {
    // A short time-to-live, so the cached answer falls due during the outage and must be served
    // stale rather than looked up.
    let app = spawn_app_with(Backend::Postgres, &["--link-cache-ttl", "1s"]).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "hot"}))
        .await;
    assert_eq!(app.get("/hot").await.status(), 302, "the link is cached");
    let name = database_name(&app);

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let load = steady_load(&app, "/hot", &stop, &tally);
    tokio::time::sleep(Duration::from_millis(500)).await;

    refuse_connections(&name).await;
    let outage_started = Instant::now();
    let api = app
        .api(reqwest::Method::GET, "/short-urls")
        .send()
        .await
        .unwrap();
    let retry_after = api.headers().get("retry-after").cloned();
    assert_problem(api, 503, "service-unavailable").await;
    assert!(retry_after.is_some(), "a 503 says when to retry");
    let unknown = app.get("/never-seen").await;
    assert_eq!(unknown.status(), 503, "an unknown code cannot be looked up");
    tokio::time::sleep(OUTAGE.saturating_sub(outage_started.elapsed())).await;
    allow_connections(&name).await;

    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for client in load {
        client.await.unwrap();
    }
    let redirects = tally.redirects.load(Ordering::Relaxed);
    let others = tally.others.load(Ordering::Relaxed);
    assert!(redirects > 500, "the load ran: {redirects} redirects");
    assert!(
        others * 1000 <= redirects + others,
        "{others} of {} requests were not redirected",
        redirects + others
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    let stored = loop {
        let stored = app
            .count("SELECT COUNT(*) FROM click_rows WHERE short_url_id IS NOT NULL")
            .await;
        if stored as u64 > redirects || Instant::now() > deadline {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        stored as u64,
        redirects + 1,
        "every answered click stored once (plus the warm-up)"
    );
    let orphans = app
        .count("SELECT COUNT(*) FROM click_rows WHERE short_url_id IS NULL")
        .await;
    assert_eq!(orphans, 0, "a failed lookup is not an orphan visit");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        common::metric_value(&metrics, "linkpulse_events_dropped_total"),
        0.0
    );
    assert!(common::metric_value(&metrics, "linkpulse_outbox_stats_read_timestamp_seconds") > 0.0);
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn an_edit_on_one_instance_reaches_another_within_a_second() {
    let a = spawn_app(Backend::Postgres).await;
    let (url, guard) = (a.database_url.clone(), common::TestDatabase::Shared);
    let b = spawn_app_on(url, guard, &[]).await;
    a.create_link(json!({"longUrl": "https://example.com/old", "customSlug": "moving"}))
        .await;
    let location = |response: reqwest::Response| {
        response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
    };
    assert_eq!(
        location(b.get("/moving").await).as_deref(),
        Some("https://example.com/old")
    );
    assert_eq!(
        b.get("/soon").await.status(),
        404,
        "a negative answer is cached too"
    );

    let edited = a
        .api(reqwest::Method::PATCH, "/short-urls/moving")
        .json(&json!({"longUrl": "https://example.com/new"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    a.create_link(json!({"longUrl": "https://example.com/soon", "customSlug": "soon"}))
        .await;
    let edited_at = Instant::now();
    loop {
        let moved = location(b.get("/moving").await).as_deref() == Some("https://example.com/new");
        let created = b.get("/soon").await.status() == 302;
        if moved && created {
            break;
        }
        assert!(
            edited_at.elapsed() < Duration::from_secs(1),
            "instance B still serves the old answers after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
