//! An action's result in the reviewer's language.
//!
//! The CLI's commands say what they did in English (`say!`), and the desk runs those same
//! commands (one implementation). So the desk does not translate their lines: it gives each
//! action a headline of its own in the page's language — what was done, or why it was
//! refused and what to do next, from the error's kind (never from its English text) — and
//! shows the command's own lines below it, in a "Details" block marked English and
//! left-to-right so an Arabic page keeps its direction around them.

use crate::error::ReviewError;
use amana_core::reviewer_keys::KeyFileError;

use super::html::esc;
use super::i18n::{Lang, Words};

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (sent to the server, or done on this laptop).
    Done,
    /// Signed and put in the outbox; this many actions now wait to be carried.
    Queued(usize),
    Refused(Refusal),
}

/// The refusals a reviewer meets, each with its own next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Replayed,
    Forbidden,
    Unreachable,
    Passphrase,
    Signature,
    Transition,
    Quarantined,
    Upgrade,
    Other,
}

/// The refusal an error is, from its kind anywhere in its chain.
pub fn refusal_of(e: &anyhow::Error) -> Refusal {
    e.chain().find_map(|c| c.downcast_ref::<ReviewError>()).map_or(Refusal::Other, kind)
}

fn kind(e: &ReviewError) -> Refusal {
    match e {
        ReviewError::AlreadySeen { .. } => Refusal::Replayed,
        ReviewError::Refused { status: 403, .. }
        | ReviewError::NotOversight { .. }
        | ReviewError::CustodyNotOversight { .. }
        | ReviewError::RewrapNotOversight(_) => Refusal::Forbidden,
        ReviewError::Unreachable { .. } => Refusal::Unreachable,
        ReviewError::KeyFile { cause: KeyFileError::WrongPassphrase, .. } => Refusal::Passphrase,
        ReviewError::SignatureRefused { .. } => Refusal::Signature,
        ReviewError::InvalidTransition { .. } => Refusal::Transition,
        ReviewError::Quarantined(_) => Refusal::Quarantined,
        ReviewError::UpgradeNeeded { .. } => Refusal::Upgrade,
        ReviewError::PushStopped { cause, .. } => kind(cause),
        _ => Refusal::Other,
    }
}

/// The headline for `action` ending as `outcome`, in the page's language.
pub fn headline(t: &Words, action: &str, outcome: Outcome) -> String {
    match outcome {
        Outcome::Queued(n) => t.r_queued.replace("{n}", &n.to_string()),
        Outcome::Refused(r) => refusal_words(t, r).to_string(),
        Outcome::Done => done_words(t, action).to_string(),
    }
}

fn done_words(t: &Words, action: &str) -> &'static str {
    match action {
        "ack" => t.r_ack,
        "status" => t.r_status,
        "reply" => t.r_reply,
        "needs-info" => t.r_needs_info,
        "extend" => t.r_extend,
        "rewrap" => t.r_rewrap,
        "hold" => t.r_hold,
        "release" => t.r_release,
        "transfer" => t.r_transfer,
        "exclude" => t.r_exclude,
        "assign" => t.r_assign,
        "export" => t.r_export,
        "pull" => t.r_pull,
        "push" => t.r_push,
        "import" => t.r_import,
        "carry" => t.r_carry,
        "authorize" => t.r_authorize,
        _ => t.done,
    }
}

fn refusal_words(t: &Words, r: Refusal) -> &'static str {
    match r {
        Refusal::Replayed => t.e_replayed,
        Refusal::Forbidden => t.e_forbidden,
        Refusal::Unreachable => t.e_unreachable,
        Refusal::Passphrase => t.e_passphrase,
        Refusal::Signature => t.e_signature,
        Refusal::Transition => t.e_transition,
        Refusal::Quarantined => t.e_quarantined,
        Refusal::Upgrade => t.e_upgrade,
        Refusal::Other => t.e_other,
    }
}

/// The result box: the headline in the page's language, the command's own lines under
/// "Details" (English, left-to-right).
pub fn result_box(lang: Lang, action: &str, outcome: Outcome, said: &str) -> String {
    let t = lang.t();
    let (class, role) = match outcome {
        Outcome::Refused(_) => ("err", "alert"),
        _ => ("ok", "status"),
    };
    format!(
        "<section class=\"flash {class}\" role=\"{role}\"><h2>{}</h2><details><summary>{}</summary>\
         <pre lang=\"en\" dir=\"ltr\">{}</pre></details></section>",
        esc(&headline(t, action, outcome)),
        t.details_block,
        esc(said.trim_end())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_come_from_the_error_kind_not_its_words() {
        let replayed = anyhow::Error::from(ReviewError::AlreadySeen { message: "x".into() }).context("push");
        assert_eq!(refusal_of(&replayed), Refusal::Replayed);
        let wrong = ReviewError::KeyFile { path: "k".into(), cause: KeyFileError::WrongPassphrase };
        assert_eq!(refusal_of(&wrong.into()), Refusal::Passphrase);
        let far = ReviewError::Unreachable { url: "u".into(), detail: "d".into() };
        assert_eq!(refusal_of(&far.into()), Refusal::Unreachable);
        assert_eq!(refusal_of(&anyhow::anyhow!("could not reach")), Refusal::Other);
        let ar = headline(Lang::Ar.t(), "reply", Outcome::Queued(3));
        assert!(ar.contains('3') && ar.contains("صندوق الصادر"), "{ar}");
        assert_eq!(headline(Lang::En.t(), "reply", Outcome::Done), "Reply sent and signed");
    }
}
