//! Creating, editing and deleting links from the web app.
//!
//! Forms are translated into the REST API's request bodies and validated by the API's own
//! code, so the rules and messages are identical; refusals come back next to their fields
//! (422, form re-filled, nothing stored). Every form is CSRF-checked before anything else, and
//! edits and deletes drop the link from the redirect cache at once.

mod view;

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub use self::view::{LinkForm, LinkFormView};
use super::form::PageForm;
use super::layout::{Layout, render};
use super::login::CsrfForm;
use super::session::SignedIn;
use super::{PageError, csrf};
use crate::http::AppState;
use crate::http::short_urls::input;
use crate::links::LinkAddress;
use crate::links::ShortUrl;
use crate::links::service::CreateLinkError;

/// The create or edit page.
#[derive(Template)]
#[template(path = "link_form.html")]
struct LinkFormPage {
    layout: Layout,
    heading: String,
    form: LinkFormView,
}

/// The delete confirmation page.
#[derive(Template)]
#[template(path = "link_delete.html")]
struct DeletePage {
    layout: Layout,
    link: ShortUrl,
    short_url: String,
    csrf: String,
}

/// `GET /app/links/new`: an empty create form.
#[tracing::instrument(skip_all)]
pub async fn new(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    form_page(
        &signed_in,
        StatusCode::OK,
        "New link".to_owned(),
        LinkFormView {
            known_domains: known_domains(&state),
            ..LinkFormView::create(signed_in.csrf_token())
        },
    )
}

/// The names of the domains served besides the default one, which the create form offers.
pub fn known_domains(state: &AppState) -> Vec<String> {
    state
        .domains
        .all()
        .keys()
        .filter_map(|domain| domain.name().map(str::to_owned))
        .collect()
}

/// `POST /app/links`: creates the link and shows its page, or the form again with errors.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    PageForm(form): PageForm<LinkForm>,
) -> Result<Response, PageError> {
    csrf::verify(&signed_in, &form.csrf)?;
    let (body, mut errors) = view::create_body(&form);
    let settings = state.settings.clone();
    let validated = input::off_runtime_if(body.password.is_some(), move || {
        input::validate_create(body, &settings)
    })
    .await;
    let draft = match validated {
        Ok((draft, _)) if errors.is_empty() => draft,
        Ok(_) => return refused_create(&signed_in, &form, errors),
        Err(refused) => {
            errors.extend(refused.refused().iter().cloned());
            return refused_create(&signed_in, &form, errors);
        }
    };
    let link = match state.links.create(&draft, false).await {
        Ok(link) => link,
        Err(err @ CreateLinkError::SlugTaken(_)) => {
            errors.push(("customSlug".into(), err.to_string()));
            return refused_create(&signed_in, &form, errors);
        }
        Err(CreateLinkError::Store(err)) => return Err(err.into()),
        Err(err @ CreateLinkError::CodesExhausted(_)) => {
            return Err(PageError::Internal(err.into()));
        }
    };
    Ok(Redirect::to(&format!("/app/links/{}", link.address().segment())).into_response())
}

/// `GET /app/links/{code}/edit`: the form filled with the stored link.
#[tracing::instrument(skip_all)]
pub async fn edit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let link = load(&state, &link_code(path)?).await?;
    form_page(
        &signed_in,
        StatusCode::OK,
        format!("Edit /{}", link.short_code),
        LinkFormView::edit(&link, signed_in.csrf_token()),
    )
}

/// `POST /app/links/{code}/edit`: applies the form, or shows it again with errors.
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    path: Result<Path<String>, PathRejection>,
    PageForm(form): PageForm<LinkForm>,
) -> Result<Response, PageError> {
    csrf::verify(&signed_in, &form.csrf)?;
    let code = link_code(path)?;
    let stored = load(&state, &code).await?;
    let (body, mut errors) = view::edit_body(&form);
    let settings = state.settings.clone();
    let hashes = matches!(body.password, Some(Some(_)));
    let validated =
        input::off_runtime_if(hashes, move || input::validate_edit(body, &settings)).await;
    match validated {
        Ok(patch) => {
            let window = input::edited_window(&patch, stored.valid_since, stored.valid_until);
            errors.extend(window.refused().iter().cloned());
            if !errors.is_empty() {
                return refused_edit(&signed_in, &stored, &form, errors);
            }
            if !input::is_empty(&patch) {
                state.links.update(&code, &patch).await?;
            }
            Ok(Redirect::to(&format!("/app/links/{}", code.segment())).into_response())
        }
        Err(refused) => {
            errors.extend(refused.refused().iter().cloned());
            refused_edit(&signed_in, &stored, &form, errors)
        }
    }
}

/// `GET /app/links/{code}/delete`: asks for confirmation.
#[tracing::instrument(skip_all)]
pub async fn confirm_delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let link = load(&state, &link_code(path)?).await?;
    let page = DeletePage {
        layout: Layout::signed_in(&signed_in),
        short_url: state.settings.short_url_of(&link.address()),
        link,
        csrf: signed_in.csrf_token().to_owned(),
    };
    render(StatusCode::OK, &page)
}

/// `POST /app/links/{code}/delete`: deletes the link; it stops redirecting at once.
#[tracing::instrument(skip_all)]
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    path: Result<Path<String>, PathRejection>,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PageError> {
    csrf::verify(&signed_in, form.token())?;
    let code = link_code(path)?;
    state.links.delete(&code).await?;
    Ok(Redirect::to("/app").into_response())
}

/// The link a link page's path segment addresses (`code`, or `code@domain` on another domain);
/// one that cannot exist is simply not found.
pub fn link_code(path: Result<Path<String>, PathRejection>) -> Result<LinkAddress, PageError> {
    let Path(raw) = path.map_err(|_| PageError::NotFound)?;
    LinkAddress::from_segment(&raw).ok_or(PageError::LinkNotFound(raw))
}

/// The link behind `link`, or the friendly not-found page.
pub(super) async fn load(state: &AppState, link: &LinkAddress) -> Result<ShortUrl, PageError> {
    state
        .store
        .find_short_url(link)
        .await?
        .ok_or_else(|| PageError::LinkNotFound(link.segment().into_owned()))
}

fn refused_create(
    signed_in: &SignedIn,
    form: &LinkForm,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let view = LinkFormView::refill_create(form, signed_in.csrf_token(), errors);
    form_page(
        signed_in,
        StatusCode::UNPROCESSABLE_ENTITY,
        "New link".to_owned(),
        view,
    )
}

fn refused_edit(
    signed_in: &SignedIn,
    stored: &ShortUrl,
    form: &LinkForm,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let view = LinkFormView::refill_edit(stored, form, signed_in.csrf_token(), errors);
    form_page(
        signed_in,
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("Edit /{}", stored.short_code),
        view,
    )
}

fn form_page(
    signed_in: &SignedIn,
    status: StatusCode,
    heading: String,
    form: LinkFormView,
) -> Result<Response, PageError> {
    let page = LinkFormPage {
        layout: Layout::signed_in(signed_in),
        heading,
        form,
    };
    render(status, &page)
}
