//! What an API key's roles let a request see and do, as Shlink enforces them: an author-only
//! key sees only the links created with it, a domain-only key only its domain's links, a key
//! without orphan visits none of those; only admin keys rename or delete tags.

use url::Url;

use super::domains::api_domain;
use super::error::ApiError;
use super::extract::ApiKey;
use crate::links::{Author, Domain, ShortUrl};

/// The domains whose links a key may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainReach {
    /// Every domain's (the key has no domain role).
    Every,
    /// Only this domain's (Shlink's `DOMAIN_SPECIFIC`).
    Only(Domain),
    /// None: the key's domain is no longer a valid name.
    Nothing,
}

impl ApiKey {
    /// Whether the key has no roles.
    pub fn is_admin(&self) -> bool {
        self.0.roles.is_admin()
    }

    /// The key's id when it sees only its own links.
    pub fn own_links_only(&self) -> Option<i64> {
        self.0.roles.author_only.then_some(self.0.id)
    }

    /// The id to record as the author of a link this key creates.
    pub fn author_id(&self) -> i64 {
        self.0.id
    }

    /// Whether the key may see the links of the default domain (a domain-only key for another
    /// domain sees none).
    pub fn sees_our_domain(&self, base: &Url) -> bool {
        self.sees_domain(&Domain::Default, base)
    }

    /// Whether the key may see the links of `domain`: every key but one limited to another.
    pub fn sees_domain(&self, domain: &Domain, base: &Url) -> bool {
        self.0
            .roles
            .domain_only
            .as_deref()
            .is_none_or(|only| api_domain(Some(only), base).is_ok_and(|only| only == *domain))
    }

    /// The domains whose links the key may see.
    pub fn reach(&self, base: &Url) -> DomainReach {
        match self.0.roles.domain_only.as_deref() {
            None => DomainReach::Every,
            Some(only) => {
                api_domain(Some(only), base).map_or(DomainReach::Nothing, DomainReach::Only)
            }
        }
    }

    /// Whether the key may see `link`.
    pub fn may_see(&self, link: &ShortUrl, base: &Url) -> bool {
        self.sees_domain(&link.domain, base)
            && self
                .own_links_only()
                .is_none_or(|id| link.author_key_id == Some(id))
    }

    /// Whether the key may see orphan visits.
    pub fn sees_orphan_visits(&self, base: &Url) -> bool {
        !self.0.roles.no_orphan_visits
            && self.0.roles.domain_only.is_none()
            && self.sees_our_domain(base)
    }

    /// Whose links a list shows: an author-only key's own; else `apiKeyName`, which a limited
    /// key may only use with its own name (any other is ignored, as in Shlink).
    pub fn list_author(&self, api_key_name: Option<&str>) -> Option<Author> {
        if let Some(id) = self.own_links_only() {
            return Some(Author::Key(id));
        }
        let name = api_key_name.map(str::trim).filter(|n| !n.is_empty())?;
        (self.is_admin() || name == self.0.name).then(|| Author::Named(name.to_owned()))
    }

    /// Refuses tag renames and deletions to limited keys, which could touch others' links.
    pub fn may_edit_tags(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::ForbiddenTagOperation)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{KeyIdentity, KeyRoles};

    fn key(roles: KeyRoles) -> ApiKey {
        ApiKey(Arc::new(KeyIdentity {
            id: 7,
            name: "seven".to_owned(),
            roles,
        }))
    }

    fn base() -> Url {
        Url::parse("https://s.example/").unwrap()
    }

    #[test]
    fn an_admin_key_sees_everything_and_may_filter_by_any_author() {
        let admin = key(KeyRoles::default());
        assert!(admin.is_admin() && admin.may_edit_tags().is_ok());
        assert!(admin.sees_orphan_visits(&base()));
        assert_eq!(admin.list_author(None), None);
        assert_eq!(
            admin.list_author(Some("other")),
            Some(Author::Named("other".to_owned()))
        );
    }

    #[test]
    fn an_author_only_key_sees_its_own_links() {
        let author = key(KeyRoles {
            author_only: true,
            ..KeyRoles::default()
        });
        assert_eq!(author.list_author(Some("other")), Some(Author::Key(7)));
        assert!(author.may_edit_tags().is_err());
        assert!(author.sees_orphan_visits(&base()));
    }

    #[test]
    fn a_limited_key_may_name_only_itself() {
        let limited = key(KeyRoles {
            no_orphan_visits: true,
            ..KeyRoles::default()
        });
        assert!(!limited.sees_orphan_visits(&base()));
        assert_eq!(limited.list_author(Some("other")), None);
        assert_eq!(
            limited.list_author(Some("seven")),
            Some(Author::Named("seven".to_owned()))
        );
    }

    #[test]
    fn a_domain_only_key_sees_only_its_domain() {
        let ours = key(KeyRoles {
            domain_only: Some("S.example".to_owned()),
            ..KeyRoles::default()
        });
        assert!(ours.sees_our_domain(&base()));
        assert!(
            !ours.sees_orphan_visits(&base()),
            "orphan visits have no domain"
        );
        let theirs = key(KeyRoles {
            domain_only: Some("elsewhere.example".to_owned()),
            ..KeyRoles::default()
        });
        assert!(!theirs.sees_our_domain(&base()));
    }
}
