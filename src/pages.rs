//! Minimal server-rendered reporter pages: they work with JavaScript off and keep no
//! session; every action that needs the code asks for it again. (The full multilingual
//! reporter UI is a later issue; this is the foundation's form.)

use axum::{
    extract::{rejection::FormRejection, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::{
    error::ApiError,
    followup,
    intake::{self, Submission, SubmitReport},
    state::AppState,
    status,
};

/// The stylesheet, served from our own origin (no third-party resources).
pub const CSS: &str = include_str!("../static/amana.css");

fn layout(state: &AppState, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" dir="ltr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Amana" }
                link rel="stylesheet" href="/static/amana.css";
            }
            body {
                @if state.demo {
                    p.demo role="alert" { "DEMO MODE — not for real reports: demo reviewer keys are stored unprotected on this server." }
                }
                header { a href="/" { "Amana · أمانة" } }
                main { (body) }
            }
        }
    }
}

fn page(status: StatusCode, markup: Markup, no_store: bool) -> Response {
    let mut resp = (status, axum::response::Html(markup.into_string())).into_response();
    if no_store {
        resp.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    resp
}

/// `GET /`: the report form.
pub async fn home(State(state): State<AppState>) -> Response {
    let body = html! {
        h1 { "Report safely" }
        p { "You do not need to give your name. After sending you get a follow-up code: it is the only way to check your report, so write it down and keep it private. For the best protection use Tor Browser, not a work device or network." }
        form method="post" action="/report" {
            label for="kind" { "Kind" }
            select #kind name="kind" required {
                @for k in amana_core::case::Kind::ALL { option value=(k.as_str()) { (k.as_str().replace('_', " ")) } }
            }
            label for="agency" { "Agency" }
            select #agency name="agency" required {
                @for a in &state.keyring.agencies {
                    option value=(a.id) { (a.name.get("en").unwrap_or(&a.id)) @if let Some(ar) = a.name.get("ar") { " · " span lang="ar" { (ar) } } }
                }
            }
            label for="body" { "What happened?" }
            textarea #body name="body" rows="10" maxlength=(intake::MAX_BODY_CHARS) required {}
            label for="contact" { "Contact (optional — leave empty to stay anonymous)" }
            input #contact name="contact" maxlength=(intake::MAX_CONTACT_CHARS) autocomplete="off";
            label { input type="checkbox" name="oversight_only" value="true"; " Send to the oversight unit only (e.g. it concerns the agency's own officers)" }
            button type="submit" { "Send report" }
        }
        p { a href="/status" { "Check a report with your code" } }
    };
    page(StatusCode::OK, layout(&state, "Report", body), false)
}

/// The report form's fields.
#[derive(Deserialize)]
pub struct ReportForm {
    kind: String,
    agency: String,
    body: String,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    oversight_only: Option<String>,
}

/// `POST /report`: stores the report, then shows the code once.
pub async fn report(
    State(state): State<AppState>,
    form: Result<Form<ReportForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return error_page(
            &state,
            ApiError::BadRequest("The form could not be read; go back and try again.".into()),
        );
    };
    let raw = SubmitReport {
        kind: f.kind,
        agency: f.agency,
        body: f.body,
        contact: f.contact,
        oversight_only: f.oversight_only.is_some(),
        receipt: false,
    };
    let result = async { intake::submit(&state, Submission::validate(raw, &state)?).await }.await;
    match result {
        Ok(filed) => {
            let code = filed.code;
            let body = html! {
                h1 { "Your report is saved" }
                p { "Your follow-up code:" }
                p.code dir="ltr" { (code.grouped().as_str()) }
                p { "Write it down now and keep it private. It is shown only once and cannot be recovered. With it you can check the status of your report." }
                p { a href="/status" { "Check status" } }
            };
            page(StatusCode::CREATED, layout(&state, "Saved", body), true)
        }
        Err(e) => error_page(&state, e),
    }
}

/// `GET /status`: asks for the code.
pub async fn status_form(State(state): State<AppState>) -> Response {
    page(StatusCode::OK, layout(&state, "Check status", status_form_markup()), true)
}

fn status_form_markup() -> Markup {
    html! {
        h1 { "Check your report" }
        form method="post" action="/status" {
            label for="code" { "Follow-up code" }
            input #code name="code" inputmode="numeric" autocomplete="off" dir="ltr" required;
            button type="submit" { "Check" }
        }
    }
}

/// The status form's field.
#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// `POST /status`: shows the case for a matching code.
pub async fn status_page(
    State(state): State<AppState>,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let input = Zeroizing::new(form.map(|Form(f)| f.code).unwrap_or_default());
    let view = async {
        let auth = status::authenticate(&state, &input).await?;
        status::view(&state, &auth).await
    };
    match view.await {
        Ok(v) => page(StatusCode::OK, layout(&state, "Status", status_markup(&v)), true),
        Err(e) => error_page(&state, e),
    }
}

