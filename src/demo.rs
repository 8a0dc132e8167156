//! Demo mode: with no reviewer keys and a loopback address, the server prepares a demo
//! deployment in the data directory (sample agencies, an oversight reviewer and one agency
//! reviewer with unprotected keys), so a fresh clone is usable at once. Never on a public
//! address: `startup` refuses that.

use amana_core::reviewer_keys::{home, ReviewerSecrets};
use amana_core::roster;
use anyhow::Context;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use crate::keys::{AGENCIES_FILE, REVIEWERS_DIR};

const AGENCIES: &str = r#"# Demo agencies. A real deployment lists its own in keys/agencies.toml.
deployment_id = "amana-demo"

[[agency]]
id = "health"
name = { ar = "وزارة الصحة", en = "Ministry of Health", fr = "Ministère de la Santé", ur = "وزارتِ صحت", hi = "स्वास्थ्य मंत्रालय", fa = "وزارت بهداشت", bn = "স্বাস্থ্য মন্ত্রণালয়", fil = "Kagawaran ng Kalusugan" }

[[agency]]
id = "transport"
name = { ar = "وزارة النقل", en = "Ministry of Transport", fr = "Ministère des Transports", ur = "وزارتِ مواصلات", hi = "परिवहन मंत्रालय", fa = "وزارت حمل‌ونقل", bn = "পরিবহন মন্ত্রণালয়", fil = "Kagawaran ng Transportasyon" }

[[agency]]
id = "municipality"
name = { ar = "أمانة المدينة", en = "Greater Municipality", fr = "Grande Municipalité", ur = "بلدیہ عظمیٰ", hi = "महानगर पालिका", fa = "شهرداری کلان‌شهر", bn = "মহানগর পৌরসভা", fil = "Pamahalaang Lungsod" }
"#;

/// Demo service centres, added to the shipped questionnaires.
const CENTRES: &str = r#"
[agency.health]
questionnaire = "service-axes"

[[centre]]
id = "central-hospital"
agency = "health"
name = { ar = "المستشفى المركزي", en = "Central Hospital", fr = "Hôpital central", ur = "مرکزی ہسپتال", hi = "केंद्रीय अस्पताल", fa = "بیمارستان مرکزی", bn = "কেন্দ্রীয় হাসপাতাল", fil = "Sentral na Ospital" }
place = { ar = "العاصمة", en = "Capital governorate" }

[[centre]]
id = "north-licensing"
agency = "transport"
name = { ar = "مركز ترخيص الشمال", en = "North Licensing Centre", fr = "Centre des permis du Nord", ur = "شمالی لائسنسنگ مرکز", hi = "उत्तर लाइसेंस केंद्र", fa = "مرکز صدور گواهینامهٔ شمال", bn = "উত্তর লাইসেন্স কেন্দ্র", fil = "Sentro ng Lisensya sa Hilaga" }
place = { ar = "الشمال", en = "North governorate" }
"#;

/// The demo's services: the shipped questionnaires and [`CENTRES`].
pub fn services_toml() -> String {
    format!("{}\n{CENTRES}", amana_core::services::DEFAULT_TOML)
}

/// The demo reviewers: (key id, agencies, oversight).
const REVIEWERS: [(&str, &[&str], bool); 2] =
    [("demo-oversight", &[], true), ("demo-health", &["health"], false)];

/// Paths of a prepared demo deployment.
pub struct Demo {
    /// The key directory the server loads.
    pub keys_dir: PathBuf,
    /// Reviewer homes, by key id, for `amana-review --home`.
    pub homes: Vec<(String, PathBuf)>,
}

/// Prepares (or reuses) the demo deployment under `data_dir/demo`: keys, homes, and a roster
/// signed by a demo roster key (unprotected, in the data directory — demo only) whose
/// fingerprint each demo home trusts.
pub fn prepare(data_dir: &Path, server_url: &str, attestation: &Ed25519KeyPair) -> anyhow::Result<Demo> {
    let root = data_dir.join("demo");
    let keys_dir = root.join("keys");
    fs::create_dir_all(keys_dir.join(REVIEWERS_DIR)).context("cannot create demo key directory")?;
    let agencies = keys_dir.join(AGENCIES_FILE);
    if !agencies.exists() {
        fs::write(&agencies, AGENCIES)?;
    }
    let mut homes = Vec::new();
    for (id, agencies, oversight) in REVIEWERS {
        let home_dir = root.join(id);
        let entry_path = keys_dir.join(REVIEWERS_DIR).join(format!("{id}.toml"));
        if !entry_path.exists() {
            write_reviewer(&home_dir, &entry_path, id, agencies, oversight, server_url)?;
        }
        homes.push((id.to_string(), home_dir));
    }
    sign_roster(&root, &keys_dir, &homes, attestation)?;
    Ok(Demo { keys_dir, homes })
}

