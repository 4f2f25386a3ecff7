//! Campaign tags in the web app on both backends: the create form's UTM builder tags the long
//! URL, and visits are counted by `utm_source` / `utm_medium` / `utm_campaign` (of the visited
//! short URL, or else of the long URL it was sent to) on the link page and, across links, on the dashboard,
//! with attacker-chosen tag values escaped.

mod common;
mod pages_support;

use common::{Backend, TestApp, spawn_app_with};
use linkpulse::links::{LinkAddress, ShortCode};
use pages_support::{CHROME, get_with, location, post_form, sign_in, visit_as};
use serde_json::json;

const SCRIPT: &str = "<script>alert(1)</script>";

backend_tests!(
    the_utm_builder_tags_the_long_url,
    visits_are_counted_by_campaign_on_the_link_page_and_the_dashboard,
);

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await
}

async fn the_utm_builder_tags_the_long_url(backend: Backend) {
    let app = app(backend).await;
    let session = sign_in(&app).await;
    let form = get_with(&app, "/app/links/new", &session.cookie).await;
    let html = form.text().await.unwrap();
    assert!(
        html.contains(r#"name="utm_campaign""#),
        "the builder is offered"
    );
    let fields = [
        ("csrf", session.csrf.as_str()),
        ("long_url", "https://shop.example/item?id=7&utm_source=old"),
        ("custom_slug", "tagged"),
        ("utm_source", "newsletter"),
        ("utm_medium", " "),
        ("utm_campaign", "spring sale"),
    ];
    let created = post_form(&app, "/app/links", &session.cookie, &fields).await;
    assert_eq!(created.status(), 303);
    assert_eq!(location(&created), "/app/links/tagged");
    let address = LinkAddress::default_domain(ShortCode::parse("tagged").unwrap());
    let link = app.store.find_short_url(&address).await.unwrap().unwrap();
    assert_eq!(
        link.long_url.as_str(),
        "https://shop.example/item?id=7&utm_source=newsletter&utm_campaign=spring+sale"
    );

    let refused = [
        ("csrf", session.csrf.as_str()),
        ("long_url", "not a url"),
        ("utm_source", "kept"),
    ];
    let response = post_form(&app, "/app/links", &session.cookie, &refused).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"value="kept""#),
        "the tags are filled in again"
    );
}

async fn visits_are_counted_by_campaign_on_the_link_page_and_the_dashboard(backend: Backend) {
    let app = app(backend).await;
    let session = sign_in(&app).await;
    app.create_link(json!({
        "longUrl": "https://shop.example/?utm_source=ads&utm_medium=cpc",
        "customSlug": "sale",
        "forwardQuery": false
    }))
    .await;
    app.create_link(json!({"longUrl": "https://blog.example/", "customSlug": "post"}))
        .await;
    let script = url::form_urlencoded::byte_serialize(SCRIPT.as_bytes()).collect::<String>();
    for path in [
        "/sale".to_owned(),
        "/sale?utm_source=newsletter&utm_campaign=spring".to_owned(),
        "/post?utm_source=newsletter".to_owned(),
        format!("/post?utm_campaign={script}"),
        "/post".to_owned(),
    ] {
        visit_as(&app, &path, CHROME).await;
    }
    app.drain().await;

    let page = get_with(&app, "/app/links/sale", &session.cookie).await;
    let html = page.text().await.unwrap();
    let sources = section(&html, r#"data-dimension="utm_source""#);
    assert_eq!(
        rows(sources),
        [("ads", 1), ("newsletter", 1)],
        "the visited URL wins"
    );
    let media = section(&html, r#"data-dimension="utm_medium""#);
    assert_eq!(
        rows(media),
        [("cpc", 2)],
        "the long URL's tag counts when the visit has none"
    );
    assert_eq!(
        rows(section(&html, r#"data-dimension="utm_campaign""#)),
        [("spring", 1), ("Not tagged", 1)],
        "the other visit carried no campaign"
    );

    let plain = get_with(&app, "/app/links/post", &session.cookie).await;
    let html = plain.text().await.unwrap();
    assert!(!html.contains(SCRIPT), "a tag value is escaped");
    assert!(
        !html.contains(r#"data-dimension="utm_medium""#),
        "no medium: no table"
    );

    let dashboard = get_with(&app, "/app", &session.cookie).await;
    let html = dashboard.text().await.unwrap();
    let campaigns = section(&html, "campaigns-heading");
    assert_eq!(
        rows(section(campaigns, r#"data-dimension="utm_source""#)),
        [("newsletter", 2), ("ads", 1)],
        "across links"
    );
    assert!(!html.contains(SCRIPT), "escaped on the dashboard too");
    assert!(
        campaigns.contains("<td class=\"value\">&#60;script&#62;alert(1)&#60;/script&#62;</td>"),
        "shown as text: {campaigns}"
    );
}

/// The page from `marker` on.
fn section<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    &html[start..]
}

/// The (value, visits) rows of the first breakdown table in `html`.
fn rows(html: &str) -> Vec<(&str, i64)> {
    let table = &html[..html.find("</table>").expect("a table")];
    table
        .split(r#"<tr data-value=""#)
        .skip(1)
        .map(|row| {
            let (value, rest) = row.split_once('"').unwrap();
            let visits = rest
                .split_once(r#"data-visits=""#)
                .and_then(|(_, tail)| tail.split_once('"'))
                .map(|(visits, _)| visits.parse().unwrap())
                .unwrap();
            (value, visits)
        })
        .collect()
}
