//! Unit tests of link creation against an in-memory `LinkStore` that can force collisions.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{Duration, Utc};
use url::Url;

use super::*;
use crate::clicks::VisitsSummary;
use crate::links::{Domain, LongUrl, OwnOrigin, RedirectTarget, ShortUrlFilter, ShortUrlPatch};
use crate::listing::Page;
use crate::store::StoreResult;

/// Stores links in a vector; the first `collisions` inserts fail as duplicates.
#[derive(Default)]
struct FakeStore {
    links: Mutex<Vec<ShortUrl>>,
    collisions: AtomicUsize,
    inserts: AtomicUsize,
}

impl FakeStore {
    fn colliding(times: usize) -> Self {
        let store = Self::default();
        store.collisions.store(times, Ordering::SeqCst);
        store
    }

    fn seed(&self, code: &str, long_url: &str, tags: &[&str], max_visits: Option<i64>) {
        let mut links = self.links.lock().unwrap();
        let id = links.len() as i64 + 1;
        links.push(ShortUrl {
            domain: Domain::Default,
            id,
            short_code: ShortCode::parse(code).unwrap(),
            long_url: LongUrl::parse_stored(long_url).unwrap(),
            title: None,
            date_created: Utc::now() + Duration::seconds(id),
            valid_since: None,
            valid_until: None,
            max_visits,
            crawlable: false,
            forward_query: true,
            tags: Tag::parse_all(tags).unwrap(),
            visits: VisitsSummary::default(),
            author_key_id: None,
            has_redirect_rules: false,
            device_long_urls: crate::links::rules::DeviceLongUrls::default(),
            expired_url: None,
            password_protected: false,
            split: crate::links::Split::default(),
        });
    }
}

#[async_trait]
impl LinkStore for FakeStore {
    async fn create_short_url(&self, new: &NewShortUrl) -> StoreResult<ShortUrl> {
        self.inserts.fetch_add(1, Ordering::SeqCst);
        let forced = self
            .collisions
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let mut links = self.links.lock().unwrap();
        if forced || links.iter().any(|l| l.short_code == new.short_code) {
            return Err(StoreError::DuplicateShortCode(new.short_code.to_string()));
        }
        let link = ShortUrl {
            domain: Domain::Default,
            id: links.len() as i64 + 1,
            short_code: new.short_code.clone(),
            long_url: new.long_url.clone(),
            title: new.title.clone(),
            date_created: Utc::now(),
            valid_since: new.valid_since,
            valid_until: new.valid_until,
            max_visits: new.max_visits,
            crawlable: new.crawlable,
            forward_query: new.forward_query,
            tags: new.tags.clone(),
            visits: VisitsSummary::default(),
            author_key_id: new.author_key_id,
            has_redirect_rules: false,
            device_long_urls: crate::links::rules::DeviceLongUrls::default(),
            expired_url: None,
            password_protected: new.password.is_some(),
            split: crate::links::Split::default(),
        };
        links.push(link.clone());
        Ok(link)
    }
    async fn find_short_url(&self, _link: &LinkAddress) -> StoreResult<Option<ShortUrl>> {
        Ok(None)
    }
    async fn crawlable_short_codes(&self, _domain: &Domain) -> StoreResult<Vec<String>> {
        let links = self.links.lock().unwrap();
        let crawlable = links.iter().filter(|l| l.crawlable);
        Ok(crawlable.map(|l| l.short_code.to_string()).collect())
    }

    async fn find_by_long_url(
        &self,
        _domain: &Domain,
        long_url: &str,
    ) -> StoreResult<Vec<ShortUrl>> {
        let mut found: Vec<ShortUrl> = self
            .links
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.long_url == *long_url)
            .cloned()
            .collect();
        found.sort_by_key(|l| std::cmp::Reverse(l.date_created));
        Ok(found)
    }
    async fn find_redirect_target(
        &self,
        _link: &LinkAddress,
    ) -> StoreResult<Option<RedirectTarget>> {
        Ok(None)
    }
    async fn take_capped_visit(&self, _link_id: i64) -> StoreResult<bool> {
        Ok(false)
    }
    async fn list_short_urls(&self, _filter: &ShortUrlFilter) -> StoreResult<Page<ShortUrl>> {
        Err(StoreError::LinkNotFound("any".into()))
    }
    async fn update_short_url(
        &self,
        link: &LinkAddress,
        _patch: &ShortUrlPatch,
    ) -> StoreResult<ShortUrl> {
        Err(StoreError::LinkNotFound(link.to_string()))
    }
    async fn delete_short_url(&self, link: &LinkAddress) -> StoreResult<()> {
        Err(StoreError::LinkNotFound(link.to_string()))
    }
}

