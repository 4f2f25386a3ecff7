//! Shlink's real-time events on the machine's real RabbitMQ, Redis and NATS JetStream, on both
//! backends: a subscriber hears each topic's payload once for a scripted set of visits; a
//! broker down for a few seconds gets the events once it is back, while redirects go on; a
//! publish repeated after a lost ack is dropped by JetStream.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::proxy::Proxy;
use common::{Backend, TestApp, spawn_app_with};
use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions, QueuePurgeOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use linkpulse::consumers::Event;
use linkpulse::consumers::broker::{Message, Nats, Publisher, stream_name};
use reqwest::Method;
use serde_json::{Value, json};

const RABBITMQ: &str = "127.0.0.1:5672";
const REDIS: &str = "127.0.0.1:6379";
const NATS: &str = "127.0.0.1:4222";

/// The trace one visit of each story carries, which its messages must pass on.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// One message a subscriber heard: its topic, payload and message id (where the broker has one).
#[derive(Debug, Clone)]
struct Heard {
    topic: String,
    payload: Value,
    id: Option<String>,
    traceparent: Option<String>,
}

/// What a subscriber heard so far.
type Log = Arc<Mutex<Vec<Heard>>>;

/// A broker under test.
#[derive(Debug, Clone, Copy)]
enum Broker {
    RabbitMq,
    Redis,
    Nats,
}

/// The topics a test about the link `code` listens on: Shlink's, then our link edits'.
fn topics(code: &str) -> [String; 6] {
    [
        Event::NewVisit.topic().to_owned(),
        format!("{}/{code}", Event::NewVisit.topic()),
        Event::NewOrphanVisit.topic().to_owned(),
        Event::NewShortUrl.topic().to_owned(),
        Event::ShortUrlEdited.topic().to_owned(),
        Event::ShortUrlDeleted.topic().to_owned(),
    ]
}

impl Broker {
    fn target(self) -> &'static str {
        match self {
            Self::RabbitMq => RABBITMQ,
            Self::Redis => REDIS,
            Self::Nats => NATS,
        }
    }

    /// The `serve` flags that publish to this broker at `address`.
    fn flags(self, address: &str, prefix: &str) -> Vec<String> {
        match self {
            Self::RabbitMq => vec![
                "--rabbitmq-url".into(),
                format!("amqp://guest:guest@{address}/%2f"),
            ],
            Self::Redis => vec!["--redis-url".into(), format!("redis://{address}")],
            Self::Nats => vec![
                "--nats-url".into(),
                format!("nats://{address}"),
                "--nats-subject-prefix".into(),
                prefix.into(),
            ],
        }
    }

    /// Subscribes (straight to the broker) to the topics of `code`; what it hears is logged.
    async fn listen(self, code: &str, prefix: &str) -> Log {
        let log = Log::default();
        match self {
            Self::RabbitMq => listen_rabbitmq(&topics(code), Arc::clone(&log)).await,
            Self::Redis => listen_redis(&topics(code), Arc::clone(&log)).await,
            Self::Nats => listen_nats(prefix, Arc::clone(&log)).await,
        }
        log
    }

    /// Removes what the test left on the broker: the link's own queue and exchange and the
    /// shared queues' messages (RabbitMQ), the test's stream (NATS).
    async fn clean_up(self, code: &str, prefix: &str) {
        match self {
            Self::RabbitMq => {
                let channel = rabbitmq().await.create_channel().await.unwrap();
                let [general, own, orphan, created, edited, deleted] = topics(code);
                channel
                    .queue_delete(own.as_str().into(), QueueDeleteOptions::default())
                    .await
                    .unwrap();
                channel
                    .exchange_delete(own.as_str().into(), Default::default())
                    .await
                    .unwrap();
                for shared in [general, orphan, created, edited, deleted] {
                    let _ = channel
                        .queue_purge(shared.as_str().into(), QueuePurgeOptions::default())
                        .await;
                }
            }
            Self::Redis => {}
            Self::Nats => {
                let client = async_nats::connect(NATS).await.unwrap();
                let jetstream = async_nats::jetstream::new(client);
                let _ = jetstream.delete_stream(stream_name(prefix)).await;
            }
        }
    }
}

