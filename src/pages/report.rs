//! One form per kind of submission, the code page, and its confirmation step.
//!
//! The code is shown once, on the answer to the form's POST, and then travels only in POST
//! bodies: the confirmation form carries it in a hidden field and asks the reporter to type
//! it back from their note. Without JavaScript, retyping is the only check that works
//! (people lose codes). A mismatch shows the code again; nothing else ever does.

use amana_core::{case::Kind, code::FollowUpCode, receipt::Receipt};
use axum::{
    extract::{Path, Request, State},
    http::StatusCode,
    response::Response,
    Form,
};
use maud::{html, Markup};
use zeroize::Zeroizing;

use super::{
    errors, evaluation, html,
    layout::{code_display, files_field, Frame},
    take, wipe, Fields, FormWithFiles, PageLang,
};
use crate::{
    error::ApiError,
    form_token::FormTokens,
    i18n::ascii_digits,
    intake::{self, Submission, SubmitReport},
    state::AppState,
};

/// The honeypot: a field people never see (hidden by the stylesheet) and bots fill in.
pub const HONEYPOT: &str = "website";
/// The hidden minimum-time-to-submit token (see `form_token`).
pub const FORM_TOKEN: &str = "t";

/// The text fields the report form sends as `multipart/form-data`: the API's, the
/// honeypot, the form token and the evaluation's ratings (`upload::read_fields`).
static PAGE_FORM: std::sync::LazyLock<crate::upload::FormSpec> = std::sync::LazyLock::new(|| {
    let spec = intake::REPORT_FORM.clone().field(HONEYPOT, 1024).field(FORM_TOKEN, 256);
    evaluation::CRITERIA.iter().fold(spec, |s, c| s.field(evaluation::field(c), intake::FLAG_BYTES))
});

/// `GET /{lang}/report/{kind}`: the form for one kind.
pub async fn form(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path((_, kind)): Path<(String, String)>,
) -> Response {
    let Ok(kind) = kind.parse::<Kind>() else {
        return errors::page_for_status(&state, lang, StatusCode::NOT_FOUND);
    };
    let here = format!("report/{}", kind.as_str());
    let f = Frame::new(&state, lang, &here);
    let title = f.t(&format!("kind-{}", kind.as_str()));
    let main = html! {
        h1 { (title) }
        p.lead { (f.t(&format!("kind-{}-desc", kind.as_str()))) }
        (report_form(&f, kind, &state.form_tokens.issue()))
    };
    html(StatusCode::OK, f.render(&title, main))
}

fn report_form(f: &Frame, kind: Kind, form_token: &str) -> Markup {
    let evaluation = kind == Kind::ServiceEvaluation;
    let max_body = if evaluation {
        intake::MAX_BODY_CHARS - evaluation::BLOCK_RESERVE_CHARS
    } else {
        intake::MAX_BODY_CHARS
    };
    let may_bypass_agency = matches!(kind, Kind::Violation | Kind::Complaint);
    html! {
        form.report method="post" action=(f.href("report")) enctype="multipart/form-data" {
            input type="hidden" name="kind" value=(kind.as_str());
            label for="agency" { (f.t("form-agency")) }
            select #agency name="agency" required {
                option value="" { (f.t("form-agency-choose")) }
                @for a in &f.state.keyring.agencies {
                    @let name = agency_name(a, f.lang);
                    option value=(a.id) lang=(name.1) { (name.0) }
                }
            }
            @if evaluation { (evaluation::fieldsets(f)) }
            label for="body" { (f.t(&format!("kind-{}-body", kind.as_str()))) }
            p.hint #body-hint {
                (f.lang.t_args("form-body-hint", &[("max", f.lang.digits(&max_body.to_string()))]))
            }
            textarea #body name="body" rows="8" maxlength=(max_body) required[!evaluation]
                aria-describedby="body-hint" dir="auto" {}
            label for="contact" { (f.t("form-contact")) }
            p.hint #contact-hint { (f.t("form-contact-hint")) }
            input #contact name="contact" type="text" maxlength=(intake::MAX_CONTACT_CHARS)
                autocomplete="off" aria-describedby="contact-hint" dir="auto";
            fieldset.options {
                legend { (f.t("form-options")) }
                @if may_bypass_agency {
                    div.check {
                        input #oversight type="checkbox" name="oversight_only" value="true"
                            aria-describedby="oversight-hint";
                        label for="oversight" { (f.t("form-oversight")) }
                    }
                    p.hint #oversight-hint { (f.t("form-oversight-hint")) }
                }
                div.check {
                    input #receipt type="checkbox" name="receipt" value="true" aria-describedby="receipt-hint";
                    label for="receipt" { (f.t("form-receipt")) }
                }
                p.hint.warning #receipt-hint { (f.t("form-receipt-hint")) }
            }
            div.hp {
                label for="hp-field" { (f.t("form-honeypot")) }
                input #hp-field type="text" name=(HONEYPOT) tabindex="-1" autocomplete="off";
            }
            input type="hidden" name=(FORM_TOKEN) value=(form_token);
            (files_field(f, "attachments"))
            button type="submit" { (f.t("form-submit")) }
        }
    }
}

