//! The accept loop. `axum::serve` has no header-read timeout and no connection cap, so a
//! slow-loris client could hold connections open forever; this loop serves the same router
//! through hyper with both, and drains in-flight requests on shutdown.

use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use std::{future::Future, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

/// How long shutdown waits for requests in flight (submissions finish and commit).
const DRAIN: Duration = Duration::from_secs(30);
/// Largest request head (request line plus headers) we buffer.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Connection-level bounds.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
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

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Per-connection accept errors (e.g. EMFILE, a reset) must not stop the server.
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            _ = &mut shutdown => break,
        };
        // Over the cap the connection is closed at once (dropping the stream).
        let Ok(permit) = slots.clone().try_acquire_owned() else { continue };
        let service = router.clone().map_request(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(Body::new);
            // Only the rate limiter reads this, and only in memory.
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = builder(limits)
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => tracing::warn!("shutdown: some connections did not finish in time"),
    }
    Ok(())
}
