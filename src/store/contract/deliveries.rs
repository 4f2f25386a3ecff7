//! Webhook queue stories: a stored click fans out once per endpoint (a redelivered click is not
//! queued again), claims are fenced on the attempt, and dead deliveries are replayed.

use std::time::Duration;

use chrono::Utc;

use super::fixture::{Fixture, new_link};
use crate::clicks::{Click, Completion, DeviceKind, VisitKind};
use crate::consumers::{Event, Events, NewWebhook, WebhookSecret, check_url};
use crate::links::ShortUrlPatch;
use crate::store::{ClickStore, LinkStore, WebhookStore};

fn click(link: i64) -> Click {
    let now = Utc::now();
    Click {
        message_id: uuid::Uuid::now_v7(),
        short_url_id: Some(link),
        kind: VisitKind::ValidShortUrl,
        occurred_at: now,
        enriched_at: now,
        ip: None,
        user_agent: None,
        referer: None,
        visited_url: None,
        redirect_url: None,
        potential_bot: false,
        browser: None,
        browser_version: None,
        os: None,
        device: DeviceKind::Desktop,
        location: Default::default(),
        traceparent: None,
        visitor_hash: None,
        site_visitor_hash: None,
        referrer_domain: None,
        destination: None,
    }
}

fn hook(name: &str, events: &str) -> NewWebhook {
    NewWebhook {
        name: name.into(),
        url: check_url("https://hooks.example/in").unwrap(),
        events: Events::parse(events).unwrap(),
        secret: WebhookSecret::generate(),
    }
}

/// A new link `code` and the completion of one click on it (not stored yet).
async fn link_and_click(store: &impl LinkStore, code: &str) -> (i64, Completion) {
    let link = store
        .create_short_url(&new_link(code, "https://a.example/", &[]))
        .await
        .unwrap();
    let done = Completion {
        claim: None,
        click: click(link.id),
    };
    (link.id, done)
}

async fn a_stored_click_fans_out_once_per_endpoint<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let (link, done) = link_and_click(store, "fan").await;
    let hook_id = store
        .add_webhook(&hook("visits", "new-visit"))
        .await
        .unwrap()
        .id;
    let orphans = store
        .add_webhook(&hook("orphans", "new-orphan-visit"))
        .await
        .unwrap()
        .id;
    store
        .complete_clicks(std::slice::from_ref(&done))
        .await
        .unwrap();
    store
        .complete_clicks(std::slice::from_ref(&done))
        .await
        .unwrap();
    let claims = store
        .claim_deliveries(hook_id, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(claims.len(), 1, "one endpoint wants visits, once");
    let none = store
        .claim_deliveries(orphans, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        none.is_empty(),
        "the other endpoint wants orphan visits only"
    );
    assert_eq!(claims[0].event, Event::NewVisit);
    assert_eq!(claims[0].message_id, done.click.message_id);
    assert_eq!(claims[0].attempt, 1);
    let gone = crate::consumers::DeliveryClaim {
        message_id: uuid::Uuid::now_v7(),
        ..claims[0].clone()
    };
    let subjects = store
        .delivery_subjects(&[claims[0].clone(), gone])
        .await
        .unwrap();
    assert_eq!(subjects.len(), 1, "a click not stored is left out");
    let subject = &subjects[&done.click.message_id];
    assert_eq!(subject.link.as_ref().map(|l| l.id), Some(link));
    assert_eq!(store.delivered(&claims).await.unwrap(), 1);
    let figures = store.consumer_figures().await.unwrap();
    let visits = figures.iter().find(|f| f.consumer == "visits").unwrap();
    assert_eq!((visits.backlog, visits.delivered), (0, 1));
}

async fn a_stale_claim_is_fenced_and_dead_letters_replay<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let (_, done) = link_and_click(store, "fence").await;
    let hook_id = store
        .add_webhook(&hook("crm", "new-visit"))
        .await
        .unwrap()
        .id;
    store.complete_clicks(&[done]).await.unwrap();
    let stale = store
        .claim_deliveries(hook_id, 10, Duration::ZERO)
        .await
        .unwrap()
        .remove(0);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let fresh = store
        .claim_deliveries(hook_id, 10, Duration::from_secs(30))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(fresh.attempt, 2, "the expired lease was taken over");
    assert!(
        store.delivered(std::slice::from_ref(&stale)).await.unwrap() == 0,
        "the stale claim is fenced"
    );
    assert!(
        !store
            .retry_delivery(&stale, Utc::now(), "late")
            .await
            .unwrap()
    );
    assert!(
        store
            .dead_letter_delivery(&fresh, "the endpoint answered 500")
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_deliveries(hook_id, 10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    let dead = store.dead_deliveries(Some("crm"), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].attempts, dead[0].reason.as_str()),
        (2, "the endpoint answered 500")
    );
    assert_eq!(store.replay_deliveries("crm", None).await.unwrap(), 1);
    let again = store
        .claim_deliveries(hook_id, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(again[0].attempt, 1, "fresh attempts after a replay");
    assert_eq!(again[0].message_id, dead[0].message_id);
}

async fn a_deleted_link_keeps_only_its_deletion_queued<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let hook_id = store
        .add_webhook(&hook("index", "short-url-edited,short-url-deleted"))
        .await
        .unwrap()
        .id;
    let created = store
        .create_short_url(&new_link("gone", "https://a.example/", &[]))
        .await
        .unwrap();
    let patch = ShortUrlPatch {
        title: Some(Some("Renamed".into())),
        ..ShortUrlPatch::default()
    };
    store
        .update_short_url(&created.address(), &patch)
        .await
        .unwrap();
    let edits = store
        .claim_deliveries(hook_id, 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        edits.len(),
        1,
        "the edit only: the endpoint skips creations"
    );
    assert_eq!(
        (edits[0].event, edits[0].link_id),
        (Event::ShortUrlEdited, Some(created.id))
    );
    let subjects = store.delivery_subjects(&edits).await.unwrap();
    let edited = subjects[&edits[0].message_id].link.as_ref().unwrap();
    assert_eq!(edited.title.as_deref(), Some("Renamed"));
    store.delete_short_url(&created.address()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let left = store
        .claim_deliveries(hook_id, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(left.len(), 1, "the edit went with its link: {left:?}");
    assert_eq!(left[0].event, Event::ShortUrlDeleted);
    assert_eq!(left[0].deleted_link, Some(created.address()));
    let subjects = store.delivery_subjects(&left).await.unwrap();
    let subject = &subjects[&left[0].message_id];
    assert!(subject.link.is_none());
    assert_eq!(subject.deleted_link, Some(created.address()));
}

super::store_contract!(
    a_stored_click_fans_out_once_per_endpoint,
    a_deleted_link_keeps_only_its_deletion_queued,
    a_stale_claim_is_fenced_and_dead_letters_replay,
);
