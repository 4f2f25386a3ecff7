//! `linkpulse import` with the real binary, on both backends: from a second linkpulse instance
//! serving Shlink's REST API (links with tags, titles, limits and dates, every visit with its
//! date and bot flag, orphan visits), and from Shlink's CSV format; both safe to run again.

mod common;

use std::sync::Arc;

use common::{Backend, TestApp, fresh_database, spawn_app_with};
use linkpulse::links::{LinkAddress, ShortCode};
use linkpulse::store::{self, Store, VisitFilter, VisitScope};
use serde_json::{Value, json};
use tokio::process::Command;

const HUMAN: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                     Chrome/120.0.0.0 Safari/537.36";
const BOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// Runs `linkpulse --database-url URL ARGS…`; returns its stdout, asserting success.
async fn linkpulse(database_url: &str, args: &[&str]) -> String {
    let output = Command::from(common::binary::command())
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .output()
        .await
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

async fn visit(app: &TestApp, path: &str, agent: &str, referer: Option<&str>) {
    let mut request = app
        .client
        .get(format!("{}{path}", app.address))
        .header("user-agent", agent);
    if let Some(referer) = referer {
        request = request.header("referer", referer);
    }
    request.send().await.expect("visit");
}

async fn get(app: &TestApp, path: &str) -> Value {
    app.api(reqwest::Method::GET, path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A source instance with two links, their visits and one orphan visit, all stored.
async fn source() -> TestApp {
    let app = spawn_app_with(
        Backend::Sqlite,
        &["--workers", "0", "--click-ack", "commit"],
    )
    .await;
    app.create_link(json!({
        "longUrl": "https://example.com/alpha",
        "customSlug": "alpha",
        "title": "Alpha launch",
        "tags": ["launch", "q4"],
        "maxVisits": 10,
        "validUntil": "2999-01-01T00:00:00+00:00",
        "crawlable": true,
    }))
    .await;
    app.create_link(
        json!({"longUrl": "https://example.com/beta", "customSlug": "beta", "forwardQuery": false}),
    )
    .await;
    visit(&app, "/alpha", HUMAN, Some("https://news.example/story")).await;
    visit(&app, "/alpha", HUMAN, None).await;
    visit(&app, "/alpha", BOT, None).await;
    visit(&app, "/beta", HUMAN, None).await;
    visit(&app, "/nowhere", HUMAN, None).await;
    app.drain().await;
    app
}

async fn target(backend: Backend) -> (String, common::TestDatabase, Arc<dyn Store>) {
    let (url, guard) = fresh_database(backend).await;
    let store = store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    (url, guard, store)
}

fn code(raw: &str) -> LinkAddress {
    LinkAddress::default_domain(ShortCode::parse(raw).unwrap())
}

async fn visit_dates(store: &Arc<dyn Store>, scope: VisitScope) -> Vec<String> {
    let page = store
        .list_visits(&scope, &VisitFilter::default())
        .await
        .expect("visits");
    page.items
        .iter()
        .map(|v| v.occurred_at.timestamp().to_string())
        .collect()
}

async fn a_shlink_server_is_imported_whole_and_once(backend: Backend) {
    let source = source().await;
    let (url, _guard, store) = target(backend).await;
    let args = [
        "import",
        "shlink",
        "--url",
        source.address.as_str(),
        "--api-key",
        source.api_key.as_str(),
    ];
    let first = linkpulse(&url, &args).await;
    assert!(
        first.contains(
            "Imported 2 links (0 already here), 4 visits and 1 orphan visits (0 already here)."
        ),
        "{first}"
    );

    let alpha = store
        .find_short_url(&code("alpha"))
        .await
        .unwrap()
        .expect("alpha imported");
    let original = get(&source, "/short-urls/alpha").await;
    assert_eq!(
        alpha.date_created.to_rfc3339(),
        chrono::DateTime::parse_from_rfc3339(original["dateCreated"].as_str().unwrap())
            .unwrap()
            .to_rfc3339(),
        "the creation date is kept"
    );
    assert_eq!(alpha.title.as_deref(), Some("Alpha launch"));
    assert_eq!(alpha.tags, ["launch", "q4"]);
    assert_eq!(alpha.max_visits, Some(10));
    assert!(alpha.crawlable && alpha.valid_until.is_some());
    assert_eq!((alpha.visits.total, alpha.visits.bots), (3, 1));
    let beta = store
        .find_short_url(&code("beta"))
        .await
        .unwrap()
        .expect("beta imported");
    assert!(!beta.forward_query);

    let source_store = &source.store;
    assert_eq!(
        visit_dates(&store, VisitScope::Link(code("alpha"))).await,
        visit_dates(source_store, VisitScope::Link(code("alpha"))).await,
        "every visit with its date (to the second, as Shlink's API gives it)"
    );
    let imported = store
        .list_visits(&VisitScope::Link(code("alpha")), &VisitFilter::default())
        .await
        .unwrap();
    assert!(
        imported
            .items
            .iter()
            .any(|v| v.referer.as_deref() == Some("https://news.example/story"))
    );
    assert_eq!(imported.items.iter().filter(|v| v.potential_bot).count(), 1);
    assert_eq!(visit_dates(&store, VisitScope::Orphan(None)).await.len(), 1);
    let target_of = store
        .find_redirect_target(&code("alpha"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        target_of.non_bot_visits, 2,
        "the cap counts the imported human visits"
    );

    let again = linkpulse(&url, &args).await;
    assert!(
        again.contains(
            "Imported 0 links (2 already here), 0 visits and 0 orphan visits (5 already here)."
        ),
        "{again}"
    );
    let alpha = store.find_short_url(&code("alpha")).await.unwrap().unwrap();
    assert_eq!(alpha.visits.total, 3, "nothing counted twice");
}

async fn a_shlink_csv_file_is_imported_once(backend: Backend) {
    let (url, _guard, store) = target(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("links.csv");
    std::fs::write(
        &file,
        "Long URL;Short code;Domain;Title;Tags\n\
         https://example.com/one;one;;First;a|b\n\
         https://example.com/two;;;;\n\
         https://example.com/three;one;Go.Example;;\n\
         not a url;bad;;;\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let first = linkpulse(&url, &["import", "csv", path, "--delimiter", ";"]).await;
    assert!(
        first.contains("Imported 3 links (0 already here)"),
        "{first}"
    );
    assert!(first.contains("1 links came from other domains"), "{first}");
    assert!(
        first.contains("skipped: bad:"),
        "the bad row is named: {first}"
    );
    let one = store
        .find_short_url(&code("one"))
        .await
        .unwrap()
        .expect("one");
    assert_eq!(one.tags, ["a", "b"]);
    assert_eq!(one.title.as_deref(), Some("First"));
    let on_other = LinkAddress {
        domain: linkpulse::links::Domain::Named(
            linkpulse::links::DomainName::parse("go.example").unwrap(),
        ),
        code: ShortCode::parse("one").unwrap(),
    };
    let theirs = store
        .find_short_url(&on_other)
        .await
        .unwrap()
        .expect("the same code on its own domain");
    assert_eq!(theirs.long_url, "https://example.com/three");
    assert_eq!(
        store
            .find_by_long_url(
                &linkpulse::links::Domain::Default,
                "https://example.com/two"
            )
            .await
            .unwrap()
            .len(),
        1
    );

    let again = linkpulse(&url, &["import", "csv", path, "--delimiter", ";"]).await;
    assert!(
        again.contains("Imported 0 links (3 already here)"),
        "{again}"
    );
    assert_eq!(
        store
            .find_by_long_url(
                &linkpulse::links::Domain::Default,
                "https://example.com/two"
            )
            .await
            .unwrap()
            .len(),
        1
    );
}

backend_tests!(
    a_shlink_server_is_imported_whole_and_once,
    a_shlink_csv_file_is_imported_once,
);
