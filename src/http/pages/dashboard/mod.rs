//! `GET /app`: the dashboard. Totals and a 30-day chart from the hourly rollups, the busiest
//! links, and the searchable, tag-filtered, paginated list of links with a sparkline each.

mod campaigns;
mod figures;

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;

use self::campaigns::{CampaignTable, campaign_tables};
use self::figures::{DASHBOARD_DAYS, Overview, SPARKLINE_DAYS, window};
use super::PageError;
use super::error::encode;
use super::form::PageQuery;
use super::layout::{Layout, render};
use super::link_forms::{LinkFormView, known_domains};
use super::session::SignedIn;
use crate::analytics::chart::{bar_chart, sparkline};
use crate::http::AppState;
use crate::http::domains::authority;
use crate::links::{Domain, ShortUrlFilter, Tag, TagFilter};
use crate::store::LinkFigures;

/// Links per page of the list.
const LINKS_PER_PAGE: u32 = 20;

/// Entries of the top-links list.
const TOP_LINKS: u32 = 5;

/// The dashboard page.
#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    overview: Overview,
    chart: String,
    top: Vec<LinkFigures>,
    campaigns: Vec<CampaignTable>,
    links: Vec<LinkRow>,
    total_links: u64,
    tags: Vec<String>,
    /// The domains to filter by: (key, name shown), the default first.
    domains: Vec<(String, String)>,
    search: String,
    tag: String,
    /// The chosen domain's key (`DEFAULT` or its name); empty for every domain.
    domain: String,
    page: u32,
    pages: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
    form: LinkFormView,
}

/// One link of the list.
struct LinkRow {
    /// How its pages' paths name it (`code`, or `code@domain`).
    segment: String,
    /// Its domain's name (the base URL's authority for the default domain).
    domain: String,
    code: String,
    short_url: String,
    long_url: String,
    title: Option<String>,
    tags: Vec<String>,
    clicks: i64,
    sparkline: String,
}

/// The list's search, tag filter and page.
#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    #[serde(rename = "searchTerm")]
    search_term: Option<String>,
    tag: Option<String>,
    domain: Option<String>,
    page: Option<String>,
}

/// `GET /app`: the dashboard.
#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    PageQuery(query): PageQuery<DashboardQuery>,
) -> Result<Response, PageError> {
    let now = Utc::now();
    let range = window(now, DASHBOARD_DAYS);

    let search = query.search_term.unwrap_or_default().trim().to_owned();
    let tag = query.tag.unwrap_or_default().trim().to_owned();
    let page = query
        .page
        .and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let domain = query.domain.unwrap_or_default().trim().to_owned();
    let filter = ShortUrlFilter {
        domain: Some(domain.as_str())
            .filter(|key| !key.is_empty())
            .map(|key| Domain::from_key(key).map_err(|_| PageError::NotFound))
            .transpose()?,
        page,
        items_per_page: Some(LINKS_PER_PAGE),
        search_term: Some(search.clone()).filter(|s| !s.is_empty()),
        tags: Some(tag.clone())
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect(),
        ..ShortUrlFilter::default()
    };
    let hours = match &filter.domain {
        Some(domain) => state.store.domain_hourly_figures(domain, range).await?,
        None => state.store.hourly_figures(None, range).await?,
    };
    let overview = Overview::of(&hours, now.date_naive(), DASHBOARD_DAYS);
    let chart = bar_chart(
        &overview.chart_points(),
        "Clicks per day over the last 30 days (UTC)",
    );
    let top = state
        .store
        .top_links(filter.domain.as_ref(), range, true, TOP_LINKS)
        .await?;
    let campaigns = campaign_tables(state.store.as_ref(), range).await?;
    let listed = state.store.list_short_urls(&filter).await?;
    let ids: Vec<i64> = listed.items.iter().map(|link| link.id).collect();
    let spark_range = window(now, SPARKLINE_DAYS);
    let mut sparks: HashMap<i64, Vec<i64>> = state
        .store
        .daily_sparklines(&ids, spark_range, true)
        .await?
        .into_iter()
        .collect();
    let links = listed
        .items
        .into_iter()
        .map(|link| {
            let daily = sparks.remove(&link.id).unwrap_or_default();
            LinkRow {
                sparkline: sparkline(
                    &daily,
                    &format!("Clicks per day of /{} over 14 days", link.short_code),
                ),
                short_url: state.settings.short_url_of(&link.address()),
                segment: link.address().segment().into_owned(),
                domain: link
                    .domain
                    .name()
                    .map_or_else(|| authority(&state.settings.base_url), str::to_owned),
                code: link.short_code.to_string(),
                long_url: link.long_url.to_string(),
                title: link.title,
                tags: link.tags.iter().map(Tag::to_string).collect(),
                clicks: link.visits.total,
            }
        })
        .collect();
    let tags = state.store.list_tags(&TagFilter::default()).await?.items;

    let pages = u32::try_from(listed.total.div_ceil(u64::from(LINKS_PER_PAGE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let href = |p: u32| {
        list_href(
            &[("searchTerm", &search), ("tag", &tag), ("domain", &domain)],
            p,
        )
    };
    let base = &state.settings.base_url;
    let domains = state
        .domains
        .all()
        .keys()
        .map(|known| {
            let shown = known.name().map_or_else(|| authority(base), str::to_owned);
            (known.key().to_owned(), shown)
        })
        .collect();
    let dashboard = DashboardPage {
        layout: Layout::signed_in(&signed_in),
        overview,
        chart,
        top,
        campaigns,
        links,
        total_links: listed.total,
        tags,
        domains,
        prev_href: (page > 1).then(|| href(page - 1)),
        next_href: (page < pages).then(|| href(page + 1)),
        domain,
        search,
        tag,
        page,
        pages,
        form: LinkFormView {
            known_domains: known_domains(&state),
            ..LinkFormView::create(signed_in.csrf_token())
        },
    };
    render(StatusCode::OK, &dashboard)
}

/// The dashboard address of list page `page` with the current filters (name, value); empty
/// values are left out.
fn list_href(filters: &[(&str, &str)], page: u32) -> String {
    let mut href = format!("/app?page={page}");
    for (name, value) in filters.iter().filter(|(_, value)| !value.is_empty()) {
        href.push_str(&format!("&{name}={}", encode(value)));
    }
    href
}

#[cfg(test)]
mod tests {
    use super::list_href;

    #[test]
    fn list_links_keep_search_and_tag_encoded() {
        assert_eq!(
            list_href(&[("searchTerm", ""), ("tag", "")], 2),
            "/app?page=2"
        );
        assert_eq!(
            list_href(
                &[("searchTerm", "a&b c"), ("tag", "x/y"), ("domain", "")],
                3
            ),
            "/app?page=3&searchTerm=a%26b+c&tag=x%2Fy"
        );
    }
}
