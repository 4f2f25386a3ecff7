//! Writing what a source read into the store: links through the same rules as the API, visits
//! through the pipeline's idempotent completion (so rollups and counters follow), each with a
//! message id derived from the visit itself.

use std::collections::HashMap;

use chrono::{SecondsFormat, Utc};
use uuid::Uuid;

use super::ImportedLink;
use crate::clicks::{Click, Completion, CompletionOutcome};
use crate::links::rules::RedirectRules;
use crate::links::service::{CodeChoice, CreateLinkError, LinkDraft, create_link};
use crate::links::{
    DEFAULT_CODE_LEN, Domain, DomainName, LinkAddress, LongUrl, ShortCode, ShortUrlPatch, Tag,
};
use crate::pipeline::enrich::parse_user_agent;
use crate::pipeline::visitor::referrer_domain;
use crate::store::{Store, Visit};

/// The namespace of imported visits' message ids (UUIDv5): the same visit always gets the same id.
const VISIT_NAMESPACE: Uuid = Uuid::from_u128(0x6c69_6e6b_7075_6c73_6569_6d70_6f72_7400);

/// Visits stored per transaction.
const VISITS_PER_BATCH: usize = 500;

/// A link that is here now, to attach visits to.
pub struct StoredLink {
    id: i64,
    address: LinkAddress,
    max_visits: Option<i64>,
}

/// What importing one link did.
pub enum LinkOutcome {
    /// The link is here (created now or before, with the same long URL): visits may follow.
    Stored(StoredLink),
    /// The link was not taken; the reason is in the tally.
    Skipped,
}

/// Counts for the summary.
#[derive(Debug, Default)]
pub struct Tally {
    /// Links created by this run.
    pub links_created: u64,
    /// Links that were already here.
    pub links_existing: u64,
    /// Links the source has on another domain than its default (imported onto that domain).
    pub other_domains: u64,
    /// Link visits stored by this run.
    pub visits_inserted: u64,
    /// Orphan visits stored by this run.
    pub orphans_inserted: u64,
    /// Visits that were already here.
    pub visits_existing: u64,
    /// What was skipped and why.
    pub refused: Vec<String>,
}

/// Writes imported links and visits into one store.
pub struct ImportWriter<'a> {
    store: &'a dyn Store,
    tally: Tally,
}

