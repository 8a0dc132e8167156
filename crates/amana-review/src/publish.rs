//! `kpis --publish PERIOD --out FILE`: the public figures of a period, per agency, with the
//! disclosure rules applied (`amana_core::disclosure`, SECURITY.md "Published figures") and
//! signed by an oversight key, ready for the public transparency page.
//!
//! Only cases received in the period count; cases sent to oversight only and junk never do.
//! Per agency: cases received by kind and in all (counts below k hidden, others rounded to 5),
//! the share acknowledged on time and the median days to acknowledge, and the mean
//! satisfaction rating — each shown only where the rules allow. A period can be published
//! only 120 days after it ends.
//!
//! The file is `{"document": "<JSON text>", "key_id", "signature"}`: base64 Ed25519 over
//! `amana-transparency-1\n` followed by the document's bytes.

use std::collections::BTreeMap;
use std::path::Path;

use amana_core::disclosure::{self, Rules};
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
    let public: Vec<&CaseBundle> = bundles
        .iter()
        .filter(|b| !b.oversight_only && b.status.counts_in_figures())
        .filter(|b| period.contains(history::received_on(b)))
        .collect();
    let document = Document {
        format: FORMAT.into(),
        deployment_id: me.deployment_id,
        from: period.from,
        to: period.to,
        k,
        agencies: figures(&public, &rules, today),
    };
    let key = home.signing_key(&mut Unlocker::default())?;
    let signed = publication::sign(&key, &me.key_id, &document)?;
    home::create_new_file(out, &serde_json::to_vec_pretty(&signed)?)?;
    eprintln!("figures for {} to {} signed and written to {}", period.from, period.to, out.display());
    Ok(())
}

/// Per agency, with the rules applied.
fn figures(cases: &[&CaseBundle], rules: &Rules, today: time::Date) -> Vec<AgencyFigures> {
    let mut by_agency: BTreeMap<String, Vec<&CaseBundle>> = BTreeMap::new();
    for b in cases {
        by_agency.entry(printable(&b.agency)).or_default().push(b);
    }
    by_agency
        .into_iter()
        .map(|(agency, list)| {
            let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
            for b in &list {
                *by_kind.entry(b.kind.to_string()).or_default() += 1;
            }
            let k = crate::kpis::group(agency.clone(), "all".into(), &list, today);
            AgencyFigures {
                agency,
                received: rules.count(list.len() as u64),
                received_by_kind: by_kind.into_iter().map(|(kind, n)| (kind, rules.count(n))).collect(),
                acknowledged_on_time: rules.rate(k.on_time as u64, k.settled as u64),
                median_days_to_acknowledge: rules
                    .statistic(k.acknowledged as u64, k.median_days_to_acknowledge),
                satisfaction: rules.statistic(k.ratings as u64, k.average_rating),
                rated: rules.count(k.ratings as u64),
            }
        })
        .collect()
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
