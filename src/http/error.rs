//! The HTTP layer's one error type and its single mapping to RFC 7807 `application/problem+json`.
//!
//! Handlers return `Result<_, ApiError>`; domain (`LinkError`) and store (`StoreError`) errors
//! convert into it with `?`. Internal failures are logged here and never echoed to the client.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::pages;
use crate::links::LinkError;
use crate::store::StoreError;

const TYPE_BASE: &str = "https://shlink.io/api/error/";

/// Every error an API handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input failed validation; `elements` names the offending fields.
    #[error("{detail}")]
    InvalidData {
        /// Human-readable reason.
        detail: String,
        /// Request fields that were refused.
        elements: Vec<String>,
    },
    /// The custom slug is taken.
    #[error("custom slug {0} is already in use")]
    NonUniqueSlug(String),
    /// No link has this short code.
    #[error("no short URL with code {0}")]
    ShortUrlNotFound(String),
    /// No tag has this name.
    #[error("tag {0} not found")]
    TagNotFound(String),
    /// This instance serves no such domain.
    #[error("Domain with authority \"{0}\" could not be found")]
    DomainNotFound(String),
    /// A key with roles tried to rename or delete tags, which may be on others' links.
    #[error("You are not allowed to rename or delete tags with this API key")]
    ForbiddenTagOperation,
    /// A limited key tried an operational route that needs an admin key.
    #[error("this route needs an API key without roles")]
    AdminKeyRequired,
    /// A tag rename would collide with an existing tag.
    #[error("tag {0} already exists")]
    TagConflict(String),
    /// No `X-Api-Key` header (nor `apiKey` where the route takes it in the query).
    #[error("missing API key")]
    MissingAuthentication,
    /// The API key is unknown or disabled.
    #[error("invalid API key")]
    InvalidApiKey,
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// `GET /mercure-info`: real-time updates go another way here (see the AsyncAPI contract).
    #[error("This Shlink instance is not integrated with a mercure hub.")]
    MercureNotConfigured,
    /// The body is larger than we accept.
    #[error("request body too large")]
    PayloadTooLarge,
    /// A body was sent in something other than JSON.
    #[error("the body must be JSON: send it with Content-Type: application/json")]
    UnsupportedMediaType,
    /// No route matches.
    #[error("route not found")]
    RouteNotFound,
    /// A resource outside Shlink's contract (e.g. a dead letter) does not exist; says which.
    #[error("{0}")]
    NotFound(String),
    /// A dependency (the database) is down.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything else: logged, answered with a generic 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// Shorthand for a single invalid field.
    pub fn invalid(element: &str, detail: impl Into<String>) -> Self {
        Self::InvalidData {
            detail: detail.into(),
            elements: vec![element.to_owned()],
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, Map<String, Value>) {
        let mut extra = Map::new();
        let (status, kind, title) = match self {
            Self::InvalidData { elements, .. } => {
                extra.insert("invalidElements".into(), json!(elements));
                (StatusCode::BAD_REQUEST, "invalid-data", "Invalid data")
            }
            Self::NonUniqueSlug(slug) => {
                extra.insert("customSlug".into(), json!(slug));
                (
                    StatusCode::BAD_REQUEST,
                    "non-unique-slug",
                    "Invalid custom slug",
                )
            }
            Self::ShortUrlNotFound(code) => {
                extra.insert("shortCode".into(), json!(code));
                (
                    StatusCode::NOT_FOUND,
                    "short-url-not-found",
                    "Short URL not found",
                )
            }
            Self::TagNotFound(tag) => {
                extra.insert("tag".into(), json!(tag));
                (StatusCode::NOT_FOUND, "tag-not-found", "Tag not found")
            }
            Self::DomainNotFound(authority) => {
                extra.insert("authority".into(), json!(authority));
                (
                    StatusCode::NOT_FOUND,
                    "domain-not-found",
                    "Domain not found",
                )
            }
            Self::ForbiddenTagOperation => (
                StatusCode::FORBIDDEN,
                "forbidden-tag-operation",
                "Forbidden tag operation",
            ),
            Self::AdminKeyRequired => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Self::TagConflict(tag) => {
                extra.insert("newName".into(), json!(tag));
                (StatusCode::CONFLICT, "tag-conflict", "Tag conflict")
            }
            Self::MissingAuthentication => (
                StatusCode::UNAUTHORIZED,
                "missing-authentication",
                "Invalid authorization",
            ),
            Self::InvalidApiKey => (
                StatusCode::UNAUTHORIZED,
                "invalid-api-key",
                "Invalid API key",
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::MercureNotConfigured => (
                StatusCode::NOT_IMPLEMENTED,
                "mercure-not-configured",
                "Mercure integration not configured",
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Self::RouteNotFound | Self::NotFound(_) => {
                (StatusCode::NOT_FOUND, "not-found", "Not found")
            }
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Service unavailable",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal-server-error",
                "Internal server error",
            ),
        };
        (status, kind, title, extra)
    }

    fn detail(&self) -> String {
        match self {
            Self::MissingAuthentication => "Expected one of the following authentication headers, \
                                            [\"X-Api-Key\"], but none were provided"
                .into(),
            Self::InvalidApiKey => "Provided API key does not exist or is invalid.".into(),
            Self::MethodNotAllowed => "This route does not answer this HTTP method.".into(),
            Self::Internal(_) => "An unexpected error occurred; it has been logged.".into(),
            Self::RouteNotFound => "Requested route does not exist.".into(),
            other => other.to_string(),
        }
    }
}

impl From<LinkError> for ApiError {
    fn from(err: LinkError) -> Self {
        let element = match err {
            LinkError::LongUrl(_) => "longUrl",
            LinkError::Slug(_) => "customSlug",
            LinkError::Tag(_) => "tags",
            LinkError::Domain(_) => "domain",
            LinkError::Password(_) => "password",
        };
        Self::invalid(element, err.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::DuplicateShortCode(code) => Self::NonUniqueSlug(code),
            StoreError::DuplicateTag(tag) => Self::TagConflict(tag),
            StoreError::LinkNotFound(code) => Self::ShortUrlNotFound(code),
            StoreError::TagNotFound(tag) => Self::TagNotFound(tag),
            StoreError::ApiKeyNotFound(name) => {
                Self::NotFound(format!("no API key named {name:?}"))
            }
            taken @ StoreError::DuplicateWebhookName(_) => Self::invalid("name", taken.to_string()),
            unreachable if unreachable.is_unavailable() => {
                tracing::warn!(error = %unreachable, "database unavailable");
                Self::Unavailable("the database cannot be reached; try again shortly".into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            tracing::error!(error = ?err, "request failed");
        }
        let (status, kind, title, mut body) = self.parts();
        body.insert("type".into(), json!(format!("{TYPE_BASE}{kind}")));
        body.insert("title".into(), json!(title));
        body.insert("detail".into(), json!(self.detail()));
        body.insert("status".into(), json!(status.as_u16()));
        let mut response = (status, Json(Value::Object(body))).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Self::Unavailable(_) = self {
            headers.insert(header::RETRY_AFTER, pages::RETRY_AFTER_SECONDS);
        }
        response
    }
}
