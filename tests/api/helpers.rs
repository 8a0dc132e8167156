//! Test harness: a throw-away deployment (key directory, data directory, reviewer homes),
//! the REAL `amana` binary run on port 0 as a child process, the REAL `amana-review` CLI,
//! and a signed-request helper for crafting good and bad reviewer requests by hand.
//!
//! Every server's stdout and stderr go to files beside (not inside) its data directory, so
//! the privacy tests can read all of the log output afterwards.

use std::{
    fs,
    net::{IpAddr, Ipv4Addr},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::OnceLock,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use amana_core::{
    keyring::ReviewerEntry,
    reviewer_keys::{self, home, ReviewerSecrets},
    signing::{self, Signature},
    wire::{CaseBundle, CaseList},
};
use ring::signature::Ed25519KeyPair;
use serde_json::{json, Value};
use tempfile::TempDir;

/// The deployment id of every non-demo test deployment.
pub const DEPLOYMENT_ID: &str = "amana-test";

/// The test client connects *from* this loopback address while the server listens on
/// 127.0.0.1, so "the client's address is never logged or stored" can be checked without
/// tripping over the server's own address (which it legitimately prints at start-up).
pub const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// The agencies of every non-demo test deployment.
pub const AGENCIES_TOML: &str = r#"deployment_id = "amana-test"

[[agency]]
id = "health"
name = { en = "Ministry of Health", ar = "وزارة الصحة" }

[[agency]]
id = "transport"
name = { en = "Ministry of Transport", ar = "وزارة النقل" }
"#;

/// Key ids of the standard deployment.
pub const OVERSIGHT: &str = "oversight";
pub const HEALTH: &str = "health-officer";
pub const TRANSPORT: &str = "transport-officer";

/// How reviewer keys are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyGen {
    /// `amana-review keygen --no-passphrase` (the real CLI).
    Cli,
    /// `amana_core::reviewer_keys::ReviewerSecrets`, written in the same home layout.
    InProcess,
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

// ---------------------------------------------------------------------------------------
// The reviewer CLI
// ---------------------------------------------------------------------------------------

/// The newest modification time of any file under `dir`.
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    files_under(dir).iter().filter_map(|f| fs::metadata(f).and_then(|m| m.modified()).ok()).max()
}

/// The `amana-review` binary: a sibling of the `amana` binary in the same target dir.
/// `cargo test --workspace` builds it; with `cargo test -p amana` it may be missing or
/// older than its sources, and then it is built once here.
pub fn review_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let server = PathBuf::from(env!("CARGO_BIN_EXE_amana"));
        let cli = server.with_file_name(format!("amana-review{}", std::env::consts::EXE_SUFFIX));
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let built = fs::metadata(&cli).and_then(|m| m.modified()).ok();
        let sources = ["crates/amana-review/src", "crates/amana-core/src"]
            .iter()
            .filter_map(|d| newest_mtime(&root.join(d)))
            .max();
        let stale = match (built, sources) {
            (None, _) => true,
            (Some(b), Some(s)) => s > b,
            (Some(_), None) => false,
        };
        if stale {
            let cargo = option_env!("CARGO").unwrap_or("cargo");
            let status = Command::new(cargo)
                .args(["build", "-p", "amana-review"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build -p amana-review");
            assert!(status.success(), "cargo build -p amana-review failed");
        }
        assert!(cli.exists(), "amana-review not found at {}", cli.display());
        cli
    })
}

