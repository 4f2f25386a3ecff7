//! Enables optional integration suites at build time, so that without their prerequisites those
//! tests are reported as ignored (with the reason) instead of passing silently:
//! the Postgres suite when `TEST_DATABASE_URL` is set, the browser suite when chromedriver exists,
//! the Shlink SDK check when Node.js and npm are on the `PATH`, the README check when bash, curl
//! and jq are.

fn main() {
    // `sqlx::migrate!` embeds the migration files; a new or edited one must rebuild the crate.
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    println!("cargo::rerun-if-env-changed=CHROMEDRIVER");
    let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    println!("cargo::rerun-if-changed={driver}");
    if std::path::Path::new(&driver).exists() {
        println!("cargo::rustc-cfg=browser_tests");
    }
    println!("cargo::rustc-check-cfg=cfg(sdk_tests)");
    println!("cargo::rerun-if-env-changed=PATH");
    if ["node", "npm"].iter().all(|tool| on_path(tool)) {
        println!("cargo::rustc-cfg=sdk_tests");
    }
    println!("cargo::rustc-check-cfg=cfg(readme_tests)");
    if ["bash", "curl", "jq"].iter().all(|tool| on_path(tool)) {
        println!("cargo::rustc-cfg=readme_tests");
    }
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    if std::env::var_os("TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}

/// Whether an executable named `tool` is in one of the `PATH` folders.
fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}
