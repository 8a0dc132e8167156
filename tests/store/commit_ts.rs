//! A node refuses a PostgreSQL that records commit times (`track_commit_timestamp = on`):
//! the setting is fixed when the server starts, so this test starts a private server of
//! its own with it on (as `.ci/with-postgres` starts the shared one), and opens the store
//! on it the way `amana serve` does. Skipped, with a notice, where PostgreSQL's server
//! programs are not installed; `setup.rs` still checks the setting on the shared server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use amana::config::DataSettings;

/// The newest installed server's bin directory, as `.ci/with-postgres` finds it.
fn bindir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
        .collect();
    dirs.sort_by_key(|d| d.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()));
    dirs.pop()
}

/// Runs a server program, as the `postgres` user when this is root (PostgreSQL refuses root).
fn as_pg(program: &Path, args: &[&str]) -> bool {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .current_dir("/")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Stops the private server however the test ends.
struct Server {
    pg_ctl: PathBuf,
    data: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        as_pg(&self.pg_ctl, &["-D", &self.data, "-m", "immediate", "-w", "stop"]);
    }
}

#[tokio::test]
async fn a_node_refuses_a_postgres_that_records_commit_times() {
    let Some(bin) = bindir() else {
        eprintln!(
            "NOTICE: PostgreSQL's server programs are not installed; the commit-time refusal is SKIPPED"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _ = Command::new("chown").arg("postgres").arg(dir.path()).status();
    let data = dir.path().join("data").to_str().unwrap().to_string();
    assert!(as_pg(&bin.join("initdb"), &["-D", &data, "-U", "amana", "--auth=trust"]), "initdb");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let options = format!(
        "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{}' \
         -c fsync=off -c track_commit_timestamp=on",
        dir.path().display()
    );
    let log = dir.path().join("server.log").to_str().unwrap().to_string();
    assert!(as_pg(
        &bin.join("pg_ctl"),
        &["-D", &data, "-l", &log, "-w", "-t", "60", "start", "-o", &options]
    ));
    let _server = Server { pg_ctl: bin.join("pg_ctl"), data };

    let url = format!("postgres://amana@127.0.0.1:{port}/postgres");
    let (on,): (String,) = sqlx::query_as("SHOW track_commit_timestamp")
        .fetch_one(&sqlx::PgPool::connect(&url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(on, "on");
    let settings = DataSettings {
        data_dir: dir.path().join("node"),
        database_url: Some(url),
        database_max_connections: None,
    };
    let refused = amana::startup::open_store(&settings).await.err().expect("the node must refuse");
    let message = format!("{refused:#}");
    assert!(message.contains("track_commit_timestamp"), "{message}");
}
