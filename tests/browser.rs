//! The web app in a real headless Chromium, on both backends: sign in, create a link from the
//! dashboard, watch its analytics page update live (over SSE, with the server's own worker)
//! while hostile visits arrive, switch the range, download the CSV export, and take the
//! screenshots of the dashboard and the analytics page at desktop and phone widths.
//!
//! Skipped (reported as ignored) when chromedriver is not installed; see `build.rs`.

mod browser_support;
mod common;

#[path = "browser/pages.rs"]
mod pages;
#[path = "browser/visits.rs"]
mod visits;

use std::time::Duration;

use browser_support::Browser;
use common::Backend;
use fantoccini::Locator;
use linkpulse::pipeline::enrich::is_bot;

use self::visits::{LinkApp, PAYLOAD_REFERER, PAYLOAD_UA, VISITS, csv_rows};

/// How long any one thing may take to show up in the browser.
const WAIT: Duration = Duration::from_secs(10);

/// The slug typed into the dashboard's form.
const SLUG: &str = "launch";

/// The long URL typed into the dashboard's form.
const LONG_URL: &str = "https://example.com/landing";

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(browser_tests),
        ignore = "browser suite skipped: chromedriver not installed"
    )]
    async fn analytics_story() {
        super::analytics_story(super::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(browser_tests),
        ignore = "browser suite skipped: chromedriver not installed"
    )]
    #[cfg_attr(
        all(browser_tests, not(postgres_tests)),
        ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
    )]
    async fn analytics_story() {
        super::analytics_story(super::Backend::Postgres).await
    }
}

/// The whole story at desktop width, then the phone screenshots.
async fn analytics_story(backend: Backend) {
    let app = LinkApp::spawn(backend).await;
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let browser = Browser::start(1280, 900).await;
    pages::sign_in(&browser, &app, "/app").await;
    create_link_from_dashboard(&browser, &app).await;
    live_update_is_inert(&browser, &app).await;
    range_and_export(&browser).await;
    browser.assert_clean().await;
    detectors_catch_injection(&browser).await;
    dashboard_updates_live(&browser, &app).await;
    pages::screenshots(&browser, &app, SLUG, &format!("{name}-desktop")).await;
    browser.close().await;

    let phone = Browser::start(390, 844).await;
    pages::sign_in(&phone, &app, &format!("/app/links/{SLUG}")).await;
    pages::screenshots(&phone, &app, SLUG, &format!("{name}-phone")).await;
    phone.close().await;
}

/// Fills the dashboard's create form; the new link's page opens, and the dashboard lists it.
async fn create_link_from_dashboard(browser: &Browser, app: &LinkApp) {
    let client = &browser.client;
    let form = client
        .find(Locator::Css("form.link-form"))
        .await
        .expect("the dashboard has a create form");
    for (field, value) in [
        ("#long_url", LONG_URL),
        ("#custom_slug", SLUG),
        ("#title", "Launch page"),
        ("#tags", "news, browser"),
    ] {
        let input = form.find(Locator::Css(field)).await.expect(field);
        input.send_keys(value).await.expect("typing");
    }
    form.find(Locator::Css("button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("submit");
    let link_page = format!("/app/links/{SLUG}");
    browser
        .wait_for_url("the new link's page", WAIT, |url| url.path() == link_page)
        .await;
    let long = pages::text(browser, "a.long-url").await;
    assert_eq!(long, LONG_URL);

    browser.goto(&format!("{}/app", app.address)).await;
    let listed = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("a.link-title[href='{link_page}']")))
        .await
        .expect("the dashboard lists the new link");
    assert_eq!(listed.text().await.expect("title"), "Launch page");
    listed.click().await.expect("open the link's page");
    browser
        .wait_for_url("the link's page", WAIT, |url| url.path() == link_page)
        .await;
    assert_eq!(pages::live_total(browser, "total").await, 0);
}

/// A click arriving while the dashboard is open shows up in its totals without a reload.
async fn dashboard_updates_live(browser: &Browser, app: &LinkApp) {
    browser.goto(&format!("{}/app", app.address)).await;
    let before: i64 = pages::text(browser, "#stat-clicks")
        .await
        .trim()
        .parse()
        .expect("a click count on the dashboard");
    let response = app
        .client
        .get(format!("{}/{SLUG}", app.address))
        .header(
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        )
        .send()
        .await
        .expect("visit");
    assert_eq!(response.status(), 302);
    browser
        .wait_until(
            "the dashboard's click total to count the new click",
            &format!(
                "return document.querySelector('#stat-clicks').textContent.trim() === '{}';",
                before + 1
            ),
            WAIT,
        )
        .await;
}

