//! Writing stripped copies of exported files (`export --strip`).
//!
//! What each kind loses, and what it keeps ([`what_is_stripped`] says the same to the
//! reviewer):
//! - JPEG: every APP1 (EXIF with GPS, camera, serials, dates, thumbnail; XMP), APP3–APP13
//!   and APP15 segment (IPTC/Photoshop, vendor data), non-ICC APP2 segments (e.g. MPF
//!   secondary images) and COM comments. Kept: JFIF (APP0), the ICC colour profile, Adobe
//!   APP14 (needed to decode colours) and the image data itself, untouched.
//! - PDF: the trailer's document information dictionary (/Info: author, creator,
//!   producer, dates, title…), the trailer /ID, every XMP metadata stream and every
//!   /Metadata reference; unreferenced objects (earlier revisions) are dropped.
//! - Office (docx/xlsx/pptx): the text of `creator` and `lastModifiedBy` in
//!   `docProps/core.xml` and of `Company` and `Manager` in `docProps/app.xml` is blanked;
//!   every other part is copied byte for byte.
//!
//! Never stripped: what the content shows or says (faces, places, writing style), images
//! embedded in PDF or Office files (with their own EXIF), comment and tracked-change
//! authors inside Office documents, custom properties, creation/modification dates of
//! Office files, and anything in other file types.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use img_parts::jpeg::{markers, Jpeg};
use zip::write::SimpleFileOptions;

use crate::metadata::{FileType, APP_PEOPLE, CORE_PEOPLE, MAX_INSPECT_BYTES, XMP_MARKER};

/// One line for the reviewer: what `--strip` removed from a file of this type, and what it
/// could not.
pub fn what_is_stripped(kind: FileType) -> &'static str {
    match kind {
        FileType::Jpeg => {
            "removed EXIF (GPS, camera, serials, dates, thumbnail), XMP, IPTC and comments; \
             the picture itself can still identify people and places"
        }
        FileType::Pdf => {
            "removed the document information (author, creator, producer, dates, title), XMP \
             and the file ID; NOT removed: images inside the PDF with their own EXIF, the text"
        }
        FileType::Office => {
            "blanked creator, last modified by, company and manager; NOT removed: comment and \
             tracked-change authors, dates, custom properties, embedded images"
        }
        FileType::Other => "nothing: this file type is not supported",
    }
}

/// Writes a stripped copy of `src` (of type `kind`) to `out`.
pub fn strip(src: &Path, kind: FileType, out: &mut dyn Write) -> Result<(), String> {
    let size = std::fs::metadata(src).map_err(|e| e.to_string())?.len();
    if size > MAX_INSPECT_BYTES {
        return Err(format!("larger than {} MiB: not stripped", MAX_INSPECT_BYTES >> 20));
    }
    match kind {
        FileType::Jpeg => jpeg(src, out),
        FileType::Pdf => pdf(src, out),
        FileType::Office => office(src, out),
        FileType::Other => Err("this file type is not supported".into()),
    }
}

/// Segments that carry no metadata, or that a decoder needs.
fn keep_segment(marker: u8, contents: &[u8]) -> bool {
    match marker {
        markers::APP0 => true,
        markers::APP2 => contents.starts_with(b"ICC_PROFILE\0"),
        markers::APP14 => contents.starts_with(b"Adobe"),
        markers::APP1..=markers::APP15 | markers::COM => false,
        _ => true,
    }
}

fn jpeg(src: &Path, out: &mut dyn Write) -> Result<(), String> {
    let bytes = std::fs::read(src).map_err(|e| e.to_string())?;
    let mut image = Jpeg::from_bytes(bytes.into()).map_err(|e| format!("not a readable JPEG: {e}"))?;
    image.segments_mut().retain(|s| keep_segment(s.marker(), s.contents()));
    debug_assert!(!image.segments().iter().any(|s| s.contents().starts_with(XMP_MARKER)));
    image.encoder().write_to(out).map(|_| ()).map_err(|e| e.to_string())
}

fn pdf(src: &Path, out: &mut dyn Write) -> Result<(), String> {
    let mut doc = lopdf::Document::load(src).map_err(|e| format!("not a readable PDF: {e}"))?;
    if doc.is_encrypted() {
        return Err("the PDF is encrypted: not stripped".into());
    }
    doc.trailer.remove(b"Info");
    doc.trailer.remove(b"ID");
    let mut metadata_streams = Vec::new();
    for (id, object) in doc.objects.iter_mut() {
        if let Ok(stream) = object.as_stream() {
            if stream.dict.has_type(b"Metadata") {
                metadata_streams.push(*id);
                continue;
            }
        }
        let dict = match object {
            lopdf::Object::Dictionary(d) => Some(d),
            lopdf::Object::Stream(s) => Some(&mut s.dict),
            _ => None,
        };
        if let Some(dict) = dict {
            dict.remove(b"Metadata");
        }
    }
    for id in metadata_streams {
        doc.delete_object(id);
    }
    // The old /Info object (and earlier revisions) would otherwise still be written out.
    doc.prune_objects();
    let mut out = out;
    doc.save_to(&mut out).map_err(|e| e.to_string())
}

