//! The report both upload benches send: one large evidence file, streamed as it is made
//! (benches/upload.rs includes this file too).

/// A report form whose one attachment is `body` (`len` bytes), in the health agency.
pub fn large_report(body: reqwest::Body, len: u64, text: &str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::stream_with_length(body, len)
        .file_name("evidence.bin")
        .mime_str("application/octet-stream")
        .expect("mime");
    reqwest::multipart::Form::new()
        .text("kind", "violation")
        .text("agency", "health")
        .text("body", text.to_string())
        .part("attachment", part)
}
