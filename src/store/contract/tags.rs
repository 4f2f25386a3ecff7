//! `TagStore` stories over two tagged links and an orphan tag: listing, search, paging, stats.

use super::fixture::{Fixture, code, new_link, set_visits};
use crate::clicks::VisitsSummary;
use crate::links::{TagFilter, TagOrder, TagStats};
use crate::listing::Direction;
use crate::store::LinkStore;
use crate::store::{StoreError, TagStore};

/// Links: l1 [a, b] 10 visits (4 bots), l2 [b] 3 visits; tag `c_x` exists with no links.
async fn seeded<F: Fixture>() -> F {
    let fx = F::fresh().await;
    let store = fx.store();
    for (c, tags) in [
        ("l1", &["b", "a"][..]),
        ("l2", &["b"][..]),
        ("l3", &["c_x"][..]),
    ] {
        store
            .create_short_url(&new_link(c, "https://example.com/", tags))
            .await
            .unwrap();
    }
    store.delete_short_url(&code("l3")).await.unwrap();
    set_visits(store, "l1", 10, 4).await;
    set_visits(store, "l2", 3, 0).await;
    fx
}

async fn list_tags_sorts_searches_and_pages<F: Fixture>() {
    let fx = seeded::<F>().await;
    let store = fx.store();
    let all = store.list_tags(&TagFilter::default()).await.unwrap();
    assert_eq!(
        (all.items, all.total),
        (vec!["a".into(), "b".into(), "c_x".into()], 3)
    );

    let desc = TagFilter {
        order_by: Some((TagOrder::Tag, Direction::Desc)),
        ..TagFilter::default()
    };
    assert_eq!(
        store.list_tags(&desc).await.unwrap().items,
        vec!["c_x", "b", "a"]
    );

    let search = TagFilter {
        search_term: Some("_".into()),
        ..TagFilter::default()
    };
    let found = store.list_tags(&search).await.unwrap();
    assert_eq!((found.items, found.total), (vec!["c_x".into()], 1));

    let page = TagFilter {
        page: 2,
        items_per_page: Some(2),
        ..TagFilter::default()
    };
    let second = store.list_tags(&page).await.unwrap();
    assert_eq!((second.items, second.total), (vec!["c_x".into()], 3));

    let by_count = TagFilter {
        order_by: Some((TagOrder::ShortUrlsCount, Direction::Desc)),
        ..TagFilter::default()
    };
    assert_eq!(
        store.list_tags(&by_count).await.unwrap().items,
        vec!["b", "a", "c_x"]
    );
}

async fn tag_stats_count_links_and_visits<F: Fixture>() {
    let fx = seeded::<F>().await;
    let store = fx.store();
    let stats = store.tag_stats(&TagFilter::default()).await.unwrap();
    assert_eq!(stats.total, 3);
    let summary = |s: &TagStats| (s.tag.clone(), s.short_urls_count, s.visits);
    let rows: Vec<_> = stats.items.iter().map(summary).collect();
    let visits = |total, bots| VisitsSummary {
        total,
        non_bots: total - bots,
        bots,
    };
    assert_eq!(
        rows,
        vec![
            ("a".into(), 1, visits(10, 4)),
            ("b".into(), 2, visits(13, 4)),
            ("c_x".into(), 0, visits(0, 0)),
        ]
    );

    let by_humans = TagFilter {
        order_by: Some((TagOrder::NonBotVisits, Direction::Asc)),
        ..TagFilter::default()
    };
    let ordered = store.tag_stats(&by_humans).await.unwrap();
    let names: Vec<_> = ordered.items.iter().map(|s| s.tag.as_str()).collect();
    assert_eq!(names, vec!["c_x", "a", "b"]);
}

async fn rename_tag_outcomes<F: Fixture>() {
    let fx = seeded::<F>().await;
    let store = fx.store();
    store.rename_tag("a", "alpha").await.unwrap();
    let link = store.find_short_url(&code("l1")).await.unwrap().unwrap();
    assert_eq!(link.tags, vec!["alpha", "b"]);
    assert!(matches!(
        store.rename_tag("alpha", "b").await,
        Err(StoreError::DuplicateTag(ref t)) if t == "b"
    ));
    assert!(matches!(
        store.rename_tag("missing", "x").await,
        Err(StoreError::TagNotFound(_))
    ));
    assert!(matches!(
        store.rename_tag("missing", "b").await,
        Err(StoreError::TagNotFound(_))
    ));
    store.rename_tag("b", "b").await.unwrap();
}

async fn delete_tags_detaches_from_links<F: Fixture>() {
    let fx = seeded::<F>().await;
    let store = fx.store();
    store
        .delete_tags(&["b".into(), "unknown".into()])
        .await
        .unwrap();
    let l1 = store.find_short_url(&code("l1")).await.unwrap().unwrap();
    assert_eq!(l1.tags, vec!["a"]);
    let l2 = store.find_short_url(&code("l2")).await.unwrap().unwrap();
    assert!(l2.tags.is_empty());
    let left = store.list_tags(&TagFilter::default()).await.unwrap();
    assert_eq!(left.items, vec!["a", "c_x"]);
    store.delete_tags(&[]).await.unwrap();
}

super::store_contract!(
    list_tags_sorts_searches_and_pages,
    tag_stats_count_links_and_visits,
    rename_tag_outcomes,
    delete_tags_detaches_from_links,
);
