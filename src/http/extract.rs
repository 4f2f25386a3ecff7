//! Extractors whose rejections are our `ApiError`, so every bad request gets problem+json.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::store::KeyIdentity;

/// Header carrying the API key, as in Shlink.
const API_KEY_HEADER: &str = "x-api-key";

/// The enabled API key the request carried; what it may see is in [`super::access`].
pub struct ApiKey(pub Arc<KeyIdentity>);

impl ApiKey {
    /// The key presented as `raw` (from the header, or `apiKey` where the route takes it in
    /// the query): `missing-authentication` when empty, `invalid-api-key` when unknown.
    pub async fn identify(raw: Option<&str>, state: &AppState) -> Result<Self, ApiError> {
        let key = raw
            .filter(|k| !k.is_empty())
            .ok_or(ApiError::MissingAuthentication)?;
        state
            .api_keys
            .identify(key)
            .await?
            .map(Self)
            .ok_or(ApiError::InvalidApiKey)
    }
}

impl FromRequestParts<AppState> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok());
        Self::identify(key, state).await
    }
}

/// An API key without roles, which the operational routes under `/admin` need.
pub struct AdminKey;

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = ApiKey::from_request_parts(parts, state).await?;
        if key.0.roles.is_admin() {
            Ok(Self)
        } else {
            Err(ApiError::AdminKeyRequired)
        }
    }
}

/// A JSON body; a malformed one is refused with `invalid-data` naming the field at fault.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let declared_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(is_json_media_type);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::invalid("body", rejection.body_text())
            }
        })?;
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else if declared_json {
            &bytes
        } else {
            return Err(ApiError::UnsupportedMediaType);
        };
        let de = &mut serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.inner().to_string();
                ApiError::invalid(&field_name(&path, &message), message)
            })
    }
}

/// `application/json` or a `+json` type such as `application/merge-patch+json`, any parameters.
fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Query parameters, with repeated keys (`tags[]=a&tags[]=b`) collected into lists.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_html_form::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.inner().to_string();
                ApiError::invalid(&field_name(&path, &message), message)
            })
    }
}

fn form_urlencoded_parse(query: &str) -> url::form_urlencoded::Parse<'_> {
    url::form_urlencoded::parse(query.as_bytes())
}

/// The request field at fault: the first segment of the serde path when there is one, else the
/// name in "missing field `x`"; a body that is not an object at all is `body`. Only names of
/// request fields come out, never a value or the parser's text.
fn field_name(path: &str, message: &str) -> String {
    let top = path.split(['.', '[']).next().unwrap_or_default();
    if !top.is_empty() && !top.starts_with('?') {
        return top.to_owned();
    }
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .map_or_else(|| "body".to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::{field_name, is_json_media_type};

    #[test]
    fn only_json_media_types_are_json() {
        for json in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json_media_type(json), "{json}");
        }
        for other in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
            "json",
        ] {
            assert!(!is_json_media_type(other), "{other}");
        }
    }

    #[test]
    fn names_the_field_from_path_or_message() {
        assert_eq!(field_name("maxVisits", "invalid type"), "maxVisits");
        assert_eq!(field_name("tags[0]", "invalid type"), "tags");
        assert_eq!(field_name("meta.title", "invalid type"), "meta");
        assert_eq!(field_name(".", "missing field `longUrl`"), "longUrl");
        assert_eq!(field_name(".", "EOF while parsing"), "body");
        assert_eq!(field_name("?", "EOF while parsing an object"), "body");
        assert_eq!(
            field_name(".", "invalid type: integer `386`, expected struct NewLink"),
            "body"
        );
    }
}
