//! The deliverer: claims each consumer's due deliveries under a lease, sends each one (a signed
//! POST to a webhook, a publish to a broker), and completes, retries or dead-letters it, fenced
//! on its attempt. It runs beside the click workers and shares nothing with the redirect path,
//! so a slow or failing consumer delays only its own queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream;
use rand::rng;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::broker::{Brokers, Message};
use super::guard::{self, check_literal};
use super::post::post;
use super::{ConsumerKind, DeliveryClaim, DeliverySubject, Event, Verdict, Webhook};
use crate::pipeline::retry::Backoff;
use crate::store::{Store, StoreResult};
use crate::traces::Traces;

/// How often the deliverer looks for endpoints added (or re-enabled) since.
const ENDPOINTS_POLL: Duration = Duration::from_secs(1);

/// Builds the JSON body of an event (Shlink's shapes, which the HTTP layer owns).
pub type EventPayloads = Arc<dyn Fn(Event, &DeliverySubject) -> serde_json::Value + Send + Sync>;

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DelivererSettings {
    /// The longest one request may take.
    pub timeout: Duration,
    /// Webhook retries: by default spread over about a day (5 s doubling to 6 h, 16 attempts).
    pub backoff: Backoff,
    /// Broker retries: soon and often, so a broker back from an outage gets its backlog at
    /// once (by default 1 s doubling to 1 min, for about a day).
    pub broker_backoff: Backoff,
    /// Deliveries claimed at once.
    pub batch: u32,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long the deliverer sleeps when nothing is due.
    pub idle_poll: Duration,
    /// Whether targets on private, loopback and link-local addresses are allowed.
    pub allow_private: bool,
    /// An endpoint failing for this long without one success is disabled.
    pub disable_after: Duration,
}

impl DelivererSettings {
    /// The default retry schedule of webhooks.
    pub fn default_backoff() -> Backoff {
        Backoff {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(6 * 60 * 60),
            max_attempts: 16,
        }
    }

    /// The default retry schedule of brokers.
    pub fn default_broker_backoff() -> Backoff {
        Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            max_attempts: 1440,
        }
    }
}

/// Delivers to every consumer until cancelled.
pub struct Deliverer {
    store: Arc<dyn Store>,
    payloads: EventPayloads,
    settings: DelivererSettings,
    client: reqwest::Client,
    brokers: Brokers,
    traces: Traces,
}

