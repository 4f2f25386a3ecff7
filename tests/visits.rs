//! The Shlink visits API end to end on both backends: visits are made through the real redirect
//! path, processed by a worker the test drives, then read, filtered, counted and deleted.

mod common;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{Backend, TestApp, assert_problem, spawn_app_with};
use linkpulse::clicks::VisitKind;
use linkpulse::links::ShortCode;
use linkpulse::pipeline::event::ClickEvent;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const CURL: &str = "curl/8.5.0";

/// A server whose redirects return once the click is in the outbox, with no workers of its own.
async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--workers", "0", "--click-ack", "commit"]).await
}

/// `GET path` with a user agent and optional referrer; returns the status.
async fn visit(app: &TestApp, path: &str, agent: &str, referer: Option<&str>) -> StatusCode {
    let mut request = app
        .client
        .get(format!("{}{path}", app.address))
        .header("User-Agent", agent);
    if let Some(referer) = referer {
        request = request.header("Referer", referer);
    }
    request.send().await.expect("request").status()
}

/// Creates a link with this slug and optional extra fields.
async fn link(app: &TestApp, slug: &str, extra: Value) {
    let mut body = json!({"longUrl": format!("https://example.com/{slug}"), "customSlug": slug});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.create_link(body).await;
}

/// An API call with the key.
async fn send(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.api(method, path).send().await.expect("request")
}

/// An API call returning its status and JSON body.
async fn call(app: &TestApp, method: Method, path: &str) -> (u16, Value) {
    let response = send(app, method, path).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// `GET path` with the key, asserting 200; returns `visits.data` and `visits.pagination`.
async fn visits(app: &TestApp, path: &str) -> (Vec<Value>, Value) {
    let (status, body) = call(app, Method::GET, path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    let data = body["visits"]["data"].as_array().expect("data").clone();
    (data, body["visits"]["pagination"].clone())
}

/// A link's `visitsSummary` as `GET /short-urls/{code}` shows it.
async fn summary(app: &TestApp, code: &str) -> Value {
    let (status, body) = call(app, Method::GET, &format!("/short-urls/{code}")).await;
    assert_eq!(status, 200);
    body["visitsSummary"].clone()
}

fn field<'a>(items: &'a [Value], name: &str) -> Vec<&'a Value> {
    items.iter().map(|v| &v[name]).collect()
}

