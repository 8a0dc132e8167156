//! The reporter pages' languages: which exist, how one is chosen, and how their strings and
//! numbers are written.
//!
//! * Strings live in Project Fluent files, one folder per language under `src/locales/`,
//!   compiled into the binary (`fluent-templates`' static loader). English is the fallback
//!   for a key a translation lacks, but a unit test requires every key in every language.
//! * The language lives in the path (`/ar/…`); there are no cookies. `/` picks one from
//!   `Accept-Language` and falls back to Arabic, the deployment's first language.
//! * Digits are shown in the numeral system customary for the language (CLDR's default
//!   numbering system): Arabic-Indic for Arabic, Persian for Persian, Bengali for Bengali,
//!   Latin for the others (Urdu and Hindi included: CLDR and everyday web use default to
//!   Latin digits there). Input is always accepted in Latin digits as well
//!   ([`ascii_digits`]).

use fluent_templates::{fluent_bundle::FluentValue, static_loader, LanguageIdentifier, Loader};
use std::{borrow::Cow, collections::HashMap, sync::LazyLock};

static_loader! {
    static LOCALES = {
        locales: "./src/locales",
        fallback_language: "en",
    };
}

/// A language of the reporter pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Ar,
    En,
    Fr,
    Ur,
    Hi,
    Fa,
    Bn,
    Fil,
}

/// Text direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Ltr,
    Rtl,
}

impl Dir {
    /// The value of an HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Ltr => "ltr",
            Dir::Rtl => "rtl",
        }
    }
}

/// The deployment's first language: what `/` redirects to when nothing else matches.
pub const DEFAULT: Lang = Lang::Ar;

// The tags are constants checked by a unit test (`language_ids_match_tags`); the default
// ("und") keeps this off the panic path of every request all the same.
static IDS: LazyLock<[LanguageIdentifier; 8]> =
    LazyLock::new(|| Lang::ALL.map(|l| l.tag().parse().unwrap_or_default()));

impl Lang {
    /// Every language, in the order the language links show them.
    pub const ALL: [Lang; 8] =
        [Lang::Ar, Lang::En, Lang::Fr, Lang::Ur, Lang::Hi, Lang::Fa, Lang::Bn, Lang::Fil];

    /// The BCP 47 tag, also the first path segment (`/ar/…`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Ur => "ur",
            Lang::Hi => "hi",
            Lang::Fa => "fa",
            Lang::Bn => "bn",
            Lang::Fil => "fil",
        }
    }

    /// The language's name in itself, for the language links.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::Ar => "العربية",
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Ur => "اردو",
            Lang::Hi => "हिन्दी",
            Lang::Fa => "فارسی",
            Lang::Bn => "বাংলা",
            Lang::Fil => "Filipino",
        }
    }

    /// Writing direction.
    pub fn dir(self) -> Dir {
        match self {
            Lang::Ar | Lang::Ur | Lang::Fa => Dir::Rtl,
            _ => Dir::Ltr,
        }
    }

    /// The language whose tag is `tag` exactly (path segments are lower case).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag() == tag)
    }

    fn id(self) -> &'static LanguageIdentifier {
        let i = Lang::ALL.iter().position(|l| *l == self).unwrap_or(0);
        &IDS[i]
    }

    /// The zero of the language's customary digits; `None` for Latin digits.
    fn zero(self) -> Option<char> {
        match self {
            Lang::Ar => Some('\u{0660}'),
            Lang::Fa => Some('\u{06F0}'),
            Lang::Bn => Some('\u{09E6}'),
            _ => None,
        }
    }

    /// Whether the language writes digits other than 0–9.
    pub fn has_own_digits(self) -> bool {
        self.zero().is_some()
    }

    /// `text` with its ASCII digits written in the language's customary digits.
    pub fn digits(self, text: &str) -> String {
        let Some(zero) = self.zero() else { return text.to_string() };
        text.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => char::from_u32(zero as u32 + d).unwrap_or(c),
                _ => c,
            })
            .collect()
    }

    /// The message `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The message `key` with string arguments (already localized by the caller).
    pub fn t_args(self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> =
            args.iter().map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone()))).collect();
        LOCALES.lookup_with_args(self.id(), key, &map)
    }

    /// A `YYYY-MM-DD` date in words (`23 November 2026`), or the input unchanged if it is
    /// not such a date.
    pub fn date(self, iso: &str) -> String {
        let mut parts = iso.splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return self.digits(iso);
        };
        let (Ok(month), Ok(day)) = (m.parse::<u8>(), d.parse::<u8>()) else { return self.digits(iso) };
        if !(1..=12).contains(&month) {
            return self.digits(iso);
        }
        self.t_args(
            "date",
            &[
                ("day", self.digits(&day.to_string())),
                ("month", self.t(&format!("month-{month}"))),
                ("year", self.digits(y)),
            ],
        )
    }
}

/// The best supported language in an `Accept-Language` header, by quality then order;
/// `None` if none matches. Only the primary subtag counts (`ar-JO` → Arabic); `tl`
/// (Tagalog) is taken as Filipino.
pub fn negotiate(accept_language: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for item in accept_language.split(',').take(32) {
        let mut fields = item.split(';');
        let tag = fields.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = fields
            .filter_map(|f| f.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        // Thousandths, so the comparison is exact; q=0 means "not this one".
        let q = (quality.clamp(0.0, 1.0) * 1000.0) as u16;
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        let lang = match primary {
            "tl" => Some(Lang::Fil),
            p => Lang::from_tag(p),
        };
        if let Some(lang) = lang {
            if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, l)| l)
}

/// `input` with Bengali and Devanagari digits turned into ASCII digits, for the numbers the
/// pages read themselves (a rating). Codes pass through it too, though the code parser
/// accepts every digit the pages show on its own (docs/FORMATS.md §1).
pub fn ascii_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| {
            let base = match c {
                '\u{09E6}'..='\u{09EF}' => 0x09E6,
                '\u{0966}'..='\u{096F}' => 0x0966,
                _ => return c,
            };
            char::from(b'0' + (c as u32 - base) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests;
