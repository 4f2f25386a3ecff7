//! `GET /robots.txt` as Shlink serves it: crawlers may follow the links marked `crawlable` and
//! nothing else.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, host, pages};

/// The links of the requested domain a crawler may follow, then a refusal of everything else.
#[tracing::instrument(skip_all)]
pub async fn robots(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let Some(domain) = host::request_domain(&state, peer.ip(), &headers) else {
        return pages::not_found();
    };
    match state.store.crawlable_short_codes(&domain).await {
        Ok(codes) => {
            let text = HeaderValue::from_static("text/plain; charset=utf-8");
            ([(header::CONTENT_TYPE, text)], robots_txt(&codes)).into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "robots.txt: crawlable links unavailable");
            pages::unavailable()
        }
    }
}

/// The file for these crawlable short codes.
fn robots_txt(codes: &[String]) -> String {
    let mut text = String::from(
        "# For more information about the robots.txt standard, see:\n\
         # https://www.robotstxt.org/orig.html\n\nUser-agent: *\n",
    );
    for code in codes {
        text.push_str("Allow: /");
        text.push_str(code);
        text.push('\n');
    }
    text.push_str("Disallow: /\n");
    text
}

#[cfg(test)]
mod tests {
    use super::robots_txt;

    #[test]
    fn allows_the_crawlable_links_and_disallows_the_rest() {
        let text = robots_txt(&["a1".to_owned(), "b2".to_owned()]);
        assert!(
            text.ends_with("User-agent: *\nAllow: /a1\nAllow: /b2\nDisallow: /\n"),
            "{text}"
        );
        assert!(robots_txt(&[]).ends_with("User-agent: *\nDisallow: /\n"));
    }
}
