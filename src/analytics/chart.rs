//! Server-rendered inline SVG charts (bar charts and sparklines) for the analytics pages.
//!
//! The markup is built here rather than in templates so every page draws charts the same way;
//! it uses classes only (styled by `static/app.css`, no `style=` attributes, so the strict CSP
//! holds) and escapes every label, so the result may be embedded with askama's `|safe`.
//!
//! A bar chart has no `viewBox`: one SVG unit is one CSS pixel, horizontal positions are
//! percentages of the rendered width and vertical ones are pixels. So the chart fills any width
//! while its text keeps the font size the stylesheet gives it, on a phone as on a wide screen.

use std::fmt::Write;

/// Height of the bars' area in CSS pixels.
const PLOT_HEIGHT: f64 = 180.0;
/// Room above the bars for the maximum's label.
const TOP: f64 = 22.0;
/// Room below the bars for the axis labels.
const BOTTOM: f64 = 24.0;
/// Share of each slot left empty between bars.
const GAP: f64 = 0.2;
/// Axis labels longer than this (in characters) leave no room for a middle one on a phone, so
/// the middle label is marked optional (`static/app.css` hides it on narrow screens).
const CROWDED_LABEL_CHARS: usize = 10;
/// Sparkline drawing size.
const SPARK_WIDTH: f64 = 100.0;
/// Sparkline drawing height.
const SPARK_HEIGHT: f64 = 24.0;

