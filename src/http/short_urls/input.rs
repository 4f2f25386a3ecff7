//! Validation of `/short-urls` input into domain values, before anything touches the store.
//!
//! Every refused field is collected so one `invalid-data` answer names them all, as Shlink does.

mod violations;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub(crate) use self::violations::Violations;
use super::dto::{CreateBody, EditBody};
use crate::http::HttpSettings;
use crate::http::domains::api_domain;
use crate::http::error::ApiError;
use crate::links::rules::{DEVICE_URL_KEYS, DeviceUrlsPatch, RedirectRules};
use crate::links::service::{CodeChoice, LinkDraft};
use crate::links::{DEFAULT_CODE_LEN, LongUrl, MAX_SLUG_LEN, MIN_CODE_LEN, ShortCode, Tag};
use crate::links::{LinkPassword, OwnOrigin, PasswordError, PasswordHash, ShortUrlPatch, Split};

/// Longest accepted title, in characters (Shlink's column size).
const MAX_TITLE_LEN: usize = 512;

/// Validates a create body into a draft and its `findIfExists` flag.
pub(super) async fn create_draft(
    body: CreateBody,
    settings: &HttpSettings,
) -> Result<(LinkDraft, bool), ApiError> {
    let settings = settings.clone();
    off_runtime_if(body.password.is_some(), move || {
        validate_create(body, &settings)
    })
    .await
    .map_err(Violations::into_error)
}

