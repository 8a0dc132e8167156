//! Building and running the server: settings → keys → pepper → store → router → listener.

use amana_core::deadlines::DeadlinePolicy;
use amana_core::keyring::Keyring;
use amana_core::services::Services;
use anyhow::{bail, Context};
use ring::signature::Ed25519KeyPair;
use std::{
    fs,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio::net::TcpListener;

use crate::{
    config::{DataSettings, ServeSettings},
    demo, intake,
    kdf_pool::KdfPool,
    keys, pepper, routes,
    server::{self, ConnLimits},
    server_key,
    state::{AppState, Inner},
    store::{postgres::PostgresStore, sqlite::SqliteStore, Store},
};

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    onion_listener: Option<TcpListener>,
    /// The onion listener's address, if there is one.
    pub onion_addr: Option<std::net::SocketAddr>,
    router: axum::Router,
    /// The address actually bound (useful with port 0).
    pub addr: std::net::SocketAddr,
    state: AppState,
    escalation_every: Duration,
    conn_limits: ConnLimits,
}

fn load_deadlines(path: Option<&Path>) -> anyhow::Result<DeadlinePolicy> {
    let Some(path) = path else { return Ok(DeadlinePolicy::default()) };
    let text = fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    DeadlinePolicy::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("invalid deadlines file {}: {e}", path.display()))
}

/// The services file, checked against the deployment's agencies; a mistake is refused with
/// its line. Without a file: the shipped questionnaires (and, in demo mode, demo centres).
fn load_services(path: Option<&Path>, keyring: &Keyring, demo: bool) -> anyhow::Result<Services> {
    let agencies: Vec<&str> = keyring.agencies.iter().map(|a| a.id.as_str()).collect();
    let text = match path {
        Some(path) => fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        None if demo => demo::services_toml(),
        None => return Ok(Services::defaults()),
    };
    Services::parse_for(&text, &agencies).map_err(|e| {
        let file = path.map_or_else(|| "the demo services".to_string(), |p| p.display().to_string());
        anyhow::anyhow!("invalid services file {file}: {e}")
    })
}

/// Whether the URL names PostgreSQL (the shared, several-node deployment).
fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// Opens the database named by the settings; unknown schemes are refused, never guessed.
pub async fn open_store(data: &DataSettings) -> anyhow::Result<Arc<dyn Store>> {
    let url = data.database_url();
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        crate::private_files::prepare_sqlite(&url)?;
        let max = data.database_max_connections.unwrap_or(crate::store::sqlite::DEFAULT_MAX_CONNECTIONS);
        Arc::new(SqliteStore::open_url_with(&url, max).await.context("cannot open the SQLite database")?)
    } else if is_postgres(&url) {
        // The URL may carry a password: it is never part of the message.
        let max = data.database_max_connections.unwrap_or(crate::store::postgres::DEFAULT_MAX_CONNECTIONS);
        Arc::new(
            PostgresStore::open_url(&url, max).await.context("cannot connect to the PostgreSQL database")?,
        )
    } else {
        bail!(
            "unknown database URL scheme (expected sqlite://…, postgres:// or postgresql://); \
             refusing to guess"
        )
    };
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

/// Removes files of uploads that never committed (a crash or a stop mid-upload). On SQLite
/// this node is the only writer, so every pending file is a leftover; on PostgreSQL other
/// nodes may be receiving uploads right now, so only those begun before yesterday go (an
/// upload's commit fails cleanly if its files went meanwhile).
async fn discard_stale_uploads(store: &dyn Store, shared: bool) -> anyhow::Result<()> {
    let before = shared.then(|| time::OffsetDateTime::now_utc().date().previous_day()).flatten();
    let removed = store.discard_stale_uploads(before).await.context("cannot remove unfinished uploads")?;
    // Resumable uploads are kept over a restart, on every backend, until they expire.
    if let Some(yesterday) = time::OffsetDateTime::now_utc().date().previous_day() {
        let expired =
            store.discard_expired_resumable(yesterday).await.context("cannot remove expired uploads")?;
        if expired > 0 {
            tracing::info!(uploads = expired, "removed expired resumable uploads");
        }
    }
    if removed > 0 {
        tracing::info!(files = removed, "removed files of unfinished uploads");
    }
    Ok(())
}

/// The pepper and the server signing key, in the data directory.
fn secret_files(data_dir: &Path) -> (PathBuf, PathBuf) {
    (data_dir.join("pepper"), data_dir.join("server-signing.key"))
}

