//! Which IP address a click came from, when the service may sit behind reverse proxies.
//!
//! Forwarding headers are only believed when the TCP peer is a configured trusted proxy;
//! otherwise anyone could claim any address. The chain is walked from the right (the entry the
//! nearest proxy appended) and the first address that is not itself a trusted proxy is the client.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use axum::http::header::{FORWARDED, HOST};
use ipnet::IpNet;

/// The de-facto standard header most proxies append to.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The header proxies put the client's original `Host` in.
const X_FORWARDED_HOST: &str = "x-forwarded-host";

/// Resolves the client address of a request from its socket peer and forwarding headers.
#[derive(Debug, Clone, Default)]
pub struct ClientIpResolver {
    trusted: Vec<IpNet>,
}

impl ClientIpResolver {
    /// A resolver that believes forwarding headers only from peers inside `trusted`.
    pub fn new(trusted: Vec<IpNet>) -> Self {
        Self { trusted }
    }

    /// The client address: the peer itself, or (if the peer is a trusted proxy) the right-most
    /// untrusted address in `X-Forwarded-For`, falling back to RFC 7239 `Forwarded`.
    ///
    /// If every forwarded address is trusted, the left-most one is returned; an unparsable entry
    /// stops the walk and the last address that did parse wins.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.is_trusted(peer) {
            return peer;
        }
        let chain = if headers.contains_key(X_FORWARDED_FOR) {
            x_forwarded_for_chain(headers)
        } else {
            forwarded_chain(headers)
        };
        let mut current = peer;
        for entry in chain.into_iter().rev() {
            match entry {
                None => return current,
                Some(ip) if !self.is_trusted(ip) => return ip,
                Some(ip) => current = ip,
            }
        }
        current
    }

    /// The host the client asked for: the left-most `X-Forwarded-Host` (the one the first proxy
    /// saw) when the peer is a trusted proxy, else the request's own `Host`. A client that is no
    /// trusted proxy cannot choose another domain than its `Host` names.
    pub fn host<'h>(&self, peer: IpAddr, headers: &'h HeaderMap) -> Option<&'h str> {
        let forwarded = self
            .is_trusted(peer.to_canonical())
            .then(|| headers.get(X_FORWARDED_HOST))
            .flatten()
            .and_then(|value| value.to_str().ok())
            .and_then(|hosts| hosts.split(',').next())
            .map(str::trim)
            .filter(|host| !host.is_empty());
        forwarded.or_else(|| headers.get(HOST).and_then(|value| value.to_str().ok()))
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }
}

/// Why a trusted-proxy list could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid trusted proxy {0:?}: expected an IP address or a CIDR block such as 10.0.0.0/8")]
pub struct TrustedProxyError(pub String);

/// Parses one trusted proxy: a CIDR block, or a plain address (which becomes a /32 or /128).
pub fn parse_trusted_proxy(s: &str) -> Result<IpNet, TrustedProxyError> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| TrustedProxyError(s.to_owned()))
}

/// Parses a comma-separated trusted-proxy list (e.g. for a clap `value_parser`); blanks are skipped.
pub fn parse_trusted_proxies(s: &str) -> Result<Vec<IpNet>, TrustedProxyError> {
    s.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(parse_trusted_proxy)
        .collect()
}

/// All `X-Forwarded-For` entries, left to right across repeated headers; `None` marks garbage.
fn x_forwarded_for_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        match value.to_str() {
            Ok(text) => chain.extend(text.split(',').map(parse_node)),
            Err(_) => chain.push(None),
        }
    }
    chain
}

/// The `for=` address of every RFC 7239 `Forwarded` element, left to right; `None` marks an
/// element without a usable `for` (missing, `unknown`, an obfuscated identifier, garbage).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all(FORWARDED) {
        match value.to_str() {
            Ok(text) => chain.extend(split_unquoted(text, ',').into_iter().map(forwarded_for)),
            Err(_) => chain.push(None),
        }
    }
    chain
}

/// The address in one `Forwarded` element's `for` parameter.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    split_unquoted(element, ';').into_iter().find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(value))
            .flatten()
    })
}

