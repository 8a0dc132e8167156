//! Intake and status under load: closed loop for throughput, then open loop at a fixed
//! rate for latency, measured from each request's *intended* send time so a stalled
//! server cannot hide its stall by slowing the clients down (coordinated omission).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

pub struct Intake {
    /// Closed loop: reports accepted per second.
    pub rate: f64,
    /// Open loop at `offered` reports/s: latency from the intended send time.
    pub offered: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub refused: usize,
    pub codes: Vec<String>,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("client")
}

/// One report; its code when accepted.
pub async fn submit(c: &reqwest::Client, url: &str) -> Option<String> {
    let r = c
        .post(format!("{url}/api/v1/reports"))
        .json(&json!({"kind": "violation", "agency": "health", "body": "platform bench report"}))
        .send()
        .await
        .ok()?;
    if r.status() != 201 {
        return None;
    }
    let v: serde_json::Value = r.json().await.ok()?;
    v["code"].as_str().map(str::to_string)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted.get(i.min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

/// `clients` submitting back to back for `secs`: accepted reports per second and codes.
pub async fn closed_loop(url: &str, clients: usize, secs: f64) -> (f64, usize, Vec<String>) {
    let c = client();
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (c, url) = (c.clone(), url.to_string());
            tokio::spawn(async move {
                let (mut codes, mut refused) = (Vec::new(), 0);
                while Instant::now() < until {
                    match submit(&c, &url).await {
                        Some(code) => codes.push(code),
                        None => refused += 1,
                    }
                }
                (codes, refused)
            })
        })
        .collect();
    let (mut codes, mut refused) = (Vec::new(), 0);
    for t in tasks {
        let (c, r) = t.await.expect("client task");
        codes.extend(c);
        refused += r;
    }
    (codes.len() as f64 / start.elapsed().as_secs_f64(), refused, codes)
}

/// `clients` sending `rate` reports/s between them for `secs` on a fixed schedule; each
/// latency runs from the request's slot in the schedule, not from when it was sent.
pub async fn open_loop(url: &str, clients: usize, rate: f64, secs: f64) -> (Vec<Duration>, usize) {
    let c = client();
    let total = (rate * secs).ceil().max(1.0) as usize;
    let start = Instant::now() + Duration::from_millis(50);
    let lat = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let refused = Arc::new(Mutex::new(0usize));
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let (c, url, lat, refused) = (c.clone(), url.to_string(), lat.clone(), refused.clone());
            tokio::spawn(async move {
                for k in (i..total).step_by(clients) {
                    let intended = start + Duration::from_secs_f64(k as f64 / rate);
                    tokio::time::sleep_until(intended.into()).await;
                    let ok = submit(&c, &url).await.is_some();
                    let d = intended.elapsed();
                    if ok {
                        lat.lock().unwrap_or_else(|e| e.into_inner()).push(d);
                    } else {
                        *refused.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client task");
    }
    let mut v = std::mem::take(&mut *lat.lock().unwrap_or_else(|e| e.into_inner()));
    v.sort();
    let refused = *refused.lock().unwrap_or_else(|e| e.into_inner());
    (v, refused)
}

/// Throughput closed loop, then latency open loop at 3/4 of that throughput.
pub async fn intake(url: &str, clients: usize, secs: f64) -> Intake {
    let (rate, refused_closed, codes) = closed_loop(url, clients, secs).await;
    let offered = (rate * 0.75).max(0.5);
    let (lat, refused_open) = open_loop(url, clients, offered, secs).await;
    Intake {
        rate,
        offered,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
        refused: refused_closed + refused_open,
        codes,
    }
}

/// A code of the right shape whose lookup part is unknown (Damm digit recomputed).
fn unknown_lookup(code: &str) -> String {
    let digits: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut body: String = digits.chars().take(24).collect();
    body.replace_range(0..8, "00000000");
    ('0'..='9').map(|d| format!("{body}{d}")).find(|c| amana_core::damm::is_valid(c)).unwrap_or(body)
}

async fn check(c: &reqwest::Client, url: &str, code: &str) -> (Duration, u16) {
    let t = Instant::now();
    let r =
        c.post(format!("{url}/api/v1/status")).json(&json!({ "code": code })).send().await.expect("status");
    (t.elapsed(), r.status().as_u16())
}

/// Sequential code checks, hit and miss interleaved: the two medians.
pub async fn status(url: &str, code: &str, rounds: usize) -> (Duration, Duration) {
    let c = client();
    let miss = unknown_lookup(code);
    let (mut hit, mut mis) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (d, s) = check(&c, url, code).await;
        assert_eq!(s, 200, "a hit must be found");
        hit.push(d);
        let (d, s) = check(&c, url, &miss).await;
        assert_eq!(s, 404, "a miss must not be found");
        mis.push(d);
    }
    (crate::floors::median(hit), crate::floors::median(mis))
}