fn words(s: &str) -> String {
    s.replace('_', " ")
}

fn status_markup(v: &status::StatusResponse) -> Markup {
    html! {
        h1 { "Your report" }
        dl {
            dt { "Kind" } dd { (words(&v.kind)) }
            dt { "Agency" } dd { (v.agency) }
            dt { "Status" } dd { (words(&v.status)) @if v.escalated { " — escalated to the oversight unit" } }
            dt { "Received" } dd { (v.received_on) }
            dt { "Acknowledgement due by" } dd { (v.acknowledge_by) }
            dt { "Feedback due by" } dd { (v.feedback_by) }
        }
        h2 { "Messages" }
        @if v.messages.is_empty() { p { "No messages yet." } }
        @for m in &v.messages {
            article.message {
                h3 { @if m.from == "reply" { "Reply from the reviewers" } @else { "You added" } ", " (m.on) }
                p.body { (m.body) }
            }
        }
        @if !v.status.starts_with("closed") {
            h2 { "Add information" }
            form method="post" action="/followup" {
                (code_input())
                label for="body" { "What would you like to add?" }
                textarea #body name="body" rows="6" maxlength=(intake::MAX_BODY_CHARS) required {}
                button type="submit" { "Send" }
            }
        }
        @if v.can_rate {
            h2 { "Rate how your report was handled" }
            form method="post" action="/rating" {
                (code_input())
                fieldset {
                    legend { "1 = poor, 5 = excellent" }
                    @for r in 1..=5u8 { label.inline { input type="radio" name="rating" value=(r) required; " " (r) } }
                }
                button type="submit" { "Rate" }
            }
        }
        @if let Some(r) = v.rating { p { "You rated the handling " (r) " of 5. Thank you." } }
    }
}

/// Every action form asks for the code again: there are no sessions, and the code never
/// appears in a page other than the one that first shows it.
fn code_input() -> Markup {
    html! {
        label for="code" { "Your follow-up code (needed again for every action)" }
        input #code name="code" inputmode="numeric" autocomplete="off" dir="ltr" required;
    }
}

/// The follow-up form's fields.
#[derive(Deserialize)]
pub struct FollowUpForm {
    code: String,
    body: String,
}

/// `POST /followup`.
pub async fn followup_page(
    State(state): State<AppState>,
    form: Result<Form<FollowUpForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return error_page(&state, ApiError::BadRequest("The form could not be read.".into()));
    };
    let (code, body) = (Zeroizing::new(f.code), Zeroizing::new(f.body));
    let done = async {
        let auth = status::authenticate(&state, &code).await?;
        followup::add_follow_up(&state, &auth, body).await
    };
    match done.await {
        Ok(()) => done_page(&state, "Your information was added to your report."),
        Err(e) => error_page(&state, e),
    }
}

/// The rating form's fields.
#[derive(Deserialize)]
pub struct RatingForm {
    code: String,
    rating: u8,
}

/// `POST /rating`.
pub async fn rating_page(
    State(state): State<AppState>,
    form: Result<Form<RatingForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return error_page(&state, ApiError::BadRequest("Choose a rating from 1 to 5.".into()));
    };
    let code = Zeroizing::new(f.code);
    let done = async {
        let auth = status::authenticate(&state, &code).await?;
        followup::rate(&state, &auth, f.rating).await
    };
    match done.await {
        Ok(()) => done_page(&state, "Thank you for rating how your report was handled."),
        Err(e) => error_page(&state, e),
    }
}

fn done_page(state: &AppState, message: &str) -> Response {
    let body = html! { h1 { "Done" } p { (message) } p { a href="/status" { "Check status again" } } };
    page(StatusCode::CREATED, layout(state, "Done", body), true)
}

/// An error as a page, with the same generic texts as the API.
pub fn error_page(state: &AppState, e: ApiError) -> Response {
    let api = e.into_response();
    let status = api.status();
    let message = match status {
        StatusCode::NOT_FOUND => "No report matches this code. Check the digits and try again.",
        StatusCode::BAD_REQUEST => "Some of what you sent could not be accepted. Go back, check the form and try again. Nothing was saved.",
        StatusCode::CONFLICT => "This cannot be done now: the report may be closed, already rated, or it changed meanwhile. Nothing was saved.",
        StatusCode::PAYLOAD_TOO_LARGE => "What you sent is too large. Nothing was saved.",
        StatusCode::SERVICE_UNAVAILABLE => "The service is busy. Nothing was saved; please try again in a minute.",
        _ => "Something went wrong on our side. Nothing was saved; please try again later.",
    };
    let body = html! { h1 { "Sorry" } p { (message) } p { a href="/" { "Back" } } };
    page(status, layout(state, "Error", body), true)
}

/// `GET /static/amana.css`.
pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}
