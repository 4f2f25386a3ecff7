//! Visit enrichment: turns the raw facts of a click (IP, user agent) into what analytics stores —
//! location, browser/OS/device, a bot flag, and the IP in its stored (possibly anonymized) form.

pub mod anonymize;
pub mod bots;
mod country_names;
pub mod geo;
pub mod user_agent;

use std::net::IpAddr;
use std::sync::Arc;

pub use anonymize::anonymize_ip;
pub use bots::is_bot;
pub(crate) use country_names::country_name;
pub use geo::{GeoError, GeoIp};
pub use user_agent::{UserAgentInfo, parse_user_agent};

use crate::clicks::Location;

/// Enriches visits; cheap to clone and share between workers.
#[derive(Debug, Clone)]
pub struct Enricher {
    /// The (hot-reloadable) geolocation database.
    pub geo: Arc<GeoIp>,
    /// Store only the anonymized IP (last IPv4 octet / last 80 IPv6 bits zeroed).
    pub anonymize_ip: bool,
}

/// Everything enrichment adds to a visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrichment {
    /// Where the visitor is, looked up from the full IP before any anonymization.
    pub location: Option<Location>,
    /// Browser, OS and device parsed from the user agent.
    pub user_agent: UserAgentInfo,
    /// Whether the visit looks automated (Shlink's `potentialBot`).
    pub potential_bot: bool,
    /// The IP to persist: anonymized when configured, `None` when unknown.
    pub stored_ip: Option<IpAddr>,
}

impl Enricher {
    /// An enricher over `geo` that anonymizes stored IPs when `anonymize_ip` is set.
    pub fn new(geo: Arc<GeoIp>, anonymize_ip: bool) -> Self {
        Self { geo, anonymize_ip }
    }

    /// Enriches one visit; never fails (unknown parts are simply absent).
    pub fn enrich(&self, ip: Option<IpAddr>, user_agent: Option<&str>) -> Enrichment {
        let ip = ip.map(|ip| ip.to_canonical());
        let parsed = parse_user_agent(user_agent);
        Enrichment {
            location: ip.and_then(|ip| self.geo.lookup(ip)),
            potential_bot: bots::is_bot_parsed(user_agent, &parsed),
            user_agent: parsed,
            stored_ip: ip.map(|ip| {
                if self.anonymize_ip {
                    anonymize_ip(ip)
                } else {
                    ip
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmdb_writer::{Value, Writer};

    use crate::clicks::DeviceKind;

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    /// A one-network (198.51.100.64/26) DB-IP-style database in a temp dir (the dir must outlive the `GeoIp`).
    fn geo_with_berlin() -> (tempfile::TempDir, Arc<GeoIp>) {
        let mut writer = Writer::new("dbip-city-lite");
        let record = Value::map([("country_code", "DE"), ("city", "Berlin")]);
        let network = "198.51.100.64/26".parse::<ipnet::IpNet>().expect("network");
        writer.insert_value(network, record).expect("insert");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("geo.mmdb");
        std::fs::write(&path, writer.to_bytes().expect("serialize")).expect("write");
        (dir, Arc::new(GeoIp::open(Some(path))))
    }

    #[test]
    fn geo_uses_the_full_ip_while_storage_gets_the_anonymized_one() {
        let (_dir, geo) = geo_with_berlin();
        let enricher = Enricher::new(geo, true);
        // Only 198.51.100.64/26 is in the database, so the anonymized .0 would not be found.
        let out = enricher.enrich(Some("198.51.100.77".parse().expect("ip")), Some(FIREFOX));
        assert_eq!(out.stored_ip, Some("198.51.100.0".parse().expect("ip")));
        let location = out.location.expect("located");
        assert_eq!(location.city_name.as_deref(), Some("Berlin"));
        assert_eq!(location.country_name.as_deref(), Some("Germany"));
        assert_eq!(out.user_agent.browser.as_deref(), Some("Firefox"));
        assert_eq!(out.user_agent.device, DeviceKind::Desktop);
        assert!(!out.potential_bot);
    }

    #[test]
    fn full_ip_is_stored_when_anonymization_is_off() {
        let enricher = Enricher::new(Arc::new(GeoIp::open(None)), false);
        let ip: IpAddr = "2001:db8::42".parse().expect("ip");
        let out = enricher.enrich(Some(ip), Some(FIREFOX));
        assert_eq!(out.stored_ip, Some(ip));
        assert_eq!(out.location, None);
    }

    #[test]
    fn missing_ip_and_user_agent_give_an_empty_bot_visit() {
        let enricher = Enricher::new(Arc::new(GeoIp::open(None)), true);
        let out = enricher.enrich(None, None);
        assert_eq!(out.stored_ip, None);
        assert_eq!(out.location, None);
        assert_eq!(out.user_agent, UserAgentInfo::default());
        assert!(out.potential_bot);
    }
}
