//! `/tags` and `/tags/stats`: list, stats, rename and delete tags (Shlink v3 contract).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, ApiKey, ApiQuery};
use super::pagination::{PageRequest, Paginated};
use crate::clicks::VisitsSummary;
use crate::links::Tag;
use crate::links::{TagFilter, TagOrder, TagStats};
use crate::listing::{Direction, Page};
use crate::store::StoreError;

/// Query of `GET /tags` and `GET /tags/stats`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListParams {
    page: Option<i64>,
    items_per_page: Option<i64>,
    search_term: Option<String>,
    order_by: Option<String>,
}

/// Body of `GET /tags` and `GET /tags/stats`: the list under a `tags` key.
#[derive(Debug, Serialize)]
pub struct TagsResponse<T> {
    tags: Paginated<T>,
}

/// One row of `GET /tags/stats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagStatsJson {
    tag: String,
    short_urls_count: i64,
    visits_summary: VisitsJson,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VisitsJson {
    total: i64,
    non_bots: i64,
    bots: i64,
}

impl From<TagStats> for TagStatsJson {
    fn from(stats: TagStats) -> Self {
        let VisitsSummary {
            total,
            non_bots,
            bots,
        } = stats.visits;
        Self {
            tag: stats.tag,
            short_urls_count: stats.short_urls_count,
            visits_summary: VisitsJson {
                total,
                non_bots,
                bots,
            },
        }
    }
}

/// Body of `PUT /tags`; both names are optional here so that every missing one is reported.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenameBody {
    old_name: Option<String>,
    new_name: Option<String>,
}

/// Query of `DELETE /tags`: `tags[]=a&tags[]=b`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteParams {
    #[serde(rename = "tags[]", alias = "tags")]
    tags: Vec<String>,
}

/// `GET /tags`: tag names, ordered by name only (as the contract allows), all by default.
#[tracing::instrument(skip_all)]
pub async fn list(
    key: ApiKey,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<TagsResponse<String>>, ApiError> {
    let (mut filter, request) = filter_from(params, false)?;
    filter.author_key_id = key.own_links_only();
    let page = if key.sees_our_domain(&state.settings.base_url) {
        state.store.list_tags(&filter).await?
    } else {
        Page::default()
    };
    Ok(Json(TagsResponse {
        tags: Paginated::from_page(page, request, |name| name),
    }))
}

/// `GET /tags/stats`: tags with their link and visit counts, orderable by any of them.
#[tracing::instrument(skip_all)]
pub async fn stats(
    key: ApiKey,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<TagsResponse<TagStatsJson>>, ApiError> {
    let (mut filter, request) = filter_from(params, true)?;
    filter.author_key_id = key.own_links_only();
    let page = if key.sees_our_domain(&state.settings.base_url) {
        state.store.tag_stats(&filter).await?
    } else {
        Page::default()
    };
    Ok(Json(TagsResponse {
        tags: Paginated::from_page(page, request, TagStatsJson::from),
    }))
}

/// `PUT /tags`: renames `oldName` to `newName`; 404 if the old one is unknown, 409 if the new
/// one is taken.
#[tracing::instrument(skip_all)]
pub async fn rename(
    key: ApiKey,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RenameBody>,
) -> Result<StatusCode, ApiError> {
    key.may_edit_tags()?;
    let (old, new) = validate_rename(&body)?;
    if old == new {
        return if tag_exists(&state, old.as_str()).await? {
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(ApiError::TagNotFound(old.as_str().to_owned()))
        };
    }
    match state.store.rename_tag(old.as_str(), new.as_str()).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::DuplicateTag(_)) => Err(ApiError::TagConflict(new.as_str().to_owned())),
        Err(other) => Err(other.into()),
    }
}

