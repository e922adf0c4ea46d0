//! Server configuration: defaults, then `jixiao.toml`, then `JIXIAO_*` environment variables.
//! Unknown keys are an error. Nothing secret is ever printed (see the `Debug` impl).

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://FILE` (embedded, the default) or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Address to listen on.
    pub listen: String,
    /// Where evidence files are kept (by content hash).
    pub data_dir: PathBuf,
    /// Mark cookies `Secure` (sent over TLS only). Unset: yes, unless the server listens on a
    /// loopback address only (a machine of its own, or behind a proxy on the same machine).
    pub secure_cookies: Option<bool>,
    /// Sessions expire after this many hours of inactivity.
    pub session_hours: i64,
    /// Failed logins before an account is locked.
    pub max_login_failures: i64,
    /// How long a lock lasts.
    pub lockout_minutes: i64,
    /// Login attempts allowed per client address per minute.
    pub login_per_minute: u32,
    /// Largest evidence file accepted, in MiB.
    pub max_evidence_mib: u64,
    /// Evidence file types accepted (by content type).
    pub evidence_types: Vec<String>,
    /// Log as JSON lines (for log collectors) instead of text.
    pub log_json: bool,
    /// Trust `X-Forwarded-For` (only behind a proxy that sets it) for rate limiting.
    pub trust_forwarded_for: bool,
    /// The headless browser that prints report cards to PDF (Debian's `chromium`). Without
    /// it, report cards are still printable from any browser; the PDF download says why not.
    pub chromium: PathBuf,
    /// A number whose modified z-score against the unit's own history is beyond this is
    /// flagged to reviewers (Iglewicz and Hoaglin's 3.5 by default).
    pub outlier_threshold: f64,
    /// Database connections kept open (default: 8 on SQLite, 16 on PostgreSQL).
    pub pool_size: Option<u32>,
    /// How long a request waits for a free database connection before it fails, in seconds.
    pub pool_timeout_seconds: u64,
    /// Imports read and checked at the same time; one more is asked to try again shortly (each
    /// may hold a few hundred megabytes while it reads a large workbook).
    pub max_concurrent_imports: usize,
    /// How often the server looks for changes written by someone else (the command line,
    /// another server on the same database), in seconds; 0: never.
    pub sync_seconds: u64,
    /// The audit seal file: the key that signs the audit log and the newest entry checked
    /// (see `jixiao_store::audit::Seal`). Unset: beside a SQLite file (`jixiao.db.seal`), or
    /// `audit-<database>.seal` in `data_dir` for PostgreSQL. Keep it on storage the database's
    /// administrators cannot write, and a copy away from the database.
    pub audit_seal: Option<PathBuf>,
    /// The publicity period (公示期) of a publication, in days from the day it is published.
    pub publicity_days: u32,
    /// Where the public sends objections (异议) during the publicity period, as printed on the
    /// notice (e.g. "区绩效考核办公室，电话 0377-6xxxxxxx，地址 …"). Unset: the office of the
    /// district, in writing; units assessed appeal on the 申诉 page.
    pub objection_contact: Option<String>,
    /// The address people reach this server at (e.g. `https://jixiao.wolong.gov.cn`), put in
    /// front of the links that webhooks and e-mails carry. Unset: the links are paths.
    pub public_url: Option<String>,
    /// How often the scheduled work runs (reminders, escalation, rectification deadlines,
    /// sending the outbox), in seconds; 0: never (tests run it by hand).
    pub schedule_seconds: u64,
    /// Reporting deadlines are announced this many days ahead (催报).
    pub remind_days_before: u32,
    /// Attempts to deliver a message before giving up (with backoff: 30 s, 2 min, 8 min, …).
    pub delivery_attempts: u32,
    /// The SMTP relay e-mail goes through; unset: no e-mail is sent (it stays queued).
    pub smtp: Option<Smtp>,
    /// Budget performance (预算绩效): the ex-ante threshold and rules.
    pub budget: Budget,
}

/// The district's budget-performance rules.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Budget {
    /// Projects of at least this amount (万元) need an ex-ante evaluation (事前绩效评估) before
    /// they may declare targets; finance may send a smaller one to experts too.
    pub exante_threshold: jixiao_core::Decimal,
    /// The dimensions, how experts are combined, the lines (DOMAIN.md §4 by default).
    pub exante: jixiao_core::budget::ExAnteRules,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            exante_threshold: jixiao_core::Decimal::from(100),
            exante: jixiao_core::budget::ExAnteRules::default(),
        }
    }
}

/// An SMTP relay.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    /// `none` (a relay on the local network), `starttls` or `tls`.
    pub security: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `区绩效考核办 <jixiao@wolong.gov.cn>`.
    pub from: String,
}

