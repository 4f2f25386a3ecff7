//! Redis pub/sub the way Shlink publishes to it: the JSON payload on a channel named after the
//! topic. Pub/sub keeps nothing: a subscriber hears what is published while it listens, and a
//! message has no headers, so it carries no `traceparent`.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::Mutex;

use super::{Message, PublishError, Publisher};
use crate::consumers::ConsumerKind;

/// The longest a connection attempt or a command may take before the delivery is retried.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Publishes to one Redis server.
pub struct Redis {
    client: redis::Client,
    connection: Mutex<Option<ConnectionManager>>,
}

impl Redis {
    /// A publisher to the server at `url` (`redis://[:password@]host:6379[/db]`); it connects
    /// on its first message. Fails only for a URL Redis cannot use.
    pub fn new(url: &url::Url) -> Result<Self, PublishError> {
        let client = redis::Client::open(url.as_str())
            .map_err(|err| PublishError::new(ConsumerKind::Redis, err))?;
        Ok(Self {
            client,
            connection: Mutex::new(None),
        })
    }

    /// The connection, made on first use; once made it reconnects by itself.
    async fn connection(&self) -> Result<ConnectionManager, PublishError> {
        let mut connection = self.connection.lock().await;
        if let Some(open) = connection.as_ref() {
            return Ok(open.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        let open = ConnectionManager::new_with_config(self.client.clone(), config)
            .await
            .map_err(|err| PublishError::new(ConsumerKind::Redis, err))?;
        Ok(connection.insert(open).clone())
    }
}

#[async_trait]
impl Publisher for Redis {
    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        let mut connection = self.connection().await?;
        for topic in &message.topics {
            redis::cmd("PUBLISH")
                .arg(topic)
                .arg(&message.payload)
                .query_async::<i64>(&mut connection)
                .await
                .map_err(|err| PublishError::new(ConsumerKind::Redis, err))?;
        }
        Ok(())
    }
}
