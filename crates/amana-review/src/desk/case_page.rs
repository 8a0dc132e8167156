//! A case: its details and deadlines, the signed status history (who signed what), the whole
//! thread in order, what this reviewer signed that still waits in the outbox, the
//! attachments, and the action forms. Decrypted in memory only; the page is `no-store`.

use std::sync::Arc;

use amana_core::events::EventKind;
use amana_core::payload::{Part, Payload};
use amana_core::wire::{paths, ReplyUpload};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use zeroize::Zeroizing;

use crate::cases::{self, printable, LocalCase};
use crate::passphrase::Unlocker;
use crate::show::{self, ThreadPart};
use crate::{attachments, outbox};

use super::file_warnings;
use super::html::{csrf, esc, inline_text, page, reporter_text};
use super::i18n::{Lang, Words};
use super::inbox_page::{error_box, html_response, locked_page};
use super::state::Desk;

/// `?inspect=ID`: inspect this large attachment's metadata now.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CaseQuery {
    inspect: Option<String>,
}

/// `GET /case/{id}`.
pub async fn show(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Response {
    let lang = super::lang_of(&desk, &headers);
    let d = desk.clone();
    let built = tokio::task::spawn_blocking(move || build(&d, lang, &id, q.inspect.as_deref())).await;
    match built {
        Ok(Ok(Some(html))) => html_response(html),
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "no such case in this home").into_response(),
        Ok(Err(e)) => html_response(page(&desk, lang, lang.t().details, &error_box(&e), 0)),
        Err(e) => html_response(page(&desk, lang, lang.t().details, &error_box(&anyhow::anyhow!("{e}")), 0)),
    }
}

fn build(
    desk: &Desk,
    lang: Lang,
    id: &str,
    inspect: Option<&str>,
) -> anyhow::Result<Option<Zeroizing<String>>> {
    let home = &desk.home;
    let pending = outbox::pending(home)?.len();
    if crate::key_cache::needs_passphrase(home)? {
        return Ok(Some(locked_page(desk, lang, pending)));
    }
    let Some(case) = cases::load(home, id).ok().flatten() else {
        return Ok(None);
    };
    let t = lang.t();
    let identity = home.identity(&mut Unlocker::default())?;
    let parts = show::decrypt_all(&case, &identity)?;
    let mut body = Zeroizing::new(String::with_capacity(16 * 1024));
    if crate::quarantine::Quarantine::load(home)?.0.contains_key(id) {
        body.push_str(&format!("<p class=\"flash err\" role=\"alert\">{}</p>", t.quarantined_case));
    }
    body.push_str(&details(t, &case));
    body.push_str(&history(t, &case));
    body.push_str(&format!("<section aria-labelledby=\"thread\"><h2 id=\"thread\">{}</h2>", t.thread));
    for part in &parts {
        thread_part(&mut body, t, part);
    }
    waiting(&mut body, t, home, &case, &identity)?;
    body.push_str("</section>");
    body.push_str(&attachment_list(desk, t, &case, &identity, inspect));
    body.push_str(&action_forms(desk, t, &case));
    let title = format!("{} {}", t.details, case.bundle.id);
    Ok(Some(page(desk, lang, &title, &body, pending)))
}

fn details(t: &Words, case: &LocalCase) -> String {
    let b = &case.bundle;
    let row = |k: &str, v: String| format!("<dt>{k}</dt><dd>{v}</dd>");
    let readers: Vec<String> = b.recipients.iter().map(|r| esc(&printable(&r.key_id))).collect();
    let mut out = String::from("<dl class=\"details\">");
    out.push_str(&row(t.kind, b.kind.as_str().into()));
    out.push_str(&row(t.agency, esc(&printable(&b.agency))));
    out.push_str(&row(t.status, format!("<strong>{}</strong>", b.status.as_str())));
    out.push_str(&row(t.received, b.received_on.to_string()));
    if !b.status.is_closed() {
        out.push_str(&row(t.acknowledge_by, b.deadlines.acknowledge_by.to_string()));
        out.push_str(&row(t.feedback_by, b.deadlines.feedback_by.to_string()));
    }
    out.push_str(&row(t.extension_days, b.extension_days.to_string()));
    if b.escalated {
        out.push_str(&row(t.escalated, "✓".into()));
    }
    if b.oversight_only {
        out.push_str(&row(t.oversight_only, "✓".into()));
    }
    if let Some(r) = b.rating {
        out.push_str(&row(t.rating, format!("{r} / 5")));
    }
    out.push_str(&row(t.readers, readers.join(", ")));
    if let Some(holder) = crate::readers::custody_of(b).holder {
        out.push_str(&row(t.held_by, esc(&printable(&holder))));
    }
    out.push_str("</dl>");
    if let Some(e) = crate::evaluation::of_case(b) {
        out.push_str(&format!(
            "<pre class=\"evaluation\" dir=\"ltr\">{}</pre>",
            esc(&crate::evaluation::render(&e))
        ));
    }
    out
}

