//! The air gap (docs/FORMATS.md §7): `authorize-pull` on the offline laptop, `push` on the
//! connected machine. The connected machine holds no key and no home: it only sends signed
//! request files verbatim.

use std::path::Path;

use amana_core::signing::DEFAULT_WINDOW_SECS;
use amana_core::wire::{paths, PullQuery, MAX_PAGE};

use crate::client::{read_request_file, Client, Method};
use crate::cursor::Cursor;
use crate::error::ReviewError;
use crate::home::{self, Home, PULL_AUTHORIZATION_FILE};
use crate::outbox;
use crate::output::say;
use crate::session::Signer;

/// `authorize-pull [--out FILE] [--full]`: a signed, single-use `GET /api/v1/review/cases`.
/// Offline. The first one (or `--full`) asks for the whole list, as one bundle; later ones
/// for one page of what changed since the last import (the pull cursor), and the home
/// remembers what it asked so that `import` moves the cursor as an online pull does.
pub fn authorize_pull(home: &Home, out: Option<&Path>, full: bool) -> anyhow::Result<()> {
    let signer = Signer::offline(home)?;
    let mut cursor = Cursor::load(home, &signer.deployment_id)?;
    let target = if full || (cursor.since.is_none() && cursor.pending.is_none()) {
        cursor.pending = None;
        paths::CASES_PULL.to_string()
    } else {
        cursor.next_query(false, MAX_PAGE).target()
    };
    let file = signer.sign(Method::Get, &target, Vec::new()).to_file(&signer.deployment_id)?;
    cursor.authorized = Some(target.clone());
    cursor.save(home)?;
    let default = home.file(PULL_AUTHORIZATION_FILE);
    let out = out.unwrap_or(&default);
    let json = serde_json::to_vec_pretty(&file)?;
    home::replace_file(out, &json)?;
    let until = time::OffsetDateTime::from_unix_timestamp(file.timestamp.saturating_add(DEFAULT_WINDOW_SECS))
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| "?".into());
    say!("wrote {}: a signed pull authorization for deployment {}", out.display(), file.deployment_id);
    say!("it asks for {}", describe(&target));
    say!(
        "it can be used once, until about {until} (UTC) if the server keeps the default {} hour window;\n\
         on the connected machine: amana-review --server URL pull --authorization FILE --out BUNDLE",
        DEFAULT_WINDOW_SECS / 3600
    );
    Ok(())
}

/// `push OUTBOX_DIR`: sends each signed request file in order, moving each sent one to
/// `OUTBOX_DIR/sent/`; stops at the first failure.
pub fn push(server: Option<&str>, dir: &Path) -> anyhow::Result<()> {
    push_counted(server, dir, None)
}

/// [`push`], telling `progress` how many requests there are and how many were sent (the
/// desk's progress page).
pub fn push_counted(
    server: Option<&str>,
    dir: &Path,
    progress: Option<&crate::paged::Progress>,
) -> anyhow::Result<()> {
    let server = server.filter(|s| !s.is_empty()).ok_or(ReviewError::NoServerFlag)?;
    if !dir.is_dir() {
        return Err(ReviewError::Io {
            path: dir.to_path_buf(),
            cause: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        }
        .into());
    }
    let client = Client::new(server)?;
    let files = outbox::request_files(dir)?;
    let sent_dir = dir.join(home::SENT_DIR);
    if files.is_empty() {
        say!("nothing to send in {}", dir.display());
        return Ok(());
    }
    if let Some(p) = progress {
        p.set_total(files.len() as u64);
    }
    for (i, path) in files.iter().enumerate() {
        let stop = |cause: ReviewError| ReviewError::PushStopped {
            file: path.clone(),
            sent: i,
            left: files.len() - i,
            sent_dir: sent_dir.clone(),
            cause: Box::new(cause),
        };
        let file = read_request_file(path).map_err(stop)?;
        if file.method != "POST" {
            let what = format!("signed {} {}", file.method, file.path.escape_debug());
            let hint = "push sends actions only; a pull authorization goes to `pull --authorization FILE --out BUNDLE`";
            return Err(stop(ReviewError::WrongRequest { path: path.clone(), what, hint }).into());
        }
        client.send_file(&file, path).map_err(stop)?;
        outbox::move_to_sent(path).map_err(stop)?;
        say!("sent {} ({} {})", name(path), file.method, file.path);
        if let Some(p) = progress {
            p.add(1);
        }
    }
    say!(
        "sent {} request{}; moved to {}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        sent_dir.display()
    );
    Ok(())
}

/// What an authorization asks for, in words.
fn describe(target: &str) -> String {
    match PullQuery::parse(target) {
        None => "every case in your scope (a full pull)".into(),
        Some(PullQuery { since: Some(since), after: None, .. }) => format!("the cases changed since {since}"),
        Some(PullQuery { since, after: Some(_), .. }) => format!(
            "the next page of the {} pull begun before",
            since.map_or("full".to_string(), |d| format!("since-{d}"))
        ),
        Some(PullQuery { since: None, after: None, .. }) => "the first page of a full pull".into(),
    }
}

fn name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
