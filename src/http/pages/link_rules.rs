//! `/app/links/{code}/rules`: the web app's editor of a link's redirect rules, without
//! JavaScript. One form row per condition; rows with the same rule number make one rule (their
//! conditions all must hold) and the rule's long URL may be given on any of its rows. Blank rows
//! are there to add conditions; clearing a row's type removes it. The rules are checked by the
//! same code as the API's, and a refused form comes back filled in with the reasons, nothing
//! stored.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::PageForm;
use super::layout::{Layout, render};
use super::link_forms::{self, link_code};
use super::session::SignedIn;
use super::{PageError, csrf};
use crate::http::AppState;
use crate::links::rules::{ConditionParts, RedirectRule, RedirectRules};
use crate::links::{LinkAddress, OwnOrigin, ShortUrl};

/// Empty rows offered for new conditions.
const BLANK_ROWS: usize = 4;

/// The condition types the form offers, in the API's names.
const TYPES: [&str; 11] = [
    "device",
    "language",
    "query-param",
    "any-value-query-param",
    "valueless-query-param",
    "ip-address",
    "geolocation-country-code",
    "geolocation-city-name",
    "before-date",
    "after-date",
    "browser",
];

/// The editor page.
#[derive(Template)]
#[template(path = "link_rules.html")]
struct RulesPage {
    layout: Layout,
    code: String,
    default_long_url: String,
    rows: Vec<RuleRow>,
    errors: Vec<String>,
    csrf: String,
    types: &'static [&'static str],
}

/// One row of the form: a condition and the number and long URL of its rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleRow {
    /// The rule's number (1 is tried first).
    pub rule: String,
    /// The condition type, e.g. `device`; empty on a blank row.
    pub kind: String,
    /// The query parameter's name, for the query conditions.
    pub key: String,
    /// The value to match.
    pub value: String,
    /// The rule's long URL.
    pub url: String,
}

/// The submitted form: each column's values in row order.
#[derive(Debug, Deserialize)]
pub struct RulesForm {
    csrf: String,
    #[serde(default)]
    rule: Vec<String>,
    #[serde(default)]
    kind: Vec<String>,
    #[serde(default)]
    key: Vec<String>,
    #[serde(default)]
    value: Vec<String>,
    #[serde(default)]
    url: Vec<String>,
}

impl RulesForm {
    /// The submitted rows, blank ones left out.
    fn rows(&self) -> Vec<RuleRow> {
        let cell = |column: &[String], index: usize| {
            column
                .get(index)
                .map_or(String::new(), |v| v.trim().to_owned())
        };
        (0..self.kind.len().max(self.url.len()))
            .map(|i| RuleRow {
                rule: cell(&self.rule, i),
                kind: cell(&self.kind, i),
                key: cell(&self.key, i),
                value: cell(&self.value, i),
                url: cell(&self.url, i),
            })
            .filter(|row| !row.kind.is_empty())
            .collect()
    }
}

/// `GET /app/links/{code}/rules`: the link's rules as form rows, plus blank ones.
#[tracing::instrument(skip_all)]
pub async fn edit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let (code, link) = load(&state, path).await?;
    let rules = state.store.redirect_rules(link.id).await?;
    page(
        &signed_in,
        &link,
        rows_of(&rules),
        Vec::new(),
        StatusCode::OK,
        &code,
    )
}

/// `POST /app/links/{code}/rules`: stores the rules and shows the link, or the form again with
/// the reasons.
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    path: Result<Path<String>, PathRejection>,
    PageForm(form): PageForm<RulesForm>,
) -> Result<Response, PageError> {
    csrf::verify(&signed_in, &form.csrf)?;
    let (code, link) = load(&state, path).await?;
    let rows = form.rows();
    match rules_of(&rows, &state.settings.own_origin()) {
        Ok(rules) => {
            if !state.links.set_redirect_rules(&code, &rules).await? {
                return Err(PageError::LinkNotFound(code.segment().into_owned()));
            }
            Ok(Redirect::to(&format!("/app/links/{}", code.segment())).into_response())
        }
        Err(errors) => page(
            &signed_in,
            &link,
            rows,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            &code,
        ),
    }
}

async fn load(
    state: &AppState,
    path: Result<Path<String>, PathRejection>,
) -> Result<(LinkAddress, ShortUrl), PageError> {
    let code = link_code(path)?;
    let link = link_forms::load(state, &code).await?;
    Ok((code, link))
}

