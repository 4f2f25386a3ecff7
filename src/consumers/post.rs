//! One webhook request: the delivery POSTed with Standard Webhooks' headers, and the endpoint's
//! answer judged.

use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};

use super::{DeliveryClaim, Verdict, Webhook, judge, signature_header};

/// POSTs `body` for `claim` to `hook`, signed with its current secrets, naming its event in
/// `linkpulse-event` (a new and an edited link have the same shape) and carrying
/// `traceparent`; the endpoint's verdict (a request that failed to complete is one to retry).
pub(super) async fn post(
    client: &reqwest::Client,
    hook: &Webhook,
    claim: &DeliveryClaim,
    traceparent: Option<&str>,
    body: String,
) -> Verdict {
    let now = Utc::now();
    let id = claim.message_id.to_string();
    let signature = signature_header(
        &hook.signing_secrets(now),
        &id,
        now.timestamp(),
        body.as_bytes(),
    );
    let mut request = client.post(hook.url.clone());
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    let sent = request
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header("linkpulse-event", claim.event.as_str())
        .header("webhook-id", &id)
        .header("webhook-timestamp", now.timestamp().to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match sent {
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
