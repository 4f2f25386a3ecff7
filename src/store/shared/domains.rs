//! Domains, for both engines: the `domains` served and each one's not-found redirects.

use async_trait::async_trait;

use super::links::{announce, stored};
use crate::links::{Domain, NotFoundRedirects, NotFoundRedirectsPatch, RedirectUrl};
use crate::store::engine::{Engine, Transaction};
use crate::store::sql::Sql;
use crate::store::{DomainStore, LinkChange, StoreResult};

/// The three redirect columns, in `NotFoundRedirects` field order.
type RedirectsRow = (Option<String>, Option<String>, Option<String>);

#[async_trait]
impl<E: Engine> DomainStore for E {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn domains(&self) -> StoreResult<Vec<(Domain, NotFoundRedirects)>> {
        let rows: Vec<(String, Option<String>, Option<String>, Option<String>)> = self
            .fetch_all(Sql::new(
                "SELECT domain, base_url_redirect, regular404_redirect, \
                 invalid_short_url_redirect FROM domains",
            ))
            .await?;
        let mut domains = rows
            .into_iter()
            .map(|(key, base, regular, invalid)| {
                let domain = stored("domain", &key, Domain::from_key)?;
                Ok((domain, redirects(Some((base, regular, invalid)))))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        if !domains.iter().any(|(domain, _)| domain.is_default()) {
            domains.push((Domain::Default, NotFoundRedirects::default()));
        }
        domains.sort_by(|(a, _), (b, _)| a.cmp(b));
        Ok(domains)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_not_found_redirects(
        &self,
        domain: &Domain,
        patch: NotFoundRedirectsPatch,
    ) -> StoreResult<NotFoundRedirects> {
        let mut tx = self.begin_write().await?;
        let mut current = Sql::new(
            "SELECT base_url_redirect, regular404_redirect, invalid_short_url_redirect \
             FROM domains WHERE domain = ",
        );
        current.bind(domain.key()).push(E::FOR_UPDATE);
        let row: Option<RedirectsRow> = tx.fetch_optional(current).await?;
        let next = redirects(row).patched(patch);
        let mut upsert = Sql::new(
            "INSERT INTO domains (domain, base_url_redirect, regular404_redirect, \
             invalid_short_url_redirect) VALUES (",
        );
        upsert.bind(domain.key());
        upsert.push(", ").bind(text(&next.base_url));
        upsert.push(", ").bind(text(&next.regular_404));
        upsert.push(", ").bind(text(&next.invalid_short_url));
        upsert.push(
            ") ON CONFLICT (domain) DO UPDATE SET base_url_redirect = excluded.base_url_redirect, \
             regular404_redirect = excluded.regular404_redirect, \
             invalid_short_url_redirect = excluded.invalid_short_url_redirect",
        );
        tx.execute(upsert).await?;
        announce::<E>(&mut tx, LinkChange::Domains).await?;
        tx.commit().await?;
        Ok(next)
    }
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
