//! `rewrap CASE`: re-encrypts a pulled case's envelopes to the recipients the server lists
//! for it now (after a reviewer was added or revoked), as one signed request.
//!
//! Every envelope this identity can open is decrypted, checked to be a valid payload of
//! its part, hashed (SHA-256, ring) and encrypted again to the case's current reviewers —
//! plus the reporter's recipient for the parts the reporter reads (follow-ups and replies).
//! The hashes travel in the signed request and so in the signed `rewrapped` event, and every
//! later pull checks that each new envelope decrypts to exactly that plaintext.
//! It refuses a recipient set without an oversight reviewer, and a reporter-readable part
//! without the reporter's recipient: a rewrap never shuts out oversight or the reporter.
//! Evidence files are not rewrapped (their content is a large stream): they keep the
//! recipients they were stored with.

use amana_core::envelope::{self, EnvelopeError};
use amana_core::payload::{Part, Payload};
use amana_core::roster::RosterEntry;
use amana_core::signing::MAX_REQUEST_FILE_BODY;
use amana_core::wire::{paths, CaseBundle, EnvelopeWire, RewrapRequest, RewrappedEnvelope};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use zeroize::Zeroizing;

use crate::cases::{self, LocalCase};
use crate::error::{io_error, ReviewError};
use crate::home::{check_id, Home};
use crate::output::say;
use crate::passphrase::Unlocker;
use crate::session::{queued_note, Delivered, Delivery};

/// Lowercase hex SHA-256 of a plaintext, as the `rewrapped` event records it.
pub fn plaintext_sha256(plaintext: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, plaintext))
}

/// What a rewrap records for a plaintext: its salted commitment (`payload::commitment`), or
/// for a plaintext that is not a payload (never sent: `rewrap_one` refuses those) its SHA-256.
pub fn record(plaintext: &[u8]) -> String {
    amana_core::payload::commitment(plaintext).unwrap_or_else(|_| plaintext_sha256(plaintext))
}

/// Whether `recorded` is what a rewrap of `plaintext` records: the salted commitment, or the
/// plain SHA-256 that rewraps recorded before commitments existed.
pub fn matches_record(plaintext: &[u8], recorded: &str) -> bool {
    record(plaintext) == recorded || plaintext_sha256(plaintext) == recorded
}

/// Whether the reporter reads this part (their follow-ups and the replies to them).
pub fn reporter_reads(part: Part) -> bool {
    matches!(part, Part::FollowUp | Part::Reply)
}

/// Re-encrypts what this identity can open, signs, and sends or queues the rewrap.
pub fn run(home: &Home, prefix: &str, server: Option<&str>, offline: bool) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    let bundle = &case.bundle;
    // Refused before any key use: only oversight rewraps (an agency reviewer could otherwise
    // shut oversight out of a case), and only to the readers the roster gives the case.
    let me = crate::trust::me(home)?;
    if !me.is_oversight() {
        return Err(ReviewError::RewrapNotOversight(me.key_id).into());
    }
    let roster = me.roster;
    let readers = crate::readers::compute(&roster, bundle, time::OffsetDateTime::now_utc().date())?;
    let head = case.verified_head()?;
    let (items, skipped) = reencrypt_all(home, &case, &readers)?;
    let done = items.len();
    let ids = readers.iter().map(|r| r.id.clone()).collect();
    let body = serde_json::to_vec(&RewrapRequest { head, envelopes: items, readers: ids })?;
    check_size(bundle, &body)?;
    let delivery = Delivery::open(home, server, offline)?;
    let outcome = delivery.post(home, &paths::rewrap(&bundle.id), body, &bundle.id, "rewrap")?;
    report(bundle, done, &skipped, outcome);
    Ok(())
}

/// Every envelope of `case` this identity opens, re-encrypted to `readers` (and the reporter
/// for the parts they read); refused if it opens none.
pub fn reencrypt_all(
    home: &Home,
    case: &LocalCase,
    readers: &[RosterEntry],
) -> Result<(Vec<RewrappedEnvelope>, Skipped), ReviewError> {
    let identity = home.identity(&mut Unlocker::default())?;
    let mut items = Vec::new();
    let mut skipped = Skipped::default();
    for env in &case.bundle.envelopes {
        match rewrap_one(case, readers, env, &identity)? {
            Rewrapped::Item(item) => items.push(item),
            Rewrapped::CannotOpen => skipped.cannot_open.push(env.id.clone()),
            Rewrapped::NotAPayload => skipped.not_a_payload.push(env.id.clone()),
        }
    }
    if items.is_empty() {
        return Err(refused(&case.bundle, "your key opens none of its envelopes".into()));
    }
    Ok((items, skipped))
}

