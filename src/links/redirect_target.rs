//! `RedirectTarget`: what the redirect path needs to know about a link, and the rules it applies.

use chrono::{DateTime, Utc};
use url::Url;

use super::rules::{RedirectRules, Visitor};
use super::{Bucket, PasswordHash, Split};

/// The cached, read-only view of a link that the redirect handler consults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTarget {
    /// Row id, carried into click events.
    pub link_id: i64,
    /// Where the redirect goes.
    pub long_url: String,
    /// Whether the request's query string is merged into the long URL.
    pub forward_query: bool,
    /// The link answers 404 before this instant.
    pub valid_since: Option<DateTime<Utc>>,
    /// The link answers 404 after this instant.
    pub valid_until: Option<DateTime<Utc>>,
    /// The link answers 404 once this many human visits were granted.
    pub max_visits: Option<i64>,
    /// Human (non-bot) visits granted so far, as last read: each new one is taken from the
    /// store ([`crate::store::LinkStore::take_capped_visit`]), this only spares the asking once
    /// the cap is known to be used up.
    pub non_bot_visits: i64,
    /// Redirect rules that may choose another destination than `long_url`.
    pub rules: RedirectRules,
    /// Where visitors go while the link does not redirect (expired, not yet valid, capped).
    pub expired_url: Option<String>,
    /// Visitors must give this password before they are redirected (or counted).
    pub password: Option<PasswordHash>,
    /// Shares of the visitors sent to other destinations when no rule matched.
    pub split: Split,
}

impl RedirectTarget {
    /// Whether the link may redirect at `now`: inside its validity window and under its visit cap.
    pub fn is_enabled_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_since.is_none_or(|since| now >= since)
            && self.valid_until.is_none_or(|until| now <= until)
            && self.max_visits.is_none_or(|max| self.non_bot_visits < max)
    }

    /// Where `visitor` goes before any query is merged in: the first matching rule's long URL,
    /// else the split's choice for the visitor's `bucket` (asked for only when the link has a
    /// split), else the link's own.
    pub fn destination(&self, visitor: &Visitor<'_>, bucket: Option<Bucket>) -> &str {
        if let Some(url) = self.rules.choose(visitor) {
            return url.as_str();
        }
        bucket
            .and_then(|bucket| self.split.choose(bucket))
            .map_or(self.long_url.as_str(), |url| url.as_str())
    }

    /// The `Location` for `destination`: the request's query merged in when forwarding is on.
    pub fn location(&self, destination: &str, visitor: &Visitor<'_>) -> String {
        let long_url = destination;
        match visitor.query_string.filter(|q| !q.is_empty()) {
            Some(query) if self.forward_query => merge_query(long_url, query),
            _ => long_url.to_owned(),
        }
    }
}

/// Request parameters override the long URL's parameters of the same name; order is otherwise kept.
fn merge_query(long_url: &str, request_query: &str) -> String {
    let Ok(mut url) = Url::parse(long_url) else {
        return long_url.to_owned();
    };
    let incoming: Vec<(String, String)> = url::form_urlencoded::parse(request_query.as_bytes())
        .into_owned()
        .collect();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(key, _)| !incoming.iter().any(|(k, _)| k == key))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(incoming);
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::rules::{ConditionParts, RedirectRule};
    use chrono::Duration;

    fn target(url: &str) -> RedirectTarget {
        RedirectTarget {
            link_id: 1,
            long_url: url.to_owned(),
            forward_query: true,
            valid_since: None,
            valid_until: None,
            max_visits: None,
            non_bot_visits: 0,
            rules: RedirectRules::default(),
            expired_url: None,
            password: None,
            split: Split::default(),
        }
    }

    impl RedirectTarget {
        /// The `Location` for a visit without a split bucket.
        fn route(&self, visitor: &Visitor<'_>) -> String {
            self.location(self.destination(visitor, None), visitor)
        }
    }

    /// A visit with `query` and nothing else known.
    fn with_query(query: Option<&str>) -> Visitor<'_> {
        Visitor::new(None, None, query, None, Utc::now(), &|_| None)
    }

    #[test]
    fn forwards_and_overrides_query() {
        let t = target("https://example.com/p?a=1&b=2#frag");
        assert_eq!(
            t.route(&with_query(Some("b=3&c=4"))),
            "https://example.com/p?a=1&b=3&c=4#frag"
        );
        assert_eq!(
            t.route(&with_query(None)),
            "https://example.com/p?a=1&b=2#frag"
        );
    }

    #[test]
    fn no_forwarding_keeps_long_url() {
        let mut t = target("https://example.com/p");
        t.forward_query = false;
        assert_eq!(t.route(&with_query(Some("x=1"))), "https://example.com/p");
    }

    #[test]
    fn a_matching_rule_chooses_the_url_the_query_is_merged_into() {
        let mut t = target("https://example.com/default");
        let parts = [ConditionParts {
            kind: "query-param".into(),
            match_key: Some("lang".into()),
            match_value: Some("fr".into()),
        }];
        let rule = RedirectRule::parse_stored("https://example.com/fr", &parts).unwrap();
        t.rules = RedirectRules::new(vec![rule]).unwrap();
        assert_eq!(
            t.route(&with_query(Some("lang=fr"))),
            "https://example.com/fr?lang=fr"
        );
        assert_eq!(
            t.route(&with_query(Some("lang=de"))),
            "https://example.com/default?lang=de"
        );
    }

    #[test]
    fn validity_window_and_visit_cap() {
        let now = Utc::now();
        let mut t = target("https://example.com/");
        assert!(t.is_enabled_at(now));
        t.valid_since = Some(now + Duration::hours(1));
        assert!(!t.is_enabled_at(now));
        t.valid_since = None;
        t.valid_until = Some(now - Duration::seconds(1));
        assert!(!t.is_enabled_at(now));
        t.valid_until = None;
        t.max_visits = Some(2);
        t.non_bot_visits = 2;
        assert!(!t.is_enabled_at(now));
        t.non_bot_visits = 1;
        assert!(t.is_enabled_at(now));
    }
}
