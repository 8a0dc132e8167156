//! The command line (clap derive).

use std::path::PathBuf;

use amana_core::case::Status;
use clap::{Args, Parser, Subcommand};

/// Amana reviewer CLI: decrypt cases on your own machine, sign every action.
#[derive(Debug, Parser)]
#[command(name = "amana-review", version, about, max_term_width = 100)]
pub struct Cli {
    /// Reviewer home directory: keys, config.toml and pulled cases
    /// [default: $HOME/.amana-review]
    #[arg(long, global = true, env = "AMANA_REVIEW_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Server base URL, e.g. https://amana.example.org (overrides config.toml's `server`)
    #[arg(long, global = true, env = "AMANA_SERVER", value_name = "URL")]
    pub server: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create your keys: an age identity (decrypts cases) and an Ed25519 signing key
    /// (signs your actions), and print the public entry for the server's keys/reviewers/
    Keygen(KeygenArgs),
    /// Download the cases in your scope (still encrypted) into the home directory
    Pull,
    /// List pulled cases (offline)
    List,
    /// Decrypt and print a pulled case (offline)
    Show {
        /// Case id, or a unique prefix of it
        case: String,
    },
    /// Move a case to a new status (a signed request to the server)
    Status {
        /// Case id, or a unique prefix of it
        case: String,
        /// The new status: acknowledged, in_review, needs_info, closed_action_taken,
        /// closed_unfounded or closed_referred
        #[arg(value_parser = parse_status, value_name = "NEW_STATUS")]
        status: Status,
    },
}

/// `keygen` options.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Your key id, as it will appear in keys/reviewers/<ID>.toml (lowercase letters,
    /// digits, '-' or '_')
    #[arg(long, value_name = "ID")]
    pub id: String,

    /// An agency you serve (repeat for several)
    #[arg(long = "agency", value_name = "AGENCY")]
    pub agencies: Vec<String>,

    /// You are an oversight reviewer: every case is encrypted to you
    #[arg(long)]
    pub oversight: bool,

    /// Store the keys unprotected (only for test machines: anyone who can read the
    /// files can read your cases and act in your name)
    #[arg(long)]
    pub no_passphrase: bool,
}

/// Parses a status name, listing the valid names when it is unknown.
fn parse_status(s: &str) -> Result<Status, String> {
    s.parse().map_err(|_| {
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown status; use one of: {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn status_help_names_every_target() {
        let help = Cli::command()
            .find_subcommand_mut("status")
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        let targets = Status::ALL.into_iter().filter(|s| *s != Status::Received);
        for status in targets {
            assert!(help.contains(status.as_str()), "{status} missing from: {help}");
        }
    }

    #[test]
    fn status_names() {
        assert_eq!(parse_status("in_review"), Ok(Status::InReview));
        let err = parse_status("done").expect_err("unknown");
        assert!(err.contains("closed_unfounded"), "{err}");
    }
}
