//! Shlink's API key roles, enforced on every route on both backends: an author-only key sees
//! and edits only its own links (and their tags and visits), a domain-only key only its
//! domain's, a key without orphan visits none of those; limited keys may not rename or delete
//! tags, use `/admin` or sign in to the web app; `apiKeyName` filters by author.

mod common;
mod pages_support;

use common::{Backend, TestApp, assert_problem, spawn_app_with};
use linkpulse::auth::{generate_key, hash_key};
use linkpulse::store::KeyRoles;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const HUMAN: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                     Chrome/120.0.0.0 Safari/537.36";

/// An app whose clicks are stored by `drain`.
async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await
}

/// Stores a key named `name` with `roles`; returns the key.
async fn key_with(app: &TestApp, name: &str, roles: KeyRoles) -> String {
    let key = generate_key();
    app.store
        .insert_api_key(name, &hash_key(&key), &roles)
        .await
        .expect("insert key");
    key
}

async fn call(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, format!("{}/rest/v3{path}", app.address))
        .header("X-Api-Key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

async fn get_json(app: &TestApp, key: &str, path: &str) -> Value {
    let response = call(app, key, Method::GET, path, None).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.expect("JSON")
}

async fn create(app: &TestApp, key: &str, slug: &str, tags: &[&str]) {
    let body =
        json!({"longUrl": format!("https://example.com/{slug}"), "customSlug": slug, "tags": tags});
    let response = call(app, key, Method::POST, "/short-urls", Some(body)).await;
    assert_eq!(response.status(), 200, "create {slug}");
}

async fn visit(app: &TestApp, path: &str) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .header("user-agent", HUMAN)
        .send()
        .await
        .expect("visit");
    assert!(response.status().is_redirection() || response.status() == 404);
}

