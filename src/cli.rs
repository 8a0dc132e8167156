//! The `amana` command line: a subcommand dispatcher over the library.

use clap::{Parser, Subcommand};

use crate::config::{DataSettings, ServeSettings};

/// Amana: secure intake for anonymous reports and the citizen voice.
#[derive(Debug, Parser)]
#[command(name = "amana", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (reporter pages, reporter API, reviewer API).
    Serve(ServeSettings),
    /// Apply database migrations and exit.
    Migrate(DataSettings),
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(s) => crate::startup::Application::build(s).await?.run().await,
        Command::Migrate(d) => {
            std::fs::create_dir_all(&d.data_dir)?;
            crate::startup::open_store(&d).await?;
            println!("migrations applied");
            Ok(())
        }
    }
}
