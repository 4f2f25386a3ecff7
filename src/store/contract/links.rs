//! Link stories across the whole `LinkStore`: creating with tags, duplicates, lookups by long
//! URL and redirect targets, listing, editing and deleting.

use chrono::{Duration, TimeZone, Utc};
use url::Url;

use super::fixture::{Fixture, code, count_rows, new_link, set_created_at, set_visits};
use crate::links::{LongUrl, OwnOrigin, Tag};
use crate::links::{ShortUrlFilter, ShortUrlOrder, ShortUrlPatch, TagsMode};
use crate::listing::Direction;
use crate::store::{LinkStore, StoreError};

/// Codes of a page, in order.
fn codes(items: &[crate::links::ShortUrl]) -> Vec<&str> {
    items.iter().map(|s| s.short_code.as_str()).collect()
}

/// A filter returning every match on one page.
fn all() -> ShortUrlFilter {
    ShortUrlFilter {
        items_per_page: None,
        ..ShortUrlFilter::default()
    }
}

async fn create_then_find_with_sorted_tags<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let mut new = new_link("abc123", "https://example.com/a", &["zeta", "alpha"]);
    new.title = Some("Hello".into());
    new.max_visits = Some(3);
    let created = store.create_short_url(&new).await.unwrap();
    assert_eq!(created.tags, vec!["alpha", "zeta"]);
    assert_eq!(created.visits.total, 0);
    assert_eq!(created.title.as_deref(), Some("Hello"));
    assert!(created.forward_query && !created.crawlable);

    let found = store.find_short_url(&code("abc123")).await.unwrap();
    assert_eq!(found.as_ref(), Some(&created));
    assert!(store.find_short_url(&code("nope")).await.unwrap().is_none());

    // A second link reuses the existing tag row.
    store
        .create_short_url(&new_link("other", "https://example.com/b", &["alpha"]))
        .await
        .unwrap();
    let tags = count_rows(store, "tags").await;
    assert_eq!(tags, 2);
}

async fn duplicate_code_is_reported_and_rolled_back<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    store
        .create_short_url(&new_link("dup", "https://example.com/1", &[]))
        .await
        .unwrap();
    let err = store
        .create_short_url(&new_link("dup", "https://example.com/2", &["fresh"]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateShortCode(ref c) if c == "dup"));
    let found = store.find_short_url(&code("dup")).await.unwrap().unwrap();
    assert_eq!(found.long_url, "https://example.com/1");
    let tags = count_rows(store, "tags").await;
    assert_eq!(tags, 0);
}

