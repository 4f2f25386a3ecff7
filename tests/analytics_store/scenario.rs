//! Generated traffic for the rollup checks: a seeded mix of humans, bots, repeat visitors,
//! referrers, links and orphan visits, spread over yesterday and today (UTC).

use std::net::IpAddr;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use linkpulse::clicks::OutboxEntry;
use linkpulse::pipeline::event::ClickEvent;
use rand::RngExt;
use rand::rngs::StdRng;
use uuid::Uuid;

use crate::common::TestApp;
use linkpulse::clicks::VisitKind;

const AGENTS: [Option<&str>; 7] = [
    Some(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
    Some(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    ),
    Some(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    ),
    Some("curl/8.5.0"),
    Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    None,
];

const IPS: [&str; 6] = [
    "198.51.100.7",
    "198.51.100.8",
    "203.0.113.200",
    "2001:db8::1",
    "2001:db8::2:1",
    "::ffff:192.0.2.44",
];

const REFERRERS: [Option<&str>; 5] = [
    None,
    Some("https://www.Google.com/search?q=lp"),
    Some("https://news.ycombinator.com/item?id=1"),
    Some("not a url"),
    Some("android-app://com.slack/"),
];

/// Visited URLs, some with campaign tags (one blank, which counts as none).
const VISITED: [&str; 4] = [
    "http://lp.test/x",
    "http://lp.test/x?utm_source=newsletter&utm_campaign=Spring%20sale",
    "http://lp.test/x?utm_medium=email&utm_source=+",
    "http://lp.test/x?ref=1",
];

/// Long URLs visits are sent to, some with their own campaign tags.
const SENT_TO: [&str; 3] = [
    "https://example.com/",
    "https://example.com/?utm_source=ads&utm_medium=cpc",
    "https://example.com/?utm_campaign=launch",
];

/// `[yesterday 00:00 UTC, now)`. A midnight passing mid-test changes nothing: the store prunes
/// visitor rows by the days of the clicks it stores, not by the clock.
pub fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    let now = Utc::now();
    let today = now.duration_trunc(TimeDelta::days(1)).expect("day");
    (today - TimeDelta::days(1), now)
}

fn instant(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_milliseconds().max(1);
    from + TimeDelta::milliseconds(rng.random_range(0..span))
}

/// A random visit to one of `links` (the first one most often) or, without links, an orphan.
pub fn event(
    rng: &mut StdRng,
    links: &[i64],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ClickEvent {
    let link = if links.is_empty() {
        None
    } else if rng.random_bool(0.4) {
        Some(links[0])
    } else {
        Some(links[rng.random_range(0..links.len())])
    };
    let client_ip: Option<IpAddr> = if rng.random_bool(0.05) {
        None
    } else {
        Some(IPS[rng.random_range(0..IPS.len())].parse().expect("ip"))
    };
    ClickEvent {
        message_id: Uuid::now_v7(),
        kind: if link.is_some() {
            VisitKind::ValidShortUrl
        } else {
            VisitKind::Regular404
        },
        link_id: link,
        occurred_at: instant(rng, from, to),
        client_ip,
        user_agent: AGENTS[rng.random_range(0..AGENTS.len())].map(str::to_owned),
        referrer: REFERRERS[rng.random_range(0..REFERRERS.len())].map(str::to_owned),
        visited_url: VISITED[rng.random_range(0..VISITED.len())].into(),
        redirect_url: link.map(|_| SENT_TO[rng.random_range(0..SENT_TO.len())].into()),
        destination: None,
        traceparent: None,
    }
}

/// `count` random events.
pub fn events(
    rng: &mut StdRng,
    links: &[i64],
    count: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<ClickEvent> {
    (0..count).map(|_| event(rng, links, from, to)).collect()
}

/// Appends the events to the outbox (an id already waiting there is skipped by the store).
pub async fn enqueue(app: &TestApp, events: &[ClickEvent]) {
    let entries: Vec<OutboxEntry> = events
        .iter()
        .map(|event| event.to_outbox_entry(Utc::now()))
        .collect();
    app.store.enqueue_clicks(&entries).await.expect("enqueue");
}
