//! Reading a running Shlink server (or anything serving Shlink's REST API v3): its short URLs
//! page by page, each one's visits, and the orphan visits.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::ImportedLink;
use crate::clicks::{Location, VisitKind};
use crate::store::Visit;

/// Links asked for per page.
const LINKS_PER_PAGE: u32 = 100;

/// Visits asked for per page.
const VISITS_PER_PAGE: u32 = 1000;

/// A Shlink server and the API key to read it with.
pub struct ShlinkServer {
    client: reqwest::Client,
    base: Url,
    api_key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    pages_count: u32,
    total_items: u64,
}

#[derive(Deserialize)]
struct Paged<T> {
    data: Vec<T>,
    pagination: Pagination,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinksBody {
    short_urls: Paged<ShortUrlDto>,
}

#[derive(Deserialize)]
struct VisitsBody {
    visits: Paged<VisitDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShortUrlDto {
    short_code: String,
    long_url: String,
    date_created: Option<DateTime<Utc>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    meta: MetaDto,
    domain: Option<String>,
    title: Option<String>,
    #[serde(default)]
    crawlable: bool,
    forward_query: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaDto {
    valid_since: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    max_visits: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VisitDto {
    referer: Option<String>,
    date: DateTime<Utc>,
    user_agent: Option<String>,
    visit_location: Option<LocationDto>,
    #[serde(default)]
    potential_bot: bool,
    visited_url: Option<String>,
    redirect_url: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LocationDto {
    country_code: Option<String>,
    country_name: Option<String>,
    region_name: Option<String>,
    city_name: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    timezone: Option<String>,
}

impl ShlinkServer {
    /// The server at `url` (its base URL, e.g. `https://s.example.com`), read with `api_key`.
    pub fn new(url: &Url, api_key: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("linkpulse-import/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            client,
            base: url.clone(),
            api_key: api_key.to_owned(),
        })
    }

    /// How many short URLs the server has.
    pub async fn link_count(&self) -> anyhow::Result<u64> {
        let body: LinksBody = self.get("short-urls", &[("itemsPerPage", "1")]).await?;
        Ok(body.short_urls.pagination.total_items)
    }

    /// Page `page` (from 1) of the short URLs, oldest first, each with its domain (`None`
    /// for the server's default); `None` past the last page.
    pub async fn links_page(
        &self,
        page: u32,
    ) -> anyhow::Result<Option<Vec<(ImportedLink, Option<String>)>>> {
        let (page_text, per_page) = (page.to_string(), LINKS_PER_PAGE.to_string());
        let query = [
            ("page", page_text.as_str()),
            ("itemsPerPage", per_page.as_str()),
            ("orderBy", "dateCreated-ASC"),
        ];
        let body: LinksBody = self.get("short-urls", &query).await?;
        let paged = body.short_urls;
        if paged.data.is_empty() || page > paged.pagination.pages_count.max(1) {
            return Ok(None);
        }
        Ok(Some(paged.data.into_iter().map(link).collect()))
    }

    /// Every visit of the link `code` (on `domain`).
    pub async fn link_visits(
        &self,
        code: &str,
        domain: Option<&str>,
    ) -> anyhow::Result<Vec<Visit>> {
        let path = format!("short-urls/{code}/visits");
        self.all_visits(&path, domain).await
    }

    /// Every orphan visit.
    pub async fn orphan_visits(&self) -> anyhow::Result<Vec<Visit>> {
        self.all_visits("visits/orphan", None).await
    }

    async fn all_visits(&self, path: &str, domain: Option<&str>) -> anyhow::Result<Vec<Visit>> {
        let mut visits = Vec::new();
        let per_page = VISITS_PER_PAGE.to_string();
        for page in 1_u32.. {
            let page_text = page.to_string();
            let mut query = vec![("page", page_text.as_str()), ("itemsPerPage", &per_page)];
            if let Some(domain) = domain {
                query.push(("domain", domain));
            }
            let body: VisitsBody = self.get(path, &query).await?;
            let last = page >= body.visits.pagination.pages_count;
            visits.extend(body.visits.data.into_iter().map(visit));
            if last {
                break;
            }
        }
        Ok(visits)
    }

    /// `GET /rest/v3/{path}?query` as JSON; a refusal names the status and what to check.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> anyhow::Result<T> {
        let mut url = self.base.join(&format!("rest/v3/{path}"))?;
        url.query_pairs_mut().extend_pairs(query);
        let response = self
            .client
            .get(url.clone())
            .header("X-Api-Key", &self.api_key)
            .send()
            .await
            .with_context(|| format!("cannot reach the Shlink server at {url}"))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            bail!(
                "{url} answered 401: check --api-key (a Shlink API key with access to every link)"
            );
        }
        if !status.is_success() {
            bail!("{url} answered {status}; is {} a Shlink server?", self.base);
        }
        response
            .json()
            .await
            .with_context(|| format!("{url} did not answer Shlink's JSON"))
    }
}

fn link(dto: ShortUrlDto) -> (ImportedLink, Option<String>) {
    let imported = ImportedLink {
        short_code: Some(dto.short_code),
        long_url: dto.long_url,
        title: dto.title,
        tags: dto.tags,
        date_created: dto.date_created,
        valid_since: dto.meta.valid_since,
        valid_until: dto.meta.valid_until,
        max_visits: dto.meta.max_visits,
        crawlable: dto.crawlable,
        forward_query: dto.forward_query.unwrap_or(true),
    };
    (imported, dto.domain)
}

fn visit(dto: VisitDto) -> Visit {
    let location = dto.visit_location.map(|l| Location {
        country_code: l.country_code.filter(|c| !c.is_empty()),
        country_name: l.country_name.filter(|c| !c.is_empty()),
        region_name: l.region_name.filter(|c| !c.is_empty()),
        city_name: l.city_name.filter(|c| !c.is_empty()),
        latitude: l.latitude,
        longitude: l.longitude,
        timezone: l.timezone.filter(|c| !c.is_empty()),
    });
    Visit {
        kind: dto
            .kind
            .as_deref()
            .and_then(VisitKind::parse)
            .unwrap_or(VisitKind::ValidShortUrl),
        occurred_at: dto.date,
        referer: dto.referer.filter(|r| !r.is_empty()),
        user_agent: dto.user_agent.filter(|u| !u.is_empty()),
        visited_url: dto.visited_url,
        redirect_url: dto.redirect_url,
        potential_bot: dto.potential_bot,
        location: location.and_then(Location::non_empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_keeps_the_sources_location_bot_flag_and_kind() {
        let dto: VisitDto = serde_json::from_value(serde_json::json!({
            "referer": "",
            "date": "2026-11-30T10:00:00+01:00",
            "userAgent": "curl/8",
            "visitLocation": {
                "countryCode": "DE", "countryName": "Germany", "regionName": "",
                "cityName": "Berlin", "latitude": 52.5, "longitude": 13.4, "timezone": "Europe/Berlin"
            },
            "potentialBot": true,
            "visitedUrl": "https://s.example/nope",
            "type": "invalid_short_url"
        }))
        .unwrap();
        let visit = visit(dto);
        assert_eq!(visit.kind, VisitKind::InvalidShortUrl);
        assert_eq!(visit.occurred_at.to_rfc3339(), "2026-11-30T09:00:00+00:00");
        assert_eq!(visit.referer, None, "an empty referrer is none");
        assert!(visit.potential_bot);
        let location = visit.location.expect("located");
        assert_eq!(location.city_name.as_deref(), Some("Berlin"));
        assert_eq!(location.region_name, None);
        assert_eq!(location.latitude, Some(52.5));
    }

    #[test]
    fn a_short_url_keeps_its_limits_and_domain() {
        let dto: ShortUrlDto = serde_json::from_value(serde_json::json!({
            "shortCode": "abc", "longUrl": "https://example.com/", "dateCreated": "2025-01-01T00:00:00+00:00",
            "tags": ["a"], "meta": {"validSince": null, "validUntil": null, "maxVisits": 3},
            "domain": "other.example", "title": null, "crawlable": false, "forwardQuery": false
        }))
        .unwrap();
        let (link, domain) = link(dto);
        assert_eq!(link.max_visits, Some(3));
        assert!(!link.forward_query);
        assert_eq!(domain.as_deref(), Some("other.example"));
    }
}
