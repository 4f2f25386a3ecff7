//! Create, read, edit and delete, and the exact JSON shape of a short URL.

use chrono::DateTime;
use reqwest::Method;
use serde_json::{Value, json};

use super::{fetch, patch, post, stored_links};
use crate::backend_tests;
use crate::common::{Backend, assert_problem, spawn_app};

async fn create_returns_the_shlink_shape(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app
        .create_link(json!({"longUrl": "https://example.com/landing"}))
        .await;
    let code = link["shortCode"].as_str().unwrap();
    assert_eq!(code.len(), 5, "default generated length");
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
    assert_eq!(link["shortUrl"], format!("{}/{code}", app.address));
    assert_eq!(link["longUrl"], "https://example.com/landing");
    let created = link["dateCreated"].as_str().unwrap();
    assert!(created.ends_with("+00:00"), "{created}");
    assert!(DateTime::parse_from_rfc3339(created).is_ok(), "{created}");
    assert_eq!(
        link["visitsSummary"],
        json!({"total": 0, "nonBots": 0, "bots": 0})
    );
    assert_eq!(link["tags"], json!([]));
    assert_eq!(
        link["meta"],
        json!({"validSince": null, "validUntil": null, "maxVisits": null})
    );
    assert_eq!(
        link["deviceLongUrls"],
        json!({"android": null, "ios": null, "desktop": null})
    );
    assert_eq!(link["domain"], Value::Null);
    assert_eq!(link["title"], Value::Null);
    assert_eq!(link["crawlable"], false);
    assert_eq!(link["forwardQuery"], true);
    assert_eq!(link["hasRedirectRules"], false);
    assert_eq!(
        fetch(&app, code).await,
        link,
        "GET shows what POST returned"
    );
    assert_eq!(stored_links(&app).await, 1);
}

async fn create_stores_every_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app
        .create_link(json!({
            "longUrl": "https://example.com/full",
            "customSlug": "My_Slug-1",
            "shortCodeLength": 9,
            "validSince": "2030-01-01T12:00:00+02:00",
            "validUntil": "2031-01-01T00:00:00Z",
            "maxVisits": 10,
            "tags": ["zeta", "alpha", "zeta"],
            "title": "Full link",
            "crawlable": true,
            "forwardQuery": false,
            "domain": "127.0.0.1"
        }))
        .await;
    assert_eq!(
        link["shortCode"], "My_Slug-1",
        "custom slug wins over length"
    );
    assert_eq!(link["meta"]["validSince"], "2030-01-01T10:00:00+00:00");
    assert_eq!(link["meta"]["validUntil"], "2031-01-01T00:00:00+00:00");
    assert_eq!(link["meta"]["maxVisits"], 10);
    assert_eq!(link["tags"], json!(["alpha", "zeta"]));
    assert_eq!(link["title"], "Full link");
    assert_eq!(link["crawlable"], true);
    assert_eq!(link["forwardQuery"], false);
    assert_eq!(fetch(&app, "My_Slug-1").await, link);
}

async fn short_code_length_is_honoured(backend: Backend) {
    let app = spawn_app(backend).await;
    for length in [4, 9, 20] {
        let link = app
            .create_link(json!({"longUrl": "https://example.com/", "shortCodeLength": length}))
            .await;
        assert_eq!(link["shortCode"].as_str().unwrap().len(), length);
    }
}

async fn find_if_exists_reuses_matching_links(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app
        .create_link(json!({"longUrl": "https://example.com/same", "tags": ["t"]}))
        .await;
    let again = app
        .create_link(json!({"longUrl": "https://example.com/same", "findIfExists": true}))
        .await;
    assert_eq!(again["shortCode"], first["shortCode"]);
    let same_tags = app
        .create_link(
            json!({"longUrl": "https://example.com/same", "tags": ["t"], "findIfExists": true}),
        )
        .await;
    assert_eq!(same_tags["shortCode"], first["shortCode"]);
    assert_eq!(stored_links(&app).await, 1);

    let other_tags = app
        .create_link(
            json!({"longUrl": "https://example.com/same", "tags": ["u"], "findIfExists": true}),
        )
        .await;
    assert_ne!(other_tags["shortCode"], first["shortCode"]);
    let without_flag = app
        .create_link(json!({"longUrl": "https://example.com/same"}))
        .await;
    assert_ne!(without_flag["shortCode"], first["shortCode"]);
    assert_eq!(stored_links(&app).await, 3);
}

