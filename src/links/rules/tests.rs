use std::net::IpAddr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const WINDOWS_FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
const LINUX_CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const CHROMEBOOK: &str = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn parts(kind: &str, key: Option<&str>, value: Option<&str>) -> ConditionParts {
    ConditionParts {
        kind: kind.to_owned(),
        match_key: key.map(str::to_owned),
        match_value: value.map(str::to_owned),
    }
}

fn condition(kind: &str, key: Option<&str>, value: &str) -> Condition {
    Condition::parse(kind, key, Some(value)).unwrap()
}

fn berlin(ip: IpAddr) -> Option<Place> {
    ip.is_ipv4().then(|| Place {
        country_code: Some("DE".into()),
        city: Some("Berlin".into()),
    })
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 24, 18, 0, 0).unwrap()
}

/// A visit with `agent`, `language`, `query`, from `ip`, at [`now`], located by [`berlin`].
fn visit<'a>(agent: &'a str, language: &'a str, query: &'a str, ip: &str) -> Visitor<'a> {
    Visitor::new(
        Some(agent),
        Some(language),
        Some(query),
        ip.parse().ok(),
        now(),
        &berlin,
    )
}

#[test]
fn devices_follow_the_user_agent() {
    let cases = [
        (ANDROID, &["android", "mobile"][..]),
        (IPHONE, &["ios", "mobile"]),
        (WINDOWS_FIREFOX, &["windows", "desktop"]),
        (MAC_SAFARI, &["macos", "desktop"]),
        (LINUX_CHROME, &["linux", "desktop"]),
        (CHROMEBOOK, &["chromeos", "desktop"]),
    ];
    for (agent, expected) in cases {
        let visitor = visit(agent, "", "", "203.0.113.1");
        let matched: Vec<&str> = Device::ALL
            .into_iter()
            .filter(|device| device.matches(visitor.agent()))
            .map(Device::as_str)
            .collect();
        assert_eq!(matched, expected, "{agent}");
    }
}

#[test]
fn browsers_follow_the_user_agent() {
    let chrome = condition("browser", None, "Chrome");
    let firefox = condition("browser", None, "firefox");
    let safari = condition("browser", None, "safari");
    assert!(chrome.matches(&visit(LINUX_CHROME, "", "", "")));
    assert!(!chrome.matches(&visit(WINDOWS_FIREFOX, "", "", "")));
    assert!(firefox.matches(&visit(WINDOWS_FIREFOX, "", "", "")));
    assert!(safari.matches(&visit(MAC_SAFARI, "", "", "")));
    assert!(Condition::parse("browser", None, Some("netscape")).is_err());
}

#[test]
fn languages_honour_quality_and_regions() {
    let english = condition("language", None, "en");
    let us = condition("language", None, "en-US");
    assert!(english.matches(&visit("", "de-DE, en-GB;q=0.5", "", "")));
    assert!(
        !english.matches(&visit("", "de-DE, en-GB;q=0", "", "")),
        "q=0 refuses"
    );
    assert!(!us.matches(&visit("", "en-GB", "", "")));
    assert!(us.matches(&visit("", "fr;q=0.9, en-us;q=0.1", "", "")));
    assert!(!english.matches(&visit("", "", "", "")));
}

#[test]
fn the_three_query_conditions() {
    let exact = condition("query-param", Some("utm"), "mail");
    let any = Condition::parse("any-value-query-param", Some("ref"), None).unwrap();
    let bare = Condition::parse("valueless-query-param", Some("beta"), None).unwrap();
    assert!(exact.matches(&visit("", "", "a=1&utm=mail", "")));
    assert!(!exact.matches(&visit("", "", "utm=mailx", "")));
    assert!(exact.matches(&visit("", "", "utm=m%61il", "")), "decoded");
    assert!(any.matches(&visit("", "", "ref=x", "")) && any.matches(&visit("", "", "ref", "")));
    assert!(!any.matches(&visit("", "", "refs=x", "")));
    assert!(bare.matches(&visit("", "", "beta", "")) && bare.matches(&visit("", "", "beta=", "")));
    assert!(!bare.matches(&visit("", "", "beta=1", "")));
    assert_eq!(
        Condition::parse("query-param", None, Some("x")),
        Err(RuleError::MissingKey("query-param".into()))
    );
}

#[test]
fn addresses_exact_cidr_wildcard_and_ipv6() {
    let exact = condition("ip-address", None, "203.0.113.7");
    let block = condition("ip-address", None, "10.1.0.0/16");
    let wildcard = condition("ip-address", None, "192.168.*.*");
    let v6 = condition("ip-address", None, "2001:db8:aa::/48");
    assert!(exact.matches(&visit("", "", "", "203.0.113.7")));
    assert!(!exact.matches(&visit("", "", "", "203.0.113.8")));
    assert!(block.matches(&visit("", "", "", "10.1.255.1")));
    assert!(!block.matches(&visit("", "", "", "10.2.0.1")));
    assert!(wildcard.matches(&visit("", "", "", "192.168.4.20")));
    assert!(v6.matches(&visit("", "", "", "2001:db8:aa:1::5")));
    assert!(!v6.matches(&visit("", "", "", "2001:db8:ab::5")));
    assert!(!v6.matches(&visit("", "", "", "")), "no address, no match");
    assert_eq!(
        ConditionParts::from(&wildcard).match_value.as_deref(),
        Some("192.168.0.0/16")
    );
    assert_eq!(
        ConditionParts::from(&exact).match_value.as_deref(),
        Some("203.0.113.7")
    );
    assert!(Condition::parse("ip-address", None, Some("300.1.1.1")).is_err());
    assert!(Condition::parse("ip-address", None, Some("*.1.1.1")).is_err());
}

