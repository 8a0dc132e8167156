//! The repository explains itself: every place in the code that sends a reader to a section
//! of the project's documents (`ops/README.md, "The roster ceremony"`, `docs/FORMATS.md §9`)
//! names a section that exists. Help texts and error messages are read by operators and
//! reviewers who will look the section up.

use std::{fs, path::Path};

const DOCS: [&str; 5] = ["ops/README.md", "docs/FORMATS.md", "docs/DESIGN.md", "SECURITY.md", "README.md"];
/// How code may name the top-level README without its extension (`see README "Run"`).
const BARE_README: &str = "README";

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The references in `text`: (document, section name or "§N").
fn references(text: &str) -> Vec<(&'static str, String)> {
    let text = text.replace("\\\"", "\"");
    let mut found = Vec::new();
    for name in DOCS.into_iter().chain([BARE_README]) {
        let doc = if name == BARE_README { "README.md" } else { name };
        for (at, _) in text.match_indices(name) {
            // `README.md` also matches inside `ops/README.md`, and `README` inside both.
            let rest = &text[at + name.len()..];
            if name.starts_with("README") && text[..at].ends_with('/')
                || name == BARE_README && rest.starts_with(".md")
            {
                continue;
            }
            let rest = rest.strip_prefix(',').unwrap_or(rest);
            if let Some(quoted) = rest.strip_prefix(" \"") {
                if let Some(end) = quoted.find('"') {
                    found.push((doc, quoted[..end].to_string()));
                }
            } else if let Some(num) = rest.strip_prefix(" §") {
                let n: String = num.chars().take_while(char::is_ascii_digit).collect();
                found.push((doc, format!("§{n}")));
            }
        }
    }
    found
}

/// Whether `doc` has a heading (or a bold run-in heading, `**Leaked pepper.**`) named `section`.
fn has_section(doc: &str, section: &str) -> bool {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).expect("document");
    if let Some(n) = section.strip_prefix('§') {
        return text.lines().any(|l| l.starts_with("## ") && l[3..].starts_with(&format!("{n}. ")));
    }
    text.lines().any(|l| {
        let l = l.trim_start_matches(['#', '*', ' ', '-']);
        l.starts_with(section)
            || l.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.').trim().starts_with(section)
    })
}

#[test]
fn every_section_the_code_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "crates/amana-core/src", "crates/amana-review/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut checked = 0;
    let mut missing = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("source");
        for (doc, section) in references(&text) {
            checked += 1;
            if !has_section(doc, &section) {
                missing.push(format!(
                    "{}: {doc} {section:?}",
                    file.strip_prefix(root).unwrap_or(file).display()
                ));
            }
        }
    }
    assert!(checked > 40, "only {checked} references found: is the scan still matching?");
    assert!(missing.is_empty(), "sections named in the code but missing:\n{}", missing.join("\n"));
}

#[test]
fn references_are_found_and_a_missing_section_is_caught() {
    let refs = references(
        r#"see ops/README.md, \"The roster ceremony\" and docs/FORMATS.md §9; README.md "Nope"; (see README "Deadlines")"#,
    );
    assert_eq!(
        refs,
        [
            ("ops/README.md", "The roster ceremony".to_string()),
            ("docs/FORMATS.md", "§9".to_string()),
            ("README.md", "Nope".to_string()),
            ("README.md", "Deadlines".to_string())
        ]
    );
    assert!(has_section("ops/README.md", "The roster ceremony"));
    assert!(has_section("ops/README.md", "Leaked pepper"));
    assert!(has_section("docs/FORMATS.md", "§9"));
    assert!(!has_section("docs/FORMATS.md", "§99"));
    assert!(!has_section("README.md", "Nope"));
}
