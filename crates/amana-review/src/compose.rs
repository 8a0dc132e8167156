//! Where a reviewer's text comes from: `--message TEXT`, `--file PATH` (`-` for standard
//! input), or `$EDITOR` on a draft file inside the reviewer home (mode 0600, overwritten and
//! removed afterwards, whatever happens). Empty text is refused.
//!
//! The draft opens with a commented template (the case's metadata and what the text is for;
//! never decrypted content, which stays off the disk); lines starting with `#` are left out,
//! as in a git commit message.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use zeroize::Zeroizing;

use crate::error::{io_error, ReviewError};
use crate::home::{self, Home};

/// The text, from the first source given.
pub fn text(
    home: &Home,
    message: Option<&str>,
    file: Option<&Path>,
    what: &'static str,
    context: &str,
) -> Result<Zeroizing<String>, ReviewError> {
    let text = match (message, file) {
        (Some(m), _) => Zeroizing::new(m.to_string()),
        (None, Some(p)) if p == Path::new("-") => {
            let mut s = Zeroizing::new(String::new());
            std::io::stdin().read_to_string(&mut s).map_err(io_error("standard input"))?;
            s
        }
        (None, Some(p)) => Zeroizing::new(std::fs::read_to_string(p).map_err(io_error(p))?),
        (None, None) => edit(home, &template(what, context))?,
    };
    if text.trim().is_empty() {
        return Err(ReviewError::EmptyText(what));
    }
    Ok(text)
}

/// A draft file that is overwritten with zeros and removed when dropped.
struct Draft(PathBuf);

impl Drop for Draft {
    fn drop(&mut self) {
        if let Ok(meta) = std::fs::metadata(&self.0) {
            let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(0)];
            let _ = std::fs::write(&self.0, zeros);
        }
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The commented lines a draft opens with.
fn template(what: &str, context: &str) -> String {
    let mut t = String::from("\n");
    for line in context.lines() {
        t.push_str(&format!("# {line}\n"));
    }
    t.push_str(&format!(
        "#\n# Write the {what} above. Lines starting with '#' are left out; an empty {what}\n\
         # sends nothing. The draft is overwritten and deleted when the editor closes.\n"
    ));
    t
}

/// The saved draft without its commented lines.
fn uncommented(saved: &str) -> Zeroizing<String> {
    let kept: Vec<&str> = saved.lines().filter(|l| !l.starts_with('#')).collect();
    Zeroizing::new(kept.join("\n").trim_end().to_string())
}

/// Runs `$EDITOR` on a draft holding `template` in the home and returns what was saved.
fn edit(home: &Home, template: &str) -> Result<Zeroizing<String>, ReviewError> {
    let editor =
        std::env::var("EDITOR").ok().filter(|e| !e.trim().is_empty()).ok_or(ReviewError::NoEditor)?;
    home::create_private_dir(home.root())?;
    let draft = Draft(home.file(&format!("draft-{}.txt", &amana_core::signing::new_nonce()[..12])));
    home::create_new_file(&draft.0, template.as_bytes())?;
    // `EDITOR` may carry arguments ("code --wait"); no shell is involved.
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or_default();
    let failed = |detail: String| ReviewError::EditorFailed { editor: editor.clone(), detail };
    let status =
        Command::new(program).args(words).arg(&draft.0).status().map_err(|e| failed(e.to_string()))?;
    if !status.success() {
        return Err(failed(format!("it exited with {status}")));
    }
    let saved = Zeroizing::new(std::fs::read_to_string(&draft.0).map_err(io_error(&draft.0))?);
    Ok(uncommented(&saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_wins_and_blank_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        assert_eq!(text(&home, Some("hi"), None, "reply", "").expect("text").as_str(), "hi");
        assert!(matches!(
            text(&home, Some(" \n\t"), None, "reply", ""),
            Err(ReviewError::EmptyText("reply"))
        ));
        let f = dir.path().join("r.txt");
        std::fs::write(&f, "from a file\n").expect("write");
        assert_eq!(text(&home, None, Some(&f), "reply", "").expect("file").as_str(), "from a file\n");
    }

    #[test]
    fn the_template_names_the_case_and_its_comments_are_left_out() {
        let t = template("reply", "case abc123 · complaint · health\nstatus: needs_info");
        assert!(t.contains("# case abc123 · complaint · health\n# status: needs_info\n"), "{t}");
        assert!(t.contains("Lines starting with '#' are left out"), "{t}");
        let saved = format!("Thank you, we will visit.\nSecond line.\n{t}");
        assert_eq!(uncommented(&saved).as_str(), "Thank you, we will visit.\nSecond line.");
        assert!(uncommented(&t).trim().is_empty(), "an untouched template sends nothing");
    }

    #[test]
    fn the_draft_is_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("draft.txt");
        std::fs::write(&path, "secret").expect("write");
        drop(Draft(path.clone()));
        assert!(!path.exists());
    }
}
