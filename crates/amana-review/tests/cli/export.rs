//! `export` and `purge-exports`: hostile names made safe, identifying metadata reported
//! and stripped, damaged files leave nothing, exports are recorded and purged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use amana_core::case::Status;
use lopdf::{dictionary, Object, Stream};
use predicates::prelude::*;

use crate::support::{bundle, read, write_case_with_files, TestHome};

/// A home with keys and one pulled case holding `files` (id, original name, content).
pub fn home_with(files: &[(&str, &str, Vec<u8>)]) -> (TestHome, PathBuf) {
    let home = TestHome::new();
    let me = home.keygen_offline("alice", "health");
    let mut b = bundle("case-1", "2026-11-01", &[Status::Received], false);
    write_case_with_files(&home, &mut b, &me.age_recipient, files);
    let out = home.path.parent().expect("parent").join("export");
    (home, out)
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn hostile_names_are_made_safe_inside_the_folder() {
    let long = format!("{}.txt", "x".repeat(300));
    let files = [
        ("a1", "../../etc/passwd", b"one".to_vec()),
        ("a2", "evil\0name.txt", b"two".to_vec()),
        ("a3", "photo\u{202E}gpj.exe", b"three".to_vec()),
        ("a4", "CON.txt", b"four".to_vec()),
        ("a5", ".bashrc", b"five".to_vec()),
        ("a6", long.as_str(), b"six".to_vec()),
        ("a7", "dup.txt", b"seven".to_vec()),
        ("a8", "dup.txt", b"eight".to_vec()),
        ("a9", "\u{1b}[2J\u{2066}x\u{2069}.pdf", b"nine".to_vec()),
    ];
    let (home, out) = home_with(&files);
    let run = home.cmd().args(["export", "case-1"]).arg(&out).assert().success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();

    let short_long = format!("{}.txt", "x".repeat(196));
    let want: BTreeSet<String> = [
        "passwd",
        "evil_name.txt",
        "photo_gpj.exe",
        "_CON.txt",
        "bashrc",
        short_long.as_str(),
        "dup.txt",
        "dup (2).txt",
        "_[2J_x_.pdf",
    ]
    .map(String::from)
    .into();
    assert_eq!(names_in(&out), want);
    assert_eq!(read(&out.join("passwd")), b"one");
    assert_eq!(read(&out.join("dup (2).txt")), b"eight");
    assert_eq!(read(&out.join(&short_long)), b"six");
    // Nothing escaped the folder, and the output shows the originals escaped.
    assert!(!out.parent().expect("parent").join("etc").exists());
    assert!(stdout.contains("sent as \"photo\\u{202e}gpj.exe\""), "{stdout}");
    assert!(!stdout.contains('\u{202E}') && !stdout.contains('\u{1b}') && !stdout.contains('\0'), "{stdout}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(out.join("passwd")).expect("meta").permissions().mode() & 0o777, 0o600);
    }
    // A second export into the same, now non-empty folder is refused.
    home.cmd()
        .args(["export", "case-1"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not an empty folder"));
}

/// A minimal baseline JPEG (8x8 grey) whose APP1 carries EXIF with GPS and a camera.
pub fn jpeg_with_gps() -> Vec<u8> {
    jpeg_with_exif(|_| {})
}

/// The same, but its GPS IFD points at a "next IFD", which child IFDs must not have: the
/// malformation a strict parser rejects as "Unexpected next IFD" while exiftool reads it.
fn jpeg_with_malformed_gps_ifd() -> Vec<u8> {
    jpeg_with_exif(|tiff| {
        // Big-endian TIFF: IFD0 at offset 8; find the GPS IFD pointer (tag 0x8825) in it.
        let u16_at = |t: &[u8], at: usize| u16::from_be_bytes([t[at], t[at + 1]]) as usize;
        let u32_at =
            |t: &[u8], at: usize| u32::from_be_bytes([t[at], t[at + 1], t[at + 2], t[at + 3]]) as usize;
        let ifd0 = u32_at(tiff, 4);
        let gps = (0..u16_at(tiff, ifd0))
            .map(|i| ifd0 + 2 + 12 * i)
            .find(|&e| u16_at(tiff, e) == 0x8825)
            .map(|e| u32_at(tiff, e + 8))
            .expect("a GPS IFD");
        let next = gps + 2 + 12 * u16_at(tiff, gps);
        tiff[next..next + 4].copy_from_slice(&(ifd0 as u32).to_be_bytes());
    })
}

fn jpeg_with_exif(patch_tiff: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    use exif::{Field, In, Rational, Tag, Value};
    let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
    let dms =
        |d: u32, m: u32, s: u32| Value::Rational(vec![Rational::from((d, 1)), (m, 1).into(), (s, 1).into()]);
    let field = |tag, value| Field { tag, ifd_num: In::PRIMARY, value };
    let fields = [
        field(Tag::Make, ascii("Canon")),
        field(Tag::Model, ascii("EOS 5D")),
        field(Tag::BodySerialNumber, ascii("SN-0042")),
        field(Tag::DateTimeOriginal, ascii("2026:11:01 09:30:00")),
        field(Tag::GPSLatitudeRef, ascii("N")),
        field(Tag::GPSLatitude, dms(31, 57, 0)),
        field(Tag::GPSLongitudeRef, ascii("E")),
        field(Tag::GPSLongitude, dms(35, 54, 36)),
    ];
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("exif");
    let mut tiff = tiff.into_inner();
    patch_tiff(&mut tiff);
    let app1 = [b"Exif\0\0".as_slice(), &tiff].concat();
    let mut jpeg = vec![0xFF, 0xD8];
    segment(&mut jpeg, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    segment(&mut jpeg, 0xE1, &app1);
    segment(&mut jpeg, 0xFE, b"shot by samir");
    segment(&mut jpeg, 0xDB, &[[0u8].as_slice(), &[1u8; 64]].concat());
    segment(&mut jpeg, 0xC0, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
    segment(
        &mut jpeg,
        0xC4,
        &[&[0x00u8][..], &[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[0]].concat(),
    );
    segment(
        &mut jpeg,
        0xC4,
        &[&[0x10u8][..], &[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[0]].concat(),
    );
    segment(&mut jpeg, 0xDA, &[1, 1, 0, 0, 63, 0]);
    jpeg.extend_from_slice(&[0x00, 0x00, 0xFF, 0xD9]);
    jpeg
}

fn segment(out: &mut Vec<u8>, marker: u8, contents: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((contents.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(contents);
}

/// A one-page PDF with /Author in its document information and an XMP stream.
fn pdf_with_author() -> Vec<u8> {
    let mut doc = lopdf::Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }),
    );
    let xmp = Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        b"<x:xmpmeta>samir</x:xmpmeta>".to_vec(),
    );
    let xmp_id = doc.add_object(xmp);
    let catalog_id =
        doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id, "Metadata" => xmp_id });
    let info_id = doc.add_object(dictionary! {
        "Author" => Object::string_literal("Samir Haddad"),
        "Producer" => Object::string_literal("ScanPro 9"),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("pdf");
    bytes
}

/// A docx-shaped zip whose core.xml names its author.
fn docx_with_author() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let core = r#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Samir Haddad</dc:creator><cp:lastModifiedBy>samir.h</cp:lastModifiedBy></cp:coreProperties>"#;
    for (name, body) in [
        ("[Content_Types].xml", "<Types/>"),
        ("docProps/core.xml", core),
        ("word/document.xml", "<w:document/>"),
    ] {
        zip.start_file(name, options).expect("entry");
        zip.write_all(body.as_bytes()).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn identifying_metadata_is_reported_and_stripped() {
    let files = [
        ("j1", "IMG_0001.JPG", jpeg_with_gps()),
        ("p1", "minutes.pdf", pdf_with_author()),
        ("d1", "letter.docx", docx_with_author()),
        ("t1", "notes.txt", b"plain".to_vec()),
    ];
    let (home, out) = home_with(&files);
    let run = home.cmd().args(["export", "case-1", "--strip"]).arg(&out).assert().success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    for needle in [
        "GPS position: 31.950000, 35.910000 (latitude, longitude)",
        "camera make: \"Canon\"",
        "camera model: \"EOS 5D\"",
        "camera serial number: \"SN-0042\"",
        "date taken: \"2026-11-01 09:30:00\"",
        "comment: \"shot by samir\"",
        "author: \"Samir Haddad\"",
        "producer: \"ScanPro 9\"",
        "XMP metadata: present (1 stream(s))",
        "docProps/core.xml creator: \"Samir Haddad\"",
        "docProps/core.xml lastModifiedBy: \"samir.h\"",
        "stripped copy: IMG_0001.stripped.JPG",
        "stripped copy: minutes.stripped.pdf",
        "stripped copy: letter.stripped.docx",
        "notes.txt  (with envelope rep)\n    metadata: not inspected",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    // The originals are untouched; the stripped copies no longer carry the metadata.
    assert_eq!(read(&out.join("IMG_0001.JPG")), files[0].2);
    let jpeg = read(&out.join("IMG_0001.stripped.JPG"));
    assert!(matches!(
        exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&jpeg)),
        Err(exif::Error::NotFound(_))
    ));
    assert!(jpeg.starts_with(&[0xFF, 0xD8]) && jpeg.ends_with(&[0xFF, 0xD9]));
    assert!(!contains(&jpeg, b"Canon") && !contains(&jpeg, b"samir"));
    let pdf = read(&out.join("minutes.stripped.pdf"));
    let doc = lopdf::Document::load_mem(&pdf).expect("stripped pdf still loads");
    assert!(doc.trailer.get(b"Info").is_err() && doc.catalog().expect("catalog").get(b"Metadata").is_err());
    assert!(!contains(&pdf, b"Samir") && !contains(&pdf, b"xmpmeta") && !contains(&pdf, b"ScanPro"));
    let docx = read(&out.join("letter.stripped.docx"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("zip");
    let mut core = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("docProps/core.xml").expect("core"), &mut core)
        .expect("read");
    assert!(core.contains("<dc:creator></dc:creator>") && !core.contains("amir"), "{core}");
    assert!(archive.by_name("word/document.xml").is_ok());
    assert!(!out.join("notes.stripped.txt").exists());
}

#[test]
fn malformed_exif_is_read_tolerantly_and_stripped_anyway() {
    let broken = jpeg_with_malformed_gps_ifd();
    assert!(matches!(
        exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&broken)),
        Err(exif::Error::InvalidFormat("Unexpected next IFD"))
    ));
    let (home, out) = home_with(&[("j1", "IMG_0002.JPG", broken)]);
    let run = home.cmd().args(["export", "case-1", "--strip"]).arg(&out).assert().success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    for needle in [
        "GPS position: 31.950000, 35.910000 (latitude, longitude)",
        "camera serial number: \"SN-0042\"",
        "EXIF block: partly malformed (1 part(s) unreadable)",
        "stripped copy: IMG_0002.stripped.JPG",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    let jpeg = read(&out.join("IMG_0002.stripped.JPG"));
    assert!(!contains(&jpeg, b"Canon") && !contains(&jpeg, b"SN-0042"));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_damaged_attachment_leaves_no_file() {
    let (home, out) =
        home_with(&[("good", "good.txt", b"fine".to_vec()), ("bad", "bad.txt", b"evidence".to_vec())]);
    let bad = home.case_dir("case-1").join("attachments").join("bad.age");
    let mut bytes = read(&bad);
    let n = bytes.len();
    bytes[n - 20] ^= 1;
    std::fs::write(&bad, bytes).expect("damage");
    home.cmd()
        .args(["export", "case-1"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("attachment bad")
                .and(predicate::str::contains("nothing was written for it")),
        )
        .stderr(predicate::str::contains("1 of 2 attachment(s) were not exported"));
    assert_eq!(names_in(&out), BTreeSet::from(["good.txt".to_string()]), "no partial or temporary file");
}

#[test]
fn exports_are_recorded_reminded_and_purged() {
    let (home, out) = home_with(&[("a1", "a.txt", b"x".to_vec())]);
    home.cmd().args(["export", "case-1"]).arg(&out).assert().success();
    let register = home.file("exports.json");
    assert!(String::from_utf8_lossy(&read(&register)).contains("case-1"));
    // Young: no reminder, and the default purge keeps it.
    home.cmd().arg("list").assert().success().stderr(predicate::str::contains("reminder").not());
    home.cmd()
        .arg("purge-exports")
        .assert()
        .success()
        .stdout(predicate::str::contains("1 export folder kept (younger than 30 days)"));
    assert!(out.join("a.txt").exists());

    // Forty days later (the register rewritten to say so), every command reminds.
    let text = String::from_utf8_lossy(&read(&register)).into_owned();
    let today = time::OffsetDateTime::now_utc().date();
    let old = today - time::Duration::days(40);
    std::fs::write(&register, text.replace(&today.to_string(), &old.to_string())).expect("age it");
    home.cmd()
        .arg("list")
        .assert()
        .success()
        .stderr(predicate::str::contains("reminder: 1 exported case folder is older than 30 days"));
    // A longer retention in config.toml silences it.
    let config = home.file("config.toml");
    let mut settings = String::from_utf8_lossy(&read(&config)).into_owned();
    settings.push_str("export_retention_days = 60\n");
    std::fs::write(&config, &settings).expect("config");
    home.cmd().arg("list").assert().success().stderr(predicate::str::contains("reminder").not());

    home.cmd()
        .args(["purge-exports", "--older-than-days", "30"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("deleted {}", out.display())));
    assert!(!out.exists());
    assert_eq!(String::from_utf8_lossy(&read(&register)).trim(), "[]");
    std::fs::write(&config, settings.replace("60", "0")).expect("config");
    home.cmd().arg("list").assert().success().stderr(predicate::str::contains("reminder").not());
}
