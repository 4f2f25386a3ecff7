//! `GET /rest/v3/domains`: the single default domain in Shlink's shape, on both backends.

mod common;

use common::{Backend, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

fn no_redirects() -> Value {
    json!({
        "baseUrlRedirect": null,
        "regular404Redirect": null,
        "invalidShortUrlRedirect": null,
    })
}

async fn lists_listen_address_as_default_domain(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.api(Method::GET, "/domains").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "domains": {
                "data": [{
                    "domain": format!("127.0.0.1:{}", app.port),
                    "isDefault": true,
                    "redirects": no_redirects(),
                }],
                "defaultRedirects": no_redirects(),
            }
        })
    );
}

async fn domain_follows_configured_base_url(backend: Backend) {
    let app = spawn_app_with(backend, &["--base-url", "https://s.example.com"]).await;
    let response = app.api(Method::GET, "/domains").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let data = body["domains"]["data"].as_array().expect("data is a list");
    assert_eq!(data.len(), 1, "body: {body}");
    assert_eq!(data[0]["domain"], "s.example.com");
    assert_eq!(data[0]["isDefault"], true);
}

backend_tests!(
    lists_listen_address_as_default_domain,
    domain_follows_configured_base_url,
);
