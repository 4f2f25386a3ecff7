//! Password-protected links on both backends: following one shows a form (no destination, no
//! visit); the right password redirects and counts once; wrong ones count nothing and are
//! throttled per client and link; the form is CSRF-checked and escapes what it reflects; the
//! API takes the password as an extension field and never returns it or its hash.

mod common;
mod pages_support;

use common::{Backend, TestApp, assert_problem, spawn_counting_app};
use pages_support::{
    assert_security_headers, cookie_pair, csrf_in, get_with, location, post_form, set_cookie,
    sign_in,
};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET_URL: &str = "https://example.com/secret-report";
const PASSWORD: &str = "correct horse";

/// The password form as a client at `ip` got it.
struct Form {
    /// The page itself.
    html: String,
    /// Its CSRF token.
    csrf: String,
    /// The `Cookie` header to send it back with.
    cookie: String,
}

/// Opens the form at `path` as a client at `ip`.
async fn open_form(app: &TestApp, path: &str, ip: &str) -> Form {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    let cookie = cookie_pair(&set_cookie(&response, "lp_unlock_csrf").expect("unlock cookie"));
    let html = response.text().await.unwrap();
    Form {
        csrf: csrf_in(&html),
        html,
        cookie,
    }
}

/// Posts `password` to `path` as a client at `ip`.
async fn submit(
    app: &TestApp,
    path: &str,
    ip: &str,
    cookie: &str,
    csrf: &str,
    password: &str,
) -> Response {
    app.client
        .post(format!("{}{path}", app.address))
        .header("x-forwarded-for", ip)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(pages_support::form_body(&[
            ("csrf", csrf),
            ("password", password),
        ]))
        .send()
        .await
        .unwrap()
}

/// The link's stored visits after the outbox is drained.
async fn visits(app: &TestApp, code: &str) -> Vec<Value> {
    app.drain().await;
    let json = app.api_json(&format!("/short-urls/{code}/visits")).await;
    json["visits"]["data"].as_array().unwrap().clone()
}

