//! Several domains in the web app, on both backends: the create form's domain field, a link on
//! another domain addressed as `code@domain`, and the dashboard filtered to one domain.

mod common;
mod pages_support;

use common::{Backend, TestApp, spawn_app_with};
use pages_support::*;

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await
}

async fn create(app: &TestApp, session: &Session, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut fields = fields.to_vec();
    fields.push(("csrf", &session.csrf));
    post_form(app, "/app/links", &session.cookie, &fields).await
}

async fn the_create_form_puts_links_on_their_domain(backend: Backend) {
    let app = app(backend).await;
    let session = sign_in(&app).await;
    let ours = create(
        &app,
        &session,
        &[("long_url", "https://a.example/"), ("custom_slug", "promo")],
    )
    .await;
    assert_eq!(location(&ours), "/app/links/promo");
    let theirs = create(
        &app,
        &session,
        &[
            ("long_url", "https://b.example/"),
            ("custom_slug", "promo"),
            ("domain", "Go.Example"),
        ],
    )
    .await;
    assert_eq!(theirs.status(), 303);
    assert_eq!(location(&theirs), "/app/links/promo@go.example");

    let page = get_with(&app, "/app/links/promo@go.example", &session.cookie).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("http://go.example/promo"),
        "its short URL: {html}"
    );
    assert!(html.contains("https://b.example/"));
    assert!(html.contains("/app/links/promo@go.example/edit"));
    let edit = get_with(&app, "/app/links/promo@go.example/edit", &session.cookie).await;
    assert_eq!(edit.status(), 200);
    let missing = get_with(&app, "/app/links/promo@else.example", &session.cookie).await;
    assert_eq!(missing.status(), 404);

    let bad = create(
        &app,
        &session,
        &[
            ("long_url", "https://c.example/"),
            ("domain", "<script>x</script>"),
        ],
    )
    .await;
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("id=\"domain-error\""), "{html}");
    assert!(!html.contains("<script>x"), "the typed domain is escaped");
    assert!(html.contains("&#60;script&#62;x"), "{html}");

    let form = get_with(&app, "/app/links/new", &session.cookie).await;
    let html = form.text().await.unwrap();
    assert!(
        html.contains("<option value=\"go.example\">"),
        "served domains offered: {html}"
    );
}

async fn the_dashboard_shows_one_domain_or_all(backend: Backend) {
    let app = app(backend).await;
    let session = sign_in(&app).await;
    create(
        &app,
        &session,
        &[("long_url", "https://a.example/"), ("custom_slug", "promo")],
    )
    .await;
    create(
        &app,
        &session,
        &[
            ("long_url", "https://b.example/"),
            ("custom_slug", "promo"),
            ("domain", "go.example"),
        ],
    )
    .await;
    for _ in 0..3 {
        let visit = app
            .client
            .get(format!("{}/promo", app.address))
            .header("host", "go.example")
            .send()
            .await
            .unwrap();
        assert_eq!(visit.status(), 302);
    }
    assert_eq!(app.get("/promo").await.status(), 302);
    app.drain().await;

    let all = get_with(&app, "/app", &session.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(all.contains("href=\"/app/links/promo\""), "{all}");
    assert!(all.contains("href=\"/app/links/promo@go.example\""));
    assert!(all.contains("All domains"), "the domain filter is offered");
    assert!(
        all.contains("data-domain=\"go.example\""),
        "each link shows its domain"
    );
    assert!(all.contains(&format!("data-domain=\"127.0.0.1:{}\"", app.port)));
    assert_eq!(number_in(&all, "stat-clicks"), 4);

    let one = get_with(&app, "/app?domain=go.example", &session.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(one.contains("href=\"/app/links/promo@go.example\""));
    assert!(
        !one.contains("href=\"/app/links/promo\""),
        "the default domain's link is filtered out"
    );
    assert_eq!(
        number_in(&one, "stat-clicks"),
        3,
        "figures of that domain only"
    );
    let ours = get_with(&app, "/app?domain=DEFAULT", &session.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(number_in(&ours, "stat-clicks"), 1);
}

backend_tests!(
    the_create_form_puts_links_on_their_domain,
    the_dashboard_shows_one_domain_or_all,
);
