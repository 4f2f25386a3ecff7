//! Headless Chromium driven over WebDriver (Debian's `chromium` + `chromium-driver`), for the
//! browser tests. Each test gets its own chromedriver on a port it binds itself and a fresh
//! profile; the driver and the browser it starts share a process group, killed when the [`Browser`]
//! is dropped, so a failing test leaves no Chromium behind.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// Viewports narrower than this are emulated as a phone's (touch, mobile viewport rules).
const PHONE_WIDTH: u32 = 600;

/// Installed right after a navigation: records script errors, failed resource loads and
/// Content-Security-Policy violations in `window.__lpProblems`.
const WATCH_SCRIPT: &str = r#"
if (!Array.isArray(window.__lpProblems)) {
  window.__lpProblems = [];
  window.addEventListener("error", (event) => {
    const target = event.target;
    if (target && target !== window && target.tagName) {
      window.__lpProblems.push(`failed to load <${target.tagName.toLowerCase()}> ${target.src || target.href || ""}`);
    } else {
      window.__lpProblems.push(`script error: ${event.message}`);
    }
  }, true);
  window.addEventListener("unhandledrejection", (event) => {
    window.__lpProblems.push(`unhandled rejection: ${event.reason}`);
  });
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__lpProblems.push(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
  });
}
"#;

/// A running chromedriver and a browser session on it; both end when this is dropped.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// The port chromedriver reports it listens on (it binds port 0 itself, so no other process can
/// take the port between a choice and its use); the rest of its output is drained meanwhile.
fn reported_port(stdout: ChildStdout) -> Option<u16> {
    let (found, port) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let _ = found.send(rest.trim_end_matches('.').parse::<u16>().ok());
            }
        }
    });
    port.recv_timeout(Duration::from_secs(30)).ok().flatten()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose viewport is `width`×`height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Self {
        let mut driver = Command::new(chromedriver())
            .arg("--port=0")
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts (apt-get install chromium chromium-driver)");
        let port =
            reported_port(driver.stdout.take().expect("piped stdout")).unwrap_or_else(|| {
                kill_group(&driver);
                panic!("chromedriver did not report its port");
            });
        let profile = tempfile::tempdir().unwrap();
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    "--hide-scrollbars", "--force-color-profile=srgb",
                    "--disable-crash-reporter", "--disable-breakpad",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut browser = None;
        while browser.is_none() {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => browser = Some(client),
                Err(err) => {
                    if Instant::now() >= deadline {
                        kill_group(&driver);
                        panic!("no WebDriver session: {err}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let browser = Self {
            client: browser.expect("connected"),
            driver,
            _profile: profile,
        };
        // A window cannot be narrower than 500 px, so the viewport is set by emulation; phone
        // widths also get a phone's viewport rules.
        browser
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({
                    "width": width, "height": height, "deviceScaleFactor": 1,
                    "mobile": width < PHONE_WIDTH,
                }),
            )
            .await;
        browser
    }

    /// Runs a Chrome DevTools Protocol command in the session's tab; returns its result.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|err| panic!("DevTools {cmd}: {err}"))
    }

    /// Opens `url` and installs the problem watcher (see [`Browser::problems`]).
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigation");
        self.watch().await;
    }

    /// Installs the problem watcher on the current document (again after every navigation).
    pub async fn watch(&self) {
        self.client
            .execute(WATCH_SCRIPT, vec![])
            .await
            .expect("watcher installed");
    }

    /// What the watcher recorded since it was installed; panics when the document has no
    /// watcher (it was reloaded or left since [`Browser::watch`]).
    pub async fn problems(&self) -> Vec<String> {
        let value = self
            .client
            .execute("return window.__lpProblems;", vec![])
            .await
            .expect("read the watcher");
        let Value::Array(items) = value else {
            panic!("no problem watcher on this document (it was reloaded or left)");
        };
        items
            .into_iter()
            .map(|item| item.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Console messages of level `SEVERE` logged since the last call (Chromium's browser log),
    /// except the 404 of the `/favicon.ico` that Chromium asks for on its own.
    pub async fn console_errors(&self) -> Vec<String> {
        let entries = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("read the browser log");
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .filter(|message| !message.contains("/favicon.ico - "))
            .collect()
    }

    /// Fails on an open dialog, a recorded problem or a console error.
    pub async fn assert_clean(&self) {
        self.assert_no_dialog().await;
        let problems = self.problems().await;
        assert!(problems.is_empty(), "problems on the page: {problems:?}");
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:?}");
    }

    /// The value of `script` (a function body that `return`s) once it is truthy, polling every
    /// 100 ms for at most `timeout`; `what` names the awaited condition in the failure.
    pub async fn wait_until(&self, what: &str, script: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self
                .client
                .execute(script, vec![])
                .await
                .unwrap_or_else(|err| panic!("waiting for {what}: {err}"));
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The current URL once `accept` takes it (polling for at most `timeout`), with the problem
    /// watcher installed on the document it shows; `what` names the awaited page in the failure.
    pub async fn wait_for_url(
        &self,
        what: &str,
        timeout: Duration,
        accept: impl Fn(&url::Url) -> bool,
    ) -> url::Url {
        let deadline = Instant::now() + timeout;
        loop {
            let url = self.client.current_url().await.expect("current URL");
            if accept(&url) {
                self.wait_until(
                    "the document to load",
                    "return document.readyState === 'complete';",
                    timeout,
                )
                .await;
                self.watch().await;
                return url;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}; still at {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The value of `script` (a function body that `return`s), with no arguments.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|err| panic!("script {script:?} failed: {err}"))
    }

    /// Saves a PNG screenshot of the viewport under `target/screenshots/`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        save(name, &png);
    }

    /// Saves a PNG screenshot of the whole page (not only the viewport) under
    /// `target/screenshots/`.
    pub async fn screenshot_full_page(&self, name: &str) {
        let size = self
            .eval("const root = document.documentElement; return [root.scrollWidth, root.scrollHeight];")
            .await;
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1 },
                }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 PNG");
        save(name, &png);
    }

    /// Ends the browser session, then the driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// Fails the test if a JavaScript dialog (alert/confirm/prompt) is open.
    pub async fn assert_no_dialog(&self) {
        if let Ok(text) = self.client.get_alert_text().await {
            panic!("a dialog opened: {text:?} (script injection?)");
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&self.driver);
        let _ = self.driver.wait();
    }
}

/// Kills the process group led by `driver` (chromedriver and the Chromium it started).
fn kill_group(driver: &Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", driver.id())])
        .stderr(Stdio::null())
        .status();
}

/// Writes `target/screenshots/{name}.png`.
fn save(name: &str, png: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// ChromeDriver's `POST /session/{id}/se/log` for the `browser` log (not in W3C WebDriver).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (reqwest::Method, Option<String>) {
        (
            reqwest::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

/// ChromeDriver's `POST /session/{id}/goog/cdp/execute`: one DevTools Protocol command.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (reqwest::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}
