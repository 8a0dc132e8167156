//! `show`: decrypt a pulled case in memory and print it. Offline.
//!
//! It prints the case metadata (deadlines, escalation, extension days, rating, who can read
//! it), the history (event kind, status, actor, date), and the whole thread in order: the
//! report, follow-ups, replies with their author, and notes marked "for reviewers".
//!
//! The reporter's text is printed verbatim (UTF-8, any script) except for control
//! characters and bidi overrides, which are shown escaped: a reporter must not be able to
//! send escape sequences to the reviewer's terminal, or make it show the text reordered.

use amana_core::envelope::{self, EnvelopeError};
use amana_core::events::{Event, EventKind};
use amana_core::payload::{Part, Payload, PayloadError};
use amana_core::wire::{CaseBundle, EnvelopeWire};
use zeroize::Zeroizing;

use crate::attachments;
use crate::cases::{self, printable, LocalCase};
use crate::error::{io_error, ReviewError};
use crate::home::{check_id, Home};
use crate::passphrase::Unlocker;
use crate::safe_name;

/// `show CASE`.
pub fn run(home: &Home, prefix: &str) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    let identity = home.identity(&mut Unlocker::default())?;
    let parts = decrypt_all(&case, &identity)?;
    let pending = crate::outbox::pending_count(home, &case.bundle.id)?;
    let mut text = render(&case.bundle, &parts, pending);
    if let Some(note) = crate::gone::Gone::load(home)?.note(&case.bundle.id) {
        text.push_str(&format!("\ngone from the server: {note}\n"));
    }
    render_attachments(&mut text, &case, &identity);
    crate::output::stdout(&text)?;
    let unreadable = parts.iter().filter(|p| p.payload.is_err()).count();
    if unreadable > 0 {
        eprintln!(
            "warning: {unreadable} envelope(s) of case {} opened but hold no Amana payload (marked UNREADABLE above)",
            case.bundle.id
        );
    }
    Ok(())
}

/// The attachment list: decrypted name (escaped), type, exact size, the report or
/// follow-up it came with, and whether its content is in the home.
fn render_attachments(out: &mut String, case: &LocalCase, identity: &age::x25519::Identity) {
    let list = &case.bundle.attachments;
    if list.is_empty() {
        return;
    }
    out.push_str(&format!("\nattachments ({})\n", list.len()));
    for (i, att) in list.iter().enumerate() {
        let with = attachments::came_with(&case.bundle, &att.envelope_id);
        let fetched = if attachments::is_fetched(&case.dir, att) {
            "fetched".to_string()
        } else {
            format!(
                "NOT fetched (content on the server: `amana-review fetch {} {}` online)",
                case.bundle.id,
                i + 1
            )
        };
        match attachments::open_meta(case, att, identity) {
            Ok(meta) => out.push_str(&format!(
                "  {}. {}  {}  {} bytes  {with}  {fetched}\n",
                i + 1,
                safe_name::for_terminal(&meta.name),
                safe_name::for_terminal(&meta.content_type),
                meta.size,
            )),
            Err(e) => {
                out.push_str(&format!("  {}. (description unreadable: {e})  {with}  {fetched}\n", i + 1))
            }
        }
    }
}

/// One decrypted piece of the thread, with the history event that recorded it (if any). An
/// envelope that opens but holds no Amana payload (a reviewer's other tool, or a hostile
/// reviewer) is kept as its error: it is flagged where it stands, and the rest is shown.
pub(crate) struct ThreadPart<'a> {
    pub env: &'a EnvelopeWire,
    pub event: Option<&'a Event>,
    pub payload: Result<Payload, PayloadError>,
}

/// The history event naming each envelope (`{"envelope_id": …}` in its detail).
fn event_of<'a>(bundle: &'a CaseBundle, envelope_id: &str) -> Option<(usize, &'a Event)> {
    bundle.events.iter().enumerate().find(|(_, e)| {
        serde_json::from_str::<serde_json::Value>(&e.detail)
            .ok()
            .is_some_and(|d| d.get("envelope_id").and_then(|v| v.as_str()) == Some(envelope_id))
    })
}

