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

/// Writes one line to stdout, like `println!`, but a reader that went away (`amana-review pull
/// | head -1`) neither panics the command nor stops its work: the pull still completes and
/// stores what it verified. Any other write error is said once on stderr.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            warn_once(&e);
        }
    }
}

fn warn_once(e: &std::io::Error) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| eprintln!("warning: could not write the output: {e}"));
}

/// `println!` that survives a closed pipe (see [`line`]).
macro_rules! say {
    () => { $crate::output::line(format_args!("")) };
    ($($arg:tt)*) => { $crate::output::line(format_args!($($arg)*)) };
}
pub(crate) use say;
