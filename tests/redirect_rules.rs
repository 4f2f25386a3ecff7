//! Shlink's dynamic redirect rules end to end on both backends: rules set through
//! `POST /short-urls/{code}/redirect-rules` choose the destination of real redirects, the first
//! matching rule winning, for every condition type (geolocation from the loaded geo database at
//! redirect time); the visit records the URL chosen; edits apply to the next redirect; a bad
//! rule is refused naming it and changes nothing.

mod analytics_support;
mod common;
mod pages_support;

use analytics_support::{CHROME, PagesApp, spawn};
use common::{Backend, assert_problem};
use reqwest::Method;
use serde_json::{Value, json};

const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
/// An address the geo fixture does not know and no rule names.
const ELSEWHERE: &str = "100.1.2.3";

fn condition(kind: &str, key: Option<&str>, value: Option<&str>) -> Value {
    json!({"type": kind, "matchKey": key, "matchValue": value})
}

fn rule(path: &str, conditions: Vec<Value>) -> Value {
    json!({"longUrl": format!("https://example.com/{path}"), "conditions": conditions})
}

/// Every condition type, most specific first where two could match.
fn all_rules() -> Vec<Value> {
    vec![
        rule(
            "android-fr",
            vec![
                condition("device", None, Some("android")),
                condition("language", None, Some("fr")),
            ],
        ),
        rule("android", vec![condition("device", None, Some("android"))]),
        rule("en-us", vec![condition("language", None, Some("en-US"))]),
        rule(
            "mail",
            vec![condition("query-param", Some("utm"), Some("mail"))],
        ),
        rule(
            "ref",
            vec![condition("any-value-query-param", Some("ref"), None)],
        ),
        rule(
            "beta",
            vec![condition("valueless-query-param", Some("beta"), None)],
        ),
        rule(
            "v6",
            vec![condition("ip-address", None, Some("2001:db8:aa::/48"))],
        ),
        rule(
            "net",
            vec![condition("ip-address", None, Some("192.0.2.0/24"))],
        ),
        rule(
            "fr-country",
            vec![condition("geolocation-country-code", None, Some("fr"))],
        ),
        rule(
            "berlin",
            vec![condition("geolocation-city-name", None, Some("BERLIN"))],
        ),
        rule(
            "never",
            vec![condition("before-date", None, Some("2000-01-01"))],
        ),
        rule(
            "firefox",
            vec![
                condition("after-date", None, Some("2000-01-01T00:00:00Z")),
                condition("browser", None, Some("firefox")),
            ],
        ),
    ]
}