/// `amana init-secrets`: creates the pepper and the server signing key (mode 0600) where
/// they are missing and checks the ones present. For the first node of a PostgreSQL
/// deployment, which never creates them by itself; the operator copies both to every node.
pub fn init_secrets(data_dir: &Path, new_pepper: bool) -> anyhow::Result<()> {
    ensure_private_dir(data_dir)?;
    if new_pepper {
        let path = pepper::add_version(data_dir)?;
        println!("created {}", path.display());
        println!(
            "New codes will use it once the servers restart; old codes keep their pepper. Copy it \
             (mode 0600) to every node, restart them all, and back up the secrets again."
        );
        return Ok(());
    }
    let (pepper_file, key_file) = secret_files(data_dir);
    let (had_pepper, had_key) = (pepper_file.exists(), key_file.exists());
    pepper::load_or_create(&pepper_file)?;
    server_key::load_or_create(&key_file)?;
    for (path, had) in [(&pepper_file, had_pepper), (&key_file, had_key)] {
        println!("{} {}", if had { "kept" } else { "created" }, path.display());
    }
    println!("Copy both files (mode 0600) to the data directory of every node, and back them up.");
    Ok(())
}

fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create data directory {}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot restrict data directory {}", dir.display()))
}

/// The onion listener believes the PROXY header of whoever connects, so only Tor on this
/// machine may reach it; and Tor connects from 127.0.0.1 (or ::1), so forwarded headers
/// from there must never be believed, or an onion client could claim any address.
fn check_listeners(s: &ServeSettings) -> anyhow::Result<()> {
    let Some(onion) = s.onion_listen else { return Ok(()) };
    if !onion.ip().is_loopback() {
        bail!(
            "--onion-listen {onion} is not a loopback address. Whoever reaches it can claim to be \
             any Tor circuit; it is for a Tor daemon on this machine only (ops/torrc)"
        );
    }
    if onion == s.listen && onion.port() != 0 {
        bail!("--onion-listen must differ from --listen: only Tor may connect to the onion listener");
    }
    if let Some(proxy) = s.limits.trusted_proxy {
        let tor_sources = [IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST), onion.ip()];
        if tor_sources.contains(&proxy) {
            bail!(
                "--trusted-proxy {proxy} is an address Tor connects from: onion clients could then \
                 set X-Forwarded-For to any address. Bind the reverse proxy to another loopback \
                 address (nginx: proxy_bind 127.0.0.2) and trust that one (ops/nginx.conf)"
            );
        }
    }
    Ok(())
}

/// Chooses the key directory: real keys, or demo keys on loopback only.
fn load_keyring(
    s: &ServeSettings,
    url: &str,
    attestation: &Ed25519KeyPair,
) -> anyhow::Result<(keys::Keys, Option<demo::Demo>)> {
    if keys::has_reviewers(&s.keys) {
        let loaded = keys::load(&s.keys)?;
        check_attestation_key(&loaded, attestation)?;
        return Ok((loaded, None));
    }
    if !s.listen.ip().is_loopback() {
        bail!(
            "no reviewer keys in {}/reviewers and the listen address {} is not loopback. \
             Demo mode is only for 127.0.0.1; add real public keys (amana-review keygen, see ops/README.md, \"The roster ceremony\") to go live",
            s.keys.display(),
            s.listen
        );
    }
    let demo = demo::prepare(&s.data.data_dir, url, attestation)?;
    let loaded = keys::load(&demo.keys_dir)?;
    check_attestation_key(&loaded, attestation)?;
    Ok((loaded, Some(demo)))
}

/// The roster names the key the server attests events with; serving under another key would
/// make every reviewer home refuse the server's events.
fn check_attestation_key(keys: &keys::Keys, attestation: &Ed25519KeyPair) -> anyhow::Result<()> {
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    let Some(signed) = &keys.roster else { return Ok(()) };
    let roster = signed.open_self_signed()?;
    let ours = B64.encode(ring::signature::KeyPair::public_key(attestation).as_ref());
    if roster.attestation_key != ours {
        bail!(
            "the signed roster names another attestation key than this server's ({ours}, in \
             data/server-signing.key): restore the right key file, or ask the oversight unit to sign \
             a roster with this one (ops/README.md, \"The roster ceremony\")"
        );
    }
    Ok(())
}