impl Default for Smtp {
    fn default() -> Smtp {
        Smtp {
            host: "localhost".into(),
            port: 25,
            security: "none".into(),
            username: None,
            password: None,
            from: "jixiao <jixiao@localhost>".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://jixiao.db".into(),
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("jixiao-data"),
            secure_cookies: None,
            session_hours: 12,
            max_login_failures: 5,
            lockout_minutes: 15,
            login_per_minute: 20,
            max_evidence_mib: 20,
            evidence_types: [
                "application/pdf",
                "image/png",
                "image/jpeg",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "text/plain",
                "text/csv",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            log_json: false,
            trust_forwarded_for: false,
            chromium: PathBuf::from("/usr/bin/chromium"),
            outlier_threshold: jixiao_core::quality::DEFAULT_THRESHOLD,
            max_concurrent_imports: 2,
            pool_size: None,
            pool_timeout_seconds: 30,
            sync_seconds: 2,
            audit_seal: None,
            publicity_days: 7,
            objection_contact: None,
            public_url: None,
            schedule_seconds: 60,
            remind_days_before: 3,
            delivery_attempts: 6,
            smtp: None,
            budget: Budget::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact(&self.database_url))
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_hours", &self.session_hours)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Whether cookies are marked `Secure` (see [`Config::secure_cookies`]).
    pub fn secure(&self) -> bool {
        self.secure_cookies.unwrap_or_else(|| {
            let host = self
                .listen
                .rsplit_once(':')
                .map_or(self.listen.as_str(), |(h, _)| h)
                .trim_matches(['[', ']']);
            !(host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()))
        })
    }

    /// Where the audit seal file is ([`Config::audit_seal`]); `None` for an in-memory SQLite
    /// database, which has nothing to seal beyond its own life.
    pub fn seal_path(&self) -> Option<PathBuf> {
        if let Some(p) = &self.audit_seal {
            return Some(p.clone());
        }
        let url = &self.database_url;
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let file = rest.split('?').next().unwrap_or(rest);
            if file.is_empty() || file.starts_with(":memory:") || url.contains("mode=memory") {
                return None;
            }
            return Some(PathBuf::from(format!("{file}.seal")));
        }
        let name = url
            .rsplit('/')
            .next()
            .and_then(|n| n.split('?').next())
            .filter(|n| !n.is_empty())
            .unwrap_or("jixiao");
        Some(self.data_dir.join(format!("audit-{name}.seal")))
    }

    /// The database pool this configuration asks for.
    pub fn pool(&self) -> jixiao_store::PoolOptions {
        jixiao_store::PoolOptions {
            size: self.pool_size,
            acquire_timeout: std::time::Duration::from_secs(self.pool_timeout_seconds.max(1)),
        }
    }
}

/// A database URL with its password hidden.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Config {
    /// Defaults, then the file (`jixiao.toml` when `path` is `None` and it exists), then
    /// `JIXIAO_*` variables (e.g. `JIXIAO_DATABASE_URL`).
    pub fn load(path: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        let file = path
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("jixiao.toml"));
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            // JIXIAO_LOG (the log filter), JIXIAO_TEST_*, JIXIAO_SKIP_* and JIXIAO_BIN (the
            // test harness's) are not settings; any other unknown JIXIAO_ variable is refused,
            // so a misspelt one is noticed.
            .merge(Env::prefixed("JIXIAO_").filter(|k| {
                let k = k.as_str().to_ascii_lowercase();
                !matches!(k.as_str(), "log" | "bin")
                    && !k.starts_with("test_")
                    && !k.starts_with("skip_")
            }))
            .extract()
            .map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_seal_lives_beside_its_database() {
        let at = |url: &str| {
            Config {
                database_url: url.into(),
                ..Config::default()
            }
            .seal_path()
        };
        assert_eq!(
            at("sqlite:///srv/jx/jixiao.db?mode=rwc"),
            Some(PathBuf::from("/srv/jx/jixiao.db.seal"))
        );
        assert_eq!(at("sqlite::memory:"), None);
        assert_eq!(
            at("postgres://jx:pw@db/wolong"),
            Some(PathBuf::from("jixiao-data/audit-wolong.seal"))
        );
        let set = Config {
            audit_seal: Some(PathBuf::from("/etc/jixiao/seal")),
            ..Config::default()
        };
        assert_eq!(set.seal_path(), Some(PathBuf::from("/etc/jixiao/seal")));
    }

    #[test]
    fn cookies_are_secure_unless_the_server_listens_on_loopback_only() {
        let at = |listen: &str| Config {
            listen: listen.into(),
            ..Config::default()
        };
        assert!(!at("127.0.0.1:8080").secure());
        assert!(!at("[::1]:8080").secure());
        assert!(!at("localhost:8080").secure());
        assert!(at("0.0.0.0:8080").secure());
        assert!(at("10.1.2.3:443").secure());
        let mut c = at("0.0.0.0:8080");
        c.secure_cookies = Some(false);
        assert!(!c.secure());
    }

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(
            redact("postgres://jx:secret@db/jixiao"),
            "postgres://jx:***@db/jixiao"
        );
        assert_eq!(redact("sqlite://jixiao.db"), "sqlite://jixiao.db");
        let c = Config {
            database_url: "postgres://a:b@c/d".into(),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains(":b@"));
    }
}
