//! `ShortCode`: the path segment that identifies a link, custom or generated.

use rand::RngExt;

use super::LinkError;

/// Longest accepted custom slug, in characters.
pub const MAX_SLUG_LEN: usize = 64;
/// Length of generated codes unless the client asks for another.
pub const DEFAULT_CODE_LEN: usize = 5;
/// Shortest generated code a client may ask for (Shlink's lower bound).
pub const MIN_CODE_LEN: usize = 4;

/// Path segments our own routes use; a slug equal to one of them would be unreachable.
const RESERVED: &[&str] = &[
    "rest",
    "app",
    "static",
    "metrics",
    "admin",
    "health",
    "favicon.ico",
    "robots.txt",
];

/// Generated codes avoid vowels (no accidental words) and look-alikes (0/O, 1/l/I).
const ALPHABET: &[u8] = b"23456789bcdfghjkmnpqrstvwxyzBCDFGHJKLMNPQRSTVWXYZ";

/// A short code that is safe to store and to route: letters, digits, `-` and `_`, never reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShortCode(String);

impl ShortCode {
    /// Validates a client-chosen slug (or a code taken from a request path).
    pub fn parse(raw: &str) -> Result<Self, LinkError> {
        if raw.is_empty() {
            return Err(LinkError::Slug("must not be empty"));
        }
        if raw.chars().count() > MAX_SLUG_LEN {
            return Err(LinkError::Slug("must be at most 64 characters"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(LinkError::Slug(
                "may contain only letters, digits, '-' and '_'",
            ));
        }
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(raw)) {
            return Err(LinkError::Slug("is reserved for linkpulse's own routes"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Draws a random code of `len` characters; callers retry on a collision.
    pub fn generate(len: usize) -> Self {
        let mut rng = rand::rng();
        let code: String = (0..len.max(MIN_CODE_LEN))
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        Self(code)
    }

    /// The code as it appears in the URL path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::text_value!(ShortCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reserved_words_are_refused_in_any_case() {
        for word in [
            "rest", "REST", "Admin", "metrics", "static", "app", "health",
        ] {
            assert!(ShortCode::parse(word).is_err(), "{word} must be refused");
        }
    }

    #[test]
    fn rejects_empty_and_punctuation() {
        assert!(ShortCode::parse("").is_err());
        assert!(ShortCode::parse("a/b").is_err());
        assert!(ShortCode::parse("a b").is_err());
        assert!(ShortCode::parse("héllo").is_err());
        assert!(ShortCode::parse("x.y").is_err());
    }

    proptest! {
        #[test]
        fn generated_codes_are_valid_slugs(len in 4usize..40) {
            let code = ShortCode::generate(len);
            prop_assert_eq!(code.as_str().len(), len);
            prop_assert!(ShortCode::parse(code.as_str()).is_ok());
        }

        #[test]
        fn any_slug_of_allowed_characters_parses(s in "[A-Za-z0-9_-]{6,64}") {
            let code = ShortCode::parse(&s).unwrap();
            prop_assert_eq!(code.as_str(), s.as_str());
        }

        #[test]
        fn too_long_slugs_are_refused(s in "[A-Za-z0-9]{65,100}") {
            prop_assert!(ShortCode::parse(&s).is_err());
        }

        #[test]
        fn any_forbidden_character_is_refused(prefix in "[a-z]{1,5}", bad in "[^A-Za-z0-9_-]", suffix in "[a-z]{0,5}") {
            let slug = format!("{prefix}{bad}{suffix}");
            prop_assert!(ShortCode::parse(&slug).is_err());
        }
    }
}
