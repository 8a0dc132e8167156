//! A tiny loopback HTTP stub that answers in order and records what the CLI sends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// One request as the stub received it.
#[derive(Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP stub that answers the given responses in order, one per connection,
/// then stops. Requests are reported on the channel.
pub struct Stub {
    pub url: String,
    pub requests: mpsc::Receiver<Recorded>,
}

impl Stub {
    pub fn start(responses: Vec<(u16, String)>) -> Self {
        Self::start_raw(responses.into_iter().map(|(s, b)| (s, "application/json", b.into_bytes())).collect())
    }

    /// Like [`Stub::start`], with a content type and a binary body per answer.
    pub fn start_raw(responses: Vec<(u16, &'static str, Vec<u8>)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for (status, content_type, body) in responses {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let Some(req) = read_request(&stream) else {
                    return;
                };
                let _ = tx.send(req);
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = (&stream).write_all(&[head.as_bytes(), &body].concat());
            }
        });
        Self { url, requests: rx }
    }

    /// The next recorded request.
    pub fn next(&self) -> Recorded {
        self.requests.recv_timeout(Duration::from_secs(30)).expect("a request reached the stub")
    }
}

fn read_request(stream: &std::net::TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0usize);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded { method, path, headers, body })
}
