//! `show`: decrypt a pulled case in memory and print it. Offline.
//!
//! The reporter's text is printed verbatim (UTF-8, any script) except for control
//! characters, which are shown escaped: a reporter must not be able to send escape
//! sequences to the reviewer's terminal.

use amana_core::envelope::{self, EnvelopeError};
use amana_core::payload::{Part, Payload};
use amana_core::wire::{CaseBundle, EnvelopeWire};
use zeroize::Zeroizing;

use crate::cases::{self, printable, LocalCase};
use crate::error::{io_error, ReviewError};
use crate::home::{check_id, Home};
use crate::passphrase::Unlocker;

/// `show CASE`.
pub fn run(home: &Home, prefix: &str) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    let identity = home.identity(&mut Unlocker::default())?;
    let parts = decrypt_all(&case, &identity)?;
    let text = render(&case.bundle, &parts);
    crate::output::stdout(&text)
}

/// Decrypts every envelope, in display order: the report first, then the rest as they
/// came (follow-ups and replies interleaved, as the conversation went).
fn decrypt_all<'a>(
    case: &'a LocalCase,
    identity: &age::x25519::Identity,
) -> Result<Vec<(&'a EnvelopeWire, Payload)>, ReviewError> {
    let mut envelopes: Vec<&EnvelopeWire> = case.bundle.envelopes.iter().collect();
    envelopes.sort_by_key(|e| (e.part != Part::Report, e.created_on));
    envelopes.into_iter().map(|e| Ok((e, open(case, e, identity)?))).collect()
}

/// Reads, decrypts and decodes one envelope.
fn open(
    case: &LocalCase,
    env: &EnvelopeWire,
    identity: &age::x25519::Identity,
) -> Result<Payload, ReviewError> {
    check_id("envelope id", &env.id)?;
    let path = case.envelope_path(&env.id);
    let ciphertext = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReviewError::MissingEnvelope(path)),
        other => other.map_err(io_error(&path))?,
    };
    let ids = (case.bundle.id.clone(), env.id.clone());
    let plaintext = envelope::decrypt(&ciphertext, &[identity]).map_err(|cause| match cause {
        EnvelopeError::NoMatchingKey => ReviewError::NotARecipient {
            case: ids.0.clone(),
            hint: if case.bundle.oversight_only {
                "it is an oversight-only case: only the oversight reviewers can open it"
            } else {
                "oversight-only case, or was your key added after it arrived?"
            },
        },
        cause => ReviewError::Envelope { case: ids.0.clone(), envelope: ids.1.clone(), cause },
    })?;
    Payload::decode(&plaintext).map_err(|cause| ReviewError::Payload { case: ids.0, envelope: ids.1, cause })
}

/// The whole printout. Zeroizing, and sized up front so that growing it does not leave
/// copies of the plaintext behind in freed memory.
fn render(bundle: &CaseBundle, parts: &[(&EnvelopeWire, Payload)]) -> Zeroizing<String> {
    let text_len: usize =
        parts.iter().map(|(_, p)| p.body.len() + p.contact.as_ref().map_or(0, String::len)).sum();
    let mut out = Zeroizing::new(String::with_capacity(4096 + 8 * text_len));
    render_metadata(&mut out, bundle);
    if parts.is_empty() {
        out.push_str("\n(no content)\n");
    }
    for (env, payload) in parts {
        render_part(&mut out, bundle, env, payload);
    }
    out
}

fn render_metadata(out: &mut String, b: &CaseBundle) {
    let oversight = if b.oversight_only { "yes" } else { "no" };
    out.push_str(&format!(
        "case            {}\nkind            {}\nagency          {}\nstatus          {}\n\
         received        {}\noversight only  {oversight}\n\nhistory\n",
        b.id,
        b.kind,
        printable(&b.agency),
        b.status,
        b.received_on
    ));
    for ev in &b.events {
        let by = ev.actor.as_deref().map(|a| format!(" by {}", printable(a))).unwrap_or_default();
        out.push_str(&format!("  #{:<3} {}  {}{by}\n", ev.seq, ev.on, ev.status));
    }
}

fn render_part(out: &mut String, bundle: &CaseBundle, env: &EnvelopeWire, p: &Payload) {
    let title = match p.part {
        Part::Report => "report".to_string(),
        Part::FollowUp => "follow-up from the reporter".to_string(),
        Part::Reply => match &p.author {
            Some(a) => format!("reply by {}", printable(a)),
            None => "reply".to_string(),
        },
        Part::Note => match &p.author {
            Some(a) => format!("note for reviewers by {}", printable(a)),
            None => "note for reviewers".to_string(),
        },
    };
    out.push_str(&format!("\n--- {title}, written {} ---\n", p.written_on));
    // The envelope's label and the case metadata come from the server; the payload is what
    // the writer encrypted. Point out any disagreement instead of hiding it.
    if env.part != p.part {
        out.push_str(&format!("(note: the server lists this as a {})\n", env.part.as_str()));
    }
    if p.kind.is_some_and(|k| k != bundle.kind) || p.agency.as_ref().is_some_and(|a| *a != bundle.agency) {
        out.push_str("(note: the reporter chose ");
        push_clean(out, &format!("kind {:?}, agency {:?}", p.kind.map(|k| k.as_str()), p.agency));
        out.push_str(", which differs from the case metadata above)\n");
    }
    push_clean(out, &p.body);
    if !p.body.ends_with('\n') {
        out.push('\n');
    }
    if let Some(contact) = &p.contact {
        out.push_str("contact: ");
        push_clean(out, contact);
        out.push('\n');
    }
}

/// Appends `text` verbatim, except that control characters other than newline and tab are
/// escaped (`\u{1b}`) and CRLF becomes LF.
fn push_clean(out: &mut String, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => {}
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_verbatim_but_escapes_cannot_reach_the_terminal() {
        let mut out = String::new();
        push_clean(&mut out, "رشوة في المكتب\r\nline 2\t\u{1b}[2J\u{7}\u{9b}31m");
        assert_eq!(out, "رشوة في المكتب\nline 2\t\\u{1b}[2J\\u{7}\\u{9b}31m");
    }
}
