//! Which domain a link lives on, and the address (domain and code) that names one link: the
//! same short code may exist once on every domain this instance serves.

use std::borrow::Cow;
use std::fmt;

use super::{LinkError, ShortCode};

/// Shlink's keyword for the default domain; also how the store keeps it, so a new base URL keeps
/// its links and redirects.
pub const DEFAULT_KEYWORD: &str = "DEFAULT";

/// Longest accepted domain (`host[:port]`), in bytes: a DNS name is at most 253.
const MAX_DOMAIN_LEN: usize = 260;

/// A domain other than the default one: a lowercase host name with an optional port, as a
/// request's `Host` header names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Validates `raw` as `host[:port]`: DNS labels (letters, digits, `-`) or an IPv4 address,
    /// compared case-insensitively; no scheme, path or user.
    pub fn parse(raw: &str) -> Result<Self, LinkError> {
        let raw = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if raw.is_empty() || raw.len() > MAX_DOMAIN_LEN {
            return Err(LinkError::Domain(
                "must be a host name of 1 to 253 characters",
            ));
        }
        let (host, port) = match raw.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (raw.as_str(), None),
        };
        if port.is_some_and(|port| port.parse::<u16>().map_or(true, |port| port == 0)) {
            return Err(LinkError::Domain("has a port that is not 1 to 65535"));
        }
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if !host.split('.').all(label_ok) {
            return Err(LinkError::Domain(
                "must be host[:port] with letters, digits, '-' and '.' only (no scheme or path)",
            ));
        }
        if raw.eq_ignore_ascii_case(DEFAULT_KEYWORD) {
            return Err(LinkError::Domain("DEFAULT names the default domain"));
        }
        Ok(Self(raw))
    }

    /// The name as `host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::text_value!(DomainName);

/// The domain of a link: the default one (the base URL's) or another served here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Domain {
    /// The base URL's domain.
    #[default]
    Default,
    /// Another domain, reached by its own `Host`.
    Named(DomainName),
}

impl Domain {
    /// How the store keeps it: `DEFAULT` or the name.
    pub fn key(&self) -> &str {
        match self {
            Self::Default => DEFAULT_KEYWORD,
            Self::Named(name) => name.as_str(),
        }
    }

    /// Reads a stored key back.
    pub fn from_key(key: &str) -> Result<Self, LinkError> {
        if key == DEFAULT_KEYWORD {
            Ok(Self::Default)
        } else {
            DomainName::parse(key).map(Self::Named)
        }
    }

    /// The name to show (`default` is the base URL's authority), `None` for the default domain
    /// as Shlink's API reports it.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Default => None,
            Self::Named(name) => Some(name.as_str()),
        }
    }

    /// Whether this is the default domain.
    pub fn is_default(&self) -> bool {
        matches!(self, Self::Default)
    }
}

/// The one link a domain and a short code name together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkAddress {
    /// The domain it lives on.
    pub domain: Domain,
    /// Its code on that domain.
    pub code: ShortCode,
}

impl LinkAddress {
    /// The link `code` on the default domain.
    pub fn default_domain(code: ShortCode) -> Self {
        Self {
            domain: Domain::Default,
            code,
        }
    }

    /// The text that names it in the redirect cache and in other instances' notices: the code
    /// alone on the default domain, `domain/code` on another (a code never holds a `/`).
    pub fn cache_key(&self) -> Cow<'_, str> {
        match &self.domain {
            Domain::Default => Cow::Borrowed(self.code.as_str()),
            Domain::Named(name) => Cow::Owned(format!("{name}/{}", self.code)),
        }
    }

    /// How the web app's paths name it in one segment: `code` on the default domain,
    /// `code@domain` on another (a code never holds an `@`).
    pub fn segment(&self) -> Cow<'_, str> {
        match &self.domain {
            Domain::Default => Cow::Borrowed(self.code.as_str()),
            Domain::Named(name) => Cow::Owned(format!("{}@{name}", self.code)),
        }
    }

    /// Reads a [`segment`](Self::segment) back; `None` when it names no valid address.
    pub fn from_segment(segment: &str) -> Option<Self> {
        let (code, domain) = match segment.split_once('@') {
            Some((code, domain)) => (code, Domain::Named(DomainName::parse(domain).ok()?)),
            None => (segment, Domain::Default),
        };
        Some(Self {
            domain,
            code: ShortCode::parse(code).ok()?,
        })
    }
}

impl fmt::Display for LinkAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.domain {
            Domain::Default => f.write_str(self.code.as_str()),
            Domain::Named(name) => write!(f, "{}/{}", name, self.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn names_are_hosts_with_an_optional_port() {
        assert_eq!(
            DomainName::parse("Go.Example.COM").unwrap(),
            "go.example.com"
        );
        assert_eq!(
            DomainName::parse("s.example:8080").unwrap(),
            "s.example:8080"
        );
        assert_eq!(
            DomainName::parse("127.0.0.1:3000").unwrap(),
            "127.0.0.1:3000"
        );
        assert_eq!(DomainName::parse("s.example.").unwrap(), "s.example");
        for bad in [
            "",
            "https://s.example",
            "s.example/path",
            "s example",
            "-s.example",
            "s..example",
            "s.example:0",
            "s.example:99999",
            "user@s.example",
            "<script>",
            "DEFAULT",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_default_domain_is_stored_as_its_keyword() {
        assert_eq!(Domain::Default.key(), "DEFAULT");
        assert_eq!(Domain::from_key("DEFAULT").unwrap(), Domain::Default);
        let named = Domain::from_key("go.example").unwrap();
        assert_eq!(named.name(), Some("go.example"));
        assert_eq!(named.key(), "go.example");
    }

    #[test]
    fn cache_keys_keep_domains_apart() {
        let code = ShortCode::parse("abc").unwrap();
        let ours = LinkAddress::default_domain(code.clone());
        let theirs = LinkAddress {
            domain: Domain::Named(DomainName::parse("go.example").unwrap()),
            code,
        };
        assert_eq!(ours.cache_key(), "abc");
        assert_eq!(theirs.cache_key(), "go.example/abc");
        assert_eq!(theirs.to_string(), "go.example/abc");
        assert_eq!(ours.segment(), "abc");
        assert_eq!(theirs.segment(), "abc@go.example");
        assert_eq!(LinkAddress::from_segment("abc@go.example"), Some(theirs));
        assert_eq!(LinkAddress::from_segment("abc"), Some(ours));
        assert_eq!(LinkAddress::from_segment("abc@"), None);
        assert_eq!(LinkAddress::from_segment("a/b"), None);
    }

    proptest! {
        #[test]
        fn a_parsed_name_parses_to_itself(host in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,10}){0,3}", port in proptest::option::of(1u16..)) {
            let raw = match port {
                Some(port) => format!("{host}:{port}"),
                None => host,
            };
            let name = DomainName::parse(&raw).unwrap();
            prop_assert_eq!(DomainName::parse(name.as_str()).unwrap(), name.clone());
            prop_assert_eq!(Domain::from_key(name.as_str()).unwrap(), Domain::Named(name));
        }
    }
}
