//! The dashboard and the link forms: figures from the rollups, the link list, and create /
//! edit / delete with CSRF, the API's validation messages and redirect-cache invalidation.

mod common;
mod pages_support;
#[path = "pages_dashboard/top_links.rs"]
mod top_links;

use common::{Backend, TestApp, spawn_app, spawn_app_with};
use linkpulse::links::ShortCode;
use linkpulse::links::ShortUrlFilter;
use pages_support::*;
use serde_json::json;
use top_links::top_links_count_whole_days_and_the_current_hour;

const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

backend_tests!(
    creating_a_link_needs_the_csrf_token,
    the_create_form_uses_the_api_rules_and_messages,
    a_taken_slug_is_refused_next_to_the_field,
    user_text_is_escaped_in_the_dashboard,
    editing_applies_and_invalidates_the_redirect_cache,
    deleting_asks_first_and_stops_the_redirect,
    dashboard_figures_equal_the_raw_clicks,
    top_links_count_whole_days_and_the_current_hour,
    the_list_searches_filters_by_tag_and_pages,
);

async fn stored_links(app: &TestApp) -> u64 {
    let filter = ShortUrlFilter {
        items_per_page: None,
        ..ShortUrlFilter::default()
    };
    app.store.list_short_urls(&filter).await.unwrap().total
}

async fn creating_a_link_needs_the_csrf_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    let fields = [
        ("long_url", "https://example.com/docs"),
        ("custom_slug", "docs"),
        ("title", "Docs"),
        ("tags", "a, b"),
        ("valid_until", "2099-01-02T03:04"),
        ("max_visits", "7"),
    ];

    let missing = post_form(&app, "/app/links", &session.cookie, &fields).await;
    assert_eq!(missing.status(), 403);
    assert_security_headers(&missing);
    let mut wrong = fields.to_vec();
    wrong.push(("csrf", "0000"));
    assert_eq!(
        post_form(&app, "/app/links", &session.cookie, &wrong)
            .await
            .status(),
        403
    );
    // Another session's token is not this session's token.
    let other = sign_in(&app).await;
    let mut foreign = fields.to_vec();
    foreign.push(("csrf", &other.csrf));
    assert_eq!(
        post_form(&app, "/app/links", &session.cookie, &foreign)
            .await
            .status(),
        403
    );
    assert_eq!(stored_links(&app).await, 0, "nothing stored");

    let mut good = fields.to_vec();
    good.push(("csrf", &session.csrf));
    let created = post_form(&app, "/app/links", &session.cookie, &good).await;
    assert_eq!(created.status(), 303);
    assert_eq!(location(&created), "/app/links/docs");
    let link = app
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(
            ShortCode::parse("docs").unwrap(),
        ))
        .await
        .unwrap()
        .expect("created");
    assert_eq!(link.long_url, "https://example.com/docs");
    assert_eq!(link.title.as_deref(), Some("Docs"));
    assert_eq!(link.tags, vec!["a", "b"]);
    assert_eq!(link.max_visits, Some(7));
    assert_eq!(
        link.valid_until.map(|t| t.to_rfc3339()),
        Some("2099-01-02T03:04:00+00:00".to_owned())
    );
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status(), 302);
    assert_eq!(location(&redirect), "https://example.com/docs");
}