async fn rabbitmq() -> Connection {
    Connection::connect(
        &format!("amqp://guest:guest@{RABBITMQ}/%2f"),
        ConnectionProperties::default(),
    )
    .await
    .expect("RabbitMQ on 127.0.0.1:5672 (guest/guest)")
}

/// Binds a queue of the test's own (exclusive, gone with its connection) to each topic's
/// exchange, as a second Shlink consumer would, so concurrent tests each hear every message.
async fn listen_rabbitmq(topics: &[String], log: Log) {
    let connection = rabbitmq().await;
    let channel = connection.create_channel().await.unwrap();
    for topic in topics {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        channel
            .exchange_declare(
                topic.as_str().into(),
                ExchangeKind::Direct,
                durable,
                FieldTable::default(),
            )
            .await
            .unwrap();
        let exclusive = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..Default::default()
        };
        let queue = channel
            .queue_declare("".into(), exclusive, FieldTable::default())
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.name().clone(),
                topic.as_str().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let consume = BasicConsumeOptions {
            no_ack: true,
            ..Default::default()
        };
        let mut consumer = channel
            .basic_consume(
                queue.name().clone(),
                "".into(),
                consume,
                FieldTable::default(),
            )
            .await
            .unwrap();
        let (topic, log) = (topic.clone(), Arc::clone(&log));
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let properties = &delivery.properties;
                assert_eq!(
                    properties.content_type().as_ref().map(|kind| kind.as_str()),
                    Some("application/json")
                );
                assert_eq!(*properties.delivery_mode(), Some(2), "persistent");
                log.lock().unwrap().push(Heard {
                    topic: topic.clone(),
                    payload: serde_json::from_slice(&delivery.data).unwrap(),
                    id: properties.message_id().as_ref().map(|id| id.to_string()),
                    traceparent: properties.headers().as_ref().and_then(|headers| {
                        match headers.inner().get("traceparent") {
                            Some(AMQPValue::LongString(text)) => Some(text.to_string()),
                            _ => None,
                        }
                    }),
                });
            }
        });
    }
    // The connection lives as long as the test: its queues go with it.
    std::mem::forget(connection);
}

async fn listen_redis(topics: &[String], log: Log) {
    let client = redis::Client::open(format!("redis://{REDIS}")).unwrap();
    let mut pubsub = client
        .get_async_pubsub()
        .await
        .expect("Redis on 127.0.0.1:6379");
    for topic in topics {
        pubsub.subscribe(topic).await.unwrap();
    }
    tokio::spawn(async move {
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            let payload: String = message.get_payload().unwrap();
            log.lock().unwrap().push(Heard {
                topic: message.get_channel_name().to_owned(),
                payload: serde_json::from_str(&payload).unwrap(),
                id: None,
                traceparent: None,
            });
        }
    });
}

/// Listens on every subject under the test's own prefix, mapped back to Shlink's topics.
async fn listen_nats(prefix: &str, log: Log) {
    let client = async_nats::connect(NATS)
        .await
        .expect("NATS on 127.0.0.1:4222");
    let mut subscriber = client.subscribe(format!("{prefix}.>")).await.unwrap();
    client.flush().await.unwrap();
    let root = format!("{prefix}.");
    tokio::spawn(async move {
        let _client = client;
        while let Some(message) = subscriber.next().await {
            let path = message
                .subject
                .as_str()
                .strip_prefix(&root)
                .unwrap()
                .replacen('.', "/", 1);
            let header = |name: &str| {
                message
                    .headers
                    .as_ref()
                    .and_then(|headers| headers.get(name))
                    .map(|value| value.as_str().to_owned())
            };
            let id = header("Nats-Msg-Id").map(|id| id.split(':').next().unwrap().to_owned());
            let traceparent = header("traceparent");
            log.lock().unwrap().push(Heard {
                topic: format!("https://shlink.io/{path}"),
                payload: serde_json::from_slice(&message.payload).unwrap(),
                id,
                traceparent,
            });
        }
    });
}

/// The messages of `log` on `topic` about the test (its link `code`, or its orphan `path`).
fn about(log: &Log, topic: &str, code: &str, path: &str) -> Vec<Heard> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|heard| heard.topic == topic)
        .filter(|heard| {
            heard.payload["shortUrl"]["shortCode"] == code
                || heard.payload["visit"]["visitedUrl"]
                    .as_str()
                    .is_some_and(|url| url.ends_with(path))
        })
        .cloned()
        .collect()
}