#[test]
fn geolocation_asks_the_locator_in_any_case() {
    let germany = condition("geolocation-country-code", None, "de");
    let city = condition("geolocation-city-name", None, "BERLIN");
    assert!(germany.matches(&visit("", "", "", "198.51.100.1")));
    assert!(city.matches(&visit("", "", "", "198.51.100.1")));
    assert!(
        !germany.matches(&visit("", "", "", "2001:db8::1")),
        "the locator knows no place"
    );
    assert!(germany.needs_place() && !condition("language", None, "en").needs_place());
    assert!(Condition::parse("geolocation-country-code", None, Some("DEU")).is_err());
}

#[test]
fn dates_are_strict_at_their_edges() {
    let at = now().to_rfc3339();
    let before = condition("before-date", None, &at);
    let after = condition("after-date", None, &at);
    let exactly = visit("", "", "", "");
    assert!(
        !before.matches(&exactly) && !after.matches(&exactly),
        "neither at the instant"
    );
    let mut earlier = visit("", "", "", "");
    earlier.now = now() - Duration::milliseconds(1);
    assert!(before.matches(&earlier) && !after.matches(&earlier));
    let day = condition("after-date", None, "2026-12-24");
    assert!(day.matches(&exactly), "a plain date is midnight UTC");
    assert!(Condition::parse("before-date", None, Some("24/12/2026")).is_err());
}

#[test]
fn the_first_matching_rule_wins_else_none() {
    let own_base = url::Url::parse("https://s.example.com").unwrap();
    let own = OwnOrigin::of(&own_base);
    let rules = RedirectRules::new(vec![
        RedirectRule::parse(
            "https://example.com/android-en",
            &[
                parts("device", None, Some("android")),
                parts("language", None, Some("en")),
            ],
            &own,
        )
        .unwrap(),
        RedirectRule::parse(
            "https://example.com/android",
            &[parts("device", None, Some("android"))],
            &own,
        )
        .unwrap(),
        RedirectRule::parse(
            "https://example.com/en",
            &[parts("language", None, Some("en"))],
            &own,
        )
        .unwrap(),
    ])
    .unwrap();
    let chosen = |agent, language| {
        rules
            .choose(&visit(agent, language, "", ""))
            .map(|url| url.as_str().to_owned())
    };
    assert_eq!(
        chosen(ANDROID, "en").as_deref(),
        Some("https://example.com/android-en")
    );
    assert_eq!(
        chosen(ANDROID, "de").as_deref(),
        Some("https://example.com/android")
    );
    assert_eq!(
        chosen(IPHONE, "en").as_deref(),
        Some("https://example.com/en")
    );
    assert_eq!(chosen(IPHONE, "de"), None);
    assert_eq!(
        RedirectRule::parse(
            "https://s.example.com/loop",
            &[parts("device", None, Some("ios"))],
            &own
        ),
        Err(RuleError::LongUrl(LinkError::LongUrl(
            "must not point back at this shortener"
        )))
    );
    assert_eq!(
        RedirectRule::parse("https://example.com/", &[], &own),
        Err(RuleError::NoConditions)
    );
    assert!(matches!(
        Condition::parse("weekday", None, Some("monday")),
        Err(RuleError::UnknownType(kind)) if kind == "weekday"
    ));
}

proptest! {
    /// Every condition survives the trip through its wire form (what the store and API keep).
    #[test]
    fn wire_form_round_trips(
        kind in 0usize..11,
        key in "[a-z]{1,8}",
        value in "[a-z]{2,8}",
        octets in proptest::array::uniform4(0u8..=255),
        prefix in 0u8..=32,
        seconds in 0i64..4_000_000_000,
    ) {
        let ip = format!("{}.{}.{}.{}/{prefix}", octets[0], octets[1], octets[2], octets[3]);
        let at = Utc.timestamp_opt(seconds, 0).unwrap().to_rfc3339();
        let (kind, key, value): (&str, Option<&str>, Option<String>) = match kind {
            0 => ("device", None, Some("windows".into())),
            1 => ("language", None, Some(format!("{value}-us"))),
            2 => ("query-param", Some(&key), Some(value.clone())),
            3 => ("any-value-query-param", Some(&key), None),
            4 => ("valueless-query-param", Some(&key), None),
            5 => ("ip-address", None, Some(ip)),
            6 => ("geolocation-country-code", None, Some(value[..2].to_owned())),
            7 => ("geolocation-city-name", None, Some(value.clone())),
            8 => ("before-date", None, Some(at)),
            9 => ("after-date", None, Some(at)),
            _ => ("browser", None, Some("edge".into())),
        };
        let condition = Condition::parse(kind, key, value.as_deref()).unwrap();
        let wire = ConditionParts::from(&condition);
        let again = Condition::parse(&wire.kind, wire.match_key.as_deref(), wire.match_value.as_deref()).unwrap();
        prop_assert_eq!(again, condition);
    }
}
