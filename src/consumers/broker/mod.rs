//! Shlink's real-time events on message brokers: RabbitMQ, Redis pub/sub and NATS JetStream.
//! Each configured broker is one consumer with the webhooks' queue guarantees; a publisher only
//! turns one claimed delivery into the broker's messages, and reports whether the broker took
//! them. Connections are made lazily and remade after a failure, so a broker that is down delays
//! its own queue and nothing else.

mod nats;
mod rabbitmq;
mod redis;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

pub use nats::{Nats, stream_name};
pub use rabbitmq::RabbitMq;
pub use redis::Redis;

use super::{ConsumerKind, Event};
use crate::store::{Store, StoreResult};

/// One event as a broker gets it: its topics (Shlink's), the JSON payload, and what lets the
/// receiver de-duplicate and trace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The delivery's message id (the click's, or the link creation's).
    pub id: Uuid,
    /// Shlink's topics, most general first: `https://shlink.io/new-visit` and, for a visit of
    /// a link, `https://shlink.io/new-visit/{shortCode}`.
    pub topics: Vec<String>,
    /// The payload, as Shlink's async API specifies it.
    pub payload: Vec<u8>,
    /// The redirect's W3C `traceparent`, passed on in the message headers where there are any.
    pub traceparent: Option<String>,
}

impl Message {
    /// The message of `event`; `short_code` is the visited link's, for its own topic.
    pub fn new(
        id: Uuid,
        event: Event,
        short_code: Option<&str>,
        payload: Vec<u8>,
        traceparent: Option<String>,
    ) -> Self {
        let mut topics = vec![event.topic().to_owned()];
        if let (Event::NewVisit, Some(code)) = (event, short_code) {
            topics.push(format!("{}/{code}", event.topic()));
        }
        Self {
            id,
            topics,
            payload,
            traceparent,
        }
    }
}

/// Why a broker did not take a message; the delivery is retried with backoff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{broker}: {detail}")]
pub struct PublishError {
    /// Which broker.
    pub broker: ConsumerKind,
    /// What went wrong, without credentials.
    pub detail: String,
}

impl PublishError {
    /// A failure of `broker` described by `err`.
    pub fn new(broker: ConsumerKind, err: impl std::fmt::Display) -> Self {
        Self {
            broker,
            detail: err.to_string(),
        }
    }
}

/// Publishes messages to one broker.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Publishes `message` on each of its topics, returning once the broker has taken all of
    /// them (a confirm, an ack, or the command's reply).
    async fn publish(&self, message: &Message) -> Result<(), PublishError>;
}

/// The brokers this instance publishes to, by kind.
#[derive(Clone, Default)]
pub struct Brokers(HashMap<ConsumerKind, Arc<dyn Publisher>>);

impl Brokers {
    /// Adds the publisher of `kind`.
    pub fn with(mut self, kind: ConsumerKind, publisher: Arc<dyn Publisher>) -> Self {
        self.0.insert(kind, publisher);
        self
    }

    /// The publisher of `kind`, if this instance was started with it.
    pub fn get(&self, kind: ConsumerKind) -> Option<&Arc<dyn Publisher>> {
        self.0.get(&kind)
    }

    /// The kinds configured.
    pub fn kinds(&self) -> impl Iterator<Item = ConsumerKind> + '_ {
        self.0.keys().copied()
    }
}

/// Makes the consumer of each configured broker (re-enabling one stopped earlier), and stops
/// queueing for a broker no longer configured (its backlog is kept for when it is again).
pub async fn register(
    store: &dyn Store,
    configured: &[(ConsumerKind, &url::Url)],
) -> StoreResult<()> {
    for (kind, address) in configured {
        store.enable_broker(*kind, &redacted(address)).await?;
    }
    let retired = store.consumers().await?.into_iter().filter(|consumer| {
        consumer.kind != ConsumerKind::Webhook
            && consumer.disabled.is_none()
            && !configured.iter().any(|(kind, _)| *kind == consumer.kind)
    });
    for consumer in retired {
        let reason = format!(
            "not configured when linkpulse last started; start it with {} to publish again",
            consumer.kind.flag()
        );
        store.disable_webhook(consumer.id, &reason).await?;
    }
    Ok(())
}

/// A broker address fit to show and store: its password removed.
pub fn redacted(address: &url::Url) -> String {
    let mut shown = address.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(None);
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_of_a_link_goes_to_its_own_topic_too() {
        let id = Uuid::now_v7();
        let visit = Message::new(id, Event::NewVisit, Some("abc"), b"{}".to_vec(), None);
        assert_eq!(
            visit.topics,
            [
                "https://shlink.io/new-visit",
                "https://shlink.io/new-visit/abc"
            ]
        );
        let orphan = Message::new(id, Event::NewOrphanVisit, None, b"{}".to_vec(), None);
        assert_eq!(orphan.topics, ["https://shlink.io/new-orphan-visit"]);
        let created = Message::new(id, Event::NewShortUrl, Some("abc"), b"{}".to_vec(), None);
        assert_eq!(created.topics, ["https://shlink.io/new-short-url"]);
        let deleted = Message::new(id, Event::ShortUrlDeleted, None, b"{}".to_vec(), None);
        assert_eq!(deleted.topics, ["https://shlink.io/short-url-deleted"]);
    }

    #[test]
    fn passwords_are_not_shown() {
        let url = url::Url::parse("amqp://guest:secret@mq.example:5672/%2f").unwrap();
        assert_eq!(redacted(&url), "amqp://guest@mq.example:5672/%2f");
        let plain = url::Url::parse("redis://127.0.0.1:6379").unwrap();
        assert_eq!(redacted(&plain), "redis://127.0.0.1:6379");
    }
}
