//! Postgres `LinkStore` tests, each against a fresh database.

use chrono::{Duration, TimeZone, Utc};
use url::Url;

use crate::links::{LongUrl, ShortCode, Tag};
use crate::store::postgres::test_support::{fresh_store, new_link, set_created_at, set_visits};
use crate::store::{
    Direction, LinkStore, ShortUrlFilter, ShortUrlOrder, ShortUrlPatch, StoreError, TagStore,
    TagsMode,
};

fn code(raw: &str) -> ShortCode {
    ShortCode::parse(raw).expect("valid code")
}

fn codes(links: &[crate::store::ShortUrl]) -> Vec<&str> {
    links.iter().map(|link| link.short_code.as_str()).collect()
}

fn all() -> ShortUrlFilter {
    ShortUrlFilter {
        items_per_page: None,
        ..ShortUrlFilter::default()
    }
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn create_then_find_with_sorted_tags() {
    let store = fresh_store().await;
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

    set_visits(&store, "abc", 5, 2).await;
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

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn find_by_long_url_lists_newest_first() {
    let store = fresh_store().await;
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
    set_created_at(&store, "old", Utc::now() - Duration::days(1)).await;
    let found = store.find_by_long_url("https://a.test/").await.unwrap();
    assert_eq!(codes(&found), ["new", "old"]);
    assert!(
        store
            .find_by_long_url("https://c.test/")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn duplicate_code_is_refused_and_rolled_back() {
    let store = fresh_store().await;
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

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn search_is_case_insensitive_and_literal() {
    let store = fresh_store().await;
    let titled = [
        ("pct", "100% off"),
        ("nopct", "100 pct off"),
        ("under", "a_b"),
        ("nounder", "axb"),
        ("slash", "back\\slash"),
        ("noslash", "backslash"),
    ];
    for (c, title) in titled {
        let mut new = new_link(c, "https://example.com/", &[]);
        new.title = Some(title.to_owned());
        store.create_short_url(&new).await.unwrap();
    }
    store
        .create_short_url(&new_link("tagged", "https://example.com/", &["Marketing"]))
        .await
        .unwrap();
    store
        .create_short_url(&new_link("url", "https://Docs.Rust-Lang.org/", &[]))
        .await
        .unwrap();
    let search = |term: &str| ShortUrlFilter {
        search_term: Some(term.to_owned()),
        order_by: Some((ShortUrlOrder::ShortCode, Direction::Asc)),
        ..all()
    };
    let cases: [(&str, &[&str]); 7] = [
        ("100%", &["pct"]),
        ("a_b", &["under"]),
        ("\\", &["slash"]),
        ("MARKET", &["tagged"]),
        ("rust-lang", &["url"]),
        ("NOUND", &["nounder"]),
        ("OFF", &["nopct", "pct"]),
    ];
    for (term, expected) in cases {
        let page = store.list_short_urls(&search(term)).await.unwrap();
        assert_eq!(codes(&page.items), expected, "search {term:?}");
        assert_eq!(page.total, expected.len() as u64, "total for {term:?}");
    }
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn tag_filter_any_and_all() {
    let store = fresh_store().await;
    let links: [(&str, &[&str]); 4] = [
        ("both", &["a", "b"]),
        ("onlya", &["a", "c"]),
        ("onlyb", &["b"]),
        ("none", &[]),
    ];
    for (c, tags) in links {
        store
            .create_short_url(&new_link(c, "https://example.com/", tags))
            .await
            .unwrap();
    }
    let filter = |mode| ShortUrlFilter {
        tags: vec!["a".to_owned(), "b".to_owned(), "b".to_owned()],
        tags_mode: mode,
        order_by: Some((ShortUrlOrder::ShortCode, Direction::Asc)),
        ..all()
    };
    let any = store.list_short_urls(&filter(TagsMode::Any)).await.unwrap();
    assert_eq!(codes(&any.items), ["both", "onlya", "onlyb"]);
    assert_eq!(any.items[0].tags, ["a", "b"]);
    assert_eq!(any.items[1].tags, ["a", "c"]);
    let every = store.list_short_urls(&filter(TagsMode::All)).await.unwrap();
    assert_eq!(codes(&every.items), ["both"]);
    assert_eq!(every.total, 1);
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn ordering_and_pagination() {
    let store = fresh_store().await;
    // (code, title, total visits, bot visits, days ago)
    let rows = [
        ("c1", Some("beta"), 10, 9, 5),
        ("c2", None, 4, 0, 4),
        ("c3", Some("Alpha"), 7, 1, 3),
        ("c4", Some("alpha"), 0, 0, 2),
        ("c5", None, 8, 8, 1),
    ];
    let now = Utc::now();
    for (c, title, total, bots, days) in rows {
        let mut new = new_link(c, &format!("https://example.com/{c}"), &[]);
        new.title = title.map(str::to_owned);
        store.create_short_url(&new).await.unwrap();
        set_visits(&store, c, total, bots).await;
        set_created_at(&store, c, now - Duration::days(days)).await;
    }
    let ordered = |order| ShortUrlFilter {
        order_by: order,
        ..all()
    };
    type Order = Option<(ShortUrlOrder, Direction)>;
    let cases: [(Order, [&str; 5]); 6] = [
        (None, ["c5", "c4", "c3", "c2", "c1"]),
        (
            Some((ShortUrlOrder::DateCreated, Direction::Asc)),
            ["c1", "c2", "c3", "c4", "c5"],
        ),
        (
            Some((ShortUrlOrder::Visits, Direction::Desc)),
            ["c1", "c5", "c3", "c2", "c4"],
        ),
        (
            Some((ShortUrlOrder::NonBotVisits, Direction::Desc)),
            ["c3", "c2", "c1", "c5", "c4"],
        ),
        (
            Some((ShortUrlOrder::Title, Direction::Asc)),
            ["c2", "c5", "c3", "c4", "c1"],
        ),
        (
            Some((ShortUrlOrder::Title, Direction::Desc)),
            ["c1", "c4", "c3", "c5", "c2"],
        ),
    ];
    for (order, expected) in cases {
        let page = store.list_short_urls(&ordered(order)).await.unwrap();
        assert_eq!(codes(&page.items), expected, "order {order:?}");
    }

    let paged = |page, size| ShortUrlFilter {
        page,
        items_per_page: size,
        order_by: Some((ShortUrlOrder::ShortCode, Direction::Asc)),
        ..ShortUrlFilter::default()
    };
    let second = store.list_short_urls(&paged(2, Some(2))).await.unwrap();
    assert_eq!((codes(&second.items), second.total), (vec!["c3", "c4"], 5));
    let last = store.list_short_urls(&paged(3, Some(2))).await.unwrap();
    assert_eq!((codes(&last.items), last.total), (vec!["c5"], 5));
    let beyond = store.list_short_urls(&paged(9, Some(2))).await.unwrap();
    assert_eq!((beyond.items.len(), beyond.total), (0, 5));
    let everything = store.list_short_urls(&paged(1, None)).await.unwrap();
    assert_eq!((everything.items.len(), everything.total), (5, 5));
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn date_range_is_inclusive() {
    let store = fresh_store().await;
    let day = |d| Utc.with_ymd_and_hms(2024, 1, d, 12, 0, 0).unwrap();
    for d in 1..=4 {
        let c = format!("day{d}");
        store
            .create_short_url(&new_link(&c, "https://example.com/", &[]))
            .await
            .unwrap();
        set_created_at(&store, &c, day(d)).await;
    }
    let filter = ShortUrlFilter {
        start_date: Some(day(2)),
        end_date: Some(day(3)),
        ..all()
    };
    let page = store.list_short_urls(&filter).await.unwrap();
    assert_eq!(codes(&page.items), ["day3", "day2"]);
    assert_eq!(page.total, 2);
    let from = ShortUrlFilter {
        start_date: Some(day(3) + Duration::milliseconds(1)),
        ..all()
    };
    assert_eq!(
        codes(&store.list_short_urls(&from).await.unwrap().items),
        ["day4"]
    );
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn exclude_flags_drop_exhausted_and_expired_links() {
    let store = fresh_store().await;
    let now = Utc::now();
    let mut capped = new_link("capped", "https://example.com/", &[]);
    capped.max_visits = Some(2);
    let mut bots = new_link("bots", "https://example.com/", &[]);
    bots.max_visits = Some(2);
    let mut expired = new_link("expired", "https://example.com/", &[]);
    expired.valid_until = Some(now - Duration::minutes(1));
    let mut future = new_link("future", "https://example.com/", &[]);
    future.valid_until = Some(now + Duration::days(1));
    let plain = new_link("plain", "https://example.com/", &[]);
    for new in [&capped, &bots, &expired, &future, &plain] {
        store.create_short_url(new).await.unwrap();
    }
    set_visits(&store, "capped", 2, 0).await;
    set_visits(&store, "bots", 5, 4).await;
    let filter = |max, until| ShortUrlFilter {
        exclude_max_visits_reached: max,
        exclude_past_valid_until: until,
        order_by: Some((ShortUrlOrder::ShortCode, Direction::Asc)),
        ..all()
    };
    let no_max = store.list_short_urls(&filter(true, false)).await.unwrap();
    assert_eq!(codes(&no_max.items), ["bots", "expired", "future", "plain"]);
    let no_past = store.list_short_urls(&filter(false, true)).await.unwrap();
    assert_eq!(codes(&no_past.items), ["bots", "capped", "future", "plain"]);
    let both = store.list_short_urls(&filter(true, true)).await.unwrap();
    assert_eq!(codes(&both.items), ["bots", "future", "plain"]);
    assert_eq!(both.total, 3);
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn update_applies_only_present_fields() {
    let store = fresh_store().await;
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
        long_url: Some(LongUrl::parse("https://example.org/b", &base).unwrap()),
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
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn delete_removes_link_and_its_tag_links() {
    let store = fresh_store().await;
    store
        .create_short_url(&new_link("gone", "https://example.com/", &["t"]))
        .await
        .unwrap();
    store.delete_short_url(&code("gone")).await.unwrap();
    assert_eq!(store.find_short_url(&code("gone")).await.unwrap(), None);
    let err = store.delete_short_url(&code("gone")).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let stats = store.tag_stats(&Default::default()).await.unwrap();
    assert_eq!(stats.items.len(), 1);
    assert_eq!(stats.items[0].short_urls_count, 0);
}
