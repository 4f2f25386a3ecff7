//! The server of the browser story and the visits it receives: the server enriches clicks with
//! its own worker and a DB-IP-shaped geo database, and believes `X-Forwarded-For` from the
//! test, so each visit comes from a chosen place.

use std::collections::HashMap;

use reqwest::StatusCode;

use crate::common::{Backend, TestApp, geo_fixture, spawn_app_with};

/// A user agent that would run if the page ever treated it as HTML.
pub const PAYLOAD_UA: &str = "<script>alert('ua')</script>";

/// A referrer that would break out of an attribute and run if it were not escaped.
pub const PAYLOAD_REFERER: &str = "https://evil.example/\"><img src=x onerror=alert('ref')>";

/// One visit's request headers.
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    /// `User-Agent`.
    pub agent: &'static str,
    /// `Referer`, if any.
    pub referer: Option<&'static str>,
    /// `X-Forwarded-For`: Berlin, France (country only) or the unknown-country network.
    pub ip: &'static str,
}

/// The visits sent while the analytics page is open: the payload, two browsers and a crawler.
pub const VISITS: [Visitor; 4] = [
    Visitor {
        agent: PAYLOAD_UA,
        referer: Some(PAYLOAD_REFERER),
        ip: "198.51.100.7",
    },
    Visitor {
        agent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        referer: Some("https://news.example.com/story"),
        ip: "198.51.100.10",
    },
    Visitor {
        agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        referer: None,
        ip: "203.0.113.5",
    },
    Visitor {
        agent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        referer: None,
        ip: "192.0.2.1",
    },
];

/// The server under test and its geo database.
pub struct LinkApp {
    app: TestApp,
    _geo_dir: tempfile::TempDir,
}

impl std::ops::Deref for LinkApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl LinkApp {
    /// Starts the server with one worker of its own, so clicks are enriched live.
    pub async fn spawn(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let geo = geo_fixture::write(
            dir.path(),
            "geo.mmdb",
            &geo_fixture::dbip_city("DBIP-City-Lite"),
        );
        let flags = [
            "--workers",
            "1",
            "--trusted-proxies",
            "127.0.0.1/32",
            "--geoip-db",
            geo.to_str().expect("UTF-8 temp path"),
        ];
        Self {
            app: spawn_app_with(backend, &flags).await,
            _geo_dir: dir,
        }
    }

    /// Follows `/{code}` once per entry of [`VISITS`], as a visitor would (no redirects followed).
    pub async fn send_visits(&self, code: &str) {
        for visitor in VISITS {
            let mut request = self
                .client
                .get(format!("{}/{code}", self.address))
                .header("User-Agent", visitor.agent)
                .header("X-Forwarded-For", visitor.ip);
            if let Some(referer) = visitor.referer {
                request = request.header("Referer", referer);
            }
            let response = request.send().await.expect("visit");
            assert_eq!(response.status(), StatusCode::FOUND, "visit /{code}");
        }
    }
}

/// The records of a CSV export, each keyed by its column name.
pub fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("CSV header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("CSV record");
            headers
                .iter()
                .zip(record.iter())
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect()
        })
        .collect()
}
