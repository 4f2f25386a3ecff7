//! How the analytics page names countries, checked on its HTML.

/// The country breakdown and the recent visits show a country the same way, "Germany (DE)",
/// while the breakdown's `data-value` keeps the stored code.
pub fn assert_read_alike(html: &str) {
    let start = html
        .find(r#"data-dimension="country""#)
        .expect("country breakdown");
    let countries = &html[start..];
    let countries = &countries[..countries.find("</section>").expect("section end")];
    for (code, label) in [("DE", "Germany (DE)"), ("FR", "France (FR)")] {
        assert!(
            countries.contains(&format!(r#"<tr data-value="{code}""#)),
            "{code} stays the row's value: {countries}"
        );
        assert!(
            countries.contains(&format!(r#"<td class="value">{label}</td>"#)),
            "{label} in the breakdown: {countries}"
        );
    }
    let recent = &html[html
        .find(r#"class="recent-visits""#)
        .expect("recent visits")..];
    for label in ["Germany (DE)", "France (FR)"] {
        assert!(
            recent.contains(&format!("<td>{label}</td>")),
            "{label} in the recent visits"
        );
    }
    for bare in [
        "<td>Germany</td>",
        "<td>France</td>",
        r#"<td class="value">DE</td>"#,
    ] {
        assert!(
            !html.contains(bare),
            "{bare} shown without its code or name"
        );
    }
}