/// Refuses a body too large for one signed request.
pub fn check_size(bundle: &CaseBundle, body: &[u8]) -> Result<(), ReviewError> {
    if body.len() > MAX_REQUEST_FILE_BODY {
        return Err(refused(bundle, "its envelopes are too large for one signed request".into()));
    }
    Ok(())
}

/// The envelopes a rewrap leaves as they are.
#[derive(Default)]
pub struct Skipped {
    /// Not encrypted to this key.
    pub cannot_open: Vec<String>,
    /// Opened, but no Amana payload: never sent on (`amana-review` sends only payloads it
    /// can decode), and never a reason to leave the rest of the case on its old readers.
    pub not_a_payload: Vec<String>,
}

/// What became of one envelope.
enum Rewrapped {
    Item(RewrappedEnvelope),
    CannotOpen,
    NotAPayload,
}

/// What `rewrap` prints; the limits (unreadable envelopes, evidence files) are said plainly.
fn report(bundle: &CaseBundle, done: usize, skipped: &Skipped, outcome: Delivered) {
    let id = &bundle.id;
    let readers: Vec<String> = bundle.recipients.iter().map(|r| cases::printable(&r.key_id)).collect();
    say!(
        "case {id}: {done} envelope(s) re-encrypted to: {} (and the reporter, for follow-ups and replies)",
        readers.join(", ")
    );
    report_skipped(bundle, skipped);
    match outcome {
        Delivered::Sent => say!("sent; run `amana-review pull` to store the new envelopes"),
        Delivered::Queued(path) => say!("{}", queued_note(&path)),
    }
}

/// What a re-encryption left as it was: said plainly.
pub fn report_skipped(bundle: &CaseBundle, skipped: &Skipped) {
    if !skipped.cannot_open.is_empty() {
        say!("not rewrapped (your key cannot open them): {}", skipped.cannot_open.join(", "));
    }
    if !skipped.not_a_payload.is_empty() {
        say!(
            "not rewrapped (they open but hold no Amana payload, so they keep their recipients): {}",
            skipped.not_a_payload.join(", ")
        );
    }
    if !bundle.attachments.is_empty() {
        say!(
            "{} evidence file(s) keep their original recipients: rewrap does not re-encrypt file \
             content (a known limit, see the README)",
            bundle.attachments.len()
        );
    }
}

pub fn refused(bundle: &CaseBundle, why: String) -> ReviewError {
    ReviewError::RewrapRefused { case: bundle.id.clone(), why }
}

/// The `age1…` recipients a part is re-encrypted to: the case's readers (from the roster),
/// and the reporter for the parts the reporter reads.
pub fn recipients_for(
    bundle: &CaseBundle,
    readers: &[RosterEntry],
    part: Part,
) -> Result<Vec<String>, ReviewError> {
    if !readers.iter().any(|r| r.oversight) {
        return Err(refused(
            bundle,
            "the roster gives it no oversight reader, and a rewrap must never shut oversight out".into(),
        ));
    }
    let mut list: Vec<String> = readers.iter().map(|r| r.age_recipient.clone()).collect();
    if reporter_reads(part) {
        if bundle.reporter_recipient.is_empty() {
            let why = format!(
                "its {} parts are the reporter's to read, but it has no reporter recipient",
                part.as_str()
            );
            return Err(refused(bundle, why));
        }
        list.push(bundle.reporter_recipient.clone());
    }
    Ok(list)
}

