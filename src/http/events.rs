//! The bodies of the events consumers receive, in Shlink's shapes (its AsyncAPI document), so
//! handlers written for Shlink's real-time updates fit: `{"shortUrl": …, "visit": …}` for a link
//! visit, `{"visit": …}` (an `OrphanVisit`, with its `type`) for an orphan visit.

use std::sync::Arc;

use serde_json::{Value, json};

use super::HttpSettings;
use super::short_urls::dto::ShortUrlJson;
use super::visits::VisitJson;
use crate::consumers::{Event, EventPayloads};

/// The payload builder the webhook deliverer uses, with `settings` for each link's `shortUrl`.
pub fn payloads(settings: HttpSettings) -> EventPayloads {
    Arc::new(move |event, visit, link| match (event, link) {
        (Event::NewVisit, Some(link)) => json!({
            "shortUrl": ShortUrlJson::new(link.clone(), &settings),
            "visit": VisitJson::visit(visit.clone()),
        }),
        (Event::NewVisit, None) => {
            json!({"shortUrl": Value::Null, "visit": VisitJson::visit(visit.clone())})
        }
        (Event::NewOrphanVisit, _) => json!({"visit": VisitJson::orphan(visit.clone())}),
    })
}
