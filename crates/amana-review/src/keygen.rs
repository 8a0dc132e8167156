//! `keygen`: a fresh age identity and Ed25519 signing key in a new reviewer home.

use amana_core::reviewer_keys::{self, home::ReviewerConfig, ReviewerSecrets};
use zeroize::Zeroizing;

use crate::cli::KeygenArgs;
use crate::error::ReviewError;
use crate::home::{self, Home, CONFIG_FILE, IDENTITY_FILE, PUBLIC_ENTRY_FILE, SIGNING_FILE};
use crate::passphrase;

/// Creates the keys, writes the home's files and prints the public entry.
pub fn run(home: &Home, args: &KeygenArgs, server: Option<&str>) -> anyhow::Result<()> {
    check_args(args)?;
    if let Some(url) = server {
        crate::client::check_server_url(url)?;
    }
    refuse_existing(home)?;
    // Ask before generating or writing anything, so a typo leaves no half-made home.
    let passphrase = if args.no_passphrase { None } else { Some(passphrase::new_passphrase()?) };

    let secrets = ReviewerSecrets::generate()?;
    let entry = secrets.public_entry(&args.id, args.agencies.clone(), args.oversight)?;
    let entry_toml = toml::to_string(&entry)?;
    let today = time::OffsetDateTime::now_utc().date();

    home::create_private_dir(home.root())?;
    home::warn_if_shared(home.root());
    let pass = passphrase.as_deref().map(String::as_str);
    write_key_file(home, IDENTITY_FILE, &secrets.identity_file(today), pass)?;
    write_key_file(home, SIGNING_FILE, &secrets.signing_key_file(), pass)?;
    home::create_new_file(&home.file(PUBLIC_ENTRY_FILE), entry_toml.as_bytes())?;
    let config = ReviewerConfig {
        key_id: args.id.clone(),
        server: server.map(str::to_string),
        deployment_id: args.deployment_id.clone(),
        roster_fingerprint: args
            .roster_fingerprint
            .as_deref()
            .map(|f| amana_core::roster::parse_fingerprint(f).ok_or(ReviewError::BadFingerprint))
            .transpose()?,
    };
    home::create_new_file(&home.file(CONFIG_FILE), toml::to_string(&config)?.as_bytes())?;

    crate::output::stdout(&entry_toml)?;
    eprintln!("{}", instructions(home, &args.id, passphrase.is_some(), server.is_some()));
    Ok(())
}

/// Writes a secret key file, passphrase-protected (age scrypt, armoured) when a passphrase
/// is given.
fn write_key_file(home: &Home, name: &str, plain: &str, passphrase: Option<&str>) -> Result<(), ReviewError> {
    let path = home.file(name);
    let bytes = match passphrase {
        None => Zeroizing::new(plain.as_bytes().to_vec()),
        Some(pass) => reviewer_keys::protect(plain.as_bytes(), pass)
            .map(Zeroizing::new)
            .map_err(|cause| ReviewError::KeyFile { path: path.clone(), cause })?,
    };
    home::create_new_file(&path, &bytes)
}

/// Key id and agency ids follow the server's `keys/` rules, so the entry is accepted there.
fn check_args(args: &KeygenArgs) -> Result<(), ReviewError> {
    if !args.oversight && args.agencies.is_empty() {
        return Err(ReviewError::NoScope);
    }
    check_name("key id", &args.id)?;
    if let Some(d) = &args.deployment_id {
        check_name("deployment id", d)?;
    }
    args.agencies.iter().try_for_each(|a| check_name("agency id", a))
}

fn check_name(what: &'static str, value: &str) -> Result<(), ReviewError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ReviewError::BadName { what, value: value.chars().take(80).collect() })
    }
}

/// Fails on the first reviewer file that already exists; checked up front so that we do not
/// ask for a passphrase only to refuse afterwards.
fn refuse_existing(home: &Home) -> Result<(), ReviewError> {
    for name in [IDENTITY_FILE, SIGNING_FILE, PUBLIC_ENTRY_FILE, CONFIG_FILE] {
        let path = home.file(name);
        if path.exists() {
            return Err(ReviewError::AlreadyExists(path));
        }
    }
    Ok(())
}

/// What the reviewer must do next (printed on stderr, so stdout is just the entry).
fn instructions(home: &Home, id: &str, protected: bool, has_server: bool) -> String {
    let dir = home.root().display();
    let mut text = format!(
        "\nCreated reviewer keys in {dir}.\n\
         Give the public entry above to the server's operator: it goes to\n  \
         keys/reviewers/{id}.toml\n\
         on the server (a copy is in {dir}/{PUBLIC_ENTRY_FILE}).\n\
         {IDENTITY_FILE} and {SIGNING_FILE} are SECRET: they never go to the server. Back them up offline."
    );
    if !protected {
        text.push_str("\nWARNING: the keys are not passphrase-protected (--no-passphrase).");
    }
    if !has_server {
        text.push_str(&format!(
            "\nNo server set yet: pass --server URL, set AMANA_SERVER, or add `server = \"…\"` to {dir}/{CONFIG_FILE}."
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(id: &str, agencies: &[&str], oversight: bool) -> KeygenArgs {
        KeygenArgs {
            id: id.into(),
            agencies: agencies.iter().map(|a| a.to_string()).collect(),
            oversight,
            no_passphrase: true,
            deployment_id: None,
            roster_fingerprint: None,
        }
    }

    #[test]
    fn scope_and_names_are_checked() {
        assert!(check_args(&args("alice", &["health"], false)).is_ok());
        assert!(check_args(&args("ovs", &[], true)).is_ok());
        assert!(matches!(check_args(&args("alice", &[], false)), Err(ReviewError::NoScope)));
        assert!(matches!(
            check_args(&args("Alice", &["health"], false)),
            Err(ReviewError::BadName { what: "key id", .. })
        ));
        assert!(matches!(
            check_args(&args("alice", &["../health"], false)),
            Err(ReviewError::BadName { what: "agency id", .. })
        ));
    }
}
