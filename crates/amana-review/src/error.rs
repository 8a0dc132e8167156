//! What can go wrong, in words a reviewer can act on.
//!
//! Policy: every message names the thing that failed (a file, a case, a URL) and, where
//! there is one, the next step. Messages never contain case content or secrets.

use std::path::PathBuf;

use amana_core::case::Status;
use amana_core::envelope::EnvelopeError;
use amana_core::payload::PayloadError;
use amana_core::reviewer_keys::KeyFileError;

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
}

/// Shorthand for an I/O error on a path.
pub fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ReviewError {
    let path = path.into();
    move |cause| ReviewError::Io { path, cause }
}
