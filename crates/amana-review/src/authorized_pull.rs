//! `pull --authorization FILE --out BUNDLE`: the connected machine's half of an air-gapped
//! pull (docs/FORMATS.md §7). It holds no key and no home: it sends the laptop's signed
//! authorization verbatim and writes the answer, byte for byte, to the bundle the laptop
//! will `import` and verify. The answer goes to disk as it arrives — a first pull of a
//! national deployment is hundreds of megabytes — and is read back a part at a time only to
//! say what it holds and to fail early on a wrong answer; the bundle appears under its name
//! only once complete and synced.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use amana_core::wire::{paths, PullQuery};

use crate::bundle_reader;
use crate::client::{read_request_file, Client, SignedRequest, MAX_RESPONSE};
use crate::error::{io_error, ReviewError};
use crate::home;
use crate::output::say;

/// The paths an authorization may sign: the paged pull, and the whole lists an older
/// laptop asks for (format 2 or 3: still sent; the server answers it, or says "upgrade"
/// while a case in scope needs a later format).
const PULLS: [&str; 3] =
    [paths::CASES_PULL, "/api/v1/review/cases?format=3", "/api/v1/review/cases?format=2"];

/// `pull --authorization FILE --out BUNDLE` (connected machine, no keys, no home).
pub fn run(server: Option<&str>, authorization: &Path, out: &Path) -> anyhow::Result<()> {
    let server = server.filter(|s| !s.is_empty()).ok_or(ReviewError::NoServerFlag)?;
    let file = read_request_file(authorization)?;
    let is_pull = PULLS.contains(&file.path.as_str()) || PullQuery::parse(&file.path).is_some();
    if file.method != "GET" || !is_pull {
        return Err(ReviewError::WrongRequest {
            path: authorization.to_path_buf(),
            what: format!("signed {} {}, not a pull authorization", file.method, file.path.escape_debug()),
            hint: "make one with `amana-review authorize-pull` on the laptop",
        }
        .into());
    }
    let client = Client::new(server)?;
    let part = part_path(out);
    let written = download(&client, &SignedRequest::from_file(&file, authorization)?, &part)
        .and_then(|()| Held::read(&part, &client.url(paths::CASES)));
    let held = match written {
        Ok(held) => held,
        Err(e) => {
            let _ = fs::remove_file(&part);
            return Err(e.into());
        }
    };
    fs::rename(&part, out).map_err(io_error(out))?;
    say_written(out, &held);
    Ok(())
}

/// `<out>.part`: where the answer is written until it is complete.
fn part_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    out.with_file_name(name)
}

/// Streams the answer to `req` into `part` (owner-only) and syncs it.
fn download(client: &Client, req: &SignedRequest, part: &Path) -> Result<(), ReviewError> {
    let mut answer = client.get_stream(req, MAX_RESPONSE)?;
    let mut file = home::private_file(part)?;
    std::io::copy(&mut answer.reader, &mut file)
        .map_err(|e| ReviewError::BadResponse { url: answer.url.clone(), detail: e.to_string() })?;
    file.flush().and_then(|()| file.sync_all()).map_err(io_error(part))
}

/// What a written bundle holds, read back a part at a time.
struct Held {
    cases: u64,
    files: usize,
    more: bool,
}

impl Held {
    /// Reads the bundle at `path` as `import` will (a list of cases of a known format);
    /// `source` names the server in errors.
    fn read(path: &Path, source: &str) -> Result<Self, ReviewError> {
        let head = bundle_reader::read_head(path, source)?;
        let mut files = 0;
        bundle_reader::for_each_part(path, source, &mut |cases| {
            files += cases.iter().map(|c| c.attachments.len()).sum::<usize>();
            Ok(())
        })?;
        Ok(Self { cases: head.cases, files, more: head.list.next.is_some() })
    }
}

fn say_written(out: &Path, held: &Held) {
    let n = held.cases;
    say!(
        "wrote {} ({n} case{}, still encrypted): carry it to the laptop and run `amana-review import {}`",
        out.display(),
        if n == 1 { "" } else { "s" },
        out.display()
    );
    if held.more {
        say!("this bundle is one page: after the import, the laptop authorizes the next one");
    }
    if held.files > 0 {
        say!(
            "note: the bundle lists {} attachment file{} but does not carry their content; \
             fetching it needs an online `pull` with the reviewer's keys",
            held.files,
            if held.files == 1 { "" } else { "s" }
        );
    }
}
