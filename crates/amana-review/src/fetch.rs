//! `fetch CASE [ATTACHMENT]`: evidence files on demand. A pull fetches files only within its
//! `--files-budget`; the others stay on the server (ciphertext there as here) until a
//! reviewer asks for them here, by case, or by the number `show` gives a file, or its id.

use amana_core::wire::AttachmentWire;

use crate::attachments::{self, fetch_one};
use crate::cases::{self, printable};
use crate::home::Home;
use crate::output::say;
use crate::session::Session;

/// Fetches the named attachment of a pulled case, or all of its files not in the home yet.
pub fn run(home: &Home, server: Option<&str>, case: &str, attachment: Option<&str>) -> anyhow::Result<()> {
    let case = cases::find(home, case)?;
    let chosen: Vec<&AttachmentWire> = match attachment {
        Some(which) => match pick(&case.bundle.attachments, which) {
            Some(att) => vec![att],
            None => anyhow::bail!(
                "case {} has no attachment `{}`: give its number in `amana-review show`, or its id",
                printable(&case.bundle.id),
                printable(which)
            ),
        },
        None => case.bundle.attachments.iter().collect(),
    };
    let wanted: Vec<&AttachmentWire> =
        chosen.into_iter().filter(|a| !attachments::is_fetched(&case.dir, a)).collect();
    if wanted.is_empty() {
        say!("nothing to fetch: the files asked for are already here");
        return Ok(());
    }
    let session = Session::open(home, server)?;
    let (mut files, mut bytes) = (0usize, 0u64);
    for att in wanted {
        fetch_one(&session, &case, att)?;
        files += 1;
        bytes += att.size;
    }
    say!(
        "fetched {files} file{} of case {} ({bytes} bytes, still encrypted): `amana-review export` decrypts them",
        if files == 1 { "" } else { "s" },
        printable(&case.bundle.id)
    );
    Ok(())
}

/// The attachment `which` names: its 1-based number in `show`, or its id.
fn pick<'a>(list: &'a [AttachmentWire], which: &str) -> Option<&'a AttachmentWire> {
    match which.parse::<usize>() {
        Ok(n) if n >= 1 => list.get(n - 1),
        _ => list.iter().find(|a| a.id == which),
    }
}
