//! Unit tests of `/short-urls` input validation.

use chrono::TimeZone;
use serde_json::json;
use url::Url;

use super::*;
use crate::config::RedirectStatus;

fn settings() -> HttpSettings {
    HttpSettings {
        base_url: Url::parse("https://s.example/").unwrap(),
        request_timeout: std::time::Duration::from_secs(30),
        listen: None,
        cors_origins: vec!["*".to_owned()],
        metrics_token: None,
        expired_url: None,
        unknown_hosts: crate::config::UnknownHosts::Default,
        webhooks_allow_private: false,
        redirect_status: "302".parse::<RedirectStatus>().unwrap(),
    }
}

fn create(body: Value) -> Result<(LinkDraft, bool), ApiError> {
    validate_create(serde_json::from_value(body).unwrap(), &settings())
        .map_err(Violations::into_error)
}

fn edit(body: Value) -> Result<ShortUrlPatch, ApiError> {
    validate_edit(serde_json::from_value(body).unwrap(), &settings())
        .map_err(Violations::into_error)
}

fn refused<T: std::fmt::Debug>(result: Result<T, ApiError>) -> Vec<String> {
    match result {
        Err(ApiError::InvalidData { elements, .. }) => elements,
        other => panic!("expected invalid-data, got {other:?}"),
    }
}

#[test]
fn instants_need_an_offset() {
    let expected = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
    for ok in [
        "2026-11-25T10:00:00+02:00",
        "2026-11-25T08:00:00Z",
        "2026-11-25T10:00:00+0200",
        "2026-11-25T08:00:00.000+00:00",
    ] {
        assert_eq!(parse_instant("validSince", ok).unwrap(), expected, "{ok}");
    }
    for bad in ["2026-11-25", "2026-11-25T10:00:00", "tomorrow", ""] {
        assert!(parse_instant("validSince", bad).is_err(), "{bad}");
    }
}

#[test]
fn create_defaults_follow_shlink() {
    let (draft, find) = create(json!({"longUrl": "https://example.com/x"})).unwrap();
    assert_eq!(draft.short_code, CodeChoice::Generated(DEFAULT_CODE_LEN));
    assert!(draft.forward_query);
    assert!(!draft.crawlable);
    assert!(!find);
    assert!(draft.tags.is_empty() && draft.title.is_none() && draft.max_visits.is_none());
}

#[test]
fn create_takes_every_field() {
    let (draft, find) = create(json!({
        "longUrl": "https://example.com/x",
        "customSlug": "my-slug",
        "findIfExists": true,
        "validSince": "2026-01-01T00:00:00+00:00",
        "validUntil": "2026-02-01T00:00:00+00:00",
        "maxVisits": 7,
        "tags": ["b", "a"],
        "title": "Hello",
        "crawlable": true,
        "forwardQuery": false,
        "domain": "s.example",
        "pathPrefix": "",
        "deviceLongUrls": {"android": null, "ios": null, "desktop": null}
    }))
    .unwrap();
    assert!(find);
    assert_eq!(
        draft.short_code,
        CodeChoice::Custom(ShortCode::parse("my-slug").unwrap())
    );
    assert_eq!(draft.max_visits, Some(7));
    assert_eq!(draft.title.as_deref(), Some("Hello"));
    assert!(draft.crawlable && !draft.forward_query);
    assert_eq!(draft.tags.len(), 2);
    assert!(draft.valid_since.is_some() && draft.valid_until.is_some());
}

#[test]
fn create_names_every_refused_field() {
    let elements = refused(create(json!({
        "longUrl": "javascript:alert(1)",
        "customSlug": "bad slug",
        "shortCodeLength": 3,
        "validSince": "soon",
        "maxVisits": 0,
        "tags": [" "],
        "domain": "https://other.example/",
        "pathPrefix": "x",
        "deviceLongUrls": {"ios": "javascript:alert(1)", "watch": "https://example.com/w"}
    })));
    assert_eq!(
        elements,
        vec![
            "longUrl",
            "shortCodeLength",
            "customSlug",
            "validSince",
            "maxVisits",
            "tags",
            "domain",
            "pathPrefix",
            "deviceLongUrls"
        ]
    );
}

#[test]
fn code_length_is_bounded() {
    for bad in [3, 65, -1] {
        let result = create(json!({"longUrl": "https://e.com", "shortCodeLength": bad}));
        assert_eq!(refused(result), vec!["shortCodeLength"], "{bad}");
    }
    let (draft, _) = create(json!({"longUrl": "https://e.com", "shortCodeLength": 64})).unwrap();
    assert_eq!(draft.short_code, CodeChoice::Generated(64));
}

#[test]
fn validity_window_must_not_be_empty() {
    let result = create(json!({
        "longUrl": "https://e.com",
        "validSince": "2026-02-01T00:00:00Z",
        "validUntil": "2026-01-01T00:00:00Z"
    }));
    assert_eq!(refused(result), vec!["validSince", "validUntil"]);
}

#[test]
fn titles_with_control_characters_are_refused_naming_the_field() {
    for bad in ["a\u{0}b", "line\nbreak", "bell\u{7}", "del\u{7f}"] {
        assert_eq!(
            refused(create(json!({"longUrl": "https://e.com", "title": bad}))),
            vec!["title"],
            "{bad:?}"
        );
        assert_eq!(
            refused(edit(json!({"title": bad}))),
            vec!["title"],
            "{bad:?}"
        );
    }
}

#[test]
fn blank_titles_are_no_titles_and_long_ones_are_refused() {
    let (draft, _) = create(json!({"longUrl": "https://e.com", "title": "  "})).unwrap();
    assert_eq!(draft.title, None);
    let long = "t".repeat(MAX_TITLE_LEN + 1);
    assert_eq!(
        refused(create(json!({"longUrl": "https://e.com", "title": long}))),
        vec!["title"]
    );
}

#[test]
fn edits_distinguish_null_from_absent() {
    let patch = edit(json!({"title": null, "validUntil": null, "maxVisits": null})).unwrap();
    assert_eq!(patch.title, Some(None));
    assert_eq!(patch.valid_until, Some(None));
    assert_eq!(patch.max_visits, Some(None));
    assert_eq!(patch.valid_since, None);
    assert!(patch.long_url.is_none() && patch.tags.is_none() && patch.crawlable.is_none());
    assert!(is_empty(&edit(json!({})).unwrap()));
    assert!(!is_empty(&patch));
}

#[test]
fn edits_refuse_nulls_for_required_fields_and_bad_values() {
    let elements = refused(edit(json!({
        "longUrl": null,
        "tags": null,
        "crawlable": null,
        "forwardQuery": null,
        "maxVisits": -3,
        "validSince": "nope"
    })));
    assert_eq!(
        elements,
        vec![
            "longUrl",
            "validSince",
            "maxVisits",
            "tags",
            "crawlable",
            "forwardQuery"
        ]
    );
    assert_eq!(
        refused(edit(json!({"longUrl": "https://s.example/loop"}))),
        vec!["longUrl"]
    );
}

#[test]
fn edited_window_overlays_stored_values() {
    let jan = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let feb = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let moves_until_before_since = edit(json!({"validUntil": "2025-12-01T00:00:00Z"})).unwrap();
    assert!(check_edited_window(&moves_until_before_since, Some(jan), None).is_err());
    assert!(check_edited_window(&moves_until_before_since, None, Some(feb)).is_ok());
    let clears_since =
        edit(json!({"validSince": null, "validUntil": "2025-12-01T00:00:00Z"})).unwrap();
    assert!(check_edited_window(&clears_since, Some(jan), None).is_ok());
}
