//! Persistence behind one trait, so SQLite (embedded default) and PostgreSQL (scale-out)
//! are interchangeable. Every statement is written once ([`sql_store`], [`changes`],
//! [`records`], [`attachments`]) and runs on both; `sqlite.rs` and `postgres.rs` hold only
//! what differs (connecting, transaction modes, locking, migrations, scrubbing, backup).
//!
//! What is stored is exactly the list in SECURITY.md ("What the server knows"): reporter
//! content only as age ciphertext, dates only (never times), no addresses, no codes.

use amana_core::case::{Kind, Status};
pub use amana_core::ciphertext::Ciphertext;
use amana_core::deadlines::Deadlines;
use amana_core::events::{Event, EventKind};
use amana_core::payload::Part;
use time::Date;

pub mod attachments;
pub mod backend;
mod changes;
mod custody;
mod evaluations;
mod filter;
mod pieces_file;
pub mod postgres;
mod records;
pub mod resumable;
mod rows;
pub mod sql_store;
pub mod sqlite;
mod sqlite_order;
mod write_turns;

pub use attachments::{Attachments, ClaimLimits, LimitBroken, NewAttachment, StoredAttachment, UploadClaim};
pub use custody::CustodyChange;
pub use evaluations::{Evaluation, RatingFilter, RatingSummary, SpentVisit};
pub use filter::{CaseFilter, Page, Scope};
pub use pieces_file::path_for as pieces_path;
pub use records::CaseHeadRow;
pub use resumable::{NewResumable, Resumable, ResumableRow, SegmentCommit};

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The lookup index is taken: draw a new lookup part and try again.
    #[error("lookup index collision")]
    LookupCollision,
    /// The case changed under us, or a guard (status, rating, follow-up cap) failed.
    #[error("case changed concurrently or a precondition failed")]
    Conflict,
    /// The change names a head ([`Change::head`]) that is not an event of the case.
    #[error("the head the change is bound to is not in the case's history")]
    UnknownHead,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Claiming an upload's files would break a file limit; nothing was committed.
    #[error("a file limit would be exceeded: {0:?}")]
    FileLimit(LimitBroken),
    /// The database is set up to record what the server must not know; it is not used.
    #[error("refusing this database: {0}")]
    Refused(String),
    /// The visit token was used before; nothing was committed.
    #[error("visit token already used")]
    VisitSpent,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A case to insert, with its first envelope and first event, in one transaction.
pub struct NewCase {
    pub id: String,
    pub kind: Kind,
    pub agency: String,
    pub oversight_only: bool,
    pub received_on: Date,
    pub deadlines: Deadlines,
    pub lookup_index: [u8; 32],
    /// The version of the pepper that made `lookup_index` (1: the original `pepper` file).
    pub pepper_id: i32,
    pub kdf_salt: Vec<u8>,
    pub kdf_params: String,
    pub verifier: Vec<u8>,
    pub reporter_recipient: String,
    pub envelope_id: String,
    pub ciphertext: Ciphertext,
    /// Evidence files sent with the report, claimed in the same transaction.
    pub attachments: Option<UploadClaim>,
    /// Base64 of the reporter's code-derived Ed25519 public key (signs follow-ups, ratings).
    pub reporter_key: String,
    /// The salted commitment to the report's plaintext (`payload::commitment`).
    pub commitment: String,
    /// Signs the `submitted` event with the server's attestation key.
    pub attest: Option<EventSigner>,
    /// What an evaluation or compliment records in the clear (nothing for other kinds).
    pub evaluation: Evaluation,
}

/// Signs an event no reviewer makes (docs/FORMATS.md §9) once the store has placed it in its
/// chain: the signature covers the seq and previous hash, which only the store knows inside
/// its transaction. Returns the JSON text of the event's `signed` field.
#[derive(Clone)]
pub struct EventSigner(pub std::sync::Arc<SignEvent>);

/// `(case id, linked event) -> JSON text of its attestation`.
pub type SignEvent = dyn Fn(&str, &Event) -> String + Send + Sync;

impl EventSigner {
    /// Signs as `by` with `key` (the server's attestation key, or the reporter's key).
    pub fn new(
        by: amana_core::events::Attester,
        key: std::sync::Arc<ring::signature::Ed25519KeyPair>,
        deployment_id: String,
    ) -> Self {
        Self(std::sync::Arc::new(move |case_id: &str, e: &Event| {
            amana_core::events::attest(by, &key, &deployment_id, case_id, e)
        }))
    }
}

