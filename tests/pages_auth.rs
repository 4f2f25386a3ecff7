//! The web app's sign-in: sessions, cookies, CSRF, throttling, security headers, assets.

mod common;
mod pages_support;

use common::{Backend, spawn_app, spawn_app_with};
use pages_support::*;

backend_tests!(
    signed_out_pages_redirect_to_sign_in,
    a_wrong_key_shows_the_form_again_without_a_session,
    sign_in_needs_the_double_submit_token,
    repeated_failures_from_one_address_are_limited,
    sign_in_sets_a_strict_session_cookie_and_honours_local_next,
    the_cookie_is_secure_behind_https,
    sign_out_ends_the_session,
    disabling_the_key_ends_its_sessions,
    forged_session_cookies_are_refused,
    static_assets_and_error_pages,
);

async fn signed_out_pages_redirect_to_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/app").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/app/login?next=%2Fapp");

    let response = app.get("/app/links/new?x=1").await;
    assert_eq!(
        location(&response),
        "/app/login?next=%2Fapp%2Flinks%2Fnew%3Fx%3D1"
    );

    let form = post_form(&app, "/app/links", "", &[("long_url", "https://a.example")]).await;
    assert_eq!(form.status(), 303, "a signed-out post is sent to sign in");
    assert_eq!(location(&form), "/app/login?next=%2Fapp");

    let login = app.get("/app/login?next=%2Fapp").await;
    assert_eq!(login.status(), 200);
    assert_security_headers(&login);
    let html = login.text().await.unwrap();
    assert!(html.contains(r#"name="api_key""#));
    assert!(html.contains(r#"name="next" value="/app""#));
    assert!(!html.contains("style="), "no inline styles");
    assert!(!html.contains("Log out"), "no navigation when signed out");
}

async fn a_wrong_key_shows_the_form_again_without_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = submit_login(&app, "not-a-key", "/app").await;
    assert_eq!(response.status(), 422);
    assert!(set_cookie(&response, "lp_session").is_none());
    assert_security_headers(&response);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(html.contains("That API key was not accepted"));
    assert!(html.contains(r#"name="csrf""#), "the form is shown again");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
}

async fn sign_in_needs_the_double_submit_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (csrf, cookie) = login_form(&app).await;
    let key = app.api_key.clone();

    let without_cookie = post_form(
        &app,
        "/app/login",
        "",
        &[("api_key", &key), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(without_cookie.status(), 403);
    assert!(set_cookie(&without_cookie, "lp_session").is_none());
    assert_security_headers(&without_cookie);
    assert!(
        without_cookie
            .text()
            .await
            .unwrap()
            .contains("This form has expired")
    );

    let wrong = post_form(
        &app,
        "/app/login",
        &cookie,
        &[("api_key", &key), ("csrf", "0")],
    )
    .await;
    assert_eq!(wrong.status(), 403);
    let missing = post_form(&app, "/app/login", &cookie, &[("api_key", &key)]).await;
    assert_eq!(missing.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);

    let right = post_form(
        &app,
        "/app/login",
        &cookie,
        &[("api_key", &key), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(right.status(), 303);
    assert!(set_cookie(&right, "lp_session").is_some());
    let cleared = set_cookie(&right, "lp_login_csrf").expect("login token cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

async fn repeated_failures_from_one_address_are_limited(backend: Backend) {
    let app = spawn_app_with(backend, &["--trusted-proxies", "127.0.0.1"]).await;
    let attempt = |ip: &'static str, key: String| {
        let app = &app;
        async move {
            let (csrf, cookie) = login_form(app).await;
            app.client
                .post(format!("{}/app/login", app.address))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", cookie)
                .header("x-forwarded-for", ip)
                .body(form_body(&[("api_key", &key), ("csrf", &csrf)]))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        let response = attempt("203.0.113.7", "wrong".into()).await;
        assert_eq!(response.status(), 422);
    }
    let blocked = attempt("203.0.113.7", app.api_key.clone()).await;
    assert_eq!(
        blocked.status(),
        429,
        "even the right key waits once limited"
    );
    assert!(blocked.headers().contains_key("retry-after"));
    assert!(set_cookie(&blocked, "lp_session").is_none());
    assert_security_headers(&blocked);

    let other = attempt("203.0.113.8", app.api_key.clone()).await;
    assert_eq!(other.status(), 303, "other addresses are not affected");
}

async fn sign_in_sets_a_strict_session_cookie_and_honours_local_next(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = submit_login(&app, &app.api_key, "/app/links/new").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/app/links/new");
    let cookie = set_cookie(&response, "lp_session").expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/;"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(!cookie.contains("Secure"), "plain http base URL: {cookie}");
    let token = cookie_pair(&cookie);
    let token_value = token.trim_start_matches("lp_session=");
    assert_eq!(token_value.len(), 64, "256 random bits, hex");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);

    let dashboard = get_with(&app, "/app", &token).await;
    assert_eq!(dashboard.status(), 200);
    assert_security_headers(&dashboard);
    assert_eq!(dashboard.headers()["cache-control"], "no-store");
    let html = dashboard.text().await.unwrap();
    assert!(
        !html.contains(token_value),
        "the token never appears in pages"
    );
    assert!(html.contains("Log out"));

    let away = submit_login(&app, &app.api_key, "//evil.example/x").await;
    assert_eq!(location(&away), "/app", "open redirects are refused");
    let away = submit_login(&app, &app.api_key, "https://evil.example/").await;
    assert_eq!(location(&away), "/app");
}

async fn the_cookie_is_secure_behind_https(backend: Backend) {
    let app = spawn_app_with(backend, &["--base-url", "https://lp.example"]).await;
    let response = submit_login(&app, &app.api_key, "/app").await;
    assert_eq!(response.status(), 303);
    let cookie = set_cookie(&response, "lp_session").expect("session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

async fn sign_out_ends_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;

    let forged = post_form(&app, "/app/logout", &session.cookie, &[("csrf", "nope")]).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(
        get_with(&app, "/app/links/new", &session.cookie)
            .await
            .status(),
        200
    );

    let response = post_form(
        &app,
        "/app/logout",
        &session.cookie,
        &[("csrf", &session.csrf)],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/app/login");
    let cleared = set_cookie(&response, "lp_session").expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let after = get_with(&app, "/app", &session.cookie).await;
    assert_eq!(after.status(), 303, "the old cookie no longer works");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
}

async fn disabling_the_key_ends_its_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    app.store.disable_api_key("test").await.unwrap();
    let response = get_with(&app, "/app/links/new", &session.cookie).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/app/login?next=%2Fapp%2Flinks%2Fnew");
}

async fn forged_session_cookies_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    let forged = format!("lp_session={}", "0".repeat(64));
    assert_eq!(get_with(&app, "/app", &forged).await.status(), 303);
    // The database holds only the token's hash: presenting the hash does not work either.
    let token = session.cookie.trim_start_matches("lp_session=").to_owned();
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(token.as_bytes()))
    };
    assert_eq!(
        get_with(&app, "/app", &format!("lp_session={hash}"))
            .await
            .status(),
        303
    );
    assert_eq!(
        get_with(&app, "/app/links/new", &session.cookie)
            .await
            .status(),
        200
    );
}

async fn static_assets_and_error_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, content_type, needle) in [
        ("/static/app.css", "text/css", "prefers-color-scheme: dark"),
        ("/static/app.js", "text/javascript", "addEventListener"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let served = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(served.starts_with(content_type), "{path}: {served}");
        assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
        assert_security_headers(&response);
        assert!(response.text().await.unwrap().contains(needle));
    }
    let css = app.get("/static/app.css").await.text().await.unwrap();
    assert!(!css.contains("http://") && !css.contains("https://") && !css.contains("@import"));

    let missing = app.get("/static/nope.css").await;
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing);

    let unknown = app.get("/no-such-link").await;
    assert_eq!(unknown.status(), 404);
    assert_security_headers(&unknown);
    let html = unknown.text().await.unwrap();
    assert!(html.contains("/static/app.css") && !html.contains("<style"));
}
