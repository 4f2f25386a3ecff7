//! TLS to Postgres with rustls, against the test server (which has SSL on): `require` encrypts,
//! `verify-full` checks the server's certificate against `sslrootcert`, and a wrong root fails
//! with a message naming the setting to fix.

mod common;

use std::io::Write;

use sqlx::Connection;

/// `TEST_DATABASE_URL` with `query`, its host replaced by `host` when given.
fn test_url(host: Option<&str>, query: &str) -> String {
    let mut url = url::Url::parse(&std::env::var("TEST_DATABASE_URL").unwrap()).unwrap();
    if let Some(host) = host {
        url.set_host(Some(host)).unwrap();
    }
    url.set_query(Some(query));
    url.to_string()
}

/// The server's own certificate (PEM), read through SQL so the test needs no file access.
async fn server_certificate() -> tempfile::NamedTempFile {
    let mut conn = sqlx::PgConnection::connect(&test_url(None, "sslmode=disable"))
        .await
        .unwrap();
    let ssl: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        ssl, "on",
        "the test server must have SSL on (.ci/run turns it on)"
    );
    let pem: String = sqlx::query_scalar("SELECT pg_read_file(current_setting('ssl_cert_file'))")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    pem_file(&pem)
}

fn pem_file(pem: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(pem.as_bytes()).unwrap();
    file
}

/// Whether the session `url` opens is encrypted, as the server reports it.
async fn encrypted(url: &str) -> bool {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn sslmode_require_connects_encrypted() {
    let url = test_url(None, "sslmode=require");
    let store = linkpulse::store::connect(&url)
        .await
        .expect("connects with TLS");
    store.ping().await.unwrap();
    assert!(encrypted(&url).await);
    assert!(!encrypted(&test_url(None, "sslmode=disable")).await);
}

/// Whether the sessions linkpulse's store opened on database `name` are encrypted (`None`: none).
async fn store_sessions_encrypted(name: &str) -> Option<bool> {
    let mut admin = sqlx::PgConnection::connect(&test_url(None, "sslmode=disable"))
        .await
        .unwrap();
    sqlx::query_scalar(
        "SELECT bool_or(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.datname = $1",
    )
    .bind(name)
    .fetch_one(&mut admin)
    .await
    .unwrap()
}

/// A server on this machine named without an `sslmode` is reached without TLS (it protects
/// nothing on loopback and costs sqlx 0.9.0 ~40 ms stalls); a chosen `sslmode` is obeyed.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn loopback_without_sslmode_is_plain_and_a_chosen_sslmode_is_obeyed() {
    let (url, database) = common::fresh_database(common::Backend::Postgres).await;
    let common::TestDatabase::Postgres { name, .. } = &database else {
        unreachable!("a Postgres database");
    };
    assert!(
        url.contains("127.0.0.1") && !url.contains("sslmode"),
        "{url}"
    );
    let plain = linkpulse::store::connect(&url).await.unwrap();
    plain.ping().await.unwrap();
    assert_eq!(store_sessions_encrypted(name).await, Some(false));
    drop(plain);
    let mut chosen = url::Url::parse(&url).unwrap();
    chosen.set_query(Some("sslmode=require"));
    let encrypted = linkpulse::store::connect(chosen.as_str()).await.unwrap();
    encrypted.ping().await.unwrap();
    assert_eq!(store_sessions_encrypted(name).await, Some(true));
}

/// Runs `linkpulse migrate` on `url` trusting only `sslrootcert` (the system's roots, which on
/// Debian include the server's own snakeoil certificate, are hidden from it); its exit and stderr.
async fn migrate_trusting_only_the_url(url: &str) -> (bool, String) {
    let no_roots = tempfile::tempdir().unwrap();
    let empty_bundle = no_roots.path().join("none.pem");
    std::fs::write(&empty_bundle, "").unwrap();
    let mut command = common::binary::command();
    command
        .args(["--database-url", url, "migrate"])
        .env("SSL_CERT_FILE", &empty_bundle)
        .env("SSL_CERT_DIR", no_roots.path());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "Postgres suite skipped: TEST_DATABASE_URL is not set"
)]
async fn verify_full_accepts_the_servers_certificate_and_refuses_a_wrong_root() {
    let certificate = server_certificate().await;
    let (database_url, _database) = common::fresh_database(common::Backend::Postgres).await;
    let with_root = |root: &std::path::Path| {
        let mut url = url::Url::parse(&database_url).unwrap();
        url.set_host(Some("localhost")).unwrap();
        url.set_query(Some(&format!(
            "sslmode=verify-full&sslrootcert={}",
            root.display()
        )));
        url.to_string()
    };
    let (ok, stderr) = migrate_trusting_only_the_url(&with_root(certificate.path())).await;
    assert!(
        ok,
        "verify-full with the server's certificate as root connects: {stderr}"
    );

    let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let wrong = pem_file(&stranger.cert.pem());
    let (ok, stderr) = migrate_trusting_only_the_url(&with_root(wrong.path())).await;
    assert!(!ok, "a certificate from another root was accepted");
    for part in [
        "error: cannot connect to Postgres at localhost:",
        "TLS failed",
        "sslrootcert",
    ] {
        assert!(stderr.contains(part), "{stderr:?} lacks {part:?}");
    }
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}
