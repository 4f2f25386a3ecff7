//! The `linkpulse` binary: parse the command line and hand over to the application.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    linkpulse::app::run(linkpulse::config::Cli::parse()).await
}
