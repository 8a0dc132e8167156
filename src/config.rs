//! Server settings, from flags and environment (`amana serve --help`).

use clap::Args;

use crate::store::attachments::ClaimLimits;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Settings for `amana serve` (and the data/database parts for `amana migrate`).
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address to listen on. Anything but loopback requires real keys in --keys.
    #[arg(long, env = "AMANA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// A second address, for Tor's onion service only (loopback): every connection must
    /// start with a PROXY protocol header (torrc `HiddenServiceExportCircuitID haproxy`),
    /// and each Tor circuit gets its own per-client budgets. Never reachable by clearnet
    /// clients: whoever connects to it can claim to be any circuit.
    #[arg(long, env = "AMANA_ONION_LISTEN")]
    pub onion_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub data: DataSettings,
    #[command(flatten)]
    pub limits: crate::limits::LimitSettings,
    #[command(flatten)]
    pub uploads: UploadLimits,
    /// Directory with agencies.toml and reviewers/*.toml (public keys only).
    #[arg(long, env = "AMANA_KEYS", default_value = "keys")]
    pub keys: PathBuf,
    /// How long a signed reviewer request stays valid, in hours (air-gapped clocks drift).
    /// At least 2: `amana-review` signs the hour, not the second (docs/FORMATS.md §3).
    #[arg(long, env = "AMANA_SIGNATURE_WINDOW_HOURS", default_value_t = 72,
          value_parser = clap::value_parser!(u32).range(amana_core::signing::MIN_WINDOW_SECS / 3600..))]
    pub signature_window_hours: u32,
    /// Concurrent Argon2id derivations per route (each uses 64 MiB).
    #[arg(long, env = "AMANA_KDF_WORKERS", default_value_t = 2)]
    pub kdf_workers: usize,
    /// TOML file overriding deadlines per kind (docs/FORMATS.md §5, "Deadlines").
    #[arg(long, env = "AMANA_DEADLINES")]
    pub deadlines: Option<PathBuf>,
    /// TOML file of service centres and evaluation questionnaires (docs/FORMATS.md §10);
    /// without one, the shipped questionnaires and no centres.
    #[arg(long, env = "AMANA_SERVICES")]
    pub services: Option<PathBuf>,
    /// The retention policy, as `amana purge` is given it: the status page shows reporters
    /// of closed cases the date after which theirs will be deleted.
    #[command(flatten)]
    pub retention: RetentionArgs,
    /// How often overdue cases are escalated, in seconds.
    #[arg(long, env = "AMANA_ESCALATION_INTERVAL_SECS", default_value_t = 300)]
    pub escalation_interval_secs: u64,
    /// The onion service's origin (http://<56 characters>.onion) to announce to Tor Browser
    /// in an `Onion-Location` header on every page.
    #[arg(long, env = "AMANA_ONION_LOCATION")]
    pub onion_location: Option<String>,
    /// Seconds a person needs at least to fill in the report form; a faster (or tokenless,
    /// or day-old) form post is not stored but shown again, filled in, to be sent again.
    /// 0 switches the check off.
    #[arg(long, env = "AMANA_MIN_FILL_SECS", default_value_t = 3)]
    pub min_fill_secs: i64,
    /// TESTS ONLY: shift the server's calendar by this many days. Requires --insecure-test-kdf.
    #[arg(long, env = "AMANA_TEST_CLOCK_OFFSET_DAYS", hide = true, default_value_t = 0)]
    pub test_clock_offset_days: i64,
    /// TESTS ONLY: a cheap KDF. Refused unless listening on loopback; never use in production.
    #[arg(long, env = "AMANA_INSECURE_TEST_KDF", hide = true)]
    pub insecure_test_kdf: bool,
}

/// Where data lives.
#[derive(Debug, Clone, Args)]
pub struct DataSettings {
    /// Data directory: the SQLite database, the pepper file, demo keys.
    #[arg(long, env = "AMANA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Database URL; default `sqlite://<data-dir>/amana.db`. PostgreSQL:
    /// `postgres://user@host/db` (password in the URL or `PGPASSWORD`-style secrets).
    #[arg(long, env = "AMANA_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Database connections this process keeps at most (its pool size): default 16 with
    /// PostgreSQL, 8 with SQLite. With several nodes keep nodes × this below PostgreSQL's
    /// `max_connections` (minus `superuser_reserved_connections` and your other clients).
    #[arg(long, env = "AMANA_DATABASE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_max_connections: Option<u32>,
}

impl DataSettings {
    /// The effective database URL.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("amana.db").display()))
    }
}

/// A mebibyte.
pub const MIB: u64 = 1024 * 1024;
/// The shortest window the minimum upload rate is averaged over.
pub const MIN_RATE_WINDOW_SECS: u64 = 60;

