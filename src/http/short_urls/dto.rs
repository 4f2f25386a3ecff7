//! The JSON shapes of `/short-urls`: request bodies as clients send them (unvalidated) and the
//! `ShortUrl` object Shlink clients expect back.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::http::HttpSettings;
use crate::links::{DestinationParts, ShortUrl, Tag};

/// `POST /short-urls` body; only `longUrl` is required. The pages' create form fills one too.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    pub(in crate::http) long_url: String,
    pub(in crate::http) custom_slug: Option<String>,
    pub(in crate::http) short_code_length: Option<i64>,
    pub(in crate::http) find_if_exists: Option<bool>,
    pub(in crate::http) valid_since: Option<String>,
    pub(in crate::http) valid_until: Option<String>,
    pub(in crate::http) max_visits: Option<i64>,
    pub(in crate::http) tags: Option<Vec<String>>,
    pub(in crate::http) title: Option<String>,
    pub(in crate::http) crawlable: Option<bool>,
    pub(in crate::http) forward_query: Option<bool>,
    /// The domain the link goes on: absent, `DEFAULT` or the base URL's for the default one.
    pub(in crate::http) domain: Option<String>,
    /// Path prefixes are not supported: only an empty one is accepted.
    pub(in crate::http) path_prefix: Option<String>,
    /// Per-device URLs (`android`, `ios`, `desktop`), kept as device rules.
    pub(in crate::http) device_long_urls: Option<Value>,
    /// Ours, beyond Shlink's contract: where visitors go while the link does not redirect.
    pub(in crate::http) expired_url: Option<String>,
    /// Ours: the password visitors must give; only its Argon2 hash is kept.
    pub(in crate::http) password: Option<String>,
    /// Ours: the A/B split's weighted destinations (percentages; the rest get `longUrl`).
    pub(in crate::http) destinations: Option<Vec<DestinationParts>>,
}

/// `PATCH /short-urls/{shortCode}` body: absent leaves a field alone, `null` clears it. The pages'
/// edit form fills one too.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditBody {
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) long_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) valid_since: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) valid_until: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) max_visits: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) tags: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) crawlable: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) forward_query: Option<Option<bool>>,
    /// Per-device URLs (`android`, `ios`, `desktop`), kept as device rules.
    pub(in crate::http) device_long_urls: Option<Value>,
    /// Ours: where visitors go while the link does not redirect; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) expired_url: Option<Option<String>>,
    /// Ours: a new password; `null` removes the protection.
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) password: Option<Option<String>>,
    /// Ours: a new A/B split; `null` or `[]` removes it.
    #[serde(default, deserialize_with = "present")]
    pub(in crate::http) destinations: Option<Option<Vec<DestinationParts>>>,
}

/// For `#[serde(default, deserialize_with = "present")]`: a field that is in the body, even as
/// `null`, becomes `Some(..)`, so absent (`None`) and explicit `null` (`Some(None)`) differ.
pub(in crate::http) fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Shlink's `ShortUrl` object.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShortUrlJson {
    short_code: String,
    short_url: String,
    long_url: String,
    device_long_urls: DeviceLongUrlsJson,
    date_created: String,
    visits_summary: VisitsJson,
    tags: Vec<String>,
    meta: MetaJson,
    domain: Option<String>,
    title: Option<String>,
    crawlable: bool,
    forward_query: bool,
    has_redirect_rules: bool,
    /// Ours, shown only when set (Shlink clients ignore it).
    #[serde(skip_serializing_if = "Option::is_none")]
    expired_url: Option<String>,
    /// Ours, shown only when true: visitors must give a password (which is never shown).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    password_protected: bool,
    /// Ours, shown only when set: the A/B split's destinations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    destinations: Vec<DestinationParts>,
}

/// Shlink's per-device URLs: the link's single-device rules.
#[derive(Debug, Default, Serialize)]
struct DeviceLongUrlsJson {
    android: Option<String>,
    ios: Option<String>,
    desktop: Option<String>,
}

/// `visitsSummary`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VisitsJson {
    total: i64,
    non_bots: i64,
    bots: i64,
}

/// `meta`: the conditions under which the link redirects.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MetaJson {
    valid_since: Option<String>,
    valid_until: Option<String>,
    max_visits: Option<i64>,
}

