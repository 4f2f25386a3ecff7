//! P4's HTTP side: signing in to the pages with an API key, and timing sequential GETs.

use std::time::Instant;

use anyhow::{Context, bail};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Client, RequestBuilder};

use crate::load::percentile;

/// The API key header of the REST API.
const API_KEY_HEADER: &str = "X-Api-Key";

/// A client for one server: the API key for `/rest`, the session cookie for `/app`.
pub struct Session {
    client: Client,
    base: String,
    api_key: String,
    cookies: String,
}

/// Latency percentiles of one endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// Median, µs.
    pub p50_us: u64,
    /// 95th percentile, µs.
    pub p95_us: u64,
    /// Body size of the last response, bytes.
    pub bytes: usize,
}

impl Session {
    /// A client for the server at `base` using `api_key`, not yet signed in to the pages.
    pub fn new(base: &str, api_key: &str) -> anyhow::Result<Self> {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            base: base.to_owned(),
            api_key: api_key.to_owned(),
            cookies: String::new(),
        })
    }

    /// Signs in at `/app/login` (double-submit CSRF cookie, then the session cookie).
    pub async fn sign_in(&mut self) -> anyhow::Result<()> {
        let login = format!("{}/app/login", self.base);
        let form = self.client.get(&login).send().await?;
        if !form.status().is_success() {
            bail!("GET /app/login answered {}", form.status());
        }
        let login_cookies = cookies_of(&form);
        let csrf = login_cookies
            .iter()
            .find_map(|(name, value)| (name == "lp_login_csrf").then(|| value.clone()))
            .context("no lp_login_csrf cookie on the sign-in page")?;
        let submitted = self
            .client
            .post(&login)
            .header(COOKIE, join(&login_cookies))
            .form(&[
                ("api_key", self.api_key.as_str()),
                ("csrf", &csrf),
                ("next", "/app"),
            ])
            .send()
            .await?;
        if !submitted.status().is_redirection() {
            bail!("sign-in answered {}", submitted.status());
        }
        let session: Vec<(String, String)> = cookies_of(&submitted)
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .collect();
        if session.is_empty() {
            bail!("sign-in set no session cookie");
        }
        self.cookies = join(&session);
        Ok(())
    }

    /// A GET carrying both credentials.
    fn get(&self, path: &str) -> RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .header(API_KEY_HEADER, &self.api_key)
            .header(COOKIE, &self.cookies)
    }

    /// Times `samples` sequential GETs of the paths `path_of(i)` yields (after 3 untimed ones);
    /// every answer must be 200.
    pub async fn time(
        &self,
        samples: usize,
        path_of: impl Fn(usize) -> String,
    ) -> anyhow::Result<Timings> {
        let mut micros = Vec::with_capacity(samples);
        let mut bytes = 0;
        for i in 0..samples + 3 {
            let path = path_of(i);
            let started = Instant::now();
            let response = self.get(&path).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            let elapsed = started.elapsed();
            if status != reqwest::StatusCode::OK {
                bail!(
                    "GET {path} answered {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                );
            }
            bytes = body.len();
            if i >= 3 {
                micros.push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
            }
        }
        micros.sort_unstable();
        Ok(Timings {
            p50_us: percentile(&micros, 0.50),
            p95_us: percentile(&micros, 0.95),
            bytes,
        })
    }
}

/// `name=value` pairs of a response's `Set-Cookie` headers.
fn cookies_of(response: &reqwest::Response) -> Vec<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

fn join(cookies: &[(String, String)]) -> String {
    cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}
