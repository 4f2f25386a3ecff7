//! Geolocation end to end: a fixture `.mmdb` is handed to the server with `--geoip-db`, redirects
//! arrive (directly or through a trusted proxy), the server's own workers enrich them, and the
//! visits API shows the location. Both database layouts (MaxMind, DB-IP) on both backends.

mod common;

use std::time::{Duration, Instant};

use common::geo_fixture::{self, BERLIN, LONDON, Place, SAN_DIEGO};
use common::{Backend, TestApp, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

/// Which fixture database the server gets.
#[derive(Debug, Clone, Copy)]
enum Fixture {
    /// "GeoLite2-City": London at 81.2.69.0/24, San Diego at 2001:480::/32.
    MaxMind,
    /// "DBIP-City-Lite": Berlin at 198.51.100.0/24.
    DbIp,
}

/// A server with one in-process worker reading the fixture, and a link `/geo`.
///
/// The worker is the server's own (not a test-driven drain), so this also proves `--geoip-db`
/// reaches the workers. The temp dir holding the database must outlive the server.
async fn geo_app(
    backend: Backend,
    fixture: Fixture,
    trusted: Option<&str>,
) -> (tempfile::TempDir, TestApp) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = match fixture {
        Fixture::MaxMind => geo_fixture::maxmind_city(&LONDON),
        Fixture::DbIp => geo_fixture::dbip_city("DBIP-City-Lite"),
    };
    let path = geo_fixture::write(dir.path(), "geo.mmdb", &bytes);
    let path = path.to_str().expect("UTF-8 temp path");
    let mut flags = vec![
        "--workers",
        "1",
        "--click-ack",
        "commit",
        "--geoip-db",
        path,
    ];
    if let Some(trusted) = trusted {
        flags.extend(["--trusted-proxies", trusted]);
    }
    let app = spawn_app_with(backend, &flags).await;
    app.create_link(json!({"longUrl": "https://example.com/geo", "customSlug": "geo"}))
        .await;
    (dir, app)
}

/// `GET path` with one extra header; asserts the expected status.
async fn visit_with(app: &TestApp, path: &str, header: (&str, &str), status: u16) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .header(header.0, header.1)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), status, "GET {path}");
}

