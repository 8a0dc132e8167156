//! Every message key exists in every language, with the same arguments, and formats
//! without error; every key the pages use exists.

use super::*;
use fluent_templates::fluent_bundle::FluentResource;
use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/locales")
}

/// Message id → the `$variables` its text uses, from every `.ftl` file of one language.
fn messages(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
    let dir = locales_dir().join(lang.tag());
    let mut out = BTreeMap::new();
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .ftl file for {}", lang.tag());
    for file in files {
        let text = fs::read_to_string(&file).expect("read .ftl");
        if let Err((_, errors)) = FluentResource::try_new(text.clone()) {
            panic!("{}: syntax errors: {errors:?}", file.display());
        }
        let mut current: Option<String> = None;
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if !line.starts_with(' ') {
                let (id, _) = line.split_once('=').unwrap_or_else(|| panic!("{}: `{line}`", file.display()));
                let id = id.trim().to_string();
                assert!(out.insert(id.clone(), BTreeSet::new()).is_none(), "{id} twice in {}", lang.tag());
                current = Some(id);
            }
            let vars = out.get_mut(current.as_ref().expect("a message")).expect("inserted");
            for piece in line.split("{ $").skip(1) {
                let name: String = piece.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                vars.insert(name);
            }
        }
    }
    out
}

#[test]
fn every_key_exists_in_every_language_with_the_same_arguments() {
    let en = messages(Lang::En);
    assert!(en.len() > 100, "English has only {} messages", en.len());
    for lang in Lang::ALL {
        let other = messages(lang);
        let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: missing {missing:?}, extra {extra:?}",
            lang.tag()
        );
        for (key, vars) in &en {
            assert_eq!(&other[key], vars, "{}: arguments of {key}", lang.tag());
        }
    }
}

#[test]
fn every_message_formats_in_its_own_language() {
    for lang in Lang::ALL {
        for (key, vars) in messages(lang) {
            let args: HashMap<String, FluentValue> =
                vars.iter().map(|v| (v.clone(), FluentValue::from("1"))).collect();
            let out = LOCALES
                .lookup_single_language(lang.id(), &key, Some(&args))
                .unwrap_or_else(|e| panic!("{}: {key}: {e:?}", lang.tag()));
            assert!(!out.trim().is_empty(), "{}: {key} is empty", lang.tag());
        }
    }
}

/// Keys built at run time from the domain's names.
fn dynamic_keys() -> Vec<String> {
    use amana_core::case::{Kind, Status};
    let mut keys = Vec::new();
    for k in Kind::ALL {
        for suffix in ["", "-desc", "-body"] {
            keys.push(format!("kind-{}{suffix}", k.as_str()));
        }
    }
    for s in Status::ALL {
        keys.push(format!("status-{}", s.reporter_name()));
        keys.push(format!("status-{}-help", s.reporter_name()));
    }
    keys.extend((1..=12).map(|m| format!("month-{m}")));
    // Keys passed through variables.
    for key in [
        "message-reply",
        "message-follow_up",
        "done-followup",
        "done-rating",
        "error-code-404",
        "error-code-typo",
    ] {
        keys.push(key.to_string());
    }
    keys
}

/// Keys written as literals in the page code: `t("…")` and `t_args("…"`.
fn literal_keys() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
    let mut keys = BTreeSet::new();
    // The page modules and those of their folders (`report/`).
    let mut files = Vec::new();
    let mut dirs = vec![dir];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("src/pages") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = fs::read_to_string(path).expect("read");
        for marker in ["t(\"", "t_args(\""] {
            for piece in text.split(marker).skip(1) {
                keys.insert(piece.split('"').next().unwrap_or("").to_string());
            }
        }
        // code_field(f, "element-id", "label-key")
        for piece in text.split("code_field(").skip(1) {
            keys.extend(piece.split('"').nth(3).map(str::to_string));
        }
        // Lists of keys: ["home-how-1", …].
        for piece in text.split("[\"").skip(1) {
            let list = piece.split(']').next().unwrap_or("");
            keys.extend(list.split(',').map(|s| s.trim().trim_matches('"').to_string()));
        }
    }
    keys.retain(|k| k.contains('-'));
    keys
}

#[test]
fn every_key_the_pages_use_exists() {
    let en = messages(Lang::En);
    let used: Vec<String> = dynamic_keys().into_iter().chain(literal_keys()).collect();
    assert!(used.len() > 60, "found only {} keys in the page code", used.len());
    let missing: Vec<_> = used.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(missing.is_empty(), "used but not defined: {missing:?}");
}

#[test]
fn accept_language_picks_the_best_supported_language() {
    assert_eq!(negotiate("ar-JO,ar;q=0.9,en;q=0.8"), Some(Lang::Ar));
    assert_eq!(negotiate("de-DE,de;q=0.9,en-US;q=0.7,fr;q=0.8"), Some(Lang::Fr));
    assert_eq!(negotiate("en;q=0.5, ur;q=0.6"), Some(Lang::Ur));
    assert_eq!(negotiate("tl-PH"), Some(Lang::Fil));
    assert_eq!(negotiate("fil"), Some(Lang::Fil));
    assert_eq!(negotiate("de, ja"), None);
    assert_eq!(negotiate("en;q=0"), None);
    assert_eq!(negotiate(""), None);
    assert_eq!(negotiate("*"), None);
}

#[test]
fn digits_follow_the_language() {
    assert_eq!(Lang::Ar.digits("2026-11-23"), "٢٠٢٦-١١-٢٣");
    assert_eq!(Lang::Fa.digits("45"), "۴۵");
    assert_eq!(Lang::Bn.digits("45"), "৪৫");
    for lang in [Lang::En, Lang::Fr, Lang::Ur, Lang::Hi, Lang::Fil] {
        assert_eq!(lang.digits("45"), "45");
    }
    assert_eq!(ascii_digits("৪৫-४५ ٤٥"), "45-45 ٤٥");
}

#[test]
fn dates_are_written_in_words() {
    assert_eq!(
        Lang::En.date("2026-11-23"),
        "\u{2068}23\u{2069} \u{2068}November\u{2069} \u{2068}2026\u{2069}"
    );
    assert!(Lang::Ar.date("2026-01-05").contains("٥"));
    assert_eq!(Lang::En.date("not a date"), "not a date");
    assert_eq!(Lang::En.date("2026-13-01"), "2026-13-01");
}

#[test]
fn directions_and_tags() {
    for lang in Lang::ALL {
        assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        let rtl = matches!(lang, Lang::Ar | Lang::Ur | Lang::Fa);
        assert_eq!(lang.dir() == Dir::Rtl, rtl, "{}", lang.tag());
    }
    assert_eq!(Lang::from_tag("AR"), None);
}

#[test]
fn language_ids_match_tags() {
    for (i, lang) in Lang::ALL.into_iter().enumerate() {
        assert_eq!(IDS[i].to_string(), lang.tag(), "tag of {lang:?} does not parse");
    }
}
