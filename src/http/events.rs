//! The bodies of the events consumers receive, in Shlink's shapes (its AsyncAPI document), so
//! handlers written for Shlink's real-time updates fit: `{"shortUrl": …, "visit": …}` for a link
//! visit, `{"visit": …}` (an `OrphanVisit`, with its `type`) for an orphan visit, and
//! `{"shortUrl": …}` for a new or edited link. Ours, in the same shape: a deleted link's
//! `{"shortUrl": {"shortCode", "domain", "shortUrl"}}`, all that is left of it.

use std::sync::Arc;

use serde_json::json;

use super::HttpSettings;
use super::short_urls::dto::ShortUrlJson;
use super::visits::VisitJson;
use crate::consumers::{DeliverySubject, Event, EventPayloads};

/// The payload builder the webhook deliverer uses, with `settings` for each link's `shortUrl`.
pub fn payloads(settings: HttpSettings) -> EventPayloads {
    Arc::new(move |event, subject: &DeliverySubject| {
        let link = || {
            subject
                .link
                .as_ref()
                .map(|link| ShortUrlJson::new(link.clone(), &settings))
        };
        let visit = |as_orphan: bool| {
            subject.visit.clone().map(|visit| {
                if as_orphan {
                    VisitJson::orphan(visit)
                } else {
                    VisitJson::visit(visit)
                }
            })
        };
        match event {
            Event::NewVisit => json!({"shortUrl": link(), "visit": visit(false)}),
            Event::NewOrphanVisit => json!({"visit": visit(true)}),
            Event::NewShortUrl | Event::ShortUrlEdited => json!({"shortUrl": link()}),
            Event::ShortUrlDeleted => json!({"shortUrl": subject.deleted_link.as_ref().map(
                |address| json!({
                    "shortCode": address.code.as_str(),
                    "domain": address.domain.name(),
                    "shortUrl": settings.short_url_of(address),
                })
            )}),
        }
    })
}
