//! `transfer CASE AGENCY`, `exclude CASE REVIEWER` (oversight only) and `assign CASE
//! [--to REVIEWER]` (issue 15).
//!
//! A transfer or an exclusion changes who reads the case, so it re-encrypts every envelope
//! this identity opens to the new readers — computed here from the signed roster and the
//! case's signed history (`amana_core::custody::readers`), never taken from the server — and
//! sends them in the same signed request as the action, with the readers' key ids, so every
//! home can check that nobody the roster does not authorise, or oversight excluded, was
//! added. Evidence files are not re-encrypted: the server stops serving them to former
//! readers, and what remains is said (SECURITY.md, "Transfers and exclusions").

use amana_core::custody::{self, AssignRequest, ExcludeRequest, TransferRequest};
use amana_core::roster::{Roster, RosterEntry};
use amana_core::wire::{paths, CaseBundle};

use crate::cases::{self, printable, LocalCase};
use crate::error::ReviewError;
use crate::home::Home;
use crate::output::say;
use crate::readers::custody_of;
use crate::rewrap;
use crate::session::{queued_note, Delivered, Delivery};

/// The roster, if this home's key is oversight in it.
fn oversight_roster(home: &Home, action: &'static str) -> Result<Roster, ReviewError> {
    let me = crate::trust::me(home)?;
    if !me.is_oversight() {
        return Err(ReviewError::CustodyNotOversight { action, me: me.key_id });
    }
    Ok(me.roster)
}

fn refused(bundle: &CaseBundle, why: String) -> ReviewError {
    ReviewError::CustodyRefused { case: bundle.id.clone(), why }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Moves a case to `agency`, re-encrypted to that agency's readers and oversight.
pub fn transfer(
    home: &Home,
    prefix: &str,
    agency: &str,
    server: Option<&str>,
    offline: bool,
) -> anyhow::Result<()> {
    let roster = oversight_roster(home, "transfer")?;
    let case = cases::find(home, prefix)?;
    let bundle = &case.bundle;
    // The server's reader list for the case as it is must be the roster's first.
    crate::readers::compute(&roster, bundle, today())?;
    let mut custody = custody_of(bundle);
    if custody.agency == agency {
        return Err(refused(bundle, format!("it already belongs to {}", printable(agency))).into());
    }
    custody.agency = agency.to_string();
    let readers: Vec<RosterEntry> =
        custody::readers(&roster, &custody, bundle.oversight_only, today()).into_iter().cloned().collect();
    let (envelopes, skipped) = rewrap::reencrypt_all(home, &case, &readers)?;
    let body = TransferRequest {
        head: case.verified_head()?,
        agency: agency.to_string(),
        readers: ids(&readers),
        envelopes,
    };
    let what = format!("transferred to {}", printable(agency));
    let delivery = Delivery::open(home, server, offline)?;
    let body = serde_json::to_vec(&body)?;
    send(home, &case, &paths::transfer(&bundle.id), body, "transfer", (&what, &readers, &skipped), &delivery)
}

/// Excludes `reviewer` from a case, re-encrypted to the readers left.
pub fn exclude(
    home: &Home,
    prefix: &str,
    reviewer: &str,
    server: Option<&str>,
    offline: bool,
) -> anyhow::Result<()> {
    let roster = oversight_roster(home, "exclude a reviewer from")?;
    let case = cases::find(home, prefix)?;
    let bundle = &case.bundle;
    let before = crate::readers::compute(&roster, bundle, today())?;
    if !before.iter().any(|r| r.id == reviewer) {
        return Err(refused(bundle, format!("`{}` is not one of its readers", printable(reviewer))).into());
    }
    if home.read_config()?.key_id == reviewer {
        return Err(
            refused(bundle, "you cannot exclude yourself: ask another oversight reviewer".into()).into()
        );
    }
    let mut custody = custody_of(bundle);
    custody.excluded.push(reviewer.to_string());
    let readers: Vec<RosterEntry> =
        custody::readers(&roster, &custody, bundle.oversight_only, today()).into_iter().cloned().collect();
    if !readers.iter().any(|r| r.oversight) {
        return Err(refused(bundle, "it would leave no oversight reader".into()).into());
    }
    let (envelopes, skipped) = rewrap::reencrypt_all(home, &case, &readers)?;
    let body = ExcludeRequest {
        head: case.verified_head()?,
        reviewer: reviewer.to_string(),
        readers: ids(&readers),
        envelopes,
    };
    let what = format!("{} excluded", printable(reviewer));
    let delivery = Delivery::open(home, server, offline)?;
    let body = serde_json::to_vec(&body)?;
    send(home, &case, &paths::exclude(&bundle.id), body, "exclude", (&what, &readers, &skipped), &delivery)
}

/// Takes a case (`to` = None) or hands it to another of its readers.
pub fn assign(
    home: &Home,
    prefix: &str,
    to: Option<&str>,
    server: Option<&str>,
    offline: bool,
) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    let bundle = &case.bundle;
    let me = home.read_config()?.key_id;
    let holder = to.unwrap_or(&me).to_string();
    let readers = crate::readers::of_case(home, bundle)?;
    if !readers.iter().any(|r| r.id == holder) {
        return Err(refused(bundle, format!("`{}` is not one of its readers", printable(&holder))).into());
    }
    if custody_of(bundle).holder.as_deref() == Some(holder.as_str()) {
        return Err(refused(bundle, format!("{} holds it already", printable(&holder))).into());
    }
    let body = serde_json::to_vec(&AssignRequest { head: case.verified_head()?, holder: holder.clone() })?;
    let delivery = Delivery::open(home, server, offline)?;
    match delivery.post(home, &paths::assign(&bundle.id), body, &bundle.id, "assign")? {
        Delivered::Sent => say!("case {}: now held by {}", bundle.id, printable(&holder)),
        Delivered::Queued(path) => say!("{}", queued_note(&path)),
    }
    Ok(())
}