fn draft(code: CodeChoice, tags: &[&str]) -> LinkDraft {
    let base = Url::parse("https://lp.example/").unwrap();
    LinkDraft {
        domain: Domain::Default,
        short_code: code,
        long_url: LongUrl::parse("https://example.com/page", &OwnOrigin::of(&base)).unwrap(),
        title: None,
        valid_since: None,
        valid_until: None,
        max_visits: None,
        crawlable: false,
        forward_query: true,
        tags: Tag::parse_all(tags).unwrap(),
        author_key_id: None,
        date_created: None,
        rules: RedirectRules::default(),
        expired_url: None,
        password: None,
        split: crate::links::Split::default(),
    }
}

fn slug(s: &str) -> CodeChoice {
    CodeChoice::Custom(ShortCode::parse(s).unwrap())
}

#[tokio::test]
async fn generated_collisions_are_retried_with_fresh_codes() {
    let store = FakeStore::colliding(MAX_GENERATION_ATTEMPTS - 1);
    let link = create_link(&store, &draft(CodeChoice::Generated(7), &[]), false)
        .await
        .unwrap();
    assert_eq!(link.short_code.as_str().len(), 7);
    assert_eq!(
        store.inserts.load(Ordering::SeqCst),
        MAX_GENERATION_ATTEMPTS
    );
}

#[tokio::test]
async fn generation_gives_up_after_the_attempt_limit() {
    let store = FakeStore::colliding(usize::MAX);
    let err = create_link(&store, &draft(CodeChoice::Generated(5), &[]), false)
        .await
        .unwrap_err();
    assert!(matches!(err, CreateLinkError::CodesExhausted(5)), "{err:?}");
    assert_eq!(
        store.inserts.load(Ordering::SeqCst),
        MAX_GENERATION_ATTEMPTS
    );
}

#[tokio::test]
async fn a_taken_custom_slug_is_not_retried() {
    let store = FakeStore::default();
    store.seed("mine", "https://other.example/", &[], None);
    let err = create_link(&store, &draft(slug("mine"), &[]), false)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CreateLinkError::SlugTaken(s) if s == "mine"),
        "{err:?}"
    );
    assert_eq!(store.inserts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn find_if_exists_returns_the_newest_match() {
    let store = FakeStore::default();
    store.seed("older", "https://example.com/page", &[], None);
    store.seed("newer", "https://example.com/page", &["x"], None);
    let found = create_link(&store, &draft(CodeChoice::Generated(5), &[]), true)
        .await
        .unwrap();
    assert_eq!(found.short_code, "newer");
    assert_eq!(store.inserts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn find_if_exists_matches_every_given_parameter() {
    let store = FakeStore::default();
    store.seed("tagged", "https://example.com/page", &["a", "b"], Some(3));
    let same_tags = create_link(&store, &draft(CodeChoice::Generated(5), &["b", "a"]), true)
        .await
        .unwrap();
    assert_eq!(same_tags.short_code, "tagged");

    let subset = create_link(&store, &draft(CodeChoice::Generated(5), &["a"]), true)
        .await
        .unwrap();
    assert_ne!(
        subset.short_code, "tagged",
        "tags must match as a whole set"
    );

    let mut capped = draft(slug("tagged"), &[]);
    capped.max_visits = Some(4);
    let err = create_link(&store, &capped, true).await.unwrap_err();
    assert!(matches!(err, CreateLinkError::SlugTaken(_)), "{err:?}");

    capped.max_visits = Some(3);
    let found = create_link(&store, &capped, true).await.unwrap();
    assert_eq!(found.short_code, "tagged");
}

#[tokio::test]
async fn find_if_exists_never_matches_across_a_password() {
    let store = FakeStore::default();
    store.seed("open", "https://example.com/page", &[], None);
    let mut protected = draft(CodeChoice::Generated(5), &[]);
    protected.password = Some(
        crate::links::LinkPassword::parse("s3cret")
            .unwrap()
            .hash()
            .unwrap(),
    );
    let created = create_link(&store, &protected, true).await.unwrap();
    assert_ne!(
        created.short_code, "open",
        "a protected draft gets its own link"
    );

    assert!(created.password_protected);
    store.links.lock().unwrap()[0].password_protected = true;
    let plain = create_link(&store, &draft(CodeChoice::Generated(5), &[]), true)
        .await
        .unwrap();
    assert!(
        !plain.password_protected && plain.short_code != "open",
        "a plain draft never gets someone's protected link"
    );
    assert_eq!(store.inserts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn without_find_if_exists_a_new_link_is_always_created() {
    let store = FakeStore::default();
    store.seed("first", "https://example.com/page", &[], None);
    let link = create_link(&store, &draft(CodeChoice::Generated(5), &[]), false)
        .await
        .unwrap();
    assert_ne!(link.short_code, "first");
    assert_eq!(store.links.lock().unwrap().len(), 2);
}