fn page(
    signed_in: &SignedIn,
    link: &ShortUrl,
    mut rows: Vec<RuleRow>,
    errors: Vec<String>,
    status: StatusCode,
    code: &LinkAddress,
) -> Result<Response, PageError> {
    let next = rows
        .iter()
        .filter_map(|row| row.rule.parse::<usize>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    rows.extend((0..BLANK_ROWS).map(|i| RuleRow {
        rule: (next + i).to_string(),
        ..RuleRow::default()
    }));
    let page = RulesPage {
        layout: Layout::signed_in(signed_in),
        code: code.segment().into_owned(),
        default_long_url: link.long_url.to_string(),
        rows,
        errors,
        csrf: signed_in.csrf_token().to_owned(),
        types: &TYPES,
    };
    render(status, &page)
}

/// The form rows of `rules`: one per condition, numbered by rule.
pub fn rows_of(rules: &RedirectRules) -> Vec<RuleRow> {
    let mut rows = Vec::new();
    for (index, rule) in rules.rules().iter().enumerate() {
        for condition in rule.condition_parts() {
            rows.push(RuleRow {
                rule: (index + 1).to_string(),
                kind: condition.kind,
                key: condition.match_key.unwrap_or_default(),
                value: condition.match_value.unwrap_or_default(),
                url: rule.long_url.to_string(),
            });
        }
    }
    rows
}

/// The rules the rows describe, in rule-number order; else every reason, naming the rule.
pub fn rules_of(rows: &[RuleRow], own: &OwnOrigin<'_>) -> Result<RedirectRules, Vec<String>> {
    let mut errors = Vec::new();
    let mut grouped: BTreeMap<u32, (String, Vec<ConditionParts>)> = BTreeMap::new();
    for row in rows {
        let Ok(number) = row.rule.parse::<u32>() else {
            errors.push(format!("{:?} is not a rule number: use 1, 2, 3…", row.rule));
            continue;
        };
        let (url, conditions) = grouped.entry(number).or_default();
        if url.is_empty() {
            url.clone_from(&row.url);
        }
        conditions.push(ConditionParts {
            kind: row.kind.clone(),
            match_key: Some(row.key.clone()).filter(|key| !key.is_empty()),
            match_value: Some(row.value.clone()).filter(|value| !value.is_empty()),
        });
    }
    let mut rules = Vec::new();
    for (number, (url, conditions)) in grouped {
        match RedirectRule::parse(&url, &conditions, own) {
            Ok(rule) => rules.push(rule),
            Err(err) => errors.push(format!("Rule {number}: {err}")),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    RedirectRules::new(rules).map_err(|err| vec![err.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rule: &str, kind: &str, key: &str, value: &str, url: &str) -> RuleRow {
        RuleRow {
            rule: rule.into(),
            kind: kind.into(),
            key: key.into(),
            value: value.into(),
            url: url.into(),
        }
    }

    #[test]
    fn rows_group_by_rule_number_and_round_trip() {
        let base = url::Url::parse("https://s.example.com").unwrap();
        let own = OwnOrigin::of(&base);
        let rows = vec![
            row("2", "language", "", "fr", "https://example.com/fr"),
            row("1", "device", "", "android", ""),
            row(
                "1",
                "query-param",
                "utm",
                "mail",
                "https://example.com/android-mail",
            ),
        ];
        let rules = rules_of(&rows, &own).unwrap();
        assert_eq!(rules.rules().len(), 2);
        assert_eq!(
            rules.rules()[0].long_url,
            "https://example.com/android-mail"
        );
        assert_eq!(rules.rules()[0].conditions.len(), 2);
        let again = rules_of(&rows_of(&rules), &own).unwrap();
        assert_eq!(again, rules);
    }

    #[test]
    fn every_reason_names_its_rule() {
        let base = url::Url::parse("https://s.example.com").unwrap();
        let own = OwnOrigin::of(&base);
        let rows = vec![
            row("1", "device", "", "toaster", "https://example.com/a"),
            row("2", "language", "", "fr", ""),
            row("x", "device", "", "ios", "https://example.com/b"),
        ];
        let errors = rules_of(&rows, &own).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("\"x\" is not a rule number"));
        assert!(errors[1].starts_with("Rule 1: invalid condition value: a device is"));
        assert!(errors[2].starts_with("Rule 2: invalid long URL"));
    }
}
