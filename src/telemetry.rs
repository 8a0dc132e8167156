//! Logging policy (SECURITY.md invariant 4): no per-request lines, no timestamps, never an IP
//! address, user agent, path parameter, code, body or header. Only start-up facts and
//! errors reach the log, and errors are logged by kind, not by request.

use tracing_subscriber::{
    filter::{FilterExt, LevelFilter, Targets},
    fmt,
    layer::SubscriberExt,
    util::SubscriberInitExt,
    EnvFilter, Layer,
};

/// The crates whose lines `AMANA_LOG` may raise above warnings: ours, none of which logs per
/// request at any level (`tests/api/leaks.rs` runs traffic at trace level to prove it).
const OWN_CRATES: [&str; 2] = ["amana", "amana_core"];

/// The ceiling every other crate's lines are held to, whatever `AMANA_LOG` says. The HTTP
/// stack (hyper, h2, tower, axum) logs each connection, frame and request at debug and trace,
/// and sqlx each statement (slow ones as warnings): one line per request, which a journal
/// would timestamp. sqlx is off at every level.
fn ceiling() -> Targets {
    OWN_CRATES
        .iter()
        .fold(Targets::new(), |t, c| t.with_target(*c, LevelFilter::TRACE))
        .with_target("sqlx", LevelFilter::OFF)
        .with_default(LevelFilter::WARN)
}

/// Installs the process-wide subscriber: stderr, no time, no target noise.
pub fn init() {
    let filter = EnvFilter::try_from_env("AMANA_LOG").unwrap_or_else(|_| EnvFilter::new("amana=info,warn"));
    let layer = fmt::layer()
        .without_time()
        .with_ansi(false)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_filter(filter.and(ceiling()));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Replaces the default panic hook, whose message may quote request data, with one that
/// logs only where the panic happened.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(location = %at, "panic (payload withheld by logging policy)");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn only_our_crates_go_below_warnings() {
        let c = ceiling();
        assert!(c.would_enable("amana::startup", &Level::TRACE));
        assert!(c.would_enable("amana_core::roster", &Level::DEBUG));
        for other in ["h2::codec", "hyper::proto", "hyper_util::server", "tower_http", "axum::routing"] {
            assert!(!c.would_enable(other, &Level::DEBUG), "{other}");
            assert!(c.would_enable(other, &Level::WARN), "{other}");
        }
        assert!(!c.would_enable("sqlx::query", &Level::ERROR));
    }
}
