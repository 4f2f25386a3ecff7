//! Several domains on one instance, on both backends: the same short code on two domains, routed
//! by `Host` (and by `X-Forwarded-Host` only from a trusted proxy), addressed through the API's
//! `domain` and `?domain=`, each domain with its own not-found redirects falling back on the
//! default's, its own visits, and unknown hosts answered as configured.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestApp, assert_problem, spawn_app, spawn_app_on, spawn_app_with};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// Another domain this instance serves once a link is created on it.
const OTHER: &str = "go.example";

/// An app whose clicks are stored by `drain`, committed before the answer.
async fn draining_app(backend: Backend, extra: &[&str]) -> TestApp {
    let mut flags = vec!["--workers", "0", "--click-ack", "commit"];
    flags.extend_from_slice(extra);
    spawn_app_with(backend, &flags).await
}

/// `GET path` as a browser asking for `host` would.
async fn get_on(app: &TestApp, host: &str, path: &str) -> Response {
    app.client
        .get(format!("{}{path}", app.address))
        .header("host", host)
        .send()
        .await
        .expect("request")
}

fn location(response: &Response) -> Option<&str> {
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
}

fn own_host(app: &TestApp) -> String {
    format!("127.0.0.1:{}", app.port)
}

/// `promo` on the default domain to `a.example`, and on [`OTHER`] to `b.example`.
async fn two_promos(app: &TestApp) -> (Value, Value) {
    let ours = app
        .create_link(json!({"longUrl": "https://a.example/", "customSlug": "promo"}))
        .await;
    let theirs = app
        .create_link(
            json!({"longUrl": "https://b.example/", "customSlug": "promo", "domain": OTHER}),
        )
        .await;
    (ours, theirs)
}

