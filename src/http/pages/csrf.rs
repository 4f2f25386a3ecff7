//! CSRF protection of every form.
//!
//! Signed-in forms carry the session's own token (stored with the session); the sign-in form,
//! and a protected link's password form, which have no session, use a double-submit cookie: the
//! same random value in an HttpOnly, SameSite=Strict cookie and in the form. A cross-site page
//! can read neither, so it cannot forge the pair.

use axum::http::HeaderMap;

use super::PageError;
use super::session::{SignedIn, cookie, random_token, set_cookie};
use crate::http::HttpSettings;

/// `Ok` when `token` is this session's CSRF token; otherwise the 403 page (change nothing).
pub fn verify(signed_in: &SignedIn, token: &str) -> Result<(), PageError> {
    if same(signed_in.csrf_token(), token) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

/// A form shown without a session (sign-in, a protected link's password), protected by a
/// double-submit cookie.
pub struct DoubleSubmit {
    /// The cookie's name.
    cookie: &'static str,
    /// The path the cookie is sent to: `None` is the form's own page, given per call.
    path: Option<&'static str>,
    /// How long one form stays usable.
    max_age_secs: i64,
}

/// The sign-in form's token (only the sign-in page needs its cookie).
pub const LOGIN: DoubleSubmit = DoubleSubmit {
    cookie: "lp_login_csrf",
    path: Some("/app/login"),
    max_age_secs: 24 * 3600,
};

/// A protected link's password form, its cookie scoped to the link's own path.
pub const UNLOCK: DoubleSubmit = DoubleSubmit {
    cookie: "lp_unlock_csrf",
    path: None,
    max_age_secs: 3600,
};

impl DoubleSubmit {
    /// The form's token: the one already in the browser's cookie, or a fresh one.
    pub fn token(&self, headers: &HeaderMap) -> String {
        cookie(headers, self.cookie)
            .filter(|token| token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
            .map_or_else(random_token, str::to_owned)
    }

    /// The `Set-Cookie` value carrying `token` (for a form at a fixed path).
    pub fn cookie(&self, token: &str, settings: &HttpSettings) -> String {
        self.cookie_at(token, self.path.unwrap_or("/"), settings)
    }

    /// The `Set-Cookie` value carrying `token` to `path` (for a form whose page varies).
    pub fn cookie_at(&self, token: &str, path: &str, settings: &HttpSettings) -> String {
        set_cookie(self.cookie, token, path, self.max_age_secs, settings)
    }

    /// The `Set-Cookie` value removing the token once the form has done its work.
    pub fn clear_cookie(&self, settings: &HttpSettings) -> String {
        set_cookie(self.cookie, "", self.path.unwrap_or("/"), 0, settings)
    }

    /// `Ok` when the form's token matches its cookie; else the 403 page (change nothing).
    pub fn verify(&self, headers: &HeaderMap, token: &str) -> Result<(), PageError> {
        match cookie(headers, self.cookie) {
            Some(expected) if same(expected, token) => Ok(()),
            _ => Err(PageError::Csrf),
        }
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
        let value = format!("lp_login_csrf={token}");
        headers.insert("cookie", HeaderValue::try_from(value).unwrap());
        assert_eq!(LOGIN.token(&headers), token);
        assert!(LOGIN.verify(&headers, &token).is_ok());
        assert!(LOGIN.verify(&headers, "wrong").is_err());
        assert!(LOGIN.verify(&HeaderMap::new(), &token).is_err());
        assert!(
            UNLOCK.verify(&headers, &token).is_err(),
            "each form has its own cookie"
        );

        let mut forged = HeaderMap::new();
        forged.insert("cookie", HeaderValue::from_static("lp_login_csrf=short"));
        assert_ne!(LOGIN.token(&forged), "short");
    }
}
