//! Sign-in sessions: the cookie, the server-side row behind it, and the [`SignedIn`] extractor.
//!
//! The cookie holds a random 256-bit token; the database holds only its SHA-256, so neither a
//! database leak nor a log line can be replayed. Sessions live in the database, so every
//! instance behind a load balancer recognises them, and a session ends when it expires, when
//! the user signs out, or when the API key it was opened with is disabled.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use chrono::{Duration, Utc};
use rand::RngExt;
use sha2::{Digest, Sha256};

use super::PageError;
use crate::auth::hash_key;
use crate::http::{AppState, HttpSettings};
use crate::store::NewSession;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "lp_session";

/// How long a session lasts after signing in.
const SESSION_DAYS: i64 = 7;

/// Where a browser lands after signing in when it asked for nothing else.
pub const HOME: &str = "/app";

/// Proof that the request carries a live session; its rejection sends browsers to sign in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    token_hash: String,
    csrf_token: String,
}

impl SignedIn {
    /// The token this session's forms must carry (see [`super::csrf::verify`]).
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }

    /// The stored hash of the session token, to end the session.
    pub(super) fn token_hash(&self) -> &str {
        &self.token_hash
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        // After signing in, a GET comes back to where it was; a form post cannot be replayed.
        let next = if parts.method == Method::GET {
            parts
                .uri
                .path_and_query()
                .map_or(HOME, |p| p.as_str())
                .to_owned()
        } else {
            HOME.to_owned()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::SignInRequired { next });
        };
        let token_hash = hash_token(token);
        match state.store.find_session(&token_hash, Utc::now()).await? {
            Some(session) => Ok(Self {
                token_hash,
                csrf_token: session.csrf_token,
            }),
            None => Err(PageError::SignInRequired { next }),
        }
    }
}

/// Opens a session for an already verified `api_key`; returns the `Set-Cookie` value.
pub(super) async fn open(state: &AppState, api_key: &str) -> Result<String, PageError> {
    let token = random_token();
    let now = Utc::now();
    let new = NewSession {
        token_hash: hash_token(&token),
        api_key_hash: hash_key(api_key),
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + Duration::days(SESSION_DAYS),
    };
    state.store.create_session(&new).await?;
    Ok(set_cookie(
        SESSION_COOKIE,
        &token,
        "/",
        SESSION_DAYS * 24 * 3600,
        &state.settings,
    ))
}

/// The `Set-Cookie` value that removes the session cookie.
pub(super) fn clear(settings: &HttpSettings) -> String {
    set_cookie(SESSION_COOKIE, "", "/", 0, settings)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, and Secure when we are served over https.
pub(super) fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_secs: i64,
    settings: &HttpSettings,
) -> String {
    let secure = if settings.base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{name}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// The value of the cookie `name`, if the request carries it.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value)
}

/// A fresh random 256-bit token, hex-encoded.
pub(super) fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// The stored form of a session token.
fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `raw` when it is a path on this site, else [`HOME`]; keeps `next` from redirecting
/// anywhere else (`//evil.example`, `https://…`, `/\evil.example`, control characters).
pub fn safe_next(raw: Option<&str>) -> String {
    match raw {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => HOME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn next_must_be_a_local_path() {
        for ok in ["/app", "/app/links/abc?range=7d", "/"] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "",
            "/app\r\nSet-Cookie: x=1",
        ] {
            assert_eq!(safe_next(Some(bad)), HOME, "{bad:?}");
        }
        assert_eq!(safe_next(None), HOME);
    }

    #[test]
    fn cookies_are_found_across_headers_and_pairs() {
        let mut headers = HeaderMap::new();
        headers.append("cookie", HeaderValue::from_static("a=1; lp_session=abc"));
        headers.append("cookie", HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&headers, "lp_session"), Some("abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "session"), None);
    }

    #[test]
    fn tokens_are_random_and_hashes_differ_from_tokens() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(hash_token(&a), a);
        assert_eq!(hash_token(&a), hash_token(&a));
    }
}
