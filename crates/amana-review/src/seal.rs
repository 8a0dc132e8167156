//! Encrypting what a reviewer writes (SECURITY.md invariant 3): a reply goes to the case's
//! reporter recipient and to every reviewer who may read the case (computed from the roster,
//! [`crate::readers`]); a note (status note, extension reason) goes to those reviewers only,
//! never to the reporter.

use amana_core::envelope;
use amana_core::payload::{Part, Payload};
use amana_core::roster::RosterEntry;
use amana_core::signing::MAX_REQUEST_FILE_BODY;
use amana_core::wire::CaseBundle;
use base64::{engine::general_purpose::STANDARD as B64, Engine};

use crate::error::ReviewError;

/// An encrypted reply or note, ready for a request body.
pub struct Sealed {
    /// The age file, base64.
    pub age_b64: String,
    /// Who can open it, for the reviewer to see: "the reporter" and reviewer key ids.
    pub readers: Vec<String>,
}

/// Who a part is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The reporter and the case's reviewers (a reply).
    ReporterAndReviewers,
    /// The case's reviewers only (a note).
    ReviewersOnly,
}

/// A note for the case's reviewers only (a status note, an extension or hold reason), written
/// by this home's reviewer; blank text is refused before anything is encrypted or signed.
pub fn note(
    home: &crate::home::Home,
    case: &CaseBundle,
    text: &str,
    what: &'static str,
) -> Result<Sealed, ReviewError> {
    if text.trim().is_empty() {
        return Err(ReviewError::EmptyText(what));
    }
    let author = home.read_config()?.key_id;
    let readers = crate::readers::of_case(home, case)?;
    seal(case, &readers, Part::Note, &author, text, Audience::ReviewersOnly, what)
}

/// A payload this release made but could not read back: refused, never sent.
fn not_a_payload(case: &CaseBundle, cause: amana_core::payload::PayloadError) -> ReviewError {
    ReviewError::Payload { case: case.id.clone(), envelope: "(not sent)".into(), cause }
}

/// Encrypts `body` as a `part` payload written today by `author`.
pub fn seal(
    case: &CaseBundle,
    readers: &[RosterEntry],
    part: Part,
    author: &str,
    body: &str,
    audience: Audience,
    what: &'static str,
) -> Result<Sealed, ReviewError> {
    if readers.is_empty() {
        return Err(ReviewError::NoRecipients { case: case.id.clone(), what: "reviewer" });
    }
    let mut list: Vec<String> = Vec::with_capacity(readers.len() + 1);
    let mut names = Vec::with_capacity(readers.len() + 1);
    if audience == Audience::ReporterAndReviewers {
        if case.reporter_recipient.is_empty() {
            return Err(ReviewError::NoRecipients { case: case.id.clone(), what: "reporter" });
        }
        list.push(case.reporter_recipient.clone());
        names.push("the reporter".to_string());
    }
    for r in readers {
        list.push(r.age_recipient.clone());
        names.push(crate::cases::printable(&r.id));
    }
    let recipients = envelope::parse_recipients(&list)
        .map_err(|e| ReviewError::BadRecipient { case: case.id.clone(), detail: e.to_string() })?;
    let payload = Payload {
        salt: None,
        part,
        kind: None,
        agency: None,
        body: body.to_string(),
        contact: None,
        written_on: time::OffsetDateTime::now_utc().date(),
        author: Some(author.to_string()),
    };
    let too_long = || ReviewError::TextTooLong(what, MAX_REQUEST_FILE_BODY / 1024);
    let plain = payload.encode().map_err(|_| too_long())?;
    // Nothing leaves this laptop that a reader could not decode: the reporter's page and
    // every reviewer's `show` read exactly what `Payload::decode` accepts.
    match Payload::decode(&plain) {
        Ok(back) if back.part == part && back.body == payload.body => {}
        Ok(_) => {
            return Err(not_a_payload(
                case,
                amana_core::payload::PayloadError::Json("it decodes to another message".into()),
            ))
        }
        Err(cause) => return Err(not_a_payload(case, cause)),
    }
    let ciphertext = envelope::encrypt(&plain, &recipients)
        .map_err(|e| ReviewError::BadRecipient { case: case.id.clone(), detail: e.to_string() })?;
    let age_b64 = B64.encode(ciphertext);
    // Leave room for the JSON around it: the server refuses bodies above this size.
    if age_b64.len() + 1024 > MAX_REQUEST_FILE_BODY {
        return Err(too_long());
    }
    Ok(Sealed { age_b64, readers: names })
}
