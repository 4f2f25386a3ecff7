//! `GET /rest/openapi.json`: the OpenAPI 3.1 description of every route we serve
//! (`openapi.json`, beside this file), which `tests/openapi.rs` checks against the running
//! server both ways so that it cannot drift from the router.

use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;

/// The embedded document, parsed once, with this build's version in `info.version`.
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    let mut document: Value =
        serde_json::from_str(include_str!("openapi.json")).expect("openapi.json is valid JSON");
    document["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    document
});

/// Serves the document with `servers` set to our base URL, so tools call this very instance.
pub async fn document(State(state): State<AppState>) -> Json<Value> {
    let mut document = DOCUMENT.clone();
    let base_url = state.settings.base_url.as_str().trim_end_matches('/');
    document["servers"] = json!([{ "url": base_url }]);
    Json(document)
}
