//! `/rest/v3/short-urls` end to end on both backends: the CRUD contract, listing filters,
//! input validation (nothing stored on refusal) and API-key checks.

mod common;

#[path = "short_urls/auth.rs"]
mod auth;
#[path = "short_urls/crud.rs"]
mod crud;
#[path = "short_urls/listing.rs"]
mod listing;
#[path = "short_urls/validation.rs"]
mod validation;

use common::TestApp;
use reqwest::{Method, Response};
use serde_json::Value;

/// `POST /short-urls` with a JSON body.
pub async fn post(app: &TestApp, body: &Value) -> Response {
    app.api(Method::POST, "/short-urls")
        .json(body)
        .send()
        .await
        .expect("request")
}

/// `PATCH /short-urls/{code}` with a JSON body.
pub async fn patch(app: &TestApp, code: &str, body: &Value) -> Response {
    app.api(Method::PATCH, &format!("/short-urls/{code}"))
        .json(body)
        .send()
        .await
        .expect("request")
}

/// `GET /short-urls/{code}` as JSON, asserting 200.
pub async fn fetch(app: &TestApp, code: &str) -> Value {
    let response = app
        .api(Method::GET, &format!("/short-urls/{code}"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "GET {code}");
    response.json().await.expect("JSON")
}

/// `GET /short-urls?{query}`, returning the `shortUrls` object after asserting 200.
pub async fn list(app: &TestApp, query: &str) -> Value {
    let response = app
        .api(Method::GET, &format!("/short-urls?{query}"))
        .send()
        .await
        .expect("request");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, 200, "list {query}: {body}");
    body["shortUrls"].clone()
}

/// The short codes of a list page, in order.
pub fn codes(short_urls: &Value) -> Vec<String> {
    short_urls["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|link| link["shortCode"].as_str().expect("code").to_owned())
        .collect()
}

/// How many links the database holds, read straight from the store.
pub async fn stored_links(app: &TestApp) -> u64 {
    app.store
        .list_short_urls(&Default::default())
        .await
        .expect("store list")
        .total
}

/// The `invalidElements` of an `invalid-data` problem.
pub fn invalid_elements(problem: &Value) -> Vec<String> {
    problem["invalidElements"]
        .as_array()
        .expect("invalidElements")
        .iter()
        .map(|e| e.as_str().expect("element").to_owned())
        .collect()
}
