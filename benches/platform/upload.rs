//! One report with a large evidence file, generated while it is sent (the client holds one
//! 1 MiB block), as benches/upload.rs sends it: MB/s and the server's peak RSS.

use std::time::Instant;

use bytes::Bytes;
use futures_util::stream;

use crate::server::{reset_peak, status_kib};

const MIB: u64 = 1024 * 1024;

pub struct Upload {
    pub mbps: f64,
    pub secs: f64,
    /// Peak RSS of the server during the request (KiB), the code's Argon2id included.
    pub peak_kib: u64,
}

pub async fn upload(url: &str, pid: u32, size_mib: u64) -> Upload {
    let block =
        Bytes::from((0..MIB).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<u8>>());
    let body = stream::iter((0..size_mib).map(move |_| Ok::<_, std::io::Error>(block.clone())));
    let form = crate::form::large_report(
        reqwest::Body::wrap_stream(body),
        size_mib * MIB,
        "platform bench report with a large file",
    );
    let client =
        reqwest::Client::builder().timeout(std::time::Duration::from_secs(1800)).build().expect("client");
    reset_peak(pid);
    let t = Instant::now();
    let resp = client.post(format!("{url}/api/v1/reports")).multipart(form).send().await.expect("upload");
    let status = resp.status();
    let answer = resp.text().await.unwrap_or_default();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(status, 201, "upload refused: {answer}");
    Upload { mbps: (size_mib * MIB) as f64 / 1e6 / secs, secs, peak_kib: status_kib(pid, "VmHWM") }
}
