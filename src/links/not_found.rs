//! Where visitors who miss a link are sent instead of our 404 page: Shlink's "not found"
//! redirects of a domain (its bare base URL, an unknown short code, any other path).

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use url::Url;

use super::{Domain, DomainName, LinkError, LongUrl, OwnOrigin};

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

/// The domains served here with their not-found redirects, held in memory so routing a request
/// by its `Host` and answering a miss cost no database call; replaced as a whole when they change
/// here or on another instance.
#[derive(Debug, Clone, Default)]
pub struct DomainDirectory(Arc<RwLock<Arc<BTreeMap<Domain, NotFoundRedirects>>>>);

impl DomainDirectory {
    /// Every domain served with its own redirects, the default first, the others by name.
    pub fn all(&self) -> Arc<BTreeMap<Domain, NotFoundRedirects>> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether links were ever created on `name` (or its redirects set).
    pub fn serves(&self, name: &DomainName) -> bool {
        self.all().contains_key(&Domain::Named(name.clone()))
    }

    /// Where misses on `domain` go: its own redirect for each kind of miss, else the default
    /// domain's (Shlink's `defaultRedirects`).
    pub fn redirects_for(&self, domain: &Domain) -> NotFoundRedirects {
        let all = self.all();
        let defaults = all.get(&Domain::Default).cloned().unwrap_or_default();
        match all.get(domain) {
            Some(own) if !domain.is_default() => NotFoundRedirects {
                base_url: own.base_url.clone().or(defaults.base_url),
                regular_404: own.regular_404.clone().or(defaults.regular_404),
                invalid_short_url: own.invalid_short_url.clone().or(defaults.invalid_short_url),
            },
            _ => defaults,
        }
    }

    /// Puts `domains` in place of the current ones.
    pub fn replace(&self, domains: impl IntoIterator<Item = (Domain, NotFoundRedirects)>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) =
            Arc::new(domains.into_iter().collect());
    }

    /// Records `domain`'s new redirects.
    pub fn set(&self, domain: Domain, redirects: NotFoundRedirects) {
        let mut all = (*self.all()).clone();
        all.insert(domain, redirects);
        self.replace(all);
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

    #[test]
    fn a_domain_falls_back_on_the_default_redirects_kind_by_kind() {
        let url = |raw: &str| Some(parse(raw).unwrap());
        let name = DomainName::parse("go.example").unwrap();
        let directory = DomainDirectory::default();
        directory.replace([
            (
                Domain::Default,
                NotFoundRedirects {
                    base_url: url("https://home.example/"),
                    regular_404: url("https://lost.example/"),
                    invalid_short_url: None,
                },
            ),
            (
                Domain::Named(name.clone()),
                NotFoundRedirects {
                    base_url: url("https://go-home.example/"),
                    ..NotFoundRedirects::default()
                },
            ),
        ]);
        assert!(directory.serves(&name));
        assert!(!directory.serves(&DomainName::parse("else.example").unwrap()));
        let theirs = directory.redirects_for(&Domain::Named(name));
        assert_eq!(theirs.base_url, url("https://go-home.example/"));
        assert_eq!(theirs.regular_404, url("https://lost.example/"));
        assert_eq!(theirs.invalid_short_url, None);
        let unknown = Domain::Named(DomainName::parse("else.example").unwrap());
        assert_eq!(
            directory.redirects_for(&unknown).base_url,
            url("https://home.example/")
        );
    }
}
