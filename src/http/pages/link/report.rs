//! The figures block shared by the private and the public analytics page: what the range
//! picker selected, the totals, the time series and the breakdowns, all read from rollups.

use axum::http::HeaderMap;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::country::breakdown_label;
use crate::analytics::chart::bar_chart;
use crate::analytics::figures::{Granularity, OTHER_VALUES, Share, Totals, buckets, shares};
use crate::analytics::range::{Preset, RangeChoice, RangeRequest};
use crate::analytics::timezone::viewer_zone;
use crate::analytics::world_map::world_map;
use crate::http::AppState;
use crate::http::pages::PageError;
use crate::http::pages::session::cookie;
use crate::links::ShortUrl;
use crate::links::utm::UtmTag;
use crate::store::Dimension;

/// Name of the cookie in which `static/link.js` keeps the browser's IANA time zone.
pub const TZ_COOKIE: &str = "tz";

/// Rows listed per breakdown; the rest is gathered in one "other values" row.
const BREAKDOWN_ROWS: u32 = 10;

/// Rows a breakdown lists after "Show all"; past them (thousands of cities or referrers) the
/// rest is still one "other values" row, and the CSV export has every visit.
const EXPANDED_ROWS: u32 = 1000;

/// Countries read for the map: more than there are, so every one is shaded.
const MAP_COUNTRIES: u32 = 300;

/// The query of the analytics pages and exports: `?range=…&from=…&to=…&bots=…&tz=…`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    bots: Option<String>,
    tz: Option<String>,
    all: Option<String>,
}

/// What the viewer selected, resolved against the clock and their time zone.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    /// The range and its hours.
    pub choice: RangeChoice,
    /// The viewer's zone.
    pub zone: Tz,
    /// Whether bot visits are counted.
    pub include_bots: bool,
    /// The breakdown whose every row is listed (`?all=country`), if any.
    pub expanded: Option<Dimension>,
    /// Whether the A/B split's destinations are shown (never on the public page: they name
    /// the link's targets, which a password may be guarding).
    pub destinations: bool,
}

impl Selection {
    /// Resolves `query` (the `tz` cookie standing in for a missing `tz`) for `link` now.
    pub fn new(query: &ReportQuery, headers: &HeaderMap, link: &ShortUrl) -> Self {
        let zone = viewer_zone(query.tz.as_deref(), cookie(headers, TZ_COOKIE));
        let request = RangeRequest::parse(
            query.range.as_deref(),
            query.from.as_deref(),
            query.to.as_deref(),
        );
        Self {
            choice: request.resolve(zone, Utc::now(), link.date_created),
            zone,
            include_bots: matches!(query.bots.as_deref(), Some("1" | "on" | "true")),
            expanded: Dimension::ALL
                .into_iter()
                .find(|dimension| query.all.as_deref() == Some(dimension.as_str())),
            destinations: true,
        }
    }

    /// The query string that selects the same figures (for export links and live reloads).
    pub fn query_string(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("range", self.choice.preset.as_str());
        if self.choice.preset == Preset::Custom {
            query.append_pair("from", &self.choice.first_day.to_string());
            query.append_pair("to", &self.choice.last_day.to_string());
        }
        if self.include_bots {
            query.append_pair("bots", "1");
        }
        query.append_pair("tz", self.zone.name());
        query.finish()
    }