/// What a code check needs to verify the reporter.
#[derive(Debug, sqlx::FromRow)]
pub struct CaseCredentials {
    pub id: String,
    /// The version of the pepper that made the lookup index this record was found under.
    pub pepper_id: i32,
    pub kdf_salt: Vec<u8>,
    pub kdf_params: String,
    pub verifier: Vec<u8>,
}

/// The clear metadata of a case.
#[derive(Debug, Clone)]
pub struct CaseMeta {
    pub id: String,
    pub kind: Kind,
    pub agency: String,
    pub oversight_only: bool,
    pub status: Status,
    pub received_on: Date,
    pub acknowledged_on: Option<Date>,
    pub deadlines: Deadlines,
    pub extension_days: i64,
    pub escalated: bool,
    pub rating: Option<u8>,
    pub follow_ups: i64,
    pub reporter_recipient: String,
    /// The reviewer who holds the case (`assigned` events), if anyone does.
    pub holder: Option<String>,
    /// The date of the last transfer: later deadlines count from it (`custody::deadline_basis`).
    pub transferred_on: Option<Date>,
    /// Set while oversight holds the case against retention purge: the date it means to
    /// review the hold.
    pub held_review_on: Option<Date>,
}

/// A change to a case's legal hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldChange {
    /// Leaves it as it is.
    Keep,
    /// Puts the case on hold, to be reviewed on this date; refused if it is held already.
    Set(Date),
    /// Ends the hold; refused if it is not held.
    Clear,
}

/// A status check's match on a purged case: its code's credentials, and the purge date.
#[derive(Debug)]
pub struct PurgedCode {
    pub credentials: CaseCredentials,
    pub purged_on: Date,
}

/// A stored envelope.
#[derive(Debug, Clone)]
pub struct StoredEnvelope {
    pub id: String,
    pub part: Part,
    pub created_on: Date,
    pub ciphertext: Vec<u8>,
}

/// An envelope to append to a case.
pub struct NewEnvelope {
    pub id: String,
    pub part: Part,
    pub ciphertext: Ciphertext,
}

/// A new ciphertext for an existing envelope of the case (`amana-review rewrap`).
pub struct EnvelopeRewrap {
    /// Must name an envelope of the change's case, or the whole change is refused.
    pub id: String,
    pub ciphertext: Ciphertext,
}

/// A history entry to append; the store links and hashes it.
pub struct NewEvent {
    pub kind: EventKind,
    pub actor: Option<String>,
    /// JSON text.
    pub detail: String,
    /// The signed request as JSON text, for reviewer actions.
    pub signed: Option<String>,
    /// Signs the event once it is linked (server and reporter events).
    pub attest: Option<EventSigner>,
}

/// One atomic change to a case: a compare-and-set on its status (and the guards below),
/// new field values, at most one new envelope, replaced ciphertexts of existing envelopes,
/// and one history event.
pub struct Change {
    pub case_id: String,
    pub on: Date,
    /// The status the case must have now (the change is refused otherwise).
    pub expect_status: Status,
    pub new_status: Status,
    pub acknowledged_on: Option<Date>,
    pub deadlines: Option<Deadlines>,
    pub extension_days: Option<i64>,
    /// Sets the rating; refused if the case was already rated.
    pub rating: Option<u8>,
    /// Counts a follow-up; refused if the case already has this many.
    pub follow_up_cap: Option<i64>,
    pub envelope: Option<NewEnvelope>,
    /// Evidence files sent with the envelope, claimed in the same transaction.
    pub attachments: Option<UploadClaim>,
    /// Existing envelopes whose ciphertext is replaced (a rewrap); refused with
    /// [`StoreError::Conflict`] if one is not an envelope of this case.
    pub rewraps: Vec<EnvelopeRewrap>,
    /// For a signed reviewer action: the hash of the event its reviewer verified last
    /// (docs/FORMATS.md §3). Checked in the change's transaction; refused with
    /// [`StoreError::UnknownHead`] unless it is the hash of an event of this case.
    pub head: Option<String>,
    /// Puts the case on legal hold or ends it.
    pub hold: HoldChange,
    /// A transfer, exclusion or assignment (issue 15), written in the same transaction.
    pub custody: Option<CustodyChange>,
    pub event: NewEvent,
}

impl Change {
    /// A change that keeps the status and sets nothing but the envelope and event.
    pub fn event_only(case: &CaseMeta, on: Date, event: NewEvent) -> Self {
        Change {
            case_id: case.id.clone(),
            on,
            expect_status: case.status,
            new_status: case.status,
            acknowledged_on: None,
            deadlines: None,
            extension_days: None,
            rating: None,
            follow_up_cap: None,
            envelope: None,
            attachments: None,
            rewraps: Vec::new(),
            head: None,
            hold: HoldChange::Keep,
            custody: None,
            event,
        }
    }
}

