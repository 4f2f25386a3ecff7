//! `list_short_urls` stories: search, tag filters, ordering, paging, dates and exclusions.

use chrono::{Duration, TimeZone, Utc};

use super::fixture::{Fixture, new_link, set_created_at, set_visits};
use crate::links::{ShortUrl, ShortUrlFilter, ShortUrlOrder, TagsMode};
use crate::listing::Direction;
use crate::store::LinkStore;

fn codes(links: &[ShortUrl]) -> Vec<&str> {
    links.iter().map(|link| link.short_code.as_str()).collect()
}

/// No paging: every match on one page.
fn all() -> ShortUrlFilter {
    ShortUrlFilter {
        items_per_page: None,
        ..ShortUrlFilter::default()
    }
}

async fn search_is_case_insensitive_and_literal<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
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

async fn tag_filter_any_and_all<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
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
    let excluding = |mode| ShortUrlFilter {
        exclude_tags: vec!["a".to_owned(), "b".to_owned()],
        exclude_tags_mode: mode,
        order_by: Some((ShortUrlOrder::ShortCode, Direction::Asc)),
        ..all()
    };
    let without_any = store
        .list_short_urls(&excluding(TagsMode::Any))
        .await
        .unwrap();
    assert_eq!(codes(&without_any.items), ["none"]);
    let without_all = store
        .list_short_urls(&excluding(TagsMode::All))
        .await
        .unwrap();
    assert_eq!(codes(&without_all.items), ["none", "onlya", "onlyb"]);
    let kept_and_excluded = ShortUrlFilter {
        tags: vec!["a".to_owned()],
        exclude_tags: vec!["c".to_owned()],
        ..excluding(TagsMode::Any)
    };
    let page = store.list_short_urls(&kept_and_excluded).await.unwrap();
    assert_eq!(codes(&page.items), ["both"]);
    assert_eq!(page.total, 1);
}

async fn ordering_and_pagination<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
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
        set_visits(store, c, total, bots).await;
        set_created_at(store, c, now - Duration::days(days)).await;
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
            ["c3", "c4", "c1", "c2", "c5"],
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

async fn date_range_is_inclusive<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let day = |d| Utc.with_ymd_and_hms(2024, 1, d, 12, 0, 0).unwrap();
    for d in 1..=4 {
        let c = format!("day{d}");
        store
            .create_short_url(&new_link(&c, "https://example.com/", &[]))
            .await
            .unwrap();
        set_created_at(store, &c, day(d)).await;
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

async fn exclude_flags_drop_exhausted_and_expired_links<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
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
    set_visits(store, "capped", 2, 0).await;
    set_visits(store, "bots", 5, 4).await;
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

super::store_contract!(
    search_is_case_insensitive_and_literal,
    tag_filter_any_and_all,
    ordering_and_pagination,
    date_range_is_inclusive,
    exclude_flags_drop_exhausted_and_expired_links,
);
