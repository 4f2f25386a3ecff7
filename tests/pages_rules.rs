//! The web app's redirect-rules editor on both backends: the rules it saves are the API's and
//! the redirect follows them; a refused form is shown again with the reasons and stores
//! nothing; the form needs its CSRF token; what a user typed is escaped when shown again.

mod common;
mod pages_support;

use common::{Backend, TestApp, spawn_app};
use pages_support::{get_with, post_form, sign_in};
use serde_json::{Value, json};

const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

async fn stored_rules(app: &TestApp) -> Value {
    app.api_json("/short-urls/ed/redirect-rules").await
}

async fn the_editor_saves_what_the_redirect_follows(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/default", "customSlug": "ed"}))
        .await;
    let session = sign_in(&app).await;
    let page = get_with(&app, "/app/links/ed", &session.cookie).await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"href="/app/links/ed/rules""#)
    );
    let editor = get_with(&app, "/app/links/ed/rules", &session.cookie).await;
    assert_eq!(editor.status(), 200);
    let html = editor.text().await.unwrap();
    assert_eq!(
        html.matches("<tr data-rule-row=").count(),
        4,
        "blank rows only"
    );

    // Two rules; the second has two conditions, its URL on one of its rows; blank rows stay blank.
    let form = [
        ("csrf", session.csrf.as_str()),
        ("rule", "1"),
        ("kind", "device"),
        ("key", ""),
        ("value", "android"),
        ("url", "https://example.com/android"),
        ("rule", "2"),
        ("kind", "query-param"),
        ("key", "utm"),
        ("value", "mail"),
        ("url", ""),
        ("rule", "2"),
        ("kind", "language"),
        ("key", ""),
        ("value", "fr"),
        ("url", "https://example.com/fr-mail"),
        ("rule", "3"),
        ("kind", ""),
        ("key", ""),
        ("value", ""),
        ("url", ""),
    ];
    let saved = post_form(&app, "/app/links/ed/rules", &session.cookie, &form).await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    let rules = stored_rules(&app).await;
    assert_eq!(rules["redirectRules"].as_array().unwrap().len(), 2);
    assert_eq!(
        rules["redirectRules"][1]["longUrl"],
        "https://example.com/fr-mail"
    );
    assert_eq!(
        rules["redirectRules"][1]["conditions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let followed = app
        .client
        .get(format!("{}/ed?utm=mail", app.address))
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(
        followed.headers()["location"],
        "https://example.com/fr-mail?utm=mail"
    );
    let android = app
        .client
        .get(format!("{}/ed", app.address))
        .header("User-Agent", ANDROID)
        .send()
        .await
        .unwrap();
    assert_eq!(android.headers()["location"], "https://example.com/android");
    let editor = get_with(&app, "/app/links/ed/rules", &session.cookie).await;
    let html = editor.text().await.unwrap();
    assert_eq!(html.matches("<tr data-rule-row=").count(), 3 + 4);
    assert!(html.contains(r#"<option value="query-param" selected>"#));

    // A bad rule: shown again with the reason and what was typed (escaped); nothing changes.
    let hostile = "<script>alert(1)</script>";
    let bad = [
        ("csrf", session.csrf.as_str()),
        ("rule", "1"),
        ("kind", "geolocation-city-name"),
        ("key", ""),
        ("value", hostile),
        ("url", "javascript:alert(1)"),
    ];
    let refused = post_form(&app, "/app/links/ed/rules", &session.cookie, &bad).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Nothing was saved"));
    assert!(html.contains("Rule 1: invalid long URL"), "{html}");
    assert!(!html.contains(hostile), "typed text is escaped");
    let shown = &html[html
        .find("geolocation-city-name\" selected")
        .expect("the row")..];
    assert!(
        shown.contains(r#"value="&#60;script&#62;alert(1)"#),
        "shown again, escaped: {shown}"
    );
    assert_eq!(stored_rules(&app).await, rules, "nothing stored");

    // Without its token the form is refused and nothing is stored.
    let mut forged = form;
    forged[0] = ("csrf", "forged");
    let forged = post_form(&app, "/app/links/ed/rules", &session.cookie, &forged[..5]).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(stored_rules(&app).await, rules);

    // Saving no rows removes every rule.
    let cleared = post_form(
        &app,
        "/app/links/ed/rules",
        &session.cookie,
        &[("csrf", session.csrf.as_str())],
    )
    .await;
    assert_eq!(cleared.status(), 303);
    assert_eq!(stored_rules(&app).await["redirectRules"], json!([]));
}

backend_tests!(the_editor_saves_what_the_redirect_follows);
