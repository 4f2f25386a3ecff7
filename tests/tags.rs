//! `/rest/v3/tags` and `/rest/v3/tags/stats`: list, search, paginate, order, rename and delete,
//! on both backends.

mod common;

use common::{Backend, TestApp, assert_problem, spawn_app};
use linkpulse::links::ShortCode;
use reqwest::Method;
use serde_json::{Value, json};

/// GETs `path` with the key and returns the JSON body, asserting 200.
async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.api(Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

/// The tag names `GET /tags` lists with no parameters.
async fn tag_names(app: &TestApp) -> Value {
    get_json(app, "/tags").await["tags"]["data"].clone()
}

/// Creates a link with `tags` and returns its short code.
async fn link_with_tags(app: &TestApp, n: u32, tags: &[&str]) -> String {
    let link = app
        .create_link(json!({ "longUrl": format!("https://example.com/{n}"), "tags": tags }))
        .await;
    link["shortCode"].as_str().expect("shortCode").to_owned()
}

/// The tags the store holds for the link with `code`.
async fn stored_tags(app: &TestApp, code: &str) -> Vec<String> {
    let code = ShortCode::parse(code).unwrap();
    let link = app
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .unwrap();
    let tags = link.expect("link still exists").tags;
    tags.iter().map(ToString::to_string).collect()
}

async fn rename(app: &TestApp, body: Value) -> reqwest::Response {
    app.api(Method::PUT, "/tags")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn lists_tags_sorted_and_paginated(backend: Backend) {
    let app = spawn_app(backend).await;
    link_with_tags(&app, 1, &["php", "rust"]).await;
    link_with_tags(&app, 2, &["rust", "go"]).await;
    link_with_tags(&app, 3, &["shlink"]).await;

    let all = get_json(&app, "/tags").await;
    assert_eq!(all["tags"]["data"], json!(["go", "php", "rust", "shlink"]));
    let pagination = &all["tags"]["pagination"];
    assert_eq!(pagination["currentPage"], 1);
    assert_eq!(pagination["pagesCount"], 1);
    assert_eq!(pagination["itemsInCurrentPage"], 4);
    assert_eq!(pagination["totalItems"], 4);

    let page = get_json(&app, "/tags?page=2&itemsPerPage=3").await;
    assert_eq!(
        page,
        json!({ "tags": {
            "data": ["shlink"],
            "pagination": {
                "currentPage": 2,
                "pagesCount": 2,
                "itemsPerPage": 3,
                "itemsInCurrentPage": 1,
                "totalItems": 4,
            },
        }})
    );

    let desc = get_json(&app, "/tags?orderBy=tag-DESC").await;
    assert_eq!(desc["tags"]["data"], json!(["shlink", "rust", "php", "go"]));
}

async fn search_term_filters_case_insensitively(backend: Backend) {
    let app = spawn_app(backend).await;
    link_with_tags(&app, 1, &["php", "rust", "shlink", "go"]).await;

    let found = get_json(&app, "/tags?searchTerm=H").await;
    assert_eq!(found["tags"]["data"], json!(["php", "shlink"]));
    assert_eq!(found["tags"]["pagination"]["totalItems"], 2);

    let none = get_json(&app, "/tags?searchTerm=zzz").await;
    assert_eq!(none["tags"]["data"], json!([]));
    assert_eq!(none["tags"]["pagination"]["totalItems"], 0);
}

async fn list_refuses_unknown_order(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in ["orderBy=name-ASC", "orderBy=tag-UP", "orderBy=visits-ASC"] {
        let response = app
            .api(Method::GET, &format!("/tags?{query}"))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 400, "invalid-data").await;
        assert_eq!(problem["invalidElements"], json!(["orderBy"]), "{query}");
    }
}

async fn stats_count_links_per_tag(backend: Backend) {
    let app = spawn_app(backend).await;
    link_with_tags(&app, 1, &["php", "rust"]).await;
    link_with_tags(&app, 2, &["rust"]).await;
    link_with_tags(&app, 3, &["rust", "go"]).await;

    let stats = get_json(&app, "/tags/stats").await;
    let zero = json!({ "total": 0, "nonBots": 0, "bots": 0 });
    assert_eq!(
        stats["tags"]["data"],
        json!([
            { "tag": "go", "shortUrlsCount": 1, "visitsSummary": zero },
            { "tag": "php", "shortUrlsCount": 1, "visitsSummary": zero },
            { "tag": "rust", "shortUrlsCount": 3, "visitsSummary": zero },
        ])
    );
    assert_eq!(stats["tags"]["pagination"]["totalItems"], 3);

    let by_count = get_json(
        &app,
        "/tags/stats?orderBy=shortUrlsCount-DESC&itemsPerPage=1",
    )
    .await;
    assert_eq!(by_count["tags"]["data"][0]["tag"], "rust");
    assert_eq!(by_count["tags"]["pagination"]["pagesCount"], 3);

    let searched = get_json(&app, "/tags/stats?searchTerm=ph").await;
    assert_eq!(searched["tags"]["data"][0]["tag"], "php");
    assert_eq!(searched["tags"]["pagination"]["totalItems"], 1);
}

async fn rename_moves_links_to_new_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let code = link_with_tags(&app, 1, &["old", "keep"]).await;

    let response = rename(&app, json!({ "oldName": "old", "newName": "new" })).await;
    assert_eq!(response.status(), 204);
    assert_eq!(tag_names(&app).await, json!(["keep", "new"]));
    assert_eq!(stored_tags(&app, &code).await, ["keep", "new"]);
}

