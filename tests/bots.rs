//! Bot detection and user-agent parsing end to end: redirects with crawler, tool and browser user
//! agents go through the pipeline; the visits API shows `potentialBot` and the link's
//! `visitsSummary` splits bots from humans, and the stored browser/OS/device match the parser.

mod common;

use std::collections::HashMap;

use common::{Backend, TestApp, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

/// `(user agent, SQL counting its click stored with the expected browser, version, OS, device)`.
macro_rules! case {
    ($ua:literal, $stored:literal) => {
        (
            $ua,
            concat!(
                "SELECT COUNT(*) FROM clicks WHERE user_agent = '",
                $ua,
                "' AND ",
                $stored
            ),
        )
    };
}

/// AI crawlers, a command-line tool, a headless browser and a chat link expander.
const BOTS: &[(&str, &str)] = &[
    case!(
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "browser = 'misc crawler' AND browser_version IS NULL AND os IS NULL AND device = 'bot'"
    ),
    case!(
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "browser = 'misc crawler' AND browser_version IS NULL AND os IS NULL AND device = 'bot'"
    ),
    case!(
        "curl/8.5.0",
        "browser = 'curl' AND browser_version IS NULL AND os IS NULL AND device = 'other'"
    ),
    case!(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
        "browser = 'Chrome' AND browser_version = '131.0.0.0' AND os = 'Linux' AND device = 'desktop'"
    ),
    case!(
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "browser = 'misc crawler' AND browser_version IS NULL AND os IS NULL AND device = 'bot'"
    ),
    case!(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "browser = 'Googlebot' AND browser_version IS NULL AND os IS NULL AND device = 'bot'"
    ),
];

/// Current Chrome, Firefox, Safari (and Edge) on Windows, macOS, Android and iPhone.
const BROWSERS: &[(&str, &str)] = &[
    case!(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36",
        "browser = 'Chrome' AND browser_version = '138.0.0.0' AND os = 'Windows 10' AND device = 'desktop'"
    ),
    case!(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
        "browser = 'Firefox' AND browser_version = '140.0' AND os = 'Windows 10' AND device = 'desktop'"
    ),
    case!(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0",
        "browser = 'Edge' AND browser_version = '138.0.0.0' AND os = 'Windows 10' AND device = 'desktop'"
    ),
    case!(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36",
        "browser = 'Chrome' AND browser_version = '138.0.0.0' AND os = 'macOS' AND device = 'desktop'"
    ),
    case!(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:140.0) Gecko/20100101 Firefox/140.0",
        "browser = 'Firefox' AND browser_version = '140.0' AND os = 'macOS' AND device = 'desktop'"
    ),
    case!(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15",
        "browser = 'Safari' AND browser_version = '18.5' AND os = 'macOS' AND device = 'desktop'"
    ),
    case!(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Mobile Safari/537.36",
        "browser = 'Chrome' AND browser_version = '138.0.0.0' AND os = 'Android' AND device = 'mobile'"
    ),
    case!(
        "Mozilla/5.0 (Android 15; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0",
        "browser = 'Firefox' AND browser_version = '140.0' AND os = 'Android' AND device = 'mobile'"
    ),
    case!(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
        "browser = 'Safari' AND browser_version = '18.5' AND os = 'iOS' AND device = 'mobile'"
    ),
    case!(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/138.0.7204.119 Mobile/15E148 Safari/604.1",
        "browser = 'Chrome' AND browser_version = '138.0.7204.119' AND os = 'iOS' AND device = 'mobile'"
    ),
    case!(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/140.0 Mobile/15E148 Safari/605.1.15",
        "browser = 'Firefox' AND browser_version = '140.0' AND os = 'iOS' AND device = 'mobile'"
    ),
];

/// A server without workers, a link `/ua`, and one visit per user agent above plus one visit
/// without any user agent, all processed.
async fn visited_app(backend: Backend) -> TestApp {
    let app = spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await;
    app.create_link(json!({"longUrl": "https://example.com/ua", "customSlug": "ua"}))
        .await;
    for (agent, _) in BOTS.iter().chain(BROWSERS) {
        let response = app
            .client
            .get(format!("{}/ua", app.address))
            .header("User-Agent", *agent)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 302, "{agent}");
    }
    assert_eq!(app.get("/ua").await.status(), 302, "no user agent at all");
    app.drain().await;
    app
}

/// Visits of all kinds: bots, browsers and the one without a user agent.
fn expected_total() -> usize {
    BOTS.len() + BROWSERS.len() + 1
}

/// `GET /rest/v3{path}` with the key; asserts 200 and returns the body.
async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.api(Method::GET, path).send().await.expect("request");
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.expect("JSON body")
}

async fn potential_bot_flags_bots_and_tools_but_not_browsers(backend: Backend) {
    let app = visited_app(backend).await;
    let body = get_json(&app, "/short-urls/ua/visits").await;
    let data = body["visits"]["data"].as_array().expect("visit list");
    assert_eq!(data.len(), expected_total());
    let flags: HashMap<&str, &Value> = data
        .iter()
        .map(|visit| {
            (
                visit["userAgent"].as_str().expect("userAgent"),
                &visit["potentialBot"],
            )
        })
        .collect();
    for (agent, _) in BOTS {
        assert_eq!(flags.get(agent), Some(&&Value::Bool(true)), "{agent}");
    }
    for (agent, _) in BROWSERS {
        assert_eq!(flags.get(agent), Some(&&Value::Bool(false)), "{agent}");
    }
    assert_eq!(
        flags.get(""),
        Some(&&Value::Bool(true)),
        "a request without a user agent is a bot"
    );
}

async fn visits_summary_and_filters_split_bots_from_humans(backend: Backend) {
    let app = visited_app(backend).await;
    let bots = BOTS.len() + 1;
    let humans = BROWSERS.len();

    let link = get_json(&app, "/short-urls/ua").await;
    let summary = &link["visitsSummary"];
    assert_eq!(summary["total"], expected_total(), "{summary}");
    assert_eq!(summary["bots"], bots, "{summary}");
    assert_eq!(summary["nonBots"], humans, "{summary}");

    let overview = get_json(&app, "/visits").await;
    let non_orphan = &overview["visits"]["nonOrphanVisits"];
    assert_eq!(non_orphan["bots"], bots, "{overview}");
    assert_eq!(non_orphan["nonBots"], humans, "{overview}");

    let filtered = get_json(&app, "/short-urls/ua/visits?excludeBots=true").await;
    let data = filtered["visits"]["data"].as_array().expect("visit list");
    assert_eq!(data.len(), humans);
    assert!(
        data.iter().all(|visit| visit["potentialBot"] == false),
        "{filtered}"
    );
}

async fn browser_os_and_device_are_stored_as_parsed(backend: Backend) {
    let app = visited_app(backend).await;
    for (agent, sql) in BOTS.iter().chain(BROWSERS) {
        assert_eq!(app.count(sql).await, 1, "{agent} stored as {sql}");
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM clicks WHERE user_agent IS NULL AND browser IS NULL \
             AND browser_version IS NULL AND os IS NULL AND device = 'other'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clicks").await,
        expected_total() as i64
    );
}

backend_tests!(
    potential_bot_flags_bots_and_tools_but_not_browsers,
    visits_summary_and_filters_split_bots_from_humans,
    browser_os_and_device_are_stored_as_parsed,
);
