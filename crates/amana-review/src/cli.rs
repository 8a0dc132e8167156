//! The command line (clap derive).

use std::path::PathBuf;

use amana_core::case::Status;
use clap::{Args, Parser, Subcommand};

/// Amana reviewer CLI: decrypt cases on your own machine, sign every action.
#[derive(Debug, Parser)]
#[command(name = "amana-review", version, about, max_term_width = 100)]
pub struct Cli {
    /// Reviewer home directory: keys, config.toml and pulled cases
    /// [default: $HOME/.amana-review]
    #[arg(long, global = true, env = "AMANA_REVIEW_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Server base URL, e.g. https://amana.example.org (overrides config.toml's `server`)
    #[arg(long, global = true, env = "AMANA_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// Air gap: status, spam, reply, extend, rewrap, hold, release, transfer, exclude and
    /// assign write the signed request(s) to <home>/outbox/
    /// instead of sending it (carry the outbox to a connected machine and `push` it there).
    /// Never touches the network; needs `deployment_id` in config.toml
    #[arg(long, global = true)]
    pub offline: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create your keys: an age identity (decrypts cases) and an Ed25519 signing key
    /// (signs your actions), and print the public entry for the server's keys/reviewers/
    Keygen(KeygenArgs),
    /// Download the cases in your scope (still encrypted) into the home, verifying their
    /// signed history, then every attachment file not fetched yet (still encrypted; a
    /// progress bar for large ones; an interrupted file is fetched again on the next pull).
    /// With --authorization and --out (on a connected machine, no keys, no home): send a
    /// pull authorization made by `authorize-pull` and save the answer as a bundle for
    /// `import`. A bundle carries the attachment LIST but not the files' content
    Pull(PullArgs),
    /// Verify and store a bundle saved by `pull --authorization` (offline), exactly like a
    /// pull. Attachment content is not in a bundle: `show` marks those files "NOT fetched"
    Import {
        /// The bundle file
        bundle: PathBuf,
    },
    /// Record the fingerprint of the oversight unit's roster key, received IN PERSON (never
    /// from the server or by e-mail): from then on this home trusts only keys listed in a
    /// roster signed by that key
    TrustRoster {
        /// The fingerprint, e.g. "1a2b 3c4d …" (32 hex digits; spaces and dashes ignored)
        fingerprint: String,
        /// Replace a fingerprint recorded before (only in a roster key rotation that the
        /// oversight unit announced in person)
        #[arg(long)]
        replace: bool,
    },
    /// Oversight, offline: create the roster key and print its fingerprint
    RosterKeygen {
        /// Where to write the (passphrase-protected) roster key
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Store it unprotected (test machines only)
        #[arg(long)]
        no_passphrase: bool,
    },
    /// Oversight, offline: sign the roster from a key directory (agencies.toml and
    /// reviewers/*.toml) into DIR/roster.json, with a version above the current one
    RosterSign {
        /// The roster key made by `roster-keygen`
        #[arg(long, value_name = "FILE")]
        roster_key: PathBuf,
        /// The deployment's key directory
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        /// The server's attestation public key (base64), as `GET /.well-known/amana-receipt-key`
        /// shows it; needed for the first roster, kept from the current one afterwards
        #[arg(long, value_name = "BASE64")]
        attestation_key: Option<String>,
        /// The new version [default: the current roster's plus one, or 1]
        #[arg(long, value_name = "N")]
        version: Option<u64>,
        /// Where to write [default: DIR/roster.json]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// An oversight reviewer home: for each revoked reviewer, the events of that key this
        /// home verified are listed as valid, so fresh homes still accept them
        #[arg(long, value_name = "HOME")]
        vouch_from: Option<PathBuf>,
    },
    /// List pulled cases (offline)
    List,
    /// Print each case's last verified history head (seq and hash) and, for a quarantined
    /// case, since when and why: what the oversight unit compares between homes when a pull
    /// cries "tampered" (ops/README.md) (offline)
    Heads {
        /// Only this case (id, or a unique prefix of it among the cases this home knows)
        case: Option<String>,
    },
    /// Decrypt and print a pulled case: metadata, history, the whole thread and its
    /// attachments (name, type, size, which report or follow-up, whether fetched) (offline)
    Show {
        /// Case id, or a unique prefix of it
        case: String,
    },
    /// Fetch evidence files a pull left on the server (over its --files-budget): all of a
    /// case's, or one by its number in `show` or its id (still encrypted)
    Fetch {
        /// Case id, or a unique prefix of it
        case: String,
        /// The file's number in `show`, or its id [default: every file not fetched yet]
        attachment: Option<String>,
    },
    /// Move a case to a new status (a signed request; with --offline, a file in the outbox)
    Status {
        /// Case id, or a unique prefix of it
        case: String,
        /// The new status: acknowledged, in_review, needs_info, closed_action_taken,
        /// closed_unfounded, closed_referred or closed_spam (junk; see `spam`)
        #[arg(value_parser = parse_status, value_name = "NEW_STATUS")]
        status: Status,
        /// A note for the case's reviewers (encrypted to them, not to the reporter)
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Close junk as closed_spam: one signed status change per case (with --offline, one
    /// file each in the outbox). Junk counts in no indicator or deadline list, and the
    /// reporter sees a neutral "closed". Each case is reported; the others go on when one fails
    Spam {
        /// Case ids, or unique prefixes of them
        #[arg(value_name = "CASE")]
        cases: Vec<String>,
        /// Also every pulled case still `received` (what `inbox` calls new): pull first
        #[arg(long)]
        new: bool,
    },
    /// Reply to the reporter (encrypted to the reporter and the case's reviewers). The text
    /// comes from --message, --file, or else $EDITOR
    Reply {
        /// Case id, or a unique prefix of it
        case: String,
        /// The reply text
        #[arg(long, value_name = "TEXT", conflicts_with = "file")]
        message: Option<String>,
        /// Read the reply from this file ('-' for standard input)
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Reply even though another reviewer holds the case (`assign`)
        #[arg(long)]
        anyway: bool,
    },
    /// Extend the feedback deadline, with a reason for the case's reviewers (at most
    /// 183 days in all)
    Extend {
        /// Case id, or a unique prefix of it
        case: String,
        /// Days to add
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        days: i64,
        /// Why (mandatory; encrypted to the case's reviewers)
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Oversight only: re-encrypt a case's envelopes to its readers under the current signed
    /// roster (after a reviewer was added or revoked): pull first. Every envelope your key
    /// opens is checked against its commitment and encrypted again (replies and follow-ups
    /// also to the reporter), in one signed request whose event records each plaintext's
    /// salted commitment. Evidence files keep their original recipients (not rewrapped)
    Rewrap {
        /// Case id, or a unique prefix of it
        case: String,
    },
    /// Oversight only: put a case on legal hold, so retention purge keeps it until released
    /// (a signed request; with --offline, a file in the outbox)
    Hold {
        /// Case id, or a unique prefix of it
        case: String,
        /// Why (mandatory; encrypted to the case's reviewers)
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// When oversight will review the hold (YYYY-MM-DD, after today; stored in clear)
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        review_on: time::Date,
    },
    /// Oversight only: end a case's legal hold (retention applies again)
    Release {
        /// Case id, or a unique prefix of it
        case: String,
    },
    /// Oversight only: move a misrouted case to another agency, re-encrypted to that
    /// agency's readers and oversight in the same signed request; its deadlines start again
    /// on the transfer date, and the former agency's reviewers are no longer served it
    Transfer {
        /// Case id, or a unique prefix of it
        case: String,
        /// The agency it belongs to (an id from GET /api/v1/agencies)
        agency: String,
    },
    /// Oversight only: exclude a reviewer from a case (the report is about them or their
    /// superior): re-encrypted without them in the same signed request, and no longer served
    Exclude {
        /// Case id, or a unique prefix of it
        case: String,
        /// The reviewer's key id
        reviewer: String,
    },
    /// Take a case (hold it), or hand it over to another of its readers with --to
    Assign {
        /// Case id, or a unique prefix of it
        case: String,
        /// The reviewer who holds it from now on [default: you]
        #[arg(long, value_name = "KEY_ID")]
        to: Option<String>,
    },
    /// Content-free notices from the server: counts and ids of new, overdue and escalated cases
    Inbox,
    /// Sign a single-use pull authorization (offline) for `pull --authorization` on a
    /// connected machine
    AuthorizePull {
        /// Where to write it [default: <home>/pull-authorization.json]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Authorize the whole list (every case in scope) instead of what changed since the
        /// last import
        #[arg(long)]
        full: bool,
    },
    /// Send every signed request file in OUTBOX_DIR, in order (connected machine: no keys,
    /// no home); sent files move to OUTBOX_DIR/sent/; stops at the first failure
    Push {
        /// The outbox directory carried from the laptop
        #[arg(value_name = "OUTBOX_DIR")]
        dir: PathBuf,
    },
    /// Check a proof-of-filing receipt against the report text
    VerifyReceipt {
        /// The receipt (JSON)
        receipt: PathBuf,
        /// The report text exactly as filed
        text_file: PathBuf,
        /// The server's receipt public key (base64), as the deployment publishes it;
        /// without it the key is fetched from --server
        #[arg(long, value_name = "BASE64")]
        server_key: Option<String>,
    },
    /// Decrypt a case's attachments into DIR (created readable by you only), with their
    /// names made safe, and report the metadata in each file that could identify the
    /// reporter (JPEG EXIF/XMP, PDF document info/XMP, Office author fields) (offline)
    #[command(after_long_help = EXPORT_HELP)]
    Export {
        /// Case id, or a unique prefix of it
        case: String,
        /// A new (or empty) folder for the decrypted files
        #[arg(value_name = "DIR")]
        dir: std::path::PathBuf,
        /// Also write stripped copies beside the originals (NAME.stripped.EXT) for JPEG,
        /// PDF and Office files; see below for what is and is not removed
        #[arg(long)]
        strip: bool,
    },
    /// Delete the export folders older than the retention age and say which (the
    /// register of exports is kept in the home) (offline)
    PurgeExports {
        /// Retention age in days [default: `export_retention_days` in config.toml, else 30];
        /// 0 deletes every recorded export
        #[arg(long, value_name = "N")]
        older_than_days: Option<u32>,
    },
    /// Oversight, offline: sign single-use visit tokens for commissioned mystery shoppers;
    /// an evaluation sent with one counts as commissioned
    VisitTokens {
        /// The agency whose centres the shoppers visit
        #[arg(long)]
        agency: String,
        /// Only this service centre (default: any centre of the agency)
        #[arg(long)]
        centre: Option<String>,
        /// How many tokens (one per visit)
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// The last UTC date the tokens can be used on (YYYY-MM-DD)
        #[arg(long, value_parser = parse_date)]
        valid_until: time::Date,
        /// A new file to write them to, one per line
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Upload a figures file signed by `kpis --publish` (needs --server, no key: the file
    /// carries oversight's signature); each period is published once
    PublishFigures {
        /// The file `kpis --publish` wrote
        file: PathBuf,
    },
    /// The desk: this tool as a local web app in your browser, on 127.0.0.1 only, reachable
    /// only through the secret address it prints (README.md "The desk")
    Desk(crate::desk::Args),
    /// Indicators per agency and kind from the pulled cases' metadata (offline, no decryption)
    Kpis {
        /// Machine-readable output
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// CSV for a spreadsheet (one row per agency and kind, then the total)
        #[arg(long)]
        csv: bool,
        /// Only cases received in this period: a year (2026), a quarter (2026-Q3) or a month
        /// (2026-11), UTC
        #[arg(long, value_parser = crate::period::parse)]
        period: Option<crate::period::Period>,
        /// Oversight only, on the terminal only: each reviewer's timeliness (cases acted on,
        /// days to first action and to reply, held cases overdue)
        #[arg(long)]
        officers: bool,
        /// Oversight only: sign the public figures of --period, a calendar quarter (at least
        /// 120 days after it ends; small counts hidden, SECURITY.md "Published figures"), into
        /// a new FILE
        #[arg(long, value_name = "FILE", requires = "period", conflicts_with_all = ["json", "csv", "officers"])]
        publish: Option<PathBuf>,
        /// With --publish or --html: counts below K are shown as "fewer than K" (at least 3)
        #[arg(long, default_value_t = amana_core::disclosure::DEFAULT_K)]
        k: u32,
        /// The operations room as one self-contained HTML report in a new FILE, for sending
        /// on: no script, no outside resource, small counts hidden, no oversight-only case
        /// and no officer's figure (docs/OPERATIONS-ROOM.md)
        #[arg(long, value_name = "FILE", conflicts_with_all = ["json", "csv", "officers", "publish"])]
        html: Option<PathBuf>,
        /// The report's language: ar or en
        #[arg(long, default_value = "en", value_parser = crate::report::Lang::parse, requires = "html")]
        lang: crate::report::Lang,
    },
    /// Improvement periods: oversight opens one (signed) for an agency or a centre, with a
    /// reason, the figures to improve and a deadline; `pull` brings each home those of its
    /// agencies; `kpis` shows them with before/after figures once closed
    Improvement {
        #[command(subcommand)]
        action: crate::improvement::Action,
    },
}

/// What `export --help` adds after the options.
const EXPORT_HELP: &str = "\
Names: path separators, `..`, control and bidi characters, leading dots and Windows-reserved
names or characters are neutralised, long names are shortened (the extension kept) and
duplicates become `name (2).ext`. Existing files are never overwritten; a file that fails to
decrypt or verify leaves nothing behind.

--strip removes: JPEG EXIF (GPS, camera, serials, dates, thumbnail), XMP, IPTC and comments;
PDF document information (author, creator, producer, dates, title), XMP and the file ID;
Office (docx/xlsx/pptx) creator, last modified by, company and manager.
--strip does NOT remove: what the content itself shows or says, images embedded in PDF or
Office files (with their own EXIF), Office comment and tracked-change authors, dates and
custom properties, or anything in other file types. Check the stripped copies before
passing them on.

Every export is recorded in the home; every command reminds you once exports are older
than `export_retention_days` (config.toml, default 30): run `amana-review purge-exports`.
Files fetched only as a list (an air-gapped `import`) cannot be exported: the content needs
an online `pull`.";

/// `pull` options.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// A pull authorization file from `authorize-pull`: send it verbatim (needs no keys)
    #[arg(long, value_name = "FILE", requires = "out")]
    pub authorization: Option<PathBuf>,
    /// Where to write the answer, byte for byte (with --authorization)
    #[arg(long, value_name = "BUNDLE", requires = "authorization")]
    pub out: Option<PathBuf>,
    /// Every case in scope, not only what changed since the last pull; cases you hold that
    /// the server no longer lists are marked gone (kept)
    #[arg(long, conflicts_with = "authorization")]
    pub full: bool,
    /// Fetch evidence files only up to this much in this pull (e.g. 500M, 2G; 0: none); the
    /// rest on demand with `fetch`
    #[arg(long, value_name = "SIZE", default_value = "100M", value_parser = parse_size)]
    pub files_budget: u64,
    /// Cases per page (the server caps it at 500)
    #[arg(long, value_name = "N", default_value_t = amana_core::wire::MAX_PAGE, hide = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
}

/// `100M`, `2G`, `512K`, `0`: bytes (powers of 1024; a trailing `B` or `iB` is allowed).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().trim_end_matches("iB").trim_end_matches('B');
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("`{text}`: a size is a number with K, M, G or T (e.g. 100M)")),
    };
    let n: u64 =
        digits.parse().map_err(|_| format!("`{text}`: a size is a number with K, M, G or T (e.g. 100M)"))?;
    n.checked_mul(1u64 << shift).ok_or_else(|| format!("`{text}` is too large"))
}

/// `keygen` options.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Your key id, as it will appear in keys/reviewers/<ID>.toml (lowercase letters,
    /// digits, '-' or '_')
    #[arg(long, value_name = "ID")]
    pub id: String,