async fn find_by_long_url_is_newest_first_and_redirect_target_reads_the_link<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let url = "https://example.com/same";
    for c in ["old1", "new1"] {
        store
            .create_short_url(&new_link(c, url, &[]))
            .await
            .unwrap();
    }
    store
        .create_short_url(&new_link("else", "https://example.com/else", &[]))
        .await
        .unwrap();
    set_created_at(store, "old1", Utc::now() - Duration::days(2)).await;
    let found = store
        .find_by_long_url(&crate::links::Domain::Default, url)
        .await
        .unwrap();
    assert_eq!(codes(&found), vec!["new1", "old1"]);

    set_visits(store, "new1", 7, 2).await;
    let target = store
        .find_redirect_target(&code("new1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        target.non_bot_visits, 0,
        "an uncapped link is granted nothing"
    );
    assert!(!store.take_capped_visit(target.link_id).await.unwrap());
    assert_eq!(target.long_url, url);
    assert_eq!(target.link_id, found[0].id);
    assert!(
        store
            .find_redirect_target(&code("none"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn search_is_case_insensitive_and_escapes_like_metacharacters<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let mut pct = new_link("pct", "https://example.com/100%25off", &[]);
    pct.title = Some("Big SALE".into());
    store.create_short_url(&pct).await.unwrap();
    store
        .create_short_url(&new_link("under_s", "https://example.com/plain", &[]))
        .await
        .unwrap();
    store
        .create_short_url(&new_link("tagged", "https://example.com/x", &["News_Tag"]))
        .await
        .unwrap();
    let search = |term: &str| ShortUrlFilter {
        search_term: Some(term.into()),
        ..all()
    };
    let hits = |page: crate::listing::Page<crate::links::ShortUrl>| {
        let mut c: Vec<String> = page
            .items
            .into_iter()
            .map(|s| s.short_code.to_string())
            .collect();
        c.sort();
        c
    };
    assert_eq!(
        hits(store.list_short_urls(&search("%")).await.unwrap()),
        vec!["pct"]
    );
    assert_eq!(
        hits(store.list_short_urls(&search("_")).await.unwrap()),
        vec!["tagged", "under_s"]
    );
    assert_eq!(
        hits(store.list_short_urls(&search("sale")).await.unwrap()),
        vec!["pct"]
    );
    assert_eq!(
        hits(store.list_short_urls(&search("news")).await.unwrap()),
        vec!["tagged"]
    );
    assert_eq!(
        hits(store.list_short_urls(&search("UNDER")).await.unwrap()),
        vec!["under_s"]
    );
    let none = store.list_short_urls(&search("\\")).await.unwrap();
    assert_eq!(none.total, 0);
}

async fn tag_filter_any_and_all<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    for (c, tags) in [
        ("ab", &["a", "b"][..]),
        ("a1", &["a"][..]),
        ("b1", &["b"][..]),
        ("n1", &[][..]),
    ] {
        store
            .create_short_url(&new_link(c, "https://example.com/", tags))
            .await
            .unwrap();
    }
    let by_tags = |mode| ShortUrlFilter {
        tags: vec!["a".into(), "b".into(), "b".into()],
        tags_mode: mode,
        order_by: Some((ShortUrlOrder::ShortCode, Direction::Asc)),
        ..all()
    };
    let any = store
        .list_short_urls(&by_tags(TagsMode::Any))
        .await
        .unwrap();
    assert_eq!(codes(&any.items), vec!["a1", "ab", "b1"]);
    assert_eq!(any.total, 3);
    let every = store
        .list_short_urls(&by_tags(TagsMode::All))
        .await
        .unwrap();
    assert_eq!(codes(&every.items), vec!["ab"]);
    assert_eq!(every.items[0].tags, vec!["a", "b"]);
}

async fn ordering_and_pagination<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let base = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    // (code, total, bots, title)
    let links = [
        ("c1", 10, 9, Some("b")),
        ("c2", 5, 0, None),
        ("c3", 7, 1, Some("a")),
    ];
    for (i, (c, total, bots, title)) in links.into_iter().enumerate() {
        let mut new = new_link(c, &format!("https://example.com/{}", 3 - i), &["t"]);
        new.title = title.map(Into::into);
        store.create_short_url(&new).await.unwrap();
        set_visits(store, c, total, bots).await;
        set_created_at(store, c, base + Duration::days(i as i64)).await;
    }
    let ordered = |order| ShortUrlFilter {
        order_by: order,
        ..all()
    };
    let list = |f: ShortUrlFilter| async move { store.list_short_urls(&f).await.unwrap() };
    assert_eq!(
        codes(&list(ordered(None)).await.items),
        vec!["c3", "c2", "c1"]
    );
    let cases = [
        (
            ShortUrlOrder::Visits,
            Direction::Desc,
            vec!["c1", "c3", "c2"],
        ),
        (
            ShortUrlOrder::NonBotVisits,
            Direction::Desc,
            vec!["c3", "c2", "c1"],
        ),
        (
            ShortUrlOrder::LongUrl,
            Direction::Asc,
            vec!["c3", "c2", "c1"],
        ),
        (
            ShortUrlOrder::ShortCode,
            Direction::Desc,
            vec!["c3", "c2", "c1"],
        ),
        (
            ShortUrlOrder::DateCreated,
            Direction::Asc,
            vec!["c1", "c2", "c3"],
        ),
        (ShortUrlOrder::Title, Direction::Asc, vec!["c3", "c1", "c2"]),
        (
            ShortUrlOrder::Title,
            Direction::Desc,
            vec!["c1", "c3", "c2"],
        ),
    ];
    for (field, dir, expected) in cases {
        let page = list(ordered(Some((field, dir)))).await;
        assert_eq!(codes(&page.items), expected, "{field:?} {dir:?}");
    }

    let paged = |page| ShortUrlFilter {
        page,
        items_per_page: Some(2),
        order_by: Some((ShortUrlOrder::ShortCode, Direction::Asc)),
        ..ShortUrlFilter::default()
    };
    let first = list(paged(1)).await;
    assert_eq!((codes(&first.items), first.total), (vec!["c1", "c2"], 3));
    assert_eq!(first.items[0].visits.non_bots, 1);
    let second = list(paged(2)).await;
    assert_eq!((codes(&second.items), second.total), (vec!["c3"], 3));
    assert_eq!(second.items[0].tags, vec!["t"]);
    let beyond = list(paged(5)).await;
    assert_eq!((beyond.items.len(), beyond.total), (0, 3));

    let range = ShortUrlFilter {
        start_date: Some(base + Duration::days(1)),
        end_date: Some(base + Duration::days(2)),
        ..ordered(Some((ShortUrlOrder::ShortCode, Direction::Asc)))
    };
    let in_range = list(range).await;
    assert_eq!(
        (codes(&in_range.items), in_range.total),
        (vec!["c2", "c3"], 2)
    );
}

async fn exclude_flags_drop_exhausted_and_expired_links<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let now = Utc::now();
    let mut capped = new_link("capped", "https://example.com/1", &[]);
    capped.max_visits = Some(3);
    let mut under = new_link("under", "https://example.com/2", &[]);
    under.max_visits = Some(3);
    let mut expired = new_link("expired", "https://example.com/3", &[]);
    expired.valid_until = Some(now - Duration::hours(1));
    let mut future = new_link("future", "https://example.com/4", &[]);
    future.valid_until = Some(now + Duration::hours(1));
    for new in [&capped, &under, &expired, &future] {
        store.create_short_url(new).await.unwrap();
    }
    set_visits(store, "capped", 5, 2).await;
    set_visits(store, "under", 5, 3).await;
    let filter = |visits, until| ShortUrlFilter {
        exclude_max_visits_reached: visits,
        exclude_past_valid_until: until,
        order_by: Some((ShortUrlOrder::ShortCode, Direction::Asc)),
        ..all()
    };
    let page = store.list_short_urls(&filter(true, false)).await.unwrap();
    assert_eq!(codes(&page.items), vec!["expired", "future", "under"]);
    let page = store.list_short_urls(&filter(false, true)).await.unwrap();
    assert_eq!(codes(&page.items), vec!["capped", "future", "under"]);
    let page = store.list_short_urls(&filter(true, true)).await.unwrap();
    assert_eq!(
        (codes(&page.items), page.total),
        (vec!["future", "under"], 2)
    );
}

