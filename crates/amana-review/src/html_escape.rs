//! Escaping text for HTML, one implementation for everything the CLI renders as HTML: the
//! desk's pages (`desk::html`) and the operations-room report (`report`).

/// Escapes text for an element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    push(&mut out, text);
    out
}

/// Appends `text` to `out`, escaped.
pub fn push(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