impl<'a> ImportWriter<'a> {
    /// A writer into `store`.
    pub fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            tally: Tally::default(),
        }
    }

    /// What was done so far.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// Records a row the source could not describe as a link.
    pub fn refused(&mut self, problem: String) {
        self.tally.refused.push(problem);
    }

    /// Imports `link` onto `domain` (`None`: the source's default, imported onto ours): created
    /// when its code is free there, kept when it is there with the same long URL, skipped when
    /// the code is taken by another or the link breaks a rule.
    pub async fn link(
        &mut self,
        link: ImportedLink,
        domain: Option<&str>,
    ) -> anyhow::Result<LinkOutcome> {
        let name = link
            .short_code
            .clone()
            .unwrap_or_else(|| link.long_url.clone());
        let draft = match draft(link, domain) {
            Ok(draft) => draft,
            Err(reason) => {
                self.refused(format!("{name}: {reason}"));
                return Ok(LinkOutcome::Skipped);
            }
        };
        if domain.is_some() {
            self.tally.other_domains += 1;
        }
        if let CodeChoice::Custom(code) = &draft.short_code
            && let Some(existing) = self
                .store
                .find_short_url(&LinkAddress {
                    domain: draft.domain.clone(),
                    code: code.clone(),
                })
                .await?
        {
            if existing.long_url != draft.long_url {
                self.refused(format!(
                    "{code}: this code already leads to {} here",
                    existing.long_url
                ));
                return Ok(LinkOutcome::Skipped);
            }
            self.tally.links_existing += 1;
            return Ok(LinkOutcome::Stored(StoredLink {
                id: existing.id,
                address: existing.address(),
                max_visits: existing.max_visits,
            }));
        }
        if let CodeChoice::Generated(_) = draft.short_code
            && let Some(existing) = self
                .store
                .find_by_long_url(&draft.domain, draft.long_url.as_str())
                .await?
                .into_iter()
                .next()
        {
            // A row without a code is here when a link to its long URL is.
            self.tally.links_existing += 1;
            return Ok(LinkOutcome::Stored(StoredLink {
                id: existing.id,
                address: existing.address(),
                max_visits: existing.max_visits,
            }));
        }
        match create_link(self.store, &draft, false).await {
            Ok(created) => {
                self.tally.links_created += 1;
                Ok(LinkOutcome::Stored(StoredLink {
                    id: created.id,
                    address: created.address(),
                    max_visits: created.max_visits,
                }))
            }
            Err(CreateLinkError::SlugTaken(code)) => {
                self.refused(format!("{code}: the code was taken meanwhile"));
                Ok(LinkOutcome::Skipped)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Stores `visits` (as a source lists them) of `link` (orphan visits when `None`), each once
    /// however often imported.
    pub async fn visits(
        &mut self,
        link: Option<&StoredLink>,
        visits: Vec<Visit>,
    ) -> anyhow::Result<()> {
        // A link on the default domain is known by its code alone, as before domains were
        // imported, so visits imported then are recognised again.
        let source_key = link.map(|l| l.address.cache_key());
        let source_code = source_key.as_deref().unwrap_or_default();
        let mut seen: HashMap<String, u32> = HashMap::new();
        let completions: Vec<Completion> = visits
            .into_iter()
            .map(|visit| {
                let identity = identity(source_code, &visit);
                let ordinal = seen.entry(identity.clone()).or_default();
                *ordinal += 1;
                let id = Uuid::new_v5(
                    &VISIT_NAMESPACE,
                    format!("{identity}\n{ordinal}").as_bytes(),
                );
                Completion {
                    claim: None,
                    click: click(id, link.map(|l| l.id), visit),
                }
            })
            .collect();
        for batch in completions.chunks(VISITS_PER_BATCH) {
            let outcomes = self.store.complete_clicks(batch).await?;
            for outcome in outcomes {
                match (outcome, link.is_some()) {
                    (CompletionOutcome::Inserted, true) => self.tally.visits_inserted += 1,
                    (CompletionOutcome::Inserted, false) => self.tally.orphans_inserted += 1,
                    (CompletionOutcome::Duplicate, _) => self.tally.visits_existing += 1,
                    (CompletionOutcome::LinkGone | CompletionOutcome::Fenced, _) => {
                        self.refused(format!("a visit of {source_code}: its link is gone"));
                    }
                }
            }
        }
        if let Some(capped) = link.filter(|l| l.max_visits.is_some()) {
            // The cap counts the imported human visits too.
            let patch = ShortUrlPatch {
                max_visits: Some(capped.max_visits),
                ..ShortUrlPatch::default()
            };
            self.store.update_short_url(&capped.address, &patch).await?;
        }
        Ok(())
    }
}

/// A validated link to create on `domain` (`None`: the default one); the reason when it breaks
/// a rule.
fn draft(link: ImportedLink, domain: Option<&str>) -> Result<LinkDraft, String> {
    let domain = match domain {
        None => Domain::Default,
        Some(name) => Domain::Named(DomainName::parse(name).map_err(|e| e.to_string())?),
    };
    let short_code = match link.short_code.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => {
            CodeChoice::Custom(ShortCode::parse(code).map_err(|e| e.to_string())?)
        }
        _ => CodeChoice::Generated(DEFAULT_CODE_LEN),
    };
    let long_url = LongUrl::parse_stored(&link.long_url).map_err(|e| e.to_string())?;
    let tags = Tag::parse_all(&link.tags).map_err(|e| e.to_string())?;
    Ok(LinkDraft {
        domain,
        short_code,
        long_url,
        title: link.title.filter(|t| !t.trim().is_empty()),
        valid_since: link.valid_since,
        valid_until: link.valid_until,
        max_visits: link.max_visits,
        crawlable: link.crawlable,
        forward_query: link.forward_query,
        tags,
        author_key_id: None,
        date_created: link.date_created,
        rules: RedirectRules::default(),
        expired_url: None,
        password: None,
        split: crate::links::Split::default(),
    })
}

/// What tells one visit from another at the source (it has no id of its own).
fn identity(code: &str, visit: &Visit) -> String {
    format!(
        "{code}\n{}\n{}\n{}\n{}\n{}",
        visit.kind.as_str(),
        visit
            .occurred_at
            .to_rfc3339_opts(SecondsFormat::Millis, true),
        visit.user_agent.as_deref().unwrap_or_default(),
        visit.referer.as_deref().unwrap_or_default(),
        visit.visited_url.as_deref().unwrap_or_default(),
    )
}

/// The click to store: the source's judgement and location, our own user-agent parsing; no
/// visitor hash, since the source does not give out addresses.
fn click(message_id: Uuid, short_url_id: Option<i64>, visit: Visit) -> Click {
    let agent = parse_user_agent(visit.user_agent.as_deref());
    Click {
        message_id,
        short_url_id,
        kind: visit.kind,
        occurred_at: visit.occurred_at,
        enriched_at: Utc::now(),
        ip: None,
        potential_bot: visit.potential_bot,
        browser: agent.browser,
        browser_version: agent.browser_version,
        os: agent.os,
        device: agent.device,
        location: visit.location.unwrap_or_default(),
        traceparent: None,
        visitor_hash: None,
        site_visitor_hash: None,
        referrer_domain: referrer_domain(visit.referer.as_deref()),
        destination: None,
        user_agent: visit.user_agent,
        referer: visit.referer,
        visited_url: visit.visited_url,
        redirect_url: visit.redirect_url,
    }
}
