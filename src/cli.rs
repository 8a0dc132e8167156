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
    /// Back up the database and, encrypted to an operator age recipient, the secrets.
    Backup(BackupArgs),
    /// Restore a SQLite backup and its secrets into an empty data directory.
    Restore(RestoreArgs),
}

/// `amana backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub data: DataSettings,
    /// Output path without extension: writes OUT.db (or OUT.pgdump) and OUT.secrets.age.
    #[arg(long)]
    pub out: PathBuf,
    /// The operator's age recipient (age1…) the secrets are encrypted to.
    #[arg(long)]
    pub to: String,
}

/// `amana restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Empty data directory to restore into.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The `.db` file written by `amana backup`.
    #[arg(long)]
    pub db: PathBuf,
    /// The `.secrets.age` file written by `amana backup`.
    #[arg(long)]
    pub secrets: PathBuf,
    /// The operator's age identity file that opens the secrets.
    #[arg(long)]
    pub identity: PathBuf,
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
        Command::Backup(b) => {
            for path in crate::backup::backup(&b.data, &b.out, &b.to).await? {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        Command::Restore(r) => {
            crate::backup::restore(&r.data_dir, &r.db, &r.secrets, &r.identity)?;
            println!("restored into {}", r.data_dir.display());
            Ok(())
        }
    }
}
