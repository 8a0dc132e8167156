//! Opening the desk in the laptop's browser. A Chromium-family browser gets a new temporary
//! profile (so the desk's pages and cookie stay out of the everyday profile, and go with the
//! profile when the desk stops) in app mode; without one, the address goes to `xdg-open`.
//! Failing to open one is not an error: the address is printed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A browser the desk started, closed with it.
pub struct Launched {
    child: Child,
    profile: PathBuf,
}

impl Launched {
    /// Ends the browser the desk started and deletes its temporary profile.
    pub fn close(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Err(e) = std::fs::remove_dir_all(&self.profile) {
            eprintln!(
                "could not delete the browser's temporary profile {}: {e}; delete it by hand",
                self.profile.display()
            );
        }
    }
}

/// Starts the browser on `url`, in the background.
pub fn open(program: Option<&str>, url: &str) -> Option<Launched> {
    let profile = std::env::temp_dir().join(format!("amana-desk-{}", std::process::id()));
    if crate::home::create_private_dir(&profile).is_ok() {
        let started = Command::new(program.unwrap_or("chromium"))
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--no-first-run", "--disable-sync", "--disable-background-networking", "--incognito"])
            .arg(format!("--app={url}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(child) = started {
            return Some(Launched { child, profile });
        }
        let _ = std::fs::remove_dir(&profile);
    }
    let fallback = Command::new("xdg-open").arg(url).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    if program.is_some() || fallback.is_err() {
        eprintln!("could not start a browser: open the address above in yours (or pass --browser PROGRAM)");
    }
    None
}
