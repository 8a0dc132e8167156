//! The inbox: every case of the verified home, what needs attention first — unverified
//! (quarantined), overdue, escalated, the reporter answered, new (with the days left to
//! acknowledge) — then the other open cases by their next deadline, then closed ones.
//! Filters by agency, kind, status and centre; search by case id.

use std::collections::BTreeSet;
use std::sync::Arc;

use amana_core::deadlines;
use amana_core::events::EventKind;
use amana_core::wire::CaseBundle;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use time::Date;
use zeroize::Zeroizing;

use crate::cases::{self, LocalCase};
use crate::quarantine::Quarantine;

use super::html::{csrf, esc, page};
use super::i18n::{Lang, Words};
use super::state::Desk;

/// What a case needs, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    Unverified,
    Overdue,
    Escalated,
    Answered,
    New,
    Open,
    Closed,
}

/// The filters of the inbox (a GET form).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Filter {
    agency: String,
    kind: String,
    status: String,
    centre: String,
    q: String,
}

impl Filter {
    fn keeps(&self, b: &CaseBundle, centre: Option<&str>) -> bool {
        let is = |want: &str, have: &str| want.is_empty() || want == have;
        is(&self.agency, &b.agency)
            && is(&self.kind, b.kind.as_str())
            && is(&self.status, b.status.as_str())
            && is(&self.centre, centre.unwrap_or_default())
            && b.id.starts_with(self.q.trim())
    }
}

/// A row of the inbox.
struct Row {
    id: String,
    need: Need,
    due: Option<Date>,
    bundle: Option<CaseBundle>,
    since: Option<Date>,
}

/// Whether the reporter wrote after the last thing a reviewer did (a reply to "needs
/// information", say): `pull` counts no new case then, yet it needs a reader.
pub fn reporter_answered(b: &CaseBundle) -> bool {
    let last_reviewer = b.events.iter().rposition(|e| e.actor.is_some());
    let last_follow_up = b.events.iter().rposition(|e| e.kind == EventKind::FollowUp);
    matches!((last_follow_up, last_reviewer), (Some(f), Some(r)) if f > r) && !b.status.is_closed()
}

/// What `b` needs on `today`.
pub fn need_of(b: &CaseBundle, quarantined: bool, today: Date) -> Need {
    if quarantined {
        Need::Unverified
    } else if deadlines::is_overdue(b.status, &b.deadlines, today) {
        Need::Overdue
    } else if b.escalated && !b.status.is_closed() {
        Need::Escalated
    } else if reporter_answered(b) {
        Need::Answered
    } else if b.status == amana_core::case::Status::Received {
        Need::New
    } else if b.status.is_closed() {
        Need::Closed
    } else {
        Need::Open
    }
}

fn rows(cases: Vec<LocalCase>, q: &Quarantine, today: Date) -> Vec<Row> {
    let mut rows: Vec<Row> = cases
        .into_iter()
        .map(|c| {
            let since = q.0.get(&c.bundle.id).map(|e| e.since);
            let b = c.bundle;
            Row {
                id: b.id.clone(),
                need: need_of(&b, since.is_some(), today),
                due: deadlines::next_due(b.status, &b.deadlines),
                bundle: Some(b),
                since,
            }
        })
        .collect();
    for (id, e) in &q.0 {
        if !rows.iter().any(|r| &r.id == id) {
            rows.push(Row {
                id: id.clone(),
                need: Need::Unverified,
                due: None,
                bundle: None,
                since: Some(e.since),
            });
        }
    }
    rows.sort_by(|a, b| (a.need, a.due, &a.id).cmp(&(b.need, b.due, &b.id)));
    rows
}

/// `GET /`: the inbox (or the unlock page).
pub async fn show(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Query(filter): Query<Filter>,
) -> Response {
    let lang = super::lang_of(&desk, &headers);
    let d = desk.clone();
    let built = tokio::task::spawn_blocking(move || build(&d, lang, &filter)).await;
    let html = match built {
        Ok(Ok(html)) => html,
        Ok(Err(e)) => page(&desk, lang, lang.t().inbox, &error_box(&e), 0),
        Err(e) => page(&desk, lang, lang.t().inbox, &error_box(&anyhow::anyhow!("{e}")), 0),
    };
    html_response(html)
}

/// A page's HTML as the answer.
pub fn html_response(html: Zeroizing<String>) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html.as_str().to_string()).into_response()
}

/// An error in words on the page.
pub fn error_box(e: &anyhow::Error) -> String {
    format!("<p class=\"flash err\" role=\"alert\">{}</p>", esc(&format!("{e:#}")))
}

fn build(desk: &Desk, lang: Lang, filter: &Filter) -> anyhow::Result<Zeroizing<String>> {
    let pending = crate::outbox::pending(&desk.home)?.len();
    if crate::key_cache::needs_passphrase(&desk.home)? {
        return Ok(locked_page(desk, lang, pending));
    }
    let t = lang.t();
    let today = time::OffsetDateTime::now_utc().date();
    let all = rows(cases::load_all(&desk.home)?, &Quarantine::load(&desk.home)?, today);
    let mut body = filters_form(t, filter, &all);
    let shown: Vec<&Row> = all
        .iter()
        .filter(|r| {
            r.bundle.as_ref().map_or(filter.q.is_empty() || r.id.starts_with(filter.q.trim()), |b| {
                filter.keeps(b, centre_of(b).as_deref())
            })
        })
        .collect();
    if shown.is_empty() {
        body.push_str(&format!("<p>{}</p>", t.no_cases));
    } else {
        body.push_str(&table(t, &shown, today));
    }
    body.push_str(&super::case_page::sync_forms(desk, t));
    Ok(page(desk, lang, t.inbox, &body, pending))
}