/// Runs `validate` on a blocking thread when it hashes a password (tens of milliseconds of CPU
/// that would stall every redirect sharing the async worker), inline otherwise.
pub(crate) async fn off_runtime_if<T: Send + 'static>(
    hashes: bool,
    validate: impl FnOnce() -> T + Send + 'static,
) -> T {
    if !hashes {
        return validate();
    }
    match tokio::task::spawn_blocking(validate).await {
        Ok(validated) => validated,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}

/// [`create_draft`] with the refusals per field (the pages' create form shows them inline).
pub(crate) fn validate_create(
    body: CreateBody,
    settings: &HttpSettings,
) -> Result<(LinkDraft, bool), Violations> {
    let mut v = Violations::default();
    let long_url = v.check(
        "longUrl",
        LongUrl::parse(&body.long_url, &settings.own_origin()),
    );
    let length = match body.short_code_length {
        None => Some(DEFAULT_CODE_LEN),
        Some(n) => v.check("shortCodeLength", code_length(n)),
    };
    let custom = body
        .custom_slug
        .and_then(|slug| v.check("customSlug", ShortCode::parse(&slug)));
    let valid_since = optional_instant(&mut v, "validSince", body.valid_since.as_deref());
    let valid_until = optional_instant(&mut v, "validUntil", body.valid_until.as_deref());
    check_window(&mut v, valid_since.flatten(), valid_until.flatten());
    let max_visits = body
        .max_visits
        .and_then(|n| v.check("maxVisits", max_visits(n)));
    let tags = v.check("tags", Tag::parse_all(&body.tags.unwrap_or_default()));
    let title = v.check("title", title(body.title));
    let domain = v.check(
        "domain",
        api_domain(body.domain.as_deref(), &settings.base_url),
    );
    if body.path_prefix.is_some_and(|p| !p.is_empty()) {
        v.add("pathPrefix", "path prefixes are not supported");
    }
    let devices = device_urls(
        &mut v,
        body.device_long_urls.as_ref(),
        &settings.own_origin(),
    );
    let expired_url = body
        .expired_url
        .as_deref()
        .and_then(|raw| v.check("expiredUrl", LongUrl::parse(raw, &settings.own_origin())));
    let password = body
        .password
        .as_deref()
        .and_then(|raw| v.check("password", hashed(raw)));
    let split = body
        .destinations
        .as_deref()
        .map_or(Some(Split::default()), |parts| {
            v.check("destinations", Split::parse(parts, &settings.own_origin()))
        });
    match (
        domain,
        long_url,
        length,
        valid_since,
        valid_until,
        tags,
        title,
    ) {
        (
            Some(domain),
            Some(long_url),
            Some(length),
            Some(valid_since),
            Some(valid_until),
            Some(tags),
            Some(title),
        ) if v.is_empty() => {
            let draft = LinkDraft {
                domain,
                short_code: custom.map_or(CodeChoice::Generated(length), CodeChoice::Custom),
                long_url,
                title,
                valid_since,
                valid_until,
                max_visits,
                crawlable: body.crawlable.unwrap_or(false),
                forward_query: body.forward_query.unwrap_or(true),
                tags,
                author_key_id: None,
                date_created: None,
                rules: devices.apply(&RedirectRules::default()),
                expired_url,
                password,
                split: split.unwrap_or_default(),
            };
            Ok((draft, body.find_if_exists.unwrap_or(false)))
        }
        _ => Err(v),
    }
}

/// Validates an edit body into a store patch; the validity window across stored and new values
/// is checked separately with [`check_edited_window`] once the link is loaded.
pub(super) async fn edit_patch(
    body: EditBody,
    settings: &HttpSettings,
) -> Result<ShortUrlPatch, ApiError> {
    let settings = settings.clone();
    let hashes = matches!(body.password, Some(Some(_)));
    off_runtime_if(hashes, move || validate_edit(body, &settings))
        .await
        .map_err(Violations::into_error)
}

/// [`edit_patch`] with the refusals per field (the pages' edit form shows them inline).
pub(crate) fn validate_edit(
    body: EditBody,
    settings: &HttpSettings,
) -> Result<ShortUrlPatch, Violations> {
    let mut v = Violations::default();
    let mut patch = ShortUrlPatch::default();
    match body.long_url {
        None => {}
        Some(None) => v.add("longUrl", "longUrl cannot be null"),
        Some(Some(raw)) => {
            patch.long_url = v.check("longUrl", LongUrl::parse(&raw, &settings.own_origin()))
        }
    }
    if let Some(since) = body.valid_since {
        patch.valid_since = optional_instant(&mut v, "validSince", since.as_deref());
    }
    if let Some(until) = body.valid_until {
        patch.valid_until = optional_instant(&mut v, "validUntil", until.as_deref());
    }
    check_window(
        &mut v,
        patch.valid_since.flatten(),
        patch.valid_until.flatten(),
    );
    match body.max_visits {
        None => {}
        Some(None) => patch.max_visits = Some(None),
        Some(Some(n)) => patch.max_visits = v.check("maxVisits", max_visits(n)).map(Some),
    }
    match body.tags {
        None => {}
        Some(None) => v.add("tags", "tags must be a list (send [] to remove every tag)"),
        Some(Some(tags)) => patch.tags = v.check("tags", Tag::parse_all(&tags)),
    }
    if let Some(raw) = body.title {
        patch.title = v.check("title", title(raw));
    }
    patch.crawlable = required_flag(&mut v, "crawlable", body.crawlable);
    patch.forward_query = required_flag(&mut v, "forwardQuery", body.forward_query);
    patch.device_long_urls = device_urls(
        &mut v,
        body.device_long_urls.as_ref(),
        &settings.own_origin(),
    );
    match body.expired_url {
        None => {}
        Some(None) => patch.expired_url = Some(None),
        Some(Some(raw)) => {
            patch.expired_url = v
                .check("expiredUrl", LongUrl::parse(&raw, &settings.own_origin()))
                .map(Some);
        }
    }
    patch.split = match body.destinations {
        None => None,
        Some(None) => Some(Split::default()),
        Some(Some(parts)) => v.check("destinations", Split::parse(&parts, &settings.own_origin())),
    };
    patch.password = match body.password {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => v.check("password", hashed(&raw)).map(Some),
    };
    if v.is_empty() { Ok(patch) } else { Err(v) }
}

/// Refuses an edit whose resulting validity window (stored values overlaid with the patch) is
/// empty, i.e. `validSince` after `validUntil`.
pub(super) fn check_edited_window(
    patch: &ShortUrlPatch,
    stored_since: Option<DateTime<Utc>>,
    stored_until: Option<DateTime<Utc>>,
) -> Result<(), ApiError> {
    edited_window(patch, stored_since, stored_until).finish()
}

/// [`check_edited_window`] as per-field refusals (empty when the window is fine).
pub(crate) fn edited_window(
    patch: &ShortUrlPatch,
    stored_since: Option<DateTime<Utc>>,
    stored_until: Option<DateTime<Utc>>,
) -> Violations {
    let mut v = Violations::default();
    check_window(
        &mut v,
        patch.valid_since.unwrap_or(stored_since),
        patch.valid_until.unwrap_or(stored_until),
    );
    v
}

/// Whether a patch changes nothing (so the store need not be written).
pub(crate) fn is_empty(patch: &ShortUrlPatch) -> bool {
    patch.long_url.is_none()
        && patch.title.is_none()
        && patch.valid_since.is_none()
        && patch.valid_until.is_none()
        && patch.max_visits.is_none()
        && patch.tags.is_none()
        && patch.crawlable.is_none()
        && patch.forward_query.is_none()
        && patch.device_long_urls.is_empty()
        && patch.expired_url.is_none()
        && patch.password.is_none()
        && patch.split.is_none()
}

/// A new link password, validated and hashed (the plain text goes no further).
fn hashed(raw: &str) -> Result<PasswordHash, PasswordError> {
    LinkPassword::parse(raw)?.hash()
}

/// Parses an ISO-8601 date-time that carries an offset (RFC 3339, or `+hhmm` offsets).
pub(super) fn parse_instant(field: &str, raw: &str) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .or_else(|_| DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|_| {
            format!("{field} must be an ISO-8601 date-time with an offset, e.g. 2026-11-25T10:00:00+00:00")
        })
}

