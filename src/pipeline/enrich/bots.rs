//! Bot detection for visits, so analytics can exclude crawlers, link expanders and scripts.
//!
//! Two independent sources are combined: the `isbot` pattern list (broad, includes HTTP
//! libraries, headless browsers, AI crawlers and chat link expanders) and woothee's crawler
//! category. A request without a user agent is counted as a bot: every browser sends one.

use std::sync::LazyLock;

use isbot::Bots;

use super::user_agent::{UserAgentInfo, parse_user_agent};
use crate::clicks::DeviceKind;

/// The compiled `isbot` pattern set; compiling its regex is expensive, so do it once.
static BOTS: LazyLock<Bots> = LazyLock::new(Bots::default);

/// Whether a visit with this user agent should be flagged as a potential bot.
pub fn is_bot(user_agent: Option<&str>) -> bool {
    is_bot_parsed(user_agent, &parse_user_agent(user_agent))
}

/// Same as [`is_bot`] when the caller already parsed the user agent (saves a second parse).
pub(super) fn is_bot_parsed(user_agent: Option<&str>, parsed: &UserAgentInfo) -> bool {
    match user_agent.map(str::trim) {
        None | Some("" | "-") => true,
        Some(ua) => parsed.device == DeviceKind::Bot || BOTS.is_bot(ua),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::enrich::user_agent::tests::BROWSERS;

    #[test]
    fn known_bots_and_tools_are_flagged() {
        let bots = [
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
            "curl/8.5.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "python-requests/2.32.3",
        ];
        for ua in bots {
            assert!(is_bot(Some(ua)), "{ua} should be a bot");
        }
    }

    #[test]
    fn missing_or_empty_user_agent_counts_as_bot() {
        assert!(is_bot(None));
        assert!(is_bot(Some("")));
        assert!(is_bot(Some("  ")));
        assert!(is_bot(Some("-")));
    }

    #[test]
    fn current_browsers_are_not_bots() {
        assert!(!BROWSERS.is_empty());
        for &(ua, ..) in BROWSERS {
            assert!(!is_bot(Some(ua)), "{ua} should not be a bot");
        }
    }

    #[test]
    fn woothee_crawler_category_alone_is_enough() {
        let crawler = UserAgentInfo {
            device: DeviceKind::Bot,
            ..UserAgentInfo::default()
        };
        let browser_ua = BROWSERS[0].0;
        assert!(!is_bot_parsed(
            Some(browser_ua),
            &parse_user_agent(Some(browser_ua))
        ));
        assert!(is_bot_parsed(Some(browser_ua), &crawler));
    }
}
