//! The JSON shapes of the visits API: Shlink's `Visit` / `OrphanVisit` objects, the visit list,
//! the `/visits` totals and the deletion result.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::clicks::Location;
use crate::clicks::VisitsSummary;
use crate::http::pagination::Paginated;
use crate::store::{Visit, VisitsOverview};

/// Body of every visit listing: `{"visits": {"data": [...], "pagination": {...}}}`.
#[derive(Debug, Serialize)]
pub struct VisitsResponse {
    /// The page of visits.
    pub visits: Paginated<VisitJson>,
}

/// Shlink's `Visit` (and, with `type`, `OrphanVisit`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitJson {
    referer: String,
    date: String,
    user_agent: String,
    visit_location: Option<LocationJson>,
    potential_bot: bool,
    visited_url: Option<String>,
    redirect_url: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

/// Shlink's `Location`; fields the geo-IP lookup left unknown are empty, as in Shlink.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationJson {
    country_code: String,
    country_name: String,
    region_name: String,
    city_name: String,
    latitude: f64,
    longitude: f64,
    timezone: String,
}

impl VisitJson {
    /// A link visit; no `type`, as Shlink shows them.
    pub fn visit(visit: Visit) -> Self {
        Self::new(visit, false)
    }

    /// An orphan visit, with its `type`.
    pub fn orphan(visit: Visit) -> Self {
        Self::new(visit, true)
    }

    fn new(visit: Visit, with_kind: bool) -> Self {
        Self {
            referer: visit.referer.unwrap_or_default(),
            date: iso(visit.occurred_at),
            user_agent: visit.user_agent.unwrap_or_default(),
            visit_location: visit.location.map(LocationJson::from),
            potential_bot: visit.potential_bot,
            visited_url: visit.visited_url,
            redirect_url: visit.redirect_url,
            kind: with_kind.then(|| visit.kind.as_str()),
        }
    }
}

impl From<Location> for LocationJson {
    fn from(loc: Location) -> Self {
        Self {
            country_code: loc.country_code.unwrap_or_default(),
            country_name: loc.country_name.unwrap_or_default(),
            region_name: loc.region_name.unwrap_or_default(),
            city_name: loc.city_name.unwrap_or_default(),
            latitude: loc.latitude.unwrap_or_default(),
            longitude: loc.longitude.unwrap_or_default(),
            timezone: loc.timezone.unwrap_or_default(),
        }
    }
}

/// Body of `GET /visits`.
#[derive(Debug, Serialize)]
pub struct OverviewResponse {
    visits: OverviewJson,
}

/// The totals, plus Shlink 2's `visitsCount` / `orphanVisitsCount` for older clients.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewJson {
    non_orphan_visits: SummaryJson,
    orphan_visits: SummaryJson,
    visits_count: i64,
    orphan_visits_count: i64,
}

/// `{"total", "nonBots", "bots"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryJson {
    total: i64,
    non_bots: i64,
    bots: i64,
}

impl From<VisitsSummary> for SummaryJson {
    fn from(summary: VisitsSummary) -> Self {
        Self {
            total: summary.total,
            non_bots: summary.non_bots,
            bots: summary.bots,
        }
    }
}

impl From<VisitsOverview> for OverviewResponse {
    fn from(overview: VisitsOverview) -> Self {
        Self {
            visits: OverviewJson {
                visits_count: overview.non_orphan.total,
                orphan_visits_count: overview.orphan.total,
                non_orphan_visits: overview.non_orphan.into(),
                orphan_visits: overview.orphan.into(),
            },
        }
    }
}

/// Body of the visit deletions.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedJson {
    /// How many visits were deleted.
    pub deleted_visits: u64,
}

/// ISO 8601 with an explicit offset and whole seconds, as Shlink prints dates.
fn iso(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::clicks::VisitKind;
    use chrono::TimeZone;
    use serde_json::{Value, json};

    fn visit(location: Option<Location>) -> Visit {
        Visit {
            kind: VisitKind::BaseUrl,
            occurred_at: Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap(),
            referer: None,
            user_agent: Some("<script>x</script>".into()),
            visited_url: Some("https://s.test/".into()),
            redirect_url: None,
            potential_bot: true,
            location,
        }
    }

    #[test]
    fn visit_has_shlink_shape() {
        let json = serde_json::to_value(VisitJson::visit(visit(None))).unwrap();
        assert_eq!(
            json,
            json!({
                "referer": "",
                "date": "2026-03-04T05:06:07+00:00",
                "userAgent": "<script>x</script>",
                "visitLocation": null,
                "potentialBot": true,
                "visitedUrl": "https://s.test/",
                "redirectUrl": null,
            })
        );
    }

    #[test]
    fn orphan_visit_carries_type_and_location() {
        let location = Location {
            country_code: Some("DE".into()),
            latitude: Some(52.5),
            ..Location::default()
        };
        let json = serde_json::to_value(VisitJson::orphan(visit(Some(location)))).unwrap();
        assert_eq!(json["type"], "base_url");
        assert_eq!(json["visitLocation"]["countryCode"], "DE");
        assert_eq!(json["visitLocation"]["latitude"], 52.5);
        assert_eq!(json["visitLocation"]["cityName"], "");
        assert_eq!(json["visitLocation"]["longitude"], 0.0);
    }

    #[test]
    fn overview_reports_both_shapes() {
        let overview = VisitsOverview {
            non_orphan: VisitsSummary {
                total: 7,
                non_bots: 5,
                bots: 2,
            },
            orphan: VisitsSummary {
                total: 3,
                non_bots: 3,
                bots: 0,
            },
        };
        let json = serde_json::to_value(OverviewResponse::from(overview)).unwrap();
        assert_eq!(json["visits"]["nonOrphanVisits"]["nonBots"], 5);
        assert_eq!(json["visits"]["orphanVisits"]["total"], 3);
        assert_eq!(json["visits"]["visitsCount"], 7);
        assert_eq!(json["visits"]["orphanVisitsCount"], Value::from(3));
    }
}
