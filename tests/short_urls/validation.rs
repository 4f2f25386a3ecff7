//! Every input rule of create and edit; a refused request never changes the database.

use reqwest::Method;
use serde_json::{Value, json};

use super::{fetch, invalid_elements, patch, post, stored_links};
use crate::backend_tests;
use crate::common::{Backend, TestApp, assert_problem, spawn_app};

/// Posts `body`, expects `invalid-data` naming `field`, and checks nothing was stored.
async fn refused(app: &TestApp, body: Value, field: &str) {
    let before = stored_links(app).await;
    let problem = assert_problem(post(app, &body).await, 400, "invalid-data").await;
    let elements = invalid_elements(&problem);
    assert!(elements.contains(&field.to_owned()), "{body}: {problem}");
    assert_eq!(stored_links(app).await, before, "{body} stored something");
}

async fn dangerous_long_urls_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let own = format!("{}/loop", app.address);
    let huge = format!("https://example.com/{}", "a".repeat(8 * 1024));
    for long_url in [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "https://bank.com@evil.example/",
        "https://user:pass@example.com/",
        huge.as_str(),
        own.as_str(),
        "/relative/path",
        "",
    ] {
        refused(&app, json!({"longUrl": long_url}), "longUrl").await;
    }
    assert_eq!(stored_links(&app).await, 0);
}

async fn bad_slugs_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let long_slug = "s".repeat(65);
    for slug in [
        "has space",
        "a/b",
        "dot.ted",
        "émoji",
        "",
        long_slug.as_str(),
        "rest",
        "app",
        "static",
        "metrics",
        "admin",
        "health",
        "REST",
    ] {
        refused(
            &app,
            json!({"longUrl": "https://example.com/", "customSlug": slug}),
            "customSlug",
        )
        .await;
    }
    let longest = "s".repeat(64);
    let ok = app
        .create_link(json!({"longUrl": "https://example.com/", "customSlug": longest}))
        .await;
    assert_eq!(ok["shortCode"], longest);
}

async fn numbers_are_range_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    for length in [
        json!(3),
        json!(0),
        json!(-5),
        json!(65),
        json!("five"),
        json!(4.5),
    ] {
        refused(
            &app,
            json!({"longUrl": "https://example.com/", "shortCodeLength": length}),
            "shortCodeLength",
        )
        .await;
    }
    for max in [json!(0), json!(-1), json!("ten")] {
        refused(
            &app,
            json!({"longUrl": "https://example.com/", "maxVisits": max}),
            "maxVisits",
        )
        .await;
    }
    assert_eq!(stored_links(&app).await, 0);
}

async fn dates_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    for bad in [
        "tomorrow",
        "2030-01-01",
        "2030-01-01T00:00:00",
        "2030-13-01T00:00:00Z",
    ] {
        refused(
            &app,
            json!({"longUrl": "https://example.com/", "validSince": bad}),
            "validSince",
        )
        .await;
        refused(
            &app,
            json!({"longUrl": "https://example.com/", "validUntil": bad}),
            "validUntil",
        )
        .await;
    }
    let inverted = json!({
        "longUrl": "https://example.com/",
        "validSince": "2030-06-01T00:00:00Z",
        "validUntil": "2030-01-01T00:00:00Z"
    });
    refused(&app, inverted, "validSince").await;
    assert_eq!(stored_links(&app).await, 0);
}

async fn unsupported_contract_fields_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for domain in [
        "https://other.example/",
        "other.example/path",
        "bad host",
        "DEFAULT.example:0",
    ] {
        refused(
            &app,
            json!({"longUrl": "https://example.com/", "domain": domain}),
            "domain",
        )
        .await;
    }
    refused(
        &app,
        json!({"longUrl": "https://example.com/", "pathPrefix": "p"}),
        "pathPrefix",
    )
    .await;
    refused(
        &app,
        json!({"longUrl": "https://example.com/", "deviceLongUrls": {"watch": "https://example.com/w"}}),
        "deviceLongUrls",
    )
    .await;
    refused(
        &app,
        json!({"longUrl": "https://example.com/", "tags": ["ok", " "]}),
        "tags",
    )
    .await;
    assert_eq!(stored_links(&app).await, 0);
    app.create_link(json!({"longUrl": "https://example.com/", "domain": null, "pathPrefix": null, "deviceLongUrls": null}))
        .await;
    assert_eq!(stored_links(&app).await, 1);
}

async fn several_bad_fields_are_all_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"longUrl": "file:///x", "customSlug": "admin", "maxVisits": 0});
    let problem = assert_problem(post(&app, &body).await, 400, "invalid-data").await;
    assert_eq!(
        invalid_elements(&problem),
        vec!["longUrl", "customSlug", "maxVisits"]
    );
    assert_eq!(problem["title"], "Invalid data");
    assert_eq!(stored_links(&app).await, 0);
}

