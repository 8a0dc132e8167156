//! The status page by code, and the two actions it offers: adding information, and rating
//! the handling after closure. Every form asks for the code again; no page echoes it.

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::Response,
    Form,
};
use maud::{html, Markup};
use zeroize::Zeroizing;

use super::{
    errors::{self, Back},
    html,
    layout::{again_notice, code_field, files_field, Again, Frame},
    report::agency_name,
    take, wipe, Fields, FormWithFiles, PageLang,
};
use crate::{
    error::ApiError,
    followup,
    i18n::{ascii_digits, Lang},
    intake,
    state::AppState,
    status::{self, Deletion, MessageKind, ReporterView, TypedCode},
    store::format_date,
};

/// `GET /{lang}/status`: asks for the code.
pub async fn form(State(state): State<AppState>, PageLang(lang): PageLang) -> Response {
    html(StatusCode::OK, form_page(&state, lang, None))
}

/// Why a typed code opened nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Miss {
    /// The check digit does not match: a digit is wrong or two are swapped.
    Typo,
    /// Anything else: one answer for all (unknown, wrong secret part, malformed).
    NotFound,
}

impl Miss {
    fn message_key(self) -> &'static str {
        match self {
            Miss::Typo => "error-code-typo",
            Miss::NotFound => "error-code-404",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Miss::Typo => StatusCode::UNPROCESSABLE_ENTITY,
            Miss::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

fn form_page(state: &AppState, lang: Lang, miss: Option<Miss>) -> Markup {
    let f = Frame::new(state, lang, "status");
    let main = html! {
        h1 { (f.t("status-form-title")) }
        p { (f.t("status-form-intro")) }
        @if let Some(miss) = miss { p.error role="alert" { (f.t(miss.message_key())) } }
        form method="post" action=(f.href("status")) {
            (code_field(&f, "code", "code-label"))
            button type="submit" { (f.t("status-form-submit")) }
        }
    };
    f.render(&f.t("status-form-title"), main)
}

/// The code from a form. A typo (`TypedCode::is_typo`) is told apart with no KDF work;
/// every other miss keeps the one generic answer after the same work.
fn code_from(pairs: &mut [(String, String)]) -> TypedCode {
    TypedCode::from_form(Zeroizing::new(take(pairs, "code").unwrap_or_default()))
}

/// `POST /{lang}/status`: the case for a matching code; the form again for any miss.
pub async fn show(State(state): State<AppState>, PageLang(lang): PageLang, form: Fields) -> Response {
    let mut pairs = match form {
        Ok(Form(pairs)) => pairs,
        Err(rejection) => return errors::page_after_post(&state, lang, rejection.status(), Back::Nothing),
    };
    let code = code_from(&mut pairs);
    wipe(&mut pairs);
    if code.is_typo() {
        return html(Miss::Typo.status(), form_page(&state, lang, Some(Miss::Typo)));
    }
    let view = async {
        let auth = status::authenticate(&state, &code).await?;
        status::view(&state, &auth).await
    };
    match view.await {
        Ok(v) => html(StatusCode::OK, case_page(&state, lang, &v)),
        Err(ApiError::NotFound) => {
            html(Miss::NotFound.status(), form_page(&state, lang, Some(Miss::NotFound)))
        }
        Err(ApiError::Purged(on)) => html(StatusCode::GONE, purged_page(&state, lang, on)),
        Err(e) => errors::page_for_error(&state, lang, e, Back::Nothing),
    }
}

/// What the holder of a purged case's code reads: that it was closed, and the purge date.
fn purged_page(state: &AppState, lang: Lang, on: time::Date) -> Markup {
    let f = Frame::new(state, lang, "status");
    let iso = format_date(on);
    let main = html! {
        h1 { (f.t("status-title")) }
        p.note { (lang.t_args("status-purged", &[("date", lang.date(&iso))])) }
    };
    f.render(&f.t("status-title"), main)
}

fn message_key(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Reply => "message-reply",
        MessageKind::FollowUp => "message-follow_up",
    }
}

fn case_page(state: &AppState, lang: Lang, v: &ReporterView) -> Markup {
    let f = Frame::new(state, lang, "status");
    let agency = state
        .keyring
        .agency(&v.agency)
        .map(|a| agency_name(a, lang))
        .unwrap_or_else(|| (v.agency.clone(), "en".into()));
    let key = format!("status-{}", v.status.reporter_name());
    let closed = v.status.is_closed();
    // A deadline is shown only while it still binds the agency.
    let awaiting_ack = v.awaiting_acknowledgement();
    let main = html! {
        h1 { (f.t("status-title")) }
        dl.case {
            dt { (f.t("status-kind")) } dd { (f.t(&format!("kind-{}", v.kind))) }
            dt { (f.t("status-agency")) } dd lang=(agency.1) { (agency.0) }
            dt { (f.t("status-status")) }
            dd {
                strong.status { (f.t(&key)) }
                br;
                (f.t(&format!("{key}-help")))
                @if v.escalated { br; (f.t("status-escalated")) }
            }
            dt { (f.t("status-received-on")) } dd { (date(lang, v.received_on)) }
            @if awaiting_ack {
                dt { (f.t("status-ack-by")) } dd { (date(lang, v.deadlines.acknowledge_by)) }
            }
            @if !closed {
                dt { (f.t("status-feedback-by")) } dd { (date(lang, v.deadlines.feedback_by)) }
            }
            @if let Deletion::After(day) = v.deletion {
                dt { (f.t("status-delete-after")) } dd { (date(lang, day)) }
            }
        }
        @if v.deletion == Deletion::KeptLonger { p.note { (f.t("status-kept-longer")) } }
        section aria-labelledby="messages" {
            h2 #messages { (f.t("messages-title")) }
            @if v.messages.is_empty() && v.unreadable == 0 { p { (f.t("messages-none")) } }
            @for m in &v.messages {
                article.message.(m.kind.as_str()) {
                    // No "·" between them: on an Arabic page it reads as the digit zero (٠).
                    h3 { (f.t(message_key(m.kind))) " — " (date(lang, m.written_on)) }
                    div.body dir="auto" { (m.text.as_str()) }
                }
            }
            // Neither an id nor a date: the reporter needs to know a message exists, not which.
            @for _ in 0..v.unreadable { p.note.unreadable { (f.t("message-unreadable")) } }
        }
        @if closed { p.note { (f.t("closed-note")) } } @else { (follow_up_form(&f)) }
        @if v.can_rate() { (rating_form(&f, None)) }
        @if let Some(r) = v.rating {
            p.note { (lang.t_args("rating-given", &[("rating", lang.digits(&r.to_string()))])) }
        }
    };
    f.render(&f.t("status-title"), main)
}

fn date(lang: Lang, day: time::Date) -> Markup {
    let iso = format_date(day);
    html! { time datetime=(iso) { (lang.date(&iso)) } }
}

fn follow_up_form(f: &Frame) -> Markup {
    html! {
        section aria-labelledby="followup" {
            h2 #followup { (f.t("followup-title")) }
            p { (f.t("followup-intro")) }
            (follow_up_fields(f, ""))
        }
    }
}

/// The follow-up form, its text filled in with `body`; the code field is always empty.
fn follow_up_fields(f: &Frame, body: &str) -> Markup {
    html! {
        form method="post" action=(f.href("followup")) enctype="multipart/form-data" {
            (code_field(f, "followup-code", "code-label"))
            label for="followup-body" { (f.t("followup-label")) }
            // The leading newline is eaten by the HTML parser, keeping one the text may start with.
            textarea #followup-body name="body" rows="6" maxlength=(intake::MAX_BODY_CHARS) required
                dir="auto" { "\n" (body) }
            (files_field(f, "followup-files"))
            button type="submit" { (f.t("followup-submit")) }
        }
    }
}

fn rating_form(f: &Frame, chosen: Option<u8>) -> Markup {
    html! {
        section aria-labelledby="rate" {
            h2 #rate { (f.t("rating-title")) }
            p { (f.t("rating-intro")) }
            (rating_fields(f, chosen))
        }
    }
}

fn rating_fields(f: &Frame, chosen: Option<u8>) -> Markup {
    html! {
        form method="post" action=(f.href("rating")) {
            (code_field(f, "rating-code", "code-label"))
            fieldset.criterion {
                legend { (f.t("rating-legend")) }
                div.scale {
                    @for n in 1..=5u8 {
                        label.choice {
                            input type="radio" name="rating" value=(n) required[n == 1]
                                checked[chosen == Some(n)];
                            span { (f.lang.digits(&n.to_string())) }
                        }
                    }
                }
            }
            button type="submit" { (f.t("rating-submit")) }
        }
    }
}

/// A form shown again after a failed action: `title`, what happened and that the text is
/// kept, then the form (with its code field empty).
fn again_page(
    state: &AppState,
    lang: Lang,
    title_key: &str,
    why: Again,
    files: bool,
    form: Markup,
) -> Markup {
    let f = Frame::new(state, lang, "status");
    let main = html! {
        h1 { (f.t(title_key)) }
        (again_notice(&f, &why, files))
        (form)
        p { a href=(f.href("status")) { (f.t("done-next")) } }
    };
    f.render(&f.t(title_key), main)
}

/// `POST /{lang}/followup`: adds information to the case of the code typed again. When
/// that fails — a mistyped or wrong code, a closed case, a file limit — the form comes
/// back with the text in it and the code field empty.
pub async fn follow_up(State(state): State<AppState>, PageLang(lang): PageLang, req: Request) -> Response {
    let (mut pairs, files, refused) = match FormWithFiles::read(&state, req, &followup::FOLLOW_UP_FORM).await
    {
        Ok(form) => (form.pairs, form.files, form.refused),
        Err(e) => return errors::page_for_error(&state, lang, e, Back::CasePage),
    };
    let code = code_from(&mut pairs);
    let body = Zeroizing::new(take(&mut pairs, "body").unwrap_or_default());
    wipe(&mut pairs);
    let again = |status: StatusCode, message: String| {
        let f = Frame::new(&state, lang, "status");
        let form = follow_up_fields(&f, &body);
        html(status, again_page(&state, lang, "followup-title", Again::Failed(message), true, form))
    };
    if let Some(e) = refused {
        let (status, message) = errors::explain_again(lang, e);
        return again(status, message);
    }
    if code.is_typo() {
        return again(Miss::Typo.status(), lang.t(Miss::Typo.message_key()));
    }
    let done = async {
        let auth = status::authenticate(&state, &code).await?;
        let files =
            files.map_or(followup::FollowUpFiles::None, |f| followup::FollowUpFiles::Form(Box::new(f)));
        followup::add_follow_up(&state, &auth, Zeroizing::new(body.to_string()), files).await
    };
    match done.await {
        Ok(()) => done_page(&state, lang, "done-followup"),
        Err(e) => {
            let (status, message) = errors::explain_again(lang, e);
            again(status, message)
        }
    }
}

/// `POST /{lang}/rating`: rates the handling of a closed case, once. A mistyped or wrong
/// code shows the rating form again, with the rating still chosen.
pub async fn rating(State(state): State<AppState>, PageLang(lang): PageLang, form: Fields) -> Response {
    let mut pairs = match form {
        Ok(Form(pairs)) => pairs,
        Err(rejection) => return errors::page_after_post(&state, lang, rejection.status(), Back::CasePage),
    };
    let code = code_from(&mut pairs);
    let rating = take(&mut pairs, "rating").and_then(|r| ascii_digits(&r).parse::<u8>().ok());
    wipe(&mut pairs);
    let Some(rating) = rating else {
        return errors::page_after_post(&state, lang, StatusCode::BAD_REQUEST, Back::CasePage);
    };
    let again = |status: StatusCode, message: String| {
        let f = Frame::new(&state, lang, "status");
        let form = rating_fields(&f, Some(rating));
        html(status, again_page(&state, lang, "rating-title", Again::Failed(message), false, form))
    };
    if code.is_typo() {
        return again(Miss::Typo.status(), lang.t(Miss::Typo.message_key()));
    }
    let done = async {
        let auth = status::authenticate(&state, &code).await?;
        followup::rate(&state, &auth, rating).await
    };
    match done.await {
        Ok(()) => done_page(&state, lang, "done-rating"),
        Err(e) => {
            let (status, message) = errors::explain_again(lang, e);
            again(status, message)
        }
    }
}

fn done_page(state: &AppState, lang: Lang, message_key: &str) -> Response {
    let f = Frame::new(state, lang, "status");
    let main = html! {
        h1 { (f.t("done-title")) }
        p { (f.t(message_key)) }
        p { a href=(f.href("status")) { (f.t("done-next")) } }
    };
    html(StatusCode::CREATED, f.render(&f.t("done-title"), main))
}
