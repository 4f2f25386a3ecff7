//! One delivery to a consumer: what a worker claims, how an endpoint's answer is judged, and
//! the figures `/metrics` shows per consumer.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use uuid::Uuid;

use super::Event;
use crate::links::{LinkAddress, ShortUrl};
use crate::store::Visit;

/// A delivery a worker holds under a lease; its completion is fenced on `attempt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryClaim {
    /// Row id.
    pub id: i64,
    /// The webhook it goes to.
    pub webhook_id: i64,
    /// The click's message id, sent as `webhook-id` so receivers can de-duplicate.
    pub message_id: Uuid,
    /// What happened.
    pub event: Event,
    /// The stored link a `new-short-url` or `short-url-edited` delivery is about.
    pub link_id: Option<i64>,
    /// The address of the link a `short-url-deleted` delivery is about.
    pub deleted_link: Option<LinkAddress>,
    /// This attempt's number, from 1.
    pub attempt: u32,
}

/// What a delivery is about, read back when it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliverySubject {
    /// The stored visit (`None` for a link's event).
    pub visit: Option<Visit>,
    /// The link (of the visit; `None` for an orphan visit, or a link deleted since).
    pub link: Option<ShortUrl>,
    /// The address of the link a `short-url-deleted` delivery announces.
    pub deleted_link: Option<LinkAddress>,
    /// The W3C `traceparent` of the redirect, passed on so the delivery joins its trace.
    pub traceparent: Option<String>,
}

/// A delivery that used up its attempts, as the DLQ lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadDelivery {
    /// Row id.
    pub id: i64,
    /// The consumer's name.
    pub consumer: String,
    /// The click's message id.
    pub message_id: Uuid,
    /// What happened.
    pub event: Event,
    /// How many times it was tried.
    pub attempts: u32,
    /// The last failure.
    pub reason: String,
    /// When it was given up on.
    pub dead_at: DateTime<Utc>,
}

/// One consumer's queue, for `/metrics` and `GET /admin/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerFigures {
    /// The consumer's name.
    pub consumer: String,
    /// Deliveries waiting (not dead).
    pub backlog: i64,
    /// When the oldest waiting one was made.
    pub oldest: Option<DateTime<Utc>>,
    /// Deliveries acknowledged (a 2xx, or the broker taking them), ever.
    pub delivered: i64,
    /// Failed attempts that were retried, ever.
    pub retried: i64,
    /// Deliveries dead-lettered, ever.
    pub dead: i64,
    /// Dead letters waiting for a replay or purge.
    pub dead_now: i64,
}

/// One metric of [`consumer_metrics`]: name, type, help, and how to read it from the figures.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&ConsumerFigures, DateTime<Utc>) -> f64,
);

/// The consumers' queues in Prometheus' text format, one series per consumer (names are
/// `[A-Za-z0-9._-]`, so they need no escaping).
pub fn consumer_metrics(figures: &[ConsumerFigures], now: DateTime<Utc>) -> String {
    if figures.is_empty() {
        return String::new();
    }
    let series: [Series; 6] = [
        (
            "linkpulse_consumer_backlog",
            "gauge",
            "Deliveries waiting, per consumer.",
            |f, _| f.backlog as f64,
        ),
        (
            "linkpulse_consumer_oldest_age_seconds",
            "gauge",
            "Age of the oldest waiting delivery, per consumer.",
            |f, now| {
                f.oldest.map_or(0.0, |at| {
                    (now - at).num_milliseconds().max(0) as f64 / 1000.0
                })
            },
        ),
        (
            "linkpulse_consumer_delivered_total",
            "counter",
            "Deliveries acknowledged (a 2xx, or the broker taking them), per consumer.",
            |f, _| f.delivered as f64,
        ),
        (
            "linkpulse_consumer_retried_total",
            "counter",
            "Failed attempts retried later, per consumer.",
            |f, _| f.retried as f64,
        ),
        (
            "linkpulse_consumer_dead_lettered_total",
            "counter",
            "Deliveries that used up their attempts, per consumer.",
            |f, _| f.dead as f64,
        ),
        (
            "linkpulse_consumer_dead_letters",
            "gauge",
            "Dead letters waiting for a replay or purge, per consumer.",
            |f, _| f.dead_now as f64,
        ),
    ];
    let mut text = String::new();
    for (name, kind, help, value) in series {
        text.push_str(&format!(
            "# HELP {name} {help}
# TYPE {name} {kind}
"
        ));
        for consumer in figures {
            text.push_str(&format!(
                "{name}{{consumer=\"{}\"}} {}\n",
                consumer.consumer,
                value(consumer, now)
            ));
        }
    }
    text
}

