//! `ClickEvent`: the message the redirect path hands to the pipeline, as stored in the outbox.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clicks::OutboxEntry;
use crate::clicks::VisitKind;

/// One visit as observed at the edge, before enrichment. Its `message_id` is the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickEvent {
    /// UUIDv7 made when the request arrived; a click is stored at most once per id.
    pub message_id: Uuid,
    /// Valid link visit or one of the orphan kinds.
    pub kind: VisitKind,
    /// The link visited, for valid visits.
    pub link_id: Option<i64>,
    /// When the request arrived.
    pub occurred_at: DateTime<Utc>,
    /// The client's address (already resolved through trusted proxies), not yet anonymized.
    pub client_ip: Option<IpAddr>,
    /// Raw `User-Agent`.
    pub user_agent: Option<String>,
    /// Raw `Referer`.
    pub referrer: Option<String>,
    /// The URL the client requested.
    pub visited_url: String,
    /// Where the client was sent (none for pixels and 404s).
    pub redirect_url: Option<String>,
    /// For a link with an A/B split: the destination chosen, before any query was merged in
    /// (the split's breakdown counts it). Absent in events of earlier releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// W3C `traceparent` of the request, so the worker's span joins the same trace.
    pub traceparent: Option<String>,
}

impl ClickEvent {
    /// The outbox payload.
    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The outbox row that carries this event, enqueued at `enqueued_at`.
    pub fn to_outbox_entry(&self, enqueued_at: DateTime<Utc>) -> OutboxEntry {
        OutboxEntry {
            message_id: self.message_id,
            payload: self.to_payload(),
            enqueued_at,
        }
    }

    /// Decodes an outbox payload; failure marks a poison message.
    pub fn from_payload(payload: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips() {
        let event = ClickEvent {
            message_id: Uuid::now_v7(),
            kind: VisitKind::ValidShortUrl,
            link_id: Some(7),
            occurred_at: Utc::now(),
            client_ip: Some("203.0.113.9".parse().unwrap()),
            user_agent: Some("<script>alert(1)</script>".into()),
            referrer: None,
            visited_url: "http://lp.test/abc?x=1".into(),
            redirect_url: Some("https://example.com/?x=1".into()),
            destination: None,
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
        };
        assert_eq!(
            ClickEvent::from_payload(&event.to_payload()).unwrap(),
            event
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert!(ClickEvent::from_payload("{not json").is_err());
        assert!(ClickEvent::from_payload(r#"{"message_id": 3}"#).is_err());
    }
}
