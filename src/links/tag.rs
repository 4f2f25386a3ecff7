//! `Tag`: a label a link can carry, trimmed and bounded.

use super::LinkError;

/// Longest accepted tag, in characters.
const MAX_TAG_LEN: usize = 100;

/// A tag name that is non-empty, trimmed, short and free of control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// Validates one tag as a client sent it.
    pub fn parse(raw: &str) -> Result<Self, LinkError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(LinkError::Tag("must not be empty"));
        }
        if trimmed.chars().count() > MAX_TAG_LEN {
            return Err(LinkError::Tag("must be at most 100 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(LinkError::Tag("must not contain control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Validates a list, dropping duplicates while keeping the first-seen order.
    pub fn parse_all<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Self>, LinkError> {
        let mut tags: Vec<Self> = Vec::with_capacity(raw.len());
        for item in raw {
            let tag = Self::parse(item.as_ref())?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(tags)
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::text_value!(Tag);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_deduplicates() {
        let tags = Tag::parse_all(&[" a ", "b", "a"]).unwrap();
        assert_eq!(
            tags,
            vec![Tag::parse("a").unwrap(), Tag::parse("b").unwrap()]
        );
    }

    #[test]
    fn refuses_blank_long_and_control() {
        assert!(Tag::parse("   ").is_err());
        assert!(Tag::parse(&"x".repeat(101)).is_err());
        assert!(Tag::parse("a\nb").is_err());
    }
}