/// Decrypts every envelope, in thread order: as the history recorded them; envelopes the
/// history does not name come last, the report first among them, then by date.
pub(crate) fn decrypt_all<'a>(
    case: &'a LocalCase,
    identity: &age::x25519::Identity,
) -> Result<Vec<ThreadPart<'a>>, ReviewError> {
    let mut envelopes: Vec<(Option<(usize, &Event)>, &EnvelopeWire)> =
        case.bundle.envelopes.iter().map(|e| (event_of(&case.bundle, &e.id), e)).collect();
    envelopes
        .sort_by_key(|(ev, e)| (ev.map_or(usize::MAX, |(i, _)| i), e.part != Part::Report, e.created_on));
    envelopes
        .into_iter()
        .map(|(ev, env)| {
            let payload = match open(case, env, identity) {
                Ok(p) => Ok(p),
                Err(ReviewError::Payload { cause, .. }) => Err(cause),
                Err(e) => return Err(e),
            };
            Ok(ThreadPart { env, event: ev.map(|(_, e)| e), payload })
        })
        .collect()
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
    check_commitment(&case.bundle, &env.id, &plaintext)?;
    Payload::decode(&plaintext).map_err(|cause| ReviewError::Payload { case: ids.0, envelope: ids.1, cause })
}

/// An envelope whose signed event commits to its plaintext must open to exactly that text:
/// otherwise it was swapped (by a database writer, or by a rewrap that changed the words).
pub fn check_commitment(bundle: &CaseBundle, envelope_id: &str, plaintext: &[u8]) -> Result<(), ReviewError> {
    let Some(expected) = crate::attested::commitment_of(bundle, envelope_id) else { return Ok(()) };
    match amana_core::payload::commitment(plaintext) {
        Ok(c) if c == expected => Ok(()),
        _ => Err(ReviewError::HistoryInvalid {
            case: bundle.id.clone(),
            detail: format!(
                "envelope {envelope_id} does not open to the text its signed event commits to (it was swapped)"
            ),
        }),
    }
}

