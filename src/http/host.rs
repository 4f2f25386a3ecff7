//! Which of the domains served here a request is for: its `Host` (or, from a trusted proxy, its
//! `X-Forwarded-Host`), looked up in memory, so routing costs no database call.

use std::net::IpAddr;

use axum::http::HeaderMap;
use url::Url;

use super::AppState;
use crate::config::UnknownHosts;
use crate::links::{Domain, DomainName};

/// The domain the request names; `None` when it names a host not served here and
/// `--unknown-hosts not-found` says such requests get the 404 page.
pub fn request_domain(state: &AppState, peer: IpAddr, headers: &HeaderMap) -> Option<Domain> {
    let host = state.client_ip.host(peer, headers);
    let served = host.and_then(|host| {
        if is_base_authority(host, &state.settings.base_url) {
            return Some(Domain::Default);
        }
        let name = DomainName::parse(host).ok()?;
        state.domains.serves(&name).then_some(Domain::Named(name))
    });
    match (served, state.settings.unknown_hosts) {
        (Some(domain), _) => Some(domain),
        (None, UnknownHosts::Default) => Some(Domain::Default),
        (None, UnknownHosts::NotFound) => None,
    }
}

/// Whether `host` (`host[:port]`, any letter case) is the base URL's, without allocating: the
/// redirect path asks on every request.
fn is_base_authority(host: &str, base: &Url) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !host.ends_with(']') => (name, port.parse::<u16>().ok()),
        _ => (host, None),
    };
    let base_port = base.port_or_known_default();
    let port = port.or_else(|| base.port().is_none().then_some(base_port).flatten());
    base.host_str()
        .is_some_and(|base_host| base_host.eq_ignore_ascii_case(name.trim_end_matches('.')))
        && port == base_port
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_authority_matches_with_or_without_its_default_port() {
        let base = Url::parse("https://S.example/").unwrap();
        assert!(is_base_authority("s.example", &base));
        assert!(is_base_authority("S.EXAMPLE:443", &base));
        assert!(!is_base_authority("s.example:8443", &base));
        assert!(!is_base_authority("go.example", &base));
        let ported = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert!(is_base_authority("127.0.0.1:8080", &ported));
        assert!(!is_base_authority("127.0.0.1", &ported));
        assert!(!is_base_authority("127.0.0.1:9090", &ported));
    }
}
