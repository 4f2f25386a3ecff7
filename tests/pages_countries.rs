//! The country card of the analytics page on both backends: the world map is shaded from the
//! same figures as the table (every country, not only the top ten), and a breakdown longer than
//! ten rows offers "Show all", which lists every row and leaves the other breakdowns alone.

mod analytics_support;
mod common;
mod pages_support;

use std::collections::BTreeMap;

use analytics_support::{CHROME, Visitor, breakdown, page, spawn_with_geo, visit};
use common::{Backend, geo_fixture};
use pages_support::sign_in;
use serde_json::json;

/// Twelve countries, the `i`th visited `12 - i` times; Singapore is too small for the map.
const COUNTRIES: [&str; 12] = [
    "DE", "FR", "US", "BR", "JP", "IN", "CN", "AU", "ZA", "CA", "MX", "SG",
];

/// The `class` of the map's outline of `code`, if the map draws it.
fn map_class(html: &str, code: &str) -> Option<String> {
    let marker = format!(r#"data-country="{code}""#);
    let at = html.find(&marker)?;
    let start = html[..at].rfind("class=\"")? + 7;
    Some(html[start..start + html[start..].find('"')?].to_owned())
}

/// The shade number of the map's outline of `code` (`shade-3` → 3).
fn shade_of(html: &str, code: &str) -> u32 {
    let class = map_class(html, code).unwrap_or_else(|| panic!("{code} is on the map"));
    class
        .rsplit("shade-")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{code} has a shade: {class}"))
}

async fn map_and_show_all_follow_every_country(backend: Backend) {
    let app = spawn_with_geo(backend, &geo_fixture::dbip_countries(&COUNTRIES)).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "world"}))
        .await;
    let mut expected = BTreeMap::new();
    for (index, code) in COUNTRIES.iter().enumerate() {
        let ip = geo_fixture::country_network(index).replace(".0/16", ".7");
        let times = COUNTRIES.len() - index;
        for _ in 0..times {
            let visitor = Visitor {
                agent: CHROME,
                referer: None,
                ip: &ip,
            };
            visit(&app, "world", visitor).await;
        }
        expected.insert((*code).to_owned(), i64::try_from(times).unwrap());
    }
    app.drain().await;
    let total: i64 = expected.values().sum();
    let session = sign_in(&app).await.cookie;

    let html = page(&app, &session, "/app/links/world?range=today&tz=UTC").await;
    let table = breakdown(&html, "country");
    assert_eq!(table.len(), 11, "the top ten and one other row: {table:?}");
    assert_eq!(
        table[10],
        ("Other values".to_owned(), 3),
        "MX (2) and SG (1)"
    );
    assert_eq!(table.iter().map(|(_, visits)| visits).sum::<i64>(), total);
    assert!(
        html.contains("&amp;all=country#breakdown-country"),
        "Show all for countries"
    );
    assert!(!html.contains("all=city"), "one city: nothing more to show");

    assert!(
        html.contains(r#"<svg class="world-map""#),
        "the map is inline"
    );
    assert_eq!(shade_of(&html, "DE"), 5, "the busiest country is darkest");
    assert!(
        shade_of(&html, "MX") > 0,
        "a country past the top ten is on the map"
    );
    assert_eq!(shade_of(&html, "ES"), 0, "no visits, no shade");
    assert!(map_class(&html, "SG").is_none(), "too small for 1:110m");
    assert!(html.contains("<title>Germany (DE): 12 visits</title>"));
    assert!(html.contains("<title>Mexico (MX): 2 visits</title>"));
    let drawn: Vec<&&str> = COUNTRIES.iter().filter(|code| **code != "SG").collect();
    for pair in drawn.windows(2) {
        assert!(
            shade_of(&html, pair[0]) >= shade_of(&html, pair[1]),
            "{} has more visits than {}",
            pair[0],
            pair[1]
        );
    }

    let gzipped = app
        .client
        .get(format!("{}/app/links/world", app.address))
        .header("Cookie", &session)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let compressed = gzipped.bytes().await.unwrap().len();
    assert!(
        compressed * 3 < html.len(),
        "the page with its map is sent gzipped: {compressed} of {} bytes",
        html.len()
    );

    let all = page(
        &app,
        &session,
        "/app/links/world?range=today&tz=UTC&all=country",
    )
    .await;
    let listed: BTreeMap<String, i64> = breakdown(&all, "country").into_iter().collect();
    assert_eq!(listed, expected, "every country, none gathered");
    assert!(all.contains("Show the top 10"));
    assert!(all.contains("Singapore (SG)"));
    assert_eq!(
        breakdown(&all, "browser").len(),
        1,
        "other breakdowns unchanged"
    );
}

backend_tests!(map_and_show_all_follow_every_country);
