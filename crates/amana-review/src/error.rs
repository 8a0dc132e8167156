//! What can go wrong, in words a reviewer can act on.
//!
//! Policy: every message names the thing that failed (a file, a case, a URL) and, where
//! there is one, the next step. Messages never contain case content or secrets.

use std::path::PathBuf;

use amana_core::case::Status;
use amana_core::envelope::EnvelopeError;
use amana_core::payload::PayloadError;
use amana_core::reviewer_keys::KeyFileError;
use amana_core::signing::RequestFileError;

/// The errors of `amana-review`.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no reviewer home: pass --home DIR or set AMANA_REVIEW_HOME (HOME is not set either)")]
    NoHome,

    #[error(
        "no reviewer keys in {0}: run `amana-review keygen --id ID --agency AGENCY` first, \
         or point --home at your reviewer directory"
    )]
    NoKeys(PathBuf),

    #[error(
        "{0} already exists: refusing to overwrite reviewer keys. \
         Choose another --home, or move the old files away first"
    )]
    AlreadyExists(PathBuf),

    #[error(
        "a reviewer must serve at least one agency (--agency ID, may be repeated) \
         or be an oversight reviewer (--oversight)"
    )]
    NoScope,

    #[error("invalid {what} `{value}`: use 1-64 lowercase letters, digits, '-' or '_'")]
    BadName { what: &'static str, value: String },

    #[error("the two passphrases differ; nothing was written")]
    PassphraseMismatch,

    #[error("an empty passphrase protects nothing; use --no-passphrase if you really mean it")]
    EmptyPassphrase,

    #[error("cannot read a passphrase from the terminal ({0}); set AMANA_REVIEW_PASSPHRASE instead")]
    NoTerminal(std::io::Error),

    #[error("{path}: {cause}")]
    KeyFile { path: PathBuf, cause: KeyFileError },

    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },

    #[error("{path} is damaged: {detail}")]
    Damaged { path: PathBuf, detail: String },

    #[error(
        "no server address: pass --server URL, set AMANA_SERVER, \
         or add `server = \"https://…\"` to {0}"
    )]
    NoServer(PathBuf),

    #[error("`{0}` is not a server address: it must start with http:// or https://")]
    BadServerUrl(String),

    #[error("could not reach {url}: {detail}. Check the server address and your connection")]
    Unreachable { url: String, detail: String },

    #[error(
        "the server refused the signature (HTTP 401): {message}. \
         Is your public entry in the server's keys/reviewers/, and is this machine's clock right?"
    )]
    SignatureRefused { message: String },

    #[error(
        "the server has already seen this signed request ({message}): it was used before (the \
         same outbox file or pull authorization used twice, or an answer lost on the way), and \
         nothing new was done with it. Check with `amana-review pull` whether the action is in \
         the case's history; if it is not, make it again (a fresh signature)"
    )]
    AlreadySeen { message: String },

    #[error("the server refused the request (HTTP {status}): {message}")]
    Refused { status: u16, message: String },

    #[error("the server redirected {url} to {location}: use the final address as --server")]
    Redirected { url: String, location: String },

    #[error("the server at {url} sent a response we cannot use: {detail}")]
    BadResponse { url: String, detail: String },

    #[error(
        "the server sent an unsafe {what} `{value}`: refusing to use it as a file name \
         (only A-Z, a-z, 0-9, '_' and '-', at most 64 characters). Nothing was written"
    )]
    UnsafeId { what: &'static str, value: String },

    #[error(
        "case {case}: {detail}. The server's record no longer extends what you pulled before, \
         so it may have been rewritten: nothing was written. Tell the oversight unit"
    )]
    HistoryRewritten { case: String, detail: String },

    #[error(
        "case {0} has no verified history here, so an action on it cannot be bound to one: \
         run `amana-review pull` (or `import`) first. Nothing was signed"
    )]
    NoHistory(String),

    #[error("no pulled case matches `{0}`: see `amana-review list`, or `amana-review pull` first")]
    UnknownCase(String),

    #[error("`{prefix}` matches several cases ({matches}): type more of the id")]
    AmbiguousCase { prefix: String, matches: String },

    #[error("case {case} is not encrypted to your key ({hint})")]
    NotARecipient { case: String, hint: &'static str },

    #[error("{0} is missing: run `amana-review pull` to fetch the case again")]
    MissingEnvelope(PathBuf),

    #[error("case {case}, envelope {envelope}: {cause}")]
    Envelope { case: String, envelope: String, cause: EnvelopeError },

    #[error("case {case}, envelope {envelope} decrypted but is not an Amana payload: {cause}")]
    Payload { case: String, envelope: String, cause: PayloadError },

    #[error("case {case} is `{from}` and cannot move to `{to}`; allowed next: {allowed}")]
    InvalidTransition { case: String, from: Status, to: Status, allowed: String },

    #[error(
        "no deployment id in {0}: commands that must not touch the network cannot learn it. \
         Add `deployment_id = \"…\"` there (the operator gives it out; it is public at \
         GET /api/v1/agencies), or run one online command first"
    )]
    NoDeploymentId(PathBuf),

    #[error(
        "{source_desc} is for deployment `{got}`, but your config.toml names `{expected}`: \
         refusing it (wrong server, or a bundle from another deployment). Nothing was written"
    )]
    DeploymentMismatch { source_desc: String, expected: String, got: String },

    #[error(
        "case {case}: its history does not verify: {detail}. Nothing was written. Tell the oversight unit"
    )]
    HistoryInvalid { case: String, detail: String },

    #[error("`{0}` needs the server and cannot run with --offline; {1}")]
    NeedsNetwork(&'static str, &'static str),

    #[error("no server address: pass --server URL or set AMANA_SERVER (this command needs no home)")]
    NoServerFlag,

    #[error("the {0} is empty: nothing was signed")]
    EmptyText(&'static str),

    #[error("the {0} is too long to send (at most about {1} KiB after encryption): shorten it")]
    TextTooLong(&'static str, usize),

    #[error("no text given: pass --message TEXT or --file PATH, or set EDITOR to write it in an editor")]
    NoEditor,

    #[error("the editor `{editor}` failed: {detail}. Nothing was signed")]
    EditorFailed { editor: String, detail: String },

    #[error("case {case} has no {what} recipient: pull it again")]
    NoRecipients { case: String, what: &'static str },

    #[error("case {case}: the server lists an invalid age recipient: {detail}")]
    BadRecipient { case: String, detail: String },

    #[error("case {case}: rewrap refused: {why}. Nothing was signed")]
    RewrapRefused { case: String, why: String },

    #[error("--days must be at least 1 (you gave {0})")]
    BadDays(i64),

    #[error(
        "case {case}: {asked} more days would make {total} days of extension in all; the most is \
         {max} ({used} used so far{pending})"
    )]
    ExtensionLimit { case: String, asked: i64, total: i64, max: i64, used: i64, pending: String },

    #[error("case {0} is closed: it has no deadline to extend")]
    ClosedCase(String),

    #[error(
        "no case chosen: name cases (ids or prefixes), or pass --new for every pulled case still received"
    )]
    NothingChosen,

    #[error("{0} case(s) were not closed (each is named above): pull, check them, and run the command again for those")]
    SomeNotClosed(usize),

    #[error("{path}: {cause}")]
    RequestFile { path: PathBuf, cause: RequestFileError },

    #[error("{path}: not a signed request file: {detail}")]
    NotRequestFile { path: PathBuf, detail: String },

    #[error("{path} is a {what}; {hint}")]
    WrongRequest { path: PathBuf, what: String, hint: &'static str },

    #[error(
        "push stopped at {file}: {cause}. Sent before it: {sent} (moved to {sent_dir}); \
         not sent: {left} (still in the outbox). If the server says the request was already \
         used, it was applied before: move the file to {sent_dir} by hand"
    )]
    PushStopped { file: PathBuf, sent: usize, left: usize, sent_dir: PathBuf, cause: Box<ReviewError> },

    #[error("case {case}, attachment {attachment}: {detail}")]
    Attachment { case: String, attachment: String, detail: String },

    #[error("the download into {path} was cut short: {detail}. Run `amana-review pull` again to retry")]
    DownloadInterrupted { path: PathBuf, detail: String },

    #[error(
        "{0} already exists and is not an empty folder: export into a new folder \
         (it is created readable by you only)"
    )]
    ExportDirExists(PathBuf),

    #[error("{0}: the export register needs a folder path that is valid UTF-8")]
    ExportDirName(PathBuf),

    #[error("{failed} of {total} attachment(s) were not exported (see above); the others are in {dir}")]
    ExportIncomplete { failed: usize, total: usize, dir: PathBuf },

    #[error("pull stored the cases, but {0} attachment(s) could not be fetched (see above): run `amana-review pull` again")]
    FetchIncomplete(usize),

    #[error("receipt NOT valid: {0}")]
    ReceiptInvalid(String),

    #[error("{what} is not a valid Ed25519 public key (base64 of 32 bytes)")]
    BadPublicKey { what: String },

    #[error("the signed roster was refused: {detail}. Nothing was written")]
    RosterRefused { detail: String },

    #[error(
        "this home has no roster fingerprint yet: ask the oversight unit for it IN PERSON (never \
         by e-mail or from the server) and run `amana-review trust-roster \"<fingerprint>\"` \
         (it is recorded in {0})"
    )]
    NoRosterFingerprint(PathBuf),

    #[error(
        "no signed roster: the server (or the bundle) carries none, and this home holds none. \
         The oversight unit must sign one (ops/README.md, \"The roster ceremony\") before \
         reviewers can trust any key; nothing was written"
    )]
    NoRoster,

    #[error("that is not a roster fingerprint: 32 hexadecimal digits, as `amana-review roster-keygen` prints them")]
    BadFingerprint,

    #[error(
        "this home already trusts roster key {old}, not {new}. A new roster key is a ceremony \
         announced by the oversight unit in person: only then run again with --replace"
    )]
    FingerprintChange { old: String, new: String },

    #[error("{what}: upgrade amana-review, then pull again")]
    UpgradeNeeded { what: String },

    #[error(
        "case {case}: the server names other readers ({server}) than the signed roster gives \
         ({roster}); nothing was encrypted or signed. Pull again; if it persists, tell the oversight unit"
    )]
    ReadersMismatch { case: String, server: String, roster: String },

    #[error("{0} case(s) could not be verified and were QUARANTINED (see above and `amana-review list`); every other case was stored. Tell the oversight unit")]
    Quarantined(usize),

    #[error("{0} request(s) the server acknowledged are not in their case's history (see above): the server dropped them or has not stored them. Send them again, and tell the oversight unit")]
    AcknowledgedMissing(usize),

    #[error("only oversight reviewers may rewrap a case (the roster does not list `{0}` as oversight)")]
    RewrapNotOversight(String),

    #[error("only oversight reviewers sign visit tokens (the roster does not list `{0}` as a current oversight reviewer)")]
    VisitTokensNotOversight(String),

    #[error("only oversight reviewers may {action} a case (the roster does not list `{key}` as oversight): ask the oversight unit")]
    NotOversight { action: &'static str, key: String },

    #[error("--review-on {0} is not after today: give the date oversight will review the hold")]
    ReviewDatePast(time::Date),

    #[error("only oversight reviewers may {action} a case (the roster does not list `{me}` as oversight): ask the oversight unit")]
    CustodyNotOversight { action: &'static str, me: String },

    #[error("case {case}: {why}. Nothing was signed")]
    CustodyRefused { case: String, why: String },

    #[error("case {case} is held by {holder}: your reply was not signed. Ask {holder} first, or pass --anyway to reply all the same")]
    HeldByAnother { case: String, holder: String },
}

/// Shorthand for an I/O error on a path.
pub fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ReviewError {
    let path = path.into();
    move |cause| ReviewError::Io { path, cause }
}
