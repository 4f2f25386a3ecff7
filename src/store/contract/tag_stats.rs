//! `TagStore` stories over three tagged links: statistics, orders, renames and deletions.

use super::fixture::{Fixture, new_link, set_visits};
use crate::clicks::VisitsSummary;
use crate::links::{TagFilter, TagOrder, TagStats};
use crate::listing::Direction;
use crate::store::{LinkStore, StoreError, TagStore};

/// Three links over tags `alpha`, `beta`, `gamma` (and `unused`, carried by no link).
async fn seeded<F: Fixture>() -> F {
    let fx = F::fresh().await;
    let store = fx.store();
    let links: [(&str, &[&str], i64, i64); 3] = [
        ("l1", &["alpha", "beta"], 10, 4),
        ("l2", &["beta"], 3, 0),
        ("l3", &["gamma", "beta"], 1, 1),
    ];
    for (code, tags, total, bots) in links {
        store
            .create_short_url(&new_link(code, "https://example.com/", tags))
            .await
            .unwrap();
        set_visits(store, code, total, bots).await;
    }
    store
        .create_short_url(&new_link("tmp", "https://example.com/", &["unused"]))
        .await
        .unwrap();
    store
        .delete_short_url(&crate::links::LinkAddress::default_domain(
            crate::links::ShortCode::parse("tmp").unwrap(),
        ))
        .await
        .unwrap();
    fx
}

fn stats(tag: &str, count: i64, total: i64, bots: i64) -> TagStats {
    TagStats {
        tag: tag.to_owned(),
        short_urls_count: count,
        visits: VisitsSummary {
            total,
            non_bots: total - bots,
            bots,
        },
    }
}

async fn list_tags_sorts_searches_and_pages<F: Fixture>() {
    let fx = seeded::<F>().await;
    let store = fx.store();
    let every = store.list_tags(&TagFilter::default()).await.unwrap();
    assert_eq!(every.items, ["alpha", "beta", "gamma", "unused"]);
    assert_eq!(every.total, 4);

    let search = TagFilter {
        search_term: Some("A".to_owned()),
        ..TagFilter::default()
    };
    let found = store.list_tags(&search).await.unwrap();
    assert_eq!(found.items, ["alpha", "beta", "gamma"]);
    let literal = TagFilter {
        search_term: Some("%".to_owned()),
        ..TagFilter::default()
    };
    assert_eq!(store.list_tags(&literal).await.unwrap().total, 0);

    let page = TagFilter {
        page: 2,
        items_per_page: Some(3),
        ..TagFilter::default()
    };
    let second = store.list_tags(&page).await.unwrap();
    assert_eq!((second.items, second.total), (vec!["unused".to_owned()], 4));

    let by_count = TagFilter {
        order_by: Some((TagOrder::ShortUrlsCount, Direction::Desc)),
        ..TagFilter::default()
    };
    let counted = store.list_tags(&by_count).await.unwrap();
    assert_eq!(counted.items, ["beta", "alpha", "gamma", "unused"]);
    let by_name_desc = TagFilter {
        order_by: Some((TagOrder::Tag, Direction::Desc)),
        ..TagFilter::default()
    };
    let reversed = store.list_tags(&by_name_desc).await.unwrap();
    assert_eq!(reversed.items, ["unused", "gamma", "beta", "alpha"]);
}

async fn tag_stats_sum_links_and_visits<F: Fixture>() {
    let fx = seeded::<F>().await;
    let store = fx.store();
    let all = store.tag_stats(&TagFilter::default()).await.unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(
        all.items,
        [
            stats("alpha", 1, 10, 4),
            stats("beta", 3, 14, 5),
            stats("gamma", 1, 1, 1),
            stats("unused", 0, 0, 0),
        ]
    );

    let by_human = TagFilter {
        order_by: Some((TagOrder::NonBotVisits, Direction::Desc)),
        items_per_page: Some(2),
        ..TagFilter::default()
    };
    let top = store.tag_stats(&by_human).await.unwrap();
    let names: Vec<&str> = top.items.iter().map(|s| s.tag.as_str()).collect();
    assert_eq!((names, top.total), (vec!["beta", "alpha"], 4));

    let by_visits = TagFilter {
        order_by: Some((TagOrder::Visits, Direction::Asc)),
        search_term: Some("a".to_owned()),
        ..TagFilter::default()
    };
    let low = store.tag_stats(&by_visits).await.unwrap();
    let names: Vec<&str> = low.items.iter().map(|s| s.tag.as_str()).collect();
    assert_eq!(names, ["gamma", "alpha", "beta"]);
}

async fn rename_tag_checks_source_and_target<F: Fixture>() {
    let fx = seeded::<F>().await;
    let store = fx.store();
    store.rename_tag("alpha", "first").await.unwrap();
    let link = store
        .find_short_url(&crate::links::LinkAddress::default_domain(
            crate::links::ShortCode::parse("l1").unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.tags, ["beta", "first"]);

    let err = store.rename_tag("first", "beta").await.unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateTag(ref t) if t == "beta"),
        "{err:?}"
    );
    let err = store.rename_tag("alpha", "other").await.unwrap_err();
    assert!(matches!(err, StoreError::TagNotFound(_)), "{err:?}");
    store.rename_tag("beta", "beta").await.unwrap();
    let err = store.rename_tag("missing", "missing").await.unwrap_err();
    assert!(matches!(err, StoreError::TagNotFound(_)), "{err:?}");
    let names = store.list_tags(&TagFilter::default()).await.unwrap().items;
    assert_eq!(names, ["beta", "first", "gamma", "unused"]);
}

async fn delete_tags_detaches_them_from_links<F: Fixture>() {
    let fx = seeded::<F>().await;
    let store = fx.store();
    store
        .delete_tags(&["beta".to_owned(), "nope".to_owned()])
        .await
        .unwrap();
    store.delete_tags(&[]).await.unwrap();
    let names = store.list_tags(&TagFilter::default()).await.unwrap().items;
    assert_eq!(names, ["alpha", "gamma", "unused"]);
    let link = store
        .find_short_url(&crate::links::LinkAddress::default_domain(
            crate::links::ShortCode::parse("l2").unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(link.tags.is_empty(), "{:?}", link.tags);
}

super::store_contract!(
    list_tags_sorts_searches_and_pages,
    tag_stats_sum_links_and_visits,
    rename_tag_checks_source_and_target,
    delete_tags_detaches_them_from_links,
);
