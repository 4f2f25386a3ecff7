//! What a consumer is: a webhook endpoint the operator registered, or one of the brokers
//! `serve` was started with (one consumer each, named after it).

use std::fmt;

/// The kind of a consumer, stored with it so the deliverer knows how to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsumerKind {
    /// An HTTP endpoint, signed as Standard Webhooks.
    Webhook,
    /// RabbitMQ, with Shlink's exchange and queue per topic.
    RabbitMq,
    /// Redis pub/sub, a channel per topic.
    Redis,
    /// NATS JetStream, a subject per topic.
    Nats,
}

impl ConsumerKind {
    /// The brokers, whose names are their consumers' names (and so not a webhook's).
    pub const BROKERS: [Self; 3] = [Self::RabbitMq, Self::Redis, Self::Nats];

    /// How it is stored, and a broker consumer's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::RabbitMq => "rabbitmq",
            Self::Redis => "redis",
            Self::Nats => "nats",
        }
    }

    /// The kind stored as `raw`, if it is one.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Webhook, Self::RabbitMq, Self::Redis, Self::Nats]
            .into_iter()
            .find(|kind| kind.as_str() == raw)
    }

    /// The flag that configures a broker, for messages that tell the operator what to do.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Webhook => "linkpulse webhook add",
            Self::RabbitMq => "--rabbitmq-url",
            Self::Redis => "--redis-url",
            Self::Nats => "--nats-url",
        }
    }
}

impl fmt::Display for ConsumerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in [
            ConsumerKind::Webhook,
            ConsumerKind::RabbitMq,
            ConsumerKind::Redis,
            ConsumerKind::Nats,
        ] {
            assert_eq!(ConsumerKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ConsumerKind::parse("kafka"), None);
        assert!(!ConsumerKind::BROKERS.contains(&ConsumerKind::Webhook));
    }
}