/// What a CLI run printed.
#[derive(Debug)]
pub struct CliOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// Panics (showing both streams) unless the command succeeded.
    #[track_caller]
    pub fn ok(self, what: &str) -> Self {
        assert!(
            self.status.success(),
            "`{what}` failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the command failed.
    #[track_caller]
    pub fn failed(self, what: &str) -> Self {
        assert!(
            !self.status.success(),
            "`{what}` should have failed:\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// An `amana-review ARGS` command with a clean environment for the variables it reads.
pub fn review_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(review_bin());
    cmd.args(args).env_remove("AMANA_REVIEW_HOME").env_remove("AMANA_SERVER").stdin(Stdio::null());
    cmd
}

/// Runs a command built by [`review_command`] and captures its output.
pub fn run_review(mut cmd: Command) -> CliOutput {
    let out = cmd.output().expect("run amana-review");
    CliOutput {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `amana-review ARGS` with a clean environment for the variables it reads.
pub fn review_cli(args: &[&str]) -> CliOutput {
    run_review(review_command(args))
}

// ---------------------------------------------------------------------------------------
// Reviewers and deployments
// ---------------------------------------------------------------------------------------

/// A reviewer home (`amana-review --home`).
#[derive(Debug, Clone)]
pub struct Reviewer {
    pub id: String,
    pub home: PathBuf,
}

impl Reviewer {
    /// Creates keys in `home`, the way `how` says; the home trusts the roster key with
    /// fingerprint `roster` (given in person, in a real deployment).
    pub fn create(
        home: &Path,
        id: &str,
        agencies: &[&str],
        oversight: bool,
        how: KeyGen,
        roster: &str,
    ) -> Self {
        match how {
            KeyGen::Cli => {
                let mut args = vec!["--home", home.to_str().expect("utf-8 path"), "keygen"];
                args.extend(["--id", id, "--no-passphrase", "--roster-fingerprint", roster]);
                for a in agencies {
                    args.extend(["--agency", a]);
                }
                if oversight {
                    args.push("--oversight");
                }
                let out = review_cli(&args).ok("amana-review keygen");
                // keygen prints exactly the public entry on stdout.
                let entry: ReviewerEntry = toml::from_str(&out.stdout).expect("entry on stdout");
                assert_eq!(entry.id, id);
            }
            KeyGen::InProcess => {
                let secrets = ReviewerSecrets::generate().expect("generate keys");
                let entry = secrets
                    .public_entry(id, agencies.iter().map(|s| s.to_string()).collect(), oversight)
                    .expect("public entry");
                let config = home::ReviewerConfig {
                    key_id: id.into(),
                    server: None,
                    deployment_id: None,
                    roster_fingerprint: Some(roster.into()),
                };
                fs::create_dir_all(home).expect("mkdir home");
                let today = time::OffsetDateTime::now_utc().date();
                fs::write(home.join(home::IDENTITY_FILE), secrets.identity_file(today).as_bytes())
                    .expect("write identity");
                fs::write(home.join(home::SIGNING_FILE), secrets.signing_key_file().as_bytes())
                    .expect("write signing key");
                fs::write(home.join(home::PUBLIC_ENTRY_FILE), toml::to_string(&entry).expect("toml"))
                    .expect("write entry");
                fs::write(home.join(home::CONFIG_FILE), toml::to_string(&config).expect("toml"))
                    .expect("write config");
            }
        }
        Self { id: id.into(), home: home.to_path_buf() }
    }

    /// The Ed25519 signing key from the home.
    pub fn signing_key(&self) -> Ed25519KeyPair {
        let text = fs::read_to_string(self.home.join(home::SIGNING_FILE)).expect("signing key");
        reviewer_keys::parse_signing_key_file(&text).expect("parse signing key")
    }

    /// The age identity from the home.
    pub fn identity(&self) -> age::x25519::Identity {
        let text = fs::read_to_string(self.home.join(home::IDENTITY_FILE)).expect("identity");
        reviewer_keys::parse_identity_file(&text).expect("parse identity")
    }

    /// A fresh home with this reviewer's keys and settings but nothing pulled (a replacement
    /// laptop): it has verified nothing yet.
    pub fn fresh_copy(&self, home: &Path) -> Self {
        fs::create_dir_all(home).expect("mkdir home");
        for f in [home::IDENTITY_FILE, home::SIGNING_FILE, home::CONFIG_FILE, home::PUBLIC_ENTRY_FILE] {
            fs::copy(self.home.join(f), home.join(f)).expect("copy key file");
        }
        Self { id: self.id.clone(), home: home.to_path_buf() }
    }

    /// `amana-review --home HOME --server URL ARGS`.
    pub fn cli(&self, server: &str, args: &[&str]) -> CliOutput {
        let mut all = vec!["--home", self.home.to_str().expect("utf-8"), "--server", server];
        all.extend_from_slice(args);
        review_cli(&all)
    }

    /// The case ids `amana-review list` prints (first column, header skipped).
    pub fn listed_ids(&self, server: &str) -> Vec<String> {
        let out = self.cli(server, &["list"]).ok("amana-review list");
        out.stdout.lines().skip(1).filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect()
    }
}

/// A throw-away deployment: `keys/`, `data/`, `logs/` and reviewer homes under one tempdir.
pub struct Deployment {
    pub dir: TempDir,
    pub reviewers: Vec<Reviewer>,
    /// The oversight unit's roster key (PKCS#8): signs `keys/roster.json` before every start.
    roster_key: Vec<u8>,
}

impl Deployment {
    /// No keys at all (demo mode on loopback, a refusal elsewhere).
    pub fn empty() -> Self {
        let dir = tempfile::Builder::new().prefix("amana-api-").tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("keys")).expect("mkdir keys");
        fs::create_dir_all(dir.path().join("logs")).expect("mkdir logs");
        let roster_key =
            Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("roster key");
        Self { dir, reviewers: Vec::new(), roster_key: roster_key.as_ref().to_vec() }
    }

    /// `agencies.toml` and an empty `reviewers/`.
    pub fn new() -> Self {
        let d = Self::empty();
        fs::create_dir_all(d.keys_dir().join("reviewers")).expect("mkdir reviewers");
        fs::write(d.keys_dir().join("agencies.toml"), AGENCIES_TOML).expect("agencies.toml");
        d
    }

    /// Oversight, a health reviewer and a transport reviewer.
    pub fn standard(how: KeyGen) -> Self {
        let mut d = Self::new();
        d.add_reviewer(OVERSIGHT, &[], true, how);
        d.add_reviewer(HEALTH, &["health"], false, how);
        d.add_reviewer(TRANSPORT, &["transport"], false, how);
        d
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.root().join("keys")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir().join("amana.db")
    }

    /// Makes a reviewer home and installs its public entry in `keys/reviewers/`.
    pub fn add_reviewer(&mut self, id: &str, agencies: &[&str], oversight: bool, how: KeyGen) -> Reviewer {
        let r = self.make_home(id, agencies, oversight, how);
        fs::copy(
            r.home.join(home::PUBLIC_ENTRY_FILE),
            self.keys_dir().join("reviewers").join(format!("{id}.toml")),
        )
        .expect("install public entry");
        self.reviewers.push(r.clone());
        r
    }

    /// A reviewer home whose key is NOT installed on the server.
    pub fn make_home(&self, id: &str, agencies: &[&str], oversight: bool, how: KeyGen) -> Reviewer {
        let homes = self.root().join("homes");
        fs::create_dir_all(&homes).expect("mkdir homes");
        Reviewer::create(&homes.join(id), id, agencies, oversight, how, &self.roster_fingerprint())
    }

    /// The roster key as a file (unprotected), for the real `amana-review roster-sign`.
    fn write_roster_key(&self, path: &Path) {
        use base64::{engine::general_purpose::STANDARD as B64, Engine};
        fs::write(path, format!("AMANA-ROSTER-KEY-1 {}\n", B64.encode(&self.roster_key)))
            .expect("roster key");
    }

    /// The oversight unit's ceremony with the real CLI: `roster-sign --vouch-from HOME`, a new
    /// roster vouching for what that (oversight) home verified. Restart the server to serve it.
    pub fn vouch_from(&self, home: &Path) -> CliOutput {
        self.roster_sign(&["--vouch-from", home.to_str().expect("utf-8")]).ok("roster-sign --vouch-from")
    }

    /// The oversight unit's ceremony with the real CLI: `roster-sign --roster-key K --keys
    /// keys/ EXTRA…`, signing `keys/roster.json` from `keys/reviewers/`.
    pub fn roster_sign(&self, extra: &[&str]) -> CliOutput {
        let key_file = self.root().join("roster.key");
        self.write_roster_key(&key_file);
        let keys = self.keys_dir();
        let mut args = vec![
            "roster-sign",
            "--roster-key",
            key_file.to_str().expect("utf-8"),
            "--keys",
            keys.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        review_cli(&args)
    }

    /// The roster key, as the oversight unit holds it.
    pub fn roster_key(&self) -> Ed25519KeyPair {
        Ed25519KeyPair::from_pkcs8(&self.roster_key).expect("roster key")
    }

    /// The fingerprint every reviewer home of this deployment trusts.
    pub fn roster_fingerprint(&self) -> String {
        amana_core::roster::fingerprint(ring::signature::KeyPair::public_key(&self.roster_key()).as_ref())
    }

    /// What oversight's ceremony does before a start: signs `keys/roster.json` from
    /// `keys/reviewers/` (a new version whenever they changed), naming the server's
    /// attestation key (made here first if the data directory has none yet). No reviewer
    /// entries: nothing to sign (demo mode, or a refusal).
    pub fn sign_roster(&self) {
        use amana_core::roster::{self, Roster, RosterEntry, SignedRoster};
        let rdir = self.keys_dir().join("reviewers");
        let mut entries = Vec::new();
        for e in fs::read_dir(&rdir).into_iter().flatten().flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "toml") {
                entries.push((path.display().to_string(), fs::read_to_string(&path).expect("entry")));
            }
        }
        entries.sort();
        let Ok(agencies) = fs::read_to_string(self.keys_dir().join("agencies.toml")) else { return };
        // An invalid directory is the server's to refuse (some tests check exactly that).
        let Ok(keyring) = amana_core::keyring::Keyring::parse(&agencies, &entries) else { return };
        let attestation = self.ensure_server_key();
        let path = self.keys_dir().join("roster.json");
        let previous = fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<SignedRoster>(&b).ok())
            .and_then(|s| s.open_self_signed().ok());
        // What oversight vouched for in an earlier ceremony (`roster-sign --vouch-from`) stays.
        let reviewers: Vec<RosterEntry> = keyring
            .reviewers
            .iter()
            .map(|r| RosterEntry {
                valid_events: previous
                    .as_ref()
                    .and_then(|p| p.reviewer(&r.entry.id))
                    .map(|p| p.valid_events.clone())
                    .unwrap_or_default(),
                ..RosterEntry::from_reviewer_entry(&r.entry)
            })
            .collect();
        if previous.as_ref().is_some_and(|p| (&p.reviewers, &p.attestation_key) == (&reviewers, &attestation))
        {
            return;
        }
        let r = Roster {
            format: roster::FORMAT.into(),
            deployment_id: keyring.deployment_id.clone(),
            version: previous.as_ref().map_or(1, |p| p.version + 1),
            issued_on: time::OffsetDateTime::now_utc().date(),
            attestation_key: attestation,
            reviewers,
            vouched_heads: previous.as_ref().map(|p| p.vouched_heads.clone()).unwrap_or_default(),
        };
        let signed = roster::sign(&self.roster_key(), &r).expect("sign roster");
        fs::write(&path, serde_json::to_vec_pretty(&signed).expect("json")).expect("write roster");
    }

    /// The server's key file (made as `amana init-secrets` would if missing); its public key.
    fn ensure_server_key(&self) -> String {
        use base64::{engine::general_purpose::STANDARD as B64, Engine};
        use std::os::unix::fs::PermissionsExt;
        let path = self.data_dir().join("server-signing.key");
        if !path.exists() {
            fs::create_dir_all(self.data_dir()).expect("mkdir data");
            fs::set_permissions(self.data_dir(), fs::Permissions::from_mode(0o700)).expect("chmod data");
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("server key");
            fs::write(&path, format!("AMANA-SERVER-SIGNING-KEY-1 {}\n", B64.encode(pkcs8.as_ref())))
                .expect("write server key");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod server key");
        }
        let text = fs::read_to_string(&path).expect("server key");
        let b64 = text.trim().strip_prefix("AMANA-SERVER-SIGNING-KEY-1").expect("server key header").trim();
        let key = Ed25519KeyPair::from_pkcs8(&B64.decode(b64).expect("b64")).expect("pkcs8");
        B64.encode(ring::signature::KeyPair::public_key(&key).as_ref())
    }

    /// An installed reviewer by key id.
    pub fn reviewer(&self, id: &str) -> &Reviewer {
        self.reviewers.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no reviewer {id}"))
    }
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

/// The `amana serve` arguments of a test server on `listen`.
pub fn serve_args(dep: &Deployment, listen: &str) -> Vec<String> {
    dep.sign_roster();
    [
        "serve",
        "--listen",
        listen,
        "--data-dir",
        dep.data_dir().to_str().expect("utf-8"),
        "--keys",
        dep.keys_dir().to_str().expect("utf-8"),
        "--insecure-test-kdf",
    ]
    .map(String::from)
    .to_vec()
}

/// Rate-limit budgets for test servers (`amana serve --help`, "limits").
pub const RELAXED_LIMITS: [(&str, &str); 8] = [
    // Tests post forms at machine speed; the minimum-fill-time check has its own test.
    ("AMANA_MIN_FILL_SECS", "0"),
    ("AMANA_PEER_COSTLY_EVERY_MS", "1"),
    ("AMANA_PEER_COSTLY_BURST", "100000"),
    ("AMANA_GLOBAL_COSTLY_EVERY_MS", "1"),
    ("AMANA_GLOBAL_COSTLY_BURST", "100000"),
    ("AMANA_PEER_EVERY_MS", "1"),
    ("AMANA_PEER_BURST", "100000"),
    // Tests open many connections from one address at once; the cap has its own test.
    ("AMANA_MAX_CONNECTIONS_PER_CLIENT", "0"),
];

/// An `amana` command with none of the server's environment variables inherited.
pub fn amana_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amana"));
    for var in [
        "AMANA_LISTEN",
        "AMANA_DATA_DIR",
        "AMANA_DATABASE_URL",
        "AMANA_KEYS",
        "AMANA_SIGNATURE_WINDOW_HOURS",
        "AMANA_KDF_WORKERS",
        "AMANA_INSECURE_TEST_KDF",
        "AMANA_LOG",
        "AMANA_RETENTION",
        "AMANA_RETENTION_DAYS",
        "AMANA_RETENTION_AFTER_CONTENT_DAYS",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// A running `amana serve` child process; killed on drop.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub dep: Deployment,
    /// A cookie-less client that connects from [`CLIENT_IP`].
    pub client: reqwest::Client,
    child: Option<Child>,
    env: Vec<(String, String)>,
    runs: usize,
}

/// Starts the standard deployment (keys made by the real CLI).
pub async fn spawn_app() -> TestApp {
    TestApp::start(Deployment::standard(KeyGen::Cli), &[])
}

/// A reqwest client as every test uses it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(CLIENT_IP))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        // Below the server's 10 s header timeout, which closes idle kept-alive connections:
        // a reused connection must not be one the server is closing.
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
        .expect("reqwest client")
}

impl TestApp {
    /// Starts `amana serve` on 127.0.0.1:0 for `dep`, with extra environment `env`.
    pub fn start(dep: Deployment, env: &[(&str, &str)]) -> Self {
        let mut app = Self {
            address: String::new(),
            dep,
            client: client(),
            child: None,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            runs: 0,
        };
        app.launch();
        app
    }

    fn stdout_path(&self, run: usize) -> PathBuf {
        self.dep.root().join("logs").join(format!("stdout-{run}.log"))
    }

    fn stderr_path(&self, run: usize) -> PathBuf {
        self.dep.root().join("logs").join(format!("stderr-{run}.log"))
    }

    fn launch(&mut self) {
        self.runs += 1;
        let run = self.runs;
        let out = fs::File::create(self.stdout_path(run)).expect("stdout file");
        let err = fs::File::create(self.stderr_path(run)).expect("stderr file");
        let mut cmd = amana_command();
        cmd.args(serve_args(&self.dep, "127.0.0.1:0")).stdout(Stdio::from(out)).stderr(Stdio::from(err));
        // These tests send many requests from one client in a second; rate limiting
        // (invariant 5) is not what they test, so its budgets are made generous. A test's
        // own `env` is applied after these and can restore the defaults.
        for (k, v) in RELAXED_LIMITS {
            cmd.env(k, v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn amana serve");
        let deadline = Instant::now() + Duration::from_secs(60);
        let prefix = "amana listening on ";
        loop {
            let stdout = fs::read_to_string(self.stdout_path(run)).unwrap_or_default();
            if let Some(line) = stdout.lines().find(|l| l.starts_with(prefix)) {
                self.address = line[prefix.len()..].trim().to_string();
                assert!(self.address.starts_with("http://127.0.0.1:"), "{}", self.address);
                break;
            }
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!(
                    "amana serve exited ({status}) before listening:\n{}",
                    fs::read_to_string(self.stderr_path(run)).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "amana serve did not start in 60 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    /// Stops the server gracefully (SIGTERM), killing it if it lingers.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the server with SIGKILL (no chance to clean up), as a crash or power cut would.
    pub fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again after [`Self::crash`] or [`Self::stop`].
    pub fn start_again(&mut self) {
        self.launch();
    }

    /// Sets (or replaces) an environment variable for the next start of the server.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Stops and starts the server again on the same data and key directories.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// The server's process id (while it runs).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("the server is running")
    }

    /// `host:port` of the onion listener (PROXY protocol) of the current run, if any.
    pub fn onion_address(&self) -> Option<String> {
        let stdout = fs::read_to_string(self.stdout_path(self.runs)).unwrap_or_default();
        let prefix = "amana onion listener (PROXY protocol) on ";
        stdout.lines().find_map(|l| l.strip_prefix(prefix)).map(|a| a.trim().to_string())
    }

    /// `host:port` of the main listener.
    pub fn host_port(&self) -> &str {
        self.address.trim_start_matches("http://")
    }

    /// Everything every run of this server wrote to stderr (the log).
    pub fn stderr(&self) -> String {
        (1..=self.runs).map(|r| fs::read_to_string(self.stderr_path(r)).unwrap_or_default()).collect()
    }

    /// Everything every run of this server wrote to stdout.
    pub fn stdout(&self) -> String {
        (1..=self.runs).map(|r| fs::read_to_string(self.stdout_path(r)).unwrap_or_default()).collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("POST request")
    }

    /// Posts raw bytes as `application/json`.
    pub async fn post_raw_json(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST request")
    }

    /// Submits a report and returns its follow-up code, asserting `201`.
    pub async fn submit(&self, report: &Value) -> String {
        let resp = self.post_json("/api/v1/reports", report).await;
        let status = resp.status();
        let body: Value = resp.json().await.expect("JSON answer");
        assert_eq!(status, 201, "submit refused: {body}");
        body["code"].as_str().expect("code").to_string()
    }

    /// Submits a plain report to `agency`.
    pub async fn submit_simple(&self, agency: &str, oversight_only: bool) -> String {
        self.submit(&json!({
            "kind": "complaint",
            "agency": agency,
            "body": "The counter was closed all week.",
            "oversight_only": oversight_only,
        }))
        .await
    }

    /// `POST /api/v1/status` with `code`.
    pub async fn check_code(&self, code: &str) -> reqwest::Response {
        self.post_json("/api/v1/status", &json!({ "code": code })).await
    }

    /// The reporter-visible status for `code`, asserting `200`.
    pub async fn status_of(&self, code: &str) -> String {
        let resp = self.check_code(code).await;
        let status = resp.status();
        let body: Value = resp.json().await.expect("JSON answer");
        assert_eq!(status, 200, "status check failed: {body}");
        body["status"].as_str().expect("status").to_string()
    }

    /// Sends a request with the given signature headers (which may not match it).
    pub async fn send_signed(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        sig: &Signature,
    ) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, self.url(path))
            .header(signing::HEADER_KEY, &sig.key_id)
            .header(signing::HEADER_TIMESTAMP, sig.timestamp.to_string())
            .header(signing::HEADER_NONCE, &sig.nonce)
            .header(signing::HEADER_SIGNATURE, &sig.signature);
        if !body.is_empty() {
            req = req.header("content-type", "application/json").body(body);
        }
        req.send().await.expect("signed request")
    }

    /// Signs `method path body` as `reviewer`, now, with a fresh nonce, and sends it.
    pub async fn signed(
        &self,
        reviewer: &Reviewer,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> reqwest::Response {
        let sig = reviewer.signer().sign(method, path, body);
        self.send_signed(method, path, body.to_vec(), &sig).await
    }

    /// The cases in `reviewer`'s scope, via a signed `GET /api/v1/review/cases`.
    pub async fn cases_as(&self, reviewer: &Reviewer) -> Vec<CaseBundle> {
        let resp = self.signed(reviewer, "GET", amana_core::wire::paths::CASES_PULL, b"").await;
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(status, 200, "list cases as {}: {text}", reviewer.id);
        serde_json::from_str::<CaseList>(&text).expect("CaseList").cases
    }

    /// The hash of the last event of `case_id`, read straight from the SQLite file: the head
    /// a reviewer who pulled just now would sign.
    pub async fn head(&self, case_id: &str) -> String {
        let pool = open_db(&self.dep.db_path()).await;
        let head: String =
            sqlx::query_scalar("SELECT hash FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1")
                .bind(case_id)
                .fetch_one(&pool)
                .await
                .expect("the case's last event");
        pool.close().await;
        head
    }

    /// Rows in a table, read straight from the SQLite file.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let pool = open_db(&self.dep.db_path()).await;
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .expect("count rows");
        pool.close().await;
        n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A connection to the server's SQLite database (WAL allows reading alongside the server),
/// with its evidence-file pieces file attached as the server attaches it (`pieces`).
pub async fn open_db(path: &Path) -> sqlx::SqlitePool {
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path).busy_timeout(Duration::from_secs(10));
    let pieces = amana::store::pieces_path(path).display().to_string();
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let pieces = pieces.clone();
            Box::pin(async move {
                sqlx::query("ATTACH DATABASE ? AS pieces").bind(pieces).execute(conn).await.map(drop)
            })
        })
        .connect_with(opts)
        .await
        .expect("open the server's database")
}

// ---------------------------------------------------------------------------------------
// Signed requests
// ---------------------------------------------------------------------------------------

/// Signs requests the way `amana-review` does, with every field under the test's control.
pub use amana_testkit::Signer;

impl Reviewer {
    /// This reviewer's own key under its own id, for the test deployment.
    pub fn signer(&self) -> Signer {
        Signer { key: self.signing_key(), key_id: self.id.clone(), deployment_id: DEPLOYMENT_ID.into() }
    }
}

/// The JSON body of a status change bound to `head` (the hash of an event of the case).
pub fn status_body(status: &str, head: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "status": status, "head": head })).expect("json")
}

