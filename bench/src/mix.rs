//! A realistic stream of click events for the outbox: many links, about 30 distinct user agents
//! (bots and tools among them), client IPs spread over the public address space (so most hit a
//! real geo-IP database), and a mix of referrers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};
use linkpulse::clicks::OutboxEntry;
use linkpulse::pipeline::event::ClickEvent;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use uuid::Uuid;

use crate::db::BenchLink;
use linkpulse::clicks::VisitKind;

/// Browsers, apps, bots and tools, weighted equally; 9 of the 30 are automated.
pub const USER_AGENTS: [&str; 30] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SM-T870) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 356.0.0.24.80",
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/489.0.0.57.108;]",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
];

/// Referrers; `None` (direct) is drawn about a third of the time.
const REFERRERS: [Option<&str>; 9] = [
    None,
    None,
    None,
    Some("https://www.google.com/"),
    Some("https://t.co/a1b2c3"),
    Some("https://www.facebook.com/"),
    Some("https://news.ycombinator.com/item?id=42"),
    Some("https://www.reddit.com/r/rust/"),
    Some("https://mail.example.org/inbox"),
];

/// Draws click events; seeded, so every engine and run sees the same stream.
pub struct EventMix {
    links: Vec<BenchLink>,
    rng: SmallRng,
}

impl EventMix {
    /// A stream over `links` (must not be empty).
    pub fn new(links: Vec<BenchLink>, seed: u64) -> Self {
        Self {
            links,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// One valid visit to a random link at `occurred_at`.
    pub fn event(&mut self, occurred_at: DateTime<Utc>) -> ClickEvent {
        let client_ip = self.ip();
        let link = &self.links[self.rng.random_range(0..self.links.len())];
        let user_agent = USER_AGENTS[self.rng.random_range(0..USER_AGENTS.len())];
        let referrer = REFERRERS[self.rng.random_range(0..REFERRERS.len())];
        ClickEvent {
            message_id: Uuid::now_v7(),
            kind: VisitKind::ValidShortUrl,
            link_id: Some(link.id),
            occurred_at,
            client_ip: Some(client_ip),
            user_agent: Some(user_agent.to_owned()),
            referrer: referrer.map(str::to_owned),
            visited_url: format!("http://127.0.0.1/{}", link.code),
            redirect_url: Some(link.long_url.clone()),
            destination: None,
            traceparent: None,
        }
    }

    /// The same event as an outbox entry enqueued now.
    pub fn entry(&mut self, occurred_at: DateTime<Utc>) -> OutboxEntry {
        let event = self.event(occurred_at);
        event.to_outbox_entry(Utc::now())
    }

    /// A public unicast address: 90 % IPv4 outside private and reserved blocks, 10 % IPv6 in 2000::/4.
    fn ip(&mut self) -> IpAddr {
        if self.rng.random_range(0..10) == 0 {
            let bits: u128 = self.rng.random();
            let global = (bits & !(0xf_u128 << 124)) | (0x2_u128 << 124);
            return IpAddr::V6(Ipv6Addr::from(global));
        }
        loop {
            let ip = Ipv4Addr::from(self.rng.random::<u32>());
            let [a, b, ..] = ip.octets();
            let reserved = a == 0
                || a == 10
                || a == 127
                || a >= 224
                || (a == 100 && (64..128).contains(&b))
                || (a == 169 && b == 254)
                || (a == 172 && (16..32).contains(&b))
                || (a == 192 && b == 168);
            if !reserved {
                return IpAddr::V4(ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Vec<BenchLink> {
        (0..5)
            .map(|i| BenchLink {
                id: i,
                code: format!("bench{i}"),
                long_url: format!("https://example.com/{i}"),
            })
            .collect()
    }

    #[test]
    fn events_spread_over_links_agents_and_public_ips() {
        let mut mix = EventMix::new(links(), 7);
        let now = Utc::now();
        let events: Vec<ClickEvent> = (0..2000).map(|_| mix.event(now)).collect();
        let agents: std::collections::HashSet<_> =
            events.iter().filter_map(|e| e.user_agent.clone()).collect();
        assert!(agents.len() >= 28, "only {} agents", agents.len());
        let link_ids: std::collections::HashSet<_> =
            events.iter().filter_map(|e| e.link_id).collect();
        assert_eq!(link_ids.len(), 5);
        for event in &events {
            match event.client_ip {
                Some(IpAddr::V4(ip)) => assert!(!ip.is_private() && !ip.is_loopback(), "{ip}"),
                Some(IpAddr::V6(ip)) => assert_eq!(ip.segments()[0] >> 12, 2, "{ip}"),
                None => panic!("every event has an IP"),
            }
        }
    }
}
