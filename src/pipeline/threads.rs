//! The pipeline's own threads. The writer, the workers and the deliverer run on a runtime of
//! their own whose threads ask the kernel for a lower CPU priority (a higher nice value), so a
//! backlog being drained or a burst of enrichment never holds a redirect up: whenever a redirect
//! is ready to run it preempts them, and they use what the redirects leave of the CPU. Under
//! sustained full load nothing starves: once the click buffer is full the redirects wait for
//! room (back pressure), and the pipeline then has the CPU to itself.

use tokio::runtime::{Builder, Handle, Runtime};

/// Name of the pipeline's threads, as `top -H` and `perf` show them.
const THREAD_NAME: &str = "lp-pipeline";

/// The runtime the pipeline's tasks are spawned on; stopped once they have finished.
pub struct PipelineThreads {
    runtime: Runtime,
}

impl PipelineThreads {
    /// Starts `threads` runtime threads at `nice` (0: the redirects' own priority; up to 19).
    pub fn start(threads: usize, nice: u8) -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name(THREAD_NAME)
            .enable_all()
            .on_thread_start(move || lower_priority(nice))
            .build()?;
        Ok(Self { runtime })
    }

    /// Where pipeline tasks are spawned.
    pub fn handle(&self) -> &Handle {
        self.runtime.handle()
    }

    /// Stops the threads; call it after awaiting the tasks (what still runs is dropped).
    pub fn stop(self) {
        self.runtime.shutdown_background();
    }
}

/// The cores this process may run on (under `taskset`, the ones it was given): the pipeline's
/// threads, and its workers unless `--workers` says otherwise.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Raises the calling thread's nice value by `nice`. Threads spawned from it inherit it (as
/// SQLite's connection threads do when the pipeline opens a connection). A kernel that refuses
/// leaves the thread at its priority, which costs latency and nothing else.
fn lower_priority(nice: u8) {
    if nice == 0 {
        return;
    }
    let thread = rustix::thread::gettid();
    let current = rustix::process::getpriority_process(Some(thread)).unwrap_or(0);
    let wanted = (current + i32::from(nice)).min(19);
    if let Err(err) = rustix::process::setpriority_process(Some(thread), wanted) {
        tracing::debug!(error = %err, "pipeline thread keeps its CPU priority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipeline_threads_run_at_the_asked_lower_priority() {
        let own = rustix::process::getpriority_process(None).unwrap();
        let threads = PipelineThreads::start(1, 5).unwrap();
        let seen = threads.handle().block_on(async {
            tokio::spawn(async {
                rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
            })
            .await
            .unwrap()
        });
        threads.stop();
        assert_eq!(seen, (own + 5).min(19));
    }
}