async fn malformed_bodies_name_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    for (raw, field) in [
        (r#"{"longUrl": "#, "longUrl"),
        (r#"{"title": "x""#, "body"),
        ("not json", "body"),
        ("386", "body"),
        ("{}", "longUrl"),
        (r#"{"longUrl": null}"#, "longUrl"),
        (r#"{"longUrl": 5}"#, "longUrl"),
        (
            r#"{"longUrl": "https://example.com/", "tags": "a"}"#,
            "tags",
        ),
        (
            r#"{"longUrl": "https://example.com/", "crawlable": "yes"}"#,
            "crawlable",
        ),
        (
            r#"{"longUrl": "https://example.com/", "tags": ["a", 386]}"#,
            "tags",
        ),
    ] {
        let response = app
            .api(Method::POST, "/short-urls")
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 400, "invalid-data").await;
        assert_eq!(invalid_elements(&problem), vec![field], "{raw}");
    }
    assert_eq!(stored_links(&app).await, 0);
}

async fn oversized_body_is_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"longUrl": format!("https://example.com/{}", "a".repeat(70 * 1024))});
    assert_problem(post(&app, &body).await, 413, "payload-too-large").await;
    assert_eq!(stored_links(&app).await, 0);
}

async fn refused_edits_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "fixed", "tags": ["t"], "maxVisits": 3}))
        .await;
    let before = fetch(&app, "fixed").await;
    let own = format!("{}/fixed", app.address);
    for (body, field) in [
        (json!({"longUrl": "javascript:alert(1)"}), "longUrl"),
        (json!({"longUrl": own}), "longUrl"),
        (json!({"longUrl": null}), "longUrl"),
        (json!({"maxVisits": -2, "title": "new"}), "maxVisits"),
        (json!({"validSince": "nope", "title": "new"}), "validSince"),
        (json!({"tags": null}), "tags"),
        (json!({"tags": ["ok", ""]}), "tags"),
        (json!({"crawlable": null}), "crawlable"),
        (
            json!({"validSince": "2030-02-01T00:00:00Z", "validUntil": "2030-01-01T00:00:00Z"}),
            "validUntil",
        ),
    ] {
        let problem = assert_problem(patch(&app, "fixed", &body).await, 400, "invalid-data").await;
        assert!(
            invalid_elements(&problem).contains(&field.to_owned()),
            "{body}: {problem}"
        );
        assert_eq!(
            fetch(&app, "fixed").await,
            before,
            "{body} changed the link"
        );
    }
    let response = app
        .api(Method::PATCH, "/short-urls/fixed")
        .header("content-type", "application/json")
        .body(r#"{"title": "#)
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "invalid-data").await;
    assert_eq!(fetch(&app, "fixed").await, before);
}

async fn links_back_to_this_server_are_refused_however_spelled(backend: Backend) {
    let app = spawn_app(backend).await;
    let port = app.port;
    for host in [
        "localhost",
        "LocalHost.",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "127.0.0.2",
        "0.0.0.0",
    ] {
        let long_url = format!("http://{host}:{port}/loop");
        refused(&app, json!({"longUrl": long_url}), "longUrl").await;
    }
    let elsewhere = format!("http://localhost:{}/dev-server", port.wrapping_add(1));
    assert_eq!(
        post(&app, &json!({"longUrl": elsewhere})).await.status(),
        200
    );
}

async fn titles_with_control_characters_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for title in ["nul\u{0}byte", "new\nline", "escape\u{1b}[31m"] {
        refused(
            &app,
            json!({"longUrl": "https://example.com/", "title": title}),
            "title",
        )
        .await;
    }
    post(
        &app,
        &json!({"longUrl": "https://example.com/", "customSlug": "titled"}),
    )
    .await;
    let before = fetch(&app, "titled").await;
    let response = patch(&app, "titled", &json!({"title": "a\u{0}b"})).await;
    let problem = assert_problem(response, 400, "invalid-data").await;
    assert_eq!(invalid_elements(&problem), vec!["title".to_owned()]);
    assert_eq!(fetch(&app, "titled").await, before);
}

async fn bodies_that_are_not_json_get_415(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = r#"{"longUrl": "https://example.com/"}"#;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = app.api(Method::POST, "/short-urls").body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let problem =
            assert_problem(request.send().await.unwrap(), 415, "unsupported-media-type").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("application/json"),
            "{problem}"
        );
    }
    assert_eq!(stored_links(&app).await, 0);
    let typed = app
        .api(Method::POST, "/short-urls")
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(typed.status(), 200);
}

backend_tests!(
    links_back_to_this_server_are_refused_however_spelled,
    titles_with_control_characters_are_refused,
    bodies_that_are_not_json_get_415,
    dangerous_long_urls_are_refused,
    bad_slugs_are_refused,
    numbers_are_range_checked,
    dates_are_checked,
    unsupported_contract_fields_are_refused,
    several_bad_fields_are_all_named,
    malformed_bodies_name_the_field,
    oversized_body_is_413,
    refused_edits_change_nothing,
);