fn codes(list: &Value) -> Vec<String> {
    let mut codes: Vec<String> = list["shortUrls"]["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|link| link["shortCode"].as_str().expect("code").to_owned())
        .collect();
    codes.sort();
    codes
}

fn total(visits: &Value) -> &Value {
    &visits["visits"]["pagination"]["totalItems"]
}

async fn an_author_only_key_sees_and_edits_only_its_own_links(backend: Backend) {
    let app = app(backend).await;
    let admin = app.api_key.clone();
    let author = key_with(
        &app,
        "author",
        KeyRoles {
            author_only: true,
            ..KeyRoles::default()
        },
    )
    .await;
    create(&app, &author, "own", &["mine"]).await;
    create(&app, &admin, "other", &["mine", "theirs"]).await;

    assert_eq!(
        codes(&get_json(&app, &author, "/short-urls").await),
        ["own"]
    );
    assert_eq!(
        codes(&get_json(&app, &author, "/short-urls?apiKeyName=test").await),
        ["own"],
        "another name is ignored"
    );
    assert_eq!(
        codes(&get_json(&app, &admin, "/short-urls").await),
        ["other", "own"]
    );
    assert_eq!(
        codes(&get_json(&app, &admin, "/short-urls?apiKeyName=author").await),
        ["own"]
    );
    assert_eq!(
        codes(&get_json(&app, &admin, "/short-urls?apiKeyName=nobody").await),
        Vec::<String>::new()
    );

    for (method, path, body) in [
        (Method::GET, "/short-urls/other", None),
        (
            Method::PATCH,
            "/short-urls/other",
            Some(json!({"title": "mine now"})),
        ),
        (Method::DELETE, "/short-urls/other", None),
        (Method::GET, "/short-urls/other/visits", None),
        (Method::DELETE, "/short-urls/other/visits", None),
        (Method::GET, "/short-urls/other/redirect-rules", None),
    ] {
        let response = call(&app, &author, method.clone(), path, body).await;
        assert_problem(response, 404, "short-url-not-found").await;
    }
    let untouched = get_json(&app, &admin, "/short-urls/other").await;
    assert_eq!(
        untouched["title"],
        Value::Null,
        "the refused edit changed nothing"
    );
    let edited = call(
        &app,
        &author,
        Method::PATCH,
        "/short-urls/own",
        Some(json!({"title": "t"})),
    )
    .await;
    assert_eq!(edited.status(), 200);

    let tags = get_json(&app, &author, "/tags").await;
    assert_eq!(tags["tags"]["data"], json!(["mine"]));
    let stats = get_json(&app, &author, "/tags/stats").await;
    assert_eq!(stats["tags"]["data"][0]["shortUrlsCount"], 1, "{stats}");
    let rename = call(
        &app,
        &author,
        Method::PUT,
        "/tags",
        Some(json!({"oldName": "mine", "newName": "x"})),
    )
    .await;
    assert_problem(rename, 403, "forbidden-tag-operation").await;
    let delete = call(&app, &author, Method::DELETE, "/tags?tags[]=theirs", None).await;
    assert_problem(delete, 403, "forbidden-tag-operation").await;
    assert_eq!(
        get_json(&app, &admin, "/tags").await["tags"]["data"],
        json!(["mine", "theirs"])
    );

    visit(&app, "/own").await;
    for _ in 0..2 {
        visit(&app, "/other").await;
    }
    app.drain().await;
    for path in [
        "/visits/non-orphan",
        "/tags/mine/visits",
        "/domains/DEFAULT/visits",
    ] {
        assert_eq!(total(&get_json(&app, &author, path).await), 1, "{path}");
        assert_eq!(total(&get_json(&app, &admin, path).await), 3, "{path}");
    }
    let overview = get_json(&app, &author, "/visits").await;
    assert_eq!(
        overview["visits"]["nonOrphanVisits"]["total"], 1,
        "{overview}"
    );

    let admin_route = app
        .client
        .get(format!("{}/admin/pipeline", app.address))
        .header("X-Api-Key", &author)
        .send()
        .await
        .unwrap();
    assert_problem(admin_route, 403, "forbidden").await;
}

async fn a_key_without_orphan_visits_sees_none(backend: Backend) {
    let app = app(backend).await;
    let limited = key_with(
        &app,
        "no-orphans",
        KeyRoles {
            no_orphan_visits: true,
            ..KeyRoles::default()
        },
    )
    .await;
    visit(&app, "/no-such-link").await;
    app.drain().await;
    assert_eq!(total(&get_json(&app, &limited, "/visits/orphan").await), 0);
    assert_eq!(
        get_json(&app, &limited, "/visits").await["visits"]["orphanVisits"]["total"],
        0
    );
    let deleted = call(&app, &limited, Method::DELETE, "/visits/orphan", None).await;
    assert_eq!(deleted.json::<Value>().await.unwrap()["deletedVisits"], 0);
    assert_eq!(
        total(&get_json(&app, &app.api_key, "/visits/orphan").await),
        1,
        "nothing was deleted"
    );
}

async fn a_domain_only_key_sees_only_its_domain(backend: Backend) {
    let app = app(backend).await;
    create(&app, &app.api_key, "ours", &[]).await;
    let elsewhere = key_with(
        &app,
        "elsewhere",
        KeyRoles {
            domain_only: Some("elsewhere.example".into()),
            ..KeyRoles::default()
        },
    )
    .await;
    assert!(codes(&get_json(&app, &elsewhere, "/short-urls").await).is_empty());
    assert_eq!(
        get_json(&app, &elsewhere, "/domains").await["domains"]["data"],
        json!([])
    );
    let onto_ours = call(
        &app,
        &elsewhere,
        Method::POST,
        "/short-urls",
        Some(json!({"longUrl": "https://example.com/x", "domain": "DEFAULT"})),
    )
    .await;
    assert_problem(onto_ours, 400, "invalid-data").await;
    let created = call(
        &app,
        &elsewhere,
        Method::POST,
        "/short-urls",
        Some(json!({"longUrl": "https://example.com/x", "customSlug": "theirs"})),
    )
    .await;
    assert_eq!(
        created.status(),
        200,
        "a body without domain means the key's"
    );
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["domain"], "elsewhere.example");
    assert_eq!(
        codes(&get_json(&app, &elsewhere, "/short-urls").await),
        ["theirs"]
    );
    let domains = get_json(&app, &elsewhere, "/domains").await;
    assert_eq!(domains["domains"]["data"][0]["domain"], "elsewhere.example");
    assert_eq!(domains["domains"]["data"].as_array().unwrap().len(), 1);
    let read = call(&app, &elsewhere, Method::GET, "/short-urls/ours", None).await;
    assert_problem(read, 404, "short-url-not-found").await;
    let theirs = call(
        &app,
        &elsewhere,
        Method::GET,
        "/short-urls/theirs?domain=elsewhere.example",
        None,
    )
    .await;
    assert_eq!(theirs.status(), 200);

    let domain = format!("127.0.0.1:{}", app.port);
    let here = key_with(
        &app,
        "here",
        KeyRoles {
            domain_only: Some(domain),
            ..KeyRoles::default()
        },
    )
    .await;
    assert_eq!(
        codes(&get_json(&app, &here, "/short-urls").await),
        ["ours"],
        "not the other domain's link"
    );
    create(&app, &here, "also-ours", &[]).await;
}

async fn limited_keys_cannot_sign_in_to_the_web_app(backend: Backend) {
    let app = app(backend).await;
    let author = key_with(
        &app,
        "author",
        KeyRoles {
            author_only: true,
            ..KeyRoles::default()
        },
    )
    .await;
    let response = pages_support::submit_login(&app, &author, "/app").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(pages_support::set_cookie(&response, "lp_session").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("needs a key without roles"), "{html}");
}

backend_tests!(
    an_author_only_key_sees_and_edits_only_its_own_links,
    a_key_without_orphan_visits_sees_none,
    a_domain_only_key_sees_only_its_domain,
    limited_keys_cannot_sign_in_to_the_web_app,
);
