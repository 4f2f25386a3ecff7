//! Dynamic redirect rules, as Shlink 5 has them: ordered rules, each a long URL and conditions
//! that must all hold; the first rule that matches a visit chooses its destination, else the
//! link's own long URL does. Cached with the link and evaluated without I/O.

mod condition;
mod device_urls;
mod language;
mod visitor;

use serde::{Deserialize, Serialize};

pub use condition::Condition;
pub use device_urls::{DEVICE_URL_KEYS, DeviceLongUrls, DeviceUrlsPatch};
pub use language::{LanguageRange, LanguageTag, accepted_languages};
pub use visitor::{Agent, Browser, Device, Locate, Place, Visitor};

use super::{LinkError, LongUrl, OwnOrigin};

/// Most rules a link may carry.
pub const MAX_RULES: usize = 50;

/// Most conditions one rule may carry.
pub const MAX_CONDITIONS: usize = 20;

/// Why a rule set cannot be stored; the text says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A condition's `type` is not one we know.
    #[error(
        "unknown condition type {0:?}: use device, language, query-param, any-value-query-param, valueless-query-param, ip-address, geolocation-country-code, geolocation-city-name, before-date, after-date or browser"
    )]
    UnknownType(String),
    /// The condition needs a `matchValue`.
    #[error("a {0} condition needs a matchValue")]
    MissingValue(String),
    /// The condition needs a `matchKey` (the query parameter's name).
    #[error("a {0} condition needs a matchKey (the query parameter's name)")]
    MissingKey(String),
    /// A value is malformed; the text names the expected form.
    #[error("invalid condition value: {0}")]
    Invalid(&'static str),
    /// A rule's long URL breaks the link rules.
    #[error(transparent)]
    LongUrl(#[from] LinkError),
    /// A rule without conditions would always match.
    #[error("a rule needs at least one condition")]
    NoConditions,
    /// Too many rules or conditions.
    #[error("at most {MAX_RULES} rules of at most {MAX_CONDITIONS} conditions each")]
    TooMany,
}

/// Shlink's wire form of a condition, as the API and the store carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionParts {
    /// The condition type, e.g. `device`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The query parameter's name, for the query conditions.
    #[serde(default)]
    pub match_key: Option<String>,
    /// The value to match.
    #[serde(default)]
    pub match_value: Option<String>,
}

impl From<&Condition> for ConditionParts {
    fn from(condition: &Condition) -> Self {
        let (kind, match_key, match_value) = condition.to_parts();
        Self {
            kind: kind.to_owned(),
            match_key,
            match_value,
        }
    }
}

/// One rule: where the visit goes when every condition holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectRule {
    /// The rule's destination.
    pub long_url: LongUrl,
    /// Conditions, all of which must hold.
    pub conditions: Vec<Condition>,
}

impl RedirectRule {
    /// Validates a rule given through the API (its long URL may not point back at `own`).
    pub fn parse(
        long_url: &str,
        conditions: &[ConditionParts],
        own: &OwnOrigin<'_>,
    ) -> Result<Self, RuleError> {
        Self::build(LongUrl::parse(long_url, own)?, conditions)
    }

    /// Reads a rule back from the store (the base URL it was checked against may have changed).
    pub fn parse_stored(long_url: &str, conditions: &[ConditionParts]) -> Result<Self, RuleError> {
        Self::build(LongUrl::parse_stored(long_url)?, conditions)
    }

    fn build(long_url: LongUrl, conditions: &[ConditionParts]) -> Result<Self, RuleError> {
        if conditions.is_empty() {
            return Err(RuleError::NoConditions);
        }
        if conditions.len() > MAX_CONDITIONS {
            return Err(RuleError::TooMany);
        }
        let conditions = conditions
            .iter()
            .map(|c| Condition::parse(&c.kind, c.match_key.as_deref(), c.match_value.as_deref()))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            long_url,
            conditions,
        })
    }

    /// The conditions in wire form.
    pub fn condition_parts(&self) -> Vec<ConditionParts> {
        self.conditions.iter().map(ConditionParts::from).collect()
    }

    /// Whether every condition holds for `visitor`.
    pub fn matches(&self, visitor: &Visitor<'_>) -> bool {
        self.conditions
            .iter()
            .all(|condition| condition.matches(visitor))
    }
}

/// A link's rules in priority order (the first is priority 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectRules(Vec<RedirectRule>);

impl RedirectRules {
    /// Rules in priority order; at most [`MAX_RULES`].
    pub fn new(rules: Vec<RedirectRule>) -> Result<Self, RuleError> {
        if rules.len() > MAX_RULES {
            return Err(RuleError::TooMany);
        }
        Ok(Self(rules))
    }

    /// The rules, first priority first.
    pub fn rules(&self) -> &[RedirectRule] {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The destination of the first rule `visitor` matches, if any.
    pub fn choose(&self, visitor: &Visitor<'_>) -> Option<&LongUrl> {
        self.0
            .iter()
            .find(|rule| rule.matches(visitor))
            .map(|rule| &rule.long_url)
    }
}

#[cfg(test)]
mod tests;
