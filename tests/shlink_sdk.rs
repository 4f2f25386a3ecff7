//! Shlink's own JavaScript SDK against the real server: `tests/sdk/check.mjs` calls every method
//! of `@shlinkio/shlink-js-sdk`'s `ShlinkApiClient` (pinned in `tests/sdk/package-lock.json`) and
//! checks each answer's status and body against `tests/sdk/schemas.json`, the response schemas of
//! Shlink's OpenAPI description kept in the repository. The SDK is installed with `npm ci` into a
//! temporary folder for each run, so nothing is left behind; without Node.js and npm the test is
//! reported as ignored (see `build.rs`).

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Backend, spawn_app};

/// Long enough for the script's ~80 calls and its wait for the pipeline to store visits.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Long enough for `npm ci` to fetch the locked packages on a cold cache.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);

/// The files of `tests/sdk` the check needs, copied next to its own `node_modules`.
const SDK_FILES: [&str; 4] = [
    "package.json",
    "package-lock.json",
    "check.mjs",
    "schemas.json",
];

/// A temporary folder holding the check and the SDK installed exactly as locked.
async fn installed_sdk() -> tempfile::TempDir {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk");
    let folder = tempfile::tempdir().expect("temp dir");
    for file in SDK_FILES {
        std::fs::copy(source.join(file), folder.path().join(file)).expect("copy the check");
    }
    let install = tokio::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
        .current_dir(folder.path())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(INSTALL_TIMEOUT, install)
        .await
        .unwrap_or_else(|_| panic!("npm ci did not finish within {INSTALL_TIMEOUT:?}"))
        .expect("npm runs");
    assert!(
        output.status.success(),
        "npm ci failed (is the npm registry reachable?):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    folder
}

async fn every_sdk_method_gets_the_documented_answer(backend: Backend) {
    let sdk = installed_sdk().await;
    let app = spawn_app(backend).await;
    // `spawn_app` names its key `test`: the script lists the links created with it.
    let run = tokio::process::Command::new("node")
        .arg(sdk.path().join("check.mjs"))
        .args([app.address.as_str(), app.api_key.as_str(), "test"])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| panic!("check.mjs did not finish within {SCRIPT_TIMEOUT:?}"))
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "check.mjs failed ({}):\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    println!("{stdout}");
}

mod sqlite {
    #[tokio::test]
    #[cfg_attr(
        not(sdk_tests),
        ignore = "Shlink SDK check skipped: Node.js and npm are not installed"
    )]
    async fn every_sdk_method_gets_the_documented_answer() {
        super::every_sdk_method_gets_the_documented_answer(super::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test]
    #[cfg_attr(
        not(sdk_tests),
        ignore = "Shlink SDK check skipped: Node.js and npm are not installed"
    )]
    #[cfg_attr(
        all(sdk_tests, not(postgres_tests)),
        ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
    )]
    async fn every_sdk_method_gets_the_documented_answer() {
        super::every_sdk_method_gets_the_documented_answer(super::Backend::Postgres).await
    }
}
