//! The desk's buttons: each runs the CLI's own command for the action (the same checks, the
//! same signed request, sent at once or queued in the outbox), records what it said for the
//! next page, and answers 303 so a reload sends nothing twice. Online, a pull follows every
//! action that changed a case, so the reviewer's own reply is in the thread at once.

use std::path::PathBuf;
use std::sync::Arc;

use amana_core::case::Status;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;

use crate::home::{check_id, Home};
use crate::output::{capture, say};
use crate::{custody, export, extend, pull, reply, rewrap, status};

use super::outcome::Outcome;
use super::state::{Desk, Flash};
use super::{carry, secret, see_other};

/// Every field any action form has; each action reads its own.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ActionForm {
    csrf: String,
    status: String,
    note: String,
    message: String,
    anyway: Option<String>,
    days: String,
    reason: String,
    agency: String,
    reviewer: String,
    to: String,
    strip: Option<String>,
    path: String,
    review_on: String,
}

/// A form without the desk's form token.
pub fn bad_form() -> Response {
    (StatusCode::FORBIDDEN, "Refused: the form token is missing or stale. Reload the page and try again.")
        .into_response()
}

/// `POST /case/{id}/{action}`.
pub async fn case_action(
    State(desk): State<Arc<Desk>>,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !secret::matches(&form.csrf, &desk.csrf) {
        return bad_form();
    }
    if check_id("case id", &id).is_err() {
        return see_other("/");
    }
    let back = format!("/case/{id}");
    let name = action.clone();
    run(desk, name, move |d| on_case(d, &id, &action, &form)).await;
    see_other(&back)
}

/// `POST /sync/{action}`.
pub async fn sync_action(
    State(desk): State<Arc<Desk>>,
    Path(action): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !secret::matches(&form.csrf, &desk.csrf) {
        return bad_form();
    }
    if super::jobs::IN_BACKGROUND.contains(&action.as_str()) {
        return super::jobs::start(desk, action, form);
    }
    let name = action.clone();
    run(desk, name, move |d| on_sync(d, &action, &form, None)).await;
    see_other("/")
}

/// Runs `f` off the async thread; the result is the next page's flash.
async fn run(desk: Arc<Desk>, action: String, f: impl FnOnce(&Desk) -> anyhow::Result<()> + Send + 'static) {
    let d = desk.clone();
    let name = action.clone();
    let flash = match tokio::task::spawn_blocking(move || perform(&d, name, f)).await {
        Ok(flash) => flash,
        Err(e) => Flash {
            action,
            outcome: Outcome::Refused(super::outcome::Refusal::Other),
            said: format!("the action stopped ({e}): reload and check the case"),
        },
    };
    desk.set_flash(flash);
}

/// Runs `f` as the only action in progress, capturing what the command says; an action that
/// left more requests in the outbox than before was queued, not sent.
pub fn perform(desk: &Desk, action: String, f: impl FnOnce(&Desk) -> anyhow::Result<()>) -> Flash {
    desk.exclusive(|| {
        let waiting = || crate::outbox::pending(&desk.home).map_or(0, |p| p.len());
        let before = waiting();
        let (result, said) = capture::run(|| f(desk));
        match result {
            Ok(()) => {
                let after = waiting();
                let outcome = if after > before { Outcome::Queued(after) } else { Outcome::Done };
                Flash { action, outcome, said }
            }
            Err(e) => Flash {
                action,
                outcome: Outcome::Refused(super::outcome::refusal_of(&e)),
                said: format!("{said}error: {e:#}"),
            },
        }
    })
}

