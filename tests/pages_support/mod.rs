//! Helpers for the web app tests: cookies and CSRF tokens handled by hand, form posts, and
//! reading values out of rendered HTML.
#![allow(dead_code)]

use reqwest::Response;

use crate::common::TestApp;

/// A browser's user agent (the pages leave bots out by default).
pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

/// `GET path` (a short URL's path, with any query) as `user_agent`, asserting the redirect.
pub async fn visit_as(app: &TestApp, path: &str, user_agent: &str) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .header("user-agent", user_agent)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 302, "{path}");
}

/// A signed-in browser: its session cookie and the session's CSRF token.
pub struct Session {
    /// `lp_session=…`, ready for a `Cookie` header.
    pub cookie: String,
    /// The token the session's forms carry.
    pub csrf: String,
}

/// Every `Set-Cookie` value of a response.
pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

/// The full `Set-Cookie` value for cookie `name`, if the response sets it.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    set_cookies(response)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// `name=value` of a `Set-Cookie` value (for a `Cookie` header).
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// The value of the first hidden `csrf` input of a page.
pub fn csrf_in(html: &str) -> String {
    attribute_after(html, r#"name="csrf" value=""#).expect("page has a CSRF field")
}

/// The text after `marker` up to the next `"`.
pub fn attribute_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The integer shown in the element with `id`.
pub fn number_in(html: &str, id: &str) -> i64 {
    let marker = format!(r#"id="{id}">"#);
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id}")) + marker.len();
    let end = html[start..].find('<').expect("element closes") + start;
    html[start..end].trim().parse().expect("a number")
}

/// A URL-encoded form body.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    serializer.finish()
}

/// `GET path` with a `Cookie` header (may be empty).
pub async fn get_with(app: &TestApp, path: &str, cookie: &str) -> Response {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("request")
}

/// `POST path` with a form body and a `Cookie` header (may be empty).
pub async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: &str,
    pairs: &[(&str, &str)],
) -> Response {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(pairs));
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("request")
}

/// The sign-in form's token and its double-submit cookie (`lp_login_csrf=…`).
pub async fn login_form(app: &TestApp) -> (String, String) {
    let response = app.get("/app/login").await;
    assert_eq!(response.status(), 200);
    let cookie = cookie_pair(&set_cookie(&response, "lp_login_csrf").expect("login CSRF cookie"));
    let html = response.text().await.expect("body");
    (csrf_in(&html), cookie)
}

/// Submits the sign-in form with `key` (and `next`), as a browser would.
pub async fn submit_login(app: &TestApp, key: &str, next: &str) -> Response {
    let (csrf, cookie) = login_form(app).await;
    post_form(
        app,
        "/app/login",
        &cookie,
        &[("api_key", key), ("csrf", &csrf), ("next", next)],
    )
    .await
}

/// Signs in with the test API key and reads the session's CSRF token from the dashboard.
pub async fn sign_in(app: &TestApp) -> Session {
    let response = submit_login(app, &app.api_key, "/app").await;
    assert_eq!(response.status(), 303, "sign-in redirects");
    let cookie = cookie_pair(&set_cookie(&response, "lp_session").expect("session cookie"));
    let page = get_with(app, "/app/links/new", &cookie).await;
    assert_eq!(page.status(), 200, "signed in");
    let csrf = csrf_in(&page.text().await.expect("body"));
    Session { cookie, csrf }
}

/// The `Location` header of a response.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Asserts the web app's security headers.
pub fn assert_security_headers(response: &Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header("content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "CSP {csp:?} lacks {directive}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("x-frame-options"), "DENY");
}
