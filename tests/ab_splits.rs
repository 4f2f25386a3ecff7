//! A/B splits on both backends: visitors spread over a link's weighted destinations within a
//! binomial tolerance, each visitor keeps its destination, redirect rules still come first, the
//! analytics page counts visits per destination (the public page never names them), and a bad
//! split is refused whole.

mod analytics_support;
mod common;
mod pages_support;

use std::collections::BTreeMap;

use analytics_support::{CHROME, breakdown, page};
use common::{Backend, TestApp, assert_problem, spawn_counting_app};
use futures_util::{StreamExt, stream};
use pages_support::{location, sign_in};
use reqwest::Method;
use serde_json::json;

const CONTROL: &str = "https://example.com/control";
const B: &str = "https://example.com/b";
const C: &str = "https://example.com/c";

/// The `Location` `/{path}` sends the visitor at `ip` to.
async fn destination_of(app: &TestApp, path: &str, ip: &str) -> String {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .header("user-agent", CHROME)
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "{path} for {ip}");
    location(&response)
}

/// The visitor addresses of the test: `count` distinct ones.
fn visitors(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256))
        .collect()
}

/// How many of `ips` each destination got, visiting eight at a time.
async fn spread(app: &TestApp, ips: &[String]) -> BTreeMap<String, i64> {
    let answers: Vec<String> = stream::iter(ips)
        .map(|ip| destination_of(app, "/ab", ip))
        .buffer_unordered(8)
        .collect()
        .await;
    let mut counts = BTreeMap::new();
    for answer in answers {
        *counts.entry(answer).or_insert(0) += 1;
    }
    counts
}

async fn visitors_spread_by_weight_and_keep_their_destination(backend: Backend) {
    let app = spawn_counting_app(backend).await;
    let created = app
        .create_link(json!({
            "longUrl": CONTROL,
            "customSlug": "ab",
            "destinations": [{"longUrl": B, "weight": 30}, {"longUrl": C, "weight": 20}],
        }))
        .await;
    assert_eq!(
        created["destinations"],
        json!([{"longUrl": B, "weight": 30}, {"longUrl": C, "weight": 20}])
    );

    const VISITORS: usize = 2000;
    let ips = visitors(VISITORS);
    let counts = spread(&app, &ips).await;
    // Binomial: the standard deviations are 22, 20 and 18 visitors; five of them is the margin.
    for (url, share, margin) in [(CONTROL, 0.5, 112.0), (B, 0.3, 103.0), (C, 0.2, 90.0)] {
        let got = counts.get(url).copied().unwrap_or_default() as f64;
        let expected = share * VISITORS as f64;
        assert!(
            (got - expected).abs() <= margin,
            "{url}: {got} of {VISITORS}, expected {expected} ± {margin} ({counts:?})"
        );
    }
    assert_eq!(counts.values().sum::<i64>(), VISITORS as i64);

    // Each visitor keeps its destination, visit after visit.
    let mut tally = counts;
    for ip in &ips[..40] {
        let first = destination_of(&app, "/ab", ip).await;
        *tally.entry(first.clone()).or_default() += 1;
        for _ in 0..4 {
            assert_eq!(destination_of(&app, "/ab", ip).await, first, "{ip}");
            *tally.entry(first.clone()).or_default() += 1;
        }
    }

    // The analytics page counts exactly the visits each destination got; the public page,
    // which anyone may see, never names them.
    app.drain().await;
    let session = sign_in(&app).await.cookie;
    let html = page(&app, &session, "/app/links/ab?range=today&tz=UTC").await;
    assert!(html.contains("Destinations (A/B split)"));
    assert!(
        html.contains("50% to the long URL"),
        "the split is listed with the link"
    );
    let table: BTreeMap<String, i64> = breakdown(&html, "destination").into_iter().collect();
    assert_eq!(table, tally);
    let visits = app.api_json("/short-urls/ab/visits?itemsPerPage=1").await;
    assert_eq!(
        visits["visits"]["pagination"]["totalItems"],
        tally.values().sum::<i64>()
    );
    let code = linkpulse::links::ShortCode::parse("ab").unwrap();
    app.store
        .set_public_stats(
            &linkpulse::links::LinkAddress::default_domain(code.clone()),
            true,
        )
        .await
        .unwrap();
    let public = app.get("/ab+").await;
    assert_eq!(public.status(), 200);
    let html = public.text().await.unwrap();
    assert!(
        html.contains("data-dimension=\"country\""),
        "the public report is there"
    );
    assert!(
        !html.contains(B) && !html.contains("Destinations"),
        "{html}"
    );
}

async fn rules_come_first_and_splits_are_edited_or_refused(backend: Backend) {
    let app = spawn_counting_app(backend).await;
    app.create_link(json!({
        "longUrl": CONTROL,
        "customSlug": "ab",
        "destinations": [{"longUrl": B, "weight": 100}],
    }))
    .await;
    assert_eq!(
        destination_of(&app, "/ab", "10.0.0.1").await,
        B,
        "100% to B"
    );
    let rules = app
        .api(Method::POST, "/short-urls/ab/redirect-rules")
        .json(&json!({"redirectRules": [{
            "longUrl": "https://example.com/rule",
            "conditions": [{"type": "query-param", "matchKey": "v", "matchValue": "rule"}],
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(rules.status(), 200);
    assert_eq!(
        destination_of(&app, "/ab?v=rule", "10.0.0.1").await,
        "https://example.com/rule?v=rule",
        "a matching rule wins over the split"
    );

    for (destinations, refused) in [
        (
            json!([{"longUrl": B, "weight": 60}, {"longUrl": C, "weight": 50}]),
            "over 100%",
        ),
        (json!([{"longUrl": B, "weight": 0}]), "a zero weight"),
        (
            json!([{"longUrl": B, "weight": 10}, {"longUrl": B, "weight": 10}]),
            "a repeat",
        ),
        (
            json!([{"longUrl": format!("{}/loop", app.address), "weight": 10}]),
            "our own host",
        ),
    ] {
        let created = app
            .api(Method::POST, "/short-urls")
            .json(&json!({"longUrl": CONTROL, "customSlug": "bad", "destinations": destinations}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(created, 400, "invalid-data").await;
        assert_eq!(
            problem["invalidElements"],
            json!(["destinations"]),
            "{refused}"
        );
    }
    assert_eq!(app.get("/bad").await.status(), 404, "nothing stored");

    let removed = app
        .api(Method::PATCH, "/short-urls/ab")
        .json(&json!({"destinations": null}))
        .send()
        .await
        .unwrap();
    let json: serde_json::Value = removed.json().await.unwrap();
    assert!(json.get("destinations").is_none(), "{json}");
    assert_eq!(destination_of(&app, "/ab", "10.0.0.1").await, CONTROL);
}

backend_tests!(
    visitors_spread_by_weight_and_keep_their_destination,
    rules_come_first_and_splits_are_edited_or_refused,
);
