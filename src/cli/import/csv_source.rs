//! Reading Shlink's CSV import format: a header row naming `Long URL` and `Short code`, and
//! optionally `Domain`, `Title` and `Tags` (separated by `|`). Header names match whatever
//! their case, spaces, dashes or underscores, so `longUrl` and `long_url` work too.

use std::path::Path;

use anyhow::{Context, bail};

use super::ImportedLink;

/// Separates several tags in the `Tags` column, as in Shlink's format.
const TAG_SEPARATOR: char = '|';

/// One row: the link and its domain, or why the row is unusable (naming its line).
pub type Row = Result<(ImportedLink, Option<String>), String>;

/// Every row of the CSV file at `path`, in file order.
pub fn read(path: &Path, delimiter: u8) -> anyhow::Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{} has no header row", path.display()))?
        .iter()
        .map(normalized)
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let Some(long_url) = column("longurl") else {
        bail!(
            "{} has no \"Long URL\" column (found: {}); Shlink's CSV format names it in the \
             header row",
            path.display(),
            headers.join(", ")
        );
    };
    let (code, domain, title, tags) = (
        column("shortcode"),
        column("domain"),
        column("title"),
        column("tags"),
    );
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                rows.push(Err(format!("line {line}: {err}")));
                continue;
            }
        };
        let field = |at: Option<usize>| {
            at.and_then(|i| record.get(i))
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let Some(url) = field(Some(long_url)) else {
            rows.push(Err(format!("line {line}: no long URL")));
            continue;
        };
        let link = ImportedLink {
            short_code: field(code),
            long_url: url,
            title: field(title),
            tags: field(tags).map_or_else(Vec::new, |raw| {
                raw.split(TAG_SEPARATOR)
                    .map(str::trim)
                    .filter(|tag| !tag.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            forward_query: true,
            ..ImportedLink::default()
        };
        rows.push(Ok((link, field(domain))));
    }
    Ok(rows)
}

/// A header name reduced to lowercase letters and digits.
fn normalized(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn rows_of(text: &str, delimiter: u8) -> Vec<Row> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        read(file.path(), delimiter).unwrap()
    }

    #[test]
    fn reads_shlinks_columns_in_any_order_and_spelling() {
        let rows = rows_of(
            "Title;short_code;Long URL;TAGS;Domain\n\
             Launch;launch;https://example.com/a;one | two;\n\
             ;;https://example.com/b;;other.example\n",
            b';',
        );
        let (first, domain) = rows[0].as_ref().unwrap();
        assert_eq!(first.short_code.as_deref(), Some("launch"));
        assert_eq!(first.long_url, "https://example.com/a");
        assert_eq!(first.title.as_deref(), Some("Launch"));
        assert_eq!(first.tags, ["one", "two"]);
        assert_eq!(domain, &None);
        let (second, domain) = rows[1].as_ref().unwrap();
        assert_eq!(second.short_code, None);
        assert!(second.tags.is_empty());
        assert_eq!(domain.as_deref(), Some("other.example"));
    }

    #[test]
    fn a_row_without_a_long_url_is_named_by_its_line() {
        let rows = rows_of("longUrl,shortCode\nhttps://example.com/,a\n,b\n", b',');
        assert!(rows[0].is_ok());
        assert_eq!(rows[1].as_ref().unwrap_err(), "line 3: no long URL");
    }

    #[test]
    fn a_file_without_the_long_url_column_is_refused() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"url,code\nhttps://example.com/,a\n")
            .unwrap();
        let err = read(file.path(), b',').unwrap_err().to_string();
        assert!(
            err.contains("no \"Long URL\" column") && err.contains("url, code"),
            "{err}"
        );
    }
}