/// Splits on `sep` outside double-quoted strings (RFC 7239 values may be quoted).
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Parses one node: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`, `"[2001:db8::1]:443"`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let s = raw.trim();
    let s = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .trim();
    let ip = s
        .parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|sa| sa.ip()))
        .or_else(|| s.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test IP")
    }

    fn resolver() -> ClientIpResolver {
        ClientIpResolver::new(
            parse_trusted_proxies("10.0.0.0/8, 127.0.0.1, ::1, fd00::/8").expect("list"),
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header value"));
        }
        map
    }

    #[test]
    fn only_a_trusted_proxy_names_another_host() {
        let h = headers(&[
            ("host", "s.example"),
            ("x-forwarded-host", "go.example, inner"),
        ]);
        assert_eq!(resolver().host(ip("10.1.2.3"), &h), Some("go.example"));
        assert_eq!(resolver().host(ip("203.0.113.9"), &h), Some("s.example"));
        let plain = headers(&[("host", "s.example")]);
        assert_eq!(resolver().host(ip("10.1.2.3"), &plain), Some("s.example"));
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_headers_say() {
        let h = headers(&[("x-forwarded-for", "1.1.1.1"), ("forwarded", "for=2.2.2.2")]);
        assert_eq!(resolver().resolve(ip("203.0.113.9"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn trusted_peer_without_headers_is_returned() {
        assert_eq!(
            resolver().resolve(ip("10.1.2.3"), &HeaderMap::new()),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn walks_x_forwarded_for_from_the_right_skipping_trusted_hops() {
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.2")]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("203.0.113.7"));
    }

    #[test]
    fn repeated_x_forwarded_for_headers_form_one_chain() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-for", "10.0.0.2, 127.0.0.1"),
        ]);
        assert_eq!(resolver().resolve(ip("127.0.0.1"), &h), ip("203.0.113.7"));
    }

    #[test]
    fn all_trusted_chain_yields_the_left_most() {
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.2")]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("10.9.9.9"));
    }

    #[test]
    fn unparsable_entry_stops_the_walk_at_the_last_good_address() {
        let h = headers(&[("x-forwarded-for", "203.0.113.7, garbage, 10.0.0.2")]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("10.0.0.2"));
        let h = headers(&[("x-forwarded-for", "203.0.113.7, nonsense")]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn x_forwarded_for_entries_may_carry_ports_and_brackets() {
        let h = headers(&[("x-forwarded-for", "[2001:db8::1]:443, 198.51.100.4:8080")]);
        assert_eq!(resolver().resolve(ip("::1"), &h), ip("198.51.100.4"));
        let h = headers(&[("x-forwarded-for", "[2001:db8::1]:443, 10.0.0.3")]);
        assert_eq!(resolver().resolve(ip("::1"), &h), ip("2001:db8::1"));
    }

    #[test]
    fn forwarded_header_is_used_when_x_forwarded_for_is_absent() {
        let h = headers(&[(
            "forwarded",
            r#"for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711", for=10.0.0.5"#,
        )]);
        assert_eq!(
            resolver().resolve(ip("10.0.0.1"), &h),
            ip("2001:db8:cafe::17")
        );
    }

    #[test]
    fn x_forwarded_for_wins_over_forwarded() {
        let h = headers(&[
            ("forwarded", "for=192.0.2.60"),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("198.51.100.1"));
    }

    #[test]
    fn forwarded_unknown_or_obfuscated_stops_the_walk() {
        let h = headers(&[("forwarded", "for=192.0.2.60, for=unknown, for=10.0.0.9")]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("10.0.0.9"));
        let h = headers(&[("forwarded", "for=192.0.2.60, for=_hidden")]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
        let h = headers(&[("forwarded", "proto=https")]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn quoted_values_may_contain_separators() {
        let h = headers(&[("forwarded", r#"for=192.0.2.1;by="a,b;c", for=10.0.0.2"#)]);
        assert_eq!(resolver().resolve(ip("10.0.0.1"), &h), ip("192.0.2.1"));
    }

    #[test]
    fn an_escaped_quote_does_not_end_a_quoted_value() {
        assert_eq!(
            split_unquoted(r#"by="a\";b";for=1"#, ';'),
            [r#"by="a\";b""#, "for=1"]
        );
    }

    #[test]
    fn a_backslash_outside_quotes_escapes_nothing() {
        assert_eq!(split_unquoted(r"a\;b", ';'), [r"a\", "b"]);
    }

    #[test]
    fn ipv4_mapped_peers_are_matched_as_ipv4() {
        let h = headers(&[("x-forwarded-for", "198.51.100.1")]);
        assert_eq!(
            resolver().resolve(ip("::ffff:10.0.0.1"), &h),
            ip("198.51.100.1")
        );
        assert_eq!(resolver().resolve(ip("::ffff:8.8.8.8"), &h), ip("8.8.8.8"));
    }

    #[test]
    fn trusted_proxy_lists_parse_plain_ips_as_host_routes() {
        let nets =
            parse_trusted_proxies(" 10.0.0.0/8,192.168.1.1 , ::1,,2001:db8::/32").expect("valid");
        let shown: Vec<String> = nets.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["10.0.0.0/8", "192.168.1.1/32", "::1/128", "2001:db8::/32"]
        );
        assert_eq!(
            parse_trusted_proxies("").expect("empty"),
            Vec::<IpNet>::new()
        );
        assert_eq!(
            parse_trusted_proxies("10.0.0.0/8, nope"),
            Err(TrustedProxyError("nope".into()))
        );
        assert!(parse_trusted_proxy("10.0.0.0/33").is_err());
    }

    fn arb_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 16]>().prop_map(IpAddr::from),
        ]
    }

    proptest! {
        #[test]
        fn headers_from_an_untrusted_peer_never_change_the_result(
            peer in arb_ip(), xff in "[ -~]{0,60}", fwd in "[ -~]{0,60}",
        ) {
            let r = resolver();
            let peer = peer.to_canonical();
            prop_assume!(!r.is_trusted(peer));
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", HeaderValue::from_str(&xff).expect("printable"));
            h.insert("forwarded", HeaderValue::from_str(&fwd).expect("printable"));
            prop_assert_eq!(r.resolve(peer, &h), peer);
        }

        #[test]
        fn spoofed_entries_left_of_the_real_client_are_ignored(
            spoofed in proptest::collection::vec(arb_ip(), 0..5), client in arb_ip(),
        ) {
            let r = resolver();
            let client = client.to_canonical();
            prop_assume!(!r.is_trusted(client));
            let mut chain: Vec<String> = spoofed.iter().map(ToString::to_string).collect();
            chain.push(client.to_string());
            chain.push("10.0.0.2".into());
            let h = headers(&[("x-forwarded-for", &chain.join(", "))]);
            prop_assert_eq!(r.resolve(ip("10.0.0.1"), &h), client);
        }
    }
}
