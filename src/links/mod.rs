//! The link domain: validated value types and the rules a redirect obeys.

/// Shows a validated text value as its text and compares it with plain text, so templates,
/// logs and tests read it like the string it wraps.
macro_rules! text_value {
    ($name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}
use text_value;

mod cache;
mod domain;
mod long_url;
mod model;
mod not_found;
mod own_origin;
mod password;
mod redirect_target;
pub mod rules;
pub mod service;
mod short_code;
mod split;
mod tag;
pub mod utm;

pub use cache::RedirectCache;
pub use domain::{DEFAULT_KEYWORD, Domain, DomainName, LinkAddress};
pub use long_url::LongUrl;
pub use model::{
    Author, NewShortUrl, ShortUrl, ShortUrlFilter, ShortUrlOrder, ShortUrlPatch, TagFilter,
    TagOrder, TagStats, TagsMode,
};
pub use not_found::{
    DomainDirectory, Miss, NotFoundRedirects, NotFoundRedirectsPatch, RedirectUrl,
};
pub use own_origin::OwnOrigin;
pub use password::{LinkPassword, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, PasswordError, PasswordHash};
pub use redirect_target::RedirectTarget;
pub use short_code::{DEFAULT_CODE_LEN, MAX_SLUG_LEN, MIN_CODE_LEN, ShortCode};
pub use split::{Bucket, Destination, DestinationParts, MAX_DESTINATIONS, Split, SplitError};
pub use tag::Tag;

/// Why a piece of user input is not acceptable as part of a link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The long URL breaks one of the URL rules; the text says which.
    #[error("invalid long URL: {0}")]
    LongUrl(&'static str),
    /// The custom slug breaks one of the slug rules; the text says which.
    #[error("invalid custom slug: {0}")]
    Slug(&'static str),
    /// A domain is no `host[:port]`; the text says why.
    #[error("invalid domain: {0}")]
    Domain(&'static str),
    /// A tag is empty, too long or carries control characters.
    #[error("invalid tag: {0}")]
    Tag(&'static str),
    /// The password is too short or too long, or a stored hash is not one.
    #[error(transparent)]
    Password(#[from] PasswordError),
}
