//! The air gap: `authorize-pull` (offline), `pull --authorization` and `push` on a connected
//! machine without keys or home (against a loopback stub), and `import` with the same
//! verification as a pull.

mod import;
mod pull;
mod push;

use std::path::Path;

use assert_cmd::Command;

/// The binary as the connected machine runs it: no home, HOME pointing at an empty dir.
pub(super) fn connected(empty_home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("amana-review").expect("binary");
    cmd.env("HOME", empty_home)
        .env_remove("AMANA_REVIEW_HOME")
        .env_remove("AMANA_SERVER")
        .env_remove("AMANA_REVIEW_PASSPHRASE")
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

/// Runs `cmd` (stdout and stderr captured, no server or home from the environment) and
/// samples its peak RSS in KiB: the high-water mark in /proc, read until it exits — it never
/// goes down, so the last read is the peak of all but the last few milliseconds.
#[cfg(target_os = "linux")]
pub(super) fn peak_kib(mut cmd: std::process::Command) -> (u64, std::process::Output) {
    let mut child = cmd
        .env_remove("AMANA_REVIEW_HOME")
        .env_remove("AMANA_SERVER")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run amana-review");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:"));
            let kib = hwm.and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(kib.unwrap_or(0));
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    (peak, child.wait_with_output().expect("output"))
}