/// Polls `done` until it holds, for at most `within`.
async fn until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "still not {what} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A server publishing to `broker` at `address`, with a click worker and commit acks.
async fn app(backend: Backend, broker: Broker, address: &str, prefix: &str) -> TestApp {
    let mut flags: Vec<String> = [
        "--workers",
        "1",
        "--click-ack",
        "commit",
        "--webhook-timeout",
        "3s",
    ]
    .map(String::from)
    .to_vec();
    flags.extend(broker.flags(address, prefix));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    spawn_app_with(backend, &flags).await
}

/// A fresh link code and NATS prefix, so tests running at once never hear each other.
fn names() -> (String, String) {
    let unique = uuid::Uuid::now_v7().simple().to_string();
    (
        format!("brk{}", &unique[16..]),
        format!("lpt{}", &unique[16..]),
    )
}

/// Three visits of a link, one orphan visit and the link's creation: each topic's payload is
/// heard exactly once per event, in Shlink's shapes; the five deliveries count as delivered.
async fn each_topic_once(backend: Backend, broker: Broker) {
    let (code, prefix) = names();
    let log = broker.listen(&code, &prefix).await;
    let app = app(backend, broker, broker.target(), &prefix).await;
    app.create_link(json!({"longUrl": "https://example.com/landing", "customSlug": code}))
        .await;
    for _ in 0..2 {
        assert_eq!(app.get(&format!("/{code}")).await.status(), 302);
    }
    let traced = app
        .client
        .get(format!("{}/{code}", app.address))
        .header("traceparent", TRACEPARENT)
        .send()
        .await
        .unwrap();
    assert_eq!(traced.status(), 302);
    let orphan = format!("/no-such-{code}");
    assert_eq!(app.get(&orphan).await.status(), 404);

    let [general, own, orphans, created, edited, deleted] = topics(&code);
    let heard = |topic: &str| about(&log, topic, &code, &orphan).len();
    until("every visit heard", Duration::from_secs(20), || {
        heard(&general) >= 3 && heard(&own) >= 3 && heard(&orphans) >= 1 && heard(&created) >= 1
    })
    .await;
    let path = format!("/short-urls/{code}");
    let edit = app
        .api(Method::PATCH, &path)
        .json(&json!({"title": "Edited"}));
    assert_eq!(edit.send().await.unwrap().status(), 200);
    until("the edit heard", Duration::from_secs(20), || {
        heard(&edited) >= 1
    })
    .await;
    let delete = app.api(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(delete.status(), 204);
    until("the deletion heard", Duration::from_secs(20), || {
        heard(&deleted) >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let topics = [
        general.clone(),
        own.clone(),
        orphans.clone(),
        created,
        edited.clone(),
        deleted,
    ];
    assert_eq!(
        topics.map(|topic| heard(&topic)),
        [3, 3, 1, 1, 1, 1],
        "{broker:?}: once each"
    );
    let renamed = &about(&log, &edited, &code, &orphan)[0].payload;
    assert_eq!(renamed["shortUrl"]["title"], "Edited");
    let visit = &about(&log, &own, &code, &orphan)[0].payload;
    assert_eq!(visit["shortUrl"]["longUrl"], "https://example.com/landing");
    assert!(visit["visit"]["date"].is_string(), "{visit}");
    let lost = &about(&log, &orphans, &code, &orphan)[0].payload;
    assert_eq!(lost["visit"]["type"], "invalid_short_url");
    assert!(lost.get("shortUrl").is_none());
    if !matches!(broker, Broker::Redis) {
        let ids = |topic: &str| {
            let mut ids: Vec<_> = about(&log, topic, &code, &orphan)
                .into_iter()
                .map(|heard| heard.id.expect("a message id"))
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(
            ids(&general),
            ids(&own),
            "one id per visit, on both of its topics"
        );
        assert_eq!(
            ids(&general)
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len(),
            3
        );
        let carried: Vec<_> = about(&log, &own, &code, &orphan)
            .into_iter()
            .filter_map(|heard| heard.traceparent)
            .collect();
        assert_eq!(
            carried.len(),
            3,
            "every visit's message carries its trace: {carried:?}"
        );
        let joined = carried
            .iter()
            .filter(|traceparent| traceparent.contains(TRACE_ID));
        assert_eq!(
            joined.count(),
            1,
            "the traced visit's message continues its trace"
        );
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let name = format!("{broker:?}").to_lowercase();
    assert!(
        metrics.contains(&format!(
            "linkpulse_consumer_delivered_total{{consumer=\"{name}\"}} 7"
        )),
        "{metrics}"
    );
    broker.clean_up(&code, &prefix).await;
}

/// The broker down: redirects and clicks go on, its backlog grows; back up, every event is
/// heard once.
async fn outage_delays_only_the_broker(backend: Backend, broker: Broker) {
    let (code, prefix) = names();
    let log = broker.listen(&code, &prefix).await;
    let proxy = Proxy::start(broker.target()).await;
    let app = app(backend, broker, &proxy.address.to_string(), &prefix).await;
    app.create_link(json!({"longUrl": "https://example.com/landing", "customSlug": code}))
        .await;
    let own = format!("{}/{code}", Event::NewVisit.topic());
    until("the creation heard", Duration::from_secs(20), || {
        !about(&log, Event::NewShortUrl.topic(), &code, "-").is_empty()
    })
    .await;

    proxy.cut();
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/{code}")).await.status(),
            302,
            "redirects go on"
        );
    }
    let name = format!("{broker:?}").to_lowercase();
    let backlog = format!("linkpulse_consumer_backlog{{consumer=\"{name}\"}}");
    let mut waiting = 0.0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while waiting < 3.0 {
        assert!(
            Instant::now() < deadline,
            "the broker's backlog never reached 3"
        );
        let metrics = app.get("/metrics").await.text().await.unwrap();
        waiting = common::metric_value(&metrics, &backlog);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.api_json(&format!("/short-urls/{code}/visits")).await["visits"]["pagination"]["totalItems"],
        3,
        "the clicks are stored"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        about(&log, &own, &code, "-").is_empty(),
        "nothing got through the cut"
    );

    proxy.restore();
    until(
        "every visit heard after the outage",
        Duration::from_secs(40),
        || about(&log, &own, &code, "-").len() >= 3,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        about(&log, &own, &code, "-").len(),
        3,
        "{broker:?}: once each"
    );
    broker.clean_up(&code, &prefix).await;
}

async fn rabbitmq_hears_each_topic_once(backend: Backend) {
    each_topic_once(backend, Broker::RabbitMq).await;
}

async fn redis_hears_each_topic_once(backend: Backend) {
    each_topic_once(backend, Broker::Redis).await;
}

async fn nats_hears_each_topic_once(backend: Backend) {
    each_topic_once(backend, Broker::Nats).await;
}

async fn rabbitmq_outage_delays_only_it(backend: Backend) {
    outage_delays_only_the_broker(backend, Broker::RabbitMq).await;
}

async fn redis_outage_delays_only_it(backend: Backend) {
    outage_delays_only_the_broker(backend, Broker::Redis).await;
}

async fn nats_outage_delays_only_it(backend: Backend) {
    outage_delays_only_the_broker(backend, Broker::Nats).await;
}

backend_tests!(
    rabbitmq_hears_each_topic_once,
    redis_hears_each_topic_once,
    nats_hears_each_topic_once,
    rabbitmq_outage_delays_only_it,
    redis_outage_delays_only_it,
    nats_outage_delays_only_it,
);

/// JetStream keeps one copy of a message published twice (as after an ack lost in flight).
#[tokio::test]
async fn jetstream_drops_a_repeated_publish() {
    let (code, prefix) = names();
    let url = url::Url::parse(&format!("nats://{NATS}")).unwrap();
    let nats = Nats::new(&url, &prefix);
    let message = Message::new(
        uuid::Uuid::now_v7(),
        Event::NewVisit,
        Some(&code),
        br#"{"visit":{}}"#.to_vec(),
        Some(TRACEPARENT.into()),
    );
    nats.publish(&message).await.unwrap();
    nats.publish(&message).await.unwrap();
    let client = async_nats::connect(NATS).await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    let mut stream = jetstream.get_stream(stream_name(&prefix)).await.unwrap();
    let stored = stream.info().await.unwrap().state.messages;
    jetstream.delete_stream(stream_name(&prefix)).await.unwrap();
    assert_eq!(
        stored, 2,
        "one message per subject of the event, the repeat dropped"
    );
}
