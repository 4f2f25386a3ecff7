//! Single-link stories (create, find, update, delete), on each engine.

use chrono::{Duration, TimeZone, Utc};
use url::Url;

use super::fixture::{Fixture, code, new_link, set_created_at, set_visits};
use crate::links::{LongUrl, OwnOrigin, Tag};
use crate::links::{ShortUrl, ShortUrlPatch};
use crate::store::{LinkStore, StoreError, TagStore, VisitStore};

fn codes(links: &[ShortUrl]) -> Vec<&str> {
    links.iter().map(|link| link.short_code.as_str()).collect()
}

async fn create_then_find_with_sorted_tags<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let mut new = new_link(
        "abc",
        "https://example.com/x",
        &["zeta", "Alpha", "beta", "zeta"],
    );
    new.title = Some("Title".to_owned());
    new.max_visits = Some(7);
    new.forward_query = false;
    let created = store.create_short_url(&new).await.unwrap();
    assert_eq!(created.tags, ["Alpha", "beta", "zeta"]);
    assert_eq!(created.visits.total, 0);
    assert_eq!(created.title.as_deref(), Some("Title"));
    assert_eq!(created.max_visits, Some(7));
    assert!(!created.forward_query);

    let found = store.find_short_url(&code("abc")).await.unwrap();
    assert_eq!(found.as_ref(), Some(&created));
    assert_eq!(store.find_short_url(&code("nope")).await.unwrap(), None);

    set_visits(store, "abc", 5, 2).await;
    for _ in 0..3 {
        assert!(store.take_capped_visit(created.id).await.unwrap());
    }
    let target = store
        .find_redirect_target(&code("abc"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(target.link_id, created.id);
    assert_eq!(target.long_url, "https://example.com/x");
    assert_eq!(target.non_bot_visits, 3);
    assert_eq!(target.max_visits, Some(7));
    assert!(!target.forward_query);
    assert!(
        store
            .find_redirect_target(&code("nope"))
            .await
            .unwrap()
            .is_none()
    );
    let visits = store
        .find_short_url(&code("abc"))
        .await
        .unwrap()
        .unwrap()
        .visits;
    assert_eq!((visits.total, visits.non_bots, visits.bots), (5, 3, 2));
}

async fn find_by_long_url_lists_newest_first<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    for c in ["old", "new", "other"] {
        let url = if c == "other" {
            "https://b.test/"
        } else {
            "https://a.test/"
        };
        store
            .create_short_url(&new_link(c, url, &[]))
            .await
            .unwrap();
    }
    set_created_at(store, "old", Utc::now() - Duration::days(1)).await;
    let found = store
        .find_by_long_url(&crate::links::Domain::Default, "https://a.test/")
        .await
        .unwrap();
    assert_eq!(codes(&found), ["new", "old"]);
    assert!(
        store
            .find_by_long_url(&crate::links::Domain::Default, "https://c.test/")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn duplicate_code_is_refused_and_rolled_back<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    store
        .create_short_url(&new_link("dup", "https://a.test/", &["one"]))
        .await
        .unwrap();
    let err = store
        .create_short_url(&new_link("dup", "https://b.test/", &["two"]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateShortCode(ref c) if c == "dup"),
        "{err:?}"
    );
    let kept = store.find_short_url(&code("dup")).await.unwrap().unwrap();
    assert_eq!(kept.long_url, "https://a.test/");
    let tags = store.list_tags(&Default::default()).await.unwrap();
    assert_eq!(tags.items, ["one"]);
}

async fn update_applies_only_present_fields<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let mut new = new_link("edit", "https://example.com/a", &["keep", "old"]);
    new.title = Some("Title".to_owned());
    new.max_visits = Some(3);
    new.valid_since = Some(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap());
    let created = store.create_short_url(&new).await.unwrap();

    let unchanged = store
        .update_short_url(&code("edit"), &ShortUrlPatch::default())
        .await
        .unwrap();
    assert_eq!(unchanged, created);

    let patch = ShortUrlPatch {
        title: Some(None),
        crawlable: Some(true),
        max_visits: Some(Some(9)),
        ..ShortUrlPatch::default()
    };
    let updated = store.update_short_url(&code("edit"), &patch).await.unwrap();
    assert_eq!(updated.title, None);
    assert!(updated.crawlable);
    assert_eq!(updated.max_visits, Some(9));
    assert_eq!(updated.valid_since, created.valid_since);
    assert_eq!(updated.long_url, created.long_url);
    assert_eq!(updated.tags, created.tags);

    let base = Url::parse("https://lp.test/").unwrap();
    let patch = ShortUrlPatch {
        long_url: Some(LongUrl::parse("https://example.org/b", &OwnOrigin::of(&base)).unwrap()),
        valid_since: Some(None),
        tags: Some(Tag::parse_all(&["new", "keep"]).unwrap()),
        forward_query: Some(false),
        ..ShortUrlPatch::default()
    };
    let updated = store.update_short_url(&code("edit"), &patch).await.unwrap();
    assert_eq!(updated.long_url, "https://example.org/b");
    assert_eq!(updated.valid_since, None);
    assert_eq!(updated.tags, ["keep", "new"]);
    assert!(!updated.forward_query);
    assert!(updated.crawlable, "earlier edit must persist");
    let reread = store.find_short_url(&code("edit")).await.unwrap();
    assert_eq!(reread.as_ref(), Some(&updated));

    let err = store
        .update_short_url(&code("missing"), &patch)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LinkNotFound(_)), "{err:?}");
}

async fn delete_removes_link_and_its_tag_links<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    store
        .create_short_url(&new_link("gone", "https://example.com/", &["t"]))
        .await
        .unwrap();
    store.delete_short_url(&code("gone")).await.unwrap();
    assert_eq!(store.find_short_url(&code("gone")).await.unwrap(), None);
    let err = store.delete_short_url(&code("gone")).await.unwrap_err();
    assert!(matches!(err, StoreError::LinkNotFound(_)), "{err:?}");
    let stats = store.tag_stats(&Default::default()).await.unwrap();
    assert_eq!(stats.items.len(), 1);
    assert_eq!(stats.items[0].short_urls_count, 0);
}

async fn capped_visits_are_granted_up_to_the_cap<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let mut new = new_link("cap", "https://example.com/cap", &[]);
    new.max_visits = Some(2);
    let link = store.create_short_url(&new).await.unwrap();
    let granted = |n: usize| async move {
        let mut taken = 0;
        for _ in 0..n {
            taken += usize::from(store.take_capped_visit(link.id).await.unwrap());
        }
        taken
    };
    assert_eq!(granted(5).await, 2);
    // Counted visits beyond what was granted (from before the cap) count against a new cap.
    set_visits(store, "cap", 4, 1).await;
    let raised = ShortUrlPatch {
        max_visits: Some(Some(5)),
        ..ShortUrlPatch::default()
    };
    store.update_short_url(&code("cap"), &raised).await.unwrap();
    assert_eq!(granted(5).await, 2, "3 human visits counted, 5 allowed");
    store.delete_link_visits(&code("cap")).await.unwrap();
    assert_eq!(
        granted(9).await,
        5,
        "deleting the visits starts the cap over"
    );
    let target = store
        .find_redirect_target(&code("cap"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(target.non_bot_visits, 5);
}

super::store_contract!(
    capped_visits_are_granted_up_to_the_cap,
    create_then_find_with_sorted_tags,
    find_by_long_url_lists_newest_first,
    duplicate_code_is_refused_and_rolled_back,
    update_applies_only_present_fields,
    delete_removes_link_and_its_tag_links,
);