fn office(src: &Path, out: &mut dyn Write) -> Result<(), String> {
    let file = File::open(src).map_err(|e| e.to_string())?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| format!("not a readable zip: {e}"))?;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| e.to_string())?;
        let names: &[&str] = match entry.name() {
            "docProps/core.xml" => &CORE_PEOPLE,
            "docProps/app.xml" => &APP_PEOPLE,
            _ => {
                writer.raw_copy_file(entry).map_err(|e| e.to_string())?;
                continue;
            }
        };
        let name = entry.name().to_string();
        drop(entry);
        let mut xml = Vec::new();
        let part = archive.by_index(i).map_err(|e| e.to_string())?;
        part.take(MAX_XML_BYTES_STRIP).read_to_end(&mut xml).map_err(|e| format!("{name}: {e}"))?;
        let blanked = blank_elements(&xml, names).map_err(|e| format!("{name}: {e}"))?;
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file(name, options).map_err(|e| e.to_string())?;
        writer.write_all(&blanked).map_err(|e| e.to_string())?;
    }
    let zipped = writer.finish().map_err(|e| e.to_string())?.into_inner();
    out.write_all(&zipped).map_err(|e| e.to_string())
}

/// Largest `docProps/*.xml` part we rewrite.
const MAX_XML_BYTES_STRIP: u64 = 1024 * 1024;

/// `xml` with the text of every element whose local name is in `names` removed; the rest
/// is written back event by event.
pub fn blank_elements(xml: &[u8], names: &[&str]) -> Result<Vec<u8>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(xml.len()));
    let mut depth_inside = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match &event {
            Event::Eof => break,
            Event::Start(e)
                if depth_inside > 0
                    || names.contains(&&*String::from_utf8_lossy(e.local_name().as_ref())) =>
            {
                if depth_inside > 0 {
                    depth_inside += 1;
                    continue;
                }
                depth_inside = 1;
            }
            Event::End(_) if depth_inside > 1 => {
                depth_inside -= 1;
                continue;
            }
            Event::End(_) if depth_inside == 1 => depth_inside = 0,
            _ if depth_inside > 0 => continue,
            _ => {}
        }
        writer.write_event(event).map_err(|e| e.to_string())?;
    }
    Ok(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::xml_elements;

    const CORE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Minutes</dc:title><dc:creator>Samir &amp; Co</dc:creator><cp:lastModifiedBy>samir.k</cp:lastModifiedBy><cp:revision>3</cp:revision></cp:coreProperties>"#;

    #[test]
    fn core_xml_author_fields_are_blanked_and_the_rest_kept() {
        assert_eq!(
            xml_elements(CORE.as_bytes(), &CORE_PEOPLE),
            [("creator".to_string(), "Samir & Co".to_string()), ("lastModifiedBy".into(), "samir.k".into())]
        );
        let blanked =
            String::from_utf8(blank_elements(CORE.as_bytes(), &CORE_PEOPLE).expect("blank")).expect("utf8");
        assert!(blanked.contains("<dc:creator></dc:creator>"), "{blanked}");
        assert!(blanked.contains("<cp:lastModifiedBy></cp:lastModifiedBy>"), "{blanked}");
        assert!(
            blanked.contains("<dc:title>Minutes</dc:title><") && blanked.contains("standalone"),
            "{blanked}"
        );
        assert!(!blanked.contains("Samir") && !blanked.contains("samir"), "{blanked}");
    }

    #[test]
    fn only_metadata_segments_are_dropped() {
        assert!(keep_segment(markers::APP0, b"JFIF\0"));
        assert!(keep_segment(markers::APP2, b"ICC_PROFILE\0\x01\x01"));
        assert!(!keep_segment(markers::APP2, b"MPF\0"));
        assert!(!keep_segment(markers::APP1, b"Exif\0\0"));
        assert!(!keep_segment(markers::APP1, XMP_MARKER));
        assert!(!keep_segment(markers::COM, b"taken by samir"));
        assert!(!keep_segment(markers::APP13, b"Photoshop 3.0\0"));
        assert!(keep_segment(markers::APP14, b"Adobe\0"));
        assert!(keep_segment(markers::DQT, b""));
    }
}
