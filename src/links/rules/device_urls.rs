//! Shlink's `deviceLongUrls` (`android`, `ios`, `desktop`), kept as what Shlink 4 made of them:
//! device rules. A device's URL is the first rule whose one condition is that device; setting it
//! replaces that rule in place (or appends one), clearing it removes it.

use super::{Condition, Device, RedirectRule, RedirectRules};
use crate::links::LongUrl;

/// The devices `deviceLongUrls` names, in Shlink's order.
pub const DEVICE_URL_KEYS: [Device; 3] = [Device::Android, Device::Ios, Device::Desktop];

/// The `deviceLongUrls` a link shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceLongUrls {
    /// Android's URL.
    pub android: Option<LongUrl>,
    /// iOS's URL.
    pub ios: Option<LongUrl>,
    /// Desktop's URL.
    pub desktop: Option<LongUrl>,
}

impl DeviceLongUrls {
    /// The view of `rules`.
    pub fn of(rules: &RedirectRules) -> Self {
        let url = |device| rules.device_url(device).cloned();
        Self {
            android: url(Device::Android),
            ios: url(Device::Ios),
            desktop: url(Device::Desktop),
        }
    }

    /// Whether no device has a URL.
    pub fn is_empty(&self) -> bool {
        self.android.is_none() && self.ios.is_none() && self.desktop.is_none()
    }
}

/// A `deviceLongUrls` edit: per device, `None` leaves it, `Some(None)` clears it, `Some(url)`
/// sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceUrlsPatch(pub Vec<(Device, Option<LongUrl>)>);

impl DeviceUrlsPatch {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `rules` with the edit applied.
    pub fn apply(&self, rules: &RedirectRules) -> RedirectRules {
        let mut rules = rules.0.clone();
        for (device, url) in &self.0 {
            let position = rules
                .iter()
                .position(|rule| rule.device_url() == Some(*device));
            match (position, url) {
                (Some(at), Some(url)) => rules[at] = RedirectRule::for_device(*device, url.clone()),
                (Some(at), None) => {
                    rules.remove(at);
                }
                (None, Some(url)) => rules.push(RedirectRule::for_device(*device, url.clone())),
                (None, None) => {}
            }
        }
        RedirectRules(rules)
    }
}

impl RedirectRule {
    /// The rule a `deviceLongUrls` entry stands for.
    pub fn for_device(device: Device, long_url: LongUrl) -> Self {
        Self {
            long_url,
            conditions: vec![Condition::Device(device)],
        }
    }

    /// The device whose `deviceLongUrls` entry this rule is: one `device` condition alone.
    pub fn device_url(&self) -> Option<Device> {
        match self.conditions.as_slice() {
            [Condition::Device(device)] => Some(*device),
            _ => None,
        }
    }
}

impl RedirectRules {
    /// The URL `deviceLongUrls` shows for `device`.
    pub fn device_url(&self, device: Device) -> Option<&LongUrl> {
        self.0
            .iter()
            .find(|rule| rule.device_url() == Some(device))
            .map(|rule| &rule.long_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(path: &str) -> LongUrl {
        LongUrl::parse_stored(&format!("https://example.com/{path}")).unwrap()
    }

    #[test]
    fn set_in_place_append_and_clear() {
        let language = RedirectRule {
            long_url: url("fr"),
            conditions: vec![Condition::parse("language", None, Some("fr")).unwrap()],
        };
        let rules = RedirectRules(vec![
            RedirectRule::for_device(Device::Ios, url("ios-old")),
            language.clone(),
        ]);
        let patch = DeviceUrlsPatch(vec![
            (Device::Ios, Some(url("ios"))),
            (Device::Android, Some(url("android"))),
            (Device::Desktop, None),
        ]);
        let edited = patch.apply(&rules);
        assert_eq!(
            edited.rules(),
            [
                RedirectRule::for_device(Device::Ios, url("ios")),
                language.clone(),
                RedirectRule::for_device(Device::Android, url("android")),
            ]
        );
        let view = DeviceLongUrls::of(&edited);
        assert_eq!(view.ios, Some(url("ios")));
        assert_eq!(view.android, Some(url("android")));
        assert_eq!(view.desktop, None);
        let cleared =
            DeviceUrlsPatch(vec![(Device::Ios, None), (Device::Android, None)]).apply(&edited);
        assert_eq!(cleared.rules(), [language]);
        assert!(DeviceLongUrls::of(&cleared).is_empty());
    }
}
