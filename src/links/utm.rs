//! Campaign tags (UTM parameters) on URLs: read from a visit's URLs for the campaign
//! breakdowns, and added to a long URL by the create form's UTM builder.

use url::Url;

/// Characters a stored tag value keeps at most; longer values are cut (on a character
/// boundary), so one odd link cannot grow the rollups without bound.
pub const MAX_TAG_CHARS: usize = 100;

/// The campaign tags the breakdowns count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UtmTag {
    /// `utm_source`: who sent the visitor (newsletter, twitter).
    Source,
    /// `utm_medium`: how (email, social, cpc).
    Medium,
    /// `utm_campaign`: which campaign.
    Campaign,
}

impl UtmTag {
    /// Every tag, in the order forms and pages show them.
    pub const ALL: [Self; 3] = [Self::Source, Self::Medium, Self::Campaign];

    /// The query parameter's name.
    pub fn parameter(self) -> &'static str {
        match self {
            Self::Source => "utm_source",
            Self::Medium => "utm_medium",
            Self::Campaign => "utm_campaign",
        }
    }
}

/// The value of `tag` a visit carries: on the URL that was visited (a tagged short URL) or else
/// on the URL it was sent to (a tagged long URL); `None` when neither has a non-empty one.
pub fn tag_of_visit(
    tag: UtmTag,
    visited_url: Option<&str>,
    redirect_url: Option<&str>,
) -> Option<String> {
    [visited_url, redirect_url]
        .into_iter()
        .flatten()
        .find_map(|url| tag_of_url(tag, url))
}

/// The value of `tag` in the query of `url` (absolute, or a path with a query), trimmed and cut
/// to [`MAX_TAG_CHARS`]; `None` when it is absent or blank.
pub fn tag_of_url(tag: UtmTag, url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(query, _)| query);
    if !query.contains(tag.parameter()) {
        return None;
    }
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == tag.parameter())
        .map(|(_, value)| value)
        .and_then(|value| {
            let trimmed = value.trim();
            if trimmed.is_empty() {
                return None;
            }
            Some(trimmed.chars().take(MAX_TAG_CHARS).collect())
        })
}

/// `long_url` with the given tags set in its query (a tag already there is replaced; blank
/// values are skipped), as the UTM builder makes it.
pub fn with_tags(long_url: &Url, tags: &[(UtmTag, &str)]) -> Url {
    let set: Vec<(UtmTag, &str)> = tags
        .iter()
        .map(|&(tag, value)| (tag, value.trim()))
        .filter(|(_, value)| !value.is_empty())
        .collect();
    if set.is_empty() {
        return long_url.clone();
    }
    let kept: Vec<(String, String)> = long_url
        .query_pairs()
        .filter(|(name, _)| !set.iter().any(|(tag, _)| name == tag.parameter()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut tagged = long_url.clone();
    {
        let mut query = tagged.query_pairs_mut();
        query.clear();
        query.extend_pairs(kept);
        for (tag, value) in set {
            query.append_pair(tag.parameter(), value);
        }
    }
    tagged
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_visited_url_wins_over_the_long_url() {
        let visited = Some("https://s.test/abc?utm_source=newsletter");
        let sent = Some("https://shop.example/?utm_source=ads&utm_medium=cpc");
        assert_eq!(
            tag_of_visit(UtmTag::Source, visited, sent).as_deref(),
            Some("newsletter")
        );
        assert_eq!(
            tag_of_visit(UtmTag::Medium, visited, sent).as_deref(),
            Some("cpc")
        );
        assert_eq!(tag_of_visit(UtmTag::Campaign, visited, sent), None);
    }

    #[test]
    fn values_are_decoded_trimmed_and_blank_ones_ignored() {
        let url =
            "https://a.example/p?utm_campaign=Black%20Friday+2026&utm_source=%20&x=1#utm_medium=no";
        assert_eq!(
            tag_of_url(UtmTag::Campaign, url).as_deref(),
            Some("Black Friday 2026")
        );
        assert_eq!(tag_of_url(UtmTag::Source, url), None, "blank");
        assert_eq!(tag_of_url(UtmTag::Medium, url), None, "in the fragment");
        assert_eq!(tag_of_url(UtmTag::Source, "/abc"), None);
        let long = format!("https://a.example/?utm_source={}", "é".repeat(300));
        let cut = tag_of_url(UtmTag::Source, &long).unwrap();
        assert_eq!(cut.chars().count(), MAX_TAG_CHARS);
    }

    #[test]
    fn the_builder_sets_tags_and_keeps_the_rest() {
        let url = Url::parse("https://shop.example/item?id=7&utm_source=old#top").unwrap();
        let tagged = with_tags(
            &url,
            &[
                (UtmTag::Source, "newsletter"),
                (UtmTag::Medium, " email "),
                (UtmTag::Campaign, ""),
            ],
        );
        assert_eq!(
            tagged.as_str(),
            "https://shop.example/item?id=7&utm_source=newsletter&utm_medium=email#top"
        );
        assert_eq!(with_tags(&url, &[(UtmTag::Source, " ")]), url);
    }

    proptest! {
        #[test]
        fn what_the_builder_writes_is_read_back(
            source in "[ -~]{0,40}",
            campaign in "\\PC{0,40}",
        ) {
            let url = Url::parse("https://shop.example/landing?ref=1").unwrap();
            let tagged = with_tags(&url, &[(UtmTag::Source, &source), (UtmTag::Campaign, &campaign)]);
            let expect = |value: &str| {
                let value = value.trim();
                (!value.is_empty()).then(|| value.chars().take(MAX_TAG_CHARS).collect::<String>())
            };
            prop_assert_eq!(
                tag_of_url(UtmTag::Source, tagged.as_str()),
                expect(&source)
            );
            prop_assert_eq!(
                tag_of_url(UtmTag::Campaign, tagged.as_str()),
                expect(&campaign)
            );
            prop_assert_eq!(tag_of_url(UtmTag::Medium, tagged.as_str()), None);
        }
    }
}