/// Limits on evidence files (`amana serve --help`).
#[derive(Debug, Clone, Args)]
pub struct UploadLimits {
    /// Largest single file, in MiB.
    #[arg(long, env = "AMANA_MAX_FILE_MB", default_value_t = 256)]
    pub max_file_mb: u64,
    /// Most file bytes per case (report and follow-ups together), in MiB.
    #[arg(long, env = "AMANA_MAX_CASE_FILES_MB", default_value_t = 1024)]
    pub max_case_files_mb: u64,
    /// Most files per case.
    #[arg(long, env = "AMANA_MAX_FILES_PER_CASE", default_value_t = 20)]
    pub max_files_per_case: u64,
    /// All stored files together (encrypted, padded), in MiB: the disk quota.
    #[arg(long, env = "AMANA_FILES_QUOTA_MB", default_value_t = 50 * 1024)]
    pub files_quota_mb: u64,
    /// Seconds an upload (or a reviewer's download) may take; slow Tor circuits need long.
    #[arg(long, env = "AMANA_UPLOAD_TIMEOUT_SECS", default_value_t = 3600)]
    pub upload_timeout_secs: u64,
    /// Slowest upload accepted, in bytes a second, averaged over each window of
    /// --upload-rate-window-secs spent waiting for the client; slower ones are cut off (408).
    /// 0 switches the check off. The default is far below a slow Tor circuit (SECURITY.md).
    #[arg(long, env = "AMANA_UPLOAD_MIN_BYTES_PER_SEC", default_value_t = 1024)]
    pub upload_min_bytes_per_sec: u64,
    /// The window, in seconds (at least 60), over which the minimum upload rate is averaged.
    #[arg(long, env = "AMANA_UPLOAD_RATE_WINDOW_SECS", default_value_t = 120)]
    pub upload_rate_window_secs: u64,
}

impl UploadLimits {
    /// The largest request body that could be within the limits: the case's file bytes
    /// plus room for the text fields and the multipart framing.
    pub fn max_body_bytes(&self) -> u64 {
        self.max_case_files_mb.saturating_mul(MIB).saturating_add(MIB)
    }

    /// The limits the commit that claims an upload checks again ([`ClaimLimits`]).
    pub fn claim_limits(&self) -> ClaimLimits {
        ClaimLimits {
            max_files: self.max_files_per_case,
            max_case_bytes: self.max_case_files_mb.saturating_mul(MIB),
            quota_bytes: self.files_quota_mb.saturating_mul(MIB),
        }
    }

    /// The minimum upload rate, if any: bytes that must arrive per window of waiting.
    pub fn min_rate(&self) -> Option<MinRate> {
        let window = Duration::from_secs(self.upload_rate_window_secs.max(1));
        (self.upload_min_bytes_per_sec > 0).then(|| MinRate {
            bytes: self.upload_min_bytes_per_sec.saturating_mul(window.as_secs()),
            window,
        })
    }

    /// Checks the settings at start-up. A window under a minute is for automated tests.
    pub fn check(&self, test_mode: bool) -> anyhow::Result<()> {
        if self.upload_rate_window_secs < MIN_RATE_WINDOW_SECS && !test_mode {
            anyhow::bail!(
                "--upload-rate-window-secs must be at least {MIN_RATE_WINDOW_SECS}: a shorter window \
                 cuts off genuine uploads over Tor when a circuit stalls for a moment"
            );
        }
        Ok(())
    }
}

/// The minimum upload rate: `bytes` must arrive in every `window` spent waiting for them.
#[derive(Debug, Clone, Copy)]
pub struct MinRate {
    pub bytes: u64,
    pub window: Duration,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        settings: super::ServeSettings,
    }

    /// A window under two hours would refuse requests `amana-review` signed with the hour.
    #[test]
    fn the_signature_window_is_at_least_two_hours() {
        let parse = |hours: &str| Serve::try_parse_from(["amana", "--signature-window-hours", hours]);
        assert!(parse("1").is_err());
        assert_eq!(parse("2").map(|s| s.settings.signature_window_hours).ok(), Some(2));
    }
}

/// The retention policy's settings, shared by `amana purge` and `amana serve` (which shows
/// reporters the deletion date), read from the same file and variables.
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// TOML retention file: `default_days`, `after_reporter_content_days`,
    /// `purged_notice_days`, `[kinds]` (days per kind). Without it: 365 days for every kind,
    /// 30 days after reporter content, 365 days of "purged" answers.
    #[arg(long, env = "AMANA_RETENTION")]
    pub retention: Option<PathBuf>,
    /// Days a closed case is kept after closure, for kinds the file does not list
    /// (overrides the file's `default_days`).
    #[arg(long, env = "AMANA_RETENTION_DAYS")]
    pub retention_days: Option<i64>,
    /// Never purge a case within this many days of its newest reporter content (submission,
    /// follow-up, rating); overrides the file's `after_reporter_content_days` (default 30).
    #[arg(long, env = "AMANA_RETENTION_AFTER_CONTENT_DAYS")]
    pub after_content_days: Option<i64>,
}

impl RetentionArgs {
    /// The file (or the defaults) with the overrides, checked.
    pub fn policy(&self) -> anyhow::Result<crate::retention::RetentionPolicy> {
        use anyhow::Context;
        let mut policy = match &self.retention {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                crate::retention::RetentionPolicy::from_toml(&text)
                    .map_err(|e| anyhow::anyhow!("invalid retention file {}: {e}", path.display()))?
            }
            None => crate::retention::RetentionPolicy::default(),
        };
        if let Some(d) = self.retention_days {
            policy.default_days = d;
        }
        if let Some(d) = self.after_content_days {
            policy.after_reporter_content_days = d;
        }
        policy.check().map_err(|e| anyhow::anyhow!("invalid retention setting: {e}"))?;
        Ok(policy)
    }
}
