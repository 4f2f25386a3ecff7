//! `LongUrl`: the destination of a link, checked so a redirect can never be turned against users.

use url::Url;

use super::{LinkError, OwnOrigin};

/// Longest accepted long URL, in bytes.
pub const MAX_LONG_URL_LEN: usize = 8 * 1024;

/// An absolute `http`/`https` URL with a host, no user-info, bounded length, not pointing at us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongUrl(String);

impl LongUrl {
    /// Validates `raw`; a link may not point back at `own` (see [`OwnOrigin::is_ours`]).
    pub fn parse(raw: &str, own: &OwnOrigin<'_>) -> Result<Self, LinkError> {
        let url = Self::check(raw)?;
        if own.is_ours(&url) {
            return Err(LinkError::LongUrl("must not point back at this shortener"));
        }
        Ok(Self(url.into()))
    }

    /// Validates a long URL read back from the store: every rule but the one against our own
    /// base URL, which held for the base URL of the day it was written and may have changed since.
    pub fn parse_stored(raw: &str) -> Result<Self, LinkError> {
        Self::check(raw).map(|url| Self(url.into()))
    }

    /// The rules that do not depend on our own base URL.
    fn check(raw: &str) -> Result<Url, LinkError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(LinkError::LongUrl("must not be empty"));
        }
        if raw.len() > MAX_LONG_URL_LEN {
            return Err(LinkError::LongUrl("must be at most 8 KiB"));
        }
        let url = Url::parse(raw).map_err(|_| LinkError::LongUrl("is not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(LinkError::LongUrl("must use http or https"));
        }
        if url.host_str().is_none() {
            return Err(LinkError::LongUrl("must have a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(LinkError::LongUrl("must not contain user info"));
        }
        Ok(url)
    }

    /// The normalised URL text, as stored and redirected to.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::text_value!(LongUrl);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base() -> Url {
        Url::parse("https://lp.example/").unwrap()
    }

    fn parse(raw: &str) -> Result<LongUrl, LinkError> {
        LongUrl::parse(raw, &OwnOrigin::of(&base()))
    }

    #[test]
    fn a_stored_url_may_point_at_a_base_url_that_changed_since() {
        let ours = "https://lp.example/x";
        assert!(parse(ours).is_err());
        assert_eq!(LongUrl::parse_stored(ours).unwrap().as_str(), ours);
        assert!(LongUrl::parse_stored("ftp://example.com/").is_err());
    }

    #[test]
    fn accepts_plain_http_and_https() {
        assert!(parse("https://example.com/a?b=c#d").is_ok());
        assert!(parse("http://example.com").is_ok());
    }

    #[test]
    fn rejects_dangerous_schemes_and_shapes() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "ftp://example.com/",
            "https://bank.com@evil.example/",
            "https://user:pw@example.com/",
            "/relative/path",
            "example.com",
            "https://lp.example/abc",
            "https://lp.example:443/abc",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn another_port_on_our_host_is_not_us() {
        assert!(parse("https://lp.example:8443/x").is_ok());
    }

    #[test]
    fn length_limit_is_8_kib() {
        let ok = format!("https://example.com/{}", "a".repeat(MAX_LONG_URL_LEN - 20));
        assert!(parse(&ok).is_ok());
        let too_long = format!("https://example.com/{}", "a".repeat(MAX_LONG_URL_LEN));
        assert!(parse(&too_long).is_err());
    }

    proptest! {
        #[test]
        fn any_non_web_scheme_is_rejected(scheme in "[a-z][a-z0-9+]{1,10}", rest in "[a-z0-9/.]{1,20}") {
            prop_assume!(scheme != "http" && scheme != "https");
            let raw = format!("{scheme}://{rest}");
            prop_assert!(parse(&raw).is_err());
        }

        #[test]
        fn user_info_is_always_rejected(user in "[a-z]{1,10}", host in "[a-z]{1,10}\\.com") {
            let raw = format!("https://{user}@{host}/");
            prop_assert!(parse(&raw).is_err());
        }

        #[test]
        fn ordinary_web_urls_are_accepted(host in "[a-z]{1,12}\\.(com|org|net)", path in "[a-zA-Z0-9/_-]{0,40}") {
            let raw = format!("https://{host}/{path}");
            prop_assert!(parse(&raw).is_ok());
        }
    }
}