/// `None` when the field was absent; `Some(None)` for `null`; the instant when it parses.
fn optional_instant(
    v: &mut Violations,
    field: &str,
    raw: Option<&str>,
) -> Option<Option<DateTime<Utc>>> {
    match raw {
        None => Some(None),
        Some(raw) => v.check(field, parse_instant(field, raw)).map(Some),
    }
}

fn check_window(v: &mut Violations, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) {
    if let (Some(since), Some(until)) = (since, until)
        && since > until
    {
        v.add("validSince", "validSince must not be after validUntil");
        v.add("validUntil", "validUntil must not be before validSince");
    }
}

fn code_length(n: i64) -> Result<usize, String> {
    usize::try_from(n)
        .ok()
        .filter(|len| (MIN_CODE_LEN..=MAX_SLUG_LEN).contains(len))
        .ok_or_else(|| format!("shortCodeLength must be between {MIN_CODE_LEN} and {MAX_SLUG_LEN}"))
}

fn max_visits(n: i64) -> Result<i64, &'static str> {
    if n >= 1 {
        Ok(n)
    } else {
        Err("maxVisits must be at least 1")
    }
}

/// A blank title is no title; a long one, or one with control characters (which Postgres cannot
/// store and no page can show), is refused.
fn title(raw: Option<String>) -> Result<Option<String>, String> {
    match raw {
        Some(t) if t.chars().count() > MAX_TITLE_LEN => {
            Err(format!("title must be at most {MAX_TITLE_LEN} characters"))
        }
        Some(t) if t.chars().any(char::is_control) => {
            Err("title must not contain control characters (such as U+0000 or line breaks)".into())
        }
        Some(t) if t.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn required_flag(v: &mut Violations, field: &str, value: Option<Option<bool>>) -> Option<bool> {
    match value {
        Some(None) => {
            v.add(field, format!("{field} cannot be null"));
            None
        }
        other => other.flatten(),
    }
}

/// Shlink's `deviceLongUrls`: `android`, `ios` and `desktop`, each a long URL (set) or `null`
/// (cleared); they are kept as device rules, as Shlink 4 does.
fn device_urls(v: &mut Violations, value: Option<&Value>, own: &OwnOrigin<'_>) -> DeviceUrlsPatch {
    let map = match value {
        None | Some(Value::Null) => return DeviceUrlsPatch::default(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            v.add(
                "deviceLongUrls",
                "deviceLongUrls must be an object with android, ios and desktop URLs",
            );
            return DeviceUrlsPatch::default();
        }
    };
    let mut edits = Vec::new();
    for (key, url) in map {
        let Some(device) = DEVICE_URL_KEYS
            .into_iter()
            .find(|device| device.as_str() == key)
        else {
            v.add(
                "deviceLongUrls",
                format!("{key:?} is not one of android, ios, desktop"),
            );
            continue;
        };
        match url {
            Value::Null => edits.push((device, None)),
            Value::String(raw) => {
                if let Some(url) = v.check("deviceLongUrls", LongUrl::parse(raw, own)) {
                    edits.push((device, Some(url)));
                }
            }
            _ => v.add("deviceLongUrls", "each device URL is a string or null"),
        }
    }
    // Shlink's order, whatever order the object had: new rules are appended in it.
    edits.sort_by_key(|(device, _)| DEVICE_URL_KEYS.iter().position(|key| key == device));
    DeviceUrlsPatch(edits)
}

#[cfg(test)]
mod tests;
