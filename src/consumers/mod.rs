//! Consumers: every place an event fans out to besides the click store, each a queue with the
//! click pipeline's guarantees. Deliveries are made in the transaction that stores the click (so
//! none is lost or made twice), claimed under a lease, retried with backoff, fenced on the
//! attempt, and dead-lettered per consumer with the reason: webhook endpoints, and the brokers
//! (RabbitMQ, Redis, NATS JetStream) Shlink's real-time events are published to.

pub mod broker;
mod deliverer;
mod delivery;
pub mod guard;
mod kind;
mod post;
mod signature;
mod webhook;

pub use deliverer::{Deliverer, DelivererSettings, EventPayloads};
pub use delivery::{
    ConsumerFigures, DeadDelivery, DeliveryClaim, DeliverySubject, Verdict, consumer_metrics, judge,
};
pub use kind::ConsumerKind;
pub use signature::signature_header;
pub use webhook::{
    Event, Events, NewWebhook, ROTATION_OVERLAP, Webhook, WebhookError, WebhookSecret, check_name,
    check_url,
};