fn filled(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

fn on_case(desk: &Desk, id: &str, action: &str, f: &ActionForm) -> anyhow::Result<()> {
    let (home, server, offline) = (&desk.home, desk.server.as_deref(), desk.offline);
    let text = |message| reply::Text { message: Some(message), file: None, anyway: f.anyway.is_some() };
    match action {
        "ack" => status::run(home, id, Status::Acknowledged, filled(&f.note), server, offline)?,
        "status" => {
            let next: Status = f.status.parse().map_err(|_| anyhow::anyhow!("choose a status"))?;
            status::run(home, id, next, filled(&f.note), server, offline)?;
        }
        "reply" => reply::run(home, id, text(&f.message), server, offline)?,
        "needs-info" => {
            // The move is checked before the question is sent, so neither goes alone.
            let case = crate::cases::find(home, id)?;
            let (from, _) = status::effective_status(home, &case)?;
            status::check_transition(id, from, Status::NeedsInfo)?;
            reply::run(home, id, text(&f.message), server, offline)?;
            status::run(home, id, Status::NeedsInfo, None, server, offline)?;
        }
        "extend" => {
            let days = f.days.trim().parse().map_err(|_| anyhow::anyhow!("days: give a whole number"))?;
            extend::run(home, id, days, &f.reason, server, offline)?;
        }
        "rewrap" => rewrap::run(home, id, server, offline)?,
        "hold" => {
            let date =
                time::Date::parse(f.review_on.trim(), &time::format_description::well_known::Iso8601::DATE)
                    .map_err(|_| anyhow::anyhow!("review date: give it as YYYY-MM-DD"))?;
            crate::hold::hold(home, id, &f.reason, date, server, offline)?;
        }
        "release" => crate::hold::release(home, id, server, offline)?,
        "transfer" => custody::transfer(home, id, f.agency.trim(), server, offline)?,
        "exclude" => custody::exclude(home, id, f.reviewer.trim(), server, offline)?,
        "assign" => custody::assign(home, id, filled(&f.to), server, offline)?,
        "export" => return export::run(home, id, &export_dir(desk, id)?, f.strip.is_some()),
        _ => anyhow::bail!("unknown action `{action}`"),
    }
    if !offline {
        // The server has it: pull, so the thread shows it now rather than after the next pull.
        // The action itself is done whatever the pull says (a quarantined case elsewhere).
        if let Err(e) = pull::run(home, server, crate::paged::Options::default()) {
            say!("the action was sent; the pull after it failed: {e:#}");
        }
    }
    Ok(())
}

/// A pull, push, import, carry or authorization; a pull, push or import tells `progress` how
/// far it got.
pub fn on_sync(
    desk: &Desk,
    action: &str,
    f: &ActionForm,
    progress: Option<Arc<crate::paged::Progress>>,
) -> anyhow::Result<()> {
    let home = &desk.home;
    match action {
        "pull" => {
            pull::run(home, desk.server.as_deref(), crate::paged::Options { progress, ..Default::default() })
        }
        "push" => crate::airgap::push_counted(
            Some(&server_url(home, desk)?),
            &home.outbox_dir(),
            progress.as_deref(),
        ),
        "import" => pull::import_counted(home, &required_path(f)?, progress.as_deref()),
        "carry" => carry::copy_outbox(home, &required_path(f)?),
        "authorize" => {
            let out = filled(&f.path).map(PathBuf::from);
            crate::airgap::authorize_pull(home, out.as_deref(), false)
        }
        _ => anyhow::bail!("unknown action `{action}`"),
    }
}

fn required_path(f: &ActionForm) -> anyhow::Result<PathBuf> {
    filled(&f.path)
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("give the path of a file or folder on this laptop"))
}

fn server_url(home: &Home, desk: &Desk) -> anyhow::Result<String> {
    Ok(crate::session::server_url(home, &home.read_config()?, desk.server.as_deref())?)
}

/// A new folder for one export: `<exports>/<case>-<date>`, numbered if taken.
fn export_dir(desk: &Desk, id: &str) -> anyhow::Result<PathBuf> {
    crate::home::create_private_dir(&desk.exports)?;
    let today = time::OffsetDateTime::now_utc().date();
    let base = format!("{id}-{today}");
    let mut dir = desk.exports.join(&base);
    let mut n = 2;
    while dir.exists() {
        dir = desk.exports.join(format!("{base}-{n}"));
        n += 1;
    }
    Ok(dir)
}
