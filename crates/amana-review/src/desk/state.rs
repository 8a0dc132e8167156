//! What the running desk holds: where the home is, how actions leave, its secrets, the idle
//! clock, and the last action's result (shown once on the next page).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::home::Home;

/// The desk's state, shared by every request.
pub struct Desk {
    pub home: Home,
    /// `--server`, if given (else config.toml's).
    pub server: Option<String>,
    /// Air gap: actions go to the outbox.
    pub offline: bool,
    /// The port it listens on: Host and Origin must name it.
    pub port: u16,
    /// The secret in the printed address.
    pub token: String,
    /// The cookie's value, given for the token.
    pub session: String,
    /// Every form carries it.
    pub csrf: String,
    /// Where "export" writes.
    pub exports: PathBuf,
    pub lock_after: Duration,
    last_seen: Mutex<Instant>,
    flash: Mutex<Option<Flash>>,
    /// One action at a time: two tabs must not queue two outbox files with one number.
    pub work: Mutex<()>,
    /// What each attachment's metadata gives away, wiped on lock.
    pub files: super::file_warnings::Cache,
    /// The pull, push or import running in the background, or the last one (its result).
    pub job: Mutex<Option<std::sync::Arc<super::jobs::Job>>>,
}

/// The result of the last action.
pub struct Flash {
    /// The action's name (`reply`, `pull`…): its headline.
    pub action: String,
    pub outcome: super::outcome::Outcome,
    /// What the CLI's command said (or its error).
    pub said: String,
}

/// The desk's settings, from the command line.
pub struct Settings {
    pub home: Home,
    pub server: Option<String>,
    pub offline: bool,
    pub port: u16,
    pub exports: PathBuf,
    pub lock_after: Duration,
}

impl Desk {
    /// A desk with fresh secrets.
    pub fn new(s: Settings) -> anyhow::Result<Self> {
        Ok(Self {
            home: s.home,
            server: s.server,
            offline: s.offline,
            port: s.port,
            token: super::secret::fresh()?,
            session: super::secret::fresh()?,
            csrf: super::secret::fresh()?,
            exports: s.exports,
            lock_after: s.lock_after,
            last_seen: Mutex::new(Instant::now()),
            flash: Mutex::new(None),
            work: Mutex::new(()),
            files: Default::default(),
            job: Mutex::new(None),
        })
    }

    /// The cookie's name: per port, since cookies do not tell ports apart.
    pub fn cookie_name(&self) -> String {
        format!("amana_desk_{}", self.port)
    }

    /// Records activity; locks first if the desk sat idle too long.
    pub fn touch(&self) {
        self.lock_if_idle();
        *lock(&self.last_seen) = Instant::now();
    }

    /// Locks if idle too long (the background check: keys leave memory even if no one comes
    /// back). Not while a pull, push or import runs: it holds the keys until it ends, and
    /// the idle time counts on from the last page the reviewer asked for.
    pub fn lock_if_idle(&self) {
        if lock(&self.last_seen).elapsed() >= self.lock_after && !self.busy() {
            self.forget();
        }
    }

    /// Forgets the unlocked keys and everything read with them.
    pub fn forget(&self) {
        crate::key_cache::lock();
        self.files.clear();
    }

    /// Whether a background job is running.
    pub fn busy(&self) -> bool {
        lock(&self.job).as_ref().is_some_and(|j| j.running())
    }

    pub fn set_flash(&self, flash: Flash) {
        *lock(&self.flash) = Some(flash);
    }

    pub fn take_flash(&self) -> Option<Flash> {
        lock(&self.flash).take()
    }

    /// The language chosen for pages (a cookie), English by default.
    pub fn lang_cookie(&self) -> String {
        format!("amana_desk_lang_{}", self.port)
    }

    /// Runs `f` as the only action in progress.
    pub fn exclusive<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = lock(&self.work);
        f()
    }
}

/// A poisoned mutex only means a panic in another request; what it guards is still usable.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_cache::{self, Lookup};

    #[test]
    fn an_idle_desk_forgets_the_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        // Unprotected key files: what is kept and forgotten is the same, without a slow KDF.
        for name in [crate::home::IDENTITY_FILE, crate::home::SIGNING_FILE] {
            std::fs::write(home.file(name), "key text").expect("write");
        }
        let settings = |lock_after| Settings {
            home: home.clone(),
            server: None,
            offline: true,
            port: 1,
            exports: dir.path().join("exports"),
            lock_after,
        };
        key_cache::start_locked();
        key_cache::unlock(&home, "unused").expect("unlock");
        let path = home.file(crate::home::IDENTITY_FILE);
        let busy = Desk::new(settings(Duration::from_secs(900))).expect("desk");
        busy.touch();
        busy.lock_if_idle();
        assert!(matches!(key_cache::lookup(&path), Lookup::Unlocked(_)), "kept while in use");
        let idle = Desk::new(settings(Duration::ZERO)).expect("desk");
        // A pull still running keeps the keys it works with, however long the desk sat idle.
        let job = std::sync::Arc::new(super::super::jobs::Job::new("pull", Default::default()));
        *lock(&idle.job) = Some(job.clone());
        idle.lock_if_idle();
        assert!(matches!(key_cache::lookup(&path), Lookup::Unlocked(_)), "kept while a job runs");
        let said = String::new();
        job.finish(Flash { action: "pull".into(), outcome: super::super::outcome::Outcome::Done, said });
        idle.lock_if_idle();
        assert!(matches!(key_cache::lookup(&path), Lookup::Locked), "forgotten when idle");
    }
}
