//! One form per kind of submission, the code page, and its confirmation step.
//!
//! The code is shown once, on the answer to the form's POST, and then travels only in POST
//! bodies: the confirmation form carries it in a hidden field and asks the reporter to type
//! it back from their note. Without JavaScript, retyping is the only check that works
//! (people lose codes). A mismatch shows the code again; nothing else ever does.

use amana_core::{case::Kind, code::FollowUpCode, receipt::Receipt};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::Response,
    Form,
};
use maud::{html, Markup};
use zeroize::Zeroizing;

use super::{
    errors::{self, Back},
    evaluation, html,
    layout::{again_notice, code_display, files_field, Again, Frame},
    take, wipe, Fields, FormWithFiles, PageLang,
};
use crate::{
    form_token::Verdict,
    i18n::{ascii_digits, Dir, Lang},
    intake::{self, SubmitReport},
    state::AppState,
};

/// The honeypot: a field people never see (hidden by the stylesheet) and bots fill in.
pub const HONEYPOT: &str = "website";
/// The hidden minimum-time-to-submit token (see `form_token`).
pub const FORM_TOKEN: &str = "t";

/// The text fields the report form sends as `multipart/form-data` (`upload::read_fields`):
/// the API's, the honeypot, the form token, the centre, and one `rating_<criterion>` for
/// each criterion of a questionnaire an agency or centre of this deployment uses. The
/// criterion ids come from the operator's file, so the names are bounded by it; every other
/// name stays refused, and `Draft::read` takes only the questionnaire's that applies.
fn page_form(state: &AppState) -> crate::upload::FormSpec {
    let spec = intake::REPORT_FORM.clone().field(HONEYPOT, 1024).field(FORM_TOKEN, 256).field("centre", 256);
    evaluation::all_fields(&state.services, &state.keyring.agencies)
        .into_iter()
        .fold(spec, |s, name| s.field(name, intake::FLAG_BYTES))
}

/// The evaluation's first step, as the query of its GET form.
#[derive(serde::Deserialize)]
pub struct PlaceQuery {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    centre: String,
}

/// `GET /{lang}/report/{kind}`: the form for one kind (for a service evaluation,
/// `?agency=…&centre=…` chooses the place; a query that cannot be read is the first step).
pub async fn form(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path((_, kind)): Path<(String, String)>,
    query: Result<Query<PlaceQuery>, QueryRejection>,
) -> Response {
    let Ok(kind) = kind.parse::<Kind>() else {
        return errors::page_for_status(&state, lang, StatusCode::NOT_FOUND);
    };
    let mut draft = Draft::empty(kind);
    if let (Kind::ServiceEvaluation, Ok(Query(q))) = (kind, query) {
        draft.agency = q.agency;
        draft.centre = q.centre;
    }
    let token = state.form_tokens.issue();
    html(StatusCode::OK, form_page(&state, lang, &draft, &token, None))
}

/// The form page for `draft`'s kind, filled in with `draft`; `again` says why it is shown
/// again, if it is.
fn form_page(state: &AppState, lang: Lang, draft: &Draft, token: &str, again: Option<&Again>) -> Markup {
    let kind = draft.kind;
    let place = (kind == Kind::ServiceEvaluation)
        .then(|| evaluation::place_or_agency(state, &draft.agency, &draft.centre));
    // The language links keep a chosen place (its ids are plain: checked against the files).
    let here = match &place {
        Some(Ok((p, false))) => format!(
            "report/service_evaluation?agency={}&centre={}",
            p.agency.id,
            p.centre.map_or("", |c| c.id.as_str())
        ),
        _ => format!("report/{}", kind.as_str()),
    };
    let f = Frame::new(state, lang, &here);
    let title = f.t(&format!("kind-{}", kind.as_str()));
    let main = html! {
        h1 { (title) }
        @match again {
            None => p.lead { (f.t(&format!("kind-{}-desc", kind.as_str()))) },
            Some(why) => (again_notice(&f, why, true)),
        }
        @match &place {
            None => (report_form(&f, draft, None, token)),
            Some(Ok((p, dropped))) => {
                (evaluation::place_picker(&f, &draft.agency, &draft.centre, *dropped))
                (report_form(&f, draft, Some(p), token))
            },
            Some(Err(e)) => (evaluation::place_picker(&f, &draft.agency, &draft.centre,
                *e == evaluation::PlaceError::Unknown)),
        }
    };
    f.render(&title, main)
}

