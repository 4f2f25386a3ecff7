//! Where visitors who miss a link are sent instead of our 404 page: Shlink's "not found"
//! redirects of a domain (its bare base URL, an unknown short code, any other path).

use std::sync::{Arc, RwLock};

use url::Url;

use super::{LinkError, LongUrl, OwnOrigin};

/// The three not-found redirects of a domain; `None` shows our own page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotFoundRedirects {
    /// For the bare base URL (`/`).
    pub base_url: Option<RedirectUrl>,
    /// For a path that is no short code nor any of our routes.
    pub regular_404: Option<RedirectUrl>,
    /// For a short code no enabled link has.
    pub invalid_short_url: Option<RedirectUrl>,
}

/// Which miss a visitor made, to pick its redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// The bare base URL.
    BaseUrl,
    /// Any other unknown path.
    Regular404,
    /// A short code no enabled link has.
    InvalidShortUrl,
}

impl NotFoundRedirects {
    /// Where a visitor who made `miss` on `domain` at `path` goes, placeholders filled in.
    pub fn target(&self, miss: Miss, domain: &str, path: &str) -> Option<String> {
        let url = match miss {
            Miss::BaseUrl => self.base_url.as_ref(),
            Miss::Regular404 => self.regular_404.as_ref(),
            Miss::InvalidShortUrl => self.invalid_short_url.as_ref(),
        }?;
        Some(url.filled(domain, path))
    }

    /// These redirects with the fields present in `patch` replaced.
    pub fn patched(&self, patch: NotFoundRedirectsPatch) -> Self {
        Self {
            base_url: patch.base_url.unwrap_or_else(|| self.base_url.clone()),
            regular_404: patch
                .regular_404
                .unwrap_or_else(|| self.regular_404.clone()),
            invalid_short_url: patch
                .invalid_short_url
                .unwrap_or_else(|| self.invalid_short_url.clone()),
        }
    }
}

/// A change to the redirects: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotFoundRedirectsPatch {
    /// The new base URL redirect, if it changes.
    pub base_url: Option<Option<RedirectUrl>>,
    /// The new regular 404 redirect, if it changes.
    pub regular_404: Option<Option<RedirectUrl>>,
    /// The new invalid short URL redirect, if it changes.
    pub invalid_short_url: Option<Option<RedirectUrl>>,
}

/// A not-found redirect's destination: a long URL, which may hold Shlink's placeholders
/// `{DOMAIN}` and `{ORIGINAL_PATH}`. It may name our own pages under `/app`, never a path that
/// could miss again and loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrl(String);

/// Where a redirect may lead on our own origin: the web app, which always answers.
const OWN_PAGES: &str = "/app";

impl RedirectUrl {
    /// Validates `raw` as a long URL (placeholders allowed) that does not loop back at `own`.
    pub fn parse(raw: &str, own: &OwnOrigin<'_>) -> Result<Self, LinkError> {
        let checked = LongUrl::parse_stored(&Self::filled_raw(raw.trim(), "example.com", ""))?;
        let url = Url::parse(checked.as_str()).map_err(|_| LinkError::LongUrl("is not a URL"))?;
        if own.is_ours(&url) && !is_own_page(url.path()) {
            return Err(LinkError::LongUrl(
                "must not point back at this shortener, except its pages under /app",
            ));
        }
        Ok(Self(raw.trim().to_owned()))
    }

    /// Reads a redirect back from the store, where it was validated on the way in.
    pub fn stored(raw: String) -> Self {
        Self(raw)
    }

    /// The URL as configured, placeholders unfilled.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with `{DOMAIN}` and `{ORIGINAL_PATH}` (the path without its leading `/`) filled.
    fn filled(&self, domain: &str, path: &str) -> String {
        Self::filled_raw(&self.0, domain, path.trim_start_matches('/'))
    }

    fn filled_raw(raw: &str, domain: &str, path: &str) -> String {
        raw.replace("{DOMAIN}", domain)
            .replace("{ORIGINAL_PATH}", path)
    }
}

super::text_value!(RedirectUrl);

/// Whether `path` is one of our web app's pages.
fn is_own_page(path: &str) -> bool {
    path == OWN_PAGES || path.starts_with("/app/")
}

/// The redirects the redirect path follows, held in memory so a miss costs no database call;
/// replaced as a whole when they change here or on another instance.
#[derive(Debug, Clone, Default)]
pub struct NotFoundCache(Arc<RwLock<Arc<NotFoundRedirects>>>);

impl NotFoundCache {
    /// The redirects as last loaded.
    pub fn current(&self) -> Arc<NotFoundRedirects> {
        Arc::clone(
            &self
                .0
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Puts `redirects` in place of the current ones.
    pub fn replace(&self, redirects: NotFoundRedirects) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(redirects);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://s.example/").unwrap()
    }

    fn parse(raw: &str) -> Result<RedirectUrl, LinkError> {
        RedirectUrl::parse(raw, &OwnOrigin::of(&base()))
    }

    #[test]
    fn placeholders_are_filled_per_visit() {
        let redirects = NotFoundRedirects {
            invalid_short_url: Some(
                parse("https://help.example/{DOMAIN}/{ORIGINAL_PATH}").unwrap(),
            ),
            ..NotFoundRedirects::default()
        };
        assert_eq!(
            redirects
                .target(Miss::InvalidShortUrl, "s.example", "/abc")
                .as_deref(),
            Some("https://help.example/s.example/abc")
        );
        assert_eq!(redirects.target(Miss::BaseUrl, "s.example", "/"), None);
        assert_eq!(
            redirects.target(Miss::Regular404, "s.example", "/x/y"),
            None
        );
    }

    #[test]
    fn only_our_pages_may_be_named_on_our_origin() {
        assert!(parse("https://s.example/app").is_ok());
        assert!(parse("https://s.example/app/links/new").is_ok());
        assert!(parse("https://s.example/").is_err());
        assert!(parse("https://s.example/{ORIGINAL_PATH}").is_err());
        assert!(parse("https://s.example/application").is_err());
        assert!(parse("not a url").is_err());
        assert!(parse("ftp://files.example/").is_err());
        assert!(parse("https://{DOMAIN}.other.example/").is_ok());
    }

    #[test]
    fn a_patch_replaces_only_what_it_names() {
        let url = |raw: &str| parse(raw).unwrap();
        let current = NotFoundRedirects {
            base_url: Some(url("https://a.example/")),
            regular_404: Some(url("https://b.example/")),
            invalid_short_url: None,
        };
        let patched = current.patched(NotFoundRedirectsPatch {
            base_url: Some(None),
            invalid_short_url: Some(Some(url("https://c.example/"))),
            ..NotFoundRedirectsPatch::default()
        });
        assert_eq!(patched.base_url, None);
        assert_eq!(patched.regular_404, current.regular_404);
        assert_eq!(patched.invalid_short_url, Some(url("https://c.example/")));
    }
}
