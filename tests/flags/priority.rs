//! `--pipeline-nice`, seen in the CPU priorities of the real binary's threads: the click
//! pipeline's threads (writer, workers, deliveries) run below the redirects by that much, while
//! the threads that answer redirects, and SQLite's connection threads that a `commit` redirect
//! waits on, keep the process's own priority.

use std::collections::BTreeSet;

use crate::backend_tests;
use crate::common::binary::Server;
use crate::common::{Backend, fresh_database};

/// Each thread's name and nice value, read from `/proc/PID/task/*/stat` (the name is in
/// parentheses, the nice value the 17th field after it).
fn nice_by_thread(pid: u32) -> Vec<(String, i64)> {
    let mut threads = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let stat = std::fs::read_to_string(task.unwrap().path().join("stat")).unwrap();
        let (open, close) = (stat.find('(').unwrap(), stat.rfind(')').unwrap());
        let name = stat[open + 1..close].to_owned();
        let nice = stat[close + 2..]
            .split(' ')
            .nth(16)
            .unwrap()
            .parse()
            .unwrap();
        threads.push((name, nice));
    }
    threads
}

/// The distinct nice values of the threads whose name starts with `prefix`.
fn nice_of(threads: &[(String, i64)], prefix: &str) -> Vec<i64> {
    let values: BTreeSet<i64> = threads
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, nice)| *nice)
        .collect();
    values.into_iter().collect()
}

/// The default, a smaller increment, and none: the pipeline's threads move, the others do not.
async fn pipeline_nice_lowers_only_the_pipeline_threads(backend: Backend) {
    let (url, _database) = fresh_database(backend).await;
    let own = nice_by_thread(std::process::id())[0].1;
    for (args, lowered) in [
        (&[][..], 10),
        (&["--pipeline-nice", "3"][..], 3),
        (&["--pipeline-nice", "0"][..], 0),
    ] {
        let server = Server::start(&url, args).await;
        let threads = nice_by_thread(server.pid());
        let pipeline = (own + lowered).min(19);
        assert_eq!(
            nice_of(&threads, "lp-pipeline"),
            [pipeline],
            "{args:?}: {threads:?}"
        );
        assert_eq!(
            nice_of(&threads, "tokio-rt-worker"),
            [own],
            "{args:?}: {threads:?}"
        );
        if backend == Backend::Sqlite {
            assert_eq!(
                nice_of(&threads, "sqlx-sqlite-wor"),
                [own],
                "{args:?}: {threads:?}"
            );
        }
    }
}

backend_tests!(pipeline_nice_lowers_only_the_pipeline_threads);