    /// An agency you serve (repeat for several)
    #[arg(long = "agency", value_name = "AGENCY")]
    pub agencies: Vec<String>,

    /// You are an oversight reviewer: every case is encrypted to you
    #[arg(long)]
    pub oversight: bool,

    /// Store the keys unprotected (only for test machines: anyone who can read the
    /// files can read your cases and act in your name)
    #[arg(long)]
    pub no_passphrase: bool,

    /// The deployment id (as in the server's keys/agencies.toml), for a laptop that never
    /// goes online; otherwise it is learnt from the server on first use
    #[arg(long, value_name = "ID")]
    pub deployment_id: Option<String>,

    /// The roster key's fingerprint, as the oversight unit gave it to you in person (or
    /// later: `amana-review trust-roster`)
    #[arg(long, value_name = "FINGERPRINT")]
    pub roster_fingerprint: Option<String>,
}

/// Parses a status name, listing the valid names when it is unknown.
fn parse_status(s: &str) -> Result<Status, String> {
    s.parse().map_err(|_| {
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown status; use one of: {}", names.join(", "))
    })
}

/// Parses a `YYYY-MM-DD` date.
fn parse_date(s: &str) -> Result<time::Date, String> {
    time::Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| format!("`{s}` is not a date: use YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn status_help_names_every_target() {
        let help = Cli::command()
            .find_subcommand_mut("status")
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        let targets = Status::ALL.into_iter().filter(|s| *s != Status::Received);
        for status in targets {
            assert!(help.contains(status.as_str()), "{status} missing from: {help}");
        }
    }

    #[test]
    fn status_names() {
        assert_eq!(parse_status("in_review"), Ok(Status::InReview));
        let err = parse_status("done").expect_err("unknown");
        assert!(err.contains("closed_unfounded"), "{err}");
    }
}
