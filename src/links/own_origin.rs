//! `OwnOrigin`: where this shortener answers, so a link cannot point back at it (a redirect loop
//! that counts a click on every turn).

use std::net::{IpAddr, SocketAddr};

use url::{Host, Url};

/// Our public base URL and the address we listen on.
#[derive(Debug, Clone, Copy)]
pub struct OwnOrigin<'a> {
    base_url: &'a Url,
    listen: Option<SocketAddr>,
}

impl<'a> OwnOrigin<'a> {
    /// The origin of a server reached at `base_url` and listening on `listen`.
    pub fn new(base_url: &'a Url, listen: SocketAddr) -> Self {
        Self {
            base_url,
            listen: Some(listen),
        }
    }

    /// The origin known only by its base URL (tools and tests with no listener).
    pub fn of(base_url: &'a Url) -> Self {
        Self {
            base_url,
            listen: None,
        }
    }

    /// Whether `url` would reach us: the base URL's host and port, or our listening port on
    /// our listening address or on a loopback name or address (`localhost`, `127.0.0.0/8`,
    /// `[::1]`, IPv4-mapped IPv6 such as `[::ffff:127.0.0.1]`, `0.0.0.0`).
    pub fn is_ours(&self, url: &Url) -> bool {
        let Some(host) = url.host() else {
            return false;
        };
        let port = url.port_or_known_default();
        if let Some(base_host) = self.base_url.host()
            && port == self.base_url.port_or_known_default()
            && same_host(&host, &base_host)
        {
            return true;
        }
        let Some(listen) = self.listen else {
            return false;
        };
        if port != Some(listen.port()) {
            return false;
        }
        let listen_ip = canonical(listen.ip());
        let listens_locally = listen_ip.is_loopback() || listen_ip.is_unspecified();
        match ip_of(&host) {
            Some(ip) => ip == listen_ip || (listens_locally && is_local(ip)),
            None => listens_locally && is_loopback_name(&host),
        }
    }
}

/// Hosts equal by meaning: the same name (case-insensitively), the same address (IPv4-mapped
/// IPv6 being its IPv4 address), or both loopback.
fn same_host(a: &Host<&str>, b: &Host<&str>) -> bool {
    let local = |host: &Host<&str>| ip_of(host).map_or_else(|| is_loopback_name(host), is_local);
    match (ip_of(a), ip_of(b)) {
        (Some(x), Some(y)) if x == y => true,
        _ if local(a) && local(b) => true,
        (None, None) => name_of(a).eq_ignore_ascii_case(&name_of(b)),
        _ => false,
    }
}

fn ip_of(host: &Host<&str>) -> Option<IpAddr> {
    match host {
        Host::Ipv4(v4) => Some(IpAddr::V4(*v4)),
        Host::Ipv6(v6) => Some(canonical(IpAddr::V6(*v6))),
        Host::Domain(_) => None,
    }
}

fn name_of(host: &Host<&str>) -> String {
    host.to_string().trim_end_matches('.').to_owned()
}

/// An IPv4-mapped IPv6 address as the IPv4 address it stands for.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Addresses a connection to reaches this machine's loopback (Linux routes `0.0.0.0` there).
fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified()
}

/// `localhost` and names under it (RFC 6761), which resolve to loopback.
fn is_loopback_name(host: &Host<&str>) -> bool {
    let name = name_of(host).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> Url {
        Url::parse(raw).unwrap()
    }

    #[test]
    fn the_base_urls_host_and_port_are_ours_whatever_their_spelling() {
        let base = url("https://S.Example/");
        let own = OwnOrigin::of(&base);
        assert!(own.is_ours(&url("https://s.example/x")));
        assert!(own.is_ours(&url("https://s.example.:443/x")));
        assert!(
            !own.is_ours(&url("http://s.example/x")),
            "port 80 is not 443"
        );
        assert!(!own.is_ours(&url("https://other.example/x")));
    }

    #[test]
    fn loopback_names_and_addresses_on_our_port_are_ours() {
        let base = url("https://s.example/");
        let own = OwnOrigin::new(&base, "127.0.0.1:8080".parse().unwrap());
        for ours in [
            "http://localhost:8080/x",
            "http://LOCALHOST.:8080/x",
            "http://app.localhost:8080/x",
            "http://127.0.0.1:8080/x",
            "http://127.1.2.3:8080/x",
            "http://[::1]:8080/x",
            "http://[::ffff:127.0.0.1]:8080/x",
            "http://0.0.0.0:8080/x",
        ] {
            assert!(own.is_ours(&url(ours)), "{ours}");
        }
        for theirs in [
            "http://localhost:3000/x",
            "http://10.0.0.1:8080/x",
            "http://example.com:8080/x",
        ] {
            assert!(!own.is_ours(&url(theirs)), "{theirs}");
        }
    }

    #[test]
    fn a_server_listening_on_one_address_owns_that_address() {
        let base = url("https://s.example/");
        let own = OwnOrigin::new(&base, "10.1.2.3:80".parse().unwrap());
        assert!(own.is_ours(&url("http://10.1.2.3/x")));
        assert!(own.is_ours(&url("http://[::ffff:10.1.2.3]/x")));
        assert!(
            !own.is_ours(&url("http://localhost/x")),
            "not listening on loopback"
        );
    }

    #[test]
    fn a_loopback_base_url_matches_every_loopback_spelling() {
        let base = url("http://localhost:9000/");
        let own = OwnOrigin::of(&base);
        assert!(own.is_ours(&url("http://127.0.0.1:9000/x")));
        assert!(own.is_ours(&url("http://[::1]:9000/x")));
        assert!(!own.is_ours(&url("http://127.0.0.1:9001/x")));
    }
}
