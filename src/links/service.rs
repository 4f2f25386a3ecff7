//! The link service: every edit of a link (create, update, delete, delete its visits) goes
//! through it, so the API and the pages share one set of rules and the redirect cache forgets
//! an edited link at once. Creating chooses the code (a custom slug, or a generated code retried
//! on collision) and applies Shlink's `findIfExists`, which returns a matching existing link.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Domain, DomainDirectory, NotFoundRedirects, NotFoundRedirectsPatch, RedirectCache};
use super::{LinkAddress, ShortCode, ShortUrlPatch, Tag};
use crate::links::rules::RedirectRules;
use crate::links::{NewShortUrl, ShortUrl};
use crate::store::{LinkChange, LinkStore, Store, StoreError, StoreResult};

/// Generated codes tried before giving up; with 49^5 codes a second collision is already rare.
const MAX_GENERATION_ATTEMPTS: usize = 5;

/// Where a new link's code comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeChoice {
    /// The client's slug; a collision is the client's error.
    Custom(ShortCode),
    /// A random code of this many characters; a collision is retried with a fresh code.
    Generated(usize),
}

/// A validated link to create, everything decided except a generated code.
pub type LinkDraft = NewShortUrl<CodeChoice>;

/// Why a link could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateLinkError {
    /// The custom slug belongs to another link.
    #[error("custom slug {0} is already in use")]
    SlugTaken(String),
    /// Every generated code collided (the code space for this length is nearly full).
    #[error("no free short code of length {0} found in {MAX_GENERATION_ATTEMPTS} attempts")]
    CodesExhausted(usize),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every edit of a link or of where misses go, followed by what the redirect path must forget.
#[derive(Clone)]
pub struct LinkService {
    store: Arc<dyn Store>,
    redirects: RedirectCache,
    domains: DomainDirectory,
}

impl LinkService {
    /// Edits links in `store` and keeps `redirects` and `domains` true to them.
    pub fn new(store: Arc<dyn Store>, redirects: RedirectCache, domains: DomainDirectory) -> Self {
        Self {
            store,
            redirects,
            domains,
        }
    }

    /// Reads the domains and their not-found redirects into the redirect path's memory (at
    /// start and whenever another instance changed them).
    pub async fn load_domains(&self) -> StoreResult<()> {
        self.domains.replace(self.store.domains().await?);
        Ok(())
    }

    /// Applies `patch` to `domain`'s not-found redirects; they are followed at once.
    pub async fn set_not_found_redirects(
        &self,
        domain: &Domain,
        patch: NotFoundRedirectsPatch,
    ) -> StoreResult<NotFoundRedirects> {
        let redirects = self.store.set_not_found_redirects(domain, patch).await?;
        self.domains.set(domain.clone(), redirects.clone());
        Ok(redirects)
    }

    /// Applies edits announced by other instances until the feed ends: an edited link is
    /// forgotten, new not-found redirects are read again, and after missed announcements both.
    pub fn follow(&self, mut changes: mpsc::Receiver<LinkChange>) {
        let service = self.clone();
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                let reload = match change {
                    LinkChange::Link(code) => {
                        service.redirects.invalidate(&code);
                        false
                    }
                    LinkChange::Domains => true,
                    LinkChange::Missed => {
                        service.redirects.expire_all();
                        true
                    }
                };
                if reload && let Err(err) = service.load_domains().await {
                    tracing::warn!(error = %err, "cannot read the domains and their redirects; keeping the last ones");
                }
            }
        });
    }

    /// Reads the domains again every `period` until `shutdown`: how a domain added by another
    /// process without announcements (an import into SQLite, a missed notification) starts
    /// being routed.
    pub fn refresh_domains_every(&self, period: Duration, shutdown: CancellationToken) {
        let service = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = ticks.tick() => {}
                }
                if let Err(err) = service.load_domains().await {
                    tracing::warn!(error = %err, "cannot read the domains; keeping the last ones");
                }
            }
        });
    }

    /// Creates a link (see [`create_link`]); a lookup of its code may have cached "no such link"
    /// moments ago, so that answer is forgotten, and a new domain is routed at once.
    pub async fn create(
        &self,
        draft: &LinkDraft,
        find_if_exists: bool,
    ) -> Result<ShortUrl, CreateLinkError> {
        let link = create_link(self.store.as_ref(), draft, find_if_exists).await?;
        let address = LinkAddress {
            domain: link.domain.clone(),
            code: link.short_code.clone(),
        };
        self.redirects.invalidate(&address.cache_key());
        if !self.domains.all().contains_key(&link.domain) {
            self.load_domains().await?;
        }
        Ok(link)
    }

    /// Applies a partial edit; the link redirects by its new rules at once.
    pub async fn update(&self, link: &LinkAddress, patch: &ShortUrlPatch) -> StoreResult<ShortUrl> {
        let updated = self.store.update_short_url(link, patch).await?;
        self.redirects.invalidate(&link.cache_key());
        Ok(updated)
    }

    /// Replaces a link's redirect rules; the next redirect follows them. `false` when no link
    /// has the code.
    pub async fn set_redirect_rules(
        &self,
        link: &LinkAddress,
        rules: &RedirectRules,
    ) -> StoreResult<bool> {
        let found = self.store.set_redirect_rules(link, rules).await?;
        self.redirects.invalidate(&link.cache_key());
        Ok(found)
    }

    /// Deletes a link; it stops redirecting at once.
    pub async fn delete(&self, link: &LinkAddress) -> StoreResult<()> {
        self.store.delete_short_url(link).await?;
        self.redirects.invalidate(&link.cache_key());
        Ok(())
    }

    /// Deletes a link's visits and zeroes its counters; a link whose visit cap was reached
    /// redirects again at once. Returns how many visits went.
    pub async fn delete_visits(&self, link: &LinkAddress) -> StoreResult<u64> {
        let deleted = self.store.delete_link_visits(link).await?;
        self.redirects.invalidate(&link.cache_key());
        Ok(deleted)
    }
}

