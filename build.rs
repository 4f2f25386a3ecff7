//! Enables the Postgres integration suite when `TEST_DATABASE_URL` is set at build time, so that
//! without it those tests are reported as ignored (with the reason) instead of passing silently.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    if std::env::var_os("TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
