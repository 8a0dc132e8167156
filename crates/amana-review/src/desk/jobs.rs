//! Pull, push and import in the background, with a progress page that works without
//! JavaScript.
//!
//! The button starts the CLI's own command on a blocking thread and answers at once with a
//! 303 to `/progress`. One job at a time per desk: a second start while one runs lands on
//! the running one's page. While it runs, the page reloads itself every second with
//! `<meta http-equiv="refresh">` (a navigation, not a script: the CSP allows it) and shows a
//! `<progress>` element:
//!
//! * pull and import: the cases verified so far, from [`crate::paged::Progress`] — "N of M
//!   cases verified" once the total is known (the server's, the bundle's), "N cases
//!   verified" before;
//! * push: "N of M actions sent";
//! * push, before it has counted the outbox: an indeterminate `<progress>` and the seconds
//!   elapsed.
//!
//! When it ends, the page shows the result (as every action's: a headline in the page's
//! language, the command's own lines under "Details") and stops refreshing. `GET /progress`
//! changes nothing and needs no form token; its automatic reloads do not count as the
//! reviewer's activity for the idle lock (the desk does not lock while the job runs, as the
//! job holds the keys until it ends).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::paged::Progress;

use super::actions::{on_sync, perform, ActionForm};
use super::html::{esc, page, page_with};
use super::i18n::{Lang, Words};
use super::inbox_page::html_response;
use super::outcome::{Outcome, Refusal};
use super::state::{lock, Desk, Flash};

/// The sync actions that run in the background.
pub const IN_BACKGROUND: [&str; 3] = ["pull", "push", "import"];

/// One background job.
pub struct Job {
    action: String,
    started: Instant,
    /// How far it got.
    progress: Arc<Progress>,
    result: std::sync::Mutex<Option<Flash>>,
}

impl Job {
    /// A job just started.
    pub fn new(action: &str, progress: Arc<Progress>) -> Self {
        Self {
            action: action.to_string(),
            started: Instant::now(),
            progress,
            result: std::sync::Mutex::new(None),
        }
    }

    /// Records how the job ended.
    pub fn finish(&self, flash: Flash) {
        *lock(&self.result) = Some(flash);
    }

    pub fn running(&self) -> bool {
        lock(&self.result).is_none()
    }
}

/// Starts `action` unless a job runs already; either way, to the progress page.
pub fn start(desk: Arc<Desk>, action: String, form: ActionForm) -> Response {
    let mut slot = lock(&desk.job);
    if slot.as_ref().is_some_and(|j| j.running()) {
        return super::see_other("/progress");
    }
    let progress = Arc::new(Progress::default());
    let job = Arc::new(Job::new(&action, progress.clone()));
    *slot = Some(job.clone());
    drop(slot);
    let d = desk.clone();
    let name = action.clone();
    let work = tokio::task::spawn_blocking(move || {
        perform(&d, name.clone(), |d| on_sync(d, &name, &form, Some(progress)))
    });
    // Even a job that died ends: otherwise the desk would refuse every later one.
    tokio::spawn(async move {
        let flash = work.await.unwrap_or_else(|e| Flash {
            action,
            outcome: Outcome::Refused(Refusal::Other),
            said: format!(
                "the job stopped ({e}): start it again; if it stops again, run the command in a terminal"
            ),
        });
        job.finish(flash);
    });
    super::see_other("/progress")
}

/// `GET /progress`.
pub async fn show(State(desk): State<Arc<Desk>>, headers: HeaderMap) -> Response {
    let lang = super::lang_of(&desk, &headers);
    let t = lang.t();
    let job = lock(&desk.job).clone();
    let pending = crate::outbox::pending(&desk.home).map_or(0, |p| p.len());
    let Some(job) = job else {
        return html_response(page(&desk, lang, t.progress, &format!("<p>{}</p>", t.no_job), pending));
    };
    let title = format!("{} · {}", t.progress, action_label(t, &job.action));
    let done =
        lock(&job.result).as_ref().map(|f| super::outcome::result_box(lang, &f.action, f.outcome, &f.said));
    match done {
        Some(result) => {
            // How far it got, when it counted (a push that stopped says how many it sent).
            let count = job.progress.total().map_or(String::new(), |_| {
                format!("<p class=\"job\">{}</p>", esc(&count_words(lang, &job).1))
            });
            let body = format!("{count}{result}<p><a href=\"/\">{}</a></p>", t.inbox);
            html_response(page(&desk, lang, &title, &body, pending))
        }
        None => {
            let head = "<meta http-equiv=\"refresh\" content=\"1\">";
            html_response(page_with(&desk, lang, &title, &running(lang, &job), pending, head))
        }
    }
}

fn action_label(t: &Words, action: &str) -> &'static str {
    match action {
        "pull" => t.pull,
        "push" => t.push,
        _ => t.import,
    }
}

/// The `<progress>` element and its words while the job runs.
fn running(lang: Lang, job: &Job) -> String {
    let t = lang.t();
    let (bar, words) = count_words(lang, job);
    format!("<p>{}</p><p class=\"job\"><label for=\"job\">{}</label> {bar}</p>", t.working, esc(&words))
}

/// The `<progress>` element and the words of how far the job got.
fn count_words(lang: Lang, job: &Job) -> (String, String) {
    let t = lang.t();
    let p = &job.progress;
    match p.total() {
        Some(total) => (
            format!("<progress id=\"job\" max=\"{total}\" value=\"{}\"></progress>", p.done().min(total)),
            if job.action == "push" { t.sent_of } else { t.verified_of }
                .replace("{n}", &p.done().to_string())
                .replace("{m}", &total.to_string()),
        ),
        None if job.action == "push" => (
            "<progress id=\"job\"></progress>".into(),
            t.elapsed.replace("{s}", &job.started.elapsed().as_secs().to_string()),
        ),
        None => {
            ("<progress id=\"job\"></progress>".into(), t.verified_n.replace("{n}", &p.done().to_string()))
        }
    }
}
