//! JSON types of the reviewer API, shared by the server and `amana-review`.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::{Kind, Status};
use crate::deadlines::Deadlines;
use crate::events::Event;
use crate::payload::Part;

/// Reviewer API paths.
pub mod paths {
    /// The reviewer API's case collection (actions are below it).
    pub const CASES: &str = "/api/v1/review/cases";
    /// `GET`: every case in the key's scope, with its envelopes, in the case-list format
    /// this release reads (the server refuses a pull that names no format: "upgrade"; and a
    /// format-2 pull while a case in scope has a status format 2 lacks).
    pub const CASES_PULL: &str = "/api/v1/review/cases?format=4";
    /// `GET`: content-free notices (counts and ids).
    pub const INBOX: &str = "/api/v1/review/inbox";
    /// `POST` a signed figures file (`kpis --publish`); no request signature.
    pub const PUBLICATIONS: &str = "/api/v1/review/publications";
    /// `POST` a signed improvement period (no request signature: the document carries
    /// oversight's); signed `GET`: the periods of the key's agencies (all, for oversight).
    pub const IMPROVEMENTS: &str = "/api/v1/review/improvements";
    /// `GET` (public): deployment id, agencies and kinds.
    pub const AGENCIES: &str = "/api/v1/agencies";
    /// `GET` (public): the server's receipt-signing public key.
    pub const RECEIPT_KEY: &str = "/.well-known/amana-receipt-key";
    /// `POST` with [`super::StatusChange`].
    pub fn status(case_id: &str) -> String {
        format!("{CASES}/{case_id}/status")
    }
    /// `POST` with [`super::ReplyUpload`].
    pub fn replies(case_id: &str) -> String {
        format!("{CASES}/{case_id}/replies")
    }
    /// `POST` with [`super::Extension`].
    pub fn extend(case_id: &str) -> String {
        format!("{CASES}/{case_id}/extend")
    }
    /// `POST` with [`super::RewrapRequest`].
    pub fn rewrap(case_id: &str) -> String {
        format!("{CASES}/{case_id}/rewrap")
    }
    /// `POST` with [`super::LegalHold`] (oversight keys only).
    pub fn hold(case_id: &str) -> String {
        format!("{CASES}/{case_id}/hold")
    }
    /// `POST` with [`super::HoldRelease`] (oversight keys only).
    pub fn release(case_id: &str) -> String {
        format!("{CASES}/{case_id}/release")
    }
    /// `POST` with [`crate::custody::TransferRequest`] (oversight only).
    pub fn transfer(case_id: &str) -> String {
        format!("{CASES}/{case_id}/transfer")
    }
    /// `POST` with [`crate::custody::ExcludeRequest`] (oversight only).
    pub fn exclude(case_id: &str) -> String {
        format!("{CASES}/{case_id}/exclude")
    }
    /// `POST` with [`crate::custody::AssignRequest`].
    pub fn assign(case_id: &str) -> String {
        format!("{CASES}/{case_id}/assign")
    }
    /// `GET`: an attachment's content stream (a binary age file).
    pub fn attachment(case_id: &str, attachment_id: &str) -> String {
        format!("{CASES}/{case_id}/attachments/{attachment_id}")
    }
}

/// One encrypted piece of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeWire {
    /// Random id.
    pub id: String,
    /// What it holds.
    pub part: Part,
    /// UTC date it was stored.
    pub created_on: Date,
    /// The age file, base64 (standard, padded).
    pub age_b64: String,
}

/// An evidence file of a case (docs/FORMATS.md §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentWire {
    /// Random id.
    pub id: String,
    /// The report or follow-up envelope it was sent with.
    pub envelope_id: String,
    /// UTC date it was stored.
    pub created_on: Date,
    /// Size of the content's age file in bytes (padded: see `attachment::padded_len`).
    pub size: u64,
    /// The encrypted description (name, type, exact size, SHA-256), base64 of an age file.
    pub meta_age_b64: String,
}

/// A recipient of the case's content, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientWire {
    /// Reviewer key id.
    pub key_id: String,
    /// `age1…`
    pub age_recipient: String,
    /// An oversight reviewer (a recipient of every case): `rewrap` refuses a recipient set
    /// without one. Absent (false) in answers of older servers.
    #[serde(default)]
    pub oversight: bool,
}

