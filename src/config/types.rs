//! `Settings`, the validated configuration, and the public types of its
//! parts. Those holding a secret print it as `***`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use echeancier_core::CalendarId;
use echeancier_core::authz::Grant;
use echeancier_core::ids::Uai;

use super::ConfigError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRoom {
    pub room_id: String,
    pub establishment: Option<String>,
    pub departement: Option<String>,
    pub roles: Vec<String>,
    pub partners: bool,
}

#[derive(Clone)]
pub struct MatrixSettings {
    pub homeserver: String,
    pub user: String,
    /// How the bot logs in the first time (later starts restore the session).
    pub login: MatrixLogin,
    /// Encrypts the crypto store (the device's keys) at rest.
    pub passphrase: String,
    pub rooms: Vec<MatrixRoom>,
    /// Messages per second the bot sends at most; `None`: no limit.
    pub pace: Option<f64>,
    /// Recovery key or passphrase of the account's secret storage.
    pub recovery: Option<String>,
    /// When the account expires unless renewed (`compte_expire_le`).
    pub expires_on: Option<chrono::NaiveDate>,
}

/// A password, or an access token of a device made for the bot.
#[derive(Clone, PartialEq, Eq)]
pub enum MatrixLogin {
    Password(String),
    AccessToken(String),
}

impl std::fmt::Debug for MatrixLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MatrixLogin::Password(_) => "Password(***)",
            MatrixLogin::AccessToken(_) => "AccessToken(***)",
        })
    }
}

impl std::fmt::Debug for MatrixSettings {
    // The password and the passphrase never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixSettings")
            .field("homeserver", &self.homeserver)
            .field("user", &self.user)
            .field("login", &self.login)
            .field("passphrase", &"***")
            .field("rooms", &self.rooms)
            .field("pace", &self.pace)
            .field("recovery", &self.recovery.as_ref().map(|_| "***"))
            .finish()
    }
}

/// A Telegram group and who reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramGroup {
    pub id: i64,
    pub place: echeancier_core::authz::Place,
}

#[derive(Clone, PartialEq, Eq)]
pub struct TelegramSettings {
    pub token: String,
    pub api: Option<String>,
    pub groups: Vec<TelegramGroup>,
}

