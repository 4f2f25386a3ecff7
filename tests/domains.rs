//! Shlink's domain routes for the default domain, on both backends: `GET /domains` in Shlink's
//! shape, `PATCH /domains/redirects` followed by the redirect path at once (and by another
//! instance within a second on Postgres), and `GET /domains/{domain}/visits`.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestApp, assert_problem, spawn_app, spawn_app_on, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

fn no_redirects() -> Value {
    json!({
        "baseUrlRedirect": null,
        "regular404Redirect": null,
        "invalidShortUrlRedirect": null,
    })
}

async fn lists_listen_address_as_default_domain(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.api(Method::GET, "/domains").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "domains": {
                "data": [{
                    "domain": format!("127.0.0.1:{}", app.port),
                    "isDefault": true,
                    "redirects": no_redirects(),
                }],
                "defaultRedirects": no_redirects(),
            }
        })
    );
}

async fn domain_follows_configured_base_url(backend: Backend) {
    let app = spawn_app_with(backend, &["--base-url", "https://s.example.com"]).await;
    let response = app.api(Method::GET, "/domains").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let data = body["domains"]["data"].as_array().expect("data is a list");
    assert_eq!(data.len(), 1, "body: {body}");
    assert_eq!(data[0]["domain"], "s.example.com");
    assert_eq!(data[0]["isDefault"], true);
}

async fn set_redirects(app: &TestApp, body: Value) -> reqwest::Response {
    app.api(Method::PATCH, "/domains/redirects")
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
}

/// An app whose clicks are stored by `drain`, committed before the answer.
async fn draining_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await
}

async fn not_found_redirects_are_set_shown_and_followed(backend: Backend) {
    let app = draining_app(backend).await;
    assert_eq!(app.get("/").await.status(), 404, "our landing page before");
    assert_eq!(app.get("/nope").await.status(), 404);
    let response = set_redirects(
        &app,
        json!({
            "domain": "DEFAULT",
            "baseUrlRedirect": "https://home.example/",
            "invalidShortUrlRedirect": "https://help.example/{DOMAIN}/missing/{ORIGINAL_PATH}",
            "regular404Redirect": format!("{}/app", app.address),
        }),
    )
    .await;
    assert_eq!(response.status(), 200);
    let set = json!({
        "baseUrlRedirect": "https://home.example/",
        "regular404Redirect": format!("{}/app", app.address),
        "invalidShortUrlRedirect": "https://help.example/{DOMAIN}/missing/{ORIGINAL_PATH}",
    });
    assert_eq!(response.json::<Value>().await.unwrap(), set);
    let listed: Value = app
        .api(Method::GET, "/domains")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["domains"]["data"][0]["redirects"], set);
    assert_eq!(listed["domains"]["defaultRedirects"], set);

    let base = app.get("/").await;
    assert_eq!(base.status(), 302);
    assert_eq!(location(&base).as_deref(), Some("https://home.example/"));
    let missing = app.get("/nope").await;
    assert_eq!(missing.status(), 302);
    assert_eq!(
        location(&missing),
        Some(format!(
            "https://help.example/127.0.0.1:{}/missing/nope",
            app.port
        ))
    );
    let other = app.get("/a/b/c").await;
    assert_eq!(other.status(), 302);
    assert_eq!(location(&other), Some(format!("{}/app", app.address)));
    app.drain().await;
    let orphans: Value = app
        .api(Method::GET, "/visits/orphan")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        orphans["visits"]["pagination"]["totalItems"], 5,
        "two misses before, three redirected ones, each an orphan visit: {orphans}"
    );

    let cleared = set_redirects(
        &app,
        json!({"domain": format!("127.0.0.1:{}", app.port), "baseUrlRedirect": null}),
    )
    .await;
    assert_eq!(cleared.status(), 200);
    let cleared: Value = cleared.json().await.unwrap();
    assert_eq!(cleared["baseUrlRedirect"], Value::Null);
    assert_eq!(
        cleared["invalidShortUrlRedirect"], set["invalidShortUrlRedirect"],
        "fields left out keep their value"
    );
    assert_eq!(app.get("/").await.status(), 404, "our landing page again");
}

async fn bad_redirects_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    for (body, fields) in [
        (
            json!({"baseUrlRedirect": "https://a.example/"}),
            vec!["domain"],
        ),
        (
            json!({"domain": "https://elsewhere.example/", "baseUrlRedirect": "https://a.example/"}),
            vec!["domain"],
        ),
        (
            json!({"domain": "DEFAULT", "baseUrlRedirect": "not a url", "regular404Redirect": "ftp://x.example/"}),
            vec!["baseUrlRedirect", "regular404Redirect"],
        ),
        (
            json!({"domain": "DEFAULT", "invalidShortUrlRedirect": format!("{}/{{ORIGINAL_PATH}}", app.address)}),
            vec!["invalidShortUrlRedirect"],
        ),
    ] {
        let problem =
            assert_problem(set_redirects(&app, body.clone()).await, 400, "invalid-data").await;
        let elements: Vec<&str> = problem["invalidElements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert_eq!(elements, fields, "{body}");
    }
    let listed: Value = app
        .api(Method::GET, "/domains")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["domains"]["defaultRedirects"], no_redirects());
    assert_eq!(app.get("/").await.status(), 404);
}

async fn domain_visits_are_the_default_domains_link_visits(backend: Backend) {
    let app = draining_app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/d", "customSlug": "dom"}))
        .await;
    for _ in 0..2 {
        assert_eq!(app.get("/dom").await.status(), 302);
    }
    assert_eq!(app.get("/no-such-code").await.status(), 404);
    app.drain().await;
    for domain in ["DEFAULT".to_owned(), format!("127.0.0.1:{}", app.port)] {
        let body: Value = app
            .api(
                Method::GET,
                &format!("/domains/{domain}/visits?itemsPerPage=1"),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["visits"]["pagination"]["totalItems"], 2,
            "{domain}: {body}"
        );
        assert_eq!(body["visits"]["data"].as_array().unwrap().len(), 1);
        assert_eq!(
            body["visits"]["data"][0]["visitedUrl"],
            format!("{}/dom", app.address)
        );
    }
    let response = app
        .api(Method::GET, "/domains/elsewhere.example/visits")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 404, "domain-not-found").await;
    assert_eq!(problem["authority"], "elsewhere.example");
}

backend_tests!(
    lists_listen_address_as_default_domain,
    domain_follows_configured_base_url,
    not_found_redirects_are_set_shown_and_followed,
    bad_redirects_are_refused_and_change_nothing,
    domain_visits_are_the_default_domains_link_visits,
);

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn redirects_set_on_one_instance_reach_another_within_a_second() {
    let a = spawn_app(Backend::Postgres).await;
    let (url, guard) = (a.database_url.clone(), common::TestDatabase::Shared);
    let b = spawn_app_on(url, guard, &[]).await;
    assert_eq!(b.get("/gone").await.status(), 404);
    let set = set_redirects(
        &a,
        json!({"domain": "DEFAULT", "invalidShortUrlRedirect": "https://help.example/"}),
    )
    .await;
    assert_eq!(set.status(), 200);
    let set_at = Instant::now();
    while location(&b.get("/gone").await).as_deref() != Some("https://help.example/") {
        assert!(
            set_at.elapsed() < Duration::from_secs(1),
            "instance B still shows its 404 page after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
