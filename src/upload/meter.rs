//! The metered body of a multipart upload: what the parser may read ahead of what it has
//! handed out, and the minimum data rate (see the module docs of `upload`).

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use tokio::time::Instant;

use super::form::multipart_error;
use crate::config::MinRate;
use crate::error::ApiError;

/// Why the metered body stopped.
const RUNNING: u8 = 0;
const OVER_FRAMING: u8 = 1;
const TOO_SLOW: u8 = 2;

/// What the parser may read of one multipart body, shared between the body stream (which
/// the parser polls) and the code that takes the fields and files out of the parser.
#[derive(Debug)]
pub struct Meter {
    /// Body bytes read from the connection so far.
    received: AtomicU64,
    /// How many it may have read: the text fields' limit, framing and read-ahead, plus
    /// every file byte handed out.
    allowed: AtomicU64,
    /// Why the stream stopped (`RUNNING` while it has not).
    stopped: AtomicU8,
}

impl Meter {
    pub(super) fn new(allowed: u64) -> Self {
        Self {
            received: AtomicU64::new(0),
            allowed: AtomicU64::new(allowed),
            stopped: AtomicU8::new(RUNNING),
        }
    }

    /// `n` file bytes were handed out: the parser may read as many more.
    pub(super) fn handed_out(&self, n: u64) {
        self.allowed.fetch_add(n, Ordering::Relaxed);
    }

    /// Whether the body went over what it may carry (a raw body: the bytes its upload
    /// still lacks).
    pub(super) fn over_limit(&self) -> bool {
        self.stopped.load(Ordering::Relaxed) == OVER_FRAMING
    }

    /// The answer for a parser error: ours when the metered stream stopped it.
    pub(super) fn error(&self, e: multer::Error) -> ApiError {
        match self.stopped.load(Ordering::Relaxed) {
            OVER_FRAMING => ApiError::TooLarge,
            TOO_SLOW => ApiError::TooSlow,
            _ => multipart_error(e),
        }
    }
}

/// Why the body stream ended early (the parser wraps it; [`Meter::error`] tells which).
#[derive(Debug, thiserror::Error)]
enum Stopped {
    #[error("multipart framing over its limit")]
    Framing,
    #[error("upload slower than the minimum rate")]
    TooSlow,
}

/// Time spent waiting for the client, and bytes received, in the current window.
struct RateClock {
    rate: MinRate,
    waited: Duration,
    bytes: u64,
    waiting_since: Option<Instant>,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl RateClock {
    fn new(rate: MinRate) -> Self {
        Self {
            rate,
            waited: Duration::ZERO,
            bytes: 0,
            waiting_since: None,
            timer: Box::pin(tokio::time::sleep(rate.window)),
        }
    }

    /// Closes the window if it is full: an error if too few bytes came in it.
    fn close_window(&mut self) -> Result<(), Stopped> {
        if self.waited < self.rate.window {
            return Ok(());
        }
        if self.bytes < self.rate.bytes {
            return Err(Stopped::TooSlow);
        }
        self.waited = Duration::ZERO;
        self.bytes = 0;
        Ok(())
    }

    /// `n` bytes arrived.
    fn arrived(&mut self, n: usize) -> Result<(), Stopped> {
        if let Some(since) = self.waiting_since.take() {
            self.waited += since.elapsed();
        }
        self.bytes += n as u64;
        self.close_window()
    }

    /// The client has nothing for us: wait, and stop when a window ends short of bytes.
    fn waiting(&mut self, cx: &mut Context<'_>) -> Result<(), Stopped> {
        loop {
            let now = Instant::now();
            let since = match self.waiting_since {
                Some(since) => since,
                None => {
                    self.timer.as_mut().reset(now + self.rate.window.saturating_sub(self.waited));
                    self.waiting_since = Some(now);
                    now
                }
            };
            if std::future::Future::poll(self.timer.as_mut(), cx).is_pending() {
                return Ok(());
            }
            // The window ended while waiting.
            self.waited += now.saturating_duration_since(since);
            self.waited = self.waited.max(self.rate.window);
            self.waiting_since = None;
            self.close_window()?;
        }
    }
}

/// The body as the multipart parser reads it: at most one chunk per poll, within the
/// [`Meter`]'s allowance, and no slower than the minimum rate.
///
/// One chunk per poll: the parser reads everything the connection has ready each time it
/// is polled; on a fast link that outruns encryption and the database, its buffer would grow
/// with the upload (measured: +70 MiB for a 256 MiB file). One chunk at a time leaves the
/// rest in the socket, where TCP flow control holds the client back.
pub(super) struct MeteredBody<S> {
    inner: S,
    yielded: bool,
    meter: Arc<Meter>,
    clock: Option<RateClock>,
}

impl<S> MeteredBody<S> {
    pub(super) fn new(inner: S, meter: Arc<Meter>, rate: Option<MinRate>) -> Self {
        Self { inner, yielded: false, meter, clock: rate.map(RateClock::new) }
    }

    fn stop(&mut self, why: Stopped) -> Poll<Option<Result<Bytes, BoxError>>> {
        let code = match why {
            Stopped::Framing => OVER_FRAMING,
            Stopped::TooSlow => TOO_SLOW,
        };
        self.meter.stopped.store(code, Ordering::Relaxed);
        Poll::Ready(Some(Err(Box::new(why))))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S> futures_util::Stream for MeteredBody<S>
where
    S: futures_util::Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.yielded {
            // Let the parser hand out what it has; it is polled again at once.
            self.yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                if let Some(Err(why)) = self.clock.as_mut().map(|c| c.arrived(bytes.len())) {
                    return self.stop(why);
                }
                let n = bytes.len() as u64;
                let received = self.meter.received.fetch_add(n, Ordering::Relaxed) + n;
                if received > self.meter.allowed.load(Ordering::Relaxed) {
                    return self.stop(Stopped::Framing);
                }
                self.yielded = true;
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.clock.as_mut().map(|c| c.waiting(cx)) {
                Some(Err(why)) => self.stop(why),
                _ => Poll::Pending,
            },
        }
    }
}