/// A case with everything a reviewer pulls.
pub struct CaseRecord {
    pub meta: CaseMeta,
    pub envelopes: Vec<StoredEnvelope>,
    pub attachments: Vec<StoredAttachment>,
    pub events: Vec<Event>,
}

/// A closed case as retention sees it (`amana purge`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedCase {
    pub id: String,
    pub kind: Kind,
    /// The UTC date of the status change that closed it.
    pub closed_on: Date,
    /// The UTC date of its newest reporter content: the submission, a follow-up or the rating.
    pub last_reporter_content_on: Date,
    /// On legal hold: never purged until oversight releases it.
    pub held: bool,
}

/// The event kinds that carry reporter content (retention waits after the newest one).
pub(crate) const REPORTER_CONTENT_KINDS: &str = "'submitted', 'follow_up', 'rated'";

/// The persistence interface. Every method is tested against each backend.
#[async_trait::async_trait]
pub trait Store: Attachments + Resumable + Send + Sync {
    /// Applies pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Inserts a case, its first envelope and its `submitted` event atomically and durably.
    async fn insert_case(&self, case: &NewCase) -> Result<(), StoreError>;
    /// Finds the credentials stored under a lookup index.
    async fn credentials(&self, lookup_index: &[u8; 32]) -> Result<Option<CaseCredentials>, StoreError>;
    /// Finds what a purge left under a lookup index (`id` is empty: no case is named).
    async fn purged_code(&self, lookup_index: &[u8; 32]) -> Result<Option<PurgedCode>, StoreError>;
    /// Forgets what purges left before `before` (codes and tombstones); returns how many
    /// codes.
    async fn forget_purged_codes(&self, before: Date) -> Result<u64, StoreError>;
    /// The cases purged on or after `since`: [`amana_core::wire::Tombstone::key_of`] their
    /// id and the purge date, in key order (the tombstones of an incremental pull).
    async fn tombstones(&self, since: Date) -> Result<Vec<(String, Date)>, StoreError>;
    /// One closed case as retention sees it (`None` if the case is open or missing).
    async fn closed_case(&self, id: &str) -> Result<Option<ClosedCase>, StoreError>;
    /// The clear metadata of one case.
    async fn case_meta(&self, id: &str) -> Result<Option<CaseMeta>, StoreError>;
    /// The metadata of every case `filter` admits, oldest first.
    async fn case_metas(&self, filter: &CaseFilter) -> Result<Vec<CaseMeta>, StoreError>;
    /// Every case `filter` admits, with envelopes, files and history, all read in one
    /// snapshot (the metadata and the history of a case always agree); with a page
    /// ([`CaseFilter::page`]) only that page, selected in SQL.
    async fn records(&self, filter: &CaseFilter) -> Result<Vec<CaseRecord>, StoreError>;
    /// The history head (sequence number and hash of the last event) of every case `filter`
    /// admits, in id order, `None` for a case without events: one statement, no case body
    /// read (a heads-first pull, docs/FORMATS.md §3).
    async fn heads(&self, filter: &CaseFilter) -> Result<Vec<CaseHeadRow>, StoreError>;
    /// How many cases `filter` admits, all pages together (the `total` of a pull's first page).
    async fn count_cases(&self, filter: &CaseFilter) -> Result<u64, StoreError>;
    /// A case's envelopes of the given parts, in order.
    async fn envelopes(&self, case_id: &str, parts: &[Part]) -> Result<Vec<StoredEnvelope>, StoreError>;
    /// The reviewers oversight excluded from a case (key ids).
    async fn exclusions(&self, case_id: &str) -> Result<Vec<String>, StoreError>;
    /// Applies a change atomically; [`StoreError::Conflict`] if a guard fails.
    async fn apply(&self, change: &Change) -> Result<(), StoreError>;
    /// Escalates every open case past a deadline on `today` that is not escalated yet,
    /// once (safe to run on several nodes at once), each `escalated` event signed by
    /// `attest`; returns the ids escalated now.
    async fn escalate_overdue(
        &self,
        today: Date,
        attest: Option<&EventSigner>,
    ) -> Result<Vec<String>, StoreError>;
    /// Records a nonce; `false` if it was already used.
    async fn use_nonce(&self, nonce: &str, expires_on: Date) -> Result<bool, StoreError>;
    /// Forgets nonces whose window has passed.
    async fn purge_nonces(&self, today: Date) -> Result<u64, StoreError>;
    /// Every closed case, with its closure date and the date of its newest reporter content.
    async fn closed_cases(&self) -> Result<Vec<ClosedCase>, StoreError>;
    /// Deletes one case by id, and with it (`ON DELETE CASCADE`) its envelopes, history and
    /// attachments — only if it is closed, not on legal hold, and has no reporter content
    /// dated on or after `quiet_since` (re-checked under the case's lock, so a rating,
    /// follow-up or hold arriving meanwhile on another node keeps it) — and keeps its code's
    /// credentials in `purged_codes`, dated `today`, in the same transaction. `false` if
    /// nothing was deleted.
    async fn delete_closed_case(&self, id: &str, quiet_since: Date, today: Date) -> Result<bool, StoreError>;
    /// Makes deleted rows unrecoverable from the database's own files as far as the backend
    /// allows. SQLite (`secure_delete` on every connection): checkpoints the WAL into the
    /// main file and truncates it; `false` if readers kept it from completing. PostgreSQL:
    /// `VACUUM` (dead rows become free space; see SECURITY.md for what remains).
    async fn scrub(&self) -> Result<bool, StoreError>;