/// The report form; a service evaluation's is for `place`, chosen in the first step.
fn report_form(f: &Frame, d: &Draft, place: Option<&evaluation::Place>, form_token: &str) -> Markup {
    let kind = d.kind;
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
            @if let Some(p) = place {
                (evaluation::chosen_place(f, p))
                (evaluation::fieldsets(f, p.questionnaire, &d.ratings))
            } @else {
                label for="agency" { (f.t("form-agency")) }
                select #agency name="agency" required {
                    option value="" { (f.t("form-agency-choose")) }
                    @for a in &f.state.keyring.agencies {
                        @let name = agency_name(a, f.lang);
                        option value=(a.id) lang=(name.1) selected[a.id == d.agency] { (name.0) }
                    }
                }
            }
            @if kind == Kind::Compliment && evaluation::has_centres(f) {
                (evaluation::centre_select(f, "centre", &d.centre))
                p.hint { (f.t("form-compliment-centre-hint")) }
            }
            label for="body" { (f.t(&format!("kind-{}-body", kind.as_str()))) }
            @if kind == Kind::Complaint { p.hint { (f.t("form-complaint-centre-hint")) } }
            p.hint #body-hint {
                (f.lang.t_args("form-body-hint", &[("max", f.lang.digits(&max_body.to_string()))]))
            }
            // The leading newline is eaten by the HTML parser, keeping one the text may start with.
            textarea #body name="body" rows="8" maxlength=(max_body) required[!evaluation]
                aria-describedby="body-hint" dir="auto" { "\n" (d.body.as_str()) }
            label for="contact" { (f.t("form-contact")) }
            p.hint #contact-hint { (f.t("form-contact-hint")) }
            input #contact name="contact" type="text" maxlength=(intake::MAX_CONTACT_CHARS)
                autocomplete="off" aria-describedby="contact-hint" dir="auto" value=(d.contact.as_str());
            fieldset.options {
                legend { (f.t("form-options")) }
                @if may_bypass_agency {
                    div.check {
                        input #oversight type="checkbox" name="oversight_only" value="true"
                            aria-describedby="oversight-hint" checked[d.oversight_only];
                        label for="oversight" { (f.t("form-oversight")) }
                    }
                    p.hint #oversight-hint { (f.t("form-oversight-hint")) }
                }
                div.check {
                    input #receipt type="checkbox" name="receipt" value="true" aria-describedby="receipt-hint"
                        checked[d.receipt];
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
pub fn agency_name(a: &amana_core::keyring::Agency, lang: Lang) -> (String, String) {
    for tag in [lang.tag(), "en"] {
        if let Some(name) = a.name.get(tag) {
            return (name.clone(), tag.to_string());
        }
    }
    let any = a.name.iter().next();
    any.map(|(tag, name)| (name.clone(), tag.clone())).unwrap_or_else(|| (a.id.clone(), "en".into()))
}

/// Everything a person typed into the report form (files excepted), the text zeroized on
/// drop: what is stored when it is accepted, and what the form shows again when not.
struct Draft {
    kind: Kind,
    agency: String,
    /// The service centre chosen (evaluations and compliments), empty for none.
    centre: String,
    /// The text as typed (for a service evaluation, the comment without the ratings block).
    body: Zeroizing<String>,
    contact: Zeroizing<String>,
    oversight_only: bool,
    receipt: bool,
    /// The service evaluation's answers (empty for other kinds).
    ratings: evaluation::Answers,
    /// The honeypot field was filled in.
    honeypot: bool,
    /// The form token, as posted.
    token: Option<String>,
}

impl Draft {
    fn empty(kind: Kind) -> Self {
        Self {
            kind,
            agency: String::new(),
            centre: String::new(),
            body: Zeroizing::default(),
            contact: Zeroizing::default(),
            oversight_only: false,
            receipt: false,
            ratings: Vec::new(),
            honeypot: false,
            token: None,
        }
    }

    /// The draft in a posted form; `None` without a known kind (not our form). Only the
    /// answers to the questionnaire that applies are read; `stray` says another was sent.
    fn read(pairs: &mut [(String, String)], state: &AppState) -> Option<(Self, bool)> {
        let kind = take(pairs, "kind")?.parse::<Kind>().ok()?;
        let agency = take(pairs, "agency").unwrap_or_default();
        let centre = take(pairs, "centre").unwrap_or_default();
        let ratings = match evaluation::place_or_agency(state, &agency, &centre) {
            Ok((p, _)) if kind == Kind::ServiceEvaluation => {
                evaluation::read(p.questionnaire, |name| take(pairs, name))
            }
            _ => Vec::new(),
        };
        let stray = pairs.iter().any(|(k, v)| k.starts_with("rating_") && !v.is_empty());
        let draft = Self {
            kind,
            agency,
            centre,
            body: Zeroizing::new(take(pairs, "body").unwrap_or_default()),
            contact: Zeroizing::new(take(pairs, "contact").unwrap_or_default()),
            oversight_only: take(pairs, "oversight_only").is_some(),
            receipt: take(pairs, "receipt").is_some(),
            ratings,
            honeypot: take(pairs, HONEYPOT).is_some_and(|v| !v.trim().is_empty()),
            token: take(pairs, FORM_TOKEN),
        };
        Some((draft, stray))
    }

    /// A centre that the page did not offer for this agency (a tampered form, or a centre
    /// the operator removed since the page was shown).
    fn centre_refused(&self, state: &AppState) -> bool {
        matches!(self.kind, Kind::ServiceEvaluation | Kind::Compliment)
            && !self.centre.is_empty()
            && state.services.check_centre(&self.agency, &self.centre).is_err()
    }

    /// The submission the draft makes (for a service evaluation, the answers as data and,
    /// in the text, the ratings block and the comment), or `None` if it is incomplete.
    fn submission(&self) -> Option<SubmitReport> {
        let (body, ratings) = if self.kind == Kind::ServiceEvaluation {
            let answers = evaluation::complete(&self.ratings)?;
            (evaluation::compose(&answers, &self.body), Some(evaluation::as_data(&answers)))
        } else if self.body.trim().is_empty() {
            return None;
        } else {
            (self.body.to_string(), None)
        };
        Some(SubmitReport {
            kind: self.kind.as_str().to_string(),
            agency: self.agency.clone(),
            body,
            contact: Some(self.contact.to_string()),
            oversight_only: self.oversight_only,
            receipt: self.receipt,
            centre: (!self.centre.is_empty()).then(|| self.centre.clone()),
            ratings,
            // A commissioned visit's token comes through the API (docs/FORMATS.md §10).
            visit_token: None,
            uploads: Vec::new(),
        })
    }
}

/// `POST /{lang}/report`: stores the submission, then shows the code once. Whatever stops
/// it after the form was read — a form-token or honeypot check, an incomplete form, a file
/// limit, a busy server — shows the same form again with everything typed in it, and
/// stores nothing. No answer to a report form says "received" without showing a code.
pub async fn submit(State(state): State<AppState>, PageLang(lang): PageLang, req: Request) -> Response {
    let (mut pairs, files, refused) = match FormWithFiles::read(&state, req, &page_form(&state)).await {
        Ok(form) => (form.pairs, form.files, form.refused),
        Err(e) => return errors::page_for_error(&state, lang, e, Back::KeepsText),
    };
    let draft = Draft::read(&mut pairs, &state);
    wipe(&mut pairs);
    let Some((draft, stray)) = draft else {
        return errors::page_after_post(&state, lang, StatusCode::BAD_REQUEST, Back::KeepsText);
    };
    let again = |why: Again, status: StatusCode| {
        // A bot that does not post again stores nothing; a person loses nothing. The new
        // token is never refused for speed (`form_token`).
        let token = state.form_tokens.again(draft.token.as_deref());
        let mut resp = html(status, form_page(&state, lang, &draft, &token, Some(&why)));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        resp
    };
    if let Some(e) = refused {
        let (status, message) = errors::explain_again(lang, e);
        return again(Again::Failed(message), status);
    }
    if draft.honeypot || state.form_tokens.verdict(draft.token.as_deref()) == Verdict::Again {
        // Files, if any, stay unread in the request and are dropped with it.
        return again(Again::Check, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let invalid = || Again::Failed(lang.t("form-again-invalid"));
    if draft.centre_refused(&state) {
        return again(Again::Failed(lang.t("form-place-unknown")), StatusCode::BAD_REQUEST);
    }
    let Some(raw) = draft.submission().filter(|_| !stray) else {
        return again(invalid(), StatusCode::BAD_REQUEST);
    };
    // The text the receipt covers, for the reporter to keep with it (only when asked).
    let receipt_text = raw.receipt.then(|| Zeroizing::new(raw.body.clone()));
    let submission = match intake::validate(raw, &state) {
        Ok(s) => s,
        Err(_) => return again(invalid(), StatusCode::BAD_REQUEST),
    };
    match intake::submit(&state, submission, files).await {
        Ok(filed) => {
            let shown =
                Shown { code: filed.code.grouped(), receipt: filed.receipt, receipt_text, mismatch: false };
            html(StatusCode::CREATED, code_page(&state, lang, &shown))
        }
        Err(e) => {
            let (status, message) = errors::explain_again(lang, e);
            again(Again::Failed(message), status)
        }
    }
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

fn code_page(state: &AppState, lang: Lang, s: &Shown) -> maud::Markup {
    // No language links here: following one would lose the code.
    let f = Frame { state, lang, here: None };
    let receipt_json = s.receipt.as_ref().and_then(|r| serde_json::to_string(r).ok());
    let main = html! {
        h1 { (f.t("code-title")) }
        p { (f.t("code-intro")) }
        @if lang.dir() == Dir::Rtl { p #code-order { (f.t("code-order")) } }
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
        // The code page before this one answered a sent form: Back would send the report
        // again, so the error page does not suggest it.
        Err(rejection) => return errors::page_after_post(&state, lang, rejection.status(), Back::Nothing),
    };
    let shown = Zeroizing::new(take(&mut pairs, "code").unwrap_or_default());
    let typed = Zeroizing::new(take(&mut pairs, "typed").unwrap_or_default());
    let receipt = take(&mut pairs, "receipt").and_then(|r| serde_json::from_str::<Receipt>(&r).ok());
    let receipt_text = take(&mut pairs, "receipt_text").map(Zeroizing::new);
    wipe(&mut pairs);
    let Ok(code) = FollowUpCode::parse(&ascii_digits(&shown)) else {
        return errors::page_after_post(&state, lang, StatusCode::BAD_REQUEST, Back::Nothing);
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
