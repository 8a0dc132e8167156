//! `kpis --publish PERIOD --out FILE`: the public figures of a period, per agency, with the
//! disclosure rules applied (`amana_core::disclosure`, SECURITY.md "Published figures") and
//! signed by an oversight key, ready for the public transparency page.
//!
//! Only cases received in the period count; cases sent to oversight only and junk never do.
//! Per agency: cases received by kind and in all (counts below k hidden, others rounded to 5),
//! the share acknowledged on time and the median days to acknowledge and to the first reply,
//! each with its n, the mean satisfaction rating, and the evaluation scores per centre
//! (`evaluations`) — each shown only where the rules allow. Every agency of the roster and
//! every kind is listed, each period, even with no case: leaving one out would say "zero",
//! which is a count below k. A period is a calendar quarter (periods never overlap, and a
//! year is the sum of its quarters: `amana_core::publication::year`), published only 120
//! days after it ends.
//!
//! The file is `{"document": "<JSON text>", "key_id", "signature"}`: base64 Ed25519 over
//! `amana-transparency-1\n` followed by the document's bytes.

mod evaluations;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use amana_core::case::Kind;
use amana_core::disclosure::{self, Rules};
use amana_core::events::EventKind;
use amana_core::publication::{self, AgencyFigures, Document, FORMAT};
use amana_core::wire::CaseBundle;

use crate::cases::{self, printable};
use crate::history;
use crate::home::{self, Home};
use crate::passphrase::Unlocker;
use crate::period::Period;

/// Builds, signs and writes the period's figures to a new file at `out`.
pub fn run(home: &Home, period: Period, k: u32, out: &Path) -> anyhow::Result<()> {
    let rules = Rules::new(k).map_err(anyhow::Error::msg)?;
    require_quarter(period)?;
    let today = time::OffsetDateTime::now_utc().date();
    if !disclosure::publishable(period.to, today) {
        anyhow::bail!(
            "the period ends on {}: it can be published {} days after it ends, so that late events do not change it",
            period.to,
            disclosure::EMBARGO_DAYS
        );
    }
    let me = crate::trust::me(home)?;
    if !me.is_oversight() {
        anyhow::bail!(
            "only oversight reviewers publish figures (the roster does not list `{}` as oversight)",
            me.key_id
        );
    }
    let bundles: Vec<CaseBundle> = cases::load_all(home)?.into_iter().map(|c| c.bundle).collect();
    let counted: Vec<&CaseBundle> =
        bundles.iter().filter(|b| !b.oversight_only && b.status.counts_in_figures()).collect();
    let mut agencies: BTreeSet<String> =
        me.roster.reviewers.iter().flat_map(|r| r.agencies.iter().map(|a| printable(a))).collect();
    agencies.extend(counted.iter().map(|b| printable(&b.agency)));
    let public: Vec<&CaseBundle> =
        counted.into_iter().filter(|b| period.contains(history::received_on(b))).collect();
    let document = Document {
        format: FORMAT.into(),
        deployment_id: me.deployment_id,
        from: period.from,
        to: period.to,
        k,
        agencies: figures(&agencies, &public, &rules, today),
    };
    let key = home.signing_key(&mut Unlocker::default())?;
    let signed = publication::sign(&key, &me.key_id, &document)?;
    home::create_new_file(out, &serde_json::to_vec_pretty(&signed)?)?;
    eprintln!("figures for {} to {} signed and written to {}", period.from, period.to, out.display());
    Ok(())
}

/// Only calendar quarters are published: overlapping periods could be subtracted from each
/// other, and a year is the sum of its quarters, never signed on its own.
fn require_quarter(period: Period) -> anyhow::Result<()> {
    if publication::quarter(period.from, period.to).is_some() {
        return Ok(());
    }
    anyhow::bail!(
        "publish calendar quarters (--period 2026-Q1 … 2026-Q4): periods that overlap could be subtracted \
         from each other, and a year is shown as the sum of its four published quarters"
    )
}

/// Per agency, every agency of `agencies` (with no case too), with the rules applied.
fn figures(
    agencies: &BTreeSet<String>,
    cases: &[&CaseBundle],
    rules: &Rules,
    today: time::Date,
) -> Vec<AgencyFigures> {
    let mut by_agency: BTreeMap<String, Vec<&CaseBundle>> =
        agencies.iter().map(|a| (a.clone(), Vec::new())).collect();
    for b in cases {
        by_agency.entry(printable(&b.agency)).or_default().push(b);
    }
    by_agency.into_iter().map(|(agency, list)| agency_figures(agency, &list, rules, today)).collect()
}

fn agency_figures(agency: String, list: &[&CaseBundle], rules: &Rules, today: time::Date) -> AgencyFigures {
    let mut by_kind: BTreeMap<String, u64> = Kind::ALL.iter().map(|k| (k.to_string(), 0)).collect();
    for b in list {
        *by_kind.entry(b.kind.to_string()).or_default() += 1;
    }
    let k = crate::kpis::group(agency.clone(), "all".into(), list, today);
    let mut reply_days: Vec<f64> = list.iter().filter_map(|b| days_to_first_reply(b)).collect();
    let replied = reply_days.len() as u64;
    AgencyFigures {
        received: rules.count(list.len() as u64),
        received_by_kind: by_kind.into_iter().map(|(kind, n)| (kind, rules.count(n))).collect(),
        acknowledged_on_time: rules.rate(k.on_time as u64, k.settled as u64),
        median_days_to_acknowledge: rules.statistic(k.acknowledged as u64, k.median_days_to_acknowledge),
        satisfaction: rules.statistic(k.ratings as u64, k.average_rating),
        rated: rules.count(k.ratings as u64),
        acknowledged: Some(rules.count(k.acknowledged as u64)),
        settled: Some(rules.count(k.settled as u64)),
        median_days_to_first_reply: rules.statistic(replied, crate::kpis::median(&mut reply_days)),
        replied: Some(rules.count(replied)),
        evaluations: evaluations::figures(list, rules),
        agency,
    }
}

/// Days from receipt to the first reply to the reporter, from the verified history.
fn days_to_first_reply(b: &CaseBundle) -> Option<f64> {
    let on = b.events.iter().find(|e| e.kind == EventKind::Reply)?.on;
    Some((on - history::received_on(b)).whole_days() as f64)
}

/// `publish-figures FILE`: uploads a signed figures file as it is (from the connected machine:
/// the file carries oversight's signature, so no key is needed here).
pub fn upload(server: Option<&str>, file: &Path) -> anyhow::Result<()> {
    let server = server.filter(|s| !s.is_empty()).ok_or(crate::error::ReviewError::NoServerFlag)?;
    let body = std::fs::read(file).map_err(crate::error::io_error(file))?;
    let client = crate::client::Client::new(server)?;
    client.post_unsigned(amana_core::wire::paths::PUBLICATIONS, &body)?;
    crate::output::say!("published {}: the transparency page now shows it", file.display());
    Ok(())
}
