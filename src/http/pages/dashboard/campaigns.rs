//! The dashboard's campaign breakdowns: human visits of all links over its window by
//! `utm_source`, `utm_medium` and `utm_campaign`, from the visited or the long URL.

use crate::http::pages::PageError;
use crate::http::pages::link::report::campaign_title;
use crate::links::utm::UtmTag;
use crate::store::{HourRange, Store};

/// Rows each campaign table lists.
const CAMPAIGN_ROWS: u32 = 10;

/// One campaign tag's table.
pub struct CampaignTable {
    /// The tag's parameter, for `data-dimension`.
    pub key: &'static str,
    /// Heading.
    pub title: &'static str,
    /// (value, human visits), largest first.
    pub rows: Vec<(String, i64)>,
}

/// The tables of the tags that were seen in `range`; empty when no visit was tagged.
pub async fn campaign_tables(
    store: &dyn Store,
    range: HourRange,
) -> Result<Vec<CampaignTable>, PageError> {
    let mut tables = Vec::new();
    for tag in UtmTag::ALL {
        let rows = store
            .campaign_breakdown(tag, range, false, CAMPAIGN_ROWS)
            .await?;
        if rows.is_empty() {
            continue;
        }
        tables.push(CampaignTable {
            key: tag.parameter(),
            title: campaign_title(tag),
            rows: rows
                .into_iter()
                .map(|row| (row.value, row.visits))
                .collect(),
        });
    }
    Ok(tables)
}