async fn link_visits_show_what_the_request_carried(backend: Backend) {
    let app = app(backend).await;
    link(&app, "vis", json!({})).await;
    let referer = "https://ref.example/?q=\"<script>alert(1)</script>\"";
    let sneaky_agent = "<script>alert('ua')</script> \"quoted\"";
    let before = Utc::now() - chrono::Duration::seconds(1);
    assert_eq!(visit(&app, "/vis?x=1", CHROME, Some(referer)).await, 302);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(visit(&app, "/vis", sneaky_agent, None).await, 302);
    app.drain().await;
    let after = Utc::now() + chrono::Duration::seconds(1);

    let response = send(&app, Method::GET, "/short-urls/vis/visits").await;
    assert_eq!(response.status(), 200);
    let raw = response.text().await.unwrap();
    assert!(
        raw.contains(r#"\"quoted\""#),
        "quotes are JSON-escaped: {raw}"
    );
    let body: Value = serde_json::from_str(&raw).unwrap();
    let data = body["visits"]["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let (newest, oldest) = (&data[0], &data[1]);
    assert_eq!(newest["userAgent"], sneaky_agent, "newest first, verbatim");
    assert_eq!(newest["referer"], "");
    assert_eq!(oldest["userAgent"], CHROME);
    assert_eq!(oldest["referer"], referer);
    assert_eq!(oldest["potentialBot"], false);
    assert_eq!(oldest["visitLocation"], Value::Null);
    assert_eq!(oldest["visitedUrl"], format!("{}/vis?x=1", app.address));
    assert_eq!(oldest["redirectUrl"], "https://example.com/vis?x=1");
    assert!(oldest.get("type").is_none(), "link visits carry no type");
    for item in data {
        let date = DateTime::parse_from_rfc3339(item["date"].as_str().unwrap()).unwrap();
        assert!(before <= date && date <= after, "{date}");
    }
    assert_eq!(body["visits"]["pagination"]["totalItems"], 2);
    assert_eq!(body["visits"]["pagination"]["pagesCount"], 1);
}

/// Puts a visit to link `link_id` at a fixed instant straight into the outbox.
async fn enqueue_at(app: &TestApp, link_id: i64, at: DateTime<Utc>) {
    let event = ClickEvent {
        message_id: Uuid::now_v7(),
        kind: VisitKind::ValidShortUrl,
        link_id: Some(link_id),
        occurred_at: at,
        client_ip: Some("198.51.100.7".parse().unwrap()),
        user_agent: Some(CHROME.into()),
        referrer: None,
        visited_url: format!("{}/dated", app.address),
        redirect_url: Some("https://example.com/dated".into()),
        destination: None,
        traceparent: None,
    };
    let entry = event.to_outbox_entry(Utc::now());
    app.store.enqueue_clicks(&[entry]).await.unwrap();
}

async fn date_range_and_pagination(backend: Backend) {
    let app = app(backend).await;
    link(&app, "dated", json!({})).await;
    let code = ShortCode::parse("dated").unwrap();
    let id = app
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .unwrap()
        .unwrap()
        .id;
    for month in [1, 2, 3] {
        let at = Utc.with_ymd_and_hms(2026, month, 1, 10, 0, 0).unwrap();
        enqueue_at(&app, id, at).await;
    }
    app.drain().await;

    let (all, _) = visits(&app, "/short-urls/dated/visits").await;
    let dates = [
        "2026-03-01T10:00:00+00:00",
        "2026-02-01T10:00:00+00:00",
        "2026-01-01T10:00:00+00:00",
    ];
    assert_eq!(
        field(&all, "date"),
        dates.map(|d| json!(d)).iter().collect::<Vec<_>>()
    );
    let since = "/short-urls/dated/visits?startDate=2026-01-15T00:00:00%2B00:00";
    assert_eq!(visits(&app, since).await.0.len(), 2);
    let until = "/short-urls/dated/visits?endDate=2026-02-01T10:00:00Z";
    let (until, _) = visits(&app, until).await;
    assert_eq!(field(&until, "date"), [&all[1]["date"], &all[2]["date"]]);
    let both = "/short-urls/dated/visits?startDate=2026-01-15&endDate=2026-02-15";
    assert_eq!(
        field(&visits(&app, both).await.0, "date"),
        [&all[1]["date"]]
    );

    let (page, pagination) = visits(&app, "/short-urls/dated/visits?itemsPerPage=2&page=2").await;
    assert_eq!(field(&page, "date"), [&all[2]["date"]]);
    assert_eq!(
        pagination,
        json!({"currentPage": 2, "pagesCount": 2, "itemsPerPage": 2,
               "itemsInCurrentPage": 1, "totalItems": 3})
    );
    let bad = "/short-urls/dated/visits?startDate=soon&excludeBots=maybe";
    let bad = send(&app, Method::GET, bad).await;
    let problem = assert_problem(bad, 400, "invalid-data").await;
    assert_eq!(
        problem["invalidElements"],
        json!(["startDate", "excludeBots"])
    );
}

async fn bots_are_flagged_counted_and_excludable(backend: Backend) {
    let app = app(backend).await;
    link(&app, "botty", json!({})).await;
    for agent in [CHROME, CURL, CHROME] {
        assert_eq!(visit(&app, "/botty", agent, None).await, 302);
    }
    app.drain().await;

    let (all, _) = visits(&app, "/short-urls/botty/visits").await;
    assert_eq!(
        field(&all, "potentialBot"),
        [&json!(false), &json!(true), &json!(false)]
    );
    let (humans, pagination) = visits(&app, "/short-urls/botty/visits?excludeBots=true").await;
    assert_eq!(humans.len(), 2);
    assert!(humans.iter().all(|v| v["userAgent"] == CHROME));
    assert_eq!(pagination["totalItems"], 2);
    assert_eq!(
        summary(&app, "botty").await,
        json!({"total": 3, "nonBots": 2, "bots": 1})
    );
}

async fn tag_visits_cover_every_tagged_link(backend: Backend) {
    let app = app(backend).await;
    link(&app, "ta", json!({"tags": ["one"]})).await;
    link(&app, "tb", json!({"tags": ["one", "two"]})).await;
    link(&app, "tc", json!({"tags": ["two"]})).await;
    link(&app, "tunused", json!({"tags": ["idle"]})).await;
    for path in ["/ta", "/tb", "/tb", "/tc"] {
        visit(&app, path, CHROME, None).await;
    }
    visit(&app, "/tc", CURL, None).await;
    app.drain().await;

    let urls = |items: &[Value]| -> Vec<String> {
        let mut urls: Vec<String> = items
            .iter()
            .map(|v| v["redirectUrl"].as_str().unwrap().to_owned())
            .collect();
        urls.sort();
        urls
    };
    let (one, _) = visits(&app, "/tags/one/visits").await;
    assert_eq!(
        urls(&one),
        [
            "https://example.com/ta",
            "https://example.com/tb",
            "https://example.com/tb"
        ]
    );
    let (two, _) = visits(&app, "/tags/two/visits?excludeBots=true").await;
    assert_eq!(
        urls(&two).len(),
        3,
        "tb twice and tc once, the curl visit left out"
    );
    assert!(visits(&app, "/tags/idle/visits").await.0.is_empty());
    let missing = send(&app, Method::GET, "/tags/nope/visits").await;
    let problem = assert_problem(missing, 404, "tag-not-found").await;
    assert_eq!(problem["tag"], "nope");
}

async fn orphan_and_non_orphan_visits(backend: Backend) {
    let app = app(backend).await;
    link(&app, "real", json!({})).await;
    assert_eq!(visit(&app, "/real", CHROME, None).await, 302);
    assert_eq!(visit(&app, "/nope-code", CHROME, None).await, 404);
    assert_eq!(visit(&app, "/", CHROME, None).await, 404);
    assert_eq!(visit(&app, "/a/b/c", CURL, None).await, 404);
    app.drain().await;

    let (orphans, _) = visits(&app, "/visits/orphan").await;
    let types: Vec<&Value> = field(&orphans, "type");
    assert_eq!(
        types,
        [
            &json!("regular_404"),
            &json!("base_url"),
            &json!("invalid_short_url")
        ]
    );
    for (kind, path) in [
        ("invalid_short_url", "/nope-code"),
        ("base_url", "/"),
        ("regular_404", "/a/b/c"),
    ] {
        let (only, _) = visits(&app, &format!("/visits/orphan?type={kind}")).await;
        assert_eq!(only.len(), 1, "{kind}");
        assert_eq!(only[0]["type"], kind);
        assert_eq!(only[0]["visitedUrl"], format!("{}{path}", app.address));
        assert_eq!(only[0]["redirectUrl"], Value::Null);
    }
    assert_eq!(
        visits(&app, "/visits/orphan?excludeBots=true")
            .await
            .0
            .len(),
        2
    );
    let bad = send(&app, Method::GET, "/visits/orphan?type=valid_short_url").await;
    let problem = assert_problem(bad, 400, "invalid-data").await;
    assert_eq!(problem["invalidElements"], json!(["type"]));

    let (linked, _) = visits(&app, "/visits/non-orphan").await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0]["redirectUrl"], "https://example.com/real");
    assert!(linked[0].get("type").is_none());

    let (status, overview) = call(&app, Method::GET, "/visits").await;
    assert_eq!(status, 200);
    assert_eq!(
        overview["visits"],
        json!({
            "nonOrphanVisits": {"total": 1, "nonBots": 1, "bots": 0},
            "orphanVisits": {"total": 3, "nonBots": 2, "bots": 1},
            "visitsCount": 1,
            "orphanVisitsCount": 3,
        })
    );
}

