//! `--anonymize-ip`: the stored `clicks.ip` keeps or zeroes the host part of the client address
//! the trusted proxy forwarded.

use super::{Fixture, PIPELINE_DEADLINE, fixture, redirect, wait_for};
use crate::backend_tests;
use crate::common::Backend;
use crate::common::binary::Server;

/// The client behind the proxy; the default anonymization stores `203.0.113.0`.
const CLIENT: &str = "203.0.113.77";

/// The `ip` a worker stored for one redirect that a trusted proxy forwarded for [`CLIENT`],
/// under the extra `flags`.
async fn stored_ip(fixture: &Fixture, flags: &[&str]) -> Option<String> {
    let mut args = vec!["--workers", "1", "--trusted-proxies", "127.0.0.1"];
    args.extend_from_slice(flags);
    let server = Server::start(&fixture.url, &args).await;
    let (status, _) = redirect(&server, &[("X-Forwarded-For", CLIENT)]).await;
    assert_eq!(status, 302);
    wait_for("the click stored", PIPELINE_DEADLINE, async || {
        fixture.clicks().await == 1
    })
    .await;
    fixture.sql.text("SELECT ip FROM clicks").await
}

async fn anonymize_ip_false_stores_the_full_client_ip(backend: Backend) {
    let fixture = fixture(backend).await;
    let ip = stored_ip(&fixture, &["--anonymize-ip", "false"]).await;
    assert_eq!(ip.as_deref(), Some(CLIENT));
}

async fn client_ips_are_anonymized_by_default(backend: Backend) {
    let fixture = fixture(backend).await;
    let ip = stored_ip(&fixture, &[]).await;
    assert_eq!(ip.as_deref(), Some("203.0.113.0"));
}

backend_tests!(
    anonymize_ip_false_stores_the_full_client_ip,
    client_ips_are_anonymized_by_default,
);
