//! User-agent parsing for visit analytics: browser, version, OS and device class, via `woothee`.

use std::sync::LazyLock;

use woothee::parser::Parser;
use woothee::woothee::VALUE_UNKNOWN;

use crate::clicks::DeviceKind;

/// Woothee's name for HTTP client libraries.
const HTTP_LIBRARY: &str = "HTTP Library";

/// One shared parser (it holds no state, but building it per request is needless work).
static PARSER: LazyLock<Parser> = LazyLock::new(Parser::new);

/// What a user-agent string says about the visitor; unknown parts are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserAgentInfo {
    /// Browser or client name, e.g. "Chrome", "Firefox", "Safari", "Edge".
    pub browser: Option<String>,
    /// Browser version as sent, e.g. "131.0.0.0".
    pub browser_version: Option<String>,
    /// Operating system, e.g. "Windows 10", "macOS", "Linux", "Android", "iOS".
    pub os: Option<String>,
    /// Device class.
    pub device: DeviceKind,
}

/// Parses a user agent; a missing or unrecognised one gives all-`None` and `DeviceKind::Other`.
pub fn parse_user_agent(user_agent: Option<&str>) -> UserAgentInfo {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return UserAgentInfo::default();
    };
    let Some(parsed) = PARSER.parse(ua) else {
        return UserAgentInfo::default();
    };
    let device = match parsed.category {
        "crawler" => DeviceKind::Bot,
        "pc" => DeviceKind::Desktop,
        "smartphone" | "mobilephone" if is_tablet(parsed.os, ua) => DeviceKind::Tablet,
        "smartphone" | "mobilephone" => DeviceKind::Mobile,
        _ => DeviceKind::Other,
    };
    // For HTTP libraries woothee's name is "HTTP Library" and the version field holds the
    // library ("curl", "wget"), which is the more useful browser name; there is no version.
    let (browser, browser_version) = if parsed.name == HTTP_LIBRARY {
        (known(parsed.version), None)
    } else {
        (known(parsed.name), known(parsed.version))
    };
    UserAgentInfo {
        browser,
        browser_version,
        os: known(parsed.os).map(|os| os_display_name(&os).unwrap_or(os)),
        device,
    }
}

/// iPads say so; Android tablets are Android user agents without the `Mobile` token.
fn is_tablet(os: &str, ua: &str) -> bool {
    os == "iPad" || (os == "Android" && !ua.contains("Mobile"))
}

/// Friendlier names for the woothee labels that are device names rather than OS names.
fn os_display_name(os: &str) -> Option<String> {
    match os {
        "Mac OSX" => Some("macOS".to_owned()),
        "iPhone" | "iPad" | "iPod" => Some("iOS".to_owned()),
        _ => None,
    }
}

/// Woothee's placeholder for "not detected" (and empty strings) become `None`.
fn known(value: &str) -> Option<String> {
    (!value.is_empty() && value != VALUE_UNKNOWN).then(|| value.to_owned())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `(user agent, browser, version, os, device)` for current mainstream browsers.
    pub(crate) const BROWSERS: &[(&str, &str, &str, &str, DeviceKind)] = &[
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome",
            "131.0.0.0",
            "Windows 10",
            DeviceKind::Desktop,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox",
            "133.0",
            "Windows 10",
            DeviceKind::Desktop,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge",
            "131.0.0.0",
            "Windows 10",
            DeviceKind::Desktop,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Safari",
            "18.1",
            "macOS",
            DeviceKind::Desktop,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome",
            "131.0.0.0",
            "macOS",
            DeviceKind::Desktop,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox",
            "133.0",
            "macOS",
            DeviceKind::Desktop,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome",
            "131.0.0.0",
            "Linux",
            DeviceKind::Desktop,
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox",
            "133.0",
            "Linux",
            DeviceKind::Desktop,
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36",
            "Chrome",
            "131.0.6778.104",
            "Android",
            DeviceKind::Mobile,
        ),
        (
            "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
            "Firefox",
            "133.0",
            "Android",
            DeviceKind::Mobile,
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
            "Edge",
            "131.0.0.0",
            "Android",
            DeviceKind::Mobile,
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome",
            "131.0.0.0",
            "Android",
            DeviceKind::Tablet,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari",
            "18.1",
            "iOS",
            DeviceKind::Mobile,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome",
            "131.0.6778.73",
            "iOS",
            DeviceKind::Mobile,
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari",
            "18.1",
            "iOS",
            DeviceKind::Tablet,
        ),
    ];

    #[test]
    fn mainstream_browsers_are_recognised() {
        for &(ua, browser, version, os, device) in BROWSERS {
            let info = parse_user_agent(Some(ua));
            assert_eq!(info.browser.as_deref(), Some(browser), "{ua}");
            assert_eq!(info.browser_version.as_deref(), Some(version), "{ua}");
            assert_eq!(info.os.as_deref(), Some(os), "{ua}");
            assert_eq!(info.device, device, "{ua}");
        }
    }

    #[test]
    fn crawlers_are_bot_devices() {
        let info = parse_user_agent(Some(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ));
        assert_eq!(info.device, DeviceKind::Bot);
        assert_eq!(info.browser.as_deref(), Some("Googlebot"));
        assert_eq!(info.os, None);
    }

    #[test]
    fn http_libraries_are_named_after_the_library() {
        for (ua, name) in [("curl/8.5.0", "curl"), ("Wget/1.21.4", "wget")] {
            let info = parse_user_agent(Some(ua));
            assert_eq!(info.browser.as_deref(), Some(name), "{ua}");
            assert_eq!(info.browser_version, None, "{ua}");
            assert_eq!(info.device, DeviceKind::Other, "{ua}");
        }
    }

    #[test]
    fn missing_or_blank_user_agents_are_unknown() {
        for ua in [None, Some(""), Some("   ")] {
            assert_eq!(parse_user_agent(ua), UserAgentInfo::default());
        }
        assert_eq!(parse_user_agent(Some("-")).device, DeviceKind::Other);
        assert_eq!(parse_user_agent(Some("-")).browser, None);
    }

    #[test]
    fn device_kinds_have_distinct_names() {
        let kinds = [
            DeviceKind::Desktop,
            DeviceKind::Mobile,
            DeviceKind::Tablet,
            DeviceKind::Bot,
            DeviceKind::Other,
        ];
        let names: std::collections::HashSet<&str> = kinds.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), kinds.len());
    }
}
