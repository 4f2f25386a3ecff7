//! Shlink's domain routes: `GET /domains` with their not-found redirects, `PATCH
//! /domains/redirects` to change one domain's, `GET /domains/{domain}/visits`.
//!
//! The default domain is the base URL's `host[:port]`; `DEFAULT` names it too. Another domain is
//! served once a link is created on it (or its redirects are set). The default domain's redirects
//! are also reported as `defaultRedirects`, the fallback for a domain without its own.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use url::Url;

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, ApiKey, ApiQuery};
use super::short_urls::dto::present;
use super::short_urls::input::Violations;
use super::visits::{self, VisitsQuery, VisitsResponse};
use crate::links::{
    Domain, DomainName, LinkError, NotFoundRedirects, NotFoundRedirectsPatch, RedirectUrl,
};
use crate::store::VisitScope;

/// The response body: `{"domains": {...}}`.
#[derive(Debug, Serialize)]
pub struct DomainsResponse {
    domains: DomainList,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DomainList {
    data: Vec<DomainJson>,
    default_redirects: RedirectsJson,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DomainJson {
    domain: String,
    is_default: bool,
    redirects: RedirectsJson,
}

/// Where visitors who miss a link go, in Shlink's field names; `null` shows our own page.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectsJson {
    base_url_redirect: Option<String>,
    regular404_redirect: Option<String>,
    invalid_short_url_redirect: Option<String>,
}

impl From<&NotFoundRedirects> for RedirectsJson {
    fn from(redirects: &NotFoundRedirects) -> Self {
        let text = |url: &Option<RedirectUrl>| url.as_ref().map(|u| u.as_str().to_owned());
        Self {
            base_url_redirect: text(&redirects.base_url),
            regular404_redirect: text(&redirects.regular_404),
            invalid_short_url_redirect: text(&redirects.invalid_short_url),
        }
    }
}

/// `PATCH /domains/redirects`: a field left out keeps its value, `null` clears it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectsBody {
    domain: Option<String>,
    #[serde(default, deserialize_with = "present")]
    base_url_redirect: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    regular404_redirect: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    invalid_short_url_redirect: Option<Option<String>>,
}

/// Lists every domain served (the default first) with its own not-found redirects, and the
/// default domain's again as `defaultRedirects`, which the others fall back on.
#[tracing::instrument(skip_all)]
pub async fn list(key: ApiKey, State(state): State<AppState>) -> Json<DomainsResponse> {
    let all = state.domains.all();
    let base = &state.settings.base_url;
    let defaults = all.get(&Domain::Default).cloned().unwrap_or_default();
    let data = all
        .iter()
        .filter(|(domain, _)| key.sees_domain(domain, base))
        .map(|(domain, redirects)| DomainJson {
            domain: domain.name().map_or_else(|| authority(base), str::to_owned),
            is_default: domain.is_default(),
            redirects: redirects.into(),
        })
        .collect();
    Json(DomainsResponse {
        domains: DomainList {
            data,
            default_redirects: (&defaults).into(),
        },
    })
}

/// Changes one domain's not-found redirects (`domain` names it; `DEFAULT` or the base URL's
/// authority the default one), adding the domain if it is new.
#[tracing::instrument(skip_all)]
pub async fn set_redirects(
    key: ApiKey,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RedirectsBody>,
) -> Result<Json<RedirectsJson>, ApiError> {
    let mut v = Violations::default();
    let domain = match body.domain.as_deref().map(str::trim) {
        None | Some("") => {
            v.add("domain", "domain is required");
            None
        }
        Some(raw) => v.check("domain", api_domain(Some(raw), &state.settings.base_url)),
    };
    if let Some(domain) = &domain
        && !key.sees_domain(domain, &state.settings.base_url)
    {
        return Err(ApiError::DomainNotFound(body.domain.unwrap_or_default()));
    }
    let own = state.settings.own_origin();
    let mut url = |field: &str, raw: Option<Option<String>>| -> Option<Option<RedirectUrl>> {
        match raw?.filter(|raw| !raw.trim().is_empty()) {
            None => Some(None),
            Some(raw) => v.check(field, RedirectUrl::parse(&raw, &own)).map(Some),
        }
    };
    let patch = NotFoundRedirectsPatch {
        base_url: url("baseUrlRedirect", body.base_url_redirect),
        regular_404: url("regular404Redirect", body.regular404_redirect),
        invalid_short_url: url("invalidShortUrlRedirect", body.invalid_short_url_redirect),
    };
    v.finish()?;
    let domain = domain.ok_or_else(|| ApiError::invalid("domain", "domain is required"))?;
    let redirects = state.links.set_not_found_redirects(&domain, patch).await?;
    Ok(Json((&redirects).into()))
}

