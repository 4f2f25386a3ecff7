//! The short URL as an inline SVG QR code (no external image, so the strict CSP holds).

use qrcode::QrCode;
use qrcode::render::svg;

use crate::analytics::chart::escape;

/// Smallest drawn size in SVG user units.
const MIN_SIZE: u32 = 168;

/// An `<svg>` element encoding `url`; empty when the URL is too long for a QR code.
pub fn qr_svg(url: &str) -> String {
    let Ok(code) = QrCode::new(url.as_bytes()) else {
        return String::new();
    };
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(MIN_SIZE, MIN_SIZE)
        .quiet_zone(true)
        .build();
    // The renderer starts with an XML declaration, which does not belong inside HTML.
    let Some(start) = image.find("<svg") else {
        return String::new();
    };
    let label = escape(&format!("QR code for {url}"));
    format!(
        r#"<svg class="qr" role="img" aria-label="{label}"{}"#,
        &image[start + "<svg".len()..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_inline_svg_without_xml_declaration() {
        let svg = qr_svg("http://lp.test/abc");
        assert!(svg.starts_with(r#"<svg class="qr" role="img""#), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains("<path"));
    }

    #[test]
    fn different_urls_give_different_codes() {
        assert_ne!(qr_svg("http://lp.test/abc"), qr_svg("http://lp.test/abd"));
    }
}
