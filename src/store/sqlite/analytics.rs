//! Rollup reads for the analytics pages in sqlite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::links::ShortCode;
use crate::store::{
    AnalyticsStore, BreakdownRow, Dimension, HourFigures, HourRange, LinkFigures, StoreResult,
};

#[async_trait]
impl AnalyticsStore for SqliteStore {
    async fn hourly_figures(&self, _link_id: Option<i64>, _range: HourRange) -> StoreResult<Vec<HourFigures>> {
        todo!()
    }
    async fn breakdown(&self, _link_id: i64, _dimension: Dimension, _range: HourRange, _include_bots: bool, _limit: u32) -> StoreResult<Vec<BreakdownRow>> {
        todo!()
    }
    async fn top_links(&self, _range: HourRange, _include_bots: bool, _limit: u32) -> StoreResult<Vec<LinkFigures>> {
        todo!()
    }
    async fn daily_sparklines(&self, _link_ids: &[i64], _range: HourRange, _include_bots: bool) -> StoreResult<Vec<(i64, Vec<i64>)>> {
        todo!()
    }
    async fn set_public_stats(&self, _code: &ShortCode, _public: bool) -> StoreResult<()> {
        todo!()
    }
    async fn is_public_stats(&self, _code: &ShortCode) -> StoreResult<bool> {
        todo!()
    }
}