/// Signs `keys/roster.json` from the demo entries (again whenever they or the server key
/// changed) and records the roster key's fingerprint in every demo home.
fn sign_roster(
    root: &Path,
    keys_dir: &Path,
    homes: &[(String, PathBuf)],
    attestation: &Ed25519KeyPair,
) -> anyhow::Result<()> {
    let key_path = root.join("roster.key");
    if !key_path.exists() {
        write_secret(&key_path, roster::generate_key_file()?.as_bytes())?;
    }
    let key = roster::parse_key_file(&fs::read_to_string(&key_path)?)?;
    let keyring = crate::keys::load_entries_for_demo(keys_dir)?;
    let roster_path = keys_dir.join(crate::keys::ROSTER_FILE);
    let previous = fs::read(&roster_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<roster::SignedRoster>(&b).ok())
        .and_then(|s| s.open_self_signed().ok());
    let mut next = roster::Roster {
        format: roster::FORMAT.into(),
        deployment_id: keyring.deployment_id.clone(),
        version: 1,
        issued_on: time::OffsetDateTime::now_utc().date(),
        attestation_key: B64.encode(attestation.public_key().as_ref()),
        reviewers: keyring
            .reviewers
            .iter()
            .map(|r| roster::RosterEntry::from_reviewer_entry(&r.entry))
            .collect(),
        vouched_heads: vec![],
    };
    match previous {
        Some(p) if (&p.attestation_key, &p.reviewers) == (&next.attestation_key, &next.reviewers) => {}
        other => {
            next.version = other.map_or(1, |p| p.version + 1);
            fs::write(&roster_path, serde_json::to_vec_pretty(&roster::sign(&key, &next)?)?)?;
        }
    }
    let fingerprint = roster::fingerprint(key.public_key().as_ref());
    for (_, home_dir) in homes {
        let path = home_dir.join(home::CONFIG_FILE);
        let mut config: home::ReviewerConfig = toml::from_str(&fs::read_to_string(&path)?)?;
        // The deployment id too, so a demo home works with `--offline` and the air gap from
        // the start (it is otherwise learnt on the first online command).
        let deployment = Some(keyring.deployment_id.clone());
        if config.roster_fingerprint.as_deref() != Some(fingerprint.as_str())
            || config.deployment_id != deployment
        {
            config.roster_fingerprint = Some(fingerprint.clone());
            config.deployment_id = deployment;
            fs::write(&path, toml::to_string(&config)?)?;
        }
    }
    Ok(())
}

fn write_reviewer(
    home_dir: &Path,
    entry_path: &Path,
    id: &str,
    agencies: &[&str],
    oversight: bool,
    server_url: &str,
) -> anyhow::Result<()> {
    fs::create_dir_all(home_dir)?;
    fs::set_permissions(home_dir, fs::Permissions::from_mode(0o700))?;
    let secrets = ReviewerSecrets::generate()?;
    let today = time::OffsetDateTime::now_utc().date();
    write_secret(&home_dir.join(home::IDENTITY_FILE), secrets.identity_file(today).as_bytes())?;
    write_secret(&home_dir.join(home::SIGNING_FILE), secrets.signing_key_file().as_bytes())?;
    let entry = secrets.public_entry(id, agencies.iter().map(|s| s.to_string()).collect(), oversight)?;
    let entry_toml = toml::to_string(&entry)?;
    fs::write(home_dir.join(home::PUBLIC_ENTRY_FILE), &entry_toml)?;
    let config = home::ReviewerConfig {
        key_id: id.to_string(),
        server: Some(server_url.to_string()),
        deployment_id: None,
        roster_fingerprint: None,
    };
    fs::write(home_dir.join(home::CONFIG_FILE), toml::to_string(&config)?)?;
    fs::write(entry_path, entry_toml)?;
    Ok(())
}

fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    Ok(())
}

/// The banner printed at start-up in demo mode.
pub fn banner(demo: &Demo, url: &str) -> String {
    let mut s = format!(
        "\n==================== DEMO MODE ====================\n\
         No reviewer keys were found, so Amana is running a DEMO deployment.\n\
         Demo reviewer keys are UNPROTECTED files in the data directory:\n\
         anyone with this machine can read every report. Do not use for real reports.\n\
         Reporter pages: {url}/\n\nRead cases with the reviewer CLI:\n"
    );
    for (id, home) in &demo.homes {
        let home = home.display();
        s.push_str(&format!(
            "  # {id}, with the installed binary:\n  amana-review --home {home} pull\n  \
             amana-review --home {home} list\n  \
             # or from the source tree:\n  \
             cargo run --release --bin amana-review -- --home {home} pull\n"
        ));
    }
    s.push_str("===================================================\n");
    s
}
