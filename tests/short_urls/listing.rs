//! `GET /short-urls`: the pagination envelope and every filter.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use reqwest::Method;
use serde_json::json;

use super::{codes, list};
use crate::backend_tests;
use crate::common::{Backend, TestApp, assert_problem, spawn_app};

/// Creates links with these slugs, in order, each pointing at `https://<slug>.example/`.
async fn seed(app: &TestApp, slugs: &[&str]) {
    for slug in slugs {
        app.create_link(json!({"longUrl": format!("https://{slug}.example/"), "customSlug": slug}))
            .await;
    }
}

async fn pagination_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let empty = list(&app, "").await;
    assert_eq!(empty["data"], json!([]));
    assert_eq!(
        empty["pagination"],
        json!({"currentPage": 1, "pagesCount": 1, "itemsPerPage": 10, "itemsInCurrentPage": 0, "totalItems": 0})
    );

    seed(&app, &["l1", "l2", "l3", "l4", "l5", "l6", "l7"]).await;
    let last = list(&app, "itemsPerPage=3&page=3").await;
    assert_eq!(
        last["pagination"],
        json!({"currentPage": 3, "pagesCount": 3, "itemsPerPage": 3, "itemsInCurrentPage": 1, "totalItems": 7})
    );
    assert_eq!(
        codes(&last),
        vec!["l1"],
        "newest first, so the oldest is last"
    );

    let second = list(&app, "itemsPerPage=3&page=2").await;
    assert_eq!(codes(&second), vec!["l4", "l3", "l2"]);

    let default = list(&app, "").await;
    assert_eq!(default["pagination"]["itemsPerPage"], 10);
    assert_eq!(default["pagination"]["pagesCount"], 1);
    assert_eq!(codes(&default).len(), 7);

    let all = list(&app, "itemsPerPage=-1").await;
    assert_eq!(codes(&all).len(), 7);
    assert_eq!(all["pagination"]["itemsPerPage"], 7);
    assert_eq!(all["pagination"]["pagesCount"], 1);

    let beyond = list(&app, "itemsPerPage=3&page=9").await;
    assert_eq!(codes(&beyond), Vec::<String>::new());
    assert_eq!(beyond["pagination"]["totalItems"], 7);

    for bad in ["page=0", "page=-1", "page=two", "itemsPerPage=many"] {
        let response = app
            .api(Method::GET, &format!("/short-urls?{bad}"))
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "invalid-data").await;
    }
}

async fn order_by_each_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(
        json!({"longUrl": "https://b.example/", "customSlug": "c-code", "title": "Alpha"}),
    )
    .await;
    app.create_link(
        json!({"longUrl": "https://c.example/", "customSlug": "a-code", "title": "Charlie"}),
    )
    .await;
    app.create_link(
        json!({"longUrl": "https://a.example/", "customSlug": "b-code", "title": "Bravo"}),
    )
    .await;
    let cases = [
        ("dateCreated-DESC", ["b-code", "a-code", "c-code"]),
        ("dateCreated-ASC", ["c-code", "a-code", "b-code"]),
        ("shortCode-ASC", ["a-code", "b-code", "c-code"]),
        ("shortCode-DESC", ["c-code", "b-code", "a-code"]),
        ("longUrl-ASC", ["b-code", "c-code", "a-code"]),
        ("longUrl-DESC", ["a-code", "c-code", "b-code"]),
        ("title-ASC", ["c-code", "b-code", "a-code"]),
        ("title-DESC", ["a-code", "b-code", "c-code"]),
    ];
    for (order, expected) in cases {
        assert_eq!(
            codes(&list(&app, &format!("orderBy={order}")).await),
            expected,
            "{order}"
        );
    }
    for order in ["visits-DESC", "nonBotVisits-ASC"] {
        assert_eq!(
            codes(&list(&app, &format!("orderBy={order}")).await).len(),
            3
        );
    }
    let response = app
        .api(Method::GET, "/short-urls?orderBy=colour-ASC")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 400, "invalid-data").await;
    assert_eq!(super::invalid_elements(&problem), vec!["orderBy"]);
}

async fn search_term_matches_url_and_code(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app, &["apple", "banana", "cherry"]).await;
    assert_eq!(
        codes(&list(&app, "searchTerm=banana.exa").await),
        vec!["banana"]
    );
    assert_eq!(codes(&list(&app, "searchTerm=CHER").await), vec!["cherry"]);
    assert_eq!(
        codes(&list(&app, "searchTerm=nothing-like-it").await).len(),
        0
    );
    assert_eq!(codes(&list(&app, "searchTerm=").await).len(), 3);
}

