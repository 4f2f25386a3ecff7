//! The Markdown report: machine facts, then one section per scenario with its tables, ratio
//! column first, absolute figures after it, and notes on what did not run and why.

use std::fmt::Write as _;

/// One Markdown table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column headings.
    pub header: Vec<String>,
    /// Cells, row by row.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headings and no rows yet.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        out.push_str(&line(&self.header));
        let rule: Vec<String> = self.header.iter().map(|_| "---".to_owned()).collect();
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
    }
}

/// One scenario's part of the report.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Heading, e.g. "P1 redirect throughput (SQLite)".
    pub title: String,
    /// What was measured and how, before the tables.
    pub intro: Vec<String>,
    /// The tables.
    pub tables: Vec<Table>,
    /// Findings, goals missed, and anything that could not run.
    pub notes: Vec<String>,
}

impl Section {
    /// An empty section titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }

    /// A section that only says why the scenario did not run.
    pub fn not_run(title: impl Into<String>, why: impl Into<String>) -> Self {
        let mut section = Self::new(title);
        section.notes.push(format!("Not run: {}", why.into()));
        section
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "## {}\n", self.title);
        for line in &self.intro {
            let _ = writeln!(out, "{line}");
        }
        if !self.intro.is_empty() {
            out.push('\n');
        }
        for table in &self.tables {
            table.render(out);
            out.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(out, "- {note}");
        }
        if !self.notes.is_empty() {
            out.push('\n');
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Lines about the machine, the command and the date.
    pub preamble: Vec<String>,
    /// One per scenario, in run order.
    pub sections: Vec<Section>,
}

impl Report {
    /// The report as Markdown.
    pub fn render(&self) -> String {
        let mut out = String::from("# linkpulse benchmarks\n\n");
        for line in &self.preamble {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
        for section in &self.sections {
            section.render(&mut out);
        }
        out
    }
}

/// `x` relative to `reference`, as "0.85×" (or "–" when the reference is zero).
pub fn ratio(x: f64, reference: f64) -> String {
    if reference == 0.0 || !x.is_finite() || !reference.is_finite() {
        "–".to_owned()
    } else {
        format!("{:.2}×", x / reference)
    }
}

/// Microseconds shown as milliseconds with sensible precision.
pub fn ms(micros: u64) -> String {
    let millis = micros as f64 / 1000.0;
    if millis < 10.0 {
        format!("{millis:.2} ms")
    } else {
        format!("{millis:.1} ms")
    }
}

/// A count with thousands separators.
pub fn count(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Bytes as MiB.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Whether a goal was met, and by how much it was missed otherwise.
pub fn goal(met: bool, detail: impl Into<String>) -> String {
    let detail = detail.into();
    if met {
        format!("met ({detail})")
    } else {
        format!("**missed** ({detail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_reading() {
        assert_eq!(count(1_234_567.4), "1,234,567");
        assert_eq!(count(999.0), "999");
        assert_eq!(ratio(3.0, 4.0), "0.75×");
        assert_eq!(ratio(3.0, 0.0), "–");
        assert_eq!(ms(1_250), "1.25 ms");
        assert_eq!(ms(25_000), "25.0 ms");
    }

    #[test]
    fn sections_render_tables_with_a_rule_line() {
        let mut table = Table::new(&["ratio", "req/s"]);
        table.row(vec!["1.00×".into(), "10".into()]);
        let mut section = Section::new("P1");
        section.tables.push(table);
        section.notes.push("note".into());
        let text = Report {
            preamble: vec!["machine".into()],
            sections: vec![section],
        }
        .render();
        assert!(text.contains("## P1\n"));
        assert!(text.contains("| ratio | req/s |\n| --- | --- |\n| 1.00× | 10 |\n"));
        assert!(text.contains("- note\n"));
    }
}