fn centre_of(b: &CaseBundle) -> Option<String> {
    crate::evaluation::of_case(b).and_then(|e| e.centre)
}

/// The page that asks for the passphrase.
pub fn locked_page(desk: &Desk, lang: Lang, pending: usize) -> Zeroizing<String> {
    let t = lang.t();
    let body = format!(
        "<form method=\"post\" action=\"/unlock\" class=\"unlock\">{}<label for=\"passphrase\">{}</label>\
         <input id=\"passphrase\" name=\"passphrase\" type=\"password\" autocomplete=\"off\" required autofocus>\
         <button type=\"submit\">{}</button></form>",
        csrf(desk),
        t.passphrase,
        t.unlock
    );
    page(desk, lang, t.unlock_title, &body, pending)
}

fn select(id: &str, label: &str, any: &str, values: &BTreeSet<String>, chosen: &str) -> String {
    let mut out = format!("<p><label for=\"f-{id}\">{label}</label><select id=\"f-{id}\" name=\"{id}\"><option value=\"\">{any}</option>");
    for v in values {
        let sel = if v == chosen { " selected" } else { "" };
        out.push_str(&format!("<option{sel}>{}</option>", esc(v)));
    }
    out.push_str("</select></p>");
    out
}

fn filters_form(t: &Words, f: &Filter, rows: &[Row]) -> String {
    let values = |get: &dyn Fn(&CaseBundle) -> Option<String>| -> BTreeSet<String> {
        rows.iter().filter_map(|r| r.bundle.as_ref()).filter_map(get).collect()
    };
    let agencies = values(&|b| Some(b.agency.clone()));
    let kinds = values(&|b| Some(b.kind.as_str().to_string()));
    let statuses = values(&|b| Some(b.status.as_str().to_string()));
    let centres = values(&|b| centre_of(b));
    format!(
        "<form method=\"get\" action=\"/\" class=\"filters\" role=\"search\"><fieldset><legend>{}</legend>{}{}{}{}\
         <p><label for=\"f-q\">{}</label><input id=\"f-q\" name=\"q\" value=\"{}\" dir=\"ltr\"></p>\
         <p><button type=\"submit\">{}</button></p></fieldset></form>",
        t.filters,
        select("agency", t.agency, t.any, &agencies, &f.agency),
        select("kind", t.kind, t.any, &kinds, &f.kind),
        select("status", t.status, t.any, &statuses, &f.status),
        select("centre", t.centre, t.any, &centres, &f.centre),
        t.case_id,
        esc(&f.q),
        t.apply
    )
}

fn need_text(t: &Words, r: &Row, today: Date) -> String {
    match r.need {
        Need::Unverified => {
            format!("{} {}", t.unverified, r.since.map(|d| d.to_string()).unwrap_or_default())
        }
        Need::Overdue => t.overdue.to_string(),
        Need::Escalated => t.escalated.to_string(),
        Need::Answered => t.answered.to_string(),
        Need::New => {
            let left = r.bundle.as_ref().map_or(0, |b| (b.deadlines.acknowledge_by - today).whole_days());
            format!("{} ({left} {})", t.new_case, t.days_left)
        }
        Need::Open => t.open.to_string(),
        Need::Closed => t.closed.to_string(),
    }
}

fn table(t: &Words, rows: &[&Row], today: Date) -> String {
    let mut out = format!(
        "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{label}\"><table class=\"inbox\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th></tr></thead><tbody>",
        t.case_id,
        t.attention,
        t.kind,
        t.agency,
        t.status,
        t.received,
        t.due,
        label = t.inbox
    );
    for r in rows {
        let id = esc(&r.id);
        let link = if r.bundle.is_some() { format!("<a href=\"/case/{id}\">{id}</a>") } else { id.clone() };
        let (kind, agency, status, received) = r.bundle.as_ref().map_or_else(Default::default, |b| {
            (
                b.kind.as_str().to_string(),
                esc(&cases::printable(&b.agency)),
                b.status.as_str().to_string(),
                b.received_on.to_string(),
            )
        });
        let due = r.due.map(|d| d.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "<tr class=\"need-{need:?}\"><td dir=\"ltr\">{link}</td><td>{text}</td><td>{kind}</td><td>{agency}</td>\
             <td>{status}</td><td dir=\"ltr\">{received}</td><td dir=\"ltr\">{due}</td></tr>",
            need = r.need,
            text = need_text(t, r, today),
        ));
    }
    out.push_str("</tbody></table></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use amana_core::case::{Kind, Status};

    fn bundle(id: &str, day: u8) -> CaseBundle {
        let on = time::Date::from_calendar_date(2026, time::Month::November, day).expect("date");
        amana_testkit::chain::empty_bundle(id, Kind::Complaint, on, false)
    }

    #[test]
    fn attention_first() {
        let today = time::Date::from_calendar_date(2026, time::Month::November, 5).expect("date");
        let mut closed = bundle("closed", 4);
        closed.status = Status::ClosedUnfounded;
        let mut escalated = bundle("esc", 4);
        escalated.status = Status::InReview;
        escalated.escalated = true;
        let cases = [bundle("late", 1), bundle("new", 4), closed, escalated]
            .into_iter()
            .map(|bundle| LocalCase { dir: Default::default(), bundle })
            .collect();
        let mut q = Quarantine::default();
        q.put("gone", "tampered".into(), today);
        let order: Vec<(String, Need)> = rows(cases, &q, today).into_iter().map(|r| (r.id, r.need)).collect();
        let want = [
            ("gone", Need::Unverified),
            ("late", Need::Overdue),
            ("esc", Need::Escalated),
            ("new", Need::New),
            ("closed", Need::Closed),
        ];
        assert_eq!(order, want.map(|(i, n)| (i.to_string(), n)));
    }
}