/// The `Location` of `/{code}?{query}` followed with these headers.
async fn follow(app: &PagesApp, query: &str, agent: &str, language: &str, ip: &str) -> String {
    let response = app
        .client
        .get(format!("{}/rules{query}", app.address))
        .header("User-Agent", agent)
        .header("Accept-Language", language)
        .header("X-Forwarded-For", ip)
        .send()
        .await
        .expect("redirect");
    assert_eq!(response.status(), 302, "{query} {agent} {language} {ip}");
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn set_rules(app: &PagesApp, rules: Vec<Value>) -> reqwest::Response {
    app.api(Method::POST, "/short-urls/rules/redirect-rules")
        .json(&json!({"redirectRules": rules}))
        .send()
        .await
        .unwrap()
}

/// `PATCH /short-urls/rules` with `body`.
async fn edit(app: &PagesApp, body: Value) -> reqwest::Response {
    app.api(Method::PATCH, "/short-urls/rules")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn link(app: &PagesApp) -> Value {
    app.api_json("/short-urls/rules").await
}

async fn rules_choose_the_destination_first_match_wins(backend: Backend) {
    let app = spawn(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/default", "customSlug": "rules"}))
        .await;
    let set = set_rules(&app, all_rules()).await;
    assert_eq!(set.status(), 200);
    let answer: Value = set.json().await.unwrap();
    let stored = app.api_json("/short-urls/rules/redirect-rules").await;
    assert_eq!(stored, answer, "the answer is what is stored");
    assert_eq!(stored["defaultLongUrl"], "https://example.com/default");
    let listed = stored["redirectRules"].as_array().unwrap();
    assert_eq!(listed.len(), 12);
    for (index, rule) in listed.iter().enumerate() {
        assert_eq!(rule["priority"], index + 1);
        assert_eq!(rule["longUrl"], all_rules()[index]["longUrl"]);
    }
    assert_eq!(
        listed[8]["conditions"][0]["matchValue"], "FR",
        "codes in upper case"
    );
    assert_eq!(link(&app).await["hasRedirectRules"], true);

    let to = |path: &str| format!("https://example.com/{path}");
    let cases = [
        ("", ANDROID, "fr-FR, en;q=0.5", ELSEWHERE, to("android-fr")),
        ("", ANDROID, "de", ELSEWHERE, to("android")),
        ("", CHROME, "fr;q=0.9, en-US;q=0.8", ELSEWHERE, to("en-us")),
        ("", CHROME, "en-US;q=0", ELSEWHERE, to("default")),
        ("?utm=mail", CHROME, "de", ELSEWHERE, to("mail?utm=mail")),
        (
            "?utm=other",
            CHROME,
            "de",
            ELSEWHERE,
            to("default?utm=other"),
        ),
        ("?ref=x", CHROME, "de", ELSEWHERE, to("ref?ref=x")),
        ("?beta", CHROME, "de", ELSEWHERE, to("beta?beta=")),
        ("", CHROME, "de", "2001:db8:aa:1::5", to("v6")),
        ("", CHROME, "de", "2001:db8:ab::5", to("default")),
        ("", CHROME, "de", "192.0.2.77", to("net")),
        ("", CHROME, "de", "203.0.113.5", to("fr-country")),
        ("", CHROME, "de", "198.51.100.10", to("berlin")),
        ("", FIREFOX, "de", ELSEWHERE, to("firefox")),
        ("", CHROME, "de", ELSEWHERE, to("default")),
    ];
    for (query, agent, language, ip, expected) in &cases {
        assert_eq!(
            &follow(&app, query, agent, language, ip).await,
            expected,
            "{query} {language} {ip}"
        );
    }

    app.drain().await;
    let visits = app
        .api_json("/short-urls/rules/visits?itemsPerPage=50")
        .await;
    let mut recorded: Vec<String> = visits["visits"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|visit| visit["redirectUrl"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = cases.iter().map(|case| case.4.clone()).collect();
    recorded.sort();
    expected.sort();
    assert_eq!(
        recorded, expected,
        "each visit records the URL it was sent to"
    );

    // A bad rule set is refused naming the rule, and the stored rules stay.
    let mut bad = all_rules();
    bad.push(rule(
        "bad",
        vec![condition("ip-address", None, Some("10.0.0.300"))],
    ));
    let problem = assert_problem(set_rules(&app, bad).await, 400, "invalid-data").await;
    assert_eq!(problem["invalidElements"], json!(["redirectRules[12]"]));
    assert_eq!(
        follow(&app, "", ANDROID, "de", ELSEWHERE).await,
        to("android")
    );

    // Dropping a rule applies to the very next redirect; so does dropping them all.
    let without_android: Vec<Value> = all_rules().into_iter().skip(2).collect();
    assert_eq!(set_rules(&app, without_android).await.status(), 200);
    assert_eq!(
        follow(&app, "", ANDROID, "en-US", ELSEWHERE).await,
        to("en-us")
    );
    assert_eq!(set_rules(&app, Vec::new()).await.status(), 200);
    assert_eq!(
        follow(&app, "", FIREFOX, "en-US", "192.0.2.1").await,
        to("default")
    );
    assert_eq!(link(&app).await["hasRedirectRules"], false);
}

/// Shlink's `deviceLongUrls` round trip: kept as device rules, shown from them, edited per device.
async fn device_long_urls_are_device_rules(backend: Backend) {
    let app = spawn(backend).await;
    let created = app
        .create_link(json!({
            "longUrl": "https://example.com/default",
            "customSlug": "rules",
            "deviceLongUrls": {"ios": "https://example.com/ios", "android": "https://example.com/android"},
        }))
        .await;
    assert_eq!(
        created["deviceLongUrls"],
        json!({"android": "https://example.com/android", "ios": "https://example.com/ios", "desktop": null})
    );
    assert_eq!(created["hasRedirectRules"], true);
    let rules = app.api_json("/short-urls/rules/redirect-rules").await;
    assert_eq!(
        rules["redirectRules"],
        json!([
            {"longUrl": "https://example.com/android", "priority": 1, "conditions": [{"type": "device", "matchKey": null, "matchValue": "android"}]},
            {"longUrl": "https://example.com/ios", "priority": 2, "conditions": [{"type": "device", "matchKey": null, "matchValue": "ios"}]},
        ])
    );
    assert_eq!(
        follow(&app, "", ANDROID, "de", ELSEWHERE).await,
        "https://example.com/android"
    );

    let edited = edit(
        &app,
        json!({"deviceLongUrls": {"ios": null, "desktop": "https://example.com/desktop"}}),
    )
    .await;
    assert_eq!(edited.status(), 200);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(
        edited["deviceLongUrls"],
        json!({"android": "https://example.com/android", "ios": null, "desktop": "https://example.com/desktop"})
    );
    assert_eq!(
        follow(&app, "", CHROME, "de", ELSEWHERE).await,
        "https://example.com/desktop"
    );
    assert_eq!(
        link(&app).await["deviceLongUrls"],
        edited["deviceLongUrls"],
        "as listed"
    );

    // A rule with more than the device condition is a rule, not a device URL.
    let mixed = vec![rule(
        "android-fr",
        vec![
            condition("device", None, Some("android")),
            condition("language", None, Some("fr")),
        ],
    )];
    assert_eq!(set_rules(&app, mixed).await.status(), 200);
    assert_eq!(
        link(&app).await["deviceLongUrls"],
        json!({"android": null, "ios": null, "desktop": null})
    );

    let refused = edit(
        &app,
        json!({"deviceLongUrls": {"watch": "https://example.com/w"}}),
    )
    .await;
    let problem = assert_problem(refused, 400, "invalid-data").await;
    assert_eq!(problem["invalidElements"], json!(["deviceLongUrls"]));
}

backend_tests!(
    rules_choose_the_destination_first_match_wins,
    device_long_urls_are_device_rules,
);