/// The whole printout. Zeroizing, and sized up front so that growing it does not leave
/// copies of the plaintext behind in freed memory.
fn render(bundle: &CaseBundle, parts: &[ThreadPart<'_>], pending: usize) -> Zeroizing<String> {
    let text_len: usize = parts
        .iter()
        .filter_map(|p| p.payload.as_ref().ok())
        .map(|p| p.body.len() + p.contact.as_ref().map_or(0, String::len))
        .sum();
    let mut out = Zeroizing::new(String::with_capacity(4096 + 8 * text_len));
    render_metadata(&mut out, bundle, pending);
    if parts.is_empty() {
        out.push_str("\n(no content)\n");
    }
    for part in parts {
        render_part(&mut out, bundle, part);
    }
    out
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn render_metadata(out: &mut String, b: &CaseBundle, pending: usize) {
    let rating = b.rating.map_or("-".to_string(), |r| format!("{r} of 5"));
    let readers: Vec<String> = b.recipients.iter().map(|r| printable(&r.key_id)).collect();
    out.push_str(&format!(
        "case            {}\nkind            {}\nagency          {}\nstatus          {}\n\
         received        {}\noversight only  {}\nacknowledge by  {}\nfeedback by     {}\n\
         extension days  {}\nescalated       {}\nrating          {rating}\nreadable by     {}\n",
        b.id,
        b.kind,
        printable(&b.agency),
        b.status,
        b.received_on,
        yes_no(b.oversight_only),
        b.deadlines.acknowledge_by,
        b.deadlines.feedback_by,
        b.extension_days,
        yes_no(b.escalated),
        readers.join(", "),
    ));
    if let Some(e) = crate::evaluation::of_case(b) {
        out.push_str(&crate::evaluation::render(&e));
    }
    if let Some(holder) = crate::readers::custody_of(b).holder {
        out.push_str(&format!("held by         {}\n", printable(&holder)));
    }
    if pending > 0 {
        out.push_str(&format!("pending         {pending} signed request(s) in the outbox, not sent yet\n"));
    }
    out.push_str("\nhistory\n");
    for ev in &b.events {
        let by = ev.actor.as_deref().map(|a| format!(" by {}", printable(a))).unwrap_or_default();
        let detail: serde_json::Value = serde_json::from_str(&ev.detail).unwrap_or_default();
        let number = |key: &str| detail.get(key).and_then(serde_json::Value::as_i64);
        let extra = match ev.kind {
            EventKind::Extended => number("days").map(|d| format!(" (+{d} days)")),
            EventKind::Rated => number("rating").map(|r| format!(" (rating {r})")),
            EventKind::Rewrapped => detail
                .get("envelopes")
                .and_then(serde_json::Value::as_array)
                .map(|list| format!(" ({} envelope(s) re-encrypted)", list.len())),
            EventKind::Held => detail
                .get("review_on")
                .and_then(serde_json::Value::as_str)
                .map(|d| format!(" (legal hold, to be reviewed on {})", printable(d))),
            EventKind::Transferred | EventKind::Excluded | EventKind::Assigned => {
                custody_note(ev.kind, &detail)
            }
            _ => None,
        };
        out.push_str(&format!(
            "  #{:<3} {}  {:<14}  {}{by}{}\n",
            ev.seq,
            ev.on,
            ev.kind.as_str(),
            ev.status,
            extra.unwrap_or_default()
        ));
    }
}

/// What a custody event did, for the history line.
pub(crate) fn custody_note(kind: EventKind, d: &serde_json::Value) -> Option<String> {
    let text = |key: &str| d.get(key).and_then(serde_json::Value::as_str).map(printable);
    match kind {
        EventKind::Transferred => Some(format!(" (from {} to {})", text("from")?, text("to")?)),
        EventKind::Excluded => Some(format!(" ({} excluded)", text("reviewer")?)),
        _ => Some(format!(" (held by {})", text("holder")?)),
    }
}

/// An envelope that opened but holds no Amana payload: said so, with who the history says
/// sent it, and none of its bytes.
fn render_unreadable(out: &mut String, part: &ThreadPart<'_>, cause: &PayloadError) {
    let by = part.event.and_then(|e| e.actor.as_deref()).map(|a| format!(" by {}", printable(a)));
    out.push_str(&format!(
        "\n--- UNREADABLE {}{} (envelope {}, stored {}) ---\n(it opened with your key but is not an Amana \
         payload: {cause}; nothing of it is shown. The reporter's page says only that one message \
         could not be shown.)\n",
        part.env.part.as_str(),
        by.unwrap_or_default(),
        part.env.id,
        part.env.created_on,
    ));
}

fn render_part(out: &mut String, bundle: &CaseBundle, part: &ThreadPart<'_>) {
    let p = match &part.payload {
        Ok(p) => p,
        Err(cause) => return render_unreadable(out, part, cause),
    };
    let env = part.env;
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
    let context = match part.event.map(|e| (e.kind, e)) {
        Some((EventKind::StatusChanged, e)) if p.part == Part::Note => {
            format!(" (with the move to {})", e.status)
        }
        Some((EventKind::Extended, _)) if p.part == Part::Note => " (reason for an extension)".to_string(),
        Some((EventKind::Held, _)) if p.part == Part::Note => " (reason for a legal hold)".to_string(),
        _ => String::new(),
    };
    out.push_str(&format!("\n--- {title}{context}, written {} ---\n", p.written_on));
    // The envelope's label and the case metadata come from the server; the payload is what
    // the writer encrypted. Point out any disagreement instead of hiding it.
    if env.part != p.part {
        out.push_str(&format!("(note: the server lists this as a {})\n", env.part.as_str()));
    }
    if let Some(signer) = part.event.and_then(|e| e.actor.as_deref()) {
        if p.author.as_deref() != Some(signer) {
            out.push_str(&format!("(note: the signed history says {} sent this)\n", printable(signer)));
        }
    }
    // The reporter chose the agency the case was submitted to; a transfer moves it later.
    let submitted =
        amana_core::custody::submitted_agency(&bundle.events).unwrap_or_else(|| bundle.agency.clone());
    if p.kind.is_some_and(|k| k != bundle.kind) || p.agency.as_ref().is_some_and(|a| *a != submitted) {
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

/// Appends `text` verbatim, except that control characters other than newline and tab, and
/// the bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), are escaped
/// (`\u{1b}`, `\u{202e}`), and CRLF becomes LF. An override would make the terminal show the
/// reporter's text (or what follows it on the line) in an order other than the bytes': a
/// reviewer reads what was sent, never a rearrangement of it. The implicit marks (LRM, RLM,
/// ALM) stay: Arabic and Persian text uses them, and they reorder nothing beyond one letter.
fn push_clean(out: &mut String, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => {}
            c if c.is_control() || is_explicit_bidi(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
}

/// Bidi embeddings, overrides and isolates (and their terminators).
fn is_explicit_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_are_escaped_and_marks_kept() {
        let mut out = String::new();
        push_clean(&mut out, "pay \u{202E}001$\u{202C} now \u{2067}x\u{2069} \u{200F}ع");
        assert_eq!(out, "pay \\u{202e}001$\\u{202c} now \\u{2067}x\\u{2069} \u{200F}ع");
    }

    #[test]
    fn text_is_verbatim_but_escapes_cannot_reach_the_terminal() {
        let mut out = String::new();
        push_clean(&mut out, "رشوة في المكتب\r\nline 2\t\u{1b}[2J\u{7}\u{9b}31m");
        assert_eq!(out, "رشوة في المكتب\nline 2\t\\u{1b}[2J\\u{7}\\u{9b}31m");
    }
}