fn history(t: &Words, case: &LocalCase) -> String {
    let mut out = format!(
        "<section aria-labelledby=\"history\"><h2 id=\"history\">{}</h2><div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{label}\"><table><thead><tr>\
         <th scope=\"col\">#</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        t.history,
        t.date,
        t.status,
        t.reviewer,
        label = t.history
    );
    for ev in &case.bundle.events {
        let detail: serde_json::Value = serde_json::from_str(&ev.detail).unwrap_or_default();
        let extra = match ev.kind {
            EventKind::Transferred | EventKind::Excluded | EventKind::Assigned => {
                show::custody_note(ev.kind, &detail)
            }
            EventKind::Extended => {
                detail.get("days").and_then(serde_json::Value::as_i64).map(|d| format!(" (+{d})"))
            }
            _ => None,
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td dir=\"ltr\">{}</td><td>{} → {}{}</td><td>{}</td></tr>",
            ev.seq,
            ev.on,
            ev.kind.as_str(),
            ev.status.as_str(),
            esc(&extra.unwrap_or_default()),
            esc(&ev.actor.as_deref().map(printable).unwrap_or_default()),
        ));
    }
    out.push_str("</tbody></table></div></section>");
    out
}

fn part_title(t: &Words, p: &Payload) -> String {
    let by = |label: &str| match &p.author {
        Some(a) => format!("{label} {}", esc(&printable(a))),
        None => label.to_string(),
    };
    match p.part {
        Part::Report => t.report.to_string(),
        Part::FollowUp => t.follow_up.to_string(),
        Part::Reply => by(t.reply_by),
        Part::Note => by(t.note_by),
    }
}

fn thread_part(out: &mut Zeroizing<String>, t: &Words, part: &ThreadPart<'_>) {
    let p = match &part.payload {
        Ok(p) => p,
        Err(_) => {
            out.push_str(&format!("<article class=\"part unreadable\"><p>{}</p></article>", t.unreadable));
            return;
        }
    };
    let class = p.part.as_str();
    out.push_str(&format!(
        "<article class=\"part {class}\"><h3>{} <small>({} <span dir=\"ltr\">{}</span>)</small></h3>",
        part_title(t, p),
        t.written,
        p.written_on
    ));
    reporter_text(out, &p.body);
    if let Some(contact) = &p.contact {
        reporter_text(out, contact);
    }
    out.push_str("</article>");
}

/// Replies this reviewer signed that still wait in the outbox: shown at once, marked so.
fn waiting(
    out: &mut Zeroizing<String>,
    t: &Words,
    home: &crate::home::Home,
    case: &LocalCase,
    identity: &age::x25519::Identity,
) -> anyhow::Result<()> {
    let replies = paths::replies(&case.bundle.id);
    for file in outbox::pending_to(home, &replies)? {
        let Ok(upload) = serde_json::from_str::<ReplyUpload>(&file.body) else { continue };
        let Ok(bytes) = B64.decode(&upload.age_b64) else { continue };
        let Ok(plain) = amana_core::envelope::decrypt(&bytes, &[identity]) else { continue };
        let Ok(p) = Payload::decode(&plain) else { continue };
        out.push_str(&format!(
            "<article class=\"part pending\"><h3>{} <small>({})</small></h3>",
            part_title(t, &p),
            t.in_outbox
        ));
        reporter_text(out, &p.body);
        out.push_str("</article>");
    }
    Ok(())
}

fn attachment_list(
    desk: &Desk,
    t: &Words,
    case: &LocalCase,
    identity: &age::x25519::Identity,
    inspect: Option<&str>,
) -> String {
    let list = &case.bundle.attachments;
    if list.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<section aria-labelledby=\"files\"><h2 id=\"files\">{}</h2><ul class=\"files\">",
        t.attachments
    );
    for att in list {
        let fetched = if attachments::is_fetched(&case.dir, att) { t.fetched } else { t.not_fetched };
        let with = attachments::came_with(&case.bundle, &att.envelope_id);
        match attachments::open_meta(case, att, identity) {
            Ok(meta) => {
                out.push_str("<li><bdi class=\"name\">");
                out.push_str(&inline_text(&meta.name));
                out.push_str(&format!(
                    "</bdi> <span dir=\"ltr\">{} · {} {}</span> · {} · {fetched}",
                    inline_text(&meta.content_type),
                    meta.size,
                    t.bytes,
                    esc(&with)
                ));
                out.push_str(&file_warnings::line(&desk.files, t, case, att, &meta, identity, inspect));
                out.push_str("</li>");
            }
            Err(e) => out.push_str(&format!("<li>{} · {}</li>", esc(&e.to_string()), esc(&with))),
        }
    }
    out.push_str(&format!(
        "</ul><form method=\"post\" action=\"/case/{id}/export\">{csrf}<p><input type=\"checkbox\" id=\"strip\" \
         name=\"strip\" value=\"1\" checked> <label for=\"strip\">{strip}</label></p><button type=\"submit\">{export}</button></form></section>",
        id = case.bundle.id,
        csrf = csrf(desk),
        strip = t.export_strip,
        export = t.export,
    ));
    out
}

