//! What redirect rules know about a visit: its headers, query, address and time, with the
//! parsed forms (user agent, languages, query pairs, location) worked out only when a condition
//! asks, and at most once per visit.

use std::cell::OnceCell;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::RuleError;
use super::language::{LanguageTag, accepted_languages};

/// Where a client address is, as far as the geo database knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: Option<String>,
    /// City name (English).
    pub city: Option<String>,
}

/// Looks a client address up in the loaded geo database (no I/O: the database is in memory).
pub type Locate<'a> = &'a dyn Fn(IpAddr) -> Option<Place>;

/// One visit as the rules see it.
pub struct Visitor<'a> {
    /// `User-Agent`.
    pub user_agent: Option<&'a str>,
    /// `Accept-Language`.
    pub accept_language: Option<&'a str>,
    /// The request's query string, without `?`.
    pub query_string: Option<&'a str>,
    /// The client address (after the trusted-proxy rules).
    pub ip: Option<IpAddr>,
    /// When the visit happens.
    pub now: DateTime<Utc>,
    locate: Locate<'a>,
    agent: OnceCell<Agent>,
    languages: OnceCell<Vec<LanguageTag>>,
    query: OnceCell<Vec<(String, Option<String>)>>,
    place: OnceCell<Option<Place>>,
}

impl<'a> Visitor<'a> {
    /// A visit with the request's facts; `locate` is asked only by geolocation conditions.
    pub fn new(
        user_agent: Option<&'a str>,
        accept_language: Option<&'a str>,
        query_string: Option<&'a str>,
        ip: Option<IpAddr>,
        now: DateTime<Utc>,
        locate: Locate<'a>,
    ) -> Self {
        Self {
            user_agent,
            accept_language,
            query_string,
            ip,
            now,
            locate,
            agent: OnceCell::new(),
            languages: OnceCell::new(),
            query: OnceCell::new(),
            place: OnceCell::new(),
        }
    }

    /// The user agent's platform and browser.
    pub fn agent(&self) -> &Agent {
        self.agent
            .get_or_init(|| Agent::parse(self.user_agent.unwrap_or_default()))
    }

    /// The languages the visitor accepts (quality above 0).
    pub fn languages(&self) -> &[LanguageTag] {
        self.languages
            .get_or_init(|| accepted_languages(self.accept_language.unwrap_or_default()))
    }

    /// The query's parameters, decoded; `None` for a parameter written without `=`.
    pub fn query(&self) -> &[(String, Option<String>)] {
        self.query
            .get_or_init(|| query_pairs(self.query_string.unwrap_or_default()))
    }

    /// Where the client address is, if it and the geo database say.
    pub fn place(&self) -> Option<&Place> {
        self.place
            .get_or_init(|| self.ip.and_then(|ip| (self.locate)(ip)))
            .as_ref()
    }
}

/// `a=1&b&c=` as `[("a", Some("1")), ("b", None), ("c", Some(""))]`, each part decoded.
fn query_pairs(query: &str) -> Vec<(String, Option<String>)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .filter_map(|part| {
            let has_value = part.contains('=');
            let (key, value) = url::form_urlencoded::parse(part.as_bytes()).next()?;
            Some((key.into_owned(), has_value.then(|| value.into_owned())))
        })
        .collect()
}

/// The platform and browser family of a user agent (woothee's reading of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// `pc`, `smartphone`, `mobilephone`, `crawler`, … or `UNKNOWN`.
    pub category: String,
    /// e.g. `Windows 10`, `Mac OSX`, `Android`, `iPhone`, `ChromeOS`.
    pub os: String,
    /// e.g. `Chrome`, `Firefox`, `Safari`.
    pub browser: String,
}

impl Agent {
    fn parse(user_agent: &str) -> Self {
        match woothee::parser::Parser::new().parse(user_agent) {
            Some(result) => Self {
                category: result.category.to_owned(),
                os: result.os.to_owned(),
                browser: result.name.to_owned(),
            },
            None => Self {
                category: String::new(),
                os: String::new(),
                browser: String::new(),
            },
        }
    }
}