/// A case as the reviewer API returns it: metadata in clear, content encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseBundle {
    pub id: String,
    pub kind: Kind,
    pub agency: String,
    pub oversight_only: bool,
    pub status: Status,
    pub received_on: Date,
    pub deadlines: Deadlines,
    #[serde(default)]
    pub escalated: bool,
    #[serde(default)]
    pub extension_days: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// The reporter's reply recipient (replies are encrypted to it).
    pub reporter_recipient: String,
    /// The reviewers who may read this case under the current keys (replies go to them too).
    pub recipients: Vec<RecipientWire>,
    pub envelopes: Vec<EnvelopeWire>,
    /// Evidence files; fetch each one's content from [`paths::attachment`].
    #[serde(default)]
    pub attachments: Vec<AttachmentWire>,
    /// The hash-chained history.
    pub events: Vec<Event>,
}

/// The case-list format this crate writes: 2 adds the signed roster, 3 the `closed_spam`
/// status, 4 segmented evidence files (docs/FORMATS.md §9, "Versions").
pub const CASE_LIST_FORMAT: u32 = 4;
/// The oldest `amana-review` release that reads [`CASE_LIST_FORMAT`].
pub const MIN_CLI_VERSION: &str = "0.2.0";

/// `GET /api/v1/review/cases?format=4` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseList {
    /// The list's format ([`CASE_LIST_FORMAT`]); absent (0) from servers before the roster.
    /// A reader that meets a newer one says "upgrade", never "tampered".
    #[serde(default)]
    pub format: u32,
    /// The oldest `amana-review` release that reads this list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cli: Option<String>,
    /// The roster signed by the oversight unit's offline key: the only source of keys a
    /// reviewer home trusts. The server merely carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<crate::roster::SignedRoster>,
    /// Deployment the history signatures are bound to.
    pub deployment_id: String,
    /// Public signing keys of the reviewers (kept for older readers; homes of format 2 use
    /// the roster's entries only).
    pub reviewer_keys: Vec<ReviewerKeyWire>,
    pub cases: Vec<CaseBundle>,
    /// A page of an incremental pull (docs/FORMATS.md §3, "Incremental pulls"): the server's
    /// UTC date when it read the page. Absent from a whole list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
    /// The `after` of the next page; absent on the last page (and from a whole list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// On the first page of a paged pull (no `after`): how many cases the whole pull lists,
    /// for a progress bar. Absent from later pages and from a whole list; older readers
    /// ignore it (docs/FORMATS.md §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// On the first page of a pull with `since`: the cases purged on or after that date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purged: Vec<Tombstone>,
}

/// A case the server deleted (retention purge): all that is left of it for homes. The id
/// itself is not kept after a purge (no file of the server names a purged case): a home
/// matches [`Tombstone::key_of`] of the ids it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// [`Tombstone::key_of`] the purged case's id.
    pub case_sha256: String,
    pub purged_on: Date,
}

impl Tombstone {
    /// The hex SHA-256 of `amana-tombstone-v1`, a zero byte and the case id.
    pub fn key_of(case_id: &str) -> String {
        crate::attachment::sha256_hex(&[b"amana-tombstone-v1\0".as_slice(), case_id.as_bytes()].concat())
    }
}

/// The parameters of a paged pull (`GET /api/v1/review/cases?after=…&format=4&limit=…&since=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullQuery {
    /// Only cases changed on or after this UTC date (none: every case in scope).
    pub since: Option<Date>,
    /// Only cases whose id sorts after this one (the previous page's `next`).
    pub after: Option<String>,
    /// At most this many cases (the server caps it at [`MAX_PAGE`]).
    pub limit: u32,
}

/// The largest page a server sends, whatever `limit` asks.
pub const MAX_PAGE: u32 = 500;

impl PullQuery {
    /// The request target, in the one canonical form the server accepts
    /// (`crate::route::canonical_query`).
    pub fn target(&self) -> String {
        let mut pairs = vec![("format".to_string(), CASE_LIST_FORMAT.to_string())];
        pairs.push(("limit".into(), self.limit.to_string()));
        if let Some(since) = self.since {
            pairs.push(("since".into(), since.to_string()));
        }
        if let Some(after) = &self.after {
            pairs.push(("after".into(), after.clone()));
        }
        // Only an empty value or a repeated name fail, and neither can occur here.
        let query = crate::route::canonical_query(&pairs).unwrap_or_default();
        format!("{}?{query}", paths::CASES)
    }

    /// The parameters of a signed pull target (a path with its query), if it is a paged
    /// pull; `None` for a whole-list pull or another request (or a value that does not parse).
    pub fn parse(target: &str) -> Option<Self> {
        let (path, query) = target.split_once('?')?;
        if path != paths::CASES {
            return None;
        }
        // Without `limit`, a page is as large as the server sends.
        let mut q = PullQuery { limit: MAX_PAGE, ..PullQuery::default() };
        let mut paged = false;
        for (k, v) in crate::route::query_pairs(query).ok()? {
            match k.as_str() {
                "format" => {}
                "limit" => {
                    q.limit = v.parse().ok()?;
                    paged = true;
                }
                "since" => {
                    q.since = Some(Date::parse(&v, DATE_FORMAT).ok()?);
                    paged = true;
                }
                "after" => {
                    q.after = Some(v);
                    paged = true;
                }
                _ => return None,
            }
        }
        paged.then_some(q)
    }
}

