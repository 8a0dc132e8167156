#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    amana::telemetry::init();
    amana::telemetry::quiet_panics();
    let cli = amana::cli::Cli::parse();
    match amana::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("amana: {e:#}");
            ExitCode::FAILURE
        }
    }
}