/// Creates the link described by `draft`; with `find_if_exists`, first looks for the newest link
/// matching it (see [`matches`]) and returns that one instead.
pub async fn create_link(
    store: &dyn LinkStore,
    draft: &LinkDraft,
    find_if_exists: bool,
) -> Result<ShortUrl, CreateLinkError> {
    if find_if_exists {
        let candidates = store
            .find_by_long_url(&draft.domain, draft.long_url.as_str())
            .await?;
        if let Some(existing) = candidates.into_iter().find(|link| matches(link, draft)) {
            return Ok(existing);
        }
    }
    match &draft.short_code {
        CodeChoice::Custom(slug) => {
            match store.create_short_url(&draft.with_code(slug.clone())).await {
                Err(StoreError::DuplicateShortCode(_)) => {
                    Err(CreateLinkError::SlugTaken(slug.as_str().to_owned()))
                }
                other => Ok(other?),
            }
        }
        CodeChoice::Generated(length) => {
            for _ in 0..MAX_GENERATION_ATTEMPTS {
                let code = ShortCode::generate(*length);
                match store.create_short_url(&draft.with_code(code)).await {
                    Err(StoreError::DuplicateShortCode(taken)) => {
                        tracing::debug!(code = %taken, "generated short code collided; retrying");
                    }
                    other => return Ok(other?),
                }
            }
            Err(CreateLinkError::CodesExhausted(*length))
        }
    }
}

/// Shlink's `findIfExists` match: the long URL (already selected by the caller) plus every
/// parameter the client gave among custom slug, validSince, validUntil, maxVisits and tags
/// (tags as an exact set). Parameters the client left out do not constrain the match.
fn matches(link: &ShortUrl, draft: &LinkDraft) -> bool {
    // A password is never compared: a protected draft always makes its own link, and a link
    // someone else protected is never handed to a creator who does not know its password.
    if draft.password.is_some() || link.password_protected {
        return false;
    }
    if draft.split != link.split {
        return false;
    }
    if let CodeChoice::Custom(slug) = &draft.short_code
        && link.short_code != *slug
    {
        return false;
    }
    if !same_instant_if_given(draft.valid_since, link.valid_since)
        || !same_instant_if_given(draft.valid_until, link.valid_until)
    {
        return false;
    }
    if draft.max_visits.is_some() && draft.max_visits != link.max_visits {
        return false;
    }
    if draft.tags.is_empty() {
        return true;
    }
    let mut wanted: Vec<&str> = draft.tags.iter().map(Tag::as_str).collect();
    let mut have: Vec<&str> = link.tags.iter().map(Tag::as_str).collect();
    wanted.sort_unstable();
    have.sort_unstable();
    have.dedup();
    wanted == have
}

/// Equal to the millisecond (the coarsest precision a backend stores), or nothing was asked.
fn same_instant_if_given(wanted: Option<DateTime<Utc>>, have: Option<DateTime<Utc>>) -> bool {
    match wanted {
        None => true,
        Some(wanted) => {
            have.is_some_and(|have| have.timestamp_millis() == wanted.timestamp_millis())
        }
    }
}

/// The insert for `draft` under `code`.
#[cfg(test)]
mod tests;