async fn update_applies_only_present_fields_and_clears<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let mut new = new_link("edit", "https://example.com/old", &["keep", "drop"]);
    new.title = Some("Title".into());
    new.max_visits = Some(9);
    new.valid_since = Some(Utc::now());
    let created = store.create_short_url(&new).await.unwrap();

    let crawl = ShortUrlPatch {
        crawlable: Some(true),
        ..ShortUrlPatch::default()
    };
    let updated = store.update_short_url(&code("edit"), &crawl).await.unwrap();
    assert!(updated.crawlable);
    assert_eq!(updated.title, created.title);
    assert_eq!(updated.tags, created.tags);

    let base = Url::parse("https://lp.test/").unwrap();
    let clear = ShortUrlPatch {
        long_url: Some(LongUrl::parse("https://example.com/new", &OwnOrigin::of(&base)).unwrap()),
        title: Some(None),
        max_visits: Some(None),
        valid_since: Some(None),
        tags: Some(vec![
            Tag::parse("keep").unwrap(),
            Tag::parse("new").unwrap(),
        ]),
        ..ShortUrlPatch::default()
    };
    let updated = store.update_short_url(&code("edit"), &clear).await.unwrap();
    assert_eq!(updated.long_url, "https://example.com/new");
    assert_eq!(
        (updated.title, updated.max_visits, updated.valid_since),
        (None, None, None)
    );
    assert_eq!(updated.tags, vec!["keep", "new"]);
    assert!(updated.crawlable);
    let reread = store.find_short_url(&code("edit")).await.unwrap().unwrap();
    assert_eq!(reread.tags, vec!["keep", "new"]);

    let missing = store.update_short_url(&code("missing"), &crawl).await;
    assert!(matches!(missing, Err(StoreError::LinkNotFound(_))));
}

async fn delete_removes_link_and_its_tag_links<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    store
        .create_short_url(&new_link("gone", "https://example.com/", &["t"]))
        .await
        .unwrap();
    store.delete_short_url(&code("gone")).await.unwrap();
    assert!(store.find_short_url(&code("gone")).await.unwrap().is_none());
    let links = count_rows(store, "short_url_tags").await;
    assert_eq!(links, 0);
    let again = store.delete_short_url(&code("gone")).await;
    assert!(matches!(again, Err(StoreError::LinkNotFound(_))));
}

super::store_contract!(
    create_then_find_with_sorted_tags,
    duplicate_code_is_reported_and_rolled_back,
    find_by_long_url_is_newest_first_and_redirect_target_reads_the_link,
    search_is_case_insensitive_and_escapes_like_metacharacters,
    tag_filter_any_and_all,
    ordering_and_pagination,
    exclude_flags_drop_exhausted_and_expired_links,
    update_applies_only_present_fields_and_clears,
    delete_removes_link_and_its_tag_links,
);
