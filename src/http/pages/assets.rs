//! The web app's stylesheet and script, compiled into the binary and served at `/static/…`.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::PageError;

/// Assets change only with a new release; an hour of caching keeps pages fast without pinning
/// old files for long after an upgrade.
const CACHE: HeaderValue = HeaderValue::from_static("public, max-age=3600");

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

/// Every file under `/static/`.
const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../static/app.js"),
    },
    Asset {
        name: "link.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../static/link.css"),
    },
    Asset {
        name: "link.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../static/link.js"),
    },
];

/// `GET /static/{file}`: the embedded file, or the 404 page.
pub async fn serve(Path(file): Path<String>) -> Result<Response, PageError> {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.name == file)
        .ok_or(PageError::NotFound)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, CACHE),
        ],
        asset.body,
    )
        .into_response())
}
