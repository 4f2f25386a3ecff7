//! One condition of a redirect rule, as Shlink 5 defines them (plus `browser`): validated when
//! it is set, matched against a visit's facts without I/O.

use chrono::{DateTime, NaiveDate, Utc};
use ipnet::IpNet;

use super::RuleError;
use super::language::LanguageRange;
use super::visitor::{Browser, Device, Visitor};

/// A condition a visit must meet for its rule to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The visitor's device or platform (from the user agent).
    Device(Device),
    /// A language the visitor accepts (`Accept-Language`, quality above 0).
    Language(LanguageRange),
    /// The query parameter `key` has exactly `value`.
    QueryParam {
        /// Parameter name.
        key: String,
        /// Expected value.
        value: String,
    },
    /// The query parameter is present with any value.
    AnyValueQueryParam(String),
    /// The query parameter is present without a value (`?key` or `?key=`).
    ValuelessQueryParam(String),
    /// The client address is in this network (a single address is a /32 or /128).
    IpAddress(IpNet),
    /// The client's country (ISO 3166-1 alpha-2, compared in any case).
    CountryCode(String),
    /// The client's city name (compared in any case).
    CityName(String),
    /// The visit happens strictly before this instant.
    BeforeDate(DateTime<Utc>),
    /// The visit happens strictly after this instant.
    AfterDate(DateTime<Utc>),
    /// The visitor's browser family.
    Browser(Browser),
}

impl Condition {
    /// Validates Shlink's `{type, matchKey, matchValue}`.
    pub fn parse(kind: &str, key: Option<&str>, value: Option<&str>) -> Result<Self, RuleError> {
        let value = value.map(str::trim).filter(|v| !v.is_empty());
        let key = key.map(str::trim).filter(|k| !k.is_empty());
        let need_value = || value.ok_or_else(|| RuleError::MissingValue(kind.to_owned()));
        let need_key = || key.ok_or_else(|| RuleError::MissingKey(kind.to_owned()));
        Ok(match kind {
            "device" => Self::Device(Device::parse(need_value()?)?),
            "language" => Self::Language(LanguageRange::parse(need_value()?)?),
            "query-param" => Self::QueryParam {
                key: need_key()?.to_owned(),
                value: need_value()?.to_owned(),
            },
            "any-value-query-param" => Self::AnyValueQueryParam(need_key()?.to_owned()),
            "valueless-query-param" => Self::ValuelessQueryParam(need_key()?.to_owned()),
            "ip-address" => Self::IpAddress(parse_network(need_value()?)?),
            "geolocation-country-code" => {
                let code = need_value()?;
                if code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
                    return Err(RuleError::Invalid("a country code is two letters, e.g. DE"));
                }
                Self::CountryCode(code.to_ascii_uppercase())
            }
            "geolocation-city-name" => Self::CityName(need_value()?.to_owned()),
            "before-date" => Self::BeforeDate(parse_instant(need_value()?)?),
            "after-date" => Self::AfterDate(parse_instant(need_value()?)?),
            "browser" => Self::Browser(Browser::parse(need_value()?)?),
            _ => return Err(RuleError::UnknownType(kind.to_owned())),
        })
    }

    /// Shlink's `{type, matchKey, matchValue}` of this condition.
    pub fn to_parts(&self) -> (&'static str, Option<String>, Option<String>) {
        match self {
            Self::Device(device) => ("device", None, Some(device.as_str().to_owned())),
            Self::Language(range) => ("language", None, Some(range.to_string())),
            Self::QueryParam { key, value } => {
                ("query-param", Some(key.clone()), Some(value.clone()))
            }
            Self::AnyValueQueryParam(key) => ("any-value-query-param", Some(key.clone()), None),
            Self::ValuelessQueryParam(key) => ("valueless-query-param", Some(key.clone()), None),
            Self::IpAddress(net) => ("ip-address", None, Some(network_text(net))),
            Self::CountryCode(code) => ("geolocation-country-code", None, Some(code.clone())),
            Self::CityName(city) => ("geolocation-city-name", None, Some(city.clone())),
            Self::BeforeDate(at) => ("before-date", None, Some(at.to_rfc3339())),
            Self::AfterDate(at) => ("after-date", None, Some(at.to_rfc3339())),
            Self::Browser(browser) => ("browser", None, Some(browser.as_str().to_owned())),
        }
    }

    /// Whether `visitor` meets the condition.
    pub fn matches(&self, visitor: &Visitor<'_>) -> bool {
        match self {
            Self::Device(device) => device.matches(visitor.agent()),
            Self::Language(range) => visitor.languages().iter().any(|tag| range.matches(tag)),
            Self::QueryParam { key, value } => visitor
                .query()
                .iter()
                .any(|(k, v)| k == key && v.as_deref() == Some(value.as_str())),
            Self::AnyValueQueryParam(key) => visitor.query().iter().any(|(k, _)| k == key),
            Self::ValuelessQueryParam(key) => visitor
                .query()
                .iter()
                .any(|(k, v)| k == key && v.as_deref().is_none_or(str::is_empty)),
            Self::IpAddress(net) => visitor.ip.is_some_and(|ip| net.contains(&ip)),
            Self::CountryCode(code) => visitor
                .place()
                .and_then(|place| place.country_code.as_deref())
                .is_some_and(|country| country.eq_ignore_ascii_case(code)),
            Self::CityName(city) => visitor
                .place()
                .and_then(|place| place.city.as_deref())
                .is_some_and(|name| name.to_lowercase() == city.to_lowercase()),
            Self::BeforeDate(at) => visitor.now < *at,
            Self::AfterDate(at) => visitor.now > *at,
            Self::Browser(browser) => browser.matches(visitor.agent()),
        }
    }

    /// Whether matching needs a geo lookup of the client address.
    pub fn needs_place(&self) -> bool {
        matches!(self, Self::CountryCode(_) | Self::CityName(_))
    }
}

/// An address (`203.0.113.7`, `2001:db8::1`), a CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or
/// Shlink's wildcard form with trailing `*` octets (`192.168.*.*`).
fn parse_network(raw: &str) -> Result<IpNet, RuleError> {
    const HINT: &str = "an IP address, a CIDR block (10.0.0.0/8) or a wildcard (192.168.*.*)";
    if let Ok(net) = raw.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    if let Ok(ip) = raw.parse::<std::net::IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    let octets: Vec<&str> = raw.split('.').collect();
    let fixed = octets.iter().take_while(|o| **o != "*").count();
    if octets.len() == 4 && fixed > 0 && octets[fixed..].iter().all(|o| *o == "*") {
        let mut address = octets[..fixed].to_vec();
        address.resize(4, "0");
        let prefix = u8::try_from(fixed * 8).map_err(|_| RuleError::Invalid(HINT))?;
        return format!("{}/{prefix}", address.join("."))
            .parse::<IpNet>()
            .map_err(|_| RuleError::Invalid(HINT));
    }
    Err(RuleError::Invalid(HINT))
}

/// A single address shown bare, a block as CIDR.
fn network_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// RFC 3339 (`2026-12-24T18:00:00+01:00`) or a date (`2026-12-24`, midnight UTC).
fn parse_instant(raw: &str) -> Result<DateTime<Utc>, RuleError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|day| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        })
        .map_err(|_| RuleError::Invalid("a date is RFC 3339 (2026-12-24T18:00:00Z) or YYYY-MM-DD"))
}
