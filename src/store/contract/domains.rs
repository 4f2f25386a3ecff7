//! Domain stories: one code on two domains, each found, edited, listed and deleted by its own
//! address; the domains served and their redirects.

use super::fixture::{Fixture, code, new_link};
use crate::links::{
    Domain, DomainName, LinkAddress, NotFoundRedirects, NotFoundRedirectsPatch, OwnOrigin,
    RedirectUrl, ShortUrlFilter, ShortUrlPatch,
};
use crate::store::{DomainStore, LinkStore, StoreError};

fn other() -> Domain {
    Domain::Named(DomainName::parse("go.example").expect("name"))
}

fn on_other(raw: &str) -> LinkAddress {
    LinkAddress {
        domain: other(),
        code: code(raw).code,
    }
}

async fn one_code_lives_once_per_domain<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let ours = store
        .create_short_url(&new_link("promo", "https://a.example/", &[]))
        .await
        .unwrap();
    let mut theirs = new_link("promo", "https://b.example/", &[]);
    theirs.domain = other();
    theirs.crawlable = true;
    let theirs = store.create_short_url(&theirs).await.unwrap();
    assert_eq!(
        (ours.domain.clone(), theirs.domain.clone()),
        (Domain::Default, other())
    );
    let mut again = new_link("promo", "https://c.example/", &[]);
    again.domain = other();
    assert!(matches!(
        store.create_short_url(&again).await,
        Err(StoreError::DuplicateShortCode(_))
    ));

    let found = store.find_short_url(&on_other("promo")).await.unwrap();
    assert_eq!(found.map(|l| l.id), Some(theirs.id));
    let target = store.find_redirect_target(&code("promo")).await.unwrap();
    assert_eq!(
        target.map(|t| t.long_url),
        Some("https://a.example/".to_owned())
    );
    assert_eq!(
        store.crawlable_short_codes(&other()).await.unwrap(),
        ["promo"]
    );
    assert!(
        store
            .crawlable_short_codes(&Domain::Default)
            .await
            .unwrap()
            .is_empty()
    );
    let by_url = store
        .find_by_long_url(&other(), "https://a.example/")
        .await
        .unwrap();
    assert!(by_url.is_empty(), "findIfExists stays on its domain");

    let patch = ShortUrlPatch {
        title: Some(Some("Theirs".into())),
        ..ShortUrlPatch::default()
    };
    store
        .update_short_url(&on_other("promo"), &patch)
        .await
        .unwrap();
    let filter = |domain| ShortUrlFilter {
        domain,
        items_per_page: None,
        ..ShortUrlFilter::default()
    };
    let listed = store.list_short_urls(&filter(Some(other()))).await.unwrap();
    let titles: Vec<_> = listed.items.iter().map(|l| l.title.clone()).collect();
    assert_eq!(titles, [Some("Theirs".to_owned())]);
    assert_eq!(store.list_short_urls(&filter(None)).await.unwrap().total, 2);

    store.delete_short_url(&on_other("promo")).await.unwrap();
    assert!(
        store
            .find_short_url(&on_other("promo"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_short_url(&code("promo"))
            .await
            .unwrap()
            .is_some()
    );
}

async fn domains_are_listed_with_their_own_redirects<F: Fixture>() {
    let fx = F::fresh().await;
    let store = fx.store();
    let listed = store.domains().await.unwrap();
    assert_eq!(listed, [(Domain::Default, NotFoundRedirects::default())]);
    let base = url::Url::parse("https://s.example/").unwrap();
    let url = RedirectUrl::parse("https://help.example/", &OwnOrigin::of(&base)).unwrap();
    let patch = NotFoundRedirectsPatch {
        invalid_short_url: Some(Some(url.clone())),
        ..NotFoundRedirectsPatch::default()
    };
    store
        .set_not_found_redirects(&other(), patch)
        .await
        .unwrap();
    let mut link = new_link("x1", "https://a.example/", &[]);
    link.domain = Domain::Named(DomainName::parse("b.example").unwrap());
    store.create_short_url(&link).await.unwrap();
    let listed = store.domains().await.unwrap();
    let names: Vec<_> = listed.iter().map(|(d, _)| d.key().to_owned()).collect();
    assert_eq!(names, ["DEFAULT", "b.example", "go.example"]);
    assert_eq!(listed[2].1.invalid_short_url, Some(url));
    assert_eq!(
        listed[0].1,
        NotFoundRedirects::default(),
        "the default's untouched"
    );
}

super::store_contract!(
    one_code_lives_once_per_domain,
    domains_are_listed_with_their_own_redirects,
);
