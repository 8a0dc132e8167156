//! Reporting the metadata an exported file carries that could identify the reporter.
//!
//! The type is recognised from the file's first bytes, never from the (reporter-supplied)
//! name or content type. Covered: JPEG (EXIF: GPS position, camera make/model/serial,
//! dates, owner; XMP; comments), PDF (the document information dictionary; XMP), and
//! Office Open XML files (docx/xlsx/pptx: `docProps/core.xml` author fields,
//! `docProps/app.xml` company and manager). Anything else is reported as not inspected:
//! the absence of findings is not a promise that a file is clean.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use exif::{In, Tag, Value};
use img_parts::jpeg::markers;

use crate::safe_name::for_terminal;

/// Files larger than this are not parsed (parsing a PDF loads it whole).
pub const MAX_INSPECT_BYTES: u64 = 512 * 1024 * 1024;
/// Largest `docProps/*.xml` we read.
const MAX_XML_BYTES: u64 = 1024 * 1024;
/// The XMP marker inside a JPEG APP1 segment.
pub const XMP_MARKER: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// `docProps/core.xml` elements naming people (local names).
pub const CORE_PEOPLE: [&str; 2] = ["creator", "lastModifiedBy"];
/// `docProps/app.xml` elements naming organisations or people.
pub const APP_PEOPLE: [&str; 2] = ["Company", "Manager"];

/// The kinds of file we can inspect (and strip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Pdf,
    /// A zip archive with `docProps/core.xml`: docx, xlsx, pptx.
    Office,
    Other,
}

impl FileType {
    /// A short name for messages.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Jpeg => "JPEG image",
            FileType::Pdf => "PDF document",
            FileType::Office => "Office document",
            FileType::Other => "other",
        }
    }
}

/// One piece of identifying metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it is ("GPS position", "author"…).
    pub what: String,
    /// Its value, quoted and escaped for the terminal (or a description).
    pub value: String,
}

impl Finding {
    fn new(what: impl Into<String>, value: impl Into<String>) -> Self {
        Self { what: what.into(), value: value.into() }
    }
}

/// Recognises a file held in memory by its first bytes (the desk's case page: nothing on disk).
pub fn sniff_bytes(bytes: &[u8]) -> FileType {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => FileType::Jpeg,
        [b'%', b'P', b'D', b'F', b'-', ..] => FileType::Pdf,
        [b'P', b'K', 3, 4, ..] if zip_has_core_xml(std::io::Cursor::new(bytes)) => FileType::Office,
        _ => FileType::Other,
    }
}

/// The identifying metadata of a file held in memory, as [`inspect`] finds it in a file.
pub fn inspect_bytes(bytes: &[u8]) -> (FileType, Result<Vec<Finding>, String>) {
    let kind = sniff_bytes(bytes);
    let found = match kind {
        FileType::Jpeg => jpeg_bytes(bytes),
        FileType::Pdf => lopdf::Document::load_mem(bytes)
            .map_err(|e| format!("not a readable PDF: {e}"))
            .map(|doc| pdf_doc(&doc)),
        FileType::Office => office_from(std::io::Cursor::new(bytes)),
        FileType::Other => Ok(Vec::new()),
    };
    (kind, found)
}

/// Recognises a file by its first bytes.
pub fn sniff(path: &Path) -> std::io::Result<FileType> {
    let mut head = [0u8; 5];
    let n = File::open(path)?.take(5).read(&mut head)?;
    Ok(match &head[..n] {
        [0xFF, 0xD8, 0xFF, ..] => FileType::Jpeg,
        b"%PDF-" => FileType::Pdf,
        [b'P', b'K', 3, 4, ..] if has_core_xml(path) => FileType::Office,
        _ => FileType::Other,
    })
}

fn has_core_xml(path: &Path) -> bool {
    File::open(path).is_ok_and(|f| zip_has_core_xml(BufReader::new(f)))
}

fn zip_has_core_xml(reader: impl Read + std::io::Seek) -> bool {
    zip::ZipArchive::new(reader).is_ok_and(|a| a.index_for_name("docProps/core.xml").is_some())
}

/// The identifying metadata of a file of type `kind`; `Err` says why it could not be read.
pub fn inspect(path: &Path, kind: FileType) -> Result<Vec<Finding>, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_INSPECT_BYTES {
        return Err(format!("larger than {} MiB: not inspected", MAX_INSPECT_BYTES >> 20));
    }
    match kind {
        FileType::Jpeg => jpeg(path),
        FileType::Pdf => pdf(path),
        FileType::Office => office(path),
        FileType::Other => Ok(Vec::new()),
    }
}

