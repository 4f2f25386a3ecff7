//! The `linkpulse` binary: parse the command line and hand over to the application.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    match linkpulse::app::run(linkpulse::config::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A user's error (bad flag, unreachable database) in one line; bugs panic and keep
            // their backtrace.
            eprintln!("error: {}", linkpulse::app::one_line(&err));
            ExitCode::FAILURE
        }
    }
}
