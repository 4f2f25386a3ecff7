//! A webhook endpoint as the operator registers it: where events go, which events, and the
//! secret its deliveries are signed with (Standard Webhooks 1.0).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rand::RngExt;
use url::Url;

use super::ConsumerKind;

/// How long the previous secret still signs after a rotation, so a receiver can switch over
/// without missing a delivery.
pub const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);

/// Why a webhook cannot be registered as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The URL is not an absolute `http` or `https` URL.
    #[error("the webhook URL must be an absolute http:// or https:// URL without credentials")]
    Url,
    /// An event name is unknown.
    #[error(
        "unknown event {0:?}: use new-visit, new-orphan-visit, new-short-url, short-url-edited \
         or short-url-deleted"
    )]
    Event(String),
    /// No event was named.
    #[error(
        "name at least one event: new-visit, new-orphan-visit, new-short-url, short-url-edited \
         or short-url-deleted"
    )]
    NoEvents,
    /// The name is empty, too long or not printable.
    #[error("the name must be 1 to 64 letters, digits, '-', '_' or '.'")]
    Name,
    /// The name is a broker's, whose consumer it is.
    #[error("{0} is the name of the {0} broker's consumer; choose another name")]
    Reserved(String),
    /// A stored secret is no `whsec_` secret.
    #[error("not a whsec_ secret")]
    Secret,
}

/// What happened that a consumer may want to hear about (Shlink's real-time topics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// A visit of a link (`https://shlink.io/new-visit`).
    NewVisit,
    /// A visit that hit no link (`https://shlink.io/new-orphan-visit`).
    NewOrphanVisit,
    /// A link was created (`https://shlink.io/new-short-url`).
    NewShortUrl,
    /// A link was edited (ours, in Shlink's topic scheme: `https://shlink.io/short-url-edited`).
    ShortUrlEdited,
    /// A link was deleted (ours: `https://shlink.io/short-url-deleted`).
    ShortUrlDeleted,
}

impl Event {
    /// Every event, in the order they are listed.
    pub const ALL: [Self; 5] = [
        Self::NewVisit,
        Self::NewOrphanVisit,
        Self::NewShortUrl,
        Self::ShortUrlEdited,
        Self::ShortUrlDeleted,
    ];

    /// The name used on the command line, in the API and in the `type` of a payload.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewVisit => "new-visit",
            Self::NewOrphanVisit => "new-orphan-visit",
            Self::NewShortUrl => "new-short-url",
            Self::ShortUrlEdited => "short-url-edited",
            Self::ShortUrlDeleted => "short-url-deleted",
        }
    }

    /// Whether it is about a link rather than a visit.
    pub fn is_about_a_link(self) -> bool {
        matches!(
            self,
            Self::NewShortUrl | Self::ShortUrlEdited | Self::ShortUrlDeleted
        )
    }

    /// Shlink's topic of the event.
    pub fn topic(self) -> &'static str {
        match self {
            Self::NewVisit => "https://shlink.io/new-visit",
            Self::NewOrphanVisit => "https://shlink.io/new-orphan-visit",
            Self::NewShortUrl => "https://shlink.io/new-short-url",
            Self::ShortUrlEdited => "https://shlink.io/short-url-edited",
            Self::ShortUrlDeleted => "https://shlink.io/short-url-deleted",
        }
    }
}

impl FromStr for Event {
    type Err = WebhookError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|event| event.as_str() == raw.trim())
            .ok_or_else(|| WebhookError::Event(raw.trim().to_owned()))
    }
}

/// A non-empty set of events, kept sorted and without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events(Vec<Event>);

impl Events {
    /// Parses names such as `new-visit,new-orphan-visit` (separated by commas).
    pub fn parse(raw: &str) -> Result<Self, WebhookError> {
        Self::of(raw.split(',').filter(|name| !name.trim().is_empty()))
    }

    /// The events `names` name.
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, WebhookError> {
        let mut events = names
            .into_iter()
            .map(str::parse)
            .collect::<Result<Vec<Event>, _>>()?;
        events.sort_unstable();
        events.dedup();
        if events.is_empty() {
            return Err(WebhookError::NoEvents);
        }
        Ok(Self(events))
    }

    /// Whether `event` is among them.
    pub fn contains(&self, event: Event) -> bool {
        self.0.contains(&event)
    }

    /// The events, in order.
    pub fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        self.0.iter().copied()
    }
}

impl fmt::Display for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Event::as_str).collect();
        f.write_str(&names.join(","))
    }
}

/// A signing secret as Standard Webhooks spells it: `whsec_` and the base64 of 24 random bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        let bytes: [u8; 24] = rand::rng().random();
        Self(format!("whsec_{}", STANDARD.encode(bytes)))
    }

    /// A stored secret, checked to be one.
    pub fn parse(raw: &str) -> Result<Self, WebhookError> {
        let encoded = raw.strip_prefix("whsec_").ok_or(WebhookError::Secret)?;
        STANDARD.decode(encoded).map_err(|_| WebhookError::Secret)?;
        Ok(Self(raw.to_owned()))
    }

    /// The secret as shown once to the operator and stored.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// A unique, printable name the operator knows a webhook (its queue) by.
