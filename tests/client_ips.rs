//! The address a click is stored under, end to end on both backends: redirects arrive through a
//! trusted proxy with `X-Forwarded-For` / `Forwarded` chains, the server's own worker stores
//! them, and `clicks.ip` (which no API shows) is read back: the right-most untrusted hop is the
//! client, and the default anonymization keeps IPv4 /24 and IPv6 /48 networks only.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Backend, TestApp, spawn_app_with};
use serde_json::json;

/// The proxies of every test: the test client itself and a private network behind it.
const TRUSTED: &str = "127.0.0.1,10.0.0.0/8";

/// A server with one worker of its own (so `--anonymize-ip` is the server's flag at work),
/// trusting [`TRUSTED`], with a link `/ip`. `anonymize: None` leaves the flag at its default.
async fn ip_app(backend: Backend, anonymize: Option<&str>) -> TestApp {
    let mut flags = vec!["--workers", "1", "--trusted-proxies", TRUSTED];
    if let Some(anonymize) = anonymize {
        flags.extend(["--anonymize-ip", anonymize]);
    }
    let app = spawn_app_with(backend, &flags).await;
    app.create_link(json!({"longUrl": "https://example.com/ip", "customSlug": "ip"}))
        .await;
    app
}

/// Follows `/ip?case=CASE` with `headers`; asserts the redirect.
async fn visit(app: &TestApp, case: &str, headers: &[(&str, &str)]) {
    let mut request = app.client.get(format!("{}/ip?case={case}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 302, "case {case}");
}

/// Each case's stored `clicks.ip`, once the worker stored `n` clicks.
async fn stored_ips(app: &TestApp, n: usize) -> BTreeMap<String, Option<String>> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let sql = "SELECT visited_url, ip FROM clicks";
        let rows: Vec<(String, Option<String>)> =
            common::sql_rows::fetch(&app.database_url, sql).await;
        assert!(rows.len() <= n, "more clicks than requests: {rows:?}");
        if rows.len() == n {
            return rows
                .into_iter()
                .map(|(url, ip)| {
                    let case = url.rsplit("case=").next().expect("case").to_owned();
                    (case, ip)
                })
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} clicks stored",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asserts each `(case, address)` of `expected` is what `stored` holds, and nothing else is.
fn assert_stored(stored: &BTreeMap<String, Option<String>>, expected: &[(&str, &str)]) {
    let expected: BTreeMap<String, Option<String>> = expected
        .iter()
        .map(|(case, ip)| ((*case).to_owned(), Some((*ip).to_owned())))
        .collect();
    assert_eq!(stored, &expected);
}

async fn stored_addresses_are_anonymized_by_default(backend: Backend) {
    let app = ip_app(backend, None).await;
    let cases = [
        ("v6", "2001:db8:abcd:1234::1", "2001:db8:abcd::"),
        (
            "v6-all-host-bits",
            "2001:db8:abcd:ffff:ffff:ffff:ffff:ffff",
            "2001:db8:abcd::",
        ),
        ("v4", "81.2.69.142", "81.2.69.0"),
        ("v4-mapped", "::ffff:81.2.69.142", "81.2.69.0"),
    ];
    for (case, client, _) in cases {
        visit(&app, case, &[("X-Forwarded-For", client)]).await;
    }
    let expected: Vec<(&str, &str)> = cases.iter().map(|(case, _, ip)| (*case, *ip)).collect();
    assert_stored(&stored_ips(&app, cases.len()).await, &expected);
}

async fn x_forwarded_for_is_walked_from_the_right_past_trusted_hops_only(backend: Backend) {
    let app = ip_app(backend, Some("false")).await;
    let cases = [
        // The proxy in 10/8 appended the address it saw; to its left is that client's claim.
        (
            "chain",
            "203.0.113.5, 198.51.100.9, 10.1.2.3",
            "198.51.100.9",
        ),
        // An untrusted hop ends the walk: what it forwarded, trusted-looking or not, is a claim.
        (
            "claim-past-untrusted",
            "10.0.0.1, 203.0.113.5, 10.1.2.3",
            "203.0.113.5",
        ),
        ("all-trusted", "10.0.0.7, 10.1.2.3", "10.0.0.7"),
        (
            "v6-kept-whole",
            "2001:db8:abcd:1234::1",
            "2001:db8:abcd:1234::1",
        ),
    ];
    for (case, header, _) in cases {
        visit(&app, case, &[("X-Forwarded-For", header)]).await;
    }
    visit(&app, "no-header", &[]).await;
    let mut expected: Vec<(&str, &str)> = cases.iter().map(|(case, _, ip)| (*case, *ip)).collect();
    expected.push(("no-header", "127.0.0.1"));
    assert_stored(&stored_ips(&app, expected.len()).await, &expected);
}

async fn forwarded_header_is_the_fallback_for_x_forwarded_for(backend: Backend) {
    let app = ip_app(backend, Some("false")).await;
    let chain = "for=203.0.113.5, for=198.51.100.9;proto=https, for=10.1.2.3";
    visit(&app, "chain", &[("Forwarded", chain)]).await;
    let quoted_v6 = r#"for="[2001:db8::9]:443", for=10.1.2.3"#;
    visit(&app, "quoted-v6", &[("Forwarded", quoted_v6)]).await;
    let both = [
        ("X-Forwarded-For", "203.0.113.5"),
        ("Forwarded", "for=198.51.100.9"),
    ];
    visit(&app, "both", &both).await;
    let expected = [
        ("chain", "198.51.100.9"),
        ("quoted-v6", "2001:db8::9"),
        ("both", "203.0.113.5"),
    ];
    assert_stored(&stored_ips(&app, expected.len()).await, &expected);
}

backend_tests!(
    stored_addresses_are_anonymized_by_default,
    x_forwarded_for_is_walked_from_the_right_past_trusted_hops_only,
    forwarded_header_is_the_fallback_for_x_forwarded_for,
);
