//! CSRF protection of every form.
//!
//! Signed-in forms carry the session's own token (stored with the session); the sign-in form,
//! which has no session yet, uses a double-submit cookie: the same random value in an HttpOnly
//! cookie and in the form. A cross-site page can read neither, so it cannot forge the pair.

use axum::http::HeaderMap;

use super::PageError;
use super::session::{SignedIn, cookie, random_token, set_cookie};
use crate::http::HttpSettings;

/// Name of the sign-in form's double-submit cookie.
const LOGIN_COOKIE: &str = "lp_login_csrf";

/// Path the sign-in cookie is sent to (only the sign-in page needs it).
const LOGIN_PATH: &str = "/app/login";

/// How long a sign-in form stays usable.
const LOGIN_MAX_AGE_SECS: i64 = 24 * 3600;

/// `Ok` when `token` is this session's CSRF token; otherwise the 403 page (change nothing).
pub fn verify(signed_in: &SignedIn, token: &str) -> Result<(), PageError> {
    if same(signed_in.csrf_token(), token) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

/// The sign-in form's token: the one already in the browser's cookie, or a fresh one.
pub(super) fn login_token(headers: &HeaderMap) -> String {
    cookie(headers, LOGIN_COOKIE)
        .filter(|token| token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(random_token, str::to_owned)
}

/// The `Set-Cookie` value carrying the sign-in form's token.
pub(super) fn login_cookie(token: &str, settings: &HttpSettings) -> String {
    set_cookie(
        LOGIN_COOKIE,
        token,
        LOGIN_PATH,
        LOGIN_MAX_AGE_SECS,
        settings,
    )
}

/// The `Set-Cookie` value removing the sign-in token once signed in.
pub(super) fn clear_login_cookie(settings: &HttpSettings) -> String {
    set_cookie(LOGIN_COOKIE, "", LOGIN_PATH, 0, settings)
}

/// `Ok` when the sign-in form's token matches its cookie.
pub(super) fn verify_login(headers: &HeaderMap, token: &str) -> Result<(), PageError> {
    match cookie(headers, LOGIN_COOKIE) {
        Some(expected) if same(expected, token) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

/// Equality in time independent of where the inputs differ; empty never matches.
fn same(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn comparison_needs_identical_non_empty_tokens() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert!(!same("", ""));
    }

    #[test]
    fn login_token_reuses_a_well_formed_cookie_only() {
        let token = random_token();
        let mut headers = HeaderMap::new();
        let value = format!("{LOGIN_COOKIE}={token}");
        headers.insert("cookie", HeaderValue::try_from(value).unwrap());
        assert_eq!(login_token(&headers), token);
        assert!(verify_login(&headers, &token).is_ok());
        assert!(verify_login(&headers, "wrong").is_err());
        assert!(verify_login(&HeaderMap::new(), &token).is_err());

        let mut forged = HeaderMap::new();
        forged.insert("cookie", HeaderValue::from_static("lp_login_csrf=short"));
        assert_ne!(login_token(&forged), "short");
    }
}