impl Application {
    /// Validates the settings and binds the listener.
    pub async fn build(s: ServeSettings) -> anyhow::Result<Self> {
        if s.insecure_test_kdf && !s.listen.ip().is_loopback() {
            bail!("--insecure-test-kdf is for automated tests on loopback only; remove it");
        }
        if s.test_clock_offset_days != 0 && !s.insecure_test_kdf {
            bail!("--test-clock-offset-days is for automated tests only (with --insecure-test-kdf)");
        }
        check_listeners(&s)?;
        s.uploads.check(s.insecure_test_kdf)?;
        let deadlines = load_deadlines(s.deadlines.as_deref())?;
        let retention = s.retention.policy()?;
        let onion_location =
            s.onion_location.as_deref().map(crate::pages::errors::onion_origin).transpose()?;
        ensure_private_dir(&s.data.data_dir)?;
        let listener =
            TcpListener::bind(s.listen).await.with_context(|| format!("cannot listen on {}", s.listen))?;
        let addr = listener.local_addr()?;
        let onion_listener = match s.onion_listen {
            Some(a) => {
                Some(TcpListener::bind(a).await.with_context(|| format!("cannot listen on {a} (onion)"))?)
            }
            None => None,
        };
        let onion_addr = onion_listener.as_ref().map(|l| l.local_addr()).transpose()?;
        let url = format!("http://{addr}");
        let (_, key_file) = secret_files(&s.data.data_dir);
        // Several PostgreSQL nodes must share one pepper and one key: never make a new one.
        let shared = is_postgres(&s.data.database_url());
        let peppers = pepper::Peppers::load(&s.data.data_dir, !shared)?;
        let receipt_key = if shared {
            server_key::load_existing(&key_file)?
        } else {
            server_key::load_or_create(&key_file)?
        };
        let (keys, demo) = load_keyring(&s, &url, &receipt_key)?;
        let services = load_services(s.services.as_deref(), &keys.keyring, demo.is_some())?;
        let store = open_store(&s.data).await?;
        discard_stale_uploads(store.as_ref(), is_postgres(&s.data.database_url())).await?;
        if let Some(d) = &demo {
            eprintln!("{}", demo::banner(d, &url));
        }
        if s.insecure_test_kdf {
            tracing::warn!("INSECURE TEST KDF: codes are cheap to guess; for automated tests only");
        }
        let form_tokens = crate::form_token::FormTokens::new(peppers.current().1, s.min_fill_secs);
        let state = AppState {
            inner: Arc::new(Inner {
                store,
                keyring: keys.keyring,
                roster: keys.roster,
                peppers,
                kdf_params: intake::kdf_params(s.insecure_test_kdf),
                insecure_test_kdf: s.insecure_test_kdf,
                submit_pool: KdfPool::new(s.kdf_workers),
                status_pool: KdfPool::new(s.kdf_workers),
                signature_window_secs: i64::from(s.signature_window_hours) * 3600,
                demo: demo.is_some(),
                deadlines,
                services,
                retention,
                receipt_key: Arc::new(receipt_key),
                clock_offset_days: s.test_clock_offset_days,
                onion_location,
                form_tokens,
                uploads: s.uploads.clone(),
                transparency: Default::default(),
            }),
        };
        Ok(Self {
            listener,
            onion_listener,
            onion_addr,
            router: routes::router(state.clone(), &s.limits, &s.uploads)?,
            conn_limits: ConnLimits {
                max_connections: s.limits.max_connections,
                max_per_client: s.limits.max_connections_per_client,
                header_timeout: Duration::from_secs(s.limits.header_timeout_secs.max(1)),
                trusted_proxy: s.limits.trusted_proxy,
            },
            addr,
            state,
            escalation_every: Duration::from_secs(s.escalation_interval_secs.max(1)),
        })
    }

    /// Serves until SIGINT/SIGTERM, letting in-flight requests finish.
    pub async fn run(self) -> anyhow::Result<()> {
        tokio::spawn(purge_nonces_hourly(self.state.clone()));
        tokio::spawn(escalate_periodically(self.state.clone(), self.escalation_every));
        if let Some(onion) = self.onion_addr {
            // Printed first: "listening on" is the line that says the server is ready.
            println!("amana onion listener (PROXY protocol) on {onion}");
        }
        println!("amana listening on http://{}", self.addr);
        server::serve(self.listener, self.onion_listener, self.router, self.conn_limits, shutdown_signal())
            .await
            .context("server error")
    }
}

/// Escalates overdue cases now and then every `every`. Safe on several nodes at once:
/// the store escalates each case once.
async fn escalate_periodically(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match state.store.escalate_overdue(state.today(), Some(&state.server_attester())).await {
            Ok(ids) if !ids.is_empty() => tracing::info!(count = ids.len(), "escalated overdue cases"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "escalation failed"),
        }
    }
}

async fn purge_nonces_hourly(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if let Err(e) = state.store.purge_nonces(state.today()).await {
            tracing::error!(error = %e, "nonce purge failed");
        }
        let weak = crate::status::take_weak_records_met();
        if weak > 0 {
            tracing::error!(
                count = weak,
                "code checks met records with KDF parameters below the production floor (refused); \
                 only a database writer makes those: see ops/README.md, \"Incident response\""
            );
        }
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let ctrl_c = tokio::signal::ctrl_c();
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
    tracing::info!("shutting down; finishing requests in flight");
}