/// An agency's name in `lang`, else English, else its id; with the language it is in.
pub fn agency_name(a: &amana_core::keyring::Agency, lang: crate::i18n::Lang) -> (String, String) {
    for tag in [lang.tag(), "en"] {
        if let Some(name) = a.name.get(tag) {
            return (name.clone(), tag.to_string());
        }
    }
    let any = a.name.iter().next();
    any.map(|(tag, name)| (name.clone(), tag.clone())).unwrap_or_else(|| (a.id.clone(), "en".into()))
}

/// What the form posted, with the text fields zeroized on drop.
struct Posted {
    raw: SubmitReport,
    honeypot: bool,
}

fn read_form(pairs: &mut [(String, String)], tokens: &FormTokens) -> Result<Posted, ApiError> {
    let bad = || ApiError::BadRequest("The form is incomplete.".into());
    let kind = take(pairs, "kind").ok_or_else(bad)?;
    let honeypot = take(pairs, HONEYPOT).is_some_and(|v| !v.trim().is_empty())
        || !tokens.looks_human(take(pairs, FORM_TOKEN).as_deref());
    let mut body = Zeroizing::new(take(pairs, "body").unwrap_or_default());
    if kind == Kind::ServiceEvaluation.as_str() {
        let ratings = evaluation::parse(|name| take(pairs, name)).ok_or_else(bad)?;
        body = Zeroizing::new(evaluation::compose(&ratings, &body));
    } else if body.trim().is_empty() {
        return Err(bad());
    }
    let raw = SubmitReport {
        kind,
        agency: take(pairs, "agency").ok_or_else(bad)?,
        body: std::mem::take(&mut *body),
        contact: take(pairs, "contact"),
        oversight_only: take(pairs, "oversight_only").is_some(),
        receipt: take(pairs, "receipt").is_some(),
    };
    Ok(Posted { raw, honeypot })
}

/// `POST /{lang}/report`: stores the submission, then shows the code once.
pub async fn submit(State(state): State<AppState>, PageLang(lang): PageLang, req: Request) -> Response {
    let (mut pairs, files) = match FormWithFiles::read(&state, req, &PAGE_FORM).await {
        Ok(form) => (form.pairs, form.files),
        Err(e) => return errors::page_for_error(&state, lang, e),
    };
    let posted = read_form(&mut pairs, &state.form_tokens);
    wipe(&mut pairs);
    let posted = match posted {
        Ok(p) => p,
        Err(e) => return errors::page_for_error(&state, lang, e),
    };
    if posted.honeypot {
        // A bot: answer like a success, store nothing, and show nothing that looks like a code.
        return honeypot_page(&state, lang);
    }
    // The text the receipt covers, for the reporter to keep with it (only when asked).
    let receipt_text = posted.raw.receipt.then(|| Zeroizing::new(posted.raw.body.clone()));
    let filed =
        async { intake::submit(&state, Submission::validate(posted.raw, &state)?, files).await }.await;
    match filed {
        Ok(filed) => {
            let shown =
                Shown { code: filed.code.grouped(), receipt: filed.receipt, receipt_text, mismatch: false };
            html(StatusCode::CREATED, code_page(&state, lang, &shown))
        }
        Err(e) => errors::page_for_error(&state, lang, e),
    }
}

fn honeypot_page(state: &AppState, lang: crate::i18n::Lang) -> Response {
    let f = Frame::new(state, lang, "");
    let main = html! { h1 { (f.t("honeypot-title")) } p { (f.t("honeypot-body")) } };
    html(StatusCode::CREATED, f.render(&f.t("honeypot-title"), main))
}

