//! `amana-review`: the reviewer CLI of Amana.
//!
//! Reviewers keep their keys and the pulled, still-encrypted cases in a home directory
//! (`--home`, see [`home`]). Case content is decrypted only in memory, on the reviewer's
//! machine (`show`); every action sent to the server is a signed request ([`client`]),
//! sent at once or, on an air-gapped laptop, carried as a file ([`outbox`], [`airgap`]).
//! Every pull verifies the case history before storing it ([`accept`], [`history`]) and
//! fetches attachment files, still encrypted ([`attachments`]); `export` decrypts them into
//! a private folder with safe names ([`safe_name`]), reports identifying metadata
//! ([`metadata`]), can strip it ([`strip`]), and records the folder for purging
//! ([`retention`]).
#![forbid(unsafe_code)]

mod accept;
mod acknowledged;
mod airgap;
mod attachments;
mod attested;
mod authorized_pull;
mod bundle_reader;
mod cases;
mod ceremony;
mod cli;
mod client;
mod compose;
mod content_check;
mod cursor;
mod custody;
mod custody_check;
mod desk;
mod durable;
mod error;
mod evaluation;
mod evidence;
mod export;
mod extend;
mod facts;
mod fetch;
mod gone;
mod heads;
mod heads_first;
mod history;
mod hold;
mod home;
mod html_escape;
mod improvement;
mod inbox;
mod key_cache;
mod keygen;
mod kpis;
mod metadata;
mod officers;
mod outbox;
mod output;
mod paged;
mod passphrase;
mod period;
mod publish;
mod pull;
mod quarantine;
mod readers;
mod receipt;
mod reply;
mod report;
mod retention;
mod rewrap;
mod room;
mod safe_name;
mod seal;
mod session;
mod show;
mod spam;
mod status;
mod strip;
#[cfg(test)]
mod testkit;
mod trust;
mod visit_tokens;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::ReviewError;
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

/// Parses the command line and runs the chosen command. The home is resolved only by the
/// commands that use one: the connected machine's `pull --authorization` and `push` have none.
fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let home = || Home::resolve(cli.home.clone());
    let server = cli.server.as_deref();
    let offline = cli.offline;
    let online_only = |name: &'static str, hint: &'static str| {
        if offline {
            Err(ReviewError::NeedsNetwork(name, hint))
        } else {
            Ok(())
        }
    };
    if !matches!(cli.command, Command::PurgeExports { .. }) {
        if let Ok(home) = home() {
            retention::remind(&home);
        }
    }
    match &cli.command {
        Command::Keygen(args) => keygen::run(&home()?, args, server),
        Command::Pull(args) => match (&args.authorization, &args.out) {
            (Some(auth), Some(out)) => {
                online_only("pull --authorization", "run it on the connected machine")?;
                authorized_pull::run(server, auth, out)
            }
            _ => {
                online_only("pull", "use `authorize-pull`, then `import` the bundle")?;
                let opts = paged::Options {
                    full: args.full,
                    files_budget: args.files_budget,
                    page_size: args.page_size,
                    progress: None,
                };
                pull::run(&home()?, server, opts)
            }
        },
        Command::Import { bundle } => pull::import(&home()?, bundle),
        Command::TrustRoster { fingerprint, replace } => trust::run_trust(&home()?, fingerprint, *replace),
        Command::RosterKeygen { out, no_passphrase } => ceremony::keygen(out, *no_passphrase),
        Command::RosterSign { roster_key, keys, attestation_key, version, out, vouch_from } => {
            ceremony::sign(&ceremony::SignArgs {
                roster_key,
                keys,
                attestation_key: attestation_key.as_deref(),
                version: *version,
                out: out.as_deref(),
                vouch_from: vouch_from.as_deref(),
            })
        }
        Command::List => cases::list(&home()?),
        Command::Heads { case } => heads::print(&home()?, case.as_deref()),
        Command::Show { case } => show::run(&home()?, case),
        Command::Fetch { case, attachment } => {
            online_only("fetch", "attachment content needs the server")?;
            fetch::run(&home()?, server, case, attachment.as_deref())
        }
        Command::Status { case, status, note } => {
            status::run(&home()?, case, *status, note.as_deref(), server, offline)
        }
        Command::Hold { case, reason, review_on } => {
            hold::hold(&home()?, case, reason, *review_on, server, offline)
        }
        Command::Release { case } => hold::release(&home()?, case, server, offline),
        Command::Spam { cases, new } => spam::run(&home()?, cases, *new, server, offline),
        Command::Reply { case, message, file, anyway } => {
            let text = reply::Text { message: message.as_deref(), file: file.as_deref(), anyway: *anyway };
            reply::run(&home()?, case, text, server, offline)
        }
        Command::Extend { case, days, reason } => extend::run(&home()?, case, *days, reason, server, offline),
        Command::Rewrap { case } => rewrap::run(&home()?, case, server, offline),
        Command::Transfer { case, agency } => custody::transfer(&home()?, case, agency, server, offline),
        Command::Exclude { case, reviewer } => custody::exclude(&home()?, case, reviewer, server, offline),
        Command::Assign { case, to } => custody::assign(&home()?, case, to.as_deref(), server, offline),
        Command::Inbox => {
            online_only("inbox", "`list` shows the cases of the last import")?;
            inbox::run(&home()?, server)
        }
        Command::AuthorizePull { out, full } => airgap::authorize_pull(&home()?, out.as_deref(), *full),
        Command::Push { dir } => {
            online_only("push", "run it on the connected machine")?;
            airgap::push(server, dir)
        }
        Command::VerifyReceipt { receipt, text_file, server_key } => {
            let home = home().ok();
            if offline && server_key.is_none() {
                online_only("verify-receipt without --server-key", "pass --server-key BASE64")?;
            }
            receipt::run(receipt, text_file, server_key.as_deref(), server, home.as_ref())
        }
        Command::PublishFigures { file } => publish::upload(server, file),
        Command::Kpis { publish: Some(out), period: Some(period), k, .. } => {
            publish::run(&home()?, *period, *k, out)
        }
        Command::Kpis { json, csv, period, officers, html, lang, k, .. } => {
            let format = match (json, csv) {
                (true, _) => kpis::Format::Json,
                (_, true) => kpis::Format::Csv,
                _ => kpis::Format::Table,
            };
            let html = html.clone().map(|out| kpis::Html { out, lang: *lang, k: *k });
            kpis::run(&home()?, &kpis::Request { format, period: *period, officers: *officers, html })
        }
        Command::Improvement { action } => improvement::run(&home()?, server, action),
        Command::VisitTokens { agency, centre, count, valid_until, out } => {
            let r = visit_tokens::Request {
                agency,
                centre: centre.as_deref(),
                count: *count,
                valid_until: *valid_until,
                out,
            };
            visit_tokens::run(&home()?, &r)
        }
        Command::Desk(args) => desk::run(home()?, args, server, offline),
        Command::Export { case, dir, strip } => export::run(&home()?, case, dir, *strip),
        Command::PurgeExports { older_than_days } => retention::purge(&home()?, *older_than_days),
    }
}