/// Refuses a reply to a case someone else holds, unless `anyway`.
pub fn check_holder(home: &Home, case: &LocalCase, anyway: bool) -> Result<(), ReviewError> {
    let me = home.read_config()?.key_id;
    match custody_of(&case.bundle).holder {
        Some(holder) if holder != me && !anyway => {
            Err(ReviewError::HeldByAnother { case: case.bundle.id.clone(), holder: printable(&holder) })
        }
        Some(holder) if holder != me => {
            eprintln!("warning: case {} is held by {}; replying anyway", case.bundle.id, printable(&holder));
            Ok(())
        }
        _ => Ok(()),
    }
}

fn ids(readers: &[RosterEntry]) -> Vec<String> {
    readers.iter().map(|r| r.id.clone()).collect()
}

/// Signs and sends (or queues) a re-encrypting action, then says what it did and what it left.
fn send(
    home: &Home,
    case: &LocalCase,
    path: &str,
    body: Vec<u8>,
    action: &str,
    (what, readers, skipped): (&str, &[RosterEntry], &rewrap::Skipped),
    delivery: &Delivery,
) -> anyhow::Result<()> {
    let bundle = &case.bundle;
    rewrap::check_size(bundle, &body)?;
    let outcome = delivery.post(home, path, body, &bundle.id, action)?;
    let names: Vec<String> = readers.iter().map(|r| printable(&r.id)).collect();
    say!(
        "case {}: {what}; envelopes re-encrypted to: {} (and the reporter, for follow-ups and replies)",
        bundle.id,
        names.join(", ")
    );
    rewrap::report_skipped(bundle, skipped);
    if !bundle.attachments.is_empty() {
        say!("the server no longer serves those evidence files to anyone outside the new readers");
    }
    match outcome {
        Delivered::Sent => say!("sent; run `amana-review pull` to store the new envelopes"),
        Delivered::Queued(p) => say!("{}", queued_note(&p)),
    }
    Ok(())
}
