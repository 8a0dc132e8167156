//! Writing results to stdout.

use std::io::Write;

/// Writes `text` to stdout in one go. A closed pipe (`amana-review list | head`) is not a
/// failure; `print!` would panic there.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