/// EXIF fields that can identify a person, a device or a moment.
/// The labels findings use besides the two tables' (the desk translates every label).
const GPS_POSITION: &str = "GPS position";
const MAKER_NOTE: &str = "maker note";
const EXIF_BLOCK: &str = "EXIF block";
const XMP: &str = "XMP metadata";
const IPTC: &str = "Photoshop/IPTC metadata";
const COMMENT: &str = "comment";
const ENCRYPTION: &str = "encryption";
#[cfg(test)]
pub(crate) const OTHER_LABELS: [&str; 7] =
    [GPS_POSITION, MAKER_NOTE, EXIF_BLOCK, XMP, IPTC, COMMENT, ENCRYPTION];

pub(crate) const EXIF_TAGS: [(Tag, &str); 14] = [
    (Tag::Make, "camera make"),
    (Tag::Model, "camera model"),
    (Tag::BodySerialNumber, "camera serial number"),
    (Tag::LensSerialNumber, "lens serial number"),
    (Tag::CameraOwnerName, "camera owner"),
    (Tag::Artist, "artist"),
    (Tag::Copyright, "copyright"),
    (Tag::DateTimeOriginal, "date taken"),
    (Tag::DateTimeDigitized, "date digitized"),
    (Tag::DateTime, "date modified"),
    (Tag::ImageUniqueID, "image unique id"),
    (Tag::Software, "software"),
    (Tag::GPSAltitude, "GPS altitude"),
    (Tag::GPSDateStamp, "GPS date"),
];

fn jpeg(path: &Path) -> Result<Vec<Finding>, String> {
    jpeg_bytes(&std::fs::read(path).map_err(|e| e.to_string())?)
}

fn jpeg_bytes(bytes: &[u8]) -> Result<Vec<Finding>, String> {
    let mut findings = Vec::new();
    // Tolerant: cameras and editors write EXIF that a strict parser rejects ("Unexpected next
    // IFD") while exiftool still reads GPS, owner and serial from it. Read what can be read,
    // and never call a block we could not read harmless.
    let mut errors = 0;
    let read = exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|errs| errors = errs.len()));
    match read {
        Ok(exif) => {
            exif_findings(&exif, &mut findings);
            if errors > 0 {
                findings.push(Finding::new(
                    EXIF_BLOCK,
                    format!("partly malformed ({errors} part(s) unreadable): they may hold more identifying data; strip it"),
                ));
            }
        }
        Err(exif::Error::NotFound(_)) => {}
        Err(e) => findings.push(Finding::new(
            EXIF_BLOCK,
            format!("present but unreadable ({e}): it may hold identifying data (location, owner, serial); strip it"),
        )),
    }
    for (marker, contents) in jpeg_segments(bytes)? {
        match marker {
            markers::APP1 if contents.starts_with(XMP_MARKER) => {
                findings.push(Finding::new(XMP, "present (may hold author, GPS, device, history)"))
            }
            markers::APP13 => findings.push(Finding::new(IPTC, "present")),
            markers::COM => {
                findings.push(Finding::new(COMMENT, for_terminal(&String::from_utf8_lossy(contents))))
            }
            _ => {}
        }
    }
    Ok(findings)
}

/// The marker segments before the image data, read in place: the desk inspects decrypted
/// files in memory and must not leave an unzeroized copy of the whole file behind.
fn jpeg_segments(bytes: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    let bad = |why: &str| format!("not a readable JPEG: {why}");
    let mut out = Vec::new();
    let mut i = 2;
    loop {
        let marker = match bytes.get(i..i + 2) {
            Some([0xFF, m]) => *m,
            _ => return Err(bad("a marker was expected")),
        };
        match marker {
            0xFF => i += 1,
            markers::SOS | markers::EOI => return Ok(out),
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let len = bytes.get(i + 2..i + 4).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])));
                let contents = len.filter(|l| *l >= 2).and_then(|l| bytes.get(i + 4..i + 2 + l));
                out.push((marker, contents.ok_or_else(|| bad("a segment is cut short"))?));
                i += 2 + len.unwrap_or(0);
            }
        }
    }
}

fn exif_findings(exif: &exif::Exif, findings: &mut Vec<Finding>) {
    if let (Some(lat), Some(lon)) = (
        gps_degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, 'S'),
        gps_degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, 'W'),
    ) {
        findings.push(Finding::new(GPS_POSITION, format!("{lat:.6}, {lon:.6} (latitude, longitude)")));
    }
    for (tag, what) in EXIF_TAGS {
        if let Some(field) = exif.get_field(tag, In::PRIMARY) {
            let value = field.display_value().with_unit(exif).to_string();
            findings.push(Finding::new(what, for_terminal(value.trim_matches('"'))));
        }
    }
    if exif.get_field(Tag::MakerNote, In::PRIMARY).is_some() {
        findings.push(Finding::new(MAKER_NOTE, "present (vendor data, often the camera serial number)"));
    }
}