async fn taken_custom_slug_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/a", "customSlug": "taken"}))
        .await;
    for body in [
        json!({"longUrl": "https://example.com/b", "customSlug": "taken"}),
        json!({"longUrl": "https://example.com/b", "customSlug": "taken", "findIfExists": true}),
    ] {
        let problem = assert_problem(post(&app, &body).await, 400, "non-unique-slug").await;
        assert_eq!(problem["customSlug"], "taken");
    }
    assert_eq!(stored_links(&app).await, 1);
    assert_eq!(
        fetch(&app, "taken").await["longUrl"],
        "https://example.com/a"
    );
}

async fn unknown_codes_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "here"}))
        .await;
    for (method, path) in [
        (Method::GET, "/short-urls/missing"),
        (Method::GET, "/short-urls/bad.code"),
        (Method::GET, "/short-urls/here?domain=elsewhere.example"),
        (Method::PATCH, "/short-urls/missing"),
        (Method::DELETE, "/short-urls/missing"),
    ] {
        let response = app
            .api(method.clone(), path)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 404, "short-url-not-found").await;
        assert!(
            problem["shortCode"].is_string(),
            "{method} {path}: {problem}"
        );
    }
    assert_eq!(fetch(&app, "here").await["shortCode"], "here");
}

async fn edit_changes_only_what_is_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({
        "longUrl": "https://example.com/old",
        "customSlug": "edit-me",
        "tags": ["keep"],
        "title": "Old",
        "validSince": "2020-01-01T00:00:00Z",
        "maxVisits": 5
    }))
    .await;
    let response = patch(
        &app,
        "edit-me",
        &json!({"longUrl": "https://example.com/new", "title": "New", "crawlable": true}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(edited["longUrl"], "https://example.com/new");
    assert_eq!(edited["title"], "New");
    assert_eq!(edited["crawlable"], true);
    assert_eq!(edited["tags"], json!(["keep"]));
    assert_eq!(edited["meta"]["maxVisits"], 5);
    assert_eq!(fetch(&app, "edit-me").await, edited);

    let cleared: Value = patch(
        &app,
        "edit-me",
        &json!({"title": null, "validSince": null, "maxVisits": null, "tags": []}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(cleared["title"], Value::Null);
    assert_eq!(
        cleared["meta"],
        json!({"validSince": null, "validUntil": null, "maxVisits": null})
    );
    assert_eq!(cleared["tags"], json!([]));
    assert_eq!(cleared["longUrl"], "https://example.com/new");
    assert_eq!(fetch(&app, "edit-me").await, cleared);
}

async fn edit_checks_the_window_against_stored_values(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({
        "longUrl": "https://example.com/w",
        "customSlug": "window",
        "validSince": "2030-01-01T00:00:00Z"
    }))
    .await;
    let before = fetch(&app, "window").await;
    let response = patch(
        &app,
        "window",
        &json!({"validUntil": "2029-01-01T00:00:00Z"}),
    )
    .await;
    let problem = assert_problem(response, 400, "invalid-data").await;
    assert!(super::invalid_elements(&problem).contains(&"validUntil".to_owned()));
    assert_eq!(fetch(&app, "window").await, before, "nothing changed");

    let ok = patch(
        &app,
        "window",
        &json!({"validUntil": "2031-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(ok.status(), 200);
}

async fn empty_edit_returns_the_link_unchanged(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app
        .create_link(json!({"longUrl": "https://example.com/", "customSlug": "same"}))
        .await;
    let response = patch(&app, "same", &json!({})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), link);
}

async fn delete_removes_the_link(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(
        json!({"longUrl": "https://example.com/", "customSlug": "gone", "tags": ["t"]}),
    )
    .await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "stays"}))
        .await;
    let response = app
        .api(Method::DELETE, "/short-urls/gone")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    let again = app
        .api(Method::GET, "/short-urls/gone")
        .send()
        .await
        .unwrap();
    assert_problem(again, 404, "short-url-not-found").await;
    assert_eq!(stored_links(&app).await, 1);
    assert_eq!(fetch(&app, "stays").await["shortCode"], "stays");
}

async fn older_api_versions_share_the_contract(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app
        .create_link(json!({"longUrl": "https://example.com/", "customSlug": "versions"}))
        .await;
    for version in ["v1", "v2"] {
        let response = app
            .client
            .get(format!(
                "{}/rest/{version}/short-urls/versions",
                app.address
            ))
            .header("X-Api-Key", &app.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap(), link);
    }
}

backend_tests!(
    create_returns_the_shlink_shape,
    create_stores_every_field,
    short_code_length_is_honoured,
    find_if_exists_reuses_matching_links,
    taken_custom_slug_is_refused,
    unknown_codes_are_not_found,
    edit_changes_only_what_is_sent,
    edit_checks_the_window_against_stored_values,
    empty_edit_returns_the_link_unchanged,
    delete_removes_the_link,
    older_api_versions_share_the_contract,
);