    /// `at` in the viewer's zone, to the minute.
    pub fn local_time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

/// One option of the range picker.
#[derive(Debug, Clone)]
pub struct PresetOption {
    /// The `range` value.
    pub value: &'static str,
    /// What the picker shows.
    pub label: &'static str,
    /// Whether it is the range in effect.
    pub selected: bool,
}

/// One breakdown table.
#[derive(Debug, Clone)]
pub struct BreakdownView {
    /// Stable key for `data-dimension`.
    pub key: &'static str,
    /// Heading.
    pub title: &'static str,
    /// Rows with their shares.
    pub rows: Vec<BreakdownRowView>,
    /// Whether more rows than the listed ones exist ("Show all" is offered).
    pub expandable: bool,
    /// Whether every row is listed ("Show the top 10" is offered).
    pub expanded: bool,
}

/// One row of a breakdown table: the stored value (for `data-value`) and what the page shows.
#[derive(Debug, Clone)]
pub struct BreakdownRowView {
    /// The value as stored and exported, e.g. `DE`.
    pub value: String,
    /// The value as shown, e.g. "Germany (DE)" (escaped by askama).
    pub label: String,
    /// Visits with that value.
    pub visits: i64,
    /// The share with one decimal, e.g. `33.3`.
    pub percent: String,
}

impl BreakdownRowView {
    /// The row of `share` in `dimension`'s table (countries get their names).
    fn new(dimension: Dimension, share: Share) -> Self {
        let label = match dimension {
            Dimension::Country => breakdown_label(&share.value),
            _ => share.value.clone(),
        };
        Self {
            percent: share.percent_label(),
            value: share.value,
            label,
            visits: share.visits,
        }
    }
}

/// Everything the figures block of a page shows.
#[derive(Debug, Clone)]
pub struct Report {
    /// The selection behind the figures.
    pub selection: Selection,
    /// Range picker options.
    pub presets: Vec<PresetOption>,
    /// First local day, `YYYY-MM-DD`, for the custom range inputs.
    pub first_day: String,
    /// Last local day, `YYYY-MM-DD`.
    pub last_day: String,
    /// Start of the range (UTC, RFC 3339), for `data-range-from`.
    pub range_from: String,
    /// End of the range, excluded (UTC, RFC 3339), for `data-range-to`.
    pub range_to: String,
    /// The viewer's zone name.
    pub zone_name: &'static str,
    /// Headline figures.
    pub totals: Totals,
    /// Visits under the bot switch.
    pub visits: i64,
    /// The time series as inline SVG; every label is escaped by the chart builder.
    pub chart_svg: String,
    /// Sum of the chart's bars (equals `visits`).
    pub chart_total: i64,
    /// `hour` or `day`.
    pub granularity: &'static str,
    /// Breakdown tables, in page order.
    pub breakdowns: Vec<BreakdownView>,
    /// Visits by country as an inline SVG map; every label is escaped by the map builder.
    pub map_svg: String,
    /// The query string selecting these figures.
    pub query: String,
}

impl Report {
    /// Reads the figures of `link` for `selection` from the rollups.
    pub async fn load(
        state: &AppState,
        link: &ShortUrl,
        selection: Selection,
    ) -> Result<Self, PageError> {
        let choice = selection.choice;
        let include_bots = selection.include_bots;
        let hours = state
            .store
            .hourly_figures(Some(link.id), choice.hours)
            .await?;
        let totals = Totals::of(&hours);
        let visits = totals.visits(include_bots);
        let mut breakdowns = Vec::with_capacity(Dimension::ALL.len());
        let mut countries = Vec::new();
        for dimension in Dimension::ALL {
            if dimension == Dimension::Destination && !selection.destinations {
                continue;
            }
            let expanded = selection.expanded == Some(dimension);
            let limit = match dimension {
                _ if expanded => EXPANDED_ROWS,
                Dimension::Country => MAP_COUNTRIES,
                _ => BREAKDOWN_ROWS,
            };
            let mut rows = state
                .store
                .breakdown(link.id, dimension, choice.hours, include_bots, limit)
                .await?;
            if dimension == Dimension::Country {
                countries = rows
                    .iter()
                    .map(|row| (row.value.clone(), row.visits))
                    .collect();
            }
            let only_when_counted = matches!(dimension, Dimension::Destination | Dimension::Utm(_));
            if only_when_counted && rows.is_empty() {
                continue;
            }
            let complete = rows.len() < limit as usize;
            if !expanded {
                rows.truncate(BREAKDOWN_ROWS as usize);
            }
            let mut shares = shares(rows, visits);
            let more = match dimension {
                Dimension::Utm(_) => name_untagged(&mut shares, complete),
                _ => shares
                    .last()
                    .is_some_and(|share| share.value == OTHER_VALUES),
            };
            breakdowns.push(BreakdownView {
                key: dimension.as_str(),
                title: dimension_title(dimension),
                expandable: !expanded && more,
                expanded,
                rows: shares
                    .into_iter()
                    .map(|share| BreakdownRowView::new(dimension, share))
                    .collect(),
            });
        }
        let series = buckets(&hours, &choice, selection.zone, include_bots);
        let granularity = match Granularity::of(&choice) {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
        };
        let points: Vec<(String, i64)> =
            series.iter().map(|b| (b.label.clone(), b.visits)).collect();
        let who = if include_bots {
            "Visits"
        } else {
            "Human visits"
        };
        let name = link
            .title
            .clone()
            .unwrap_or_else(|| format!("/{}", link.short_code));
        let description = format!(
            "{who} per {granularity} of {name} ({})",
            selection.zone.name()
        );
        Ok(Self {
            presets: Preset::ALL
                .into_iter()
                .map(|preset| PresetOption {
                    value: preset.as_str(),
                    label: preset.label(),
                    selected: preset == choice.preset,
                })
                .collect(),
            first_day: choice.first_day.to_string(),
            last_day: choice.last_day.to_string(),
            range_from: rfc3339(choice.hours.from),
            range_to: rfc3339(choice.hours.to),
            zone_name: selection.zone.name(),
            totals,
            visits,
            chart_svg: bar_chart(&points, &description),
            map_svg: world_map(
                &countries,
                breakdown_label,
                &format!("{who} by country, shaded from fewest to most; the table lists them"),
            ),
            chart_total: series.iter().map(|b| b.visits).sum(),
            granularity,
            breakdowns,
            query: selection.query_string(),
            selection,
        })
    }
}

fn dimension_title(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Country => "Countries",
        Dimension::City => "Cities",
        Dimension::ReferrerDomain => "Referrers",
        Dimension::Browser => "Browsers",
        Dimension::Os => "Operating systems",
        Dimension::Device => "Devices",
        Dimension::Destination => "Destinations (A/B split)",
        Dimension::Utm(tag) => campaign_title(tag),
    }
}

/// The title of a campaign tag's breakdown (on the link page and the dashboard).
pub(in crate::http::pages) fn campaign_title(tag: UtmTag) -> &'static str {
    match tag {
        UtmTag::Source => "Campaign sources (utm_source)",
        UtmTag::Medium => "Campaign media (utm_medium)",
        UtmTag::Campaign => "Campaigns (utm_campaign)",
    }
}

/// Names the remainder of a campaign table, which holds the visits without the tag: only them
/// when every value is listed (`complete`), else them and the values not listed. Whether values
/// are left out.
fn name_untagged(shares: &mut [Share], complete: bool) -> bool {
    if let Some(rest) = shares
        .last_mut()
        .filter(|share| share.value == OTHER_VALUES)
    {
        rest.value = if complete {
            "Not tagged"
        } else {
            "Other values or not tagged"
        }
        .to_owned();
    }
    !complete
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