async fn the_right_password_redirects_and_counts_once(backend: Backend) {
    let app = spawn_counting_app(backend).await;
    let created = app
        .create_link(json!({"longUrl": SECRET_URL, "customSlug": "vault", "password": PASSWORD}))
        .await;
    assert_eq!(created["passwordProtected"], true);
    let plain = app
        .create_link(json!({"longUrl": "https://example.com/open", "customSlug": "open"}))
        .await;
    assert!(
        plain.get("passwordProtected").is_none(),
        "shown only when set"
    );

    let page = app.get("/vault").await;
    assert_security_headers(&page);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let set = set_cookie(&page, "lp_unlock_csrf").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/vault")
    );
    let Form { html, csrf, cookie } = open_form(&app, "/vault?utm=mail", "203.0.113.1").await;
    assert!(
        !html.contains("secret-report"),
        "the form never names the destination"
    );
    assert!(html.contains(r#"action="/vault?utm=mail""#), "{html}");
    let head = app.head("/vault").await;
    assert_eq!(
        (head.status().as_u16(), head.headers().get("location")),
        (200, None)
    );
    let pixel = app.get("/vault/track").await;
    assert_eq!(pixel.headers()["content-type"], "image/gif");
    assert!(
        visits(&app, "vault").await.is_empty(),
        "no visit before the password"
    );

    let accepted = submit(
        &app,
        "/vault?utm=mail",
        "203.0.113.1",
        &cookie,
        &csrf,
        PASSWORD,
    )
    .await;
    assert_eq!(accepted.status(), 303);
    assert_eq!(location(&accepted), format!("{SECRET_URL}?utm=mail"));
    assert_eq!(accepted.headers()["cache-control"], "private, max-age=0");
    let stored = visits(&app, "vault").await;
    assert_eq!(stored.len(), 1, "counted once: {stored:?}");
    assert_eq!(stored[0]["redirectUrl"], format!("{SECRET_URL}?utm=mail"));
    assert!(
        stored[0]["visitedUrl"]
            .as_str()
            .unwrap()
            .ends_with("/vault?utm=mail")
    );

    // Removing the protection makes the link redirect at once; the form then just follows it.
    let edited = app
        .api(Method::PATCH, "/short-urls/vault")
        .json(&json!({"password": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    assert!(
        edited
            .json::<Value>()
            .await
            .unwrap()
            .get("passwordProtected")
            .is_none()
    );
    let direct = app.get("/vault").await;
    assert_eq!(
        (direct.status().as_u16(), location(&direct)),
        (302, SECRET_URL.to_owned())
    );
    let stale_form = submit(&app, "/vault", "203.0.113.1", &cookie, &csrf, "anything").await;
    assert_eq!(
        (stale_form.status().as_u16(), location(&stale_form)),
        (303, "/vault".to_owned())
    );
}

async fn wrong_passwords_count_nothing_and_are_throttled(backend: Backend) {
    let app = spawn_counting_app(backend).await;
    app.create_link(json!({"longUrl": SECRET_URL, "customSlug": "vault", "password": PASSWORD}))
        .await;
    let guesser = "198.51.100.7";
    let Form { csrf, cookie, .. } = open_form(&app, "/vault", guesser).await;

    let forged = submit(&app, "/vault", guesser, "", &csrf, PASSWORD).await;
    assert_eq!(forged.status(), 403, "no double-submit cookie: refused");
    assert!(forged.headers().get("location").is_none());
    let mismatched = submit(
        &app,
        "/vault",
        guesser,
        &cookie,
        "0".repeat(64).as_str(),
        PASSWORD,
    )
    .await;
    assert_eq!(mismatched.status(), 403);

    for attempt in 0..5 {
        let wrong = submit(
            &app,
            "/vault",
            guesser,
            &cookie,
            &csrf,
            &format!("guess {attempt}"),
        )
        .await;
        assert_eq!(wrong.status(), 403, "attempt {attempt}");
        assert!(wrong.headers().get("location").is_none());
        let html = wrong.text().await.unwrap();
        assert!(html.contains("That password is not right"));
        assert!(!html.contains("secret-report"));
    }
    let paused = submit(&app, "/vault", guesser, &cookie, &csrf, PASSWORD).await;
    assert_eq!(paused.status(), 429, "paused even with the right password");
    assert_eq!(paused.headers()["retry-after"], "900");
    assert!(!paused.text().await.unwrap().contains("secret-report"));
    assert!(visits(&app, "vault").await.is_empty(), "nothing counted");

    // Another client is not affected by the guesser's pause.
    let Form { csrf, cookie, .. } = open_form(&app, "/vault", "192.0.2.44").await;
    let accepted = submit(&app, "/vault", "192.0.2.44", &cookie, &csrf, PASSWORD).await;
    assert_eq!(
        (accepted.status().as_u16(), location(&accepted)),
        (303, SECRET_URL.to_owned())
    );
    assert_eq!(visits(&app, "vault").await.len(), 1);
    let orphans = app.api_json("/visits/orphan").await;
    assert_eq!(
        orphans["visits"]["pagination"]["totalItems"], 0,
        "{orphans}"
    );
}

async fn the_api_takes_passwords_but_never_shows_them(backend: Backend) {
    let app = spawn_counting_app(backend).await;
    let created = app
        .create_link(json!({"longUrl": SECRET_URL, "customSlug": "vault", "password": PASSWORD}))
        .await;
    let listed = app.api_json("/short-urls").await;
    let shown = app.api_json("/short-urls/vault").await;
    for json in [&created, &listed, &shown] {
        let text = json.to_string();
        assert!(
            !text.contains("argon2") && !text.contains(PASSWORD),
            "{text}"
        );
        assert!(!text.contains("\"password\""), "{text}");
    }
    assert_eq!(shown["passwordProtected"], true);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM short_urls WHERE password_hash LIKE '$argon2id$%'")
            .await,
        1,
        "kept only as an Argon2id hash"
    );

    let too_short = app
        .api(Method::POST, "/short-urls")
        .json(&json!({"longUrl": SECRET_URL, "customSlug": "weak", "password": "abc"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(too_short, 400, "invalid-data").await;
    assert_eq!(problem["invalidElements"], json!(["password"]));
    assert_eq!(app.get("/weak").await.status(), 404, "nothing stored");
    let refused_edit = app
        .api(Method::PATCH, "/short-urls/vault")
        .json(&json!({"password": ""}))
        .send()
        .await
        .unwrap();
    assert_problem(refused_edit, 400, "invalid-data").await;

    // A new password replaces the old one.
    let changed = app
        .api(Method::PATCH, "/short-urls/vault")
        .json(&json!({"password": "a new one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let Form { csrf, cookie, .. } = open_form(&app, "/vault", "203.0.113.5").await;
    let old = submit(&app, "/vault", "203.0.113.5", &cookie, &csrf, PASSWORD).await;
    assert_eq!(old.status(), 403);
    let new = submit(&app, "/vault", "203.0.113.5", &cookie, &csrf, "a new one").await;
    assert_eq!(new.status(), 303);
}

async fn the_form_escapes_what_it_reflects(backend: Backend) {
    let app = spawn_counting_app(backend).await;
    app.create_link(json!({"longUrl": SECRET_URL, "customSlug": "vault", "password": PASSWORD}))
        .await;
    // Sent byte for byte: HTTP refuses raw quotes and brackets in a request line (a client
    // percent-encodes them, and `%22` is harmless), but apostrophes and ampersands pass.
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let request = "GET /vault?a=1&q='onfocus='alert(1)'%22%3E HTTP/1.1\r\nHost: localhost\r\n\
                   Connection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(!raw.contains("'onfocus='"), "{raw}");
    assert!(
        raw.contains(r#"action="/vault?a=1&#38;q=&#39;onfocus=&#39;alert(1)&#39;%22%3E""#),
        "{raw}"
    );
}

async fn the_web_app_sets_and_removes_a_password(backend: Backend) {
    let app = spawn_counting_app(backend).await;
    let session = sign_in(&app).await;
    let created = post_form(
        &app,
        "/app/links",
        &session.cookie,
        &[
            ("csrf", &session.csrf),
            ("long_url", SECRET_URL),
            ("custom_slug", "vault"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(
        app.api_json("/short-urls/vault").await["passwordProtected"],
        true
    );
    let page = get_with(&app, "/app/links/vault", &session.cookie).await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"data-protected="true""#)
    );
    let edit = get_with(&app, "/app/links/vault/edit", &session.cookie).await;
    let html = edit.text().await.unwrap();
    assert!(html.contains(r#"name="remove_password""#));
    assert!(!html.contains(PASSWORD), "a password is never shown back");

    let too_short = post_form(
        &app,
        "/app/links/vault/edit",
        &session.cookie,
        &[
            ("csrf", &session.csrf),
            ("long_url", SECRET_URL),
            ("password", "abc"),
        ],
    )
    .await;
    assert_eq!(too_short.status(), 422);
    assert!(
        too_short
            .text()
            .await
            .unwrap()
            .contains(r#"id="password-error""#)
    );

    let removed = post_form(
        &app,
        "/app/links/vault/edit",
        &session.cookie,
        &[
            ("csrf", &session.csrf),
            ("long_url", SECRET_URL),
            ("remove_password", "on"),
        ],
    )
    .await;
    assert_eq!(removed.status(), 303);
    let direct = app.get("/vault").await;
    assert_eq!(
        (direct.status().as_u16(), location(&direct)),
        (302, SECRET_URL.to_owned())
    );
}

backend_tests!(
    the_web_app_sets_and_removes_a_password,
    the_right_password_redirects_and_counts_once,
    wrong_passwords_count_nothing_and_are_throttled,
    the_api_takes_passwords_but_never_shows_them,
    the_form_escapes_what_it_reflects,
);
