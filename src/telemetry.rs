//! Logging policy (SECURITY.md invariant 4): no per-request lines, no timestamps, never an IP
//! address, user agent, path parameter, code, body or header. Only start-up facts and
//! errors reach the log, and errors are logged by kind, not by request.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the process-wide subscriber: stderr, no time, no target noise.
pub fn init() {
    let filter = EnvFilter::try_from_env("AMANA_LOG").unwrap_or_else(|_| EnvFilter::new("amana=info,warn"));
    // sqlx logs every statement (and slow ones as warnings): one line per request, which a
    // journal would timestamp. Off at every level, whatever AMANA_LOG says.
    let filter = match "sqlx=off".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let _ = fmt()
        .with_env_filter(filter)
        .without_time()
        .with_ansi(false)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Replaces the default panic hook, whose message may quote request data, with one that
/// logs only where the panic happened.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(location = %at, "panic (payload withheld by logging policy)");
    }));
}