/// One action form: a heading, fields, a button.
fn form(desk: &Desk, id: &str, action: &str, title: &str, fields: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/case/{id}/{action}\" class=\"action\"><fieldset><legend>{title}</legend>{}{fields}\
         <button type=\"submit\">{button}</button></fieldset></form>",
        csrf(desk)
    )
}

fn textarea(id: &str, name: &str, label: &str, required: bool) -> String {
    let req = if required { " required" } else { "" };
    format!("<p><label for=\"{id}\">{label}</label><textarea id=\"{id}\" name=\"{name}\" rows=\"4\" dir=\"auto\"{req}></textarea></p>")
}

fn input(id: &str, name: &str, label: &str, kind: &str) -> String {
    format!("<p><label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{name}\" type=\"{kind}\" dir=\"ltr\"></p>")
}

fn action_forms(desk: &Desk, t: &Words, case: &LocalCase) -> String {
    let b = &case.bundle;
    let id = b.id.as_str();
    let mut out = format!(
        "<section aria-labelledby=\"actions\"><h2 id=\"actions\">{}</h2><div class=\"forms\">",
        t.actions
    );
    let allowed = b.status.next_allowed();
    if allowed.contains(&amana_core::case::Status::Acknowledged) {
        out.push_str(&form(desk, id, "ack", t.acknowledge, "", t.acknowledge));
    }
    out.push_str(&form(desk, id, "reply", t.reply, &(textarea("reply-text", "message", t.reply, true)
        + &format!("<p><input type=\"checkbox\" id=\"anyway\" name=\"anyway\" value=\"1\"> <label for=\"anyway\">{}</label></p>", t.anyway)), t.send));
    if allowed.contains(&amana_core::case::Status::NeedsInfo) {
        out.push_str(&form(
            desk,
            id,
            "needs-info",
            t.request_info,
            &textarea("info-text", "message", t.request_info, true),
            t.send,
        ));
    }
    if !allowed.is_empty() {
        let options: String = allowed.iter().map(|s| format!("<option>{}</option>", s.as_str())).collect();
        let fields = format!("<p><label for=\"status-to\">{}</label><select id=\"status-to\" name=\"status\">{options}</select></p>{}",
            t.status, textarea("status-note", "note", t.note, false));
        out.push_str(&form(desk, id, "status", t.move_status, &fields, t.send));
        let fields = input("extend-days", "days", t.days, "number")
            + &textarea("extend-reason", "reason", t.reason, true);
        out.push_str(&form(desk, id, "extend", t.extend, &fields, t.send));
    }
    out.push_str(&form(
        desk,
        id,
        "assign",
        t.assign,
        &input("assign-to", "to", t.to_reviewer, "text"),
        t.assign,
    ));
    if crate::trust::me(&desk.home).is_ok_and(|me| me.is_oversight()) {
        out.push_str(&format!("</div><h3>{}</h3><div class=\"forms\">", t.oversight));
        out.push_str(&form(desk, id, "rewrap", t.rewrap, "", t.rewrap));
        let fields = textarea("hold-reason", "reason", t.reason, true)
            + &input("hold-date", "review_on", t.review_on, "date");
        out.push_str(&form(desk, id, "hold", t.hold, &fields, t.hold));
        out.push_str(&form(desk, id, "release", t.release, "", t.release));
        out.push_str(&form(
            desk,
            id,
            "transfer",
            t.transfer,
            &input("transfer-to", "agency", t.to_agency, "text"),
            t.transfer,
        ));
        out.push_str(&form(
            desk,
            id,
            "exclude",
            t.exclude,
            &input("exclude-who", "reviewer", t.reviewer, "text"),
            t.exclude,
        ));
    }
    out.push_str("</div></section>");
    out
}

/// Pull and push (online), or import, carry and authorize (air-gapped): on the inbox page.
pub fn sync_forms(desk: &Desk, t: &Words) -> String {
    let c = csrf(desk);
    let simple = |action: &str, label: &str| {
        format!("<form method=\"post\" action=\"/sync/{action}\" class=\"action\">{c}<button type=\"submit\">{label}</button></form>")
    };
    let with_path = |action: &str, legend: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/sync/{action}\" class=\"action\"><fieldset><legend>{legend}</legend>{c}\
             <p><label for=\"{action}-path\">{label}</label><input id=\"{action}-path\" name=\"path\" dir=\"ltr\"></p>\
             <button type=\"submit\">{legend}</button></fieldset></form>"
        )
    };
    let mut out =
        format!("<section aria-labelledby=\"sync\"><h2 id=\"sync\">{}</h2><div class=\"forms\">", t.sync);
    if desk.offline {
        out.push_str(&with_path("import", t.import, t.bundle_path));
        out.push_str(&with_path("carry", t.export_outbox, t.folder));
        out.push_str(&with_path("authorize", t.authorize, t.auth_file));
    } else {
        out.push_str(&simple("pull", t.pull));
        out.push_str(&simple("push", t.push));
    }
    out.push_str("</div></section>");
    out
}