    /// Sums of evaluation answers per agency, centre, questionnaire version and criterion,
    /// for cases received in the filter's dates; junk (`closed_spam`) is never counted.
    async fn rating_summary(&self, filter: &RatingFilter) -> Result<Vec<RatingSummary>, StoreError>;

    /// Stores a period's signed figures (the file as oversight signed it); `false`, and
    /// nothing changed, if that period was published before (a period is published once).
    async fn publish(&self, from: Date, to: Date, signed: &str) -> Result<bool, StoreError>;

    /// Every published file, newest period first.
    async fn publications(&self) -> Result<Vec<String>, StoreError>;

    /// Stores an improvement period's signed file under its id, replacing the one held (its
    /// closing: the caller checked the signature, and that a replacement only closes it).
    async fn put_improvement(&self, id: &str, agency: &str, signed: &str) -> Result<(), StoreError>;

    /// Every improvement period as `(agency, signed file)`, by id (random: no order of arrival).
    async fn improvements(&self) -> Result<Vec<(String, String)>, StoreError>;
}

/// Formats a date as stored: `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The `submitted` event's detail: the report's envelope, how many files came with it and
/// their digests (so no file can be swapped, added or removed later), and — attested with it —
/// what reviewers must never take from the server's word alone: the case's kind, agency and
/// "oversight only" flag (they decide who reads it), the reporter's reply recipient and
/// signing key, and the salted commitment to the report.
fn submitted_detail(c: &NewCase) -> String {
    let mut d = serde_json::json!({
        "envelope_id": c.envelope_id,
        "kind": c.kind,
        "agency": c.agency,
        "oversight_only": c.oversight_only,
        "reporter_recipient": c.reporter_recipient,
        "reporter_key": c.reporter_key,
        "commitment": c.commitment,
    });
    UploadClaim::record_in(c.attachments.as_ref(), &mut d);
    // The centre and answers are attested with the rest: nobody changes them unseen.
    if let Some(centre) = &c.evaluation.centre {
        d["centre"] = serde_json::json!(centre);
    }
    if c.evaluation.visit.is_some() {
        d["commissioned"] = serde_json::json!(true);
    }
    if let Some(a) = &c.evaluation.answers {
        d["ratings"] = serde_json::json!({ "questionnaire": a.questionnaire, "version": a.version, "answers": a.ratings });
    }
    d.to_string()
}

/// Builds the event row to append after `prev` (seq, hash, date) — shared by every backend
/// so the chain is computed the same way everywhere. The date is never before the previous
/// event's: `amana-review` refuses a history whose dates go back, so a clock that steps
/// back (or a node whose clock is behind another's) must not make a case unverifiable.
fn link_event(
    case_id: &str,
    prev: Option<(i64, String, Date)>,
    on: Date,
    status: Status,
    e: &NewEvent,
) -> Event {
    let (seq, prev_hash, on) = match prev {
        Some((seq, hash, prev_on)) => (seq + 1, hash, on.max(prev_on)),
        None => (0, amana_core::events::GENESIS.to_string(), on),
    };
    let mut event = Event {
        seq,
        on,
        kind: e.kind,
        status,
        actor: e.actor.clone(),
        detail: e.detail.clone(),
        signed: e.signed.clone(),
        prev_hash,
        hash: String::new(),
    };
    if let Some(attest) = &e.attest {
        event.signed = Some((attest.0)(case_id, &event));
    }
    event.hash = amana_core::events::compute_hash(case_id, &event);
    event
}
