//! `amana-review`: the reviewer CLI of Amana.
//!
//! Reviewers keep their keys and the pulled, still-encrypted cases in a home directory
//! (`--home`, see [`home`]). Case content is decrypted only in memory, on the reviewer's
//! machine (`show`); every action sent to the server is a signed request ([`client`]).
#![forbid(unsafe_code)]

mod cases;
mod cli;
mod client;
mod error;
mod home;
mod keygen;
mod output;
mod passphrase;
mod pull;
mod show;
mod status;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::home::Home;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` keeps the context chain on one line: "what we did: why it failed".
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the command line and runs the chosen command.
fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let home = Home::resolve(cli.home)?;
    let server = cli.server;
    match cli.command {
        Command::Keygen(args) => keygen::run(&home, &args, server.as_deref()),
        Command::Pull => pull::run(&home, server.as_deref()),
        Command::List => cases::list(&home),
        Command::Show { case } => show::run(&home, &case),
        Command::Status { case, status } => status::run(&home, &case, status, server.as_deref()),
    }
}
