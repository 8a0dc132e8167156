//! Making a reporter-supplied file name safe to create and to show.
//!
//! The name inside an attachment's description is whatever the reporter's browser sent:
//! it may try to climb out of the export folder (`../../etc/passwd`), hide a file (`.bashrc`),
//! hit a Windows device (`CON.txt`), disguise its extension with a right-to-left override
//! (`photo\u{202E}gpj.exe` shows as `photoexe.jpg`), or carry terminal escape sequences.
//! [`sanitize`] turns any string into one plain file name; [`for_terminal`] shows the
//! original name with every such character visible.

/// Longest name we create, in bytes: below the usual 255-byte file name limit, with room
/// for a ` (999)` collision suffix and a `.stripped` marker.
pub const MAX_NAME_BYTES: usize = 200;
/// Longest extension kept when a name is shortened, in bytes (with its dot).
const MAX_EXTENSION_BYTES: usize = 16;
/// Used when nothing of the original name survives.
const FALLBACK: &str = "file";
/// Reserved on Windows in any case and with any extension (`con.txt` too).
const WINDOWS_DEVICES: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

/// Characters that reorder or hide text: bidi embeddings, overrides and isolates, the
/// implicit direction marks, and the Arabic letter mark.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that never belong in a created name: controls (C0, DEL, C1), bidi
/// controls, invisible separators and marks, path separators and Windows-reserved ones.
fn is_forbidden(c: char) -> bool {
    c.is_control()
        || is_bidi_control(c)
        || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{00AD}')
        || matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// Turns any string into a plain, non-empty file name of at most [`MAX_NAME_BYTES`] bytes
/// that has no forbidden character, no leading dot, no trailing dot or space, and is not a
/// Windows device name. Only the last path component is kept, as browsers do.
pub fn sanitize(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).find(|part| !matches!(part.trim(), "" | "." | "..")).unwrap_or("");
    let cleaned: String = last.chars().map(|c| if is_forbidden(c) { '_' } else { c }).collect();
    let trimmed = cleaned.trim_start_matches(['.', ' ']).trim_end_matches(['.', ' ']);
    let mut name = if trimmed.is_empty() { FALLBACK.to_string() } else { trimmed.to_string() };
    if is_windows_device(&name) {
        name.insert(0, '_');
    }
    shorten(&name, MAX_NAME_BYTES)
}

/// `CON`, `con.txt`, `COM1.tar.gz`, `LPT9`…: the part before the first dot, trimmed.
fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end().to_ascii_uppercase();
    let numbered = |prefix: &str| {
        stem.strip_prefix(prefix).is_some_and(|n| {
            matches!(n, "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³")
        })
    };
    WINDOWS_DEVICES.contains(&stem.as_str()) || numbered("COM") || numbered("LPT")
}

/// `(stem, extension)` where the extension (with its dot) is short and plain, else empty.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= MAX_EXTENSION_BYTES => {
            let ext = &name[i..];
            if ext[1..].chars().all(|c| c.is_ascii_alphanumeric()) && ext.len() > 1 {
                (&name[..i], ext)
            } else {
                (name, "")
            }
        }
        _ => (name, ""),
    }
}

/// Cuts the stem (on a character boundary) so that the whole name fits in `max` bytes,
/// keeping the extension.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let (stem, ext) = split_extension(name);
    let budget = max.saturating_sub(ext.len());
    let mut end = budget.min(stem.len());
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let stem = stem[..end].trim_end_matches(['.', ' ']);
    let stem = if stem.is_empty() { FALLBACK } else { stem };
    format!("{stem}{ext}")
}

/// The `n`th alternative for a name already taken: `name (2).ext`. `name` must come from
/// [`sanitize`], so the result stays within [`MAX_NAME_BYTES`] + 10 bytes.
pub fn numbered(name: &str, n: u32) -> String {
    let (stem, ext) = split_extension(name);
    format!("{stem} ({n}){ext}")
}

