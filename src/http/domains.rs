//! Shlink's domain routes for the one default domain: `GET /domains` with its not-found
//! redirects, `PATCH /domains/redirects` to change them, `GET /domains/{domain}/visits`.
//!
//! The default domain is the base URL's `host[:port]`; `DEFAULT` names it too. Its redirects are
//! also reported as `defaultRedirects`, the fallback Shlink applies to domains without their own.

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
use crate::links::{NotFoundRedirects, NotFoundRedirectsPatch, RedirectUrl};
use crate::store::VisitScope;

/// The response body: `{"domains": {...}}`.
#[derive(Debug, Serialize)]
pub struct DomainsResponse {
    domains: DomainList,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DomainList {
    data: Vec<Domain>,
    default_redirects: RedirectsJson,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Domain {
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

/// Lists the default domain with its not-found redirects, which are also the defaults.
#[tracing::instrument(skip_all)]
pub async fn list(key: ApiKey, State(state): State<AppState>) -> Json<DomainsResponse> {
    let redirects = state.not_found.current();
    let ours = Domain {
        domain: authority(&state.settings.base_url),
        is_default: true,
        redirects: redirects.as_ref().into(),
    };
    let data = if key.sees_our_domain(&state.settings.base_url) {
        vec![ours]
    } else {
        Vec::new()
    };
    Json(DomainsResponse {
        domains: DomainList {
            data,
            default_redirects: redirects.as_ref().into(),
        },
    })
}

/// Changes the default domain's not-found redirects; another domain is `invalid-data` on
/// `domain`, since this instance serves only its own.
#[tracing::instrument(skip_all)]
pub async fn set_redirects(
    key: ApiKey,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RedirectsBody>,
) -> Result<Json<RedirectsJson>, ApiError> {
    if !key.sees_our_domain(&state.settings.base_url) {
        return Err(ApiError::DomainNotFound(body.domain.unwrap_or_default()));
    }
    let mut v = Violations::default();
    match body.domain.as_deref().map(str::trim) {
        None | Some("") => v.add("domain", "domain is required"),
        Some(domain) if !is_own_domain(Some(domain), &state.settings.base_url) => v.add(
            "domain",
            format!("{domain} is not served here; this instance serves only its own domain"),
        ),
        Some(_) => {}
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
    let redirects = state.links.set_not_found_redirects(patch).await?;
    Ok(Json((&redirects).into()))
}

/// `GET /domains/{domain}/visits`: every link's visits on our domain; any other domain is not
/// found.
#[tracing::instrument(skip_all)]
pub async fn domain_visits(
    key: ApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<VisitsQuery>,
) -> Result<Json<VisitsResponse>, ApiError> {
    let Path(domain) = path.map_err(|err| ApiError::invalid("domain", err.body_text()))?;
    let base = &state.settings.base_url;
    if !is_own_domain(Some(&domain), base) || !key.sees_our_domain(base) {
        return Err(ApiError::DomainNotFound(domain));
    }
    visits::list_scope(&key, &state, &query, &VisitScope::NonOrphan).await
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