async fn the_create_form_uses_the_api_rules_and_messages(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    let api = app
        .api(reqwest::Method::POST, "/short-urls")
        .json(&json!({"longUrl": "javascript:alert(1)", "maxVisits": 0}))
        .send()
        .await
        .unwrap();
    let problem: serde_json::Value = api.json().await.unwrap();
    let api_details: Vec<String> = problem["detail"]
        .as_str()
        .unwrap()
        .split("; ")
        .map(str::to_owned)
        .collect();
    assert_eq!(api_details.len(), 2, "{problem}");

    let response = post_form(
        &app,
        "/app/links",
        &session.cookie,
        &[
            ("csrf", &session.csrf),
            ("long_url", "javascript:alert(1)"),
            ("title", "kept"),
            ("max_visits", "0"),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_security_headers(&response);
    let html = response.text().await.unwrap();
    for detail in &api_details {
        assert!(
            html.contains(detail.as_str()),
            "page lacks the API's {detail:?}"
        );
    }
    assert!(
        html.contains(r#"id="long_url-error""#),
        "shown next to the field"
    );
    assert!(html.contains(r#"id="max_visits-error""#));
    assert!(
        html.contains(r#"value="javascript:alert(1)""#),
        "form re-filled"
    );
    assert!(html.contains(r#"value="kept""#));
    assert_eq!(stored_links(&app).await, 0, "nothing stored");
}

async fn a_taken_slug_is_refused_next_to_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    app.create_link(json!({"longUrl": "https://a.example", "customSlug": "taken"}))
        .await;
    let api = app
        .api(reqwest::Method::POST, "/short-urls")
        .json(&json!({"longUrl": "https://b.example", "customSlug": "taken"}))
        .send()
        .await
        .unwrap();
    let problem: serde_json::Value = api.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap().to_owned();

    let response = post_form(
        &app,
        "/app/links",
        &session.cookie,
        &[
            ("csrf", &session.csrf),
            ("long_url", "https://b.example"),
            ("custom_slug", "taken"),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="custom_slug-error""#));
    assert!(html.contains(&detail), "page lacks the API's {detail:?}");
    assert_eq!(stored_links(&app).await, 1);
}

async fn user_text_is_escaped_in_the_dashboard(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    app.create_link(json!({
        "longUrl": "https://example.com/?q=\"><img src=x>",
        "title": "<script>alert(1)</script>",
        "tags": ["<b>tag</b>"],
    }))
    .await;
    let response = get_with(&app, "/app", &session.cookie).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("<script>alert(1)"),
        "raw tag must not appear"
    );
    // askama writes `<` as `&#60;`; either entity form is escaped text, not markup.
    let escaped = |text: &str| {
        html.contains(&text.replace('<', "&lt;").replace('>', "&gt;"))
            || html.contains(&text.replace('<', "&#60;").replace('>', "&#62;"))
    };
    assert!(
        escaped("<script>alert(1)</script>"),
        "the title is shown, escaped"
    );
    assert!(!html.contains("<b>tag</b>") && escaped("<b>tag</b>"));
    assert!(!html.contains("<img src=x>"));
    assert!(!html.contains("style="), "no inline styles");
    for script in html.match_indices("<script") {
        let tag = &html[script.0..script.0 + 40.min(html.len() - script.0)];
        assert!(
            tag.contains("src=\"/static/"),
            "only our own script files: {tag}"
        );
    }
}

async fn editing_applies_and_invalidates_the_redirect_cache(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    app.create_link(json!({
        "longUrl": "https://old.example/",
        "customSlug": "edit-me",
        "title": "Old",
        "tags": ["x"],
    }))
    .await;
    assert_eq!(location(&app.get("/edit-me").await), "https://old.example/");

    let form = get_with(&app, "/app/links/edit-me/edit", &session.cookie).await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains(r#"value="https://old.example/""#));
    assert!(html.contains(r#"value="Old""#));

    let fields = [
        ("long_url", "https://new.example/"),
        ("title", ""),
        ("tags", "y, z"),
        ("max_visits", "5"),
    ];
    let forged = post_form(&app, "/app/links/edit-me/edit", &session.cookie, &fields).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(location(&app.get("/edit-me").await), "https://old.example/");

    let mut invalid = fields.to_vec();
    invalid[0] = ("long_url", "ftp://files.example/");
    invalid.push(("csrf", &session.csrf));
    let refused = post_form(&app, "/app/links/edit-me/edit", &session.cookie, &invalid).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("invalid long URL"));
    assert_eq!(location(&app.get("/edit-me").await), "https://old.example/");

    let mut good = fields.to_vec();
    good.push(("csrf", &session.csrf));
    let saved = post_form(&app, "/app/links/edit-me/edit", &session.cookie, &good).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(location(&saved), "/app/links/edit-me");
    assert_eq!(
        location(&app.get("/edit-me").await),
        "https://new.example/",
        "the cached target was dropped at once"
    );
    let link = app
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(
            ShortCode::parse("edit-me").unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.title, None, "a blank title clears it");
    assert_eq!(link.tags, vec!["y", "z"]);
    assert_eq!(link.max_visits, Some(5));

    let unknown = get_with(&app, "/app/links/nope/edit", &session.cookie).await;
    assert_eq!(unknown.status(), 404);
}

async fn deleting_asks_first_and_stops_the_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    app.create_link(json!({"longUrl": "https://gone.example/", "customSlug": "bye"}))
        .await;
    assert_eq!(app.get("/bye").await.status(), 302);

    let confirm = get_with(&app, "/app/links/bye/delete", &session.cookie).await;
    assert_eq!(confirm.status(), 200);
    let html = confirm.text().await.unwrap();
    assert!(html.contains("Delete this link?"));
    assert!(html.contains(r#"action="/app/links/bye/delete""#));

    let forged = post_form(&app, "/app/links/bye/delete", &session.cookie, &[]).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(app.get("/bye").await.status(), 302, "still there");

    let deleted = post_form(
        &app,
        "/app/links/bye/delete",
        &session.cookie,
        &[("csrf", &session.csrf)],
    )
    .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(location(&deleted), "/app");
    assert_eq!(
        app.get("/bye").await.status(),
        404,
        "stops redirecting at once"
    );
    assert_eq!(stored_links(&app).await, 0);

    let again = post_form(
        &app,
        "/app/links/bye/delete",
        &session.cookie,
        &[("csrf", &session.csrf)],
    )
    .await;
    assert_eq!(again.status(), 404);
}

async fn dashboard_figures_equal_the_raw_clicks(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await;
    let session = sign_in(&app).await;
    app.create_link(
        json!({"longUrl": "https://a.example/", "customSlug": "busy", "title": "Busy one"}),
    )
    .await;
    app.create_link(json!({"longUrl": "https://b.example/", "customSlug": "quiet"}))
        .await;
    for _ in 0..4 {
        visit_as(&app, "/busy", CHROME).await;
    }
    visit_as(&app, "/busy", GOOGLEBOT).await;
    visit_as(&app, "/quiet", CHROME).await;
    let orphan = app.get("/missing-code").await;
    assert_eq!(orphan.status(), 404);
    app.drain().await;

    let response = get_with(&app, "/app", &session.cookie).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let raw_clicks = app
        .count("SELECT COUNT(*) FROM clicks WHERE short_url_id IS NOT NULL")
        .await;
    let raw_bots = app
        .count(
            "SELECT COUNT(*) FROM clicks WHERE short_url_id IS NOT NULL AND potential_bot = TRUE",
        )
        .await;
    assert_eq!(raw_clicks, 6);
    assert_eq!(raw_bots, 1);
    assert_eq!(number_in(&html, "stat-clicks"), raw_clicks);
    assert_eq!(number_in(&html, "stat-bots"), raw_bots);
    assert_eq!(number_in(&html, "stat-humans"), raw_clicks - raw_bots);
    assert_eq!(number_in(&html, "stat-today"), raw_clicks);
    assert_eq!(number_in(&html, "stat-yesterday"), 0);
    assert_eq!(
        number_in(&html, "stat-uniques"),
        2,
        "Chrome and Googlebot from one address: Chrome on two links is one visitor"
    );
    assert!(html.contains("Unique visitors are counted per day"));

    assert!(
        html.contains("class=\"chart\""),
        "the 30-day chart is drawn"
    );
    assert_eq!(html.matches("class=\"bar\"").count(), 30);
    assert!(
        html.contains(&format!(": {raw_clicks}</title>")),
        "today's bar carries every click"
    );
    let top = &html[html.find("top-links").expect("top links")..];
    let busy = top.find("Busy one").expect("busy listed");
    let quiet = top.find("/quiet").expect("quiet listed");
    assert!(busy < quiet, "largest first");
    assert_eq!(html.matches("class=\"sparkline\"").count(), 2);
    assert!(html.contains("5 <span class=\"muted\">clicks</span>"));
    assert!(
        html.contains("1 <span class=\"muted\">click</span>"),
        "one click is singular"
    );
}

async fn the_list_searches_filters_by_tag_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = sign_in(&app).await;
    for i in 0..23 {
        let tags = if i % 5 == 0 {
            json!(["promo"])
        } else {
            json!([])
        };
        app.create_link(json!({
            "longUrl": format!("https://site{i}.example/"),
            "customSlug": format!("link-{i:02}"),
            "tags": tags,
        }))
        .await;
    }
    let page = |path: &'static str| {
        let app = &app;
        let cookie = session.cookie.clone();
        async move {
            let response = get_with(app, path, &cookie).await;
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap()
        }
    };
    let first = page("/app").await;
    assert_eq!(first.matches("class=\"link-card\"").count(), 20);
    assert!(first.contains("Page 1 of 2"));
    assert!(first.contains(r#"href="/app?page=2""#));
    let second = page("/app?page=2").await;
    assert_eq!(second.matches("class=\"link-card\"").count(), 3);

    let searched = page("/app?searchTerm=site17").await;
    assert_eq!(searched.matches("class=\"link-card\"").count(), 1);
    assert!(searched.contains("/app/links/link-17"));
    assert!(
        searched.contains(r#"value="site17""#),
        "the search box keeps the term"
    );

    let tagged = page("/app?tag=promo").await;
    assert_eq!(tagged.matches("class=\"link-card\"").count(), 5);
    assert!(tagged.contains(r#"<option value="promo" selected>"#));
    assert!(!tagged.contains("/app/links/link-01\""));
}