/// Waits until the workers stored `n` clicks and the outbox is empty.
async fn wait_for_clicks(app: &TestApp, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let stored = app.count("SELECT COUNT(*) FROM clicks").await;
        let pending = app.count("SELECT COUNT(*) FROM click_outbox").await;
        if stored == n && pending == 0 {
            return;
        }
        assert!(stored <= n, "more clicks than requests: {stored}");
        assert!(
            Instant::now() < deadline,
            "workers stored {stored} of {n} clicks, {pending} pending"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The visits of `/geo`, oldest first.
async fn geo_visits(app: &TestApp) -> Vec<Value> {
    let response = app
        .api(Method::GET, "/short-urls/geo/visits")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    let mut data = body["visits"]["data"]
        .as_array()
        .expect("visit list")
        .clone();
    data.reverse();
    data
}

/// Asserts a MaxMind-sourced `visitLocation` equals the fixture's record for `place`.
fn assert_maxmind_place(location: &Value, place: &Place) {
    assert_eq!(location["countryCode"], place.code, "{location}");
    assert_eq!(location["countryName"], place.country, "{location}");
    assert_eq!(location["regionName"], place.region, "{location}");
    assert_eq!(location["cityName"], place.city, "{location}");
    assert_eq!(location["latitude"], place.latitude, "{location}");
    assert_eq!(location["longitude"], place.longitude, "{location}");
    assert_eq!(location["timezone"], place.timezone, "{location}");
}

async fn maxmind_location_of_the_forwarded_client(backend: Backend) {
    let (_dir, app) = geo_app(backend, Fixture::MaxMind, Some("127.0.0.1/32")).await;
    visit_with(&app, "/geo", ("X-Forwarded-For", "81.2.69.142"), 302).await;
    visit_with(&app, "/geo", ("X-Forwarded-For", "2001:480:10::1"), 302).await;
    wait_for_clicks(&app, 2).await;

    let visits = geo_visits(&app).await;
    assert_eq!(visits.len(), 2);
    assert_maxmind_place(&visits[0]["visitLocation"], &LONDON);
    assert_maxmind_place(&visits[1]["visitLocation"], &SAN_DIEGO);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clicks WHERE ip = '81.2.69.0' AND city_name = 'London'")
            .await,
        1,
        "located from the full address, stored anonymized"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 0);
}

async fn dbip_location_with_region_and_derived_country_name(backend: Backend) {
    let (_dir, app) = geo_app(backend, Fixture::DbIp, Some("127.0.0.1/32")).await;
    visit_with(&app, "/geo", ("X-Forwarded-For", "198.51.100.7"), 302).await;
    wait_for_clicks(&app, 1).await;

    let visits = geo_visits(&app).await;
    assert_eq!(visits.len(), 1);
    let location = &visits[0]["visitLocation"];
    assert_eq!(location["countryCode"], BERLIN.code, "{location}");
    assert_eq!(location["countryName"], BERLIN.country, "from the ISO code");
    assert_eq!(location["regionName"], BERLIN.region, "from state1");
    assert_eq!(location["cityName"], BERLIN.city);
    assert_eq!(location["latitude"], BERLIN.latitude, "f32 widened cleanly");
    assert_eq!(
        location["longitude"], BERLIN.longitude,
        "f32 widened cleanly"
    );
    assert_eq!(location["timezone"], "", "DB-IP Lite has no time zone");
}

async fn spoofed_headers_from_an_untrusted_peer_are_ignored(backend: Backend) {
    let (_dir, app) = geo_app(backend, Fixture::MaxMind, None).await;
    visit_with(&app, "/geo", ("X-Forwarded-For", "81.2.69.142"), 302).await;
    visit_with(&app, "/geo", ("Forwarded", "for=81.2.69.142"), 302).await;
    wait_for_clicks(&app, 2).await;

    let visits = geo_visits(&app).await;
    assert_eq!(visits.len(), 2);
    for visit in &visits {
        assert_eq!(visit["visitLocation"], Value::Null, "{visit}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clicks WHERE ip = '127.0.0.0'")
            .await,
        2,
        "the peer's own (anonymized) address is stored"
    );
}

async fn forwarded_header_through_a_trusted_proxy(backend: Backend) {
    let (_dir, app) = geo_app(backend, Fixture::MaxMind, Some("127.0.0.1/32")).await;
    let header = ("Forwarded", "for=81.2.69.142;proto=https;by=127.0.0.1");
    visit_with(&app, "/geo", header, 302).await;
    let quoted_v6 = ("Forwarded", r#"for="[2001:480:10::1]:4711""#);
    visit_with(&app, "/geo", quoted_v6, 302).await;
    wait_for_clicks(&app, 2).await;

    let visits = geo_visits(&app).await;
    assert_eq!(visits.len(), 2);
    assert_maxmind_place(&visits[0]["visitLocation"], &LONDON);
    assert_maxmind_place(&visits[1]["visitLocation"], &SAN_DIEGO);
}

async fn unknown_address_has_no_location_and_is_not_an_error(backend: Backend) {
    let (_dir, app) = geo_app(backend, Fixture::MaxMind, Some("127.0.0.1/32")).await;
    visit_with(&app, "/geo", ("X-Forwarded-For", "8.8.8.8"), 302).await;
    visit_with(&app, "/geo", ("X-Forwarded-For", "2a00:1450::1"), 302).await;
    wait_for_clicks(&app, 2).await;

    let visits = geo_visits(&app).await;
    assert_eq!(visits.len(), 2);
    for visit in &visits {
        assert_eq!(visit["visitLocation"], Value::Null, "{visit}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clicks WHERE ip = '8.8.8.0'")
            .await,
        1
    );
}

async fn orphan_visits_are_located_too(backend: Backend) {
    let (_dir, app) = geo_app(backend, Fixture::MaxMind, Some("127.0.0.1/32")).await;
    visit_with(
        &app,
        "/no-such-code",
        ("X-Forwarded-For", "81.2.69.142"),
        404,
    )
    .await;
    wait_for_clicks(&app, 1).await;

    let response = app
        .api(Method::GET, "/visits/orphan")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    let data = body["visits"]["data"].as_array().expect("visit list");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["type"], "invalid_short_url");
    assert_maxmind_place(&data[0]["visitLocation"], &LONDON);
}

backend_tests!(
    maxmind_location_of_the_forwarded_client,
    dbip_location_with_region_and_derived_country_name,
    spoofed_headers_from_an_untrusted_peer_are_ignored,
    forwarded_header_through_a_trusted_proxy,
    unknown_address_has_no_location_and_is_not_an_error,
    orphan_visits_are_located_too,
);
