//! The link form as the templates see it, and its translation into the API's typed request
//! bodies, so the pages are validated by exactly the code (and messages) of the REST API.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::Deserialize;

use url::Url;

use crate::http::short_urls::dto::{CreateBody, EditBody};
use crate::links::utm::{UtmTag, with_tags};
use crate::links::{ShortUrl, Tag};

/// Format of `<input type="datetime-local">` values (seconds optional).
const LOCAL_INPUT: &str = "%Y-%m-%dT%H:%M";

/// The link form as posted (every field a string, absent ones empty).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    /// The session's CSRF token.
    pub csrf: String,
    long_url: String,
    /// The domain a new link goes on; blank is the default domain.
    domain: String,
    custom_slug: String,
    title: String,
    tags: String,
    valid_until: String,
    max_visits: String,
    /// A new password (never shown back); blank keeps the current one when editing.
    password: String,
    /// `on` when the edit removes the password.
    remove_password: String,
    /// The UTM builder's tags, added to a new link's long URL.
    utm_source: String,
    /// See `utm_source`.
    utm_medium: String,
    /// See `utm_source`.
    utm_campaign: String,
}

impl LinkForm {
    /// The UTM builder's fields as typed, in `UtmTag::ALL` order.
    fn campaign_tags(&self) -> [(UtmTag, &str); 3] {
        [
            (UtmTag::Source, self.utm_source.as_str()),
            (UtmTag::Medium, self.utm_medium.as_str()),
            (UtmTag::Campaign, self.utm_campaign.as_str()),
        ]
    }
}

/// What the form template shows: values, where it posts, and the refusals per field.
#[derive(Debug, Clone, Default)]
pub struct LinkFormView {
    /// Where the form posts.
    pub action: String,
    /// The code of the link being edited (its slug cannot change); `None` when creating.
    pub editing: Option<String>,
    /// The session's CSRF token.
    pub csrf: String,
    /// Field values, as typed.
    pub long_url: String,
    /// Domain of a new link, as typed (blank: the default domain).
    pub domain: String,
    /// The domains served besides the default one, offered when creating.
    pub known_domains: Vec<String>,
    /// Custom slug, as typed.
    pub custom_slug: String,
    /// Title, as typed.
    pub title: String,
    /// Comma-separated tags, as typed.
    pub tags: String,
    /// `datetime-local` value (UTC).
    pub valid_until: String,
    /// Visit cap, as typed.
    pub max_visits: String,
    /// Whether the stored link is password-protected (the edit form offers removing it).
    pub protected: bool,
    /// The UTM builder's `utm_source`, as typed (creating only).
    pub utm_source: String,
    /// The UTM builder's `utm_medium`, as typed.
    pub utm_medium: String,
    /// The UTM builder's `utm_campaign`, as typed.
    pub utm_campaign: String,
    /// `(field, message)` pairs, fields named as in the API (`longUrl`, `customSlug`, …).
    pub errors: Vec<(String, String)>,
}

/// Fields the form has inputs for; refusals of any other field are shown above the form.
const FORM_FIELDS: [&str; 8] = [
    "longUrl",
    "domain",
    "customSlug",
    "title",
    "tags",
    "validUntil",
    "maxVisits",
    "password",
];

impl LinkFormView {
    /// An empty create form.
    pub fn create(csrf: &str) -> Self {
        Self {
            action: "/app/links".to_owned(),
            csrf: csrf.to_owned(),
            ..Self::default()
        }
    }

    /// The create form re-filled with what was posted.
    pub fn refill_create(form: &LinkForm, csrf: &str, errors: Vec<(String, String)>) -> Self {
        Self {
            long_url: form.long_url.clone(),
            domain: form.domain.clone(),
            custom_slug: form.custom_slug.clone(),
            title: form.title.clone(),
            tags: form.tags.clone(),
            valid_until: form.valid_until.clone(),
            max_visits: form.max_visits.clone(),
            utm_source: form.utm_source.clone(),
            utm_medium: form.utm_medium.clone(),
            utm_campaign: form.utm_campaign.clone(),
            errors,
            ..Self::create(csrf)
        }
    }

