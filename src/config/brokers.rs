//! `serve`'s broker flags: where Shlink's real-time events are published.

use std::sync::Arc;

use clap::Args;
use url::Url;

use crate::consumers::ConsumerKind;
use crate::consumers::broker::{Brokers, Nats, PublishError, RabbitMq, Redis};

/// The brokers events are published to, each a consumer with its own queue.
#[derive(Debug, Clone, Args)]
pub struct BrokerArgs {
    /// Publish events to RabbitMQ as Shlink does (a durable exchange and queue per topic, e.g.
    /// `https://shlink.io/new-visit`): `amqp://user:password@host:5672/%2f`.
    #[arg(long, env = "LINKPULSE_RABBITMQ_URL", hide_env_values = true, value_parser = broker_url(&["amqp", "amqps"]))]
    pub rabbitmq_url: Option<Url>,

    /// Publish events to Redis pub/sub as Shlink does (a channel per topic):
    /// `redis://[:password@]host:6379`.
    #[arg(long, env = "LINKPULSE_REDIS_URL", hide_env_values = true, value_parser = broker_url(&["redis", "rediss"]))]
    pub redis_url: Option<Url>,

    /// Publish events to NATS JetStream (a subject per topic, `Nats-Msg-Id` = the message id):
    /// `nats://[user:password@]host:4222`.
    #[arg(long, env = "LINKPULSE_NATS_URL", hide_env_values = true, value_parser = broker_url(&["nats", "tls"]))]
    pub nats_url: Option<Url>,

    /// The subjects' first token on NATS (`shlink.new-visit`, …); their stream is named after
    /// it in capitals (`SHLINK`) and made if missing.
    #[arg(long, env = "LINKPULSE_NATS_SUBJECT_PREFIX", hide_env_values = true, default_value = "shlink", value_parser = parse_prefix)]
    pub nats_subject_prefix: String,
}

impl BrokerArgs {
    /// Each configured broker with its address.
    pub fn configured(&self) -> Vec<(ConsumerKind, &Url)> {
        [
            (ConsumerKind::RabbitMq, &self.rabbitmq_url),
            (ConsumerKind::Redis, &self.redis_url),
            (ConsumerKind::Nats, &self.nats_url),
        ]
        .into_iter()
        .filter_map(|(kind, url)| url.as_ref().map(|url| (kind, url)))
        .collect()
    }

    /// The publishers of the configured brokers (none connects before its first message).
    pub fn brokers(&self) -> Result<Brokers, PublishError> {
        let mut brokers = Brokers::default();
        for (kind, url) in self.configured() {
            brokers = match kind {
                ConsumerKind::RabbitMq => brokers.with(kind, Arc::new(RabbitMq::new(url))),
                ConsumerKind::Redis => brokers.with(kind, Arc::new(Redis::new(url)?)),
                ConsumerKind::Nats => {
                    brokers.with(kind, Arc::new(Nats::new(url, &self.nats_subject_prefix)))
                }
                ConsumerKind::Webhook => brokers,
            };
        }
        Ok(brokers)
    }
}

/// A parser of broker URLs with one of `schemes`.
fn broker_url(schemes: &'static [&'static str]) -> impl Fn(&str) -> Result<Url, String> + Clone {
    move |raw| {
        let url = Url::parse(raw.trim()).map_err(|err| format!("not a URL ({err})"))?;
        if !schemes.contains(&url.scheme()) || url.host_str().is_none() {
            return Err(format!(
                "use a {}:// URL with a host",
                schemes.join(":// or ")
            ));
        }
        Ok(url)
    }
}

/// A NATS subject prefix: tokens of letters, digits, `-` and `_`, separated by dots.
fn parse_prefix(raw: &str) -> Result<String, String> {
    let valid = raw.split('.').all(|token| {
        !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    });
    valid.then(|| raw.to_owned()).ok_or_else(|| {
        "use letters, digits, '-' and '_', with dots between tokens (e.g. shlink or acme.links)"
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_need_their_scheme_and_a_host() {
        let amqp = broker_url(&["amqp", "amqps"]);
        assert!(amqp("amqp://guest:guest@127.0.0.1:5672/%2f").is_ok());
        assert!(amqp("redis://127.0.0.1").unwrap_err().contains("amqp://"));
        assert!(amqp("not a url").is_err());
    }

    #[test]
    fn prefixes_are_subject_tokens() {
        assert_eq!(parse_prefix("acme.links").unwrap(), "acme.links");
        for bad in ["", "a..b", "a b", "a.>", "*"] {
            assert!(parse_prefix(bad).is_err(), "{bad}");
        }
    }
}
