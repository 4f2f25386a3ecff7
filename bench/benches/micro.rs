//! Criterion micro-benchmarks of linkpulse's hot pure functions: short-code parsing and the
//! cached redirect lookup (every redirect), the outbox payload round trip and the enrichment of
//! one event (every click), and the retry backoff (every failure).
//!
//! Run with `cargo bench -p bench`.

use std::hint::black_box;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use linkpulse::clicks::VisitKind;
use linkpulse::links::NewShortUrl;
use linkpulse::links::{Domain, LinkAddress, LongUrl, RedirectCache, ShortCode};
use linkpulse::pipeline::enrich::{Enricher, GeoIp, is_bot, parse_user_agent};
use linkpulse::pipeline::event::ClickEvent;
use linkpulse::pipeline::retry::{Backoff, Failure};
use uuid::Uuid;

/// The geo-IP database next to the repository, when present.
const GEOIP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/geoip/dbip-country-lite.mmdb"
);

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

fn short_codes(c: &mut Criterion) {
    c.bench_function("ShortCode::parse (valid)", |b| {
        b.iter(|| ShortCode::parse(black_box("spring-sale_2025")))
    });
    c.bench_function("ShortCode::parse (reserved)", |b| {
        b.iter(|| ShortCode::parse(black_box("metrics")))
    });
}

fn redirect_lookup(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/micro.db", dir.path().display());
    let cache = runtime.block_on(async {
        let store = linkpulse::store::connect(&url).await.expect("store");
        store.migrate().await.expect("migrate");
        let base = url::Url::parse("http://127.0.0.1/").expect("base");
        store
            .create_short_url(&NewShortUrl {
                domain: Domain::Default,
                short_code: ShortCode::parse("hot").expect("code"),
                long_url: LongUrl::parse(
                    "https://example.com/landing",
                    &linkpulse::links::OwnOrigin::of(&base),
                )
                .expect("url"),
                title: None,
                valid_since: None,
                valid_until: None,
                max_visits: None,
                crawlable: false,
                forward_query: true,
                tags: Vec::new(),
                author_key_id: None,
                date_created: None,
                rules: linkpulse::links::rules::RedirectRules::default(),
                expired_url: None,
                password: None,
                split: linkpulse::links::Split::default(),
            })
            .await
            .expect("link");
        // Long enough that every lookup of the run is a hit.
        RedirectCache::new(store, std::time::Duration::from_secs(3600))
    });
    let code = LinkAddress::default_domain(ShortCode::parse("hot").expect("code"));
    c.bench_function("RedirectCache::lookup (hit)", |b| {
        b.iter(|| runtime.block_on(cache.lookup(black_box(&code))))
    });
}

fn click_event() -> ClickEvent {
    ClickEvent {
        message_id: Uuid::now_v7(),
        kind: VisitKind::ValidShortUrl,
        link_id: Some(42),
        occurred_at: Utc::now(),
        client_ip: Some("81.2.69.142".parse().expect("ip")),
        user_agent: Some(CHROME.to_owned()),
        referrer: Some("https://news.ycombinator.com/item?id=42".to_owned()),
        visited_url: "https://s.example.com/spring-sale".to_owned(),
        redirect_url: Some("https://example.com/landing?utm_source=hn".to_owned()),
        destination: None,
        traceparent: None,
    }
}

fn payload(c: &mut Criterion) {
    let event = click_event();
    let text = event.to_payload();
    c.bench_function("ClickEvent::to_payload", |b| {
        b.iter(|| black_box(&event).to_payload())
    });
    c.bench_function("ClickEvent::from_payload", |b| {
        b.iter(|| ClickEvent::from_payload(black_box(&text)))
    });
}

fn enrichment(c: &mut Criterion) {
    let geo = Path::new(GEOIP)
        .is_file()
        .then(|| Path::new(GEOIP).to_path_buf());
    let with_geo = geo.is_some();
    let enricher = Enricher::new(Arc::new(GeoIp::open(geo)), true);
    let ip: IpAddr = "81.2.69.142".parse().expect("ip");
    let name = if with_geo {
        "Enricher::enrich (geo-IP + UA + bot)"
    } else {
        "Enricher::enrich (UA + bot; no geo-IP file found)"
    };
    c.bench_function(name, |b| {
        b.iter(|| enricher.enrich(black_box(Some(ip)), black_box(Some(CHROME))))
    });
    c.bench_function("parse_user_agent (iPhone Safari)", |b| {
        b.iter(|| parse_user_agent(black_box(Some(IPHONE))))
    });
    c.bench_function("is_bot (Googlebot)", |b| {
        b.iter(|| is_bot(black_box(Some(GOOGLEBOT))))
    });
}

fn backoff(c: &mut Criterion) {
    let policy = Backoff::default();
    let failure = Failure::Retryable("database is locked".to_owned());
    let mut rng = rand::rng();
    c.bench_function("Backoff::decide (attempt 3)", |b| {
        b.iter(|| policy.decide(black_box(3), &failure, &mut rng))
    });
    c.bench_function("Backoff::bounds (attempt 40, saturated)", |b| {
        b.iter(|| policy.bounds(black_box(40)))
    });
}

criterion_group!(
    benches,
    short_codes,
    redirect_lookup,
    payload,
    enrichment,
    backoff
);
criterion_main!(benches);