/// The name of a stripped copy: `name.stripped.ext`.
pub fn stripped(name: &str) -> String {
    let (stem, ext) = split_extension(name);
    format!("{stem}.stripped{ext}")
}

/// A reporter-supplied name for display: quoted, with control characters, bidi controls
/// and invisible characters escaped as `\u{…}`, and at most 300 characters.
pub fn for_terminal(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    out.push('"');
    for (i, c) in raw.chars().enumerate() {
        if i == 300 {
            out.push('…');
            break;
        }
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_forbidden(c) && !matches!(c, '/' | '<' | '>' | ':' | '|' | '?' | '*') => {
                out.extend(c.escape_unicode())
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hostile_names_become_plain_names() {
        let cases = [
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\system32\\x.dll", "x.dll"),
            ("/", "file"),
            ("../..", "file"),
            ("evil\0name.txt", "evil_name.txt"),
            ("photo\u{202E}gpj.exe", "photo_gpj.exe"),
            ("\u{2067}x\u{2069}\u{200F}.pdf", "_x__.pdf"),
            ("CON.txt", "_CON.txt"),
            ("lpt1", "_lpt1"),
            ("com¹.tar.gz", "_com¹.tar.gz"),
            ("console.txt", "console.txt"),
            (".bashrc", "bashrc"),
            ("...", "file"),
            ("report. ", "report"),
            ("a<b>c:d\"e|f?g*h.txt", "a_b_c_d_e_f_g_h.txt"),
            ("\u{1b}[2Jclear.txt", "_[2Jclear.txt"),
            ("تقرير المخالفة.pdf", "تقرير المخالفة.pdf"),
            ("", "file"),
        ];
        for (raw, want) in cases {
            assert_eq!(sanitize(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.jpeg", "a".repeat(300));
        let safe = sanitize(&long);
        assert_eq!(safe.len(), MAX_NAME_BYTES);
        assert!(safe.ends_with("aaa.jpeg"), "{safe}");
        let arabic = format!("{}.pdf", "ب".repeat(300));
        let safe = sanitize(&arabic);
        assert!(safe.len() <= MAX_NAME_BYTES && safe.ends_with("ب.pdf"), "{safe}");
    }

    #[test]
    fn numbered_and_stripped_names() {
        assert_eq!(numbered("photo.jpg", 2), "photo (2).jpg");
        assert_eq!(numbered("README", 3), "README (3)");
        assert_eq!(stripped("scan.pdf"), "scan.stripped.pdf");
        assert_eq!(stripped("notes"), "notes.stripped");
    }

    #[test]
    fn terminal_form_shows_what_is_hidden() {
        let shown = for_terminal("photo\u{202E}gpj.exe\u{1b}[2J\"");
        assert_eq!(shown, "\"photo\\u{202e}gpj.exe\\u{1b}[2J\\\"\"");
        assert_eq!(for_terminal("../../etc/passwd"), "\"../../etc/passwd\"");
    }

    fn is_safe(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_NAME_BYTES + 10
            && !name.chars().any(is_forbidden)
            && !name.starts_with('.')
            && !name.ends_with(['.', ' '])
            && !is_windows_device(name)
    }

    proptest! {
        #[test]
        fn any_input_gives_a_safe_name(raw in any::<String>()) {
            let name = sanitize(&raw);
            prop_assert!(name.len() <= MAX_NAME_BYTES, "{name:?}");
            prop_assert!(is_safe(&name), "{raw:?} -> {name:?}");
            prop_assert!(is_safe(&numbered(&name, 999)), "{name:?}");
            prop_assert!(is_safe(&stripped(&name)), "{name:?}");
        }

        #[test]
        fn hostile_alphabet_gives_a_safe_name(raw in "[./\\\\\0\u{202E}\u{2066}\u{200E}\u{061C}a. CONul1:]{0,400}") {
            let name = sanitize(&raw);
            prop_assert!(name.len() <= MAX_NAME_BYTES);
            prop_assert!(is_safe(&name), "{raw:?} -> {name:?}");
        }
    }
}