/// Shlink's device and platform values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// Android phones and tablets.
    Android,
    /// iPhone, iPad, iPod.
    Ios,
    /// Any phone or tablet.
    Mobile,
    /// Windows on a computer.
    Windows,
    /// macOS.
    Macos,
    /// Linux on a computer (not Android).
    Linux,
    /// ChromeOS.
    Chromeos,
    /// Any computer.
    Desktop,
}

impl Device {
    /// Every value, in Shlink's order.
    pub const ALL: [Self; 8] = [
        Self::Android,
        Self::Ios,
        Self::Mobile,
        Self::Windows,
        Self::Macos,
        Self::Linux,
        Self::Chromeos,
        Self::Desktop,
    ];

    /// The value as Shlink writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Android => "android",
            Self::Ios => "ios",
            Self::Mobile => "mobile",
            Self::Windows => "windows",
            Self::Macos => "macos",
            Self::Linux => "linux",
            Self::Chromeos => "chromeos",
            Self::Desktop => "desktop",
        }
    }

    /// One of [`Device::ALL`] by name, in any case.
    pub fn parse(raw: &str) -> Result<Self, RuleError> {
        Self::ALL
            .into_iter()
            .find(|device| device.as_str().eq_ignore_ascii_case(raw))
            .ok_or(RuleError::Invalid(
                "a device is android, ios, mobile, windows, macos, linux, chromeos or desktop",
            ))
    }

    /// Whether `agent` is this device.
    pub fn matches(self, agent: &Agent) -> bool {
        let computer = agent.category == "pc";
        match self {
            Self::Android => agent.os == "Android",
            Self::Ios => matches!(agent.os.as_str(), "iPhone" | "iPad" | "iPod" | "iOS"),
            Self::Mobile => matches!(agent.category.as_str(), "smartphone" | "mobilephone"),
            Self::Windows => computer && agent.os.starts_with("Windows"),
            Self::Macos => computer && agent.os == "Mac OSX",
            Self::Linux => computer && agent.os == "Linux",
            Self::Chromeos => agent.os == "ChromeOS",
            Self::Desktop => computer,
        }
    }
}

/// Browser families a `browser` condition may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// Google Chrome and Chromium.
    Chrome,
    /// Mozilla Firefox.
    Firefox,
    /// Apple Safari.
    Safari,
    /// Microsoft Edge.
    Edge,
    /// Opera.
    Opera,
    /// Microsoft Internet Explorer.
    InternetExplorer,
    /// Vivaldi.
    Vivaldi,
}

impl Browser {
    /// Every family.
    pub const ALL: [Self; 7] = [
        Self::Chrome,
        Self::Firefox,
        Self::Safari,
        Self::Edge,
        Self::Opera,
        Self::InternetExplorer,
        Self::Vivaldi,
    ];

    /// The value as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chrome => "chrome",
            Self::Firefox => "firefox",
            Self::Safari => "safari",
            Self::Edge => "edge",
            Self::Opera => "opera",
            Self::InternetExplorer => "internet-explorer",
            Self::Vivaldi => "vivaldi",
        }
    }

    /// One of [`Browser::ALL`] by name, in any case.
    pub fn parse(raw: &str) -> Result<Self, RuleError> {
        Self::ALL
            .into_iter()
            .find(|browser| browser.as_str().eq_ignore_ascii_case(raw))
            .ok_or(RuleError::Invalid(
                "a browser is chrome, firefox, safari, edge, opera, internet-explorer or vivaldi",
            ))
    }

    /// Whether `agent` is of this family.
    pub fn matches(self, agent: &Agent) -> bool {
        let name = match self {
            Self::Chrome => "Chrome",
            Self::Firefox => "Firefox",
            Self::Safari => "Safari",
            Self::Edge => "Edge",
            Self::Opera => "Opera",
            Self::InternetExplorer => "Internet Explorer",
            Self::Vivaldi => "Vivaldi",
        };
        agent.browser == name
    }
}
