//! Public statistics end to end on both backends: `/{code}+` is a 404 until the owner opts in
//! with the CSRF-protected switch, then shows the figures to anyone and nothing that identifies
//! a visitor.

mod analytics_support;
mod common;
mod pages_support;

use analytics_support::{FIREFOX, Visitor, breakdown, figure, raw_clicks, spawn, visit};
use common::Backend;
use pages_support::{assert_security_headers, csrf_in, get_with, location, post_form, sign_in};
use reqwest::StatusCode;
use serde_json::json;

/// A referrer whose path must never reach the public page.
const REFERRER: &str = "https://private.example.com/secret-path?token=abc";

/// Asserts the friendly 404 page.
async fn assert_not_found(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let content_type = response.headers()["content-type"].to_str().expect("type");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert_security_headers(&response);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("Link not found")
    );
}

async fn public_stats_are_opt_in_and_anonymous(backend: Backend) {
    let app = spawn(backend).await;
    app.create_link(
        json!({"longUrl": "https://example.com/p", "customSlug": "pub", "title": "Open"}),
    )
    .await;
    let visitor = Visitor {
        agent: FIREFOX,
        referer: Some(REFERRER),
        ip: "198.51.100.30",
    };
    for _ in 0..2 {
        visit(&app, "pub", visitor).await;
    }
    app.drain().await;

    assert_not_found(app.get("/pub+").await).await;
    assert_not_found(app.get("/nope+").await).await;
    assert_not_found(app.get("/bad%20code+").await).await;

    let session = sign_in(&app).await;
    let private = get_with(&app, "/app/links/pub", &session.cookie).await;
    let private = private.text().await.expect("HTML");
    assert!(private.contains(r#"data-public="false""#));
    let csrf = csrf_in(&private);

    let forged = post_form(
        &app,
        "/app/links/pub/public",
        &session.cookie,
        &[("public", "1")],
    )
    .await;
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token, no change"
    );
    let wrong = [("public", "1"), ("csrf", "0123")];
    let forged = post_form(&app, "/app/links/pub/public", &session.cookie, &wrong).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let signed_out = post_form(
        &app,
        "/app/links/pub/public",
        "",
        &[("public", "1"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert!(location(&signed_out).starts_with("/app/login"));
    assert_not_found(app.get("/pub+").await).await;

    let on = [("public", "1"), ("csrf", csrf.as_str())];
    let switched = post_form(&app, "/app/links/pub/public", &session.cookie, &on).await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&switched), "/app/links/pub");

    let response = app.get("/pub+?range=7d").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let html = response.text().await.expect("HTML");
    let raw = raw_clicks(&app, "pub").await;
    assert_eq!(raw.len(), 2);
    let humans = raw.iter().filter(|c| !c.bot).count() as i64;
    assert_eq!(figure(&html, "humans"), humans);
    assert_eq!(figure(&html, "visits"), humans);
    assert_eq!(
        breakdown(&html, "referrer"),
        vec![("private.example.com".to_owned(), humans)]
    );
    assert_eq!(
        breakdown(&html, "city"),
        vec![("Berlin".to_owned(), humans)]
    );
    assert_eq!(breakdown(&html, "country"), vec![("DE".to_owned(), humans)]);
    assert!(
        html.contains(r#"<td class="value">Germany (DE)</td>"#),
        "the country is named as on the private page"
    );
    let chart = &html[html.find(r#"<svg class="chart""#).expect("the chart")..];
    let chart = &chart[..chart.find("</svg>").expect("chart end")];
    assert!(
        chart.starts_with(r#"<svg class="chart" width="100%""#) && !chart.contains("viewBox"),
        "the chart is drawn at the page's own pixel scale"
    );
    assert!(
        html.contains(r#"class="map-country shade-5" data-country="DE""#),
        "the public page has the map too"
    );
    for private_detail in [
        FIREFOX,
        "secret-path",
        "198.51.100",
        "<tr data-visit>",
        "export",
        "name=\"csrf\"",
        "/events",
        "Log out",
    ] {
        assert!(
            !html.contains(private_detail),
            "public page shows {private_detail:?}"
        );
    }
    assert!(html.contains("https://db-ip.com"), "DB-IP attribution");

    let redirect = app.get("/pub").await;
    assert_eq!(
        redirect.status(),
        StatusCode::FOUND,
        "the link still redirects"
    );

    let private = get_with(&app, "/app/links/pub", &session.cookie).await;
    assert!(
        private
            .text()
            .await
            .expect("HTML")
            .contains(r#"data-public="true""#)
    );
    let off = [("public", "0"), ("csrf", csrf.as_str())];
    let switched = post_form(&app, "/app/links/pub/public", &session.cookie, &off).await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_not_found(app.get("/pub+").await).await;
}

backend_tests!(public_stats_are_opt_in_and_anonymous);
