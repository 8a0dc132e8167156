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
