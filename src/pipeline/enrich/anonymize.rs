//! IP anonymization for stored visits: keep enough of the address for coarse analytics
//! (network, rough location) while dropping the part that identifies a household or device.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Zeroes the host part of an address: the last octet of IPv4, the last 80 bits of IPv6.
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are treated as the IPv4 address they carry.
pub fn anonymize_ip(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let kept = v6.to_bits() & (u128::MAX << 80);
            IpAddr::V6(Ipv6Addr::from_bits(kept))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test IP")
    }

    #[test]
    fn ipv4_loses_its_last_octet() {
        assert_eq!(anonymize_ip(ip("81.2.69.142")), ip("81.2.69.0"));
        assert_eq!(anonymize_ip(ip("255.255.255.255")), ip("255.255.255.0"));
    }

    #[test]
    fn ipv6_keeps_only_the_first_48_bits() {
        assert_eq!(
            anonymize_ip(ip("2001:db8:abcd:1234:5678:9abc:def0:1234")),
            ip("2001:db8:abcd::")
        );
        assert_eq!(anonymize_ip(ip("::1")), ip("::"));
    }

    #[test]
    fn ipv4_mapped_addresses_are_anonymized_as_ipv4() {
        assert_eq!(anonymize_ip(ip("::ffff:81.2.69.142")), ip("81.2.69.0"));
    }

    proptest! {
        #[test]
        fn anonymizing_is_idempotent_and_keeps_the_network(bits in any::<u32>(), bits6 in any::<u128>()) {
            let v4 = IpAddr::V4(Ipv4Addr::from_bits(bits));
            let a4 = anonymize_ip(v4);
            prop_assert_eq!(anonymize_ip(a4), a4);
            prop_assert!(ipnet::IpNet::new(v4, 24).expect("prefix").contains(&a4));

            let v6 = IpAddr::V6(Ipv6Addr::from_bits(bits6)).to_canonical();
            let a6 = anonymize_ip(v6);
            prop_assert_eq!(anonymize_ip(a6), a6);
            if v6.is_ipv6() {
                prop_assert!(ipnet::IpNet::new(v6, 48).expect("prefix").contains(&a6));
            }
        }
    }
}
