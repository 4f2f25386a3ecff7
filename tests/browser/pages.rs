//! Steps and reads on the web app's pages in the browser: signing in, the analytics page's
//! figures, the range form, the CSV download, injection checks and the screenshots.

use fantoccini::Locator;
use fantoccini::elements::Element;
use serde_json::{Value, json};

use super::WAIT;
use super::visits::{PAYLOAD_REFERER, PAYLOAD_UA};
use crate::browser_support::Browser;
use crate::common::TestApp;

/// Opens `path` signed out: the sign-in page comes up, the API key is typed in, and the
/// browser lands on `path`.
pub async fn sign_in(browser: &Browser, app: &TestApp, path: &str) {
    browser.goto(&format!("{}{path}", app.address)).await;
    let login = browser
        .wait_for_url("the sign-in page", WAIT, |url| url.path() == "/app/login")
        .await;
    assert_eq!(query(&login, "next").as_deref(), Some(path));
    let form = browser
        .client
        .find(Locator::Css("form[action='/app/login']"))
        .await
        .expect("sign-in form");
    form.find(Locator::Css("#api_key"))
        .await
        .expect("key field")
        .send_keys(&app.api_key)
        .await
        .expect("typing the key");
    submit(&form).await;
    let (want_path, _) = path.split_once('?').unwrap_or((path, ""));
    browser
        .wait_for_url(path, WAIT, |url| url.path() == want_path)
        .await;
    browser
        .client
        .find(Locator::Css("form[action='/app/logout']"))
        .await
        .expect("signed in: the header offers to log out");
}

/// Clicks the form's submit button.
pub async fn submit(form: &Element) {
    form.find(Locator::Css("button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("submit");
}

/// The value of the query parameter `name`.
pub fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The trimmed text of the first element matching `css`.
pub async fn text(browser: &Browser, css: &str) -> String {
    let element = browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("no {css}: {err}"));
    element.text().await.expect("text").trim().to_owned()
}

/// The attribute `name` of the first element matching `css`.
pub async fn attribute(browser: &Browser, css: &str, name: &str) -> String {
    let element = browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("no {css}: {err}"));
    element
        .attr(name)
        .await
        .expect("attribute")
        .unwrap_or_else(|| panic!("{css} has no {name}"))
}

fn number(text: &str, what: &str) -> i64 {
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{what} is not a number: {text:?}"))
}

/// An all-time total the live updates keep current (`total`, `humans` or `bots`).
pub async fn live_total(browser: &Browser, name: &str) -> i64 {
    let shown = text(browser, &format!("[data-live-total={name}]")).await;
    number(&shown, name)
}

/// A figure of the selected range (`visits`, `humans`, `bots` or `uniques`).
pub async fn figure(browser: &Browser, name: &str) -> i64 {
    let shown = text(browser, &format!("[data-figure={name}]")).await;
    number(&shown, name)
}

/// Fails if the referrer's `<img src=x>` became an element anywhere on the page.
pub async fn assert_no_injected_image(browser: &Browser) {
    let found = browser
        .eval("return document.querySelectorAll('img[src=\"x\"], [onerror]').length;")
        .await;
    assert_eq!(found.as_i64(), Some(0), "the payload became markup");
}

/// The payload visit is a row of the recent visits, its user agent and referrer shown as text.
pub async fn assert_payload_listed(browser: &Browser) {
    let found = browser
        .client
        .execute(
            "const [ua, referer] = arguments;
             const rows = [...document.querySelectorAll('.recent-visits tr[data-visit]')];
             return rows.some((row) => {
               const cells = row.querySelectorAll('td');
               return cells[3].title === ua && cells[3].firstChild.nodeValue === ua
                 && cells[4].title === referer && cells[4].textContent === referer
                 && row.querySelectorAll('script, img').length === 0;
             });",
            vec![json!(PAYLOAD_UA), json!(PAYLOAD_REFERER)],
        )
        .await
        .expect("read the recent visits");
    assert_eq!(found, Value::Bool(true), "the payload is listed as text");
}

/// Picks a custom range in the range form and submits it.
pub async fn custom_range(browser: &Browser, from: &str, to: &str) {
    browser
        .client
        .execute(
            "const [from, to] = arguments;
             const form = document.querySelector('form.range-form');
             form.elements.namedItem('range').value = 'custom';
             form.elements.namedItem('from').value = from;
             form.elements.namedItem('to').value = to;",
            vec![json!(from), json!(to)],
        )
        .await
        .expect("fill the custom range");
    let form = browser
        .client
        .find(Locator::Css("form.range-form"))
        .await
        .expect("range form");
    submit(&form).await;
}

