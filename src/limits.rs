//! Rate limits (SECURITY.md invariant 5) with `tower-governor`.
//!
//! * Every route: a per-client budget.
//! * Each costly route group (submit; code checks — status, follow-ups, ratings, a
//!   follow-up's upload start): its own per-client budget **and** its own global budget.
//!   Behind Tor or a reverse proxy every client looks like 127.0.0.1, so a per-address
//!   limit alone would be no limit; separate budgets per group mean a flood of code checks
//!   cannot use up submissions.
//!
//! Client addresses live only in the limiters' memory (pruned every minute) and are never
//! logged. `X-Forwarded-For` is believed only when the TCP peer is the configured proxy,
//! and never on the onion listener: there a client is its Tor circuit, named by the PROXY
//! protocol header Tor sends (`server`), so each circuit has its own per-client budgets.

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, HeaderValue, Request, Response, StatusCode},
};
use clap::Args;
use std::{net::IpAddr, net::SocketAddr, sync::Arc, time::Duration};
use tower_governor::{
    governor::{GovernorConfig, GovernorConfigBuilder},
    key_extractor::{GlobalKeyExtractor, KeyExtractor},
    GovernorError, GovernorLayer,
};

/// Rate-limit and connection settings (`amana serve --help`).
#[derive(Debug, Clone, Args)]
pub struct LimitSettings {
    /// Costly routes, per client: one request per this many milliseconds on average…
    #[arg(long, env = "AMANA_PEER_COSTLY_EVERY_MS", default_value_t = 3000)]
    pub peer_costly_every_ms: u64,
    /// …with bursts of up to this many.
    #[arg(long, env = "AMANA_PEER_COSTLY_BURST", default_value_t = 10)]
    pub peer_costly_burst: u32,
    /// Costly routes, all clients together (per route group): one per this many ms…
    #[arg(long, env = "AMANA_GLOBAL_COSTLY_EVERY_MS", default_value_t = 100)]
    pub global_costly_every_ms: u64,
    /// …with bursts of up to this many.
    #[arg(long, env = "AMANA_GLOBAL_COSTLY_BURST", default_value_t = 50)]
    pub global_costly_burst: u32,
    /// Every route, per client: one request per this many ms…
    #[arg(long, env = "AMANA_PEER_EVERY_MS", default_value_t = 50)]
    pub peer_every_ms: u64,
    /// …with bursts of up to this many.
    #[arg(long, env = "AMANA_PEER_BURST", default_value_t = 200)]
    pub peer_burst: u32,
    /// Address of a reverse proxy whose X-Forwarded-For header is trusted (on --listen only;
    /// never on --onion-listen). Without it the header is ignored. Not the address Tor
    /// connects from (127.0.0.1): bind the proxy to another one (nginx `proxy_bind`).
    #[arg(long, env = "AMANA_TRUSTED_PROXY")]
    pub trusted_proxy: Option<IpAddr>,
    /// Most simultaneous connections; more are closed at once.
    #[arg(long, env = "AMANA_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Most simultaneous connections from one client (an address, or a Tor circuit on
    /// --onion-listen); more are closed at once. The trusted proxy's own connections are
    /// not counted per client (limit them in the proxy: ops/nginx.conf). 0: no cap.
    #[arg(long, env = "AMANA_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 8)]
    pub max_connections_per_client: usize,
    /// Seconds a client may take to send its request headers (slow-loris bound).
    #[arg(long, env = "AMANA_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a whole request may take, body included.
    #[arg(long, env = "AMANA_REQUEST_TIMEOUT_SECS", default_value_t = 60)]
    pub request_timeout_secs: u64,
}

/// The client's address: the TCP peer, or the last X-Forwarded-For hop when the peer is
/// the trusted proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr {
    trusted_proxy: Option<IpAddr>,
}

/// The client of a connection on the onion listener: its Tor circuit, as the address Tor's
/// PROXY header gives it (`fc00:dead:beef:4dad::<circuit id>`). Only the limiters read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnionClient(pub IpAddr);

impl KeyExtractor for ClientAddr {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        // Behind Tor nothing the client sends is believed: the circuit is the client.
        if let Some(OnionClient(circuit)) = req.extensions().get::<OnionClient>() {
            return Ok(*circuit);
        }
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip())
            .ok_or(GovernorError::UnableToExtractKey)?;
        if Some(peer) != self.trusted_proxy {
            return Ok(peer);
        }
        // The proxy appends the address it saw last; earlier entries are client-supplied.
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .next_back()
            .and_then(|v| v.rsplit(',').next())
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        Ok(forwarded.unwrap_or(peer))
    }
}

fn too_many(e: GovernorError) -> Response<Body> {
    let (status, wait) = match e {
        GovernorError::TooManyRequests { wait_time, .. } => (StatusCode::TOO_MANY_REQUESTS, wait_time.max(1)),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, 1),
    };
    let body = serde_json::json!({
        "error": "rate_limited",
        "message": "Too many requests. Nothing was saved. Please wait a little and try again.",
    });
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        h.insert(header::RETRY_AFTER, v);
    }
    resp
}

type NoOp = governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>;

fn config<K: KeyExtractor>(
    key: K,
    every_ms: u64,
    burst: u32,
) -> anyhow::Result<Arc<GovernorConfig<K, NoOp>>> {
    GovernorConfigBuilder::default()
        .per_millisecond(every_ms.max(1))
        .burst_size(burst.max(1))
        .key_extractor(key)
        .finish()
        .map(Arc::new)
        .ok_or_else(|| anyhow::anyhow!("invalid rate limit: period and burst must be positive"))
}

/// The per-client and global limiter layers of one route group.
pub struct Budget {
    pub peer: GovernorLayer<ClientAddr, NoOp, Body>,
    pub global: GovernorLayer<GlobalKeyExtractor, NoOp, Body>,
}

impl LimitSettings {
    /// A fresh budget for one costly route group.
    pub fn costly(&self) -> anyhow::Result<Budget> {
        let key = ClientAddr { trusted_proxy: self.trusted_proxy };
        let peer = config(key, self.peer_costly_every_ms, self.peer_costly_burst)?;
        let global = config(GlobalKeyExtractor, self.global_costly_every_ms, self.global_costly_burst)?;
        spawn_pruner(peer.clone());
        Ok(Budget {
            peer: GovernorLayer::new(peer).error_handler(too_many),
            global: GovernorLayer::new(global).error_handler(too_many),
        })
    }

    /// The per-client limiter for every route.
    pub fn general(&self) -> anyhow::Result<GovernorLayer<ClientAddr, NoOp, Body>> {
        let key = ClientAddr { trusted_proxy: self.trusted_proxy };
        let peer = config(key, self.peer_every_ms, self.peer_burst)?;
        spawn_pruner(peer.clone());
        Ok(GovernorLayer::new(peer).error_handler(too_many))
    }
}

/// Forgets idle client addresses every minute, so the map stays small and short-lived.
fn spawn_pruner(cfg: Arc<GovernorConfig<ClientAddr, NoOp>>) {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                cfg.limiter().retain_recent();
                cfg.limiter().shrink_to_fit();
            }
        });
    }
}