/// `YYYY-MM-DD`.
const DATE_FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// A reviewer's public signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerKeyWire {
    pub key_id: String,
    /// Base64 of the raw 32-byte Ed25519 public key.
    pub ed25519_public_key: String,
    /// Set when the key is revoked: it verifies only actions dated before this UTC date.
    /// (Absent in answers of servers older than revocation support.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_on: Option<Date>,
}

/// `POST …/status` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: Status,
    /// An optional note for the case's reviewers: an age file (base64) of a `note` payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_age_b64: Option<String>,
    /// The verified head this action is bound to (see [`SignedHead`]).
    pub head: String,
}

/// `POST …/replies` body: an age file (base64) of a `reply` payload, encrypted to the
/// reporter recipient and the case's recipients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplyUpload {
    pub age_b64: String,
    /// The verified head this action is bound to (see [`SignedHead`]).
    pub head: String,
}

/// `POST …/extend` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extension {
    /// Days added to the feedback deadline.
    pub days: i64,
    /// The mandatory reason, as an age file (base64) of a `note` payload for the reviewers.
    pub reason_age_b64: String,
    /// The verified head this action is bound to (see [`SignedHead`]).
    pub head: String,
}

/// `POST …/hold` body: oversight keeps the case from retention purge until it releases it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LegalHold {
    /// The mandatory reason, as an age file (base64) of a `note` payload for the reviewers.
    pub reason_age_b64: String,
    /// When oversight means to review the hold (a reminder, in clear; the hold does not end
    /// by itself).
    pub review_on: Date,
    /// The verified head this action is bound to (see [`SignedHead`]).
    pub head: String,
}

/// `POST …/release` body: ends a legal hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HoldRelease {
    /// The verified head this action is bound to (see [`SignedHead`]).
    pub head: String,
}

/// `POST …/rewrap` body: existing envelopes of the case, each re-encrypted to the current
/// recipients. (Before head binding the body was the bare list; see [`SignedHead`].)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewrapRequest {
    /// The verified head this action is bound to (see [`SignedHead`]).
    pub head: String,
    pub envelopes: Vec<RewrappedEnvelope>,
    /// Key ids of the readers the envelopes were encrypted to (`custody::readers`), so every
    /// home can check that a rewrap adds nobody the roster does not give the case, and no
    /// excluded reviewer. Absent from rewraps signed before custody existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readers: Vec<String>,
}

/// One element of [`RewrapRequest::envelopes`]: an existing envelope of the case,
/// re-encrypted to the current recipients, with the SHA-256 of its plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewrappedEnvelope {
    /// The envelope being replaced (it must belong to the case).
    pub envelope_id: String,
    /// The new age file, base64.
    pub age_b64: String,
    /// Lowercase hex SHA-256 of the decrypted payload, the same before and after.
    pub plaintext_sha256: String,
}

/// The `head` of a signed reviewer body (docs/FORMATS.md §3): the lowercase hex hash of
/// the last event of the case that the reviewer's home had verified when it signed.
///
/// It binds the signature to one history: the server refuses a head that is not the hash
/// of an event of the case, and `amana-review` requires it to be an *earlier* event of the
/// same chain, so a genuine signed request cannot be re-attached to a rebuilt case (the
/// rebuilt chain has other hashes). Bodies signed before head binding have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedHead {
    /// The body names this head.
    Bound(String),
    /// A body of an older `amana-review`: an object without `head`, or the bare list the
    /// rewrap body used to be.
    Unbound,
}

impl SignedHead {
    /// Classifies a signed body; `None` if it is not JSON, or `head` is not a string.
    pub fn of_body(body: &[u8]) -> Option<Self> {
        match serde_json::from_slice::<serde_json::Value>(body).ok()? {
            serde_json::Value::Object(map) => match map.get("head") {
                None => Some(Self::Unbound),
                Some(serde_json::Value::String(h)) => Some(Self::Bound(h.clone())),
                Some(_) => None,
            },
            serde_json::Value::Array(_) => Some(Self::Unbound),
            _ => None,
        }
    }
}

/// The `rewrapped` event's detail: which envelopes changed and the hash of each plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewrapDetail {
    pub envelopes: Vec<RewrapRecord>,
}

/// One envelope of a [`RewrapDetail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewrapRecord {
    pub envelope_id: String,
    pub plaintext_sha256: String,
}

