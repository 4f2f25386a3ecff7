//! The README's `sh` blocks, the output shown after each, and how shown and actual output are
//! compared.

/// One fenced `sh` block and the output block that follows it, if any.
#[derive(Debug, Clone)]
pub struct Block {
    /// Line of the opening fence (1-based), for messages.
    pub line: usize,
    /// The commands, as written.
    pub script: String,
    /// The `json` or `text` block right after it: what the README says the commands print.
    pub shown: Option<String>,
}

impl Block {
    /// The first line: how the block is recognised.
    pub fn first_line(&self) -> &str {
        self.script.lines().next().unwrap_or_default()
    }

    /// Each command without its trailing `# comment`, continuation lines joined.
    pub fn commands(&self) -> Vec<String> {
        let joined = self.script.replace("\\\n", " ");
        joined
            .lines()
            .map(|line| line.split_once("  #").map_or(line, |(command, _)| command))
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    }

    /// The variables the block assigns (`NAME=…` at the start of a line), to carry them on.
    pub fn assigned(&self) -> Vec<String> {
        self.script
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(name, _)| name)
            .filter(|name| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            })
            .map(str::to_owned)
            .collect()
    }
}

/// Every `sh` block of `markdown`, with the output block that follows it (blank lines between).
pub fn sh_blocks(markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        if lines[at] != "```sh" {
            at += 1;
            continue;
        }
        let (script, after) = fenced(&lines, at);
        let mut next = after;
        while next < lines.len() && lines[next].trim().is_empty() {
            next += 1;
        }
        let shown = matches!(lines.get(next), Some(&"```json" | &"```text"))
            .then(|| fenced(&lines, next).0);
        blocks.push(Block {
            line: at + 1,
            script,
            shown,
        });
        at = after;
    }
    blocks
}

/// The body of the fence opened on `open`, and the index after its closing fence.
fn fenced(lines: &[&str], open: usize) -> (String, usize) {
    let close = (open + 1..lines.len())
        .find(|&i| lines[i] == "```")
        .unwrap_or(lines.len());
    (lines[open + 1..close].join("\n"), close + 1)
}

/// A line with what changes from run to run (dates, curl's version) masked.
fn masked(line: &str) -> String {
    let line = line.trim_end();
    if line.trim_start().to_ascii_lowercase().starts_with("date:") {
        return "date: *".to_owned();
    }
    for key in ["\"date\": ", "\"dateCreated\": ", "\"userAgent\": "] {
        if let Some(at) = line.find(key) {
            return format!("{}*", &line[..at + key.len()]);
        }
    }
    line.to_owned()
}

/// Whether `actual` output is what `shown` says: line for line, or, where `shown` elides with
/// `...` lines, its other lines in order among `actual`'s. `Err` names the first difference.
pub fn matches_shown(shown: &str, actual: &str) -> Result<(), String> {
    let expected: Vec<String> = shown.lines().map(masked).collect();
    let actual: Vec<String> = actual.lines().map(masked).collect();
    let trim = |lines: &[String]| -> Vec<String> {
        let end = lines
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(0, |i| i + 1);
        lines[..end].to_vec()
    };
    let (expected, actual) = (trim(&expected), trim(&actual));
    if !expected.iter().any(|line| line.trim() == "...") {
        return match expected.iter().zip(&actual).position(|(e, a)| e != a) {
            Some(i) => Err(format!(
                "line {}: shown {:?}, printed {:?}",
                i + 1,
                expected[i],
                actual[i]
            )),
            None if expected.len() != actual.len() => Err(format!(
                "shown {} lines, printed {}",
                expected.len(),
                actual.len()
            )),
            None => Ok(()),
        };
    }
    let mut rest = actual.iter();
    for line in expected.iter().filter(|line| line.trim() != "...") {
        if !rest.any(|candidate| candidate == line) {
            return Err(format!("shown {line:?} is not printed (in this order)"));
        }
    }
    Ok(())
}

#[test]
fn blocks_are_read_with_their_shown_output() {
    let markdown = "text\n\n```sh\nKEY=$(make key)\ncurl -s x \\\n  -H y  # why\n```\n\n```json\n{}\n```\n\n```sh\nls\n```\nprose\n```text\nnot shown output\n```\n";
    let blocks = sh_blocks(markdown);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].line, 3);
    assert_eq!(blocks[0].shown.as_deref(), Some("{}"));
    assert_eq!(blocks[0].commands(), ["KEY=$(make key)", "curl -s x -H y"]);
    assert_eq!(blocks[0].assigned(), ["KEY"]);
    assert_eq!(blocks[1].shown, None, "prose in between: not its output");
}

#[test]
fn shown_output_is_compared_line_for_line_or_in_order_around_elisions() {
    let shown = "HTTP/1.1 302 Found\ndate: Wed, 25 Nov 2026 01:52:58 GMT\n";
    assert!(
        matches_shown(
            shown,
            "HTTP/1.1 302 Found\r\ndate: Thu, 26 Nov 2026 10:00:00 GMT\r\n\r\n"
        )
        .is_ok()
    );
    assert!(matches_shown(shown, "HTTP/1.1 302 Found\nvary: origin\ndate: x\n").is_err());
    let elided = "{\n  \"a\": 1,\n  ...\n  \"c\": 3\n}";
    assert!(matches_shown(elided, "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}").is_ok());
    assert!(matches_shown(elided, "{\n  \"c\": 3,\n  \"a\": 1\n}").is_err());
}
