//! P5 memory: resident set size of each P1 server once started and idle, and its peak under the
//! P1 load, against the bare reference server (a).

use crate::report::{Section, Table, goal, ratio};
use crate::scenarios::p1::Memory;

/// Goals for linkpulse, in MB (10^6 bytes).
const IDLE_GOAL_MB: f64 = 30.0;
const PEAK_GOAL_MB: f64 = 150.0;

/// The P5 section from the memory P1 read.
pub fn section(memory: &[Memory]) -> Section {
    let mut section = Section::new("P5 memory (RSS)");
    section.intro.push(
        "`VmRSS` half a second after the server answered its first redirect (idle), and `VmHWM` \
         (peak RSS) after the P1 load, from /proc/PID/status of the same processes as P1. \
         \"idle private\" is `RssAnon` at the idle reading: the part of the idle RSS that is the \
         process's own; the rest is file pages, mostly the binary's code, shared with every \
         process that maps the file."
            .to_owned(),
    );
    let Some(reference) = memory.first() else {
        section
            .notes
            .push("Not run: P1 produced no memory readings.".to_owned());
        return section;
    };
    let mut table = Table::new(&[
        "idle ratio to (a)",
        "peak ratio to (a)",
        "server",
        "idle RSS",
        "idle private",
        "peak RSS",
        "goal",
    ]);
    for m in memory {
        let (idle, peak) = (mb(m.idle_kib), mb(m.peak_kib));
        let goal_text = if m.server.contains("linkpulse") {
            let met = idle < IDLE_GOAL_MB && peak < PEAK_GOAL_MB;
            goal(
                met,
                format!("idle < {IDLE_GOAL_MB:.0} MB, peak < {PEAK_GOAL_MB:.0} MB"),
            )
        } else {
            String::new()
        };
        table.row(vec![
            ratio(idle, mb(reference.idle_kib)),
            ratio(peak, mb(reference.peak_kib)),
            m.server.clone(),
            format!("{idle:.1} MB"),
            format!("{:.1} MB", mb(m.idle_private_kib)),
            format!("{peak:.1} MB"),
            goal_text,
        ]);
    }
    section.tables.push(table);
    section
}

/// KiB to MB (10^6 bytes).
fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}
