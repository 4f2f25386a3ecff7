//! Attempt fencing against a live row: once a lease has expired and another worker re-claimed
//! the row, the first worker's claim can change nothing (complete, retry, dead-letter, release).

use std::time::{Duration, Instant};

use chrono::Utc;
use linkpulse::clicks::{ClaimedEvent, Completion, CompletionOutcome};
use linkpulse::pipeline::event::ClickEvent;
use serde_json::json;

use super::{app, entry, event, link_id, visits_total};
use crate::common::{Backend, TestApp};
use linkpulse::clicks::{Click, DeviceKind};

/// The completion a worker would make for `claimed`, without enrichment.
fn completion(claimed: &ClaimedEvent) -> Completion {
    let click = ClickEvent::from_payload(&claimed.payload).expect("payload decodes");
    Completion {
        claim: Some(claimed.claim),
        click: Click {
            message_id: click.message_id,
            short_url_id: click.link_id,
            kind: click.kind,
            occurred_at: click.occurred_at,
            enriched_at: Utc::now(),
            ip: None,
            user_agent: click.user_agent,
            referer: None,
            visited_url: Some(click.visited_url),
            redirect_url: None,
            potential_bot: false,
            browser: None,
            browser_version: None,
            os: None,
            device: DeviceKind::Other,
            location: Default::default(),
            traceparent: None,
            visitor_hash: None,
            site_visitor_hash: None,
            referrer_domain: None,
            destination: None,
        },
    }
}

/// Claims the single queued row again once its first, short lease has run out.
async fn reclaim_after_expiry(app: &TestApp) -> ClaimedEvent {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut claimed = app
            .store
            .claim_clicks(10, Duration::from_secs(60))
            .await
            .unwrap();
        if let Some(fresh) = claimed.pop() {
            assert!(claimed.is_empty(), "only one row is queued");
            return fresh;
        }
        assert!(Instant::now() < deadline, "the short lease never expired");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The row's attempt number and whether it is still leased (portable SQL).
async fn row_state(app: &TestApp) -> (i64, i64) {
    let attempts = app
        .count("SELECT CAST(MAX(attempts) AS BIGINT) FROM click_outbox")
        .await;
    let leased = app
        .count("SELECT COUNT(*) FROM click_outbox WHERE lease_until IS NOT NULL")
        .await;
    (attempts, leased)
}

async fn a_stale_claim_changes_nothing_on_a_reclaimed_row(backend: Backend) {
    let app = app(backend).await;
    app.create_link(json!({"longUrl": "https://example.com/", "customSlug": "fence"}))
        .await;
    let click = event(Some(link_id(&app, "fence").await));
    app.store.enqueue_clicks(&[entry(&click)]).await.unwrap();
    let stale = app
        .store
        .claim_clicks(10, Duration::from_millis(30))
        .await
        .unwrap()
        .pop()
        .expect("first claim");
    assert_eq!(stale.claim.attempt, 1);
    let fresh = reclaim_after_expiry(&app).await;
    assert_eq!(fresh.claim.id, stale.claim.id, "the same row");
    assert_eq!(fresh.claim.attempt, 2);

    let outcomes = app
        .store
        .complete_clicks(&[completion(&stale)])
        .await
        .unwrap();
    assert_eq!(outcomes, vec![CompletionOutcome::Fenced]);
    assert!(
        !app.store
            .retry_click(stale.claim, Utc::now(), "stale retry")
            .await
            .unwrap(),
        "a stale retry reports fenced"
    );
    assert!(
        !app.store
            .dead_letter_click(stale.claim, "stale", "stale dead letter")
            .await
            .unwrap(),
        "a stale dead-letter reports fenced"
    );
    app.store.release_clicks(&[stale.claim]).await.unwrap();

    assert_eq!(
        row_state(&app).await,
        (2, 1),
        "attempt 2 and its lease kept"
    );
    assert!(
        app.store
            .claim_clicks(10, Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty(),
        "the fresh lease still holds"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 0);
    assert_eq!(visits_total(&app, "fence").await, 0);

    let outcomes = app
        .store
        .complete_clicks(&[completion(&fresh)])
        .await
        .unwrap();
    assert_eq!(outcomes, vec![CompletionOutcome::Inserted]);
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM click_outbox").await, 0);
    assert_eq!(visits_total(&app, "fence").await, 1);
}

crate::backend_tests!(a_stale_claim_changes_nothing_on_a_reclaimed_row);
