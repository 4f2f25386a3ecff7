//! Turning a click event into the click row it becomes: enrichment, the visitor hash and the
//! referrer domain. Shared by the writer (clicks stored as they arrive) and the workers (outbox
//! rows), so both store exactly the same thing for the same event.

use std::sync::Arc;

use chrono::Utc;

use super::enrich::Enricher;
use super::event::ClickEvent;
use super::retry::Failure;
use super::visitor::{VisitorSalts, referrer_domain};
use crate::clicks::Click;
use crate::store::Store;

/// Enriches click events; one per process, shared by the writer and every worker.
pub struct ClickPreparer {
    enricher: Arc<Enricher>,
    visitors: VisitorSalts,
}

impl ClickPreparer {
    /// A preparer reading day salts from `store`.
    pub fn new(store: Arc<dyn Store>, enricher: Arc<Enricher>) -> Self {
        Self {
            enricher,
            visitors: VisitorSalts::new(store),
        }
    }

    /// The click row for `click`. The visitor hash uses the full IP, before enrichment
    /// anonymizes it; failing to read the day's salt is retryable.
    pub async fn prepare(&self, click: &ClickEvent) -> Result<Click, Failure> {
        let hashes = self
            .visitors
            .visitor_hashes(click)
            .await
            .map_err(|err| Failure::Retryable(format!("visitor salt: {err}")))?;
        let _span = tracing::debug_span!(
            "enrich_click",
            message_id = %click.message_id,
            traceparent = click.traceparent.as_deref().unwrap_or_default()
        )
        .entered();
        let enriched = self
            .enricher
            .enrich(click.client_ip, click.user_agent.as_deref());
        let agent = enriched.user_agent;
        Ok(Click {
            message_id: click.message_id,
            short_url_id: click.link_id,
            kind: click.kind,
            occurred_at: click.occurred_at,
            enriched_at: Utc::now(),
            ip: enriched.stored_ip.map(|ip| ip.to_string()),
            user_agent: click.user_agent.clone(),
            referer: click.referrer.clone(),
            visited_url: Some(click.visited_url.clone()),
            redirect_url: click.redirect_url.clone(),
            potential_bot: enriched.potential_bot,
            browser: agent.browser,
            browser_version: agent.browser_version,
            os: agent.os,
            device: agent.device,
            location: enriched.location.unwrap_or_default(),
            traceparent: click.traceparent.clone(),
            visitor_hash: hashes.as_ref().map(|hashes| hashes.link.clone()),
            site_visitor_hash: hashes.map(|hashes| hashes.site),
            referrer_domain: referrer_domain(click.referrer.as_deref()),
            destination: click.destination.clone(),
        })
    }
}
