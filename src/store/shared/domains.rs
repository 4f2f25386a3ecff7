//! Domains, for both engines: the default domain's not-found redirects in `domain_redirects`.

use async_trait::async_trait;

use super::links::announce;
use crate::links::{NotFoundRedirects, NotFoundRedirectsPatch, RedirectUrl};
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::Sql;
use crate::store::{DomainStore, LinkChange, StoreResult};

/// The key of the default domain's row: Shlink's keyword for it, so a new base URL keeps them.
const DEFAULT_DOMAIN: &str = "DEFAULT";

/// The three redirect columns, in `NotFoundRedirects` field order.
type RedirectsRow = (Option<String>, Option<String>, Option<String>);

#[async_trait]
impl<E: Engine> DomainStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn not_found_redirects(&self) -> StoreResult<NotFoundRedirects> {
        let row: Option<RedirectsRow> = self.fetch_optional(select()).await?;
        Ok(redirects(row))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_not_found_redirects(
        &self,
        patch: NotFoundRedirectsPatch,
    ) -> StoreResult<NotFoundRedirects> {
        let mut tx = self.begin_write().await?;
        let mut current = select();
        current.push(E::FOR_UPDATE);
        let row: Option<RedirectsRow> = tx.fetch_optional(current).await?;
        let next = redirects(row).patched(patch);
        let mut upsert = Sql::new(
            "INSERT INTO domain_redirects (domain, base_url_redirect, regular404_redirect, \
             invalid_short_url_redirect) VALUES (",
        );
        upsert.bind(DEFAULT_DOMAIN);
        upsert.push(", ").bind(text(&next.base_url));
        upsert.push(", ").bind(text(&next.regular_404));
        upsert.push(", ").bind(text(&next.invalid_short_url));
        upsert.push(
            ") ON CONFLICT (domain) DO UPDATE SET base_url_redirect = excluded.base_url_redirect, \
             regular404_redirect = excluded.regular404_redirect, \
             invalid_short_url_redirect = excluded.invalid_short_url_redirect",
        );
        tx.execute(upsert).await?;
        announce::<E>(&mut tx, LinkChange::NotFoundRedirects).await?;
        tx.commit().await?;
        Ok(next)
    }
}

/// The default domain's row, if it was ever set.
fn select() -> Sql {
    let mut sql = Sql::new(
        "SELECT base_url_redirect, regular404_redirect, invalid_short_url_redirect \
         FROM domain_redirects WHERE domain = ",
    );
    sql.bind(DEFAULT_DOMAIN);
    sql
}

/// A redirect as the column stores it.
fn text(url: &Option<RedirectUrl>) -> Option<&str> {
    url.as_ref().map(RedirectUrl::as_str)
}

fn redirects(row: Option<RedirectsRow>) -> NotFoundRedirects {
    let (base_url, regular_404, invalid_short_url) = row.unwrap_or_default();
    NotFoundRedirects {
        base_url: base_url.map(RedirectUrl::stored),
        regular_404: regular_404.map(RedirectUrl::stored),
        invalid_short_url: invalid_short_url.map(RedirectUrl::stored),
    }
}
