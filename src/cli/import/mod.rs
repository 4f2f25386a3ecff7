//! `linkpulse import shlink|csv`: bring links (and, from a Shlink server, their visits) over
//! from Shlink, keeping codes, dates, tags, titles and limits. Re-running is safe: a link whose
//! code is already here is left alone, and each visit gets a message id derived from what it
//! is, so the pipeline's idempotent insert stores it once however often it is imported.

mod csv_source;
mod shlink_source;
mod writer;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use self::writer::{ImportWriter, LinkOutcome, Tally};
use crate::config::ImportCommand;
use crate::store::Store;

/// A link as a source describes it, before validation.
#[derive(Debug, Clone, Default)]
pub struct ImportedLink {
    /// Its short code; `None` lets linkpulse generate one (CSV rows without a code).
    pub short_code: Option<String>,
    /// Where it redirects.
    pub long_url: String,
    /// Its title.
    pub title: Option<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// When it was created at the source.
    pub date_created: Option<chrono::DateTime<chrono::Utc>>,
    /// Start of validity.
    pub valid_since: Option<chrono::DateTime<chrono::Utc>>,
    /// End of validity.
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Visit cap.
    pub max_visits: Option<i64>,
    /// Listed in robots.txt.
    pub crawlable: bool,
    /// Forwards the query string.
    pub forward_query: bool,
}

/// Runs one import against `store`, with a progress bar on a terminal and a summary at the end.
pub async fn run(store: &dyn Store, command: ImportCommand) -> anyhow::Result<()> {
    let mut writer = ImportWriter::new(store);
    match command {
        ImportCommand::Shlink(args) => {
            let source = shlink_source::ShlinkServer::new(&args.url, &args.api_key)?;
            let total = source.link_count().await?;
            let bar = progress(total, "links");
            let mut page = 1;
            while let Some(links) = source.links_page(page).await? {
                for (link, domain) in links {
                    let code = link.short_code.clone().unwrap_or_default();
                    let outcome = writer.link(link, domain.as_deref()).await?;
                    if let LinkOutcome::Stored(stored) = outcome {
                        let visits = source
                            .link_visits(&code, domain.as_deref())
                            .await
                            .with_context(|| format!("reading the visits of {code}"))?;
                        writer.visits(Some(&stored), visits).await?;
                    }
                    bar.inc(1);
                }
                page += 1;
            }
            bar.finish_and_clear();
            if !args.skip_orphan_visits {
                let orphans = source.orphan_visits().await?;
                writer.visits(None, orphans).await?;
            }
        }
        ImportCommand::Csv(args) => {
            let delimiter = u8::try_from(args.delimiter).unwrap_or(b',');
            let rows = csv_source::read(&args.file, delimiter)?;
            let bar = progress(rows.len() as u64, "rows");
            for row in rows {
                match row {
                    Ok((link, domain)) => {
                        writer.link(link, domain.as_deref()).await?;
                    }
                    Err(problem) => writer.refused(problem),
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
        }
    }
    println!("{}", summary(writer.tally()));
    Ok(())
}

/// A bar over `total` items, drawn only on a terminal (stderr).
fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{eta}} left)");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// What the import did, in one paragraph, naming every link it could not take.
fn summary(tally: &Tally) -> String {
    let mut lines = vec![format!(
        "Imported {} links ({} already here), {} visits and {} orphan visits ({} already here).",
        tally.links_created,
        tally.links_existing,
        tally.visits_inserted,
        tally.orphans_inserted,
        tally.visits_existing
    )];
    if tally.other_domains > 0 {
        lines.push(format!(
            "{} links came from other domains than the source's default; each was imported \
             onto its own domain, which this instance now serves.",
            tally.other_domains
        ));
    }
    for problem in &tally.refused {
        lines.push(format!("skipped: {problem}"));
    }
    lines.join("\n")
}
