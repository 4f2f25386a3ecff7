//! Languages: what a `language` condition names (`en`, `en-US`) and what a visitor accepts
//! (`Accept-Language`, RFC 9110, quality values included).

use std::fmt;

use super::RuleError;

/// A language a visitor accepts: the primary subtag and the region, if given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageTag {
    /// Lower case, e.g. `en`.
    pub language: String,
    /// Upper case, e.g. `US`.
    pub region: Option<String>,
}

impl LanguageTag {
    /// Reads `en`, `en-US`, `en_us`, `zh-Hant-TW` (script subtags skipped); `None` for `*` or
    /// anything that is not a language tag.
    fn parse(raw: &str) -> Option<Self> {
        let mut subtags = raw.trim().split(['-', '_']);
        let language = subtags.next()?;
        if !(2..=8).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic())
        {
            return None;
        }
        let region = subtags
            .find(|subtag| {
                (subtag.len() == 2 && subtag.chars().all(|c| c.is_ascii_alphabetic()))
                    || (subtag.len() == 3 && subtag.chars().all(|c| c.is_ascii_digit()))
            })
            .map(str::to_ascii_uppercase);
        Some(Self {
            language: language.to_ascii_lowercase(),
            region,
        })
    }
}

/// What a `language` condition names: a language, optionally narrowed to a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageRange(LanguageTag);

impl LanguageRange {
    /// `en` (any English) or `en-US` (English as in the US).
    pub fn parse(raw: &str) -> Result<Self, RuleError> {
        LanguageTag::parse(raw).map(Self).ok_or(RuleError::Invalid(
            "a language is a tag such as en or en-US",
        ))
    }

    /// `en` matches every English; `en-US` only English of the US.
    pub fn matches(&self, tag: &LanguageTag) -> bool {
        self.0.language == tag.language
            && self
                .0
                .region
                .as_ref()
                .is_none_or(|region| tag.region.as_ref() == Some(region))
    }
}

impl fmt::Display for LanguageRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.region {
            Some(region) => write!(f, "{}-{region}", self.0.language),
            None => f.write_str(&self.0.language),
        }
    }
}

/// The languages of an `Accept-Language` header that the visitor accepts: every listed tag
/// whose quality is above 0 (`q=0` means "not this one"), best first.
pub fn accepted_languages(header: &str) -> Vec<LanguageTag> {
    let mut weighted: Vec<(u16, usize, LanguageTag)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let tag = LanguageTag::parse(parts.next()?)?;
            let quality = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(parse_quality)
                .unwrap_or(1000);
            (quality > 0).then_some((quality, position, tag))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, tag)| tag).collect()
}

/// An RFC 9110 quality value (`0` to `1` with up to three decimals) in thousandths.
fn parse_quality(raw: &str) -> Option<u16> {
    let value: f64 = raw.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn tags(header: &str) -> Vec<String> {
        accepted_languages(header)
            .iter()
            .map(|tag| match &tag.region {
                Some(region) => format!("{}-{region}", tag.language),
                None => tag.language.clone(),
            })
            .collect()
    }

    #[test]
    fn quality_orders_and_zero_excludes() {
        assert_eq!(
            tags("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
            ["fr-CH", "fr", "en", "de"]
        );
        assert_eq!(tags("en;q=0.2, de"), ["de", "en"]);
        assert_eq!(tags("es;q=0, pt-BR"), ["pt-BR"]);
        assert_eq!(tags("zh-Hant-TW;q=1.0, en_gb;q=0.5"), ["zh-TW", "en-GB"]);
        assert_eq!(
            tags("en;q=2, ;q=1, 12;q=1"),
            ["en"],
            "an out-of-range q counts as 1"
        );
        assert!(tags("").is_empty());
    }

    #[test]
    fn a_language_matches_any_region_a_region_only_itself() {
        let any_english = LanguageRange::parse("en").unwrap();
        let us_english = LanguageRange::parse("en-us").unwrap();
        assert_eq!(us_english.to_string(), "en-US");
        let british = &accepted_languages("en-GB")[0];
        let plain = &accepted_languages("en")[0];
        assert!(any_english.matches(british) && any_english.matches(plain));
        assert!(!us_english.matches(british) && !us_english.matches(plain));
        assert!(us_english.matches(&accepted_languages("en-US")[0]));
        assert!(LanguageRange::parse("e").is_err() && LanguageRange::parse("en-").is_ok());
    }

    proptest! {
        #[test]
        fn every_listed_tag_with_positive_quality_is_accepted_once(
            qualities in proptest::collection::vec(0u16..=1000, 1..8)
        ) {
            let header: Vec<String> = qualities
                .iter()
                .enumerate()
                .map(|(i, q)| format!("l{}x;q={}", char::from(b'a' + i as u8), f64::from(*q) / 1000.0))
                .collect();
            let accepted = accepted_languages(&header.join(", "));
            prop_assert_eq!(accepted.len(), qualities.iter().filter(|q| **q > 0).count());
            let mut previous = u16::MAX;
            for tag in &accepted {
                let index = usize::from(tag.language.as_bytes()[1] - b'a');
                prop_assert!(qualities[index] <= previous, "best first");
                previous = qualities[index];
            }
        }
    }
}