/// `GET /domains/{domain}/visits`: the visits of every link on one domain served here; a
/// domain not served (or not visible to the key) is not found.
#[tracing::instrument(skip_all)]
pub async fn domain_visits(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<VisitsQuery>,
) -> Result<Json<VisitsResponse>, ApiError> {
    let Path(raw) = path.map_err(|err| ApiError::invalid("domain", err.body_text()))?;
    let base = &state.settings.base_url;
    let served = api_domain(Some(&raw), base)
        .ok()
        .filter(|domain| state.domains.all().contains_key(domain))
        .filter(|domain| key.sees_domain(domain, base));
    let Some(domain) = served else {
        return Err(ApiError::DomainNotFound(raw));
    };
    visits::list_scope(&key, &state, &query, &VisitScope::Domain(domain)).await
}

/// The domain a client's `domain` value names: the default one when [`is_own_domain`] says
/// so, else another by its `host[:port]`.
pub fn api_domain(raw: Option<&str>, base: &Url) -> Result<Domain, LinkError> {
    if is_own_domain(raw, base) {
        return Ok(Domain::Default);
    }
    DomainName::parse(raw.unwrap_or_default()).map(Domain::Named)
}

/// Whether a `domain` value names ours: absent, empty, `DEFAULT`, or our host (with our port
/// when the base URL has an explicit one), in any letter case.
pub fn is_own_domain(domain: Option<&str>, base: &Url) -> bool {
    let Some(domain) = domain.map(str::trim).filter(|d| !d.is_empty()) else {
        return true;
    };
    let host = base.host_str().unwrap_or_default();
    domain == "DEFAULT"
        || domain.eq_ignore_ascii_case(host)
        || domain.eq_ignore_ascii_case(&authority(base))
}

/// `host[:port]` of a URL, the port shown only when it is not the scheme's default.
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_keeps_only_non_default_ports() {
        let with_port = Url::parse("http://127.0.0.1:8080/x").unwrap();
        assert_eq!(authority(&with_port), "127.0.0.1:8080");
        let default_port = Url::parse("https://s.example.com:443").unwrap();
        assert_eq!(authority(&default_port), "s.example.com");
    }

    #[test]
    fn own_domain_forms() {
        let base = Url::parse("https://s.example/").unwrap();
        for ok in [
            None,
            Some(""),
            Some("DEFAULT"),
            Some("s.example"),
            Some("S.EXAMPLE"),
        ] {
            assert!(is_own_domain(ok, &base), "{ok:?}");
        }
        assert!(!is_own_domain(Some("evil.example"), &base));
        assert!(!is_own_domain(Some("default"), &base));
        let with_port = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert!(is_own_domain(Some("127.0.0.1:8080"), &with_port));
        assert!(is_own_domain(Some("127.0.0.1"), &with_port));
        assert!(!is_own_domain(Some("127.0.0.1:9090"), &with_port));
    }

    #[test]
    fn redirects_serialize_as_shlink_field_names() {
        let json = serde_json::to_value(RedirectsJson::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "baseUrlRedirect": null,
                "regular404Redirect": null,
                "invalidShortUrlRedirect": null,
            })
        );
    }
}
