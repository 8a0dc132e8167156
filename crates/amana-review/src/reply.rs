//! `reply CASE [--message TEXT | --file PATH]`: a reply to the reporter, encrypted to the
//! reporter's recipient and to every reviewer of the case (SECURITY.md invariant 3), then
//! signed and sent (or queued with `--offline`).

use std::path::Path;

use amana_core::payload::Part;
use amana_core::wire::{paths, ReplyUpload};

use crate::cases;
use crate::compose;
use crate::home::Home;
use crate::output::say;
use crate::seal::{self, Audience};
use crate::session::{queued_note, Delivered, Delivery};

/// Where the reply's text comes from, and whether to reply to a case another reviewer holds.
pub struct Text<'a> {
    pub message: Option<&'a str>,
    pub file: Option<&'a Path>,
    pub anyway: bool,
}

/// Composes, encrypts, signs, and sends or queues a reply.
pub fn run(
    home: &Home,
    prefix: &str,
    text: Text<'_>,
    server: Option<&str>,
    offline: bool,
) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    // Before the editor opens: a second officer learns at once that someone holds the case.
    crate::custody::check_holder(home, &case, text.anyway)?;
    let head = case.verified_head()?;
    let author = home.read_config()?.key_id;
    let b = &case.bundle;
    let context = format!(
        "Reply to case {} ({}, {}), status {}, received {}.\nThe reporter reads this reply with their code; so do the case's reviewers.",
        b.id,
        b.kind,
        cases::printable(&b.agency),
        b.status,
        b.received_on
    );
    let text = compose::text(home, text.message, text.file, "reply", &context)?;
    let sealed = seal::seal(
        &case.bundle,
        &crate::readers::of_case(home, &case.bundle)?,
        Part::Reply,
        &author,
        &text,
        Audience::ReporterAndReviewers,
        "reply",
    )?;
    drop(text);
    let body = serde_json::to_vec(&ReplyUpload { age_b64: sealed.age_b64, head })?;

    let delivery = Delivery::open(home, server, offline)?;
    let id = &case.bundle.id;
    let readers = sealed.readers.join(", ");
    match delivery.post(home, &paths::replies(id), body, id, "reply")? {
        Delivered::Sent => say!("case {id}: reply sent, encrypted to: {readers}"),
        Delivered::Queued(path) => {
            say!("case {id}: reply encrypted to: {readers}");
            say!("{}", queued_note(&path));
        }
    }
    Ok(())
}
