//! The `amana` command line: a subcommand dispatcher over the library.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
    Serve(Box<ServeSettings>),
    /// Apply database migrations and exit.
    Migrate(DataSettings),
    /// Create the pepper and the server signing key (mode 0600) if absent. With PostgreSQL
    /// nodes never create them: run this once, then copy both files to every node.
    InitSecrets(SecretsArgs),
}

/// Where `init-secrets` writes.
#[derive(Debug, Args)]
pub struct SecretsArgs {
    /// Data directory that receives `pepper` and `server-signing.key`.
    #[arg(long, env = "AMANA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(s) => crate::startup::Application::build(*s).await?.run().await,
        Command::Migrate(d) => {
            std::fs::create_dir_all(&d.data_dir)?;
            crate::startup::open_store(&d).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::InitSecrets(a) => crate::startup::init_secrets(&a.data_dir),
    }
}