async fn deleting_visits_resets_counts(backend: Backend) {
    let app = app(backend).await;
    link(&app, "gone", json!({})).await;
    link(&app, "kept", json!({})).await;
    for (path, agent) in [
        ("/gone", CHROME),
        ("/gone", CURL),
        ("/kept", CHROME),
        ("/x/y", CHROME),
    ] {
        visit(&app, path, agent, None).await;
    }
    app.drain().await;
    assert_eq!(summary(&app, "gone").await["total"], 2);

    let (status, body) = call(&app, Method::DELETE, "/short-urls/gone/visits").await;
    assert_eq!((status, body), (200, json!({"deletedVisits": 2})));
    assert_eq!(
        summary(&app, "gone").await,
        json!({"total": 0, "nonBots": 0, "bots": 0})
    );
    assert!(visits(&app, "/short-urls/gone/visits").await.0.is_empty());
    assert_eq!(summary(&app, "kept").await["total"], 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 2);

    let (status, body) = call(&app, Method::DELETE, "/visits/orphan").await;
    assert_eq!((status, body), (200, json!({"deletedVisits": 1})));
    assert!(visits(&app, "/visits/orphan").await.0.is_empty());
    assert_eq!(visits(&app, "/visits/non-orphan").await.0.len(), 1);
    let (_, overview) = call(&app, Method::GET, "/visits").await;
    assert_eq!(overview["visits"]["nonOrphanVisits"]["total"], 1);
    assert_eq!(overview["visits"]["orphanVisits"]["total"], 0);
}

