//! `GET /domains`: the one default domain, derived from the base URL.
//!
//! Linkpulse serves a single domain and has no per-domain redirects, so every redirect field is
//! `null`; the shape still follows Shlink's contract so existing clients can read it.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use url::Url;

use super::AppState;
use super::extract::ApiKey;

/// The response body: `{"domains": {...}}`.
#[derive(Debug, Serialize)]
pub struct DomainsResponse {
    domains: DomainList,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DomainList {
    data: Vec<Domain>,
    default_redirects: Redirects,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Domain {
    domain: String,
    is_default: bool,
    redirects: Redirects,
}

/// Where to send visitors who miss a link; not configurable here, hence always empty.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Redirects {
    base_url_redirect: Option<String>,
    regular404_redirect: Option<String>,
    invalid_short_url_redirect: Option<String>,
}

/// Lists the default domain (the base URL's `host[:port]`) with empty redirects.
#[tracing::instrument(skip_all)]
pub async fn list(_key: ApiKey, State(state): State<AppState>) -> Json<DomainsResponse> {
    Json(DomainsResponse {
        domains: DomainList {
            data: vec![Domain {
                domain: authority(&state.settings.base_url),
                is_default: true,
                redirects: Redirects::default(),
            }],
            default_redirects: Redirects::default(),
        },
    })
}

/// `host[:port]` of a URL, the port shown only when it is not the scheme's default.
fn authority(url: &Url) -> String {
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
    fn redirects_serialize_as_shlink_field_names() {
        let json = serde_json::to_value(Redirects::default()).unwrap();
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