/// Whether `s` is a lowercase hex SHA-256.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `GET /api/v1/review/inbox` response: ids only, never content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    /// Cases not yet acknowledged.
    pub new: Vec<String>,
    /// Cases past a deadline.
    pub overdue: Vec<String>,
    /// Cases escalated to oversight.
    pub escalated: Vec<String>,
    /// Who holds each assigned open case: case id to reviewer key id (absent before
    /// assignment existed, and for cases nobody took).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub held: std::collections::BTreeMap<String, String>,
    /// Oversight only: cases on legal hold whose review date has come (absent for agency keys
    /// and from servers before this field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hold_review_due: Vec<String>,
}

/// The error body every API error uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `not_found`.
    pub error: String,
    /// What the user can do about it.
    pub message: String,
}

/// `GET /api/v1/agencies` response (public).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgencyList {
    /// Signed reviewer requests must name this deployment.
    pub deployment_id: String,
    pub agencies: Vec<crate::keyring::Agency>,
    pub kinds: Vec<Kind>,
}

/// `GET /.well-known/amana-receipt-key` response (public).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReceiptKey {
    pub deployment_id: String,
    /// Base64 of the raw 32-byte Ed25519 public key.
    pub ed25519_public_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_query_is_written_in_its_canonical_form_and_read_back() {
        let since = Date::from_calendar_date(2026, time::Month::March, 9).ok();
        let q = PullQuery { since, after: Some("c 1".into()), limit: 2 };
        let target = q.target();
        assert_eq!(target, "/api/v1/review/cases?after=c%201&format=4&limit=2&since=2026-03-09");
        assert_eq!(
            crate::route::canonical_target(paths::CASES, target.split_once('?').map(|p| p.1)).as_deref(),
            Ok(target.as_str())
        );
        assert_eq!(PullQuery::parse(&target), Some(q));
        // `since` alone: a page as large as the server sends; a whole-list pull is not a page.
        let alone = PullQuery::parse("/api/v1/review/cases?format=4&since=2026-03-09");
        assert_eq!(alone, Some(PullQuery { since, after: None, limit: MAX_PAGE }));
        assert_eq!(PullQuery::parse(paths::CASES_PULL), None);
        assert_eq!(PullQuery::parse("/api/v1/review/cases?format=4&since=9.3.2026"), None);
        assert_eq!(PullQuery::parse("/api/v1/review/cases?format=4&other=1"), None);
    }

    #[test]
    fn sha256_hex_is_strict() {
        assert!(is_sha256_hex(&"0a".repeat(32)));
        assert!(!is_sha256_hex(&"0A".repeat(32)));
        assert!(!is_sha256_hex(&"0a".repeat(31)));
        assert!(!is_sha256_hex(&"zz".repeat(32)));
    }

    #[test]
    fn heads_are_read_from_current_and_older_bodies() {
        let h = "ab".repeat(32);
        let of = |s: &str| SignedHead::of_body(s.as_bytes());
        assert_eq!(of(&format!(r#"{{"status":"acknowledged","head":"{h}"}}"#)), Some(SignedHead::Bound(h)));
        assert_eq!(of(r#"{"status":"acknowledged"}"#), Some(SignedHead::Unbound));
        assert_eq!(of(r#"[{"envelope_id":"e"}]"#), Some(SignedHead::Unbound));
        assert_eq!(of(r#"{"head":1}"#), None);
        assert_eq!(of("not json"), None);
        assert_eq!(of("7"), None);
        let body = RewrapRequest { head: "x".into(), envelopes: vec![], readers: vec![] };
        let json = serde_json::to_string(&body).expect("json");
        assert_eq!(json, r#"{"head":"x","envelopes":[]}"#);
        assert!(
            serde_json::from_str::<StatusChange>(r#"{"status":"acknowledged"}"#).is_err(),
            "head required"
        );
    }

    #[test]
    fn rewrap_items_refuse_unknown_fields_and_recipients_default_to_not_oversight() {
        let ok = r#"[{"envelope_id":"e","age_b64":"YQ==","plaintext_sha256":"00"}]"#;
        assert_eq!(serde_json::from_str::<Vec<RewrappedEnvelope>>(ok).map(|v| v.len()).ok(), Some(1));
        let extra = r#"[{"envelope_id":"e","age_b64":"YQ==","plaintext_sha256":"00","x":1}]"#;
        assert!(serde_json::from_str::<Vec<RewrappedEnvelope>>(extra).is_err());
        let old: RecipientWire =
            serde_json::from_str(r#"{"key_id":"a","age_recipient":"age1x"}"#).expect("old");
        assert!(!old.oversight);
    }
}