/// Downloads the page's CSV export with the browser's own session; returns its text.
pub async fn download_csv(browser: &Browser) -> String {
    let reply = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const href = document.querySelector('a[data-export=csv]').href;
             fetch(href, { credentials: 'same-origin' })
               .then(async (r) => done({
                 status: r.status,
                 type: r.headers.get('content-type'),
                 disposition: r.headers.get('content-disposition'),
                 body: await r.text(),
               }))
               .catch((e) => done({ error: String(e) }));",
            vec![],
        )
        .await
        .expect("fetch the export");
    assert_eq!(reply["status"], 200, "export: {reply}");
    assert_eq!(reply["type"], "text/csv; charset=utf-8");
    let disposition = reply["disposition"].as_str().unwrap_or_default();
    assert!(
        disposition.starts_with("attachment; filename=\"launch-visits-"),
        "{disposition}"
    );
    reply["body"].as_str().expect("CSV text").to_owned()
}

/// Screenshots of the dashboard and of the link's analytics page (bots included) as
/// `{prefix}-dashboard` and `{prefix}-link`, each also as a `-full` page; checks neither page
/// is wider than the viewport and that the charts are drawn with readable labels.
pub async fn screenshots(browser: &Browser, app: &TestApp, code: &str, prefix: &str) {
    browser.goto(&format!("{}/app", app.address)).await;
    wait_for(browser, "#stat-clicks").await;
    assert_chart_text_readable(browser, &format!("{prefix}-dashboard")).await;
    shoot(browser, &format!("{prefix}-dashboard")).await;

    let page = format!("{}/app/links/{code}?range=7d&bots=1", app.address);
    browser.goto(&page).await;
    wait_for(browser, ".chart-figure svg").await;
    let chart_width = browser
        .eval("return document.querySelector('.chart-figure svg').getBoundingClientRect().width;")
        .await;
    assert!(
        chart_width.as_f64().is_some_and(|w| w > 200.0),
        "the chart is drawn wide enough to read: {chart_width}"
    );
    assert_chart_text_readable(browser, &format!("{prefix}-link")).await;
    shoot(browser, &format!("{prefix}-link")).await;
    browser.assert_clean().await;
}

async fn wait_for(browser: &Browser, css: &str) {
    browser
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("no {css}: {err}"));
}

/// The chart's text is drawn at its stylesheet size (12 CSS px, not scaled with the chart's
/// width), and the axis labels shown do not overlap.
async fn assert_chart_text_readable(browser: &Browser, name: &str) {
    let texts = browser
        .eval(
            "return [...document.querySelectorAll('svg.chart text')].map((text) => {
               const box = text.getBoundingClientRect();
               const size = parseFloat(getComputedStyle(text).fontSize);
               return { text: text.textContent, label: text.classList.contains('chart-label'),
                        shown: box.width > 0, size: size * text.getScreenCTM().a,
                        left: box.left, right: box.right };
             });",
        )
        .await;
    let texts = texts.as_array().expect("chart texts");
    assert!(
        texts.len() >= 3,
        "{name}: the chart has its labels: {texts:?}"
    );
    let mut shown: Vec<(f64, f64)> = Vec::new();
    for text in texts {
        let size = text["size"].as_f64().expect("drawn font size");
        assert!(
            (11.5..=13.0).contains(&size),
            "{name}: chart text drawn at {size} px, not its 12 px: {text}"
        );
        if text["label"] == true && text["shown"] == true {
            let (left, right) = (text["left"].as_f64(), text["right"].as_f64());
            shown.push((left.expect("left"), right.expect("right")));
        }
    }
    assert!(shown.len() >= 2, "{name}: first and last axis labels");
    shown.sort_by(|a, b| a.0.total_cmp(&b.0));
    for pair in shown.windows(2) {
        assert!(
            pair[0].1 < pair[1].0,
            "{name}: axis labels overlap: {shown:?}"
        );
    }
}

/// A viewport screenshot, a full-page one, and the check that nothing overflows sideways.
async fn shoot(browser: &Browser, name: &str) {
    let widths = browser
        .eval("const root = document.documentElement; return [root.scrollWidth, root.clientWidth];")
        .await;
    assert!(
        widths[0].as_i64() <= widths[1].as_i64(),
        "{name}: the page is wider than the viewport (scroll width, viewport): {widths}"
    );
    browser.screenshot(name).await;
    browser.screenshot_full_page(&format!("{name}-full")).await;
}
