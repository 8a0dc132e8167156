//! `visit-tokens`: the oversight unit signs single-use visit tokens for the mystery shoppers it
//! commissions (amana_core::visit), offline, with its own signing key. Each token is one line;
//! hand each shopper theirs on paper or by a channel you trust. An evaluation sent with a
//! token counts as commissioned, and the server keeps no link from the case to the token.

use std::path::Path;

use amana_core::visit::{self, VisitClaims};
use time::Date;

use crate::error::ReviewError;
use crate::home::{self, Home};
use crate::passphrase::Unlocker;

/// The most tokens one run signs.
pub const MAX_COUNT: u32 = 10_000;

/// What to sign.
pub struct Request<'a> {
    pub agency: &'a str,
    pub centre: Option<&'a str>,
    pub count: u32,
    pub valid_until: Date,
    pub out: &'a Path,
}

/// Signs `count` tokens into a new file (0600) at `out`.
pub fn run(home: &Home, r: &Request<'_>) -> anyhow::Result<()> {
    let me = crate::trust::me(home)?;
    if !me.is_current_oversight() {
        return Err(ReviewError::VisitTokensNotOversight(me.key_id).into());
    }
    if !(1..=MAX_COUNT).contains(&r.count) {
        anyhow::bail!("--count must be 1 to {MAX_COUNT}");
    }
    if r.valid_until < time::OffsetDateTime::now_utc().date() {
        anyhow::bail!("--valid-until {} is in the past", r.valid_until);
    }
    let key = home.signing_key(&mut Unlocker::default())?;
    let mut lines = String::new();
    for _ in 0..r.count {
        let claims = VisitClaims {
            deployment_id: me.deployment_id.clone(),
            agency: r.agency.to_string(),
            centre: r.centre.map(str::to_string),
            valid_until: r.valid_until,
            nonce: visit::new_nonce(),
        };
        lines.push_str(&visit::issue(&key, &me.key_id, &claims)?);
        lines.push('\n');
    }
    home::create_new_file(r.out, lines.as_bytes())?;
    eprintln!(
        "{} visit token(s) for {}{} valid until {} written to {}; each counts one visit",
        r.count,
        r.agency,
        r.centre.map(|c| format!(", centre {c}")).unwrap_or_default(),
        r.valid_until,
        r.out.display()
    );
    Ok(())
}
