//! The frame every page shares: language and direction, the demo banner, the language
//! links and the footer. Only our own stylesheet and icon are loaded; no script at all.

use maud::{html, Markup, DOCTYPE};

use crate::{i18n::Lang, state::AppState};

/// What a page needs to draw its frame.
#[derive(Clone, Copy)]
pub struct Frame<'a> {
    pub state: &'a AppState,
    pub lang: Lang,
    /// The path after the language segment that the language links lead to (`""` for
    /// the start page, `"status"`, `"report/complaint"`), or `None` for no language links:
    /// the code page has none, so a click cannot lose a code that is shown only once.
    pub here: Option<&'a str>,
}

impl<'a> Frame<'a> {
    /// A frame whose language links lead to `here` in each language.
    pub fn new(state: &'a AppState, lang: Lang, here: &'a str) -> Self {
        Self { state, lang, here: Some(here) }
    }

    /// The message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A path inside this language (`/ar/status`).
    pub fn href(&self, rest: &str) -> String {
        format!("/{}/{rest}", self.lang.tag())
    }

    /// The full page around `main`.
    pub fn render(&self, title: &str, main: Markup) -> Markup {
        let lang = self.lang;
        html! {
            (DOCTYPE)
            html lang=(lang.tag()) dir=(lang.dir().as_str()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    title { (title) " — " (self.t("site-name")) }
                    link rel="stylesheet" href="/static/amana.css";
                    link rel="icon" href="/static/icon.svg" type="image/svg+xml";
                }
                body {
                    a.skip href="#main" { (self.t("skip-to-content")) }
                    header.site {
                        @if self.state.demo {
                            p.demo { strong { (self.t("demo-banner")) } }
                        }
                        p.brand {
                            a href=(self.href("")) { (self.t("site-name")) }
                            span.tagline { (self.t("site-tagline")) }
                        }
                        @if let Some(here) = self.here { (self.language_links(here)) }
                    }
                    main #main { (main) }
                    footer.site {
                        p { (self.t("footer-privacy")) }
                        p { a href=(self.href("status")) { (self.t("footer-check")) } }
                    }
                }
            }
        }
    }

    fn language_links(&self, here: &str) -> Markup {
        html! {
            nav.langs aria-label=(self.t("languages")) {
                ul {
                    @for l in Lang::ALL {
                        li {
                            @if l == self.lang {
                                span lang=(l.tag()) dir=(l.dir().as_str()) aria-current="true" { (l.endonym()) }
                            } @else {
                                a href={ "/" (l.tag()) "/" (here) } lang=(l.tag()) hreflang=(l.tag())
                                    dir=(l.dir().as_str()) { (l.endonym()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The follow-up code in large, grouped digits of the page's numeral system, always
/// left to right. Each group is one unbreakable unit, so a narrow screen wraps between
/// groups, never inside one. The stylesheet numbers the groups 1 to 5 above them (in the
/// page's digits), so a right-to-left reader sees where the code starts; the numbers are
/// generated content, so copying the code copies digits only.
pub fn code_display(lang: Lang, grouped: &str, id: &str) -> Markup {
    html! {
        p.code id=(id) dir="ltr" {
            @for (i, group) in grouped.split(' ').enumerate() {
                @if i > 0 { " " }
                span.group dir="ltr" { (lang.digits(group)) }
            }
        }
    }
}

/// The optional evidence-file input, with the limits stated before anything is sent
/// (without JavaScript the browser cannot check them). Must be the form's last field:
/// the server reads text fields first.
pub fn files_field(f: &Frame, id: &str) -> Markup {
    let hint = format!("{id}-hint");
    let u = &f.state.uploads;
    let args = [
        ("count", f.lang.digits(&u.max_files_per_case.to_string())),
        ("file", f.lang.digits(&u.max_file_mb.to_string())),
        ("total", f.lang.digits(&u.max_case_files_mb.to_string())),
    ];
    html! {
        label for=(id) { (f.t("form-files")) }
        p.hint id=(hint) { (f.lang.t_args("form-files-hint", &args)) " " (f.t("form-files-metadata")) }
        input id=(id) name="attachment" type="file" multiple aria-describedby=(hint);
    }
}

/// A follow-up code field: every action asks for the code again (there are no sessions).
/// `id` keeps two forms on one page apart.
pub fn code_field(f: &Frame, id: &str, label_key: &str) -> Markup {
    let hint = format!("{id}-hint");
    html! {
        label for=(id) { (f.t(label_key)) }
        p.hint id=(hint) { (f.t("code-hint")) }
        input id=(id) name="code" type="text" inputmode="numeric" autocomplete="off" autocapitalize="off"
            spellcheck="false" dir="ltr" maxlength="128" required aria-describedby=(hint);
    }
}

/// Why a form is shown again: the sentences above it.
pub enum Again {
    /// A check that says nothing to the reporter (too fast, token missing or expired,
    /// honeypot): only "check and send again".
    Check,
    /// Something the reporter can act on (a mistyped code, a file limit, a busy server),
    /// already in their language.
    Failed(String),
}

/// What a form shown again says first: what happened (if the reporter can act on it),
/// that the text is below and nothing was sent, and (for a form that takes `files`) that
/// files must be chosen again: a browser never sends them twice.
pub fn again_notice(f: &Frame, why: &Again, files: bool) -> Markup {
    html! {
        div.notice #again role="alert" {
            @match why {
                Again::Check => p { strong { (f.t("form-again")) } },
                Again::Failed(message) => {
                    p.error { (message) }
                    p { strong { (f.t("form-again-kept")) } }
                },
            }
            @if files { p { (f.t("form-again-files")) } }
        }
    }
}
