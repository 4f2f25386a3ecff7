//! The private analytics page end to end on both backends: visits go through the real redirect
//! path with chosen headers, a geo-aware worker drains them, and every figure on the page is
//! checked against the raw `clicks` rows of the same range and bot switch.

mod analytics_support;
mod common;
#[path = "pages_link/countries.rs"]
mod countries;
mod pages_support;

use std::collections::{BTreeMap, HashSet};

use analytics_support::{
    CHROME, FIREFOX, GOOGLEBOT, PagesApp, RawClick, Visitor, attribute, backdate_outbox, breakdown,
    dimension_value, figure, next_totals, page, page_range, raw_clicks, spawn, unescape, visit,
};
use chrono::{SecondsFormat, Utc};
use linkpulse::analytics::csv::neutralise;
use pages_support::{get_with, sign_in};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::Backend;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// Visits of the `stats` link: one yesterday, six today (two of them bots).
async fn stats_link(app: &PagesApp) {
    app.create_link(json!({
        "longUrl": "https://example.com/landing?a=1&b=2",
        "customSlug": "stats",
        "title": "Launch",
        "tags": ["news"],
    }))
    .await;
    let berlin = Visitor {
        agent: FIREFOX,
        referer: Some("https://news.example.com/a"),
        ip: "198.51.100.10",
    };
    visit(app, "stats", berlin).await;
    backdate_outbox(app).await;
    for _ in 0..3 {
        visit(app, "stats", berlin).await;
    }
    let paris = Visitor {
        agent: CHROME,
        referer: None,
        ip: "203.0.113.5",
    };
    for _ in 0..2 {
        visit(app, "stats", paris).await;
    }
    let crawler = Visitor {
        agent: GOOGLEBOT,
        referer: Some("https://www.google.com/"),
        ip: "192.0.2.1",
    };
    for _ in 0..2 {
        visit(app, "stats", crawler).await;
    }
    app.drain().await;
}

/// Asserts every figure of `html` against the raw clicks of the page's own range; returns the
/// number of visits counted.
fn assert_page_matches(html: &str, raw: &[RawClick], include_bots: bool) -> i64 {
    let (from, to) = page_range(html);
    let in_range: Vec<&RawClick> = raw.iter().filter(|c| c.at >= from && c.at < to).collect();
    let count = |keep: &dyn Fn(&RawClick) -> bool| {
        i64::try_from(in_range.iter().filter(|c| keep(c)).count()).expect("count")
    };
    let humans = count(&|c| !c.bot);
    let bots = count(&|c| c.bot);
    let counted: Vec<&RawClick> = in_range
        .iter()
        .copied()
        .filter(|c| include_bots || !c.bot)
        .collect();
    let visits = i64::try_from(counted.len()).expect("count");
    let uniques: HashSet<(chrono::NaiveDate, &str)> = in_range
        .iter()
        .filter_map(|c| Some((c.at.date_naive(), c.visitor.as_deref()?)))
        .collect();
    assert_eq!(figure(html, "humans"), humans, "humans in {from}..{to}");
    assert_eq!(figure(html, "bots"), bots, "bots in {from}..{to}");
    assert_eq!(figure(html, "visits"), visits, "visits in {from}..{to}");
    assert_eq!(figure(html, "uniques"), uniques.len() as i64, "uniques");
    let chart_total: i64 = attribute(html, "data-chart-total").parse().expect("number");
    assert_eq!(chart_total, visits, "chart");
    for dimension in ["country", "city", "referrer", "browser", "os", "device"] {
        let mut expected: BTreeMap<String, i64> = BTreeMap::new();
        for click in &counted {
            *expected
                .entry(dimension_value(click, dimension))
                .or_default() += 1;
        }
        let shown: BTreeMap<String, i64> = breakdown(html, dimension)
            .into_iter()
            .filter(|(_, visits)| *visits > 0)
            .collect();
        assert_eq!(shown, expected, "{dimension} breakdown");
    }
    let listed = html.matches("<tr data-visit>").count();
    assert_eq!(listed, counted.len().min(50), "recent visits");
    visits
}

