//! CSV for visit exports, safe to open in a spreadsheet.
//!
//! A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return could be run as a
//! formula by spreadsheet software (CSV injection). Such text cells get a leading single quote and
//! every text cell is quoted by the `csv` crate, which also doubles embedded quotes. Numbers (a
//! negative longitude, say) are written as bare numbers, so spreadsheets read them as numbers;
//! a number's digits cannot form a formula.

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

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text, neutralised and quoted.
    Text(&'a str),
    /// A number, written bare.
    Number(f64),
}

impl Cell<'_> {
    /// What the writer gets for this cell.
    fn written(self) -> String {
        match self {
            Self::Text(text) => neutralise(text).into_owned(),
            Self::Number(value) if value.is_finite() => value.to_string(),
            // "-inf" would pass for a formula start; no coordinate is ever infinite anyway.
            Self::Number(value) => neutralise(&value.to_string()).into_owned(),
        }
    }
}

/// Builds a CSV document in memory from a header and rows of cells; text is neutralised and
/// quoted, numbers are bare.
pub struct CsvDocument {
    writer: ::csv::Writer<Vec<u8>>,
}

impl CsvDocument {
    /// A document starting with the `header` row.
    pub fn new(header: &[&str]) -> Result<Self, CsvError> {
        // Quotes every field that does not read as a number: all text, since neutralised text
        // that reads as a number ("1", "inf") holds no formula.
        let writer = ::csv::WriterBuilder::new()
            .quote_style(::csv::QuoteStyle::NonNumeric)
            .from_writer(Vec::new());
        let mut doc = Self { writer };
        doc.row(header.iter().copied().map(Cell::Text))?;
        Ok(doc)
    }

    /// Appends one row.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) -> Result<(), CsvError> {
        self.writer
            .write_record(cells.into_iter().map(Cell::written))?;
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

    fn document(rows: &[&[Cell<'_>]]) -> String {
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
    fn every_text_cell_is_quoted_and_inner_quotes_doubled() {
        let csv = document(&[
            &[Cell::Text("=HYPERLINK(\"http://evil\")"), Cell::Text("ok")],
            &[Cell::Text("line\nbreak"), Cell::Text("-2+3")],
        ]);
        assert_eq!(
            csv,
            "\"a\",\"b\"\n\"'=HYPERLINK(\"\"http://evil\"\")\",\"ok\"\n\"line\nbreak\",\"'-2+3\"\n"
        );
    }

    #[test]
    fn numbers_are_bare_even_when_negative_and_text_is_still_neutralised() {
        let csv = document(&[
            &[Cell::Number(-0.0931), Cell::Number(51.5142)],
            &[Cell::Text("-0.0931"), Cell::Text("=cmd")],
            &[Cell::Number(f64::NEG_INFINITY), Cell::Text("")],
        ]);
        assert_eq!(
            csv,
            "\"a\",\"b\"\n-0.0931,51.5142\n\"'-0.0931\",\"'=cmd\"\n\"'-inf\",\"\"\n"
        );
    }

    #[test]
    fn a_reader_gets_the_neutralised_text_back() {
        let csv = document(&[&[Cell::Text("@SUM(A1)"), Cell::Text("a,b \"c\"")]]);
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        let record = reader.records().next().expect("row").expect("valid");
        assert_eq!(&record[0], "'@SUM(A1)");
        assert_eq!(&record[1], "a,b \"c\"");
    }
}