/// One envelope re-encrypted, or why not.
fn rewrap_one(
    case: &LocalCase,
    readers: &[RosterEntry],
    env: &EnvelopeWire,
    identity: &age::x25519::Identity,
) -> Result<Rewrapped, ReviewError> {
    let bundle = &case.bundle;
    let Some(plaintext) = open(case, env, identity)? else {
        return Ok(Rewrapped::CannotOpen);
    };
    let ids = || (bundle.id.clone(), env.id.clone());
    let Ok(payload) = Payload::decode(&plaintext) else {
        return Ok(Rewrapped::NotAPayload);
    };
    if payload.part != env.part {
        return Err(refused(
            bundle,
            format!(
                "envelope {} holds a {} where a {} is listed",
                env.id,
                payload.part.as_str(),
                env.part.as_str()
            ),
        ));
    }
    let recipients = envelope::parse_recipients(&recipients_for(bundle, readers, env.part)?)
        .map_err(|e| ReviewError::BadRecipient { case: bundle.id.clone(), detail: e.to_string() })?;
    let ciphertext = envelope::encrypt(&plaintext, &recipients).map_err(|cause| ReviewError::Envelope {
        case: ids().0,
        envelope: ids().1,
        cause,
    })?;
    Ok(Rewrapped::Item(RewrappedEnvelope {
        envelope_id: env.id.clone(),
        age_b64: B64.encode(ciphertext),
        // The salted commitment (docs/FORMATS.md §9): an unsalted hash would let a database
        // holder confirm a guessed short text.
        plaintext_sha256: record(&plaintext),
    }))
}

/// Decrypts a held envelope; `None` if it is not encrypted to this identity.
pub fn open(
    case: &LocalCase,
    env: &EnvelopeWire,
    identity: &age::x25519::Identity,
) -> Result<Option<Zeroizing<Vec<u8>>>, ReviewError> {
    check_id("envelope id", &env.id)?;
    let path = case.envelope_path(&env.id);
    let ciphertext = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReviewError::MissingEnvelope(path)),
        other => other.map_err(io_error(&path))?,
    };
    decrypt_bytes(&case.bundle.id, &env.id, &ciphertext, identity)
}

/// Decrypts an age file; `None` if it is not encrypted to this identity.
pub fn decrypt_bytes(
    case: &str,
    envelope_id: &str,
    ciphertext: &[u8],
    identity: &age::x25519::Identity,
) -> Result<Option<Zeroizing<Vec<u8>>>, ReviewError> {
    match envelope::decrypt(ciphertext, &[identity]) {
        Ok(plain) => Ok(Some(plain)),
        Err(EnvelopeError::NoMatchingKey) => Ok(None),
        Err(cause) => {
            Err(ReviewError::Envelope { case: case.to_string(), envelope: envelope_id.to_string(), cause })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(reporter: &str) -> CaseBundle {
        let mut b = crate::testkit::Kit::new("alice").bundle("c1");
        b.reporter_recipient = reporter.into();
        b
    }

    fn reader(id: &str, oversight: bool) -> RosterEntry {
        RosterEntry {
            id: id.into(),
            ed25519_public_key: String::new(),
            age_recipient: format!("age1{id}"),
            oversight,
            agencies: vec![],
            revoked_on: None,
            valid_events: vec![],
        }
    }

    #[test]
    fn reporter_parts_keep_the_reporter_and_others_do_not_gain_it() {
        let b = bundle("age1reporter");
        let readers = [reader("alice", false), reader("ovs", true)];
        assert_eq!(recipients_for(&b, &readers, Part::Report).expect("report"), ["age1alice", "age1ovs"]);
        assert_eq!(recipients_for(&b, &readers, Part::Note).expect("note"), ["age1alice", "age1ovs"]);
        for part in [Part::FollowUp, Part::Reply] {
            assert_eq!(
                recipients_for(&b, &readers, part).expect("reporter part"),
                ["age1alice", "age1ovs", "age1reporter"]
            );
        }
    }

    #[test]
    fn never_drops_oversight_or_the_reporter() {
        let err = recipients_for(&bundle("age1reporter"), &[reader("alice", false)], Part::Report)
            .expect_err("no oversight");
        assert!(err.to_string().contains("no oversight reader"), "{err}");
        let b = bundle("");
        let readers = [reader("ovs", true)];
        assert!(recipients_for(&b, &readers, Part::Report).is_ok());
        let err = recipients_for(&b, &readers, Part::FollowUp).expect_err("no reporter");
        assert!(err.to_string().contains("no reporter recipient"), "{err}");
    }

    #[test]
    fn hash_is_lowercase_hex_sha256() {
        assert_eq!(plaintext_sha256(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