/// Hostile and ordinary visits arrive while the page is open: the live totals, figures and
/// recent visits update without a reload, and nothing in the visits runs as code.
async fn live_update_is_inert(browser: &Browser, app: &LinkApp) {
    app.send_visits(SLUG).await;
    let total = VISITS.len() as i64;
    let bots = VISITS.iter().filter(|v| is_bot(Some(v.agent))).count() as i64;
    let humans = total - bots;
    browser
        .wait_until(
            "the live total to count the new visits",
            &format!(
                "return document.querySelector('[data-live-total=total]').textContent === '{total}';"
            ),
            WAIT,
        )
        .await;
    assert_eq!(pages::live_total(browser, "humans").await, humans);
    assert_eq!(pages::live_total(browser, "bots").await, bots);
    browser
        .wait_until(
            "the figures and recent visits to be fetched again",
            &format!(
                "return document.querySelector('[data-figure=visits]').textContent.trim() === '{humans}' \
                 && document.querySelectorAll('tr[data-visit]').length === {humans};"
            ),
            WAIT,
        )
        .await;
    // `problems` fails if the watcher installed before the visits is gone: no reload happened.
    browser.assert_clean().await;
    pages::assert_no_injected_image(browser).await;
    if !is_bot(Some(PAYLOAD_UA)) {
        pages::assert_payload_listed(browser).await;
    }

    browser.client.refresh().await.expect("reload");
    browser
        .wait_for_url("the reloaded page", WAIT, |url| url.path().ends_with(SLUG))
        .await;
    assert_eq!(pages::live_total(browser, "total").await, total);
    let rows = browser
        .eval("return document.querySelectorAll('tr[data-visit]').length;")
        .await;
    assert_eq!(rows.as_i64(), Some(humans), "recent visits without bots");
    if !is_bot(Some(PAYLOAD_UA)) {
        pages::assert_payload_listed(browser).await;
    }
    pages::assert_no_injected_image(browser).await;
    browser.assert_clean().await;
}

/// The range form: the last 7 days with bots counts every visit; the CSV export follows the
/// selection; a custom range before the link existed has no visits.
async fn range_and_export(browser: &Browser) {
    let total = VISITS.len() as i64;
    let humans_only = pages::figure(browser, "visits").await;
    assert!(humans_only < total, "the default view leaves bots out");
    let form = browser
        .client
        .find(Locator::Css("form.range-form"))
        .await
        .expect("range form");
    form.find(Locator::Css("#range"))
        .await
        .expect("range picker")
        .select_by_value("7d")
        .await
        .expect("pick 7 days");
    form.find(Locator::Css("input[name=bots]"))
        .await
        .expect("bots switch")
        .click()
        .await
        .expect("include bots");
    pages::submit(&form).await;
    let url = browser
        .wait_for_url("the 7-day range", WAIT, |url| {
            pages::query(url, "range").as_deref() == Some("7d")
        })
        .await;
    assert_eq!(pages::query(&url, "bots").as_deref(), Some("1"));
    assert_eq!(pages::figure(browser, "visits").await, total);
    assert_ne!(pages::figure(browser, "visits").await, humans_only);
    assert_eq!(pages::figure(browser, "bots").await, total - humans_only);
    pages::assert_payload_listed(browser).await;
    pages::assert_no_injected_image(browser).await;

    let href = pages::attribute(browser, "a[data-export=csv]", "href").await;
    assert!(
        href.contains("range=7d") && href.contains("bots=1"),
        "{href}"
    );
    let rows = csv_rows(&pages::download_csv(browser).await);
    assert_eq!(rows.len(), VISITS.len(), "one row per visit: {rows:?}");
    let payload = rows
        .iter()
        .find(|row| row["user_agent"] == PAYLOAD_UA)
        .expect("the payload visit is exported");
    assert_eq!(payload["referer"], PAYLOAD_REFERER);
    for visit in VISITS {
        assert!(
            rows.iter().any(|row| row["user_agent"] == visit.agent),
            "{} exported",
            visit.agent
        );
    }

    pages::custom_range(browser, "2020-01-01", "2020-01-31").await;
    let url = browser
        .wait_for_url("the custom range", WAIT, |url| {
            pages::query(url, "range").as_deref() == Some("custom")
        })
        .await;
    assert_eq!(pages::query(&url, "from").as_deref(), Some("2020-01-01"));
    assert_eq!(pages::figure(browser, "visits").await, 0);
    assert!(csv_rows(&pages::download_csv(browser).await).is_empty());
    assert_eq!(pages::live_total(browser, "total").await, total);
}

/// The control for the checks above: markup injected on purpose is seen by the watcher and in
/// the console log, and the Content-Security-Policy keeps its inline handler from running.
async fn detectors_catch_injection(browser: &Browser) {
    browser
        .eval("document.body.insertAdjacentHTML('beforeend', '<img src=\"x\" onerror=\"alert(1)\">');")
        .await;
    browser
        .wait_until(
            "the watcher to see the blocked handler and the failed image",
            "const seen = window.__lpProblems || [];
             return seen.some((p) => p.startsWith('CSP violation'))
               && seen.some((p) => p.startsWith('failed to load <img>'));",
            WAIT,
        )
        .await;
    browser.assert_no_dialog().await;
    let deadline = std::time::Instant::now() + WAIT;
    let mut errors = Vec::new();
    while !(errors
        .iter()
        .any(|e: &String| e.contains("Content Security Policy"))
        && errors.iter().any(|e| e.contains("/app/links/x ")))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the console reports the blocked handler and the failed image: {errors:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        errors.extend(browser.console_errors().await);
    }
}