async fn rename_to_existing_name_conflicts(backend: Backend) {
    let app = spawn_app(backend).await;
    let code = link_with_tags(&app, 1, &["a", "b"]).await;

    let response = rename(&app, json!({ "oldName": "a", "newName": "b" })).await;
    let problem = assert_problem(response, 409, "tag-conflict").await;
    assert_eq!(problem["newName"], "b");
    assert_eq!(tag_names(&app).await, json!(["a", "b"]));
    assert_eq!(stored_tags(&app, &code).await, ["a", "b"]);
}

async fn rename_unknown_tag_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    link_with_tags(&app, 1, &["a"]).await;

    for old in ["ghost", "a-ghost"] {
        let response = rename(&app, json!({ "oldName": old, "newName": "x" })).await;
        let problem = assert_problem(response, 404, "tag-not-found").await;
        assert_eq!(problem["tag"], old);
    }
    let same = rename(&app, json!({ "oldName": "ghost", "newName": "ghost" })).await;
    assert_problem(same, 404, "tag-not-found").await;
    assert_eq!(tag_names(&app).await, json!(["a"]));
}

async fn rename_to_same_name_is_a_no_op(backend: Backend) {
    let app = spawn_app(backend).await;
    link_with_tags(&app, 1, &["a"]).await;
    let response = rename(&app, json!({ "oldName": "a", "newName": " a " })).await;
    assert_eq!(response.status(), 204);
    assert_eq!(tag_names(&app).await, json!(["a"]));
}

async fn rename_refuses_invalid_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let code = link_with_tags(&app, 1, &["a"]).await;

    let cases = [
        (json!({ "oldName": "a" }), "newName"),
        (json!({ "newName": "b" }), "oldName"),
        (json!({ "oldName": "a", "newName": "   " }), "newName"),
        (json!({ "oldName": "", "newName": "b" }), "oldName"),
        (json!({ "oldName": "a", "newName": 7 }), "newName"),
    ];
    for (body, element) in cases {
        let response = rename(&app, body.clone()).await;
        let problem = assert_problem(response, 400, "invalid-data").await;
        let elements = problem["invalidElements"].as_array().unwrap();
        assert!(elements.contains(&json!(element)), "{body} → {problem}");
    }
    let empty = app.api(Method::PUT, "/tags").send().await.unwrap();
    assert_problem(empty, 400, "invalid-data").await;
    let garbage = app
        .api(Method::PUT, "/tags")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(garbage, 400, "invalid-data").await;

    assert_eq!(tag_names(&app).await, json!(["a"]));
    assert_eq!(stored_tags(&app, &code).await, ["a"]);
}

async fn delete_removes_tags_but_keeps_links(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = link_with_tags(&app, 1, &["a", "b"]).await;
    let second = link_with_tags(&app, 2, &["b", "c"]).await;

    let response = app
        .api(Method::DELETE, "/tags?tags[]=a&tags[]=b&tags[]=unknown")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(tag_names(&app).await, json!(["c"]));
    assert!(stored_tags(&app, &first).await.is_empty());
    assert_eq!(stored_tags(&app, &second).await, ["c"]);

    let stats = get_json(&app, "/tags/stats").await;
    assert_eq!(stats["tags"]["data"][0]["shortUrlsCount"], 1);
}

async fn delete_without_tags_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    link_with_tags(&app, 1, &["a"]).await;
    let response = app.api(Method::DELETE, "/tags").send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(tag_names(&app).await, json!(["a"]));
}

backend_tests!(
    lists_tags_sorted_and_paginated,
    search_term_filters_case_insensitively,
    list_refuses_unknown_order,
    stats_count_links_per_tag,
    rename_moves_links_to_new_name,
    rename_to_existing_name_conflicts,
    rename_unknown_tag_is_not_found,
    rename_to_same_name_is_a_no_op,
    rename_refuses_invalid_body,
    delete_removes_tags_but_keeps_links,
    delete_without_tags_changes_nothing,
);