/// A bar chart of `points` (label, value), described to screen readers by `description`.
///
/// Each bar carries a `<title>` tooltip "label: value"; the first, middle and last labels are
/// written under the axis. Negative values are drawn as zero.
pub fn bar_chart(points: &[(String, i64)], description: &str) -> String {
    let height = TOP + PLOT_HEIGHT + BOTTOM;
    let peak = points.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let max = peak.max(1);
    let mut svg = format!(
        r#"<svg class="chart" width="100%" height="{height}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(description),
        escape(description)
    );
    let _ = write!(svg, r#"<text class="chart-max" x="0" y="14">{peak}</text>"#);
    let baseline = TOP + PLOT_HEIGHT;
    let _ = write!(
        svg,
        r#"<line class="chart-axis" x1="0" y1="{baseline}" x2="100%" y2="{baseline}"/>"#
    );
    let count = points.len().max(1);
    let slot = 100.0 / count as f64;
    for (i, (label, value)) in points.iter().enumerate() {
        let x = i as f64 * slot;
        let bar_height = PLOT_HEIGHT * (*value).max(0) as f64 / max as f64;
        let label = escape(label);
        let _ = write!(
            svg,
            r#"<g class="chart-bar"><title>{label}: {value}</title><rect class="chart-hit" x="{x:.3}%" y="{TOP}" width="{slot:.3}%" height="{PLOT_HEIGHT}"/><rect class="bar" x="{:.3}%" y="{:.1}" width="{:.3}%" height="{bar_height:.1}"/></g>"#,
            x + slot * GAP / 2.0,
            baseline - bar_height,
            slot * (1.0 - GAP),
        );
    }
    let picks = axis_label_indices(points.len());
    let crowded = picks
        .iter()
        .any(|&i| points[i].0.chars().count() > CROWDED_LABEL_CHARS);
    for i in picks {
        let (x, anchor, class) = if i == 0 {
            (0.0, "start", "chart-label")
        } else if i + 1 == points.len() {
            (100.0, "end", "chart-label")
        } else if crowded {
            (
                (i as f64 + 0.5) * slot,
                "middle",
                "chart-label chart-label-optional",
            )
        } else {
            ((i as f64 + 0.5) * slot, "middle", "chart-label")
        };
        let _ = write!(
            svg,
            r#"<text class="{class}" x="{x:.3}%" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            height - 6.0,
            escape(&points[i].0)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A small line of `values` (oldest first), described to screen readers by `description`.
pub fn sparkline(values: &[i64], description: &str) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if values.len() > 1 {
        SPARK_WIDTH / (values.len() - 1) as f64
    } else {
        0.0
    };
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let y = SPARK_HEIGHT - 1.0 - (SPARK_HEIGHT - 2.0) * (*v).max(0) as f64 / max;
            format!("{:.1},{y:.1}", i as f64 * step)
        })
        .collect();
    format!(
        r#"<svg class="sparkline" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" preserveAspectRatio="none" role="img" aria-label="{0}"><title>{0}</title><polyline points="{1}" vector-effect="non-scaling-stroke"/></svg>"#,
        escape(description),
        points.join(" ")
    )
}

/// Escapes text for use inside SVG/HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Which labels to write under the axis: first, middle and last (no overlap on a phone).
fn axis_label_indices(len: usize) -> Vec<usize> {
    let mut picks = match len {
        0 => Vec::new(),
        1 => vec![0],
        n => vec![0, n / 2, n - 1],
    };
    picks.dedup();
    picks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[i64]) -> Vec<(String, i64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("day {i}"), *v))
            .collect()
    }

    #[test]
    fn escapes_every_label_and_the_description() {
        let hostile = vec![("<script>alert(1)</script>".to_owned(), 3)];
        let svg = bar_chart(&hostile, "a \"quoted\" <desc>");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;: 3"));
        assert!(svg.contains("a &quot;quoted&quot; &lt;desc&gt;"));
        let spark = sparkline(&[1, 2], "<b>");
        assert!(!spark.contains("<b>") && spark.contains("&lt;b&gt;"));
    }

    /// The heights of the drawn bars, in order.
    fn bar_heights(svg: &str) -> Vec<String> {
        svg.split(r#"<rect class="bar""#)
            .skip(1)
            .map(|rest| {
                let rest = &rest[rest.find("height=\"").expect("bar height") + 8..];
                rest[..rest.find('"').expect("height end")].to_owned()
            })
            .collect()
    }

    #[test]
    fn one_bar_per_point_scaled_to_the_maximum() {
        let svg = bar_chart(&points(&[0, 5, 10]), "clicks");
        assert_eq!(
            bar_heights(&svg),
            ["0.0", "90.0", "180.0"],
            "the maximum fills the plot, half the maximum is half as tall: {svg}"
        );
        assert!(svg.contains("day 2: 10"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn text_keeps_its_css_pixel_size_at_every_width() {
        let svg = bar_chart(&points(&[1, 2, 3, 4, 5]), "clicks");
        // A viewBox would scale the whole drawing, text included, with the rendered width.
        assert!(!svg.contains("viewBox"), "{svg}");
        assert!(!svg.contains("preserveAspectRatio"), "{svg}");
        assert!(svg.starts_with(r#"<svg class="chart" width="100%" height="226""#));
        assert!(svg.contains(r#"<line class="chart-axis" x1="0" y1="202" x2="100%""#));
        assert!(svg.contains(r#"<rect class="bar" x="2.000%" y="166.0" width="16.000%""#));
        assert!(svg.contains(r#"x="0.000%" y="220.0" text-anchor="start">day 0<"#));
        assert!(svg.contains(r#"x="50.000%" y="220.0" text-anchor="middle">day 2<"#));
        assert!(svg.contains(r#"x="100.000%" y="220.0" text-anchor="end">day 4<"#));
    }

    #[test]
    fn long_labels_make_the_middle_label_optional() {
        let short = bar_chart(&points(&[1, 2, 3]), "days");
        assert!(!short.contains("chart-label-optional"), "{short}");
        let long: Vec<(String, i64)> = (0..3).map(|i| (format!("Thu 19 Nov 0{i}:00"), i)).collect();
        let svg = bar_chart(&long, "hours");
        assert_eq!(svg.matches(r#"class="chart-label""#).count(), 2, "{svg}");
        assert!(svg.contains(
            r#"class="chart-label chart-label-optional" x="50.000%" y="220.0" text-anchor="middle">Thu 19 Nov 01:00<"#
        ));
    }

    #[test]
    fn empty_and_all_zero_series_draw_without_dividing_by_zero() {
        let empty = bar_chart(&[], "nothing");
        assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
        assert!(!empty.contains("NaN"));
        let zeros = bar_chart(&points(&[0, 0]), "zeros");
        assert!(!zeros.contains("NaN") && !zeros.contains("inf"));
        let spark = sparkline(&[0, 0, 0], "flat");
        assert!(!spark.contains("NaN"));
        assert!(sparkline(&[], "none").contains(r#"points="""#));
    }

    #[test]
    fn sparkline_spans_the_width_with_the_peak_on_top() {
        let spark = sparkline(&[0, 4, 2], "trend");
        assert!(
            spark.contains(r#"points="0.0,23.0 50.0,1.0 100.0,12.0""#),
            "{spark}"
        );
    }

    #[test]
    fn axis_labels_first_middle_last() {
        assert_eq!(axis_label_indices(0), Vec::<usize>::new());
        assert_eq!(axis_label_indices(1), vec![0]);
        assert_eq!(axis_label_indices(2), vec![0, 1]);
        assert_eq!(axis_label_indices(30), vec![0, 15, 29]);
    }
}
