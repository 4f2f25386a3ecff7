//! Extractors for form bodies and query strings whose failures are friendly pages, not JSON.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::PageError;

/// An `application/x-www-form-urlencoded` body (repeated keys collect into lists).
pub struct PageForm<T>(pub T);

impl<S, T> FromRequest<S> for PageForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| PageError::BadRequest(rejection.body_text()))?;
        serde_html_form::from_bytes(&bytes)
            .map(PageForm)
            .map_err(|err| PageError::BadRequest(err.to_string()))
    }
}

/// Query parameters of a page.
pub struct PageQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for PageQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, PageError> {
        serde_html_form::from_str(parts.uri.query().unwrap_or_default())
            .map(PageQuery)
            .map_err(|err| PageError::BadRequest(err.to_string()))
    }
}
