//! `POST /{shortCode}`: a protected link's password form, posted back. The right password
//! redirects (303) and records the visit, exactly once per accepted password; a wrong one shows
//! the form again and records nothing; after a few wrong ones from one address the link is
//! paused for that address. Nothing here names the destination before the password is right.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Visit, grant, lookup, redirect, refused};
use crate::http::pages::form::PageForm;
use crate::http::pages::throttle::UnlockThrottle;
use crate::http::pages::unlock::{self, Attempt, UnlockForm};
use crate::http::pages::{PageError, csrf};
use crate::http::{AppState, host, pages};

/// Checks the password of the link behind `code`; see the module documentation.
#[tracing::instrument(skip_all)]
pub async fn unlock(
    State(state): State<AppState>,
    Extension(throttle): Extension<UnlockThrottle>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    PageForm(form): PageForm<UnlockForm>,
) -> Response {
    let Some(domain) = host::request_domain(&state, peer.ip(), &headers) else {
        return pages::not_found();
    };
    let (link, target) = match lookup(&state, domain, &code).await {
        Ok(found) => found,
        Err((domain, refusal)) => {
            return refused(&state, &domain, refusal, &uri, &headers, peer).await;
        }
    };
    let Some(hash) = target.password.clone() else {
        // The protection was removed meanwhile: follow the link as anyone would.
        let own_address = uri.path_and_query().map_or("/", |pq| pq.as_str());
        return Redirect::to(own_address).into_response();
    };
    if let Err(err) = csrf::UNLOCK.verify(&headers, form.token()) {
        return err.into_response();
    }
    let client = (state.client_ip.resolve(peer.ip(), &headers), target.link_id);
    if let Err(paused) = throttle.check(&client) {
        tracing::info!(client = %client.0, link = %link, "protected link paused for a client");
        return PageError::TooManyPasswords {
            retry_after: paused.retry_after,
        }
        .into_response();
    }
    let candidate = form.into_password();
    let right = tokio::task::spawn_blocking(move || hash.verify(&candidate))
        .await
        .unwrap_or(false);
    if !right {
        throttle.failed(client);
        return unlock::form(&state, &link, &uri, &headers, Attempt::Wrong);
    }
    throttle.succeeded(&client);
    let visit = Visit {
        uri: &uri,
        headers: &headers,
        peer,
    };
    match grant(&state, &link, target, &headers).await {
        Ok(target) => redirect(&state, &target, &visit, StatusCode::SEE_OTHER).await,
        Err(refusal) => refused(&state, &link.domain, refusal, &uri, &headers, peer).await,
    }
}
