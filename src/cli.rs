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
    /// Restore a backup (SQLite, or PostgreSQL into an empty database) and its secrets into
    /// an empty data directory.
    Restore(RestoreArgs),
    /// Delete closed cases past their retention period (per kind), never within N days of
    /// the newest reporter content; then scrub the database (SQLite: secure_delete and a
    /// WAL checkpoint; PostgreSQL: VACUUM).
    Purge(PurgeArgs),
}

/// `amana purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub data: DataSettings,
    #[command(flatten)]
    pub retention: crate::config::RetentionArgs,
    /// List the cases that are due, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
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
    /// The `.db` (SQLite; its `.pieces` file is read from beside it) or `.pgdump` (PostgreSQL)
    /// file written by `amana backup`.
    #[arg(long)]
    pub db: PathBuf,
    /// The `.secrets.age` file written by `amana backup`.
    #[arg(long)]
    pub secrets: PathBuf,
    /// The operator's age identity file that opens the secrets.
    #[arg(long)]
    pub identity: PathBuf,
    /// For a `.pgdump`: the new, empty PostgreSQL database to restore into.
    #[arg(long, env = "AMANA_DATABASE_URL")]
    pub database_url: Option<String>,
}

/// Where `init-secrets` writes.
#[derive(Debug, Args)]
pub struct SecretsArgs {
    /// Data directory that receives `pepper` and `server-signing.key`.
    #[arg(long, env = "AMANA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Add the next pepper version (`pepper.N`) for new codes; old codes keep working
    /// under theirs (ops/README.md, "Incident response", "Leaked pepper").
    #[arg(long)]
    pub new_pepper: bool,
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
        Command::InitSecrets(a) => crate::startup::init_secrets(&a.data_dir, a.new_pepper),
        Command::Backup(b) => {
            for path in crate::backup::backup(&b.data, &b.out, &b.to).await? {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        Command::Purge(p) => purge(p).await,
        Command::Restore(r) => {
            crate::backup::restore(&r.data_dir, &r.db, &r.secrets, &r.identity, r.database_url.as_deref())
                .await?;
            println!("restored into {}", r.data_dir.display());
            Ok(())
        }
    }
}

async fn purge(p: PurgeArgs) -> anyhow::Result<()> {
    let policy = p.retention.policy()?;
    let store = crate::startup::open_store(&p.data).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let report = crate::retention::purge(store.as_ref(), &policy, today, p.dry_run).await?;
    let verb = if p.dry_run { "due for purging (dry run, nothing deleted)" } else { "purged" };
    println!(
        "{} closed case(s) {verb}; {} closed case(s) kept, {} of them past their period but on legal hold",
        report.purged.len(),
        report.kept,
        report.held
    );
    for id in &report.purged {
        println!("  {id}");
    }
    anyhow::ensure!(
        report.scrubbed,
        "the cases were deleted, but the SQLite WAL could not be checkpointed and truncated \
         (readers kept it busy): run `amana purge` again, or stop the server and run it"
    );
    Ok(())
}
