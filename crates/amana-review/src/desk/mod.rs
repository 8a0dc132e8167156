//! `amana-review desk`: the reviewer's desk, this tool as a local web app.
//!
//! The reviewer's own process serves pages on 127.0.0.1 to the laptop's browser; nothing of
//! it runs on the server, and it adds no database or network service. Every page is built
//! from the verified home (the same files `list` and `show` read, quarantined cases marked),
//! decrypted in memory only, and every action runs the CLI's own command (one
//! implementation; what the command says is shown on the next page). The HTTP stack is the
//! server's axum on a single-threaded tokio runtime: already in the lock and audited by
//! `deny.toml`, typed form extraction, no new crates (README.md "The desk").
//!
//! Access ([`guard`]): a secret token in the printed address, swapped for an HttpOnly
//! SameSite=Strict cookie; Host and Origin checked; a form token in every POST; `no-store`
//! and a strict CSP on every answer. The keys are unlocked once ([`crate::key_cache`]) and
//! forgotten after `--lock-after` idle minutes.
//!
//! Pull, push and import run in the background with a progress page ([`jobs`]); a case's
//! attachments show what their metadata gives away, read in memory ([`file_warnings`]);
//! `/kpis` is the operations-room report of `kpis --html` ([`kpis_page`]); every action's
//! result is a headline in the page's language with the command's own English lines under
//! "Details" ([`outcome`]).

mod actions;
mod browser;
mod carry;
mod case_page;
mod file_warnings;
mod guard;
mod html;
mod i18n;
mod inbox_page;
mod jobs;
mod kpis_page;
mod outcome;
mod secret;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Form, Router};

use crate::home::Home;
use crate::output::say;

use i18n::Lang;
use state::{Desk, Settings};

/// `desk` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to listen: a loopback address only [default: 127.0.0.1 on a random port]
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Print the address instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,
    /// The browser to open, with a new temporary profile [default: chromium, else xdg-open]
    #[arg(long, value_name = "PROGRAM")]
    pub browser: Option<String>,
    /// Lock (forget the unlocked keys) after this many idle minutes
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub lock_after: u64,
    /// Ask for the key passphrase in this terminal before starting, instead of on the page
    #[arg(long)]
    pub ask_here: bool,
    /// Where "export" writes each case's files, one new folder per export
    /// [default: <home>/exports]
    #[arg(long, value_name = "DIR")]
    pub exports: Option<PathBuf>,
}

/// Starts the desk and serves until interrupted.
pub fn run(home: Home, args: &Args, server: Option<&str>, offline: bool) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() {
        anyhow::bail!("--listen {}: the desk listens on a loopback address only (127.0.0.1)", args.listen);
    }
    home.read_config()?;
    crate::key_cache::start_locked();
    // Scripts and tests unlock as the CLI does; a person types the passphrase on the page.
    if let Some(pass) = std::env::var(crate::passphrase::ENV).ok().filter(|p| !p.is_empty()) {
        crate::key_cache::unlock(&home, &pass)?;
    } else if args.ask_here && crate::key_cache::needs_passphrase(&home)? {
        let mut unlocker = crate::passphrase::Unlocker::default();
        crate::key_cache::unlock(&home, unlocker.get()?)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(serve(home, args, server, offline))
}

async fn serve(home: Home, args: &Args, server: Option<&str>, offline: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let port = listener.local_addr()?.port();
    let exports = args.exports.clone().unwrap_or_else(|| home.file("exports"));
    let minutes = Duration::from_secs(60 * args.lock_after.max(1));
    let settings =
        Settings { home, server: server.map(str::to_string), offline, port, exports, lock_after: minutes };
    let desk = Arc::new(Desk::new(settings)?);
    let url = format!("http://127.0.0.1:{port}/?token={}", desk.token);
    say!("desk listening on {url}");
    say!("(the address holds the desk's secret: do not share it; Ctrl-C stops the desk)");
    let launched = if args.no_browser { None } else { browser::open(args.browser.as_deref(), &url) };
    tokio::spawn(idle_lock(desk.clone()));
    let stop = async {
        // Without a handler, Ctrl-C would end the process before the profile is deleted.
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = axum::serve(listener, router(desk.clone())).with_graceful_shutdown(stop).await;
    desk.forget();
    if let Some(browser) = launched {
        browser.close();
    }
    say!("desk stopped; the keys are locked");
    Ok(served?)
}

/// Locks after the idle time even when no page is asked for.
async fn idle_lock(desk: Arc<Desk>) {
    loop {
        tokio::time::sleep(Duration::from_secs(20)).await;
        desk.lock_if_idle();
    }
}

fn router(desk: Arc<Desk>) -> Router {
    Router::new()
        .route("/", get(inbox_page::show))
        .route("/style.css", get(style))
        .route("/report.css", get(kpis_page::style))
        .route("/lang/{code}", get(set_lang))
        .route("/unlock", post(unlock))
        .route("/lock", post(lock))
        .route("/case/{id}", get(case_page::show))
        .route("/kpis", get(kpis_page::show))
        .route("/case/{id}/{action}", post(actions::case_action))
        .route("/sync/{action}", post(actions::sync_action))
        .route("/progress", get(jobs::show))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(desk.clone(), guard::guard))
        .with_state(desk)
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("style.css")).into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// The page language, from its cookie.
fn lang_of(desk: &Desk, headers: &HeaderMap) -> Lang {
    guard::cookie(headers, &desk.lang_cookie()).map_or(Lang::En, |c| Lang::parse(&c))
}

async fn set_lang(State(desk): State<Arc<Desk>>, Path(code): Path<String>) -> Response {
    let lang = Lang::parse(&code);
    let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Strict", desk.lang_cookie(), lang.code());
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/".to_string()), (header::SET_COOKIE, cookie)])
        .into_response()
}

/// Back to `to` after a POST, so reloading does not send it again.
fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

#[derive(serde::Deserialize)]
struct UnlockForm {
    csrf: String,
    passphrase: String,
}

async fn unlock(State(desk): State<Arc<Desk>>, Form(mut form): Form<UnlockForm>) -> Response {
    if !secret::matches(&form.csrf, &desk.csrf) {
        return actions::bad_form();
    }
    let pass = zeroize::Zeroizing::new(std::mem::take(&mut form.passphrase));
    let d = desk.clone();
    let opened = tokio::task::spawn_blocking(move || crate::key_cache::unlock(&d.home, &pass)).await;
    let result = match opened {
        Ok(r) => r.map_err(anyhow::Error::from),
        Err(e) => Err(anyhow::anyhow!("the unlock did not finish ({e}): try again")),
    };
    if let Err(e) = result {
        let outcome = outcome::Outcome::Refused(outcome::refusal_of(&e));
        desk.set_flash(state::Flash { action: "unlock".into(), outcome, said: format!("{e:#}") });
    }
    see_other("/")
}

#[derive(serde::Deserialize)]
struct LockForm {
    csrf: String,
}

async fn lock(State(desk): State<Arc<Desk>>, Form(form): Form<LockForm>) -> Response {
    if !secret::matches(&form.csrf, &desk.csrf) {
        return actions::bad_form();
    }
    desk.forget();
    see_other("/")
}