async fn every_figure_matches_raw_clicks(backend: Backend) {
    let app = spawn(backend).await;
    stats_link(&app).await;
    let raw = raw_clicks(&app, "stats").await;
    assert_eq!(raw.len(), 8);
    assert!(raw.iter().any(|c| c.country.as_deref() == Some("DE")));
    assert_eq!(raw.iter().filter(|c| c.bot).count(), 2);
    let session = sign_in(&app).await.cookie;

    let today = Utc::now().date_naive();
    let yesterday = today.pred_opt().expect("yesterday");
    let custom = format!("range=custom&from={yesterday}&to={today}&tz=UTC");
    let mut visits = BTreeMap::new();
    for (query, bots) in [
        ("range=today&tz=UTC".to_owned(), false),
        ("range=today&bots=1&tz=UTC".to_owned(), true),
        ("range=7d&tz=UTC".to_owned(), false),
        ("range=7d&bots=1&tz=UTC".to_owned(), true),
        ("range=30d&bots=1&tz=Asia/Kolkata".to_owned(), true),
        ("range=all&bots=1&tz=America/New_York".to_owned(), true),
        (format!("{custom}&bots=1"), true),
        (custom, false),
    ] {
        let html = page(&app, &session, &format!("/app/links/stats?{query}")).await;
        let counted = assert_page_matches(&html, &raw, bots);
        visits.insert(query, counted);
    }
    assert!(
        visits["range=7d&tz=UTC"] > visits["range=today&tz=UTC"],
        "yesterday's visit is in 7 days only: {visits:?}"
    );
    assert!(
        visits["range=today&bots=1&tz=UTC"] > visits["range=today&tz=UTC"],
        "the bot switch adds the bots: {visits:?}"
    );

    let html = page(&app, &session, "/app/links/stats?range=7d").await;
    countries::assert_read_alike(&html);
    assert!(html.contains(r#"<svg class="qr""#), "inline QR code");
    assert!(html.contains(r#"rel="noopener noreferrer""#));
    assert!(html.contains("https://db-ip.com"), "DB-IP attribution");
    assert!(html.contains("counted per day"), "uniques are explained");
    assert_eq!(attribute(&html, "data-zone"), "UTC", "UTC without JS");
    let zoned = get_with(
        &app,
        "/app/links/stats",
        &format!("{session}; tz=Europe/Berlin"),
    )
    .await
    .text()
    .await
    .expect("HTML");
    assert_eq!(attribute(&zoned, "data-zone"), "Europe/Berlin", "tz cookie");
    assert_eq!(attribute(&zoned, "data-live-total"), "total");
}

async fn signed_out_and_unknown_links(backend: Backend) {
    let app = spawn(backend).await;
    stats_link(&app).await;
    for path in [
        "/app/links/stats",
        "/app/links/stats/export.csv",
        "/app/links/stats/export.json",
        "/app/links/stats/events",
        "/app/events",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let location = response.headers()["location"].to_str().expect("location");
        assert!(location.starts_with("/app/login"), "{path} → {location}");
    }
    let session = sign_in(&app).await.cookie;
    for path in [
        "/app/links/nope",
        "/app/links/nope/export.csv",
        "/app/links/nope/events",
        "/app/links/bad%20code",
    ] {
        let response = get_with(&app, path, &session).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let content_type = response.headers()["content-type"].to_str().expect("type");
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        assert!(
            response
                .text()
                .await
                .expect("body")
                .contains("Link not found")
        );
    }
}

async fn hostile_text_is_escaped_everywhere(backend: Backend) {
    let app = spawn(backend).await;
    app.create_link(
        json!({"longUrl": "https://example.com/x", "customSlug": "xss", "title": SCRIPT}),
    )
    .await;
    for (agent, referer) in [(SCRIPT, IMG), (IMG, SCRIPT)] {
        let visitor = Visitor {
            agent,
            referer: Some(referer),
            ip: "198.51.100.40",
        };
        visit(&app, "xss", visitor).await;
    }
    app.drain().await;
    let session = sign_in(&app).await.cookie;
    let html = page(&app, &session, "/app/links/xss?bots=1").await;
    assert_eq!(html.matches("<tr data-visit>").count(), 2);
    for raw in [SCRIPT, IMG, "<script>", "<img"] {
        assert!(!html.contains(raw), "{raw} appears unescaped");
    }
    let shown = unescape(&html);
    assert!(
        shown.contains(SCRIPT) && shown.contains(IMG),
        "payloads are shown as text"
    );
    let titles: Vec<String> = html
        .split("title=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(unescape)
        .collect();
    for payload in [SCRIPT, IMG] {
        assert!(
            titles.iter().any(|t| t == payload),
            "{payload} in a title attribute"
        );
    }
    let chart_start = html.find("<svg class=\"chart\"").expect("chart");
    let chart = &html[chart_start..];
    let chart = &chart[..chart.find("</svg>").expect("chart end")];
    assert!(!chart.contains(SCRIPT));
    assert!(
        unescape(chart).contains(SCRIPT),
        "the title is in the chart's label"
    );

    let json = get_with(&app, "/app/links/xss/export.json?bots=1", &session).await;
    let text = json.text().await.expect("JSON");
    assert!(
        !text.contains('<') && !text.contains('>'),
        "JSON escapes markup"
    );
    let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
    let agents: HashSet<&str> = parsed["visits"]
        .as_array()
        .expect("visits")
        .iter()
        .filter_map(|v| v["user_agent"].as_str())
        .collect();
    assert_eq!(agents, HashSet::from([SCRIPT, IMG]));
}

async fn exports_match_raw_rows(backend: Backend) {
    let app = spawn(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/e", "customSlug": "exp"}))
        .await;
    for (agent, referer) in [
        ("=cmd()", "@x"),
        ("-1", "+1"),
        ("+1", "-1"),
        ("@SUM(A1)", "=2+3"),
    ] {
        let visitor = Visitor {
            agent,
            referer: Some(referer),
            ip: "198.51.100.50",
        };
        visit(&app, "exp", visitor).await;
    }
    let crawler = Visitor {
        agent: GOOGLEBOT,
        referer: None,
        ip: "192.0.2.9",
    };
    visit(&app, "exp", crawler).await;
    app.drain().await;
    // The fixture knows no place west of Greenwich; a negative coordinate must stay a number.
    app.execute_sql("UPDATE click_rows SET longitude = -0.0931 WHERE longitude IS NOT NULL")
        .await;
    let raw = raw_clicks(&app, "exp").await;
    assert_eq!(raw.len(), 5);
    let session = sign_in(&app).await.cookie;

    for bots in [false, true] {
        let query = if bots {
            "?range=7d&bots=1"
        } else {
            "?range=7d"
        };
        let response = get_with(&app, &format!("/app/links/exp/export.csv{query}"), &session).await;
        assert_eq!(response.status(), StatusCode::OK);
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .expect("header");
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(disposition.contains(".csv"));
        let text = response.text().await.expect("CSV");
        assert!(
            text.contains("\"'=cmd()\""),
            "neutralised and quoted: {text}"
        );
        assert!(text.contains(",52.5244,-0.0931,"), "bare numbers: {text}");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("header").clone();
        assert_eq!(&header[9], "user_agent");
        let records: Vec<csv::StringRecord> =
            reader.records().map(|r| r.expect("CSV row")).collect();
        assert_eq!((&header[2], &header[3]), ("country_code", "country_name"));
        for record in records.iter().filter(|r| !r[2].is_empty()) {
            assert_eq!(
                (&record[2], &record[3]),
                ("DE", "Germany"),
                "the export keeps the stored country, not the page's label"
            );
        }
        assert!(records.iter().any(|r| &r[2] == "DE"), "a located visit");
        let mut rows: Vec<(String, String, String)> = records
            .iter()
            .map(|r| (r[0].to_owned(), r[8].to_owned(), r[9].to_owned()))
            .collect();
        for (_, referer, agent) in &rows {
            for cell in [referer, agent] {
                assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell} is live");
            }
        }
        let mut expected: Vec<(String, String, String)> = raw
            .iter()
            .filter(|c| bots || !c.bot)
            .map(|c| {
                (
                    c.at.to_rfc3339_opts(SecondsFormat::Millis, true),
                    neutralise(c.referer.as_deref().unwrap_or_default()).into_owned(),
                    neutralise(c.user_agent.as_deref().unwrap_or_default()).into_owned(),
                )
            })
            .collect();
        rows.sort();
        expected.sort();
        assert_eq!(rows, expected, "CSV rows (bots {bots})");

        let response = get_with(
            &app,
            &format!("/app/links/exp/export.json{query}"),
            &session,
        )
        .await;
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .expect("header");
        assert!(disposition.starts_with("attachment;") && disposition.contains(".json"));
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["include_bots"], bots);
        assert_eq!(body["truncated"], false);
        let mut agents: Vec<String> = body["visits"]
            .as_array()
            .expect("visits")
            .iter()
            .map(|v| v["user_agent"].as_str().unwrap_or_default().to_owned())
            .collect();
        let mut raw_agents: Vec<String> = raw
            .iter()
            .filter(|c| bots || !c.bot)
            .map(|c| c.user_agent.clone().unwrap_or_default())
            .collect();
        agents.sort();
        raw_agents.sort();
        assert_eq!(agents, raw_agents, "JSON keeps the text as it was");
    }
}

async fn live_events_follow_new_clicks(backend: Backend) {
    let app = spawn(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/l", "customSlug": "live"}))
        .await;
    let session = sign_in(&app).await.cookie;
    let mut stream = get_with(&app, "/app/links/live/events", &session).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let content_type = stream.headers()["content-type"].to_str().expect("type");
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let mut buffer = String::new();
    let first = next_totals(&mut stream, &mut buffer).await;
    assert_eq!(first["total"], 0);

    let mut global = get_with(&app, "/app/events", &session).await;
    let mut global_buffer = String::new();
    let global_first = next_totals(&mut global, &mut global_buffer).await;
    assert_eq!(global_first["total"], 0);

    let visitor = Visitor {
        agent: FIREFOX,
        referer: None,
        ip: "198.51.100.60",
    };
    visit(&app, "live", visitor).await;
    app.drain().await;
    let second = next_totals(&mut stream, &mut buffer).await;
    assert_eq!(
        (second["total"].as_i64(), second["humans"].as_i64()),
        (Some(1), Some(1))
    );
    let global_second = next_totals(&mut global, &mut global_buffer).await;
    assert_eq!(global_second["total"], 1);
}

backend_tests!(
    every_figure_matches_raw_clicks,
    signed_out_and_unknown_links,
    hostile_text_is_escaped_everywhere,
    exports_match_raw_rows,
    live_events_follow_new_clicks,
);