/// What to do with a delivery after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Acknowledged: done.
    Delivered,
    /// Failed: try again after at least this long (the endpoint's `Retry-After`, if it gave
    /// one), or dead-letter it if its attempts are used up.
    Retry {
        /// The endpoint's wish, if any.
        retry_after: Option<Duration>,
        /// What went wrong.
        reason: String,
    },
    /// The endpoint answered 410 Gone: it is disabled and the delivery dead-lettered.
    Gone,
}

/// The verdict on an endpoint's answer: only 2xx is success; 410 disables the endpoint.
pub fn judge(status: StatusCode, retry_after: Option<&str>) -> Verdict {
    if status.is_success() {
        return Verdict::Delivered;
    }
    if status == StatusCode::GONE {
        return Verdict::Gone;
    }
    Verdict::Retry {
        retry_after: retry_after.and_then(parse_retry_after),
        reason: format!("the endpoint answered {status}"),
    }
}

/// `Retry-After` as seconds (its HTTP-date form is read as "no wish"), at most a day.
fn parse_retry_after(raw: &str) -> Option<Duration> {
    let seconds: u64 = raw.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(24 * 60 * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_consumer_has_its_series() {
        let now = Utc::now();
        let crm = ConsumerFigures {
            consumer: "crm".into(),
            backlog: 3,
            oldest: Some(now - chrono::Duration::seconds(2)),
            delivered: 10,
            retried: 4,
            dead: 1,
            dead_now: 1,
        };
        let text = consumer_metrics(&[crm], now);
        assert!(
            text.contains("linkpulse_consumer_backlog{consumer=\"crm\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("linkpulse_consumer_oldest_age_seconds{consumer=\"crm\"} 2\n"));
        assert!(text.contains("# TYPE linkpulse_consumer_delivered_total counter\n"));
        assert!(text.contains("linkpulse_consumer_dead_lettered_total{consumer=\"crm\"} 1\n"));
        assert_eq!(consumer_metrics(&[], now), "");
    }

    #[test]
    fn only_2xx_succeeds_and_410_is_gone() {
        assert_eq!(judge(StatusCode::OK, None), Verdict::Delivered);
        assert_eq!(judge(StatusCode::NO_CONTENT, None), Verdict::Delivered);
        assert_eq!(judge(StatusCode::GONE, None), Verdict::Gone);
        for status in [
            StatusCode::MOVED_PERMANENTLY,
            StatusCode::BAD_REQUEST,
            StatusCode::BAD_GATEWAY,
        ] {
            assert!(matches!(
                judge(status, None),
                Verdict::Retry {
                    retry_after: None,
                    ..
                }
            ));
        }
    }

    #[test]
    fn retry_after_is_honoured_in_seconds_and_capped() {
        let wish = |raw| match judge(StatusCode::TOO_MANY_REQUESTS, Some(raw)) {
            Verdict::Retry { retry_after, .. } => retry_after,
            other => panic!("{other:?}"),
        };
        assert_eq!(wish("120"), Some(Duration::from_secs(120)));
        assert_eq!(wish("999999"), Some(Duration::from_secs(86_400)));
        assert_eq!(wish("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
