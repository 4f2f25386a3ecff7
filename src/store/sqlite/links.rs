//! Links in sqlite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::links::{RedirectTarget, ShortCode};
use crate::store::{
    LinkStore, NewShortUrl, Page, ShortUrl, ShortUrlFilter, ShortUrlPatch, StoreResult,
};

#[async_trait]
impl LinkStore for SqliteStore {
    async fn create_short_url(&self, _new: &NewShortUrl) -> StoreResult<ShortUrl> {
        todo!()
    }
    async fn find_short_url(&self, _code: &ShortCode) -> StoreResult<Option<ShortUrl>> {
        todo!()
    }
    async fn find_by_long_url(&self, _long_url: &str) -> StoreResult<Vec<ShortUrl>> {
        todo!()
    }
    async fn find_redirect_target(&self, _code: &ShortCode) -> StoreResult<Option<RedirectTarget>> {
        todo!()
    }
    async fn list_short_urls(&self, _filter: &ShortUrlFilter) -> StoreResult<Page<ShortUrl>> {
        todo!()
    }
    async fn update_short_url(
        &self,
        _code: &ShortCode,
        _patch: &ShortUrlPatch,
    ) -> StoreResult<ShortUrl> {
        todo!()
    }
    async fn delete_short_url(&self, _code: &ShortCode) -> StoreResult<()> {
        todo!()
    }
}
