//! NATS JetStream: a subject per Shlink topic (`shlink.new-visit`, `shlink.new-visit.{code}`,
//! `shlink.new-orphan-visit`, `shlink.new-short-url`, and ours, `shlink.short-url-edited` and
//! `shlink.short-url-deleted`, under the default prefix), kept in one
//! stream made on first use if the operator has not made it. `Nats-Msg-Id` is the message id,
//! so JetStream drops a publish repeated after a lost ack within its duplicate window.

use async_nats::HeaderMap;
use async_nats::jetstream::{self, Context, stream};
use async_trait::async_trait;
use tokio::sync::OnceCell;

use super::{Message, PublishError, Publisher};
use crate::consumers::ConsumerKind;

/// The start of Shlink's topics, replaced by the subject prefix.
const TOPIC_ROOT: &str = "https://shlink.io/";

/// Publishes to one NATS server's JetStream.
pub struct Nats {
    url: String,
    prefix: String,
    jetstream: OnceCell<Context>,
}

impl Nats {
    /// A publisher to the server at `url` (`nats://[user:password@]host:4222`), on subjects
    /// under `prefix`; it connects on its first message.
    pub fn new(url: &url::Url, prefix: &str) -> Self {
        Self {
            url: url.to_string(),
            prefix: prefix.to_owned(),
            jetstream: OnceCell::new(),
        }
    }

    /// The subject of `topic`: its path after Shlink's root, `/` as `.`, under the prefix.
    pub fn subject(&self, topic: &str) -> String {
        let path = topic.strip_prefix(TOPIC_ROOT).unwrap_or(topic);
        format!("{}.{}", self.prefix, path.replace('/', "."))
    }

    /// The JetStream context, connected and its stream made on first use; the client
    /// reconnects by itself after that.
    async fn jetstream(&self) -> Result<&Context, PublishError> {
        self.jetstream
            .get_or_try_init(|| async {
                let failed =
                    |err: &dyn std::fmt::Display| PublishError::new(ConsumerKind::Nats, err);
                let client = async_nats::connect(self.url.as_str())
                    .await
                    .map_err(|err| failed(&err))?;
                let context = jetstream::new(client);
                context
                    .get_or_create_stream(stream::Config {
                        name: stream_name(&self.prefix),
                        subjects: vec![format!("{}.>", self.prefix)],
                        ..stream::Config::default()
                    })
                    .await
                    .map_err(|err| failed(&err))?;
                Ok(context)
            })
            .await
    }
}

/// The stream the subjects under `prefix` are kept in: the prefix in capitals, with anything
/// but letters, digits, `-` and `_` as `_`.
pub fn stream_name(prefix: &str) -> String {
    prefix
        .chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' | '0'..='9' | '-' | '_' => c,
            _ => '_',
        })
        .collect()
}

#[async_trait]
impl Publisher for Nats {
    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        let context = self.jetstream().await?;
        for (index, topic) in message.topics.iter().enumerate() {
            let subject = self.subject(topic);
            // The id de-duplicates within the stream, so each subject of one event has its own.
            let id = match index {
                0 => message.id.to_string(),
                _ => format!("{}:{subject}", message.id),
            };
            let mut headers = HeaderMap::new();
            headers.insert("Nats-Msg-Id", id.as_str());
            headers.insert("Content-Type", "application/json");
            if let Some(traceparent) = &message.traceparent {
                headers.insert("traceparent", traceparent.as_str());
            }
            let failed = |err: &dyn std::fmt::Display| PublishError::new(ConsumerKind::Nats, err);
            context
                .publish_with_headers(subject, headers, message.payload.clone().into())
                .await
                .map_err(|err| failed(&err))?
                .await
                .map_err(|err| failed(&err))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_become_subjects_under_the_prefix() {
        let url = url::Url::parse("nats://127.0.0.1:4222").unwrap();
        let nats = Nats::new(&url, "shlink");
        assert_eq!(
            nats.subject("https://shlink.io/new-visit"),
            "shlink.new-visit"
        );
        assert_eq!(
            nats.subject("https://shlink.io/new-visit/abc-1_x"),
            "shlink.new-visit.abc-1_x"
        );
        assert_eq!(stream_name("shlink"), "SHLINK");
        assert_eq!(stream_name("acme.prod"), "ACME_PROD");
    }
}
