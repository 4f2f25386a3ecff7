//! RabbitMQ the way Shlink publishes to it, so Shlink's consumers work unchanged: per topic a
//! durable direct exchange and a durable queue of the same name, bound together, and persistent
//! JSON messages. Publisher confirms make "published" mean "the broker has it".

use std::collections::HashSet;

use async_trait::async_trait;
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Mutex;

use super::{Message, PublishError, Publisher};
use crate::consumers::ConsumerKind;

/// AMQP's delivery mode of a message written to disk.
const PERSISTENT: u8 = 2;

/// A connection made on first use and remade after any failure.
struct Session {
    connection: Connection,
    channel: Channel,
    declared: HashSet<String>,
}

/// Publishes to one RabbitMQ server.
pub struct RabbitMq {
    url: String,
    session: Mutex<Option<Session>>,
}

impl RabbitMq {
    /// A publisher to the server at `url` (`amqp://user:password@host:5672/vhost`); it
    /// connects on its first message.
    pub fn new(url: &url::Url) -> Self {
        Self {
            url: url.to_string(),
            session: Mutex::new(None),
        }
    }

    /// Opens a connection and a channel in confirm mode.
    async fn connect(&self) -> Result<Session, lapin::Error> {
        let connection = Connection::connect(&self.url, ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Session {
            connection,
            channel,
            declared: HashSet::new(),
        })
    }

    /// Declares `topic`'s exchange and queue (once per connection) as Shlink does.
    async fn declare(session: &mut Session, topic: &str) -> Result<(), lapin::Error> {
        if session.declared.contains(topic) {
            return Ok(());
        }
        let durable_exchange = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        let channel = &session.channel;
        channel
            .exchange_declare(
                topic.into(),
                ExchangeKind::Direct,
                durable_exchange,
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_declare(
                topic.into(),
                QueueDeclareOptions::durable(),
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_bind(
                topic.into(),
                topic.into(),
                ShortString::from(""),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        session.declared.insert(topic.to_owned());
        Ok(())
    }

    /// Publishes every topic of `message` and waits for the broker's confirms.
    async fn send(session: &mut Session, message: &Message) -> Result<(), String> {
        let mut headers = FieldTable::default();
        if let Some(traceparent) = &message.traceparent {
            headers.insert(
                "traceparent".into(),
                AMQPValue::LongString(traceparent.as_str().into()),
            );
        }
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(PERSISTENT)
            .with_message_id(message.id.to_string().into())
            .with_headers(headers);
        for topic in &message.topics {
            Self::declare(session, topic)
                .await
                .map_err(|err| err.to_string())?;
            let confirm = session
                .channel
                .basic_publish(
                    topic.as_str().into(),
                    ShortString::from(""),
                    BasicPublishOptions::default(),
                    &message.payload,
                    properties.clone(),
                )
                .await
                .map_err(|err| err.to_string())?
                .await
                .map_err(|err| err.to_string())?;
            if !confirm.is_ack() {
                return Err(format!("the broker refused the message on {topic}"));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Publisher for RabbitMq {
    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        let mut session = self.session.lock().await;
        let mut open = match session.take() {
            Some(open) if open.connection.status().connected() => open,
            _ => self
                .connect()
                .await
                .map_err(|err| PublishError::new(ConsumerKind::RabbitMq, err))?,
        };
        // A session that failed is dropped, so the next attempt connects afresh.
        Self::send(&mut open, message)
            .await
            .map_err(|detail| PublishError::new(ConsumerKind::RabbitMq, detail))?;
        *session = Some(open);
        Ok(())
    }
}
