//! `pull`, `pull --authorization FILE --out BUNDLE` and `import BUNDLE`.
//!
//! Online, `pull` signs the request, fetches the case list and hands it to [`accept`]. On the
//! air-gapped path the same list travels as a file: the connected machine sends a signed
//! authorization made by `authorize-pull` and writes the answer, byte for byte, to a bundle
//! (it needs no key and no home); the laptop then `import`s the bundle, which is verified and
//! stored exactly like an online pull.

use std::path::Path;

use amana_core::wire::{paths, CaseList};

use crate::accept::{self, Summary};
use crate::attachments;
use crate::client::{parse_json, read_request_file, Client, Method};
use crate::error::{io_error, ReviewError};
use crate::home::{self, Home};
use crate::output::say;
use crate::session::Session;

/// `pull` (online, with the home's keys): the case list, then every attachment file the
/// home does not hold yet (ciphertext only).
pub fn run(home: &Home, server: Option<&str>) -> anyhow::Result<()> {
    let session = Session::open(home, server)?;
    let body = session.call(Method::Get, paths::CASES_PULL, Vec::new())?;
    let summary = accept::accept(home, &body, &session.url(paths::CASES))?;
    report("pulled", &summary);
    let fetched = attachments::fetch_missing(&session, home, &summary.listed)?;
    if fetched.files > 0 || fetched.present > 0 {
        say!(
            "attachments: {} fetched ({} bytes, still encrypted), {} already here",
            fetched.files,
            fetched.bytes,
            fetched.present
        );
    }
    for failure in &fetched.failed {
        eprintln!("error: {failure}");
    }
    if !fetched.failed.is_empty() {
        return Err(ReviewError::FetchIncomplete(fetched.failed.len()).into());
    }
    crate::improvement::fetch(&session, home);
    quarantined(&summary)
}

/// Fails (non-zero exit) while the pull left cases quarantined, or a case lacks a request
/// the server acknowledged; the rest is stored.
fn quarantined(s: &Summary) -> anyhow::Result<()> {
    if !s.quarantined.is_empty() {
        Err(ReviewError::Quarantined(s.quarantined.len()).into())
    } else if !s.lacking.is_empty() {
        Err(ReviewError::AcknowledgedMissing(s.lacking.len()).into())
    } else {
        Ok(())
    }
}

/// `import BUNDLE` (offline): the same verification and writing as an online pull. A
/// bundle carries the attachment list but not the files' content.
pub fn import(home: &Home, bundle: &Path) -> anyhow::Result<()> {
    let body = std::fs::read(bundle).map_err(io_error(bundle))?;
    let summary = accept::accept(home, &body, &bundle.display().to_string())?;
    report("imported", &summary);
    let missing = attachments::count_missing(home, &summary.listed)?;
    if missing > 0 {
        say!(
            "note: {missing} attachment file{} not fetched: a bundle carries only the file list \
             (names and sizes are readable with `show`); the content needs an online `pull`",
            if missing == 1 { " was" } else { "s were" }
        );
    }
    quarantined(&summary)
}

/// `pull --authorization FILE --out BUNDLE` (connected machine, no keys, no home).
pub fn with_authorization(server: Option<&str>, authorization: &Path, out: &Path) -> anyhow::Result<()> {
    let server = server.filter(|s| !s.is_empty()).ok_or(ReviewError::NoServerFlag)?;
    let file = read_request_file(authorization)?;
    // An older laptop's authorization names case-list format 2: still sent (the server
    // answers it, or says "upgrade" while a case in scope needs format 3).
    let pull = [paths::CASES_PULL, "/api/v1/review/cases?format=2"];
    if file.method != "GET" || !pull.contains(&file.path.as_str()) {
        return Err(ReviewError::WrongRequest {
            path: authorization.to_path_buf(),
            what: format!("signed {} {}, not a pull authorization", file.method, file.path.escape_debug()),
            hint: "make one with `amana-review authorize-pull` on the laptop",
        }
        .into());
    }
    let client = Client::new(server)?;
    let body = client.send_file(&file, authorization)?;
    // Parsed only to fail early on a wrong answer; the bundle is the answer byte for byte.
    let list: CaseList = parse_json(&client.url(paths::CASES), &body)?;
    home::replace_file(out, &body)?;
    let n = list.cases.len();
    say!(
        "wrote {} ({n} case{}, still encrypted): carry it to the laptop and run `amana-review import {}`",
        out.display(),
        plural(n),
        out.display()
    );
    let files: usize = list.cases.iter().map(|c| c.attachments.len()).sum();
    if files > 0 {
        say!(
            "note: the bundle lists {files} attachment file{} but does not carry their content; \
             fetching it needs an online `pull` with the reviewer's keys",
            plural(files)
        );
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Prints what a pull or import did.
fn report(verb: &str, s: &Summary) {
    say!("{verb} {} case{} ({} new); history verified", s.cases, plural(s.cases), s.new);
    match s.roster {
        (now, Some(before)) if now != before => {
            say!("roster: now version {now} (was {before}), signed by the pinned roster key")
        }
        (now, None) => say!("roster: version {now}, signed by the pinned roster key"),
        _ => {}
    }
    for (id, on) in &s.revoked {
        say!(
            "reviewer key {} is REVOKED from {on} (signed roster): only its actions this home verified before, \
             or that the roster vouches for, still count",
            crate::cases::printable(id)
        );
    }
    for (id, why) in &s.quarantined {
        eprintln!("QUARANTINED case {}: {why}", crate::cases::printable(id));
    }
    for a in &s.lacking {
        eprintln!(
            "NOT IN HISTORY: your {} on case {}, acknowledged by the server on {}",
            crate::cases::printable(&a.action),
            crate::cases::printable(&a.case),
            a.on
        );
    }
    if s.applied > 0 {
        say!(
            "{} outbox request{} applied by the server, moved to outbox/sent/",
            s.applied,
            plural(s.applied)
        );
    }
    if !s.missing.is_empty() {
        eprintln!(
            "note: {} case{} you hold {} no longer listed (purged after closure, or out of your scope): {}",
            s.missing.len(),
            plural(s.missing.len()),
            if s.missing.len() == 1 { "is" } else { "are" },
            s.missing.join(", ")
        );
    }
}
