//! CSV for visit exports, safe to open in a spreadsheet.
//!
//! A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return could be run as a formula
//! by spreadsheet software (CSV injection). Such text cells get a leading single quote, and every
//! cell is quoted by the `csv` crate, which also doubles embedded quotes.

use std::borrow::Cow;

/// Characters that make a spreadsheet treat a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Why a CSV document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The writer failed (it writes to memory, so only on malformed internals).
    #[error("CSV write failed: {0}")]
    Write(#[from] ::csv::Error),
    /// The finished buffer could not be taken back from the writer.
    #[error("CSV buffer failed: {0}")]
    Buffer(String),
}

/// `text` made inert for spreadsheets: prefixed with `'` when it could start a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Builds a CSV document in memory from a header and text rows; every cell is neutralised and
/// quoted.
pub struct CsvDocument {
    writer: ::csv::Writer<Vec<u8>>,
}

impl CsvDocument {
    /// A document starting with the `header` row.
    pub fn new(header: &[&str]) -> Result<Self, CsvError> {
        let writer = ::csv::WriterBuilder::new()
            .quote_style(::csv::QuoteStyle::Always)
            .from_writer(Vec::new());
        let mut doc = Self { writer };
        doc.row(header.iter().copied())?;
        Ok(doc)
    }

    /// Appends one row.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<(), CsvError> {
        self.writer
            .write_record(cells.into_iter().map(|cell| neutralise(cell).into_owned()))?;
        Ok(())
    }

    /// The finished document.
    pub fn finish(self) -> Result<Vec<u8>, CsvError> {
        self.writer
            .into_inner()
            .map_err(|err| CsvError::Buffer(err.error().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(rows: &[&[&str]]) -> String {
        let mut doc = CsvDocument::new(&["a", "b"]).expect("header");
        for row in rows {
            doc.row(row.iter().copied()).expect("row");
        }
        String::from_utf8(doc.finish().expect("finish")).expect("UTF-8")
    }

    #[test]
    fn formula_starts_are_prefixed_with_a_quote() {
        for cell in ["=cmd()", "+1", "-1", "@x", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["", "plain", "1", "a=b", " =x", "'quoted"] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn every_cell_is_quoted_and_inner_quotes_doubled() {
        let csv = document(&[
            &["=HYPERLINK(\"http://evil\")", "ok"],
            &["line\nbreak", "-2+3"],
        ]);
        assert_eq!(
            csv,
            "\"a\",\"b\"\n\"'=HYPERLINK(\"\"http://evil\"\")\",\"ok\"\n\"line\nbreak\",\"'-2+3\"\n"
        );
    }

    #[test]
    fn a_reader_gets_the_neutralised_text_back() {
        let csv = document(&[&["@SUM(A1)", "a,b \"c\""]]);
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        let record = reader.records().next().expect("row").expect("valid");
        assert_eq!(&record[0], "'@SUM(A1)");
        assert_eq!(&record[1], "a,b \"c\"");
    }
}