async fn the_same_code_on_two_domains_redirects_by_host(backend: Backend) {
    let app = draining_app(backend, &[]).await;
    let (ours, theirs) = two_promos(&app).await;
    assert_eq!(ours["domain"], Value::Null);
    assert_eq!(ours["shortUrl"], format!("{}/promo", app.address));
    assert_eq!(theirs["domain"], OTHER);
    assert_eq!(theirs["shortUrl"], "http://go.example/promo");
    let taken = app
        .api(Method::POST, "/short-urls")
        .json(&json!({"longUrl": "https://c.example/", "customSlug": "promo", "domain": "GO.example"}))
        .send()
        .await
        .unwrap();
    assert_problem(taken, 400, "non-unique-slug").await;

    let here = get_on(&app, &own_host(&app), "/promo").await;
    assert_eq!(location(&here), Some("https://a.example/"));
    let there = get_on(&app, "GO.EXAMPLE", "/promo").await;
    assert_eq!(location(&there), Some("https://b.example/"));

    let read = app.api_json("/short-urls/promo?domain=go.example").await;
    assert_eq!(read["longUrl"], "https://b.example/");
    assert_eq!(
        app.api_json("/short-urls/promo").await["longUrl"],
        "https://a.example/"
    );
    let missing = app
        .api(Method::GET, "/short-urls/promo?domain=else.example")
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404, "short-url-not-found").await;

    let all = app.api_json("/short-urls").await;
    assert_eq!(all["shortUrls"]["pagination"]["totalItems"], 2);
    let only = app.api_json("/short-urls?domain=go.example").await;
    assert_eq!(only["shortUrls"]["pagination"]["totalItems"], 1);
    assert_eq!(only["shortUrls"]["data"][0]["domain"], OTHER);
    let default = app.api_json("/short-urls?domain=DEFAULT").await;
    assert_eq!(default["shortUrls"]["data"][0]["domain"], Value::Null);

    let edited = app
        .api(Method::PATCH, "/short-urls/promo?domain=go.example")
        .json(&json!({"longUrl": "https://b2.example/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    let there = get_on(&app, OTHER, "/promo").await;
    assert_eq!(
        location(&there),
        Some("https://b2.example/"),
        "edited at once"
    );
    let here = get_on(&app, &own_host(&app), "/promo").await;
    assert_eq!(
        location(&here),
        Some("https://a.example/"),
        "the other one untouched"
    );

    let deleted = app
        .api(Method::DELETE, "/short-urls/promo?domain=go.example")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(get_on(&app, OTHER, "/promo").await.status(), 404);
    let here = get_on(&app, &own_host(&app), "/promo").await;
    assert_eq!(location(&here), Some("https://a.example/"));

    let domains = app.api_json("/domains").await;
    let listed: Vec<(&str, bool)> = domains["domains"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["domain"].as_str().unwrap(),
                d["isDefault"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![(own_host(&app).as_str(), true), (OTHER, false)]
    );
}

async fn each_domain_has_its_redirects_and_falls_back_on_the_defaults(backend: Backend) {
    let app = draining_app(backend, &[]).await;
    let set = |body: Value| {
        app.api(Method::PATCH, "/domains/redirects")
            .json(&body)
            .send()
    };
    let theirs = set(json!({
        "domain": "shop.example",
        "invalidShortUrlRedirect": "https://shop-help.example/{ORIGINAL_PATH}",
    }))
    .await
    .unwrap();
    assert_eq!(theirs.status(), 200, "a new domain's redirects are set");
    let ours = set(json!({"domain": "DEFAULT", "baseUrlRedirect": "https://home.example/"}))
        .await
        .unwrap();
    assert_eq!(ours.status(), 200);

    let miss = get_on(&app, "shop.example", "/nope").await;
    assert_eq!(location(&miss), Some("https://shop-help.example/nope"));
    let bare = get_on(&app, "shop.example", "/").await;
    assert_eq!(
        location(&bare),
        Some("https://home.example/"),
        "no base URL redirect of its own: the default's"
    );
    let our_miss = get_on(&app, &own_host(&app), "/nope").await;
    assert_eq!(
        our_miss.status(),
        404,
        "the default domain has no such redirect"
    );

    let domains = app.api_json("/domains").await;
    let shop = domains["domains"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == "shop.example")
        .cloned()
        .expect("the domain is listed");
    assert_eq!(
        shop["redirects"]["invalidShortUrlRedirect"],
        "https://shop-help.example/{ORIGINAL_PATH}"
    );
    assert_eq!(shop["redirects"]["baseUrlRedirect"], Value::Null);
    assert_eq!(
        domains["domains"]["defaultRedirects"]["baseUrlRedirect"],
        "https://home.example/"
    );
    let refused = set(json!({"domain": "https://bad/", "baseUrlRedirect": "https://x.example/"}))
        .await
        .unwrap();
    assert_problem(refused, 400, "invalid-data").await;
}

async fn visits_are_counted_per_domain(backend: Backend) {
    let app = draining_app(backend, &[]).await;
    two_promos(&app).await;
    for _ in 0..3 {
        assert_eq!(get_on(&app, OTHER, "/promo").await.status(), 302);
    }
    assert_eq!(get_on(&app, &own_host(&app), "/promo").await.status(), 302);
    app.drain().await;
    let total = |body: &Value| body["visits"]["pagination"]["totalItems"].clone();
    let theirs = app.api_json("/domains/go.example/visits").await;
    assert_eq!(total(&theirs), 3, "{theirs}");
    assert_eq!(total(&app.api_json("/domains/DEFAULT/visits").await), 1);
    let link = app
        .api_json("/short-urls/promo/visits?domain=go.example")
        .await;
    assert_eq!(total(&link), 3);
    assert_eq!(total(&app.api_json("/short-urls/promo/visits").await), 1);
    let counted = app.api_json("/short-urls/promo?domain=go.example").await;
    assert_eq!(counted["visitsSummary"]["total"], 3);
    let unknown = app
        .api(Method::GET, "/domains/else.example/visits")
        .send()
        .await
        .unwrap();
    assert_problem(unknown, 404, "domain-not-found").await;
}

async fn only_a_trusted_proxy_may_name_the_host(backend: Backend) {
    let direct = draining_app(backend, &[]).await;
    two_promos(&direct).await;
    let spoofed = direct
        .client
        .get(format!("{}/promo", direct.address))
        .header("x-forwarded-host", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&spoofed),
        Some("https://a.example/"),
        "an untrusted peer's X-Forwarded-Host is ignored"
    );
    let proxied = draining_app(backend, &["--trusted-proxies", "127.0.0.1/32"]).await;
    two_promos(&proxied).await;
    let forwarded = proxied
        .client
        .get(format!("{}/promo", proxied.address))
        .header("x-forwarded-host", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&forwarded), Some("https://b.example/"));
}

async fn unknown_hosts_are_served_as_configured(backend: Backend) {
    let lenient = draining_app(backend, &[]).await;
    two_promos(&lenient).await;
    let served = get_on(&lenient, "unknown.example", "/promo").await;
    assert_eq!(
        location(&served),
        Some("https://a.example/"),
        "the default domain's link"
    );
    let strict = draining_app(backend, &["--unknown-hosts", "not-found"]).await;
    two_promos(&strict).await;
    assert_eq!(
        get_on(&strict, "unknown.example", "/promo").await.status(),
        404
    );
    let there = get_on(&strict, OTHER, "/promo").await;
    assert_eq!(location(&there), Some("https://b.example/"));
    strict.drain().await;
    let orphans = strict.api_json("/visits/orphan").await;
    assert_eq!(
        orphans["visits"]["pagination"]["totalItems"], 0,
        "a host not served records nothing"
    );
}

async fn a_domain_added_by_another_process_is_routed_after_a_refresh(backend: Backend) {
    let app = draining_app(
        backend,
        &["--link-cache-ttl", "1s", "--unknown-hosts", "not-found"],
    )
    .await;
    assert_eq!(get_on(&app, OTHER, "/import").await.status(), 404);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("links.csv");
    std::fs::write(
        &csv,
        "Long URL;Short code;Domain\nhttps://example.com/i;import;go.example\n",
    )
    .unwrap();
    let imported = tokio::process::Command::from(common::binary::command())
        .args([
            "--database-url",
            &app.database_url,
            "import",
            "csv",
            "--delimiter",
            ";",
        ])
        .arg(&csv)
        .output()
        .await
        .unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let added = Instant::now();
    while get_on(&app, OTHER, "/import").await.status() != 302 {
        assert!(
            added.elapsed() < Duration::from_secs(5),
            "the imported domain is not routed after a refresh"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests!(
    the_same_code_on_two_domains_redirects_by_host,
    each_domain_has_its_redirects_and_falls_back_on_the_defaults,
    visits_are_counted_per_domain,
    only_a_trusted_proxy_may_name_the_host,
    unknown_hosts_are_served_as_configured,
    a_domain_added_by_another_process_is_routed_after_a_refresh,
);

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn a_domain_added_on_one_instance_is_served_by_another_within_a_second() {
    let a = spawn_app(Backend::Postgres).await;
    let (url, guard) = (a.database_url.clone(), common::TestDatabase::Shared);
    let b = spawn_app_on(url, guard, &["--unknown-hosts", "not-found"]).await;
    assert_eq!(get_on(&b, OTHER, "/promo").await.status(), 404);
    a.create_link(json!({"longUrl": "https://b.example/", "customSlug": "promo", "domain": OTHER}))
        .await;
    let created_at = Instant::now();
    while location(&get_on(&b, OTHER, "/promo").await) != Some("https://b.example/") {
        assert!(
            created_at.elapsed() < Duration::from_secs(1),
            "instance B does not serve the new domain after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