/// `DELETE /tags`: deletes the named tags, detaching them from their links; unknown names are
/// ignored.
#[tracing::instrument(skip_all)]
pub async fn delete(
    key: ApiKey,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<DeleteParams>,
) -> Result<StatusCode, ApiError> {
    key.may_edit_tags()?;
    let names: Vec<String> = Tag::parse_all(&params.tags)?
        .iter()
        .map(|tag| tag.as_str().to_owned())
        .collect();
    if !names.is_empty() {
        state.store.delete_tags(&names).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Turns list parameters into a store filter; stats orderings only when `with_stats`.
fn filter_from(params: ListParams, with_stats: bool) -> Result<(TagFilter, PageRequest), ApiError> {
    let request = PageRequest::from_params(params.page, params.items_per_page, None)?;
    let order_by = params
        .order_by
        .filter(|raw| !raw.trim().is_empty())
        .map(|raw| parse_order(raw.trim(), with_stats))
        .transpose()?;
    let filter = TagFilter {
        page: request.page,
        items_per_page: request.items_per_page,
        search_term: params
            .search_term
            .map(|term| term.trim().to_owned())
            .filter(|term| !term.is_empty()),
        order_by,
        author_key_id: None,
    };
    Ok((filter, request))
}

/// Parses Shlink's `field-DIR` ordering (direction optional, ascending by default).
fn parse_order(raw: &str, with_stats: bool) -> Result<(TagOrder, Direction), ApiError> {
    let refuse = || ApiError::invalid("orderBy", format!("unsupported orderBy value {raw:?}"));
    let (field, direction) = raw.split_once('-').unwrap_or((raw, "ASC"));
    let direction = match direction.to_ascii_uppercase().as_str() {
        "ASC" => Direction::Asc,
        "DESC" => Direction::Desc,
        _ => return Err(refuse()),
    };
    let field = match field {
        "tag" => TagOrder::Tag,
        "shortUrlsCount" if with_stats => TagOrder::ShortUrlsCount,
        "visits" if with_stats => TagOrder::Visits,
        "nonBotVisits" if with_stats => TagOrder::NonBotVisits,
        _ => return Err(refuse()),
    };
    Ok((field, direction))
}

/// Checks both names of a rename, reporting every missing or invalid one at once.
fn validate_rename(body: &RenameBody) -> Result<(Tag, Tag), ApiError> {
    let old = body.old_name.as_deref().map(Tag::parse);
    let new = body.new_name.as_deref().map(Tag::parse);
    match (old, new) {
        (Some(Ok(old)), Some(Ok(new))) => Ok((old, new)),
        (old, new) => {
            let mut elements = Vec::new();
            if !matches!(old, Some(Ok(_))) {
                elements.push("oldName".to_owned());
            }
            if !matches!(new, Some(Ok(_))) {
                elements.push("newName".to_owned());
            }
            Err(ApiError::InvalidData {
                detail: "oldName and newName must both be valid tag names".to_owned(),
                elements,
            })
        }
    }
}

/// Whether a tag with exactly this name exists (the store's search is a substring match).
async fn tag_exists(state: &AppState, name: &str) -> Result<bool, ApiError> {
    let filter = TagFilter {
        search_term: Some(name.to_owned()),
        ..TagFilter::default()
    };
    let page = state.store.list_tags(&filter).await?;
    Ok(page.items.iter().any(|tag| tag == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_contract_orderings() {
        assert_eq!(
            parse_order("tag-DESC", false).unwrap(),
            (TagOrder::Tag, Direction::Desc)
        );
        assert_eq!(
            parse_order("tag", false).unwrap(),
            (TagOrder::Tag, Direction::Asc)
        );
        assert_eq!(
            parse_order("nonBotVisits-asc", true).unwrap(),
            (TagOrder::NonBotVisits, Direction::Asc)
        );
        assert_eq!(
            parse_order("shortUrlsCount-DESC", true).unwrap(),
            (TagOrder::ShortUrlsCount, Direction::Desc)
        );
    }

    #[test]
    fn refuses_stats_orderings_on_plain_list_and_unknown_ones() {
        for (raw, with_stats) in [
            ("visits-ASC", false),
            ("name-ASC", true),
            ("tag-UP", true),
            ("tag-ASC-DESC", true),
        ] {
            let err = parse_order(raw, with_stats).unwrap_err();
            assert!(
                matches!(&err, ApiError::InvalidData { elements, .. } if elements == &["orderBy"]),
                "{raw}: {err:?}"
            );
        }
    }

    #[test]
    fn rename_reports_every_bad_name() {
        let body = RenameBody {
            old_name: None,
            new_name: Some("  ".into()),
        };
        let err = validate_rename(&body).unwrap_err();
        assert!(
            matches!(&err, ApiError::InvalidData { elements, .. } if elements == &["oldName", "newName"]),
            "{err:?}"
        );
        let ok = RenameBody {
            old_name: Some(" a ".into()),
            new_name: Some("b".into()),
        };
        let (old, new) = validate_rename(&ok).unwrap();
        assert_eq!((old.as_str(), new.as_str()), ("a", "b"));
    }
}
