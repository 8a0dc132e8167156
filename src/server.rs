//! The accept loop. `axum::serve` has no header-read timeout and no connection cap, so a
//! slow-loris client could hold connections open forever; this loop serves the same router
//! through hyper with both, caps connections per client, and drains in-flight requests on
//! shutdown.
//!
//! Two listeners can feed it: `--listen` (clearnet clients, or a reverse proxy) and
//! `--onion-listen`, for Tor's onion service alone. On the onion listener every connection
//! must begin with a PROXY protocol header (torrc `HiddenServiceExportCircuitID haproxy`):
//! Tor sends version 1, `PROXY TCP6 fc00:dead:beef:4dad::<circuit id> ::1 <port> <port>\r\n`,
//! whose source address names the circuit; version 2 (binary) is accepted too. That address
//! is the connection's client for the rate limiters and the per-client connection cap, so
//! each circuit has its own budgets. A connection without a valid header is closed. The
//! header is believed because only Tor can reach that listener (loopback only, checked at
//! start-up): it must never be reachable by clearnet clients.

use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, BufReader},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
};
use tower::ServiceExt;

use crate::limits::OnionClient;

/// How long shutdown waits for requests in flight (submissions finish and commit).
const DRAIN: Duration = Duration::from_secs(30);
/// Largest request head (request line plus headers) we buffer.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The version 2 PROXY header's signature.
const PROXY_V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The longest version 1 header, CRLF included (the protocol's own bound).
const PROXY_V1_MAX: usize = 107;
/// The longest version 2 header we read: addresses and a few TLVs (Tor sends none).
const PROXY_V2_MAX: usize = 16 + 512;

/// Connection-level bounds.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub max_connections: usize,
    /// Most connections one client holds at once (0: no cap).
    pub max_per_client: usize,
    pub header_timeout: Duration,
    /// The reverse proxy's address: its connections carry many clients, so they are not
    /// counted per client.
    pub trusted_proxy: Option<IpAddr>,
}

fn builder(limits: ConnLimits) -> Builder<TokioExecutor> {
    let mut b = Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    b.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .max_header_list_size(MAX_HEAD_BYTES as u32)
        .max_concurrent_streams(32);
    b
}

/// Open connections per client. The map holds a client's key only while it has a
/// connection open; nothing else ever sees it.
#[derive(Clone, Default)]
struct Seats {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max: usize,
}

/// One open connection of a client; gives its seat back when dropped.
struct Seat {
    seats: Seats,
    client: IpAddr,
}

impl Seats {
    fn new(max: usize) -> Self {
        Self { open: Arc::default(), max }
    }