/// What the code page shows.
struct Shown {
    /// The code, grouped, in ASCII digits.
    code: Zeroizing<String>,
    receipt: Option<Receipt>,
    receipt_text: Option<Zeroizing<String>>,
    /// The reporter typed a code that does not match.
    mismatch: bool,
}

fn code_page(state: &AppState, lang: crate::i18n::Lang, s: &Shown) -> maud::Markup {
    // No language links here: following one would lose the code.
    let f = Frame { state, lang, here: None };
    let receipt_json = s.receipt.as_ref().and_then(|r| serde_json::to_string(r).ok());
    let main = html! {
        h1 { (f.t("code-title")) }
        p { (f.t("code-intro")) }
        (code_display(lang, &s.code, "code"))
        @if lang.has_own_digits() {
            p { (f.t("code-latin")) }
            p.code-latin dir="ltr" { (s.code.as_str()) }
        }
        ul.keep {
            @for key in ["code-keep-1", "code-keep-2", "code-keep-3"] { li { (f.t(key)) } }
        }
        @if let (Some(json), Some(text)) = (&receipt_json, &s.receipt_text) {
            section.receipt aria-labelledby="receipt-title" {
                h2 #receipt-title { (f.t("receipt-title")) }
                p { (f.t("receipt-intro")) }
                label for="receipt-json" { (f.t("receipt-label")) }
                textarea #receipt-json readonly rows="4" dir="ltr" { (json) }
                label for="receipt-text" { (f.t("receipt-text-label")) }
                // The leading newline is eaten by the HTML parser, keeping one that the text
                // itself may start with.
                textarea #receipt-text readonly rows="6" dir="auto" { "\n" (text.as_str()) }
            }
        }
        section.confirm aria-labelledby="confirm-title" {
            h2 #confirm-title { (f.t("confirm-title")) }
            p { (f.t("confirm-intro")) }
            @if s.mismatch { p.error #mismatch role="alert" { (f.t("confirm-mismatch")) } }
            form method="post" action=(f.href("confirm")) {
                input type="hidden" name="code" value=(s.code.as_str());
                @if let (Some(json), Some(text)) = (&receipt_json, &s.receipt_text) {
                    input type="hidden" name="receipt" value=(json);
                    input type="hidden" name="receipt_text" value=(text.as_str());
                }
                label for="typed" { (f.t("confirm-label")) }
                input #typed name="typed" type="text" inputmode="numeric" autocomplete="off"
                    autocapitalize="off" spellcheck="false" dir="ltr" maxlength="128" required
                    aria-describedby=[s.mismatch.then_some("mismatch")];
                button type="submit" { (f.t("confirm-submit")) }
            }
        }
    };
    f.render(&f.t("code-title"), main)
}

/// `POST /{lang}/confirm`: compares the typed code with the one shown. Touches no data.
pub async fn confirm(State(state): State<AppState>, PageLang(lang): PageLang, form: Fields) -> Response {
    let mut pairs = match form {
        Ok(Form(pairs)) => pairs,
        Err(rejection) => return errors::page_for_status(&state, lang, rejection.status()),
    };
    let shown = Zeroizing::new(take(&mut pairs, "code").unwrap_or_default());
    let typed = Zeroizing::new(take(&mut pairs, "typed").unwrap_or_default());
    let receipt = take(&mut pairs, "receipt").and_then(|r| serde_json::from_str::<Receipt>(&r).ok());
    let receipt_text = take(&mut pairs, "receipt_text").map(Zeroizing::new);
    wipe(&mut pairs);
    let Ok(code) = FollowUpCode::parse(&ascii_digits(&shown)) else {
        return errors::page_for_status(&state, lang, StatusCode::BAD_REQUEST);
    };
    if FollowUpCode::parse(&ascii_digits(&typed)).is_ok_and(|t| t == code) {
        let f = Frame::new(&state, lang, "status");
        let main = html! {
            h1 { (f.t("confirmed-title")) }
            p { (f.t("confirmed-body")) }
            p { a href=(f.href("status")) { (f.t("done-next")) } }
        };
        return html(StatusCode::OK, f.render(&f.t("confirmed-title"), main));
    }
    let receipt_text = receipt.as_ref().and(receipt_text);
    let again = Shown { code: code.grouped(), receipt, receipt_text, mismatch: true };
    html(StatusCode::OK, code_page(&state, lang, &again))
}
