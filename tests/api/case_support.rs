//! Helpers for the case-work tests (lifecycle, air gap, tampering, escalation): a second
//! server process on an existing deployment with extra flags, the reporter's side of the
//! JSON API, and running `amana-review` as a connected machine (no keys, no home).

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use amana_core::reviewer_keys::home::{ReviewerConfig, CONFIG_FILE};
use serde_json::{json, Value};

use crate::helpers::{
    amana_command, review_command, run_review, serve_args, CliOutput, Deployment, Reviewer, TestApp,
    DEPLOYMENT_ID, RELAXED_LIMITS,
};

/// An `amana serve` on an existing deployment's data and keys, with extra flags (e.g. the
/// hidden test clock); killed on drop. Logs go to `logs/<tag>-stdout.log` / `-stderr.log`.
pub struct ExtraServer {
    pub address: String,
    child: Child,
}

impl ExtraServer {
    pub fn start(dep: &Deployment, extra: &[&str], tag: &str) -> Self {
        let stdout = dep.root().join("logs").join(format!("{tag}-stdout.log"));
        let stderr = dep.root().join("logs").join(format!("{tag}-stderr.log"));
        let mut child = amana_command()
            .args(serve_args(dep, "127.0.0.1:0"))
            .args(extra)
            .envs(RELAXED_LIMITS)
            .stdout(Stdio::from(fs::File::create(&stdout).expect("stdout file")))
            .stderr(Stdio::from(fs::File::create(&stderr).expect("stderr file")))
            .spawn()
            .expect("spawn amana serve");
        let deadline = Instant::now() + Duration::from_secs(60);
        let prefix = "amana listening on ";
        loop {
            let out = fs::read_to_string(&stdout).unwrap_or_default();
            if let Some(line) = out.lines().find(|l| l.starts_with(prefix)) {
                return Self { address: line[prefix.len()..].trim().to_string(), child };
            }
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!("amana serve exited ({status}):\n{}", fs::read_to_string(&stderr).unwrap_or_default());
            }
            assert!(Instant::now() < deadline, "amana serve did not start in 60 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ExtraServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `POST path` with a JSON body against `base`; returns (status, JSON or null).
pub async fn post(app: &TestApp, base: &str, path: &str, body: &Value) -> (u16, Value) {
    let resp = app.client.post(format!("{base}{path}")).json(body).send().await.expect("POST");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The reporter's view by code (`POST /api/v1/status`), asserting 200.
pub async fn reporter_view(app: &TestApp, base: &str, code: &str) -> Value {
    let (status, body) = post(app, base, "/api/v1/status", &json!({ "code": code })).await;
    assert_eq!(status, 200, "status check: {body}");
    body
}

/// The bodies of the reporter-visible messages from `from` (`reply` or `follow_up`).
pub fn messages(view: &Value, from: &str) -> Vec<String> {
    view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["from"] == from)
        .map(|m| m["body"].as_str().expect("body").to_string())
        .collect()
}

/// The same code with one secret digit changed and a valid check digit: a real miss.
pub fn wrong_code(code: &str) -> String {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    let mut body: Vec<char> = digits[..24].chars().collect();
    body[12] = if body[12] == '9' { '0' } else { char::from(body[12] as u8 + 1) };
    let body: String = body.into_iter().collect();
    let check = amana_core::damm::check_digit(&body).expect("check digit");
    format!("{body}{check}")
}

/// Writes the deployment id into a reviewer's config.toml, as the operator would hand it to
/// a reviewer whose laptop never goes online.
pub fn set_deployment_id(reviewer: &Reviewer) {
    let path = reviewer.home.join(CONFIG_FILE);
    let mut config: ReviewerConfig =
        toml::from_str(&fs::read_to_string(&path).expect("config")).expect("parse");
    config.deployment_id = Some(DEPLOYMENT_ID.into());
    fs::write(&path, toml::to_string(&config).expect("toml")).expect("write config");
}

/// `amana-review ARGS` on the connected machine: working directory and HOME are `dir`, and
/// no reviewer home is named.
pub fn connected_cli(dir: &Path, args: &[&str]) -> CliOutput {
    let mut cmd = review_command(args);
    cmd.current_dir(dir).env("HOME", dir);
    run_review(cmd)
}

/// A path as the CLI takes it.
pub fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The case.json of a pulled case.
pub fn case_json(reviewer: &Reviewer, case: &str) -> PathBuf {
    reviewer.home.join("cases").join(case).join("case.json")
}