impl std::fmt::Debug for TelegramSettings {
    // The token never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramSettings")
            .field("token", &"***")
            .field("api", &self.api)
            .field("groups", &self.groups)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailMode {
    /// Each message written as an `.eml` file.
    Files(PathBuf),
    Smtp(SmtpSettings),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    StartTls,
    Tls,
    /// Plain SMTP: only accepted towards a loopback address.
    None,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    pub password: Option<String>,
    /// A certificate authority (PEM) trusted besides the public ones.
    pub ca: Option<Vec<u8>>,
}

impl std::fmt::Debug for SmtpSettings {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("ca", &self.ca.as_ref().map(|pem| format!("{} octets", pem.len())))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OralMode {
    AlsoEmail,
    InsteadOfEmail,
}

#[derive(Debug, Clone)]
pub struct DigestSettings {
    pub schedule: cron::Schedule,
    pub expression: String,
    pub month: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartementSettings {
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstablishmentSettings {
    pub uai: Uai,
    pub name: String,
    pub calendar: CalendarId,
    pub zone: Option<String>,
    pub good_friday: Option<bool>,
    pub closed_days: BTreeMap<NaiveDate, String>,
    pub address: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSettings {
    pub slug: String,
    pub name: String,
    pub email: Option<String>,
    pub grants: Vec<Grant>,
    pub identities: Vec<(String, String)>,
    /// Reminders also in a direct message on Matrix.
    pub direct_reminders: bool,
    /// An administrator of the service (`administrateur = true`).
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerSettings {
    pub id: String,
    pub name: String,
    pub departement: String,
}

/// Validated settings.
#[derive(Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub procedures_dir: Option<PathBuf>,
    pub email: EmailMode,
    pub email_from: String,
    pub hours: echeancier_core::reminder::WorkingHours,
    pub oral: OralMode,
    /// The hours appointments with families keep to (start, end).
    pub family_hours: (chrono::NaiveTime, chrono::NaiveTime),
    pub tick_seconds: u64,
    pub lease_seconds: u64,
    /// How far ahead a step may be rescheduled, in days from today.
    pub reschedule_horizon_days: i64,
    pub digests: Vec<DigestSettings>,
    pub departements: Vec<DepartementSettings>,
    /// Findings that do not stop the daemon (e.g. a secret written in the file).
    pub warnings: Vec<ConfigError>,
    pub telegram: Option<TelegramSettings>,
    pub retention: echeancier_core::retention::Retention,
    pub http: Option<std::net::SocketAddr>,
    /// Bearer token of /healthz and /metrics; open when absent.
    pub http_token: Option<String>,
    pub matrix: Option<MatrixSettings>,
    /// The staff web office; off when absent.
    pub web: Option<WebSettings>,
    /// `None`: automatic (on for the demo and when standard input is a
    /// terminal); `[console] actif` decides otherwise.
    pub console: Option<bool>,
    pub console_identity: String,
    pub establishments: Vec<EstablishmentSettings>,
    pub partners: Vec<PartnerSettings>,
    pub people: Vec<PersonSettings>,
}

impl std::fmt::Debug for Settings {
    // The database URL may hold a password: printed redacted. Destructured
    // so that a new field cannot be forgotten here.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Settings {
            data_dir,
            database_url,
            procedures_dir,
            email,
            email_from,
            hours,
            oral,
            family_hours,
            tick_seconds,
            lease_seconds,
            reschedule_horizon_days,
            digests,
            departements,
            warnings,
            telegram,
            retention,
            http,
            http_token,
            matrix,
            web,
            console,
            console_identity,
            establishments,
            partners,
            people,
        } = self;
        f.debug_struct("Settings")
            .field("data_dir", data_dir)
            .field("database_url", &crate::store::redact_url(database_url))
            .field("procedures_dir", procedures_dir)
            .field("email", email)
            .field("email_from", email_from)
            .field("hours", hours)
            .field("oral", oral)
            .field("family_hours", family_hours)
            .field("tick_seconds", tick_seconds)
            .field("lease_seconds", lease_seconds)
            .field("reschedule_horizon_days", reschedule_horizon_days)
            .field("digests", digests)
            .field("departements", departements)
            .field("warnings", warnings)
            .field("telegram", telegram)
            .field("retention", retention)
            .field("http", http)
            .field("http_token", &http_token.as_ref().map(|_| "***"))
            .field("matrix", matrix)
            .field("web", web)
            .field("console", console)
            .field("console_identity", console_identity)
            .field("establishments", establishments)
            .field("partners", partners)
            .field("people", people)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn secrets_never_print() {
        let smtp = SmtpSettings {
            host: "127.0.0.1".into(),
            port: 25,
            security: SmtpSecurity::None,
            user: Some("u".into()),
            password: Some("tres-secret".into()),
            ca: None,
        };
        assert!(!format!("{smtp:?}").contains("tres-secret"));
        let tg = TelegramSettings {
            token: "123:jeton-secret".into(),
            api: None,
            groups: vec![],
        };
        assert!(!format!("{tg:?}").contains("jeton-secret"));
        let e = Settings::parse("c.toml", "[email]\nmot_de_passe = \"x\"\n", None)
            .expect("valid, with a warning");
        assert_eq!(e.warnings.len(), 1);
        assert_eq!(e.warnings[0].line, 2);
    }
}

/// `[web]`: the staff web office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    pub address: std::net::SocketAddr,
    /// Without a trailing slash: `https://echeancier.ac-nantes.fr`.
    pub public_url: String,
    pub session_hours: u32,
}

impl WebSettings {
    /// Cookies are `Secure` when staff reach the office over HTTPS.
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
