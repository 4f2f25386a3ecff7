//! The most recent visits of the private analytics page, ready to show (every field is text
//! that askama escapes).

use chrono::Duration;

use super::country::country_label;
use super::report::Selection;
use crate::http::AppState;
use crate::http::pages::PageError;
use crate::links::LinkAddress;
use crate::store::{Visit, VisitFilter, VisitScope};

/// How many visits the page lists.
pub const RECENT_VISITS: u32 = 50;

/// User agents longer than this are cut (the full text is in the tooltip).
const USER_AGENT_CHARS: usize = 60;

/// Referrers longer than this are cut (the full text is in the tooltip).
const REFERRER_CHARS: usize = 60;

/// One row of the recent-visits table.
#[derive(Debug, Clone)]
pub struct RecentVisit {
    /// Local date and time.
    pub time: String,
    /// Country as "Germany (DE)", like the breakdown table; empty when unknown.
    pub country: String,
    /// City, empty when unknown.
    pub city: String,
    /// The user agent, cut to a readable length.
    pub user_agent_short: String,
    /// The whole user agent.
    pub user_agent: String,
    /// The referrer, cut to a readable length.
    pub referrer_short: String,
    /// The whole referrer.
    pub referrer: String,
    /// Flagged as a bot.
    pub bot: bool,
}

/// The newest visits of `link` in the selected range (bots as the switch says).
pub async fn recent_visits(
    state: &AppState,
    link: &LinkAddress,
    selection: &Selection,
) -> Result<Vec<RecentVisit>, PageError> {
    let page = state
        .store
        .list_visits(
            &VisitScope::Link(link.clone()),
            &visit_filter(selection, RECENT_VISITS),
        )
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(|visit| row(visit, selection))
        .collect())
}

/// The visits filter matching the selection: the range's instants (the end excluded) and the
/// bot switch, newest first, at most `limit`.
pub fn visit_filter(selection: &Selection, limit: u32) -> VisitFilter {
    let range = selection.choice.hours;
    VisitFilter {
        page: 1,
        items_per_page: Some(limit),
        start_date: Some(range.from),
        end_date: Some(range.to - Duration::microseconds(1)),
        exclude_bots: !selection.include_bots,
        author_key_id: None,
    }
}

fn row(visit: Visit, selection: &Selection) -> RecentVisit {
    let location = visit.location.unwrap_or_default();
    let user_agent = visit.user_agent.unwrap_or_default();
    let referrer = visit.referer.unwrap_or_default();
    RecentVisit {
        time: selection.local_time(visit.occurred_at),
        country: country_label(
            location.country_code.as_deref(),
            location.country_name.as_deref(),
        ),
        city: location.city_name.unwrap_or_default(),
        user_agent_short: cut(&user_agent, USER_AGENT_CHARS),
        referrer_short: cut(&referrer, REFERRER_CHARS),
        user_agent,
        referrer,
        bot: visit.potential_bot,
    }
}

/// `text` cut to `max` characters, with an ellipsis when something was left out.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("ééééé", 2), "éé…");
        assert_eq!(cut("", 2), "");
    }
}
