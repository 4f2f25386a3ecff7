//! Tags in sqlite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::{Page, StoreResult, TagFilter, TagStats, TagStore};

#[async_trait]
impl TagStore for SqliteStore {
    async fn list_tags(&self, _filter: &TagFilter) -> StoreResult<Page<String>> {
        todo!()
    }
    async fn tag_stats(&self, _filter: &TagFilter) -> StoreResult<Page<TagStats>> {
        todo!()
    }
    async fn rename_tag(&self, _old: &str, _new: &str) -> StoreResult<()> {
        todo!()
    }
    async fn delete_tags(&self, _names: &[String]) -> StoreResult<()> {
        todo!()
    }
}