pub fn check_name(raw: &str) -> Result<&str, WebhookError> {
    let name = raw.trim();
    let printable = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if name.is_empty() || name.len() > 64 || !printable {
        return Err(WebhookError::Name);
    }
    if ConsumerKind::BROKERS
        .iter()
        .any(|broker| broker.as_str().eq_ignore_ascii_case(name))
    {
        return Err(WebhookError::Reserved(name.to_owned()));
    }
    Ok(name)
}

/// Checks a target URL: absolute `http`/`https`, a host, no credentials. Whether the host may be
/// private is the SSRF guard's call, at registration and at every delivery.
pub fn check_url(raw: &str) -> Result<Url, WebhookError> {
    let url = Url::parse(raw.trim()).map_err(|_| WebhookError::Url)?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    ok.then_some(url).ok_or(WebhookError::Url)
}

/// A consumer: a registered endpoint, or a configured broker (whose secret is unused).
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Row id.
    pub id: i64,
    /// The operator's name for it (its consumer name in metrics and the DLQ).
    pub name: String,
    /// How deliveries are sent.
    pub kind: ConsumerKind,
    /// Where deliveries go: the endpoint, or the broker's address without its password.
    pub url: Url,
    /// What it receives.
    pub events: Events,
    /// The secret deliveries are signed with.
    pub secret: WebhookSecret,
    /// The secret before the last rotation, still signed with until `previous_until`.
    pub previous_secret: Option<(WebhookSecret, DateTime<Utc>)>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// Since when every delivery failed (`None` after a success).
    pub failing_since: Option<DateTime<Utc>>,
    /// Why and when it stopped receiving deliveries, if it did.
    pub disabled: Option<(DateTime<Utc>, String)>,
}

impl Webhook {
    /// The secrets a delivery at `now` is signed with: the current one, and the previous one
    /// during the overlap after a rotation.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&WebhookSecret> {
        let mut secrets = vec![&self.secret];
        if let Some((previous, until)) = &self.previous_secret
            && *until > now
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// What registering a webhook needs.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// Its unique name.
    pub name: String,
    /// Its target.
    pub url: Url,
    /// What it receives.
    pub events: Events,
    /// Its first secret.
    pub secret: WebhookSecret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_sorted_and_once() {
        let events = Events::parse("new-orphan-visit, new-visit,new-visit").unwrap();
        assert_eq!(events.to_string(), "new-visit,new-orphan-visit");
        assert!(events.contains(Event::NewVisit));
        let visits = Events::parse("new-visit").unwrap();
        assert!(!visits.contains(Event::NewOrphanVisit));
        let all = Events::parse("new-short-url,new-orphan-visit,new-visit").unwrap();
        assert_eq!(all.to_string(), "new-visit,new-orphan-visit,new-short-url");
        let links = Events::parse("short-url-deleted,short-url-edited").unwrap();
        assert_eq!(links.to_string(), "short-url-edited,short-url-deleted");
        assert!(links.iter().all(Event::is_about_a_link));
        assert!(!Event::NewVisit.is_about_a_link());
        assert_eq!(Events::parse(""), Err(WebhookError::NoEvents));
        assert_eq!(
            Events::parse("new-visit,clicks"),
            Err(WebhookError::Event("clicks".into()))
        );
    }

    #[test]
    fn secrets_are_whsec_and_random() {
        let one = WebhookSecret::generate();
        let two = WebhookSecret::generate();
        assert_ne!(one, two);
        assert!(one.expose().starts_with("whsec_"));
        assert_eq!(WebhookSecret::parse(one.expose()).unwrap(), one);
        assert!(WebhookSecret::parse("whsec_!!").is_err());
        assert!(WebhookSecret::parse("secret").is_err());
        assert_eq!(format!("{one:?}"), "WebhookSecret(…)", "never logged");
    }

    #[test]
    fn urls_and_names_are_checked() {
        assert!(check_url("https://hooks.example/in?x=1").is_ok());
        for bad in [
            "ftp://x.example/",
            "https://user:pw@x.example/",
            "/relative",
            "x",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert_eq!(check_name(" crm ").unwrap(), "crm");
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"a".repeat(65)).is_err());
        assert_eq!(
            check_name("Redis"),
            Err(WebhookError::Reserved("Redis".into()))
        );
    }

    #[test]
    fn the_previous_secret_signs_until_its_overlap_ends() {
        let now = Utc::now();
        let mut hook = Webhook {
            id: 1,
            name: "crm".into(),
            kind: ConsumerKind::Webhook,
            url: check_url("https://hooks.example/").unwrap(),
            events: Events::parse("new-visit").unwrap(),
            secret: WebhookSecret::generate(),
            previous_secret: Some((WebhookSecret::generate(), now + chrono::Duration::hours(1))),
            created_at: now,
            failing_since: None,
            disabled: None,
        };
        assert_eq!(hook.signing_secrets(now).len(), 2);
        hook.previous_secret = hook
            .previous_secret
            .map(|(secret, _)| (secret, now - chrono::Duration::seconds(1)));
        assert_eq!(hook.signing_secrets(now).len(), 1);
    }
}
