//! The webhook deliverer: claims due deliveries under a lease, POSTs each one signed, and
//! completes, retries or dead-letters it, fenced on its attempt. It runs beside the click
//! workers and shares nothing with the redirect path, so a slow or failing endpoint delays only
//! its own queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream;
use rand::rng;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::guard::{self, check_literal};
use super::{DeliveryClaim, DeliverySubject, Event, Verdict, Webhook, judge, signature_header};
use crate::pipeline::retry::Backoff;
use crate::store::{Store, StoreResult};

/// How often the deliverer looks for endpoints added (or re-enabled) since.
const ENDPOINTS_POLL: Duration = Duration::from_secs(1);

/// Builds the JSON body of an event (Shlink's shapes, which the HTTP layer owns).
pub type EventPayloads = Arc<dyn Fn(Event, &DeliverySubject) -> serde_json::Value + Send + Sync>;

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DelivererSettings {
    /// The longest one request may take.
    pub timeout: Duration,
    /// Retries: by default spread over about a day (5 s doubling to 6 h, 16 attempts).
    pub backoff: Backoff,
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
}

/// Delivers webhooks until cancelled.
pub struct Deliverer {
    store: Arc<dyn Store>,
    payloads: EventPayloads,
    settings: DelivererSettings,
    client: reqwest::Client,
}

impl Deliverer {
    /// A deliverer over `store`'s queues; fails only when the HTTP client cannot be built.
    pub fn new(
        store: Arc<dyn Store>,
        payloads: EventPayloads,
        settings: DelivererSettings,
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
        })
    }

    /// Runs until `shutdown`: one task per enabled endpoint, started within a second of the
    /// endpoint being added, so a slow or failing endpoint delays only its own queue. A
    /// delivery in flight at shutdown finishes, or is freed by its lease and made again.
    pub async fn run(self, shutdown: CancellationToken) {
        let deliverer = Arc::new(self);
        let mut tasks: HashMap<i64, JoinHandle<()>> = HashMap::new();
        while !shutdown.is_cancelled() {
            match deliverer.store.webhooks().await {
                Ok(hooks) => {
                    tasks.retain(|_, task| !task.is_finished());
                    for hook in hooks.into_iter().filter(|hook| hook.disabled.is_none()) {
                        tasks.entry(hook.id).or_insert_with(|| {
                            let deliverer = Arc::clone(&deliverer);
                            tokio::spawn(deliverer.serve(hook.id, shutdown.clone()))
                        });
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "webhooks unavailable; trying again");
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

    /// Delivers one endpoint's queue until shutdown, or until the endpoint is removed or
    /// disabled.
    async fn serve(self: Arc<Self>, webhook_id: i64, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let busy = match self.round(webhook_id).await {
                Ok(Some(busy)) => busy,
                Ok(None) => return,
                Err(err) => {
                    tracing::warn!(error = %err, "webhook deliveries unavailable; trying again");
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

    /// Claims and delivers one batch of the endpoint's queue: whether there was anything to
    /// do, `None` when the endpoint is gone or disabled.
    async fn round(&self, webhook_id: i64) -> StoreResult<Option<bool>> {
        let hooks = self.store.webhooks().await?;
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
                            tracing::warn!(error = %err, webhook = %hook.name, "cannot record a delivery; its lease will free it");
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

    /// Sends the delivery: the endpoint's verdict, or why it can never be delivered.
    async fn attempt(
        &self,
        hook: &Webhook,
        claim: &DeliveryClaim,
        subject: Option<&DeliverySubject>,
    ) -> Result<Verdict, String> {
        check_literal(&hook.url, self.settings.allow_private).map_err(|err| err.to_string())?;
        let subject = subject.ok_or_else(|| "what it is about is no longer stored".to_owned())?;
        let body = (self.payloads)(claim.event, subject).to_string();
        let now = Utc::now();
        let id = claim.message_id.to_string();
        let signature = signature_header(
            &hook.signing_secrets(now),
            &id,
            now.timestamp(),
            body.as_bytes(),
        );
        let mut request = self.client.post(hook.url.clone());
        if let Some(traceparent) = &subject.traceparent {
            request = request.header("traceparent", traceparent);
        }
        let sent = request
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", &id)
            .header("webhook-timestamp", now.timestamp().to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        Ok(match sent {
            Ok(response) => {
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|value| value.to_str().ok());
                judge(response.status(), retry_after)
            }
            Err(err) => Verdict::Retry {
                retry_after: None,
                reason: failure_text(&err),
            },
        })
    }

    /// Schedules the next attempt, or dead-letters the delivery when its attempts are used up;
    /// an endpoint failing for longer than `disable_after` is disabled.
    async fn retry(
        &self,
        hook: &Webhook,
        claim: &DeliveryClaim,
        retry_after: Option<Duration>,
        reason: &str,
    ) -> StoreResult<()> {
        let backoff = &self.settings.backoff;
        if let Some(since) = hook.failing_since
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
        tracing::info!(webhook = %hook.name, attempt = claim.attempt, ?delay, reason, "webhook delivery failed; retrying");
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
        tracing::warn!(webhook = %hook.name, message_id = %claim.message_id, reason, "webhook delivery dead-lettered");
        self.store.dead_letter_delivery(claim, reason).await?;
        Ok(())
    }
}

/// What went wrong sending, without the URL (it may carry a token).
fn failure_text(err: &reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "the request timed out"
    } else if err.is_connect() {
        "cannot connect to the endpoint"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(err);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
}
