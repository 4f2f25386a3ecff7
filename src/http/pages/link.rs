//! `GET /app/links/{code}`: a link's analytics page (signed in), and the switch that makes it
//! public at `/{code}+`.
//!
//! Every figure follows the plain GET form's `?range=…&bots=…&tz=…`, so the page works without
//! JavaScript; `static/link.js` only adds the copy button, the viewer's time zone and live
//! updates over [`super::live`].

mod country;
mod qr;
mod recent;
pub mod report;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use self::recent::RecentVisit;
pub use self::recent::visit_filter;
use self::report::{Report, ReportQuery, Selection};
use super::form::{PageForm, PageQuery};
use super::layout::{Layout, render};
use super::session::SignedIn;
use super::{PageError, csrf};
use crate::http::AppState;
use crate::links::LinkAddress;
use crate::links::ShortUrl;

/// Most visits an export holds (the newest of the range); the page says so.
pub const EXPORT_LIMIT: u32 = 100_000;

/// The private analytics page.
#[derive(Template)]
#[template(path = "link.html")]
struct LinkPage {
    layout: Layout,
    link: ShortUrl,
    short_url: String,
    public_url: String,
    qr_svg: String,
    created: String,
    valid_until: Option<String>,
    csrf: String,
    public_stats: bool,
    report: Report,
    recent: Vec<RecentVisit>,
    recent_limit: u32,
    export_limit: String,
    dbip: bool,
}

/// The public-stats switch.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PublicForm {
    csrf: String,
    public: String,
}

/// The link a path's segment names (`code`, or `code@domain` on another domain), or the
/// friendly 404.
#[tracing::instrument(skip_all)]
pub async fn find_link(
    state: &AppState,
    segment: &str,
) -> Result<(LinkAddress, ShortUrl), PageError> {
    let address = LinkAddress::from_segment(segment)
        .ok_or_else(|| PageError::LinkNotFound(segment.to_owned()))?;
    find_address(state, address).await
}

/// The link at `address`, or the friendly 404.
pub async fn find_address(
    state: &AppState,
    address: LinkAddress,
) -> Result<(LinkAddress, ShortUrl), PageError> {
    let link = state
        .store
        .find_short_url(&address)
        .await?
        .ok_or_else(|| PageError::LinkNotFound(address.segment().into_owned()))?;
    Ok((address, link))
}

/// `GET /app/links/{code}`: details, figures, breakdowns and the most recent visits.
#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<ReportQuery>,
) -> Result<Response, PageError> {
    let (code, link) = find_link(&state, &code).await?;
    let selection = Selection::new(&query, &headers, &link);
    let report = Report::load(&state, &link, selection).await?;
    let recent = recent::recent_visits(&state, &code, &selection).await?;
    let public_stats = state.store.is_public_stats(&code).await?;
    let short_url = state.settings.short_url_of(&code);
    let page = LinkPage {
        layout: Layout::signed_in(&signed_in),
        public_url: format!("{short_url}+"),
        qr_svg: qr::qr_svg(&short_url),
        short_url,
        created: selection.local_time(link.date_created),
        valid_until: link.valid_until.map(|at| selection.local_time(at)),
        csrf: signed_in.csrf_token().to_owned(),
        public_stats,
        report,
        recent,
        recent_limit: recent::RECENT_VISITS,
        export_limit: grouped(EXPORT_LIMIT),
        dbip: state.geo.is_dbip(),
        link,
    };
    render(StatusCode::OK, &page)
}

/// `n` with its thousands separated by spaces, e.g. `100 000`.
fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

/// `POST /app/links/{code}/public`: turns the public page on (`public=1`) or off.
#[tracing::instrument(skip_all)]
pub async fn set_public(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    PageForm(form): PageForm<PublicForm>,
) -> Result<Response, PageError> {
    csrf::verify(&signed_in, &form.csrf)?;
    let (code, _) = find_link(&state, &code).await?;
    let public = form.public == "1";
    state.store.set_public_stats(&code, public).await?;
    tracing::info!(link = %code, public, "public stats switched");
    Ok(Redirect::to(&format!("/app/links/{}", code.segment())).into_response())
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(100_000), "100 000");
        assert_eq!(grouped(1_234_567), "1 234 567");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(0), "0");
    }
}
