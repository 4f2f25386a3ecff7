//! The world map of the analytics pages: every country's outline, shaded by its visits, as
//! inline SVG.
//!
//! The outlines are Natural Earth's 1:110m countries (public domain), projected and compacted
//! once by `tools/world-map` into `world_map.tsv`. Like the charts, the map uses classes only
//! (shades styled by `static/link.css`, so the strict CSP holds) and escapes every label, so it
//! may be embedded with askama's `|safe`. Countries too small for that scale (Singapore, Malta)
//! are not drawn; the table beside the map lists every country.

use std::collections::HashMap;
use std::fmt::Write;

use super::chart::escape;

/// `# WIDTH HEIGHT`, then `CODE<TAB>PATH` per country.
const OUTLINES: &str = include_str!("world_map.tsv");

/// Shades of countries with visits, `shade-1` (fewest) to `shade-5` (most); `shade-0` is none.
pub const SHADES: u32 = 5;

/// The map with each country's shade and `<title>` ("Germany (DE): 12 visits"): `visits` holds
/// (ISO code in any case, visits) and `label` names a code the way the page's table does.
pub fn world_map(
    visits: &[(String, i64)],
    label: impl Fn(&str) -> String,
    description: &str,
) -> String {
    let by_code: HashMap<String, i64> = visits
        .iter()
        .map(|(code, count)| (code.to_ascii_uppercase(), *count))
        .collect();
    let peak = by_code.values().copied().max().unwrap_or(0);
    let mut lines = OUTLINES.lines();
    let view_box = lines
        .next()
        .and_then(|header| header.strip_prefix("# "))
        .unwrap_or("0 0 960 480");
    let description = escape(description);
    let mut svg = format!(
        r#"<svg class="world-map" viewBox="0 0 {view_box}" role="img" aria-label="{description}"><title>{description}</title>"#
    );
    for (code, path) in lines.filter_map(|line| line.split_once('\t')) {
        let count = by_code.get(code).copied().unwrap_or(0);
        let visits = match count {
            0 => "no visits".to_owned(),
            1 => "1 visit".to_owned(),
            n => format!("{n} visits"),
        };
        let _ = write!(
            svg,
            r#"<path class="map-country shade-{}" data-country="{code}" d="{path}"><title>{}: {visits}</title></path>"#,
            shade(count, peak),
            escape(&label(code)),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The shade of `visits` when the busiest country has `peak`: 0 for none, else 1 to
/// [`SHADES`] on a logarithmic scale, so one dominant country leaves the rest distinguishable.
pub fn shade(visits: i64, peak: i64) -> u32 {
    if visits <= 0 {
        return 0;
    }
    if peak <= 1 || visits >= peak {
        return SHADES;
    }
    let fraction = (visits as f64).ln() / (peak as f64).ln();
    1 + (fraction * f64::from(SHADES - 1)).floor() as u32
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn plain(code: &str) -> String {
        format!("<{code}>")
    }

    #[test]
    fn every_outline_is_drawn_once_with_its_code() {
        let svg = world_map(&[], plain, "Visits by country");
        let drawn = svg.matches("<path ").count();
        assert_eq!(drawn, OUTLINES.lines().count() - 1);
        assert!(
            drawn > 150,
            "the 1:110m set has about 175 countries, got {drawn}"
        );
        for code in ["DE", "US", "BR", "JP", "AU", "ZA", "XK"] {
            assert_eq!(
                svg.matches(&format!(r#"data-country="{code}""#)).count(),
                1,
                "{code}"
            );
        }
        assert!(
            !svg.contains(r#"data-country="AQ""#),
            "Antarctica is left out"
        );
    }

    #[test]
    fn countries_are_shaded_and_titled_by_their_visits_in_any_case() {
        let visits = vec![("de".to_owned(), 100), ("FR".to_owned(), 1)];
        let svg = world_map(&visits, plain, "Visits by country");
        assert!(
            svg.contains(r#"class="map-country shade-5" data-country="DE""#),
            "{svg}"
        );
        assert!(svg.contains(r#"class="map-country shade-1" data-country="FR""#));
        assert!(svg.contains(r#"class="map-country shade-0" data-country="ES""#));
        assert!(svg.contains("<title>&lt;DE&gt;: 100 visits</title>"));
        assert!(svg.contains("<title>&lt;FR&gt;: 1 visit</title>"));
        assert!(svg.contains("<title>&lt;ES&gt;: no visits</title>"));
    }

    #[test]
    fn the_description_is_escaped() {
        let svg = world_map(&[], plain, r#"<script>"x"</script>"#);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&quot;x&quot;"));
    }

    proptest! {
        #[test]
        fn shades_grow_with_visits_and_stay_in_range(a in 0i64..1_000_000, b in 0i64..1_000_000, extra in 0i64..1_000_000) {
            let peak = a.max(b) + extra;
            let (low, high) = (a.min(b), a.max(b));
            prop_assert!(shade(low, peak) <= shade(high, peak));
            prop_assert!(shade(high, peak) <= SHADES);
            prop_assert_eq!(shade(low, peak) == 0, low == 0);
            prop_assert_eq!(shade(peak, peak), if peak > 0 { SHADES } else { 0 });
        }
    }
}
