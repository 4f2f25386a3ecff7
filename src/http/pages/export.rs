//! `GET /app/links/{code}/export.csv` and `.json`: the visits of the selected range (and bot
//! switch) as a download, at most [`EXPORT_LIMIT`] of them (the newest).
//!
//! CSV cells are neutralised against formula injection and quoted; JSON is written by serde,
//! with `<`, `>` and `&` escaped as well so the file is inert even if a browser renders it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde::Serialize;

use super::PageError;
use super::form::PageQuery;
use super::link::report::{ReportQuery, Selection};
use super::link::{EXPORT_LIMIT, find_link, visit_filter};
use super::session::SignedIn;
use crate::analytics::csv::{Cell, CsvDocument};
use crate::http::AppState;
use crate::store::{Visit, VisitScope};

/// CSV columns, in order; the JSON keys are the same.
const COLUMNS: [&str; 11] = [
    "date",
    "potential_bot",
    "country_code",
    "country_name",
    "region_name",
    "city_name",
    "latitude",
    "longitude",
    "referer",
    "user_agent",
    "visited_url",
];

/// One exported visit.
#[derive(Debug, Serialize)]
struct ExportedVisit {
    date: String,
    potential_bot: bool,
    country_code: Option<String>,
    country_name: Option<String>,
    region_name: Option<String>,
    city_name: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    referer: Option<String>,
    user_agent: Option<String>,
    visited_url: Option<String>,
}

impl From<Visit> for ExportedVisit {
    fn from(visit: Visit) -> Self {
        let location = visit.location.unwrap_or_default();
        Self {
            date: visit
                .occurred_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            potential_bot: visit.potential_bot,
            country_code: location.country_code,
            country_name: location.country_name,
            region_name: location.region_name,
            city_name: location.city_name,
            latitude: location.latitude,
            longitude: location.longitude,
            referer: visit.referer,
            user_agent: visit.user_agent,
            visited_url: visit.visited_url,
        }
    }
}

impl ExportedVisit {
    /// The CSV cells, in [`COLUMNS`] order; an absent value is an empty cell.
    fn cells(&self) -> [Cell<'_>; 11] {
        fn text(value: &Option<String>) -> Cell<'_> {
            Cell::Text(value.as_deref().unwrap_or_default())
        }
        let number = |value: Option<f64>| value.map_or(Cell::Text(""), Cell::Number);
        [
            Cell::Text(&self.date),
            Cell::Text(if self.potential_bot { "true" } else { "false" }),
            text(&self.country_code),
            text(&self.country_name),
            text(&self.region_name),
            text(&self.city_name),
            number(self.latitude),
            number(self.longitude),
            text(&self.referer),
            text(&self.user_agent),
            text(&self.visited_url),
        ]
    }
}

/// The JSON export's envelope.
#[derive(Debug, Serialize)]
struct JsonExport {
    short_code: String,
    from: String,
    to: String,
    time_zone: &'static str,
    include_bots: bool,
    limit: u32,
    truncated: bool,
    visits: Vec<ExportedVisit>,
}

/// What both formats are built from.
struct Exported {
    name: String,
    selection: Selection,
    short_code: String,
    truncated: bool,
    visits: Vec<ExportedVisit>,
}

async fn load(
    state: &AppState,
    code: &str,
    query: &ReportQuery,
    headers: &HeaderMap,
) -> Result<Exported, PageError> {
    let (code, link) = find_link(state, code).await?;
    let selection = Selection::new(query, headers, &link);
    let page = state
        .store
        .list_visits(
            &VisitScope::Link(code.clone()),
            &visit_filter(&selection, EXPORT_LIMIT),
        )
        .await?;
    let truncated = page.total > page.items.len() as u64;
    let choice = selection.choice;
    Ok(Exported {
        name: format!("{code}-visits-{}-{}", choice.first_day, choice.last_day),
        short_code: code.to_string(),
        selection,
        truncated,
        visits: page.items.into_iter().map(ExportedVisit::from).collect(),
    })
}

/// `GET /app/links/{code}/export.csv`.
#[tracing::instrument(skip_all)]
pub async fn csv(
    State(state): State<AppState>,
    _signed_in: SignedIn,
    Path(code): Path<String>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<ReportQuery>,
) -> Result<Response, PageError> {
    let export = load(&state, &code, &query, &headers).await?;
    let mut doc = CsvDocument::new(&COLUMNS).map_err(anyhow::Error::new)?;
    for visit in &export.visits {
        doc.row(visit.cells()).map_err(anyhow::Error::new)?;
    }
    let body = doc.finish().map_err(anyhow::Error::new)?;
    Ok(download(
        &export.name,
        "csv",
        "text/csv; charset=utf-8",
        body,
    ))
}

/// `GET /app/links/{code}/export.json`.
#[tracing::instrument(skip_all)]
pub async fn json(
    State(state): State<AppState>,
    _signed_in: SignedIn,
    Path(code): Path<String>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<ReportQuery>,
) -> Result<Response, PageError> {
    let export = load(&state, &code, &query, &headers).await?;
    let hours = export.selection.choice.hours;
    let document = JsonExport {
        short_code: export.short_code,
        from: hours.from.to_rfc3339_opts(SecondsFormat::Secs, true),
        to: hours.to.to_rfc3339_opts(SecondsFormat::Secs, true),
        time_zone: export.selection.zone.name(),
        include_bots: export.selection.include_bots,
        limit: EXPORT_LIMIT,
        truncated: export.truncated,
        visits: export.visits,
    };
    let text = serde_json::to_string(&document).map_err(anyhow::Error::new)?;
    let body = escape_json_html(&text).into_bytes();
    Ok(download(&export.name, "json", "application/json", body))
}

/// `<`, `>` and `&` only ever occur inside JSON strings, where these escapes mean the same.
fn escape_json_html(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn download(name: &str, extension: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}.{extension}\"");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::try_from(disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::{Cell, ExportedVisit, escape_json_html};

    #[test]
    fn coordinates_are_number_cells_and_everything_else_text() {
        let visit = ExportedVisit {
            date: "2026-01-02T03:04:05.000Z".into(),
            potential_bot: false,
            country_code: Some("GB".into()),
            country_name: Some("-2+3".into()),
            region_name: None,
            city_name: Some("=cmd".into()),
            latitude: Some(-33.8688),
            longitude: None,
            referer: None,
            user_agent: Some("-1".into()),
            visited_url: None,
        };
        let cells = visit.cells();
        assert_eq!(cells[6], Cell::Number(-33.8688));
        assert_eq!(cells[7], Cell::Text(""), "an unknown longitude is empty");
        assert_eq!(cells[3], Cell::Text("-2+3"));
        assert_eq!(cells[5], Cell::Text("=cmd"));
        assert_eq!(cells[9], Cell::Text("-1"), "a number-like text stays text");
        assert_eq!(cells[1], Cell::Text("false"));
    }

    #[test]
    fn html_characters_are_escaped_and_the_json_is_unchanged() {
        let value = serde_json::json!({"ua": "<script>alert(1)</script> & \"x\""});
        let escaped = escape_json_html(&value.to_string());
        assert!(!escaped.contains('<') && !escaped.contains('>') && !escaped.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&escaped).expect("valid JSON");
        assert_eq!(back, value);
    }
}
