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
use amana_core::signing::MAX_REQUEST_FILE_BODY;
use amana_core::wire::{paths, CaseBundle, EnvelopeWire, RewrapRequest, RewrappedEnvelope};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use zeroize::Zeroizing;

use crate::cases::{self, LocalCase};
use crate::error::{io_error, ReviewError};
use crate::home::{check_id, Home};
use crate::known_keys::KnownKeys;
use crate::passphrase::Unlocker;
use crate::session::{queued_note, Delivered, Delivery};

/// Lowercase hex SHA-256 of a plaintext, as the `rewrapped` event records it.
pub fn plaintext_sha256(plaintext: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, plaintext))
}

/// Whether the reporter reads this part (their follow-ups and the replies to them).
pub fn reporter_reads(part: Part) -> bool {
    matches!(part, Part::FollowUp | Part::Reply)
}

/// Re-encrypts what this identity can open, signs, and sends or queues the rewrap.
pub fn run(home: &Home, prefix: &str, server: Option<&str>, offline: bool) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    let bundle = &case.bundle;
    // Refused before any key use: a set that shuts out oversight, or names a reviewer this
    // home never verified (or knows as revoked), signs nothing.
    check_reviewers(bundle)?;
    check_known(bundle, &KnownKeys::load(home)?, time::OffsetDateTime::now_utc().date())?;
    let head = case.verified_head()?;
    let identity = home.identity(&mut Unlocker::default())?;
    let mut items = Vec::new();
    let mut unreadable = Vec::new();
    for env in &bundle.envelopes {
        match rewrap_one(&case, env, &identity)? {
            Some(item) => items.push(item),
            None => unreadable.push(env.id.clone()),
        }
    }
    if items.is_empty() {
        return Err(refused(bundle, "your key opens none of its envelopes".into()).into());
    }
    let done = items.len();
    let body = serde_json::to_vec(&RewrapRequest { head, envelopes: items })?;
    if body.len() > MAX_REQUEST_FILE_BODY {
        return Err(refused(bundle, "its envelopes are too large for one signed request".into()).into());
    }
    let delivery = Delivery::open(home, server, offline)?;
    let outcome = delivery.post(home, &paths::rewrap(&bundle.id), body, &bundle.id, "rewrap")?;
    report(bundle, done, &unreadable, outcome);
    Ok(())
}

/// What `rewrap` prints; the limits (unreadable envelopes, evidence files) are said plainly.
fn report(bundle: &CaseBundle, done: usize, unreadable: &[String], outcome: Delivered) {
    let id = &bundle.id;
    let readers: Vec<String> = bundle.recipients.iter().map(|r| cases::printable(&r.key_id)).collect();
    println!(
        "case {id}: {done} envelope(s) re-encrypted to: {} (and the reporter, for follow-ups and replies)",
        readers.join(", ")
    );
    if !unreadable.is_empty() {
        println!("not rewrapped (your key cannot open them): {}", unreadable.join(", "));
    }
    if !bundle.attachments.is_empty() {
        println!(
            "{} evidence file(s) keep their original recipients: rewrap does not re-encrypt file \
             content (a known limit, see the README)",
            bundle.attachments.len()
        );
    }
    match outcome {
        Delivered::Sent => println!("sent; run `amana-review pull` to store the new envelopes"),
        Delivered::Queued(path) => println!("{}", queued_note(&path)),
    }
}

fn refused(bundle: &CaseBundle, why: String) -> ReviewError {
    ReviewError::RewrapRefused { case: bundle.id.clone(), why }
}

/// The case's reviewer recipients must include an oversight reviewer.
fn check_reviewers(bundle: &CaseBundle) -> Result<(), ReviewError> {
    if !bundle.recipients.iter().any(|r| r.oversight) {
        let why = "the server lists no oversight reviewer among its recipients, and a rewrap \
                   must never shut oversight out (pull again; tell the operator)";
        return Err(refused(bundle, why.into()));
    }
    Ok(())
}

/// Every recipient must be a reviewer key id this home pinned from a verified pull and that
/// is not revoked: a server cannot slip an unknown or revoked reader into a whole case.
/// (The age recipient itself is not pinned: SECURITY.md lists that residual risk.)
fn check_known(bundle: &CaseBundle, keys: &KnownKeys, today: time::Date) -> Result<(), ReviewError> {
    for r in &bundle.recipients {
        let why = match keys.keys.get(&r.key_id) {
            None => "is not a reviewer key this home has verified (pull again)",
            Some(k) if k.revoked_on.is_some_and(|d| d <= today) => "is revoked",
            Some(_) => continue,
        };
        return Err(refused(bundle, format!("recipient {} {why}", cases::printable(&r.key_id))));
    }
    Ok(())
}

