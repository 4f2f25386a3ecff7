//! The SSRF guard: a webhook may not reach this machine or its private networks (loopback,
//! private, link-local, unique-local, CGNAT, unspecified, multicast, documentation ranges)
//! unless the operator allows it. It is applied to every address a target's host resolves to,
//! inside the HTTP client's own resolver, so a name that resolves elsewhere later (DNS
//! rebinding) is judged again on every connection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0} is a private, loopback or link-local address; webhooks may not reach it unless \
     --webhooks-allow-private is given"
)]
pub struct PrivateTarget(pub IpAddr);

/// Whether `ip` is one a webhook may reach without the operator's leave.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let benchmarking = a == 198 && (b == 18 || b == 19);
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || shared
        || benchmarking
        || a == 0
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00;
    let link_local = first & 0xffc0 == 0xfe80;
    let documentation = first == 0x2001 && ip.segments()[1] == 0x0db8;
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || unique_local
        || link_local
        || documentation)
}

/// Refuses `url` when its host is an address literal that is not public (names are judged by
/// [`GuardedResolver`] when connecting).
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), PrivateTarget> {
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(PrivateTarget(ip))
    }
}

/// Refuses `url` at registration when its host is, or resolves only to, addresses that are not
/// public; a name that does not resolve yet is accepted (deliveries judge it again).
pub async fn check_target(url: &Url, allow_private: bool) -> Result<(), PrivateTarget> {
    check_literal(url, allow_private)?;
    let Some(Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    if allow_private {
        return Ok(());
    }
    let Ok(found) = tokio::net::lookup_host((name, 0)).await else {
        return Ok(());
    };
    let found: Vec<SocketAddr> = found.collect();
    match found.iter().find(|a| !is_public(a.ip())) {
        Some(private) if found.iter().all(|a| !is_public(a.ip())) => {
            Err(PrivateTarget(private.ip()))
        }
        _ => Ok(()),
    }
}

/// Resolves names like the system does, then drops every address that is not public; a name
/// with none left fails to resolve, naming the address refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            match (public.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(public.into_iter()) as Addrs),
                (true, Some(refused)) => Err(Box::new(PrivateTarget(refused.ip())) as _),
                (true, None) => Err(format!("{} resolves to no address", name.as_str()).into()),
            }
        })
    }
}

/// The resolver to give the webhook client: guarded unless private targets are allowed.
pub fn resolver(allow_private: bool) -> Option<Arc<GuardedResolver>> {
    (!allow_private).then(|| Arc::new(GuardedResolver))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn private_and_local_ranges_are_refused() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "::",
            "::ffff:127.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(private)), "{private} was allowed");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip(public)), "{public} was refused");
        }
    }

    #[test]
    fn literal_targets_are_judged_and_the_flag_allows_them() {
        let local = Url::parse("http://127.0.0.1:9000/hook").unwrap();
        assert_eq!(
            check_literal(&local, false),
            Err(PrivateTarget(ip("127.0.0.1")))
        );
        assert!(check_literal(&local, true).is_ok());
        let named = Url::parse("https://hooks.example/").unwrap();
        assert!(
            check_literal(&named, false).is_ok(),
            "names are judged when resolved"
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_of_this_machine() {
        let name: Name = "localhost".parse().unwrap();
        let refused = GuardedResolver.resolve(name).await.err().expect("refused");
        assert!(
            refused.to_string().contains("--webhooks-allow-private"),
            "{refused}"
        );
    }
}
