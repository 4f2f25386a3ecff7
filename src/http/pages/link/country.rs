//! How the analytics pages show a country, the same in the breakdown table and the recent
//! visits: "Germany (DE)". Exports keep the stored code and name as they are.

use crate::pipeline::enrich::country_name;

/// The page text for a visit's country: the English name of `code` from the built-in table
/// (else the `stored` name) followed by the code, e.g. "Germany (DE)"; whichever of the two is
/// known alone, or nothing. The text is plain; askama escapes it like any other value.
pub fn country_label(code: Option<&str>, stored: Option<&str>) -> String {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let stored = stored.map(str::trim).filter(|n| !n.is_empty());
    let name = code.and_then(country_name).or(stored);
    match (name, code) {
        (Some(name), Some(code)) => format!("{name} ({})", code.to_ascii_uppercase()),
        (Some(name), None) => name.to_owned(),
        (None, Some(code)) => code.to_owned(),
        (None, None) => String::new(),
    }
}

/// The page text for a value of the country breakdown, which holds the stored code (or a
/// placeholder such as "unknown" or "Other values", shown as it is).
pub fn breakdown_label(value: &str) -> String {
    match country_name(value) {
        Some(name) => format!("{name} ({})", value.to_ascii_uppercase()),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{breakdown_label, country_label};

    #[test]
    fn name_with_code_from_the_table() {
        assert_eq!(country_label(Some("DE"), Some("Germany")), "Germany (DE)");
        assert_eq!(country_label(Some("de"), None), "Germany (DE)");
        assert_eq!(
            country_label(Some("GB"), Some("Great Britain")),
            "United Kingdom (GB)",
            "the table wins, so both tables on the page read alike"
        );
        assert_eq!(breakdown_label("DE"), "Germany (DE)");
        assert_eq!(breakdown_label("gb"), "United Kingdom (GB)");
    }

    #[test]
    fn partial_or_unknown_countries_show_what_is_known() {
        assert_eq!(country_label(Some("XY"), Some("Atlantis")), "Atlantis (XY)");
        assert_eq!(country_label(Some("XY"), None), "XY");
        assert_eq!(country_label(None, Some("Atlantis")), "Atlantis");
        assert_eq!(country_label(Some(" "), Some("")), "");
        assert_eq!(country_label(None, None), "");
        assert_eq!(breakdown_label("unknown"), "unknown");
        assert_eq!(breakdown_label("Other values"), "Other values");
        assert_eq!(
            breakdown_label("<b>"),
            "<b>",
            "escaping is the template's job"
        );
    }
}