/// The `age1…` recipients a part is re-encrypted to: the case's reviewers, and the
/// reporter for the parts the reporter reads.
pub fn recipients_for(bundle: &CaseBundle, part: Part) -> Result<Vec<String>, ReviewError> {
    check_reviewers(bundle)?;
    let mut list: Vec<String> = bundle.recipients.iter().map(|r| r.age_recipient.clone()).collect();
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

/// One envelope re-encrypted, or `None` if this identity cannot open it.
fn rewrap_one(
    case: &LocalCase,
    env: &EnvelopeWire,
    identity: &age::x25519::Identity,
) -> Result<Option<RewrappedEnvelope>, ReviewError> {
    let bundle = &case.bundle;
    let Some(plaintext) = open(case, env, identity)? else {
        return Ok(None);
    };
    let ids = || (bundle.id.clone(), env.id.clone());
    let payload = Payload::decode(&plaintext).map_err(|cause| ReviewError::Payload {
        case: ids().0,
        envelope: ids().1,
        cause,
    })?;
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
    let recipients = envelope::parse_recipients(&recipients_for(bundle, env.part)?)
        .map_err(|e| ReviewError::BadRecipient { case: bundle.id.clone(), detail: e.to_string() })?;
    let ciphertext = envelope::encrypt(&plaintext, &recipients).map_err(|cause| ReviewError::Envelope {
        case: ids().0,
        envelope: ids().1,
        cause,
    })?;
    Ok(Some(RewrappedEnvelope {
        envelope_id: env.id.clone(),
        age_b64: B64.encode(ciphertext),
        plaintext_sha256: plaintext_sha256(&plaintext),
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
    use amana_core::wire::RecipientWire;

    fn bundle(oversight: bool, reporter: &str) -> CaseBundle {
        let mut b = crate::testkit::Kit::new("alice").bundle("c1");
        b.reporter_recipient = reporter.into();
        b.recipients = vec![
            RecipientWire { key_id: "alice".into(), age_recipient: "age1alice".into(), oversight: false },
            RecipientWire { key_id: "ovs".into(), age_recipient: "age1ovs".into(), oversight },
        ];
        b
    }

    #[test]
    fn reporter_parts_keep_the_reporter_and_others_do_not_gain_it() {
        let b = bundle(true, "age1reporter");
        assert_eq!(recipients_for(&b, Part::Report).expect("report"), ["age1alice", "age1ovs"]);
        assert_eq!(recipients_for(&b, Part::Note).expect("note"), ["age1alice", "age1ovs"]);
        for part in [Part::FollowUp, Part::Reply] {
            assert_eq!(
                recipients_for(&b, part).expect("reporter part"),
                ["age1alice", "age1ovs", "age1reporter"]
            );
        }
    }

    #[test]
    fn never_drops_oversight_or_the_reporter() {
        let err = recipients_for(&bundle(false, "age1reporter"), Part::Report).expect_err("no oversight");
        assert!(err.to_string().contains("no oversight reviewer"), "{err}");
        let b = bundle(true, "");
        assert!(recipients_for(&b, Part::Report).is_ok());
        let err = recipients_for(&b, Part::FollowUp).expect_err("no reporter");
        assert!(err.to_string().contains("no reporter recipient"), "{err}");
    }

    #[test]
    fn unknown_or_revoked_recipients_are_refused() {
        let b = bundle(true, "age1reporter");
        let today = crate::testkit::ON;
        let wire = |id: &str, revoked_on| amana_core::wire::ReviewerKeyWire {
            revoked_on,
            ..crate::testkit::Kit::new(id).wire()
        };
        let mut keys = KnownKeys::default();
        keys.merge(&[wire("alice", None)], false, today).expect("pin");
        let err = check_known(&b, &keys, today).expect_err("ovs unknown");
        assert!(err.to_string().contains("recipient ovs is not a reviewer key"), "{err}");
        keys.merge(&[wire("ovs", Some(today))], false, today).expect("pin");
        assert!(check_known(&b, &keys, today).expect_err("revoked").to_string().contains("is revoked"));
        let mut keys = KnownKeys::default();
        keys.merge(&[wire("alice", None), wire("ovs", None)], false, today).expect("pin");
        assert!(check_known(&b, &keys, today).is_ok());
    }

    #[test]
    fn hash_is_lowercase_hex_sha256() {
        assert_eq!(plaintext_sha256(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