    /// The edit form of a stored link.
    pub fn edit(link: &ShortUrl, csrf: &str) -> Self {
        Self {
            action: format!("/app/links/{}/edit", link.address().segment()),
            editing: Some(link.address().segment().into_owned()),
            csrf: csrf.to_owned(),
            long_url: link.long_url.to_string(),
            custom_slug: link.short_code.to_string(),
            title: link.title.clone().unwrap_or_default(),
            tags: link
                .tags
                .iter()
                .map(Tag::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            valid_until: link
                .valid_until
                .map(|at| at.format(LOCAL_INPUT).to_string())
                .unwrap_or_default(),
            max_visits: link.max_visits.map(|n| n.to_string()).unwrap_or_default(),
            protected: link.password_protected,
            ..Self::default()
        }
    }

    /// The edit form re-filled with what was posted.
    pub fn refill_edit(
        stored: &ShortUrl,
        form: &LinkForm,
        csrf: &str,
        errors: Vec<(String, String)>,
    ) -> Self {
        let segment = stored.address().segment().into_owned();
        Self {
            action: format!("/app/links/{segment}/edit"),
            editing: Some(segment),
            custom_slug: stored.short_code.to_string(),
            protected: stored.password_protected,
            ..Self::refill_create(form, csrf, errors)
        }
    }

    /// The messages for one field (API field name), joined; `None` when it was accepted.
    pub fn error(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    /// Messages about fields the form has no input for.
    pub fn other_errors(&self) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| !FORM_FIELDS.contains(&f.as_str()))
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

/// The API's create body for `form`, plus refusals the translation itself found. The UTM
/// builder's tags go into the long URL's query (one the API would refuse is left as typed, so
/// its message is the API's).
pub fn create_body(form: &LinkForm) -> (CreateBody, Vec<(String, String)>) {
    let mut errors = Vec::new();
    let long_url = match Url::parse(form.long_url.trim()) {
        Ok(url)
            if form
                .campaign_tags()
                .iter()
                .any(|(_, value)| non_blank(value).is_some()) =>
        {
            with_tags(&url, &form.campaign_tags()).to_string()
        }
        _ => form.long_url.clone(),
    };
    let body = CreateBody {
        long_url,
        domain: non_blank(&form.domain).map(str::to_owned),
        custom_slug: non_blank(&form.custom_slug).map(str::to_owned),
        title: non_blank(&form.title).map(str::to_owned),
        tags: Some(tag_list(&form.tags)),
        valid_until: non_blank(&form.valid_until).map(instant_text),
        max_visits: max_visits(&form.max_visits, &mut errors),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        ..CreateBody::default()
    };
    (body, errors)
}

/// The API's edit body for `form`: every field present, blanks clearing optional ones.
pub fn edit_body(form: &LinkForm) -> (EditBody, Vec<(String, String)>) {
    let mut errors = Vec::new();
    let body = EditBody {
        long_url: Some(Some(form.long_url.clone())),
        title: Some(non_blank(&form.title).map(str::to_owned)),
        tags: Some(Some(tag_list(&form.tags))),
        valid_until: Some(non_blank(&form.valid_until).map(instant_text)),
        max_visits: Some(max_visits(&form.max_visits, &mut errors)),
        password: if form.remove_password == "on" {
            Some(None)
        } else {
            Some(form.password.clone())
                .filter(|p| !p.is_empty())
                .map(Some)
        },
        ..EditBody::default()
    };
    (body, errors)
}

fn non_blank(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|s| !s.is_empty())
}

/// Tags typed comma-separated; blanks between commas are ignored.
fn tag_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A `datetime-local` value is read as UTC; anything else goes to the API's parser as typed.
fn instant_text(raw: &str) -> String {
    NaiveDateTime::parse_from_str(raw, LOCAL_INPUT)
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map(|local| {
            DateTime::<Utc>::from_naive_utc_and_offset(local, Utc)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        })
        .unwrap_or_else(|_| raw.to_owned())
}

/// The visit cap, when given as a whole number (the API's own rules then apply).
fn max_visits(raw: &str, errors: &mut Vec<(String, String)>) -> Option<i64> {
    let raw = non_blank(raw)?;
    match raw.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push((
                "maxVisits".into(),
                "maxVisits must be a whole number".into(),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &str) -> LinkForm {
        serde_html_form::from_str(pairs).unwrap()
    }

    #[test]
    fn create_body_leaves_blanks_out_and_reads_local_times_as_utc() {
        let (body, errors) = create_body(&form(
            "long_url=https%3A%2F%2Fa.example&tags=a%2C+b%2C%2C&valid_until=2030-01-02T03%3A04&title=+",
        ));
        assert!(errors.is_empty());
        assert_eq!(body.long_url, "https://a.example");
        assert_eq!(body.tags, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(
            body.valid_until.as_deref(),
            Some("2030-01-02T03:04:00+00:00")
        );
        assert!(body.title.is_none() && body.custom_slug.is_none());
        assert!(body.max_visits.is_none());
    }

    #[test]
    fn edit_body_clears_blank_optional_fields() {
        let (body, errors) = edit_body(&form("long_url=https%3A%2F%2Fa.example&max_visits=3"));
        assert!(errors.is_empty());
        assert_eq!(body.title, Some(None));
        assert_eq!(body.valid_until, Some(None));
        assert_eq!(body.max_visits, Some(Some(3)));
        assert_eq!(body.tags, Some(Some(Vec::new())));
    }

    #[test]
    fn a_password_is_set_kept_or_removed() {
        let (body, _) = create_body(&form("long_url=x&password=+spaced+"));
        assert_eq!(body.password.as_deref(), Some(" spaced "), "never trimmed");
        assert_eq!(create_body(&form("long_url=x&password=")).0.password, None);
        assert_eq!(edit_body(&form("long_url=x&password=")).0.password, None);
        assert_eq!(
            edit_body(&form("long_url=x&password=new1")).0.password,
            Some(Some("new1".to_owned()))
        );
        assert_eq!(
            edit_body(&form("long_url=x&password=new1&remove_password=on"))
                .0
                .password,
            Some(None)
        );
    }

    #[test]
    fn the_utm_builder_tags_the_long_url() {
        let (body, errors) = create_body(&form(
            "long_url=https%3A%2F%2Fshop.example%2F%3Fid%3D7&utm_source=newsletter&utm_medium=+&utm_campaign=Spring+sale",
        ));
        assert!(errors.is_empty());
        assert_eq!(
            body.long_url,
            "https://shop.example/?id=7&utm_source=newsletter&utm_campaign=Spring+sale"
        );
        let untagged = create_body(&form("long_url=https%3A%2F%2Fshop.example%2Fa")).0;
        assert_eq!(untagged.long_url, "https://shop.example/a", "left as typed");
        let invalid = create_body(&form("long_url=not+a+url&utm_source=x")).0;
        assert_eq!(invalid.long_url, "not a url", "for the API to refuse");
    }

    #[test]
    fn a_non_numeric_cap_is_refused_by_the_form() {
        let (body, errors) = create_body(&form("long_url=x&max_visits=lots"));
        assert!(body.max_visits.is_none());
        assert_eq!(errors[0].0, "maxVisits");
    }

    #[test]
    fn errors_are_grouped_per_field() {
        let view = LinkFormView {
            errors: vec![
                ("longUrl".into(), "one".into()),
                ("longUrl".into(), "two".into()),
                ("pathPrefix".into(), "three".into()),
            ],
            ..LinkFormView::default()
        };
        assert_eq!(view.error("longUrl").as_deref(), Some("one; two"));
        assert_eq!(view.error("title"), None);
        assert_eq!(view.other_errors(), vec!["three"]);
    }
}