impl ShortUrlJson {
    /// The API view of a stored link; `shortUrl` is built from our public base URL.
    pub(in crate::http) fn new(link: ShortUrl, settings: &HttpSettings) -> Self {
        Self {
            short_url: settings.short_url_of(&link.address()),
            domain: link.domain.name().map(str::to_owned),
            short_code: link.short_code.to_string(),
            long_url: link.long_url.to_string(),
            device_long_urls: DeviceLongUrlsJson {
                android: link
                    .device_long_urls
                    .android
                    .as_ref()
                    .map(ToString::to_string),
                ios: link.device_long_urls.ios.as_ref().map(ToString::to_string),
                desktop: link
                    .device_long_urls
                    .desktop
                    .as_ref()
                    .map(ToString::to_string),
            },
            date_created: iso(link.date_created),
            visits_summary: VisitsJson {
                total: link.visits.total,
                non_bots: link.visits.non_bots,
                bots: link.visits.bots,
            },
            tags: link.tags.iter().map(Tag::to_string).collect(),
            meta: MetaJson {
                valid_since: link.valid_since.map(iso),
                valid_until: link.valid_until.map(iso),
                max_visits: link.max_visits,
            },
            title: link.title,
            crawlable: link.crawlable,
            forward_query: link.forward_query,
            has_redirect_rules: link.has_redirect_rules,
            expired_url: link.expired_url.as_ref().map(ToString::to_string),
            password_protected: link.password_protected,
            destinations: link.split.parts(),
        }
    }
}

/// ISO 8601 with an explicit offset and whole seconds, as Shlink prints dates.
fn iso(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clicks::VisitsSummary;
    use crate::config::RedirectStatus;
    use crate::links::{LongUrl, ShortCode};
    use chrono::TimeZone;
    use url::Url;

    #[test]
    fn absent_and_null_differ_in_edits() {
        let body: EditBody = serde_json::from_str(r#"{"title": null, "maxVisits": 3}"#).unwrap();
        assert_eq!(body.title, Some(None));
        assert_eq!(body.max_visits, Some(Some(3)));
        assert_eq!(body.valid_since, None);
        assert_eq!(body.long_url, None);
    }

    #[test]
    fn short_url_json_has_shlink_shape() {
        let settings = HttpSettings {
            base_url: Url::parse("https://s.example/").unwrap(),
            request_timeout: std::time::Duration::from_secs(30),
            listen: None,
            cors_origins: vec!["*".to_owned()],
            metrics_token: None,
            expired_url: None,
            unknown_hosts: crate::config::UnknownHosts::Default,
            webhooks_allow_private: false,
            redirect_status: "302".parse::<RedirectStatus>().unwrap(),
        };
        let created = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let link = ShortUrl {
            id: 1,
            domain: crate::links::Domain::Default,
            short_code: ShortCode::parse("abc12").unwrap(),
            long_url: LongUrl::parse_stored("https://example.com/").unwrap(),
            title: Some("T".into()),
            date_created: created,
            valid_since: Some(created),
            valid_until: None,
            max_visits: Some(9),
            crawlable: true,
            forward_query: false,
            tags: vec![Tag::parse("a").unwrap()],
            visits: VisitsSummary {
                total: 5,
                non_bots: 3,
                bots: 2,
            },
            author_key_id: None,
            has_redirect_rules: false,
            device_long_urls: crate::links::rules::DeviceLongUrls::default(),
            expired_url: None,
            password_protected: false,
            split: crate::links::Split::default(),
        };
        let json = serde_json::to_value(ShortUrlJson::new(link, &settings)).unwrap();
        assert_eq!(json["shortUrl"], "https://s.example/abc12");
        assert_eq!(json["dateCreated"], "2026-11-25T10:00:00+00:00");
        assert_eq!(json["meta"]["validSince"], "2026-11-25T10:00:00+00:00");
        assert_eq!(json["meta"]["validUntil"], Value::Null);
        assert_eq!(json["meta"]["maxVisits"], 9);
        assert_eq!(json["visitsSummary"]["nonBots"], 3);
        assert_eq!(json["deviceLongUrls"]["android"], Value::Null);
        assert_eq!(json["domain"], Value::Null);
        assert_eq!(json["hasRedirectRules"], false);
        assert_eq!(json["forwardQuery"], false);
        assert_eq!(json["crawlable"], true);
    }
}