// ---------------------------------------------------------------------------------------
// Scanning for leaks
// ---------------------------------------------------------------------------------------

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`, …).
pub fn proc_status_kib(pid: u32, name: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.expect("dir entry").path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Incompressible bytes with `marker` at the start, the middle and the end.
pub fn evidence(len: usize, marker: &str) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let m = marker.as_bytes();
    for at in [0, len / 2, len - m.len()] {
        data[at..at + m.len()].copy_from_slice(m);
    }
    data
}

/// `PATCH` of `bytes` at `offset` to the resumable upload `cap`, as a client appends.
pub async fn append_upload(app: &TestApp, cap: &str, offset: usize, bytes: &[u8]) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/uploads/{cap}")))
        .header("upload-offset", offset.to_string())
        .header("content-type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("append")
}

/// Whether `needle` occurs in `hay`.
pub fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The first `HH:MM:SS`-shaped run of bytes in `hay`, if any.
pub fn find_time_of_day(hay: &[u8]) -> Option<String> {
    let d = |b: u8| b.is_ascii_digit();
    hay.windows(8)
        .find(|w| {
            d(w[0]) && d(w[1]) && w[2] == b':' && d(w[3]) && d(w[4]) && w[5] == b':' && d(w[6]) && d(w[7])
        })
        .map(|w| String::from_utf8_lossy(w).into_owned())
}

/// The first 25-digit code in five groups of five in `text`, if any.
pub fn find_grouped_code(text: &str) -> Option<String> {
    let b = text.as_bytes();
    b.windows(29)
        .find(|w| w.iter().enumerate().all(|(i, c)| if i % 6 == 5 { *c == b' ' } else { c.is_ascii_digit() }))
        .map(|w| String::from_utf8_lossy(w).into_owned())
}

/// Writes `digits` (ASCII) with the Unicode digit block starting at `zero`.
pub fn with_digits(text: &str, zero: char) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(v) if c.is_ascii_digit() => char::from_u32(zero as u32 + v).expect("digit char"),
            _ => c,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------

pub use amana_testkit::postgres::PgDatabase;

/// The PostgreSQL server for tests, or `None` (after a notice) when `test` may skip it:
/// without `AMANA_TEST_DATABASE_URL` it fails when `CI` is set and is skipped otherwise.
pub fn postgres_url(test: &str) -> Option<String> {
    amana_testkit::postgres::postgres_url(
        test,
        &format!("bash .ci/with-postgres cargo test --test api {test}"),
    )
}

impl Deployment {
    /// `amana init-secrets` into the data directory: a PostgreSQL node never makes them.
    pub fn init_secrets(&self) {
        let out = amana_command()
            .args(["init-secrets", "--data-dir"])
            .arg(self.data_dir())
            .output()
            .expect("run amana init-secrets");
        assert!(out.status.success(), "init-secrets: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Another node's deployment: the same key directory entries, the same reviewers, and a
    /// copy (0600) of this deployment's pepper and server signing key in its own data
    /// directory, as the operator copies them to every node.
    pub fn another_node(&self) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let mut d = Self::new();
        // The same oversight unit, the same signed roster.
        d.roster_key = self.roster_key.clone();
        if self.keys_dir().join("roster.json").exists() {
            fs::copy(self.keys_dir().join("roster.json"), d.keys_dir().join("roster.json"))
                .expect("copy roster");
        }
        for entry in fs::read_dir(self.keys_dir().join("reviewers")).expect("read reviewers") {
            let path = entry.expect("entry").path();
            fs::copy(&path, d.keys_dir().join("reviewers").join(path.file_name().expect("name")))
                .expect("copy entry");
        }
        d.reviewers = self.reviewers.clone();
        fs::create_dir_all(d.data_dir()).expect("mkdir data");
        fs::set_permissions(d.data_dir(), fs::Permissions::from_mode(0o700)).expect("chmod data");
        for secret in ["pepper", "server-signing.key"] {
            let to = d.data_dir().join(secret);
            fs::copy(self.data_dir().join(secret), &to).expect("copy secret");
            fs::set_permissions(&to, fs::Permissions::from_mode(0o600)).expect("chmod secret");
        }
        d
    }
}
