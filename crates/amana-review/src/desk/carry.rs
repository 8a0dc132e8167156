//! The air gap from the desk: copying the outbox to a carried folder (the USB stick) for
//! `push` on the connected machine. The laptop keeps its copies; the next import moves each
//! applied one to `outbox/sent/`.

use std::path::Path;

use crate::home::{self, Home};
use crate::outbox;
use crate::output::say;

/// Copies every pending request file into `dir` (created private), refusing to overwrite.
pub fn copy_outbox(home: &Home, dir: &Path) -> anyhow::Result<()> {
    let pending = outbox::request_files(&home.outbox_dir())?;
    if pending.is_empty() {
        say!("the outbox is empty: nothing to carry");
        return Ok(());
    }
    home::create_private_dir(dir)?;
    for path in &pending {
        let name = path.file_name().unwrap_or_default();
        let bytes = std::fs::read(path).map_err(crate::error::io_error(path))?;
        home::create_new_file(&dir.join(name), &bytes)?;
    }
    say!("copied {} request file(s) to {}", pending.len(), dir.display());
    say!("on the connected machine: amana-review --server URL push {}", dir.display());
    Ok(())
}