impl Deliverer {
    /// A deliverer over `store`'s queues, publishing to `brokers`, each delivery's span sent to
    /// `traces`; fails only when the HTTP client cannot be built.
    pub fn new(
        store: Arc<dyn Store>,
        payloads: EventPayloads,
        settings: DelivererSettings,
        brokers: Brokers,
        traces: Traces,
    ) -> anyhow::Result<Self> {
        let mut client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("linkpulse-webhooks/", env!("CARGO_PKG_VERSION")));
        if let Some(resolver) = guard::resolver(settings.allow_private) {
            client = client.dns_resolver(resolver);
        }
        Ok(Self {
            store,
            payloads,
            settings,
            client: client.build()?,
            brokers,
            traces,
        })
    }

    /// Runs until `shutdown`: one task per enabled consumer this instance can send to (every
    /// webhook; the brokers it was started with), started within a second of the consumer
    /// being added, so a slow or failing one delays only its own queue. A delivery in flight at
    /// shutdown finishes, or is freed by its lease and made again.
    pub async fn run(self, shutdown: CancellationToken) {
        let deliverer = Arc::new(self);
        let mut tasks: HashMap<i64, JoinHandle<()>> = HashMap::new();
        while !shutdown.is_cancelled() {
            match deliverer.store.consumers().await {
                Ok(hooks) => {
                    tasks.retain(|_, task| !task.is_finished());
                    let servable = |hook: &Webhook| {
                        hook.disabled.is_none()
                            && (hook.kind == ConsumerKind::Webhook
                                || deliverer.brokers.get(hook.kind).is_some())
                    };
                    for hook in hooks.into_iter().filter(servable) {
                        tasks.entry(hook.id).or_insert_with(|| {
                            let deliverer = Arc::clone(&deliverer);
                            tokio::spawn(deliverer.serve(hook.id, shutdown.clone()))
                        });
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "consumers unavailable; trying again");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(ENDPOINTS_POLL) => {}
            }
        }
        for task in tasks.into_values() {
            let _ = task.await;
        }
    }

    /// Delivers one consumer's queue until shutdown, or until it is removed or disabled.
    async fn serve(self: Arc<Self>, webhook_id: i64, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let busy = match self.round(webhook_id).await {
                Ok(Some(busy)) => busy,
                Ok(None) => return,
                Err(err) => {
                    tracing::warn!(error = %err, "deliveries unavailable; trying again");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(self.settings.idle_poll) => {}
                }
            }
        }
    }

    /// Claims and delivers one batch of the consumer's queue: whether there was anything to
    /// do, `None` when the consumer is gone or disabled.
    async fn round(&self, webhook_id: i64) -> StoreResult<Option<bool>> {
        let hooks = self.store.consumers().await?;
        let Some(hook) = hooks
            .into_iter()
            .find(|hook| hook.id == webhook_id && hook.disabled.is_none())
        else {
            return Ok(None);
        };
        // Twice the request timeout: a request is abandoned at its timeout, well within.
        let lease = self.settings.timeout * 2;
        let claims = self
            .store
            .claim_deliveries(webhook_id, self.settings.batch, lease)
            .await?;
        if claims.is_empty() {
            return Ok(Some(false));
        }
        let subjects = self.store.delivery_subjects(&claims).await?;
        let delivered = Mutex::new(Vec::with_capacity(claims.len()));
        let hook = &hook;
        stream::iter(claims)
            .for_each_concurrent(self.settings.concurrency, |claim| {
                let subject = subjects.get(&claim.message_id);
                let delivered = &delivered;
                async move {
                    match self.deliver(hook, &claim, subject).await {
                        Ok(true) => delivered
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(claim),
                        Ok(false) => {}
                        Err(err) => {
                            tracing::warn!(error = %err, consumer = %hook.name, "cannot record a delivery; its lease will free it");
                        }
                    }
                }
            })
            .await;
        let delivered = delivered
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        self.store.delivered(&delivered).await?;
        Ok(Some(true))
    }

    /// One attempt of `claim` to `hook`; true when it was acknowledged (the round completes
    /// those together), its failure recorded otherwise.
    async fn deliver(
        &self,
        hook: &Webhook,
        claim: &DeliveryClaim,
        subject: Option<&DeliverySubject>,
    ) -> StoreResult<bool> {
        let verdict = match self.attempt(hook, claim, subject).await {
            Ok(verdict) => verdict,
            Err(terminal) => {
                self.give_up(hook, claim, &terminal).await?;
                return Ok(false);
            }
        };
        match verdict {
            Verdict::Delivered => return Ok(true),
            Verdict::Gone => {
                self.store
                    .disable_webhook(hook.id, "the endpoint answered 410 Gone")
                    .await?;
                self.give_up(hook, claim, "the endpoint answered 410 Gone")
                    .await?;
            }
            Verdict::Retry {
                retry_after,
                reason,
            } => self.retry(hook, claim, retry_after, &reason).await?,
        }
        Ok(false)
    }

    /// Sends the delivery: the consumer's verdict, or why it can never be delivered.
    async fn attempt(
        &self,
        hook: &Webhook,
        claim: &DeliveryClaim,
        subject: Option<&DeliverySubject>,
    ) -> Result<Verdict, String> {
        if hook.kind == ConsumerKind::Webhook {
            check_literal(&hook.url, self.settings.allow_private).map_err(|err| err.to_string())?;
        }
        let subject = subject.ok_or_else(|| "what it is about is no longer stored".to_owned())?;
        let span = self.traces.delivery(
            &hook.name,
            hook.kind,
            &claim.message_id.to_string(),
            subject.traceparent.as_deref(),
        );
        let verdict = self
            .send(hook, claim, subject, span.traceparent.clone())
            .await;
        span.end(match &verdict {
            Verdict::Delivered => None,
            Verdict::Retry { reason, .. } => Some(reason),
            Verdict::Gone => Some("the endpoint answered 410 Gone"),
        });
        Ok(verdict)
    }

    /// Sends one delivery, carrying `traceparent`: a signed POST, or a publish to the broker.
    async fn send(
        &self,
        hook: &Webhook,
        claim: &DeliveryClaim,
        subject: &DeliverySubject,
        traceparent: Option<String>,
    ) -> Verdict {
        let body = (self.payloads)(claim.event, subject).to_string();
        let Some(publisher) = self.brokers.get(hook.kind) else {
            return post(&self.client, hook, claim, traceparent.as_deref(), body).await;
        };
        let message = Message::new(
            claim.message_id,
            claim.event,
            subject.link.as_ref().map(|link| link.short_code.as_str()),
            body.into_bytes(),
            traceparent,
        );
        let timeout = self.settings.timeout;
        match tokio::time::timeout(timeout, publisher.publish(&message)).await {
            Ok(Ok(())) => Verdict::Delivered,
            Ok(Err(err)) => Verdict::Retry {
                retry_after: None,
                reason: err.to_string(),
            },
            Err(_) => Verdict::Retry {
                retry_after: None,
                reason: format!("{}: no answer within {timeout:?}", hook.kind),
            },
        }
    }

    /// Schedules the next attempt, or dead-letters the delivery when its attempts are used up;
    /// an endpoint failing for longer than `disable_after` is disabled (a broker never is: its
    /// backlog waits for it).
    async fn retry(
        &self,
        hook: &Webhook,
        claim: &DeliveryClaim,
        retry_after: Option<Duration>,
        reason: &str,
    ) -> StoreResult<()> {
        let backoff = match hook.kind {
            ConsumerKind::Webhook => &self.settings.backoff,
            _ => &self.settings.broker_backoff,
        };
        if hook.kind == ConsumerKind::Webhook
            && let Some(since) = hook.failing_since
            && (Utc::now() - since).to_std().unwrap_or_default() > self.settings.disable_after
        {
            let why = format!("every delivery failed since {since} (last: {reason})");
            self.store.disable_webhook(hook.id, &why).await?;
        }
        if !backoff.should_retry(claim.attempt) {
            return self.give_up(hook, claim, reason).await;
        }
        let delay = backoff
            .delay(claim.attempt, &mut rng())
            .max(retry_after.unwrap_or_default());
        let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        tracing::info!(consumer = %hook.name, attempt = claim.attempt, ?delay, reason, "delivery failed; retrying");
        self.store.retry_delivery(claim, at, reason).await?;
        Ok(())
    }

    /// Dead-letters the delivery with `reason`.
    async fn give_up(
        &self,
        hook: &Webhook,
        claim: &DeliveryClaim,
        reason: &str,
    ) -> StoreResult<()> {
        tracing::warn!(consumer = %hook.name, message_id = %claim.message_id, reason, "delivery dead-lettered");
        self.store.dead_letter_delivery(claim, reason).await?;
        Ok(())
    }
}
