//! The dashboard's top links over its 30-day window (whole days read from the daily rollup, the
//! current day's hours from the hourly one) against the raw clicks, with clicks on both sides of
//! the window's first midnight and in the current hour.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use linkpulse::clicks::OutboxEntry;
use linkpulse::links::ShortCode;
use linkpulse::pipeline::event::ClickEvent;
use serde_json::json;
use uuid::Uuid;

use crate::common::{Backend, TestApp, spawn_app_with};
use crate::pages_support::{get_with, sign_in};
use linkpulse::clicks::VisitKind;

/// Days the dashboard covers, today included.
const WINDOW_DAYS: i32 = 30;

/// Creates the link `code` and returns its id.
async fn link(app: &TestApp, code: &str) -> i64 {
    app.create_link(json!({"longUrl": format!("https://{code}.example/"), "customSlug": code}))
        .await;
    let code = ShortCode::parse(code).expect("code");
    let found = app
        .store
        .find_short_url(&linkpulse::links::LinkAddress::default_domain(code.clone()))
        .await
        .expect("find");
    found.expect("created").id
}

/// Stores visits of `link` at `instants` through the outbox and the worker.
async fn visits_at(app: &TestApp, link: i64, instants: &[DateTime<Utc>]) {
    let entries: Vec<OutboxEntry> = instants
        .iter()
        .map(|&at| {
            let event = ClickEvent {
                message_id: Uuid::now_v7(),
                kind: VisitKind::ValidShortUrl,
                link_id: Some(link),
                occurred_at: at,
                client_ip: Some("198.51.100.7".parse().expect("ip")),
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0".into()),
                referrer: None,
                visited_url: "http://lp.test/x".into(),
                redirect_url: Some("https://example.com/".into()),
                destination: None,
                traceparent: None,
            };
            event.to_outbox_entry(Utc::now())
        })
        .collect();
    app.store.enqueue_clicks(&entries).await.expect("enqueue");
    app.drain().await;
}

/// Raw clicks of `link` in `[from, to)`, counted in the clicks table itself.
async fn raw_clicks_in(app: &TestApp, link: i64, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    const SQLITE: &str = "SELECT COUNT(*) FROM clicks
        WHERE short_url_id = ? AND occurred_at >= ? AND occurred_at < ?";
    const POSTGRES: &str = "SELECT COUNT(*) FROM clicks
        WHERE short_url_id = $1 AND occurred_at >= $2 AND occurred_at < $3";
    if app.database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.database_url)
            .await
            .expect("sqlite");
        sqlx::query_scalar(SQLITE)
            .bind(link)
            .bind(from.timestamp_millis())
            .bind(to.timestamp_millis())
            .fetch_one(&pool)
            .await
            .expect("count")
    } else {
        let pool = sqlx::PgPool::connect(&app.database_url)
            .await
            .expect("postgres");
        sqlx::query_scalar(POSTGRES)
            .bind(link)
            .bind(from)
            .bind(to)
            .fetch_one(&pool)
            .await
            .expect("count")
    }
}

/// The (code, visits) entries of the page's top-links list, in order.
fn top_entries(html: &str) -> Vec<(String, i64)> {
    let list = &html[html.find("class=\"top-links\"").expect("top links")..];
    let list = &list[..list.find("</ol>").expect("end of list")];
    list.split("<li>")
        .skip(1)
        .map(|item| {
            let code = item
                .split("href=\"/app/links/")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("link");
            let count = item
                .split("class=\"count\">")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .expect("count");
            (code.to_owned(), count.trim().parse().expect("number"))
        })
        .collect()
}

pub async fn top_links_count_whole_days_and_the_current_hour(backend: Backend) {
    let app = spawn_app_with(backend, &["--workers", "0"]).await;
    let session = sign_in(&app).await;
    let day = TimeDelta::days(1);
    // A day change between the clicks and the page would move the window.
    let mut now = Utc::now();
    let next_midnight = now.duration_trunc(day).expect("day") + day;
    if next_midnight - now < TimeDelta::minutes(2) {
        tokio::time::sleep((next_midnight - now).to_std().expect("wait")).await;
        now = Utc::now();
    }
    let today = now.duration_trunc(day).expect("day");
    let from = today - day * (WINDOW_DAYS - 1);
    let to = now.duration_trunc(TimeDelta::hours(1)).expect("hour") + TimeDelta::hours(1);

    let steady = link(&app, "steady").await;
    let fresh = link(&app, "fresh").await;
    let stale = link(&app, "stale").await;
    let ten_days_ago = today - day * 10 + TimeDelta::hours(12);
    let steady_at = [
        from,
        from - TimeDelta::milliseconds(1),
        ten_days_ago,
        ten_days_ago,
    ];
    visits_at(&app, steady, &steady_at).await;
    visits_at(&app, steady, &[today + TimeDelta::seconds(1)]).await;
    visits_at(&app, fresh, &[now, now, now, now - TimeDelta::minutes(1)]).await;
    let stale_at: Vec<_> = (1..=6).map(|n| from - TimeDelta::hours(n)).collect();
    visits_at(&app, stale, &stale_at).await;

    let html = get_with(&app, "/app", &session.cookie)
        .await
        .text()
        .await
        .expect("page");
    let top = top_entries(&html);
    let mut expected = Vec::new();
    for (code, id) in [("fresh", fresh), ("steady", steady), ("stale", stale)] {
        let visits = raw_clicks_in(&app, id, from, to).await;
        if visits > 0 {
            expected.push((code.to_owned(), visits));
        }
    }
    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(top, expected);
    assert_eq!(
        top,
        vec![("fresh".to_owned(), 4), ("steady".to_owned(), 4)],
        "the first midnight counts, the instant before it and older clicks do not"
    );
    assert_eq!(raw_clicks_in(&app, stale, from - day, from).await, 6);
}
