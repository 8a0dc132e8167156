//! HTML building blocks: escaping, reporters' text made safe to look at, the page frame.

use zeroize::Zeroizing;

use super::i18n::Lang;
use super::state::{Desk, Flash};

/// Escapes text for an element or a quoted attribute.
pub use crate::html_escape::escape as esc;
use crate::html_escape::push as push_esc;

/// Characters that would reorder or hide text if interpreted: shown as `⟨U+202E⟩` instead.
/// Bidi embeddings, overrides and isolates, the implicit marks, and control characters
/// other than newline and tab.
fn shown_as_code(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// A reporter's (or any decrypted) text as HTML: escaped, every bidi or control character
/// made visible and inert, inside a block whose direction follows its own first strong
/// letter. Zeroizing: it is case content.
pub fn reporter_text(out: &mut Zeroizing<String>, text: &str) {
    out.push_str("<div class=\"text\" dir=\"auto\">");
    let mut plain = Zeroizing::new(String::new());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if shown_as_code(c) {
            push_esc(out, &plain);
            plain.clear();
            out.push_str(&format!("<span class=\"ctl\">⟨U+{:04X}⟩</span>", c as u32));
        } else {
            plain.push(c);
        }
    }
    push_esc(out, &plain);
    out.push_str("</div>");
}

/// A short decrypted text (a file name, a content type) for inline use: escaped, and bidi
/// or control characters made visible, like [`reporter_text`]; the caller isolates it.
pub fn inline_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if shown_as_code(c) || c == '\n' || c == '\t' {
            out.push_str(&format!("<span class=\"ctl\">⟨U+{:04X}⟩</span>", c as u32));
        } else {
            push_esc(&mut out, c.encode_utf8(&mut [0; 4]));
        }
    }
    out
}

/// The hidden form field every POST must carry.
pub fn csrf(desk: &Desk) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", desk.csrf)
}

/// A whole page: header (inbox, mode, outbox count, languages, lock), the last action's
/// result, then `body`.
pub fn page(desk: &Desk, lang: Lang, title: &str, body: &str, pending: usize) -> Zeroizing<String> {
    page_with(desk, lang, title, body, pending, "")
}

/// [`page`] with more in its `<head>` (a stylesheet, the progress page's refresh).
pub fn page_with(
    desk: &Desk,
    lang: Lang,
    title: &str,
    body: &str,
    pending: usize,
    head: &str,
) -> Zeroizing<String> {
    let t = lang.t();
    let mode = if desk.offline { t.offline_mode } else { t.online_mode };
    let waiting = if pending > 0 {
        format!("<p class=\"outbox\" role=\"status\"><strong>{pending}</strong> {}</p>", t.waiting)
    } else {
        String::new()
    };
    let flash = desk.take_flash().map(|f| flash(lang, &f)).unwrap_or_default();
    let mut out = Zeroizing::new(String::with_capacity(body.len() + 4096));
    out.push_str(&format!(
        "<!doctype html>\n<html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {app}</title><link rel=\"stylesheet\" href=\"/style.css\">{head}</head><body>\
         <a class=\"skip\" href=\"#main\">{skip}</a><header><nav aria-label=\"{app}\">\
         <a href=\"/\">{inbox}</a><a href=\"/kpis\">{kpis}</a><span class=\"mode\">{mode}</span>{waiting}\
         <span class=\"langs\"><a href=\"/lang/en\" lang=\"en\" hreflang=\"en\">English</a> \
         <a href=\"/lang/ar\" lang=\"ar\" hreflang=\"ar\">العربية</a></span>\
         <form method=\"post\" action=\"/lock\" class=\"lock\">{csrf}<button type=\"submit\">{lock}</button></form>\
         </nav></header><main id=\"main\"><h1>{title}</h1>{flash}",
        code = lang.code(),
        dir = lang.dir(),
        title = esc(title),
        app = t.title,
        skip = t.skip,
        inbox = t.inbox,
        kpis = t.kpis,
        csrf = csrf(desk),
        lock = t.lock,
    ));
    out.push_str(body);
    out.push_str("</main></body></html>\n");
    out
}

/// The last action's result: a headline in the page's language, the command's own words below.
fn flash(lang: Lang, f: &Flash) -> String {
    super::outcome::result_box(lang, &f.action, f.outcome, &f.said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(esc("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
    }

    #[test]
    fn names_are_inline_and_inert() {
        assert_eq!(inline_text("a\u{202E}gpj.exe<"), "a<span class=\"ctl\">⟨U+202E⟩</span>gpj.exe&lt;");
    }

    #[test]
    fn bidi_and_controls_are_visible_and_inert() {
        let mut out = Zeroizing::new(String::new());
        reporter_text(&mut out, "pay \u{202E}001$\u{202C} <b>\u{1b}[2J\r\nرشوة\u{200F}");
        assert_eq!(
            out.as_str(),
            "<div class=\"text\" dir=\"auto\">pay <span class=\"ctl\">⟨U+202E⟩</span>001$\
             <span class=\"ctl\">⟨U+202C⟩</span> &lt;b&gt;<span class=\"ctl\">⟨U+001B⟩</span>[2J\n\
             رشوة<span class=\"ctl\">⟨U+200F⟩</span></div>"
        );
    }
}