async fn unknown_links_and_missing_keys_are_refused(backend: Backend) {
    let app = app(backend).await;
    link(&app, "mine", json!({})).await;
    for (method, path) in [
        (Method::GET, "/short-urls/nope/visits"),
        (Method::DELETE, "/short-urls/nope/visits"),
        (Method::GET, "/short-urls/mine/visits?domain=other.example"),
    ] {
        let response = send(&app, method, path).await;
        assert_problem(response, 404, "short-url-not-found").await;
    }
    for (method, path) in [
        (Method::GET, "/visits"),
        (Method::GET, "/visits/orphan"),
        (Method::DELETE, "/visits/orphan"),
        (Method::GET, "/visits/non-orphan"),
        (Method::GET, "/short-urls/mine/visits"),
        (Method::DELETE, "/short-urls/mine/visits"),
        (Method::GET, "/tags/any/visits"),
    ] {
        let response = app
            .client
            .request(method, format!("{}/rest/v3{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_problem(response, 401, "missing-authentication").await;
    }
}

/// Like [`app`], with the link cache off, so every redirect sees the visits stored so far.
async fn uncached_app(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        &[
            "--workers",
            "0",
            "--click-ack",
            "commit",
            "--link-cache-ttl",
            "0s",
        ],
    )
    .await
}

async fn max_visits_counts_humans_only(backend: Backend) {
    let app = uncached_app(backend).await;
    link(&app, "capped", json!({"maxVisits": 2})).await;
    for _ in 0..3 {
        assert_eq!(visit(&app, "/capped", CURL, None).await, 302);
    }
    app.drain().await;
    assert_eq!(
        visit(&app, "/capped", CHROME, None).await,
        302,
        "bots do not count"
    );
    assert_eq!(visit(&app, "/capped", CHROME, None).await, 302);
    app.drain().await;
    assert_eq!(
        summary(&app, "capped").await,
        json!({"total": 5, "nonBots": 2, "bots": 3})
    );
    assert_eq!(
        visit(&app, "/capped", CHROME, None).await,
        404,
        "cap reached"
    );

    let (status, _) = call(&app, Method::DELETE, "/short-urls/capped/visits").await;
    assert_eq!(status, 200);
    assert_eq!(
        visit(&app, "/capped", CHROME, None).await,
        302,
        "redirects again at once after its visits are deleted"
    );
}

async fn edits_reach_a_cached_link_at_once(backend: Backend) {
    let app = app(backend).await;
    link(&app, "cached", json!({"maxVisits": 5})).await;
    for _ in 0..2 {
        assert_eq!(visit(&app, "/cached", CHROME, None).await, 302);
    }
    app.drain().await;
    let lowered = app
        .api(Method::PATCH, "/short-urls/cached")
        .json(&json!({"maxVisits": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(lowered.status(), 200);
    assert_eq!(
        visit(&app, "/cached", CHROME, None).await,
        404,
        "the edit replaced the cached link (2 visits stored, cap now 2)"
    );
    let (status, _) = call(&app, Method::DELETE, "/short-urls/cached/visits").await;
    assert_eq!(status, 200);
    assert_eq!(
        visit(&app, "/cached", CHROME, None).await,
        302,
        "deleting its visits replaced the cached link too"
    );
    let deleted = send(&app, Method::DELETE, "/short-urls/cached").await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        visit(&app, "/cached", CHROME, None).await,
        404,
        "a deleted link stops redirecting at once"
    );
    assert_eq!(visit(&app, "/later", CHROME, None).await, 404);
    link(&app, "later", json!({})).await;
    assert_eq!(
        visit(&app, "/later", CHROME, None).await,
        302,
        "creating a link replaces the cached \"no such link\""
    );
}

backend_tests!(
    link_visits_show_what_the_request_carried,
    date_range_and_pagination,
    bots_are_flagged_counted_and_excludable,
    tag_visits_cover_every_tagged_link,
    orphan_and_non_orphan_visits,
    deleting_visits_resets_counts,
    unknown_links_and_missing_keys_are_refused,
    max_visits_counts_humans_only,
    edits_reach_a_cached_link_at_once,
);
