//! Opening the desk in the laptop's browser. A Chromium-family browser gets a new temporary
//! profile (so the desk's pages and cookie stay out of the everyday profile) and app mode;
//! anything else gets the address through `xdg-open`. Failing to open one is not an error:
//! the address is printed.

use std::process::{Command, Stdio};

/// Starts the browser on `url`, in the background.
pub fn open(program: Option<&str>, url: &str) {
    let profile = std::env::temp_dir().join(format!("amana-desk-{}", std::process::id()));
    let chromium = program.unwrap_or("chromium");
    let started = Command::new(chromium)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--no-first-run", "--disable-sync", "--disable-background-networking"])
        .arg(format!("--app={url}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if started.is_ok() {
        return;
    }
    if program.is_none()
        && Command::new("xdg-open").arg(url).stdout(Stdio::null()).stderr(Stdio::null()).spawn().is_ok()
    {
        return;
    }
    eprintln!("could not start a browser: open the address above in yours (or pass --browser PROGRAM)");
}
