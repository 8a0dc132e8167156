//! Writing results to stdout.

use std::io::Write;

/// Writes `text` to stdout in one go. A closed pipe (`amana-review list | head`) is not a
/// failure; `print!` would panic there.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    if capture::push(format_args!("{}", text.trim_end_matches('\n'))) {
        return Ok(());
    }
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
    if capture::push(args) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            warn_once(&e);
        }
    }
}

/// What a command said, kept instead of printed: the desk runs the CLI's own commands (one
/// implementation of every action) and shows their words on a page. Per thread, so only
/// the command running in [`capture::run`] is captured.
pub mod capture {
    use std::cell::RefCell;

    thread_local! {
        static LINES: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Runs `f`, returning what it said with `say!` beside its result.
    pub fn run<T>(f: impl FnOnce() -> T) -> (T, String) {
        LINES.with(|l| *l.borrow_mut() = Some(String::new()));
        let result = f();
        let said = LINES.with(|l| l.borrow_mut().take()).unwrap_or_default();
        (result, said)
    }

    /// Keeps a line if a capture is running on this thread.
    pub(super) fn push(args: std::fmt::Arguments<'_>) -> bool {
        LINES.with(|l| match l.borrow_mut().as_mut() {
            Some(text) => {
                text.push_str(&args.to_string());
                text.push('\n');
                true
            }
            None => false,
        })
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
