use chrono::Utc;

use super::*;
use crate::clicks::{DeviceKind, VisitKind};

/// A click from `agent` on `url`, with the other texts left empty.
fn click(agent: &str, url: &str) -> Click {
    Click {
        message_id: uuid::Uuid::now_v7(),
        short_url_id: Some(1),
        kind: VisitKind::ValidShortUrl,
        occurred_at: Utc::now(),
        enriched_at: Utc::now(),
        ip: Some("192.0.2.0".into()),
        user_agent: Some(agent.into()),
        referer: None,
        visited_url: Some(url.into()),
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

#[test]
fn a_batch_asks_for_each_distinct_text_once_sorted() {
    let clicks = [click("zeta", "https://a/"), click("alpha", "https://a/")];
    let batch = TextIds::default().for_batch(clicks.iter());
    assert_eq!(
        batch.unknown(),
        [
            "alpha",
            "desktop",
            "direct",
            "https://a/",
            "unknown",
            "zeta"
        ],
        "the clicks' texts and the values their breakdowns count them under"
    );
}

#[test]
fn an_orphan_visit_brings_no_breakdown_values() {
    let orphan = Click {
        short_url_id: None,
        ..click("agent", "https://a/")
    };
    let batch = TextIds::default().for_batch([&orphan].into_iter());
    assert_eq!(batch.unknown(), ["agent", "desktop", "https://a/"]);
}

#[test]
fn a_campaign_tag_is_a_text_of_the_batch() {
    let tagged = click("agent", "https://a/?utm_source=newsletter");
    let mut batch = TextIds::default().for_batch([&tagged].into_iter());
    assert!(batch.unknown().contains(&"newsletter".to_owned()));
    batch.learn([(5, "newsletter".into())]);
    assert_eq!(batch.id_of("newsletter").expect("learnt"), 5);
    assert!(batch.id_of("elsewhere").is_err(), "not a text of the batch");
}

#[test]
fn ids_learnt_in_a_batch_fill_every_slot_in_column_order() {
    let one = click("agent", "https://a/");
    let mut batch = TextIds::default().for_batch([&one].into_iter());
    batch.learn([
        (7, "agent".into()),
        (8, "desktop".into()),
        (9, "https://a/".into()),
    ]);
    let ids = batch.ids_of(&one).expect("every text resolved");
    assert_eq!(ids[0], Some(7), "user_agent_id");
    assert_eq!(ids[2], Some(9), "visited_url_id");
    assert_eq!(ids[7], Some(8), "device_id");
    assert_eq!(ids.iter().flatten().count(), 3, "empty texts have no id");
}

#[test]
fn a_text_without_an_id_is_a_data_error_naming_it() {
    let one = click("agent", "https://a/");
    let mut batch = TextIds::default().for_batch([&one].into_iter());
    batch.learn([(7, "agent".into()), (8, "desktop".into())]);
    let err = batch.ids_of(&one).expect_err("the URL has no id");
    assert!(err.concerns_the_data(), "a smaller batch can get through");
    assert!(err.to_string().contains("https://a/"), "{err}");
}

#[test]
fn only_remembered_batches_spare_the_next_one_its_lookups() {
    let ids = TextIds::default();
    let one = click("agent", "https://a/");
    let mut rolled_back = ids.for_batch([&one].into_iter());
    rolled_back.learn([(1, "agent".into())]);
    assert_eq!(
        ids.for_batch([&one].into_iter()).unknown().len(),
        5,
        "nothing remembered"
    );

    let mut committed = ids.for_batch([&one].into_iter());
    committed.learn([
        (1, "agent".into()),
        (2, "desktop".into()),
        (3, "direct".into()),
        (4, "unknown".into()),
    ]);
    ids.remember(&committed);
    let next = ids.for_batch([&one].into_iter());
    assert_eq!(next.unknown(), ["https://a/"]);
    assert!(next.ids_of(&one).is_err(), "the URL still needs its id");
}