/// A GPS coordinate in signed decimal degrees; `negative` is the reference letter for
/// south or west.
fn gps_degrees(exif: &exif::Exif, tag: Tag, reference: Tag, negative: char) -> Option<f64> {
    let field = exif.get_field(tag, In::PRIMARY)?;
    let Value::Rational(parts) = &field.value else {
        return None;
    };
    let [d, m, s, ..] = parts.as_slice() else {
        return None;
    };
    let degrees = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
    let is_negative = exif
        .get_field(reference, In::PRIMARY)
        .is_some_and(|f| f.display_value().to_string().trim_matches('"').starts_with(negative));
    Some(if is_negative { -degrees } else { degrees })
}

/// Document information entries worth reporting.
pub(crate) const PDF_INFO: [(&[u8], &str); 8] = [
    (b"Author", "author"),
    (b"Creator", "creator (application)"),
    (b"Producer", "producer"),
    (b"CreationDate", "creation date"),
    (b"ModDate", "modification date"),
    (b"Title", "title"),
    (b"Subject", "subject"),
    (b"Keywords", "keywords"),
];

fn pdf(path: &Path) -> Result<Vec<Finding>, String> {
    let doc = lopdf::Document::load(path).map_err(|e| format!("not a readable PDF: {e}"))?;
    Ok(pdf_doc(&doc))
}

fn pdf_doc(doc: &lopdf::Document) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(info) = pdf_info(doc) {
        for (key, what) in PDF_INFO {
            let value = info.get(key).ok().and_then(|o| doc.dereference(o).ok()).map(|(_, o)| o);
            if let Some(text) = value.and_then(|o| lopdf::decode_text_string(o).ok()) {
                findings.push(Finding::new(what, for_terminal(&text)));
            }
        }
    }
    let xmp_streams =
        doc.objects.values().filter(|o| o.as_stream().is_ok_and(|s| s.dict.has_type(b"Metadata"))).count();
    if xmp_streams > 0 {
        findings.push(Finding::new(XMP, format!("present ({xmp_streams} stream(s))")));
    }
    if doc.is_encrypted() {
        findings.push(Finding::new(ENCRYPTION, "the PDF is encrypted: some metadata may be hidden"));
    }
    findings
}

/// The trailer's `/Info` dictionary, if any.
pub fn pdf_info(doc: &lopdf::Document) -> Option<&lopdf::Dictionary> {
    let info = doc.trailer.get(b"Info").ok()?;
    doc.dereference(info).ok()?.1.as_dict().ok()
}

fn office(path: &Path) -> Result<Vec<Finding>, String> {
    office_from(BufReader::new(File::open(path).map_err(|e| e.to_string())?))
}

fn office_from(reader: impl Read + std::io::Seek) -> Result<Vec<Finding>, String> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| format!("not a readable zip: {e}"))?;
    let mut findings = Vec::new();
    for (part, names) in [("docProps/core.xml", &CORE_PEOPLE[..]), ("docProps/app.xml", &APP_PEOPLE[..])] {
        let Ok(entry) = archive.by_name(part) else {
            continue;
        };
        let mut xml = Vec::new();
        entry.take(MAX_XML_BYTES).read_to_end(&mut xml).map_err(|e| format!("{part}: {e}"))?;
        for (name, text) in xml_elements(&xml, names) {
            if !text.trim().is_empty() {
                findings.push(Finding::new(format!("{part} {name}"), for_terminal(&text)));
            }
        }
    }
    Ok(findings)
}

/// The text of every element whose local name is in `names`, in document order.
pub fn xml_elements(xml: &[u8], names: &[&str]) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if names.contains(&local.as_str()) {
                    current = Some((local, String::new()));
                }
            }
            Ok(Event::Text(t)) => {
                if let (Some((_, text)), Ok(s)) = (&mut current, t.decode()) {
                    text.push_str(&s);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let (Some((_, text)), Ok(s)) = (&mut current, r.decode()) {
                    text.push_str(&entity(&s));
                }
            }
            Ok(Event::End(_)) => out.extend(current.take()),
            Ok(Event::Eof) | Err(_) => return out,
            Ok(_) => {}
        }
    }
}

/// The five predefined XML entities; anything else is shown as written.
fn entity(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        other => format!("&{other};"),
    }
}
