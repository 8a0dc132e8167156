//! `improvement open|close|list`: oversight opens and closes periods (signed with its key,
//! sent to the server at once); any home lists the ones it verified.

use amana_core::improvement::{self, Document, Signed, FORMAT};
use amana_core::wire::paths::IMPROVEMENTS;
use time::Date;

use crate::home::Home;
use crate::passphrase::Unlocker;

/// What `improvement open` was given.
pub struct Opening<'a> {
    pub agency: &'a str,
    pub centre: Option<&'a str>,
    pub reason: &'a str,
    pub criteria: &'a [String],
    /// Default: a month after today.
    pub deadline: Option<Date>,
}

fn require_oversight(home: &Home) -> anyhow::Result<crate::trust::Me> {
    let me = crate::trust::me(home)?;
    if !me.is_current_oversight() {
        anyhow::bail!(
            "only a current oversight reviewer opens or closes improvement periods (the roster does not list `{}` as one)",
            me.key_id
        );
    }
    Ok(me)
}

/// Signs, sends and keeps a document.
fn send(home: &Home, server: Option<&str>, me: &crate::trust::Me, doc: &Document) -> anyhow::Result<()> {
    improvement::check(doc).map_err(|why| anyhow::anyhow!("the period is not valid: {why}"))?;
    let config = home.read_config()?;
    let url = crate::session::server_url(home, &config, server)?;
    let key = home.signing_key(&mut Unlocker::default())?;
    let signed = improvement::sign(&key, &me.key_id, doc)?;
    let client = crate::client::Client::new(&url)?;
    client.post_unsigned(IMPROVEMENTS, &serde_json::to_vec(&signed)?)?;
    super::keep(home, doc, &signed)?;
    Ok(())
}

/// `improvement open`.
pub fn open(home: &Home, server: Option<&str>, o: &Opening) -> anyhow::Result<()> {
    let me = require_oversight(home)?;
    let today = time::OffsetDateTime::now_utc().date();
    let deadline = match o.deadline {
        Some(d) => d,
        None => today.checked_add(time::Duration::days(30)).unwrap_or(today),
    };
    let doc = Document {
        format: FORMAT.into(),
        deployment_id: me.deployment_id.clone(),
        id: improvement::new_id(),
        agency: o.agency.to_string(),
        centre: o.centre.map(str::to_string),
        reason: o.reason.to_string(),
        criteria: o.criteria.to_vec(),
        opened_on: today,
        deadline,
        closed_on: None,
    };
    send(home, server, &me, &doc)?;
    crate::output::say!("improvement period {} opened for {}, deadline {deadline}", doc.id, scope(&doc));
    Ok(())
}

/// `improvement close ID` (a unique prefix is enough).
pub fn close(home: &Home, server: Option<&str>, id: &str) -> anyhow::Result<()> {
    let me = require_oversight(home)?;
    let held = super::held(home)?;
    let matching: Vec<&(Document, Signed)> =
        held.iter().filter(|(d, _)| !id.is_empty() && d.id.starts_with(id)).collect();
    let [(doc, _)] = matching.as_slice() else {
        anyhow::bail!(
            "{} improvement periods on this home match `{id}`: run `amana-review improvement list` and give a longer id",
            matching.len()
        );
    };
    if let Some(on) = doc.closed_on {
        anyhow::bail!("improvement period {} was closed on {on}", doc.id);
    }
    let today = time::OffsetDateTime::now_utc().date();
    let closed = Document { closed_on: Some(today), ..doc.clone() };
    send(home, server, &me, &closed)?;
    crate::output::say!("improvement period {} closed for {}", doc.id, scope(doc));
    Ok(())
}

fn scope(d: &Document) -> String {
    match &d.centre {
        Some(c) => format!("{} / {c}", d.agency),
        None => d.agency.clone(),
    }
}

/// `improvement list`: every period this home verified, with its state.
pub fn list(home: &Home) -> anyhow::Result<()> {
    let held = super::held(home)?;
    if held.is_empty() {
        crate::output::say!(
            "no improvement periods on this home (oversight opens them; `pull` fetches them)"
        );
        return Ok(());
    }
    let today = time::OffsetDateTime::now_utc().date();
    let mut out =
        String::from("ID                                SCOPE  OPENED  DEADLINE  STATE  CRITERIA  REASON\n");
    for (d, s) in &held {
        let state = match d.closed_on {
            Some(on) => format!("closed {on}"),
            None if today > d.deadline => "open, past deadline".to_string(),
            None => "open".to_string(),
        };
        out.push_str(&format!(
            "{}  {}  {}  {}  {state}  {}  {} (signed by {})\n",
            d.id,
            crate::cases::printable(&scope(d)),
            d.opened_on,
            d.deadline,
            crate::cases::printable(&d.criteria.join(",")),
            crate::cases::printable(&d.reason),
            crate::cases::printable(&s.key_id)
        ));
    }
    crate::output::stdout(&out)
}

/// `improvement …`.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Oversight: open a period for an agency or one of its centres (signed with your key and
    /// sent to the server, which hands it to that agency's reviewers)
    Open {
        /// The agency id
        #[arg(long)]
        agency: String,
        /// A service centre of that agency (the whole agency without it)
        #[arg(long)]
        centre: Option<String>,
        /// Why (clear text, read by the agency: about the service, never about a reporter)
        #[arg(long)]
        reason: String,
        /// The figures to improve, comma-separated: on_time, days_to_acknowledge,
        /// days_to_feedback, overdue, satisfaction, or evaluation criteria ids
        #[arg(long, value_delimiter = ',', required = true)]
        criteria: Vec<String>,
        /// The deadline, YYYY-MM-DD [default: 30 days from today]
        #[arg(long, value_parser = parse_date)]
        deadline: Option<Date>,
    },
    /// Oversight: close a period (its before/after figures then show in `kpis`)
    Close {
        /// The period's id (a unique prefix is enough)
        id: String,
    },
    /// The periods this home holds (fetched by `pull`), open and closed
    List,
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| format!("`{s}` is not a date: use YYYY-MM-DD"))
}

/// Runs an [`Action`].
pub fn run(home: &Home, server: Option<&str>, action: &Action) -> anyhow::Result<()> {
    match action {
        Action::Open { agency, centre, reason, criteria, deadline } => open(
            home,
            server,
            &Opening { agency, centre: centre.as_deref(), reason, criteria, deadline: *deadline },
        ),
        Action::Close { id } => close(home, server, id),
        Action::List => list(home),
    }
}