    /// A seat for `client`, unless it already holds `max` connections.
    fn take(&self, client: IpAddr) -> Option<Seat> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(client).or_insert(0);
        if self.max > 0 && *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Seat { seats: self.clone(), client })
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut open = self.seats.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// Why a connection on the onion listener was refused.
#[derive(Debug, thiserror::Error)]
enum ProxyHeaderError {
    #[error("no PROXY protocol header")]
    Missing,
    #[error("the PROXY protocol header names no client address")]
    NoAddress,
    #[error("could not read the PROXY protocol header: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads a PROXY protocol header (version 1 or 2) and nothing after it; returns the client
/// address it names and the stream, whose read-ahead is kept for hyper.
async fn read_proxy_header(stream: TcpStream) -> Result<(BufReader<TcpStream>, IpAddr), ProxyHeaderError> {
    let mut reader = BufReader::with_capacity(PROXY_V2_MAX, stream);
    let mut head = vec![0u8; 16];
    reader.read_exact(&mut head).await?;
    if head.starts_with(PROXY_V2_SIGNATURE) {
        let len = usize::from(u16::from_be_bytes([head[14], head[15]]));
        if 16 + len > PROXY_V2_MAX {
            return Err(ProxyHeaderError::Missing);
        }
        head.resize(16 + len, 0);
        reader.read_exact(&mut head[16..]).await?;
    } else if head.starts_with(b"PROXY ") {
        while !head.ends_with(b"\r\n") {
            if head.len() >= PROXY_V1_MAX {
                return Err(ProxyHeaderError::Missing);
            }
            head.push(reader.read_u8().await?);
        }
    } else {
        return Err(ProxyHeaderError::Missing);
    }
    let client = match ppp::HeaderResult::parse(&head) {
        ppp::HeaderResult::V1(Ok(h)) => match h.addresses {
            ppp::v1::Addresses::Tcp4(a) => IpAddr::V4(a.source_address),
            ppp::v1::Addresses::Tcp6(a) => IpAddr::V6(a.source_address),
            ppp::v1::Addresses::Unknown => return Err(ProxyHeaderError::NoAddress),
        },
        ppp::HeaderResult::V2(Ok(h)) => match (h.command, h.addresses) {
            (ppp::v2::Command::Proxy, ppp::v2::Addresses::IPv4(a)) => IpAddr::V4(a.source_address),
            (ppp::v2::Command::Proxy, ppp::v2::Addresses::IPv6(a)) => IpAddr::V6(a.source_address),
            _ => return Err(ProxyHeaderError::NoAddress),
        },
        _ => return Err(ProxyHeaderError::Missing),
    };
    Ok((reader, client))
}

/// Where a connection came from.
#[derive(Clone, Copy)]
enum Door {
    Clearnet,
    Onion,
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Serves `router` on `listener` (and `onion`, which requires the PROXY protocol) until
/// `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    onion: Option<TcpListener>,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let seats = Seats::new(limits.max_per_client);
    tokio::pin!(shutdown);
    loop {
        let (accepted, door) = tokio::select! {
            a = listener.accept() => (a, Door::Clearnet),
            a = accept(onion.as_ref()) => (a, Door::Onion),
            _ = &mut shutdown => break,
        };
        let Ok((stream, peer)) = accepted else {
            // Per-connection accept errors (e.g. EMFILE, a reset) must not stop the server.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // Over the cap the connection is closed at once (dropping the stream).
        let Ok(permit) = slots.clone().try_acquire_owned() else { continue };
        let (router, seats, watcher) = (router.clone(), seats.clone(), graceful.watcher());
        tokio::spawn(async move {
            match door {
                Door::Clearnet => {
                    let seat = if Some(peer.ip()) == limits.trusted_proxy {
                        None
                    } else {
                        match seats.take(peer.ip()) {
                            Some(seat) => Some(seat),
                            None => return,
                        }
                    };
                    let service = router.map_request(move |req: hyper::Request<Incoming>| {
                        let mut req = req.map(Body::new);
                        // Only the rate limiter reads this, and only in memory.
                        req.extensions_mut().insert(ConnectInfo(peer));
                        req
                    });
                    let _ = watcher.watch(connection(stream, service, limits)).await;
                    drop(seat);
                }
                Door::Onion => {
                    let header = tokio::time::timeout(limits.header_timeout, read_proxy_header(stream)).await;
                    // Closed without a line at any level: a line per connection is a
                    // timestamped trace of a client (SECURITY.md, "Logging policy").
                    let Ok(Ok((stream, circuit))) = header else {
                        return;
                    };
                    let Some(seat) = seats.take(circuit) else { return };
                    let service = router.map_request(move |req: hyper::Request<Incoming>| {
                        let mut req = req.map(Body::new);
                        req.extensions_mut().insert(ConnectInfo(peer));
                        req.extensions_mut().insert(OnionClient(circuit));
                        req
                    });
                    let _ = watcher.watch(connection(stream, service, limits)).await;
                    drop(seat);
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    drop(onion);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => tracing::warn!("shutdown: some connections did not finish in time"),
    }
    Ok(())
}

/// One HTTP/1 or HTTP/2 connection over `io`.
fn connection<I, S>(
    io: I,
    service: S,
    limits: ConnLimits,
) -> hyper_util::server::conn::auto::UpgradeableConnection<
    'static,
    TokioIo<I>,
    TowerToHyperService<S>,
    TokioExecutor,
>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    builder(limits)
        .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service))
        .into_owned()
}
