//! Where passphrases come from: `AMANA_REVIEW_PASSPHRASE` if set (scripts, tests),
//! otherwise the terminal, never echoed.

use zeroize::Zeroizing;

use crate::error::ReviewError;

/// The environment variable that supplies the passphrase non-interactively.
pub const ENV: &str = "AMANA_REVIEW_PASSPHRASE";

/// The passphrase from the environment, if set.
fn from_env() -> Option<Zeroizing<String>> {
    std::env::var(ENV).ok().map(Zeroizing::new)
}

fn prompt(text: &str) -> Result<Zeroizing<String>, ReviewError> {
    rpassword::prompt_password(text).map(Zeroizing::new).map_err(ReviewError::NoTerminal)
}

/// The passphrase that opens existing key files. Asked once per run at most, so a command
/// that needs both keys (e.g. a later `reply`) does not ask twice.
#[derive(Default)]
pub struct Unlocker {
    cached: Option<Zeroizing<String>>,
}

impl Unlocker {
    /// The passphrase, asking for it the first time.
    pub fn get(&mut self) -> Result<&str, ReviewError> {
        let pass = match (self.cached.take(), from_env()) {
            (Some(cached), _) => cached,
            (None, Some(env)) => env,
            (None, None) => prompt("Passphrase for your reviewer keys: ")?,
        };
        Ok(self.cached.insert(pass).as_str())
    }
}

/// A new passphrase for fresh keys: from the environment, or typed twice and compared.
pub fn new_passphrase() -> Result<Zeroizing<String>, ReviewError> {
    let pass = match from_env() {
        Some(p) => p,
        None => {
            let first = prompt("New passphrase for your reviewer keys: ")?;
            let second = prompt("Repeat the passphrase: ")?;
            if first != second {
                return Err(ReviewError::PassphraseMismatch);
            }
            first
        }
    };
    if pass.is_empty() {
        return Err(ReviewError::EmptyPassphrase);
    }
    Ok(pass)
}
