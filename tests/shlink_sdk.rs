//! Shlink's own JavaScript SDK against the real server: `tests/sdk/check.mjs` calls every method
//! of `@shlinkio/shlink-js-sdk`'s `ShlinkApiClient` (pinned in `tests/sdk/package-lock.json`) and
//! checks each answer's status and body against `tests/sdk/schemas.json`, the response schemas of
//! Shlink's OpenAPI description kept in the repository. It needs Node.js and
//! `npm ci --prefix tests/sdk` (`.ci/run` does it); without them the test fails and says so.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Backend, spawn_app};

/// Long enough for the script's ~80 calls and its wait for the pipeline to store visits.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

async fn every_sdk_method_gets_the_documented_answer(backend: Backend) {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk");
    assert!(
        sdk.join("node_modules/@shlinkio/shlink-js-sdk/package.json")
            .is_file(),
        "the Shlink JS SDK is not installed in {}: run `npm ci --prefix tests/sdk`",
        sdk.display()
    );
    let app = spawn_app(backend).await;
    // `spawn_app` names its key `test`: the script lists the links created with it.
    let run = tokio::process::Command::new("node")
        .arg(sdk.join("check.mjs"))
        .args([app.address.as_str(), app.api_key.as_str(), "test"])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| panic!("check.mjs did not finish within {SCRIPT_TIMEOUT:?}"))
        .unwrap_or_else(|err| panic!("could not run `node` ({err}): install Node.js 20 or later"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "check.mjs failed ({}):\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    println!("{stdout}");
}

backend_tests!(every_sdk_method_gets_the_documented_answer);