async fn tags_any_and_all(backend: Backend) {
    let app = spawn_app(backend).await;
    for (slug, tags) in [
        ("only-a", json!(["a"])),
        ("both", json!(["a", "b"])),
        ("only-b", json!(["b"])),
        ("none", json!([])),
    ] {
        app.create_link(
            json!({"longUrl": "https://example.com/", "customSlug": slug, "tags": tags}),
        )
        .await;
    }
    let mut any = codes(&list(&app, "tags[]=a&tags[]=b").await);
    any.sort();
    assert_eq!(any, vec!["both", "only-a", "only-b"]);
    let mut explicit_any = codes(&list(&app, "tags%5B%5D=a&tags%5B%5D=b&tagsMode=any").await);
    explicit_any.sort();
    assert_eq!(explicit_any, any);
    assert_eq!(
        codes(&list(&app, "tags[]=a&tags[]=b&tagsMode=all").await),
        vec!["both"]
    );
    let mut just_a = codes(&list(&app, "tags[]=a").await);
    just_a.sort();
    assert_eq!(just_a, vec!["both", "only-a"]);
    assert_eq!(codes(&list(&app, "tags[]=zzz").await).len(), 0);
    assert_eq!(
        codes(&list(&app, "excludeTags[]=a&excludeTags[]=b").await),
        vec!["none"]
    );
    let mut not_both =
        codes(&list(&app, "excludeTags[]=a&excludeTags[]=b&excludeTagsMode=all").await);
    not_both.sort();
    assert_eq!(not_both, vec!["none", "only-a", "only-b"]);
    assert_eq!(
        codes(&list(&app, "tags[]=a&excludeTags[]=b").await),
        vec!["only-a"]
    );
    let bad_mode = app
        .api(Method::GET, "/short-urls?tags[]=a&tagsMode=some")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad_mode, 400, "invalid-data").await;
    assert_eq!(super::invalid_elements(&problem), vec!["tagsMode"]);
}

async fn start_and_end_dates(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app, &["earlier"]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let between = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    tokio::time::sleep(Duration::from_millis(50)).await;
    seed(&app, &["later"]).await;
    assert_eq!(
        codes(&list(&app, &format!("startDate={between}")).await),
        vec!["later"]
    );
    assert_eq!(
        codes(&list(&app, &format!("endDate={between}")).await),
        vec!["earlier"]
    );
    let both = format!("startDate=2000-01-01T00:00:00Z&endDate={between}");
    assert_eq!(codes(&list(&app, &both).await), vec!["earlier"]);
    // An explicit offset must be URL-encoded (`+` is a space in a query string).
    assert_eq!(
        codes(&list(&app, "startDate=2999-01-01T00:00:00%2B02:00").await).len(),
        0
    );
    let bad = app
        .api(Method::GET, "/short-urls?startDate=last-week")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad, 400, "invalid-data").await;
    assert_eq!(super::invalid_elements(&problem), vec!["startDate"]);
}

async fn exclude_flags(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "expired", "validUntil": "2001-01-01T00:00:00Z"}))
        .await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "current", "validUntil": "2999-01-01T00:00:00Z"}))
        .await;
    app.create_link(
        json!({"longUrl": "https://example.com/", "customSlug": "exhausted", "maxVisits": 2}),
    )
    .await;
    app.create_link(
        json!({"longUrl": "https://example.com/", "customSlug": "under-cap", "maxVisits": 3}),
    )
    .await;
    // Two human visits, counted the way the click pipeline counts them.
    app.execute_sql(
        "UPDATE short_urls SET visits_total = 2 WHERE short_code IN ('exhausted', 'under-cap')",
    )
    .await;

    let mut unfiltered = codes(
        &list(
            &app,
            "excludePastValidUntil=false&excludeMaxVisitsReached=false",
        )
        .await,
    );
    unfiltered.sort();
    assert_eq!(
        unfiltered,
        vec!["current", "exhausted", "expired", "under-cap"]
    );
    let mut not_expired = codes(&list(&app, "excludePastValidUntil=true").await);
    not_expired.sort();
    assert_eq!(not_expired, vec!["current", "exhausted", "under-cap"]);
    let mut not_exhausted = codes(&list(&app, "excludeMaxVisitsReached=true").await);
    not_exhausted.sort();
    assert_eq!(not_exhausted, vec!["current", "expired", "under-cap"]);
    let mut both = codes(
        &list(
            &app,
            "excludeMaxVisitsReached=true&excludePastValidUntil=true",
        )
        .await,
    );
    both.sort();
    assert_eq!(both, vec!["current", "under-cap"]);
}

async fn malformed_filters_are_refused_not_ignored(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app, &["one"]).await;
    for (query, field) in [
        ("excludeTagsMode=none", "excludeTagsMode"),
        ("excludeMaxVisitsReached=yes", "excludeMaxVisitsReached"),
    ] {
        let response = app
            .api(Method::GET, &format!("/short-urls?{query}"))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 400, "invalid-data").await;
        assert_eq!(super::invalid_elements(&problem), vec![field], "{query}");
    }
    assert_eq!(
        codes(&list(&app, "domain=elsewhere.example").await).len(),
        0
    );
    assert_eq!(codes(&list(&app, "domain=DEFAULT").await), vec!["one"]);
}

backend_tests!(
    pagination_envelope,
    order_by_each_field,
    search_term_matches_url_and_code,
    tags_any_and_all,
    start_and_end_dates,
    exclude_flags,
    malformed_filters_are_refused_not_ignored,
);
