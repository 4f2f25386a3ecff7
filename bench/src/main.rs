//! linkpulse's benchmark harness.
//!
//! `cargo run --release -p bench -- all [--quick]` builds the release binary, starts each server
//! on a random loopback port pinned to its own core, drives it with the built-in load generator
//! (pinned to the other cores), and prints one Markdown report (see `BENCHMARKS.md`).

mod bare;
mod db;
mod load;
mod loader;
mod machine;
mod mix;
mod procs;
mod report;
mod run;
mod scenarios;

use clap::{Parser, Subcommand};

/// linkpulse's benchmark harness.
#[derive(Debug, Parser)]
#[command(name = "bench", about)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands; `load` and `serve-bare` are started by `all` itself.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run every scenario (or those named with --only) and print the Markdown report.
    All(run::RunArgs),
    /// The load generator (one JSON line on stdout).
    #[command(hide = true)]
    Load(load::LoadArgs),
    /// A bare reference server for P1.
    #[command(hide = true)]
    ServeBare(bare::BareArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::All(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run::run(args)),
        Command::Load(args) => load::main(&args),
        Command::ServeBare(args) => bare::main(&args),
    }
}
