//! Configuration in two stages: the raw TOML file as written (`RawConfig`),
//! then validated settings with line-numbered French errors. Every field has
//! an embedded default, so echeancier runs with no file at all.
//!
//! The directory (schools, partners, people with their roles and chat
//! identities) lives here too and is synced into the database at start.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use echeancier_core::CalendarId;
use echeancier_core::authz::Grant;
use echeancier_core::ids::Uai;
use echeancier_core::procedure::{Library, Scope};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} : {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub procedures_dir: Option<String>,
    #[serde(default)]
    pub email: RawEmail,
    #[serde(default)]
    pub console: RawConsole,
    pub telegram: Option<RawTelegram>,
    #[serde(default)]
    pub conservation: RawRetention,
    #[serde(default)]
    pub http: RawHttp,
    pub matrix: Option<RawMatrix>,
    #[serde(default)]
    pub horaires: RawHours,
    #[serde(default)]
    pub avis_parents: RawNotices,
    #[serde(default)]
    pub planificateur: RawScheduler,
    #[serde(default)]
    pub dossiers: RawCases,
    #[serde(default)]
    pub recapitulatifs: Vec<RawDigest>,
    #[serde(default)]
    pub departements: Vec<RawDepartement>,
    #[serde(default)]
    pub etablissements: Vec<RawEstablishment>,
    #[serde(default)]
    pub partenaires: Vec<RawPartner>,
    #[serde(default)]
    pub personnes: Vec<RawPerson>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmail {
    /// `fichiers` (default) or `smtp`.
    pub mode: Option<Spanned<String>>,
    pub dir: Option<String>,
    pub expediteur: Option<Spanned<String>>,
    pub hote: Option<String>,
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `aucune` (loopback only).
    pub securite: Option<Spanned<String>>,
    pub utilisateur: Option<String>,
    /// Name of the environment variable holding the password.
    pub mot_de_passe_env: Option<String>,
    /// File holding the password.
    pub mot_de_passe_fichier: Option<String>,
    /// Never honoured: secrets do not belong in this file.
    pub mot_de_passe: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatrix {
    pub serveur: Spanned<String>,
    /// The bot's account, e.g. "@echeancier:tchap.gouv.fr" or "echeancier".
    pub compte: String,
    pub mot_de_passe_env: Option<String>,
    pub mot_de_passe_fichier: Option<String>,
    /// Environment variable holding the passphrase of the crypto store.
    pub phrase_secrete_env: Option<String>,
    /// File holding the passphrase of the crypto store.
    pub phrase_secrete_fichier: Option<String>,
    #[serde(default)]
    pub salons: Vec<RawMatrixRoom>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatrixRoom {
    pub id: Spanned<String>,
    pub etablissement: Option<String>,
    pub departement: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// A partners' room: partnership items only.
    #[serde(default)]
    pub partenaires: bool,
}

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
    pub password: String,
    /// Encrypts the crypto store (the device's keys) at rest.
    pub passphrase: String,
    pub rooms: Vec<MatrixRoom>,
}

impl std::fmt::Debug for MatrixSettings {
    // The password and the passphrase never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixSettings")
            .field("homeserver", &self.homeserver)
            .field("user", &self.user)
            .field("password", &"***")
            .field("passphrase", &"***")
            .field("rooms", &self.rooms)
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// Address of /healthz and /metrics, e.g. "127.0.0.1:9187"; off when absent.
    pub adresse: Option<Spanned<String>>,
    /// Environment variable holding the bearer token both endpoints ask for.
    pub jeton_env: Option<String>,
    /// File holding the bearer token.
    pub jeton_fichier: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetention {
    /// Months kept after closing; by default, until the end of the school
    /// year following the closing.
    pub mois_apres_cloture: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelegram {
    /// Environment variable holding the bot token.
    pub jeton_env: Option<String>,
    /// File holding the bot token.
    pub jeton_fichier: Option<String>,
    /// Never honoured: secrets do not belong in this file.
    pub jeton: Option<Spanned<String>>,
    /// Bot API address (tests point it at a local fake).
    pub api: Option<Spanned<String>>,
    /// Group chats where commands are accepted: an id (no individual case
    /// is shown there) or a table with the group's audience.
    #[serde(default)]
    pub groupes: Vec<RawTelegramGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawTelegramGroup {
    Id(i64),
    Audience(RawTelegramAudience),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelegramAudience {
    pub id: i64,
    pub etablissement: Option<String>,
    pub departement: Option<String>,
    /// A partners' group: partnership items only.
    #[serde(default)]
    pub partenaires: bool,
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHours {
    pub debut: Option<Spanned<String>>,
    pub fin: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotices {
    /// `en_plus` (default): a family needing an oral channel also gets the
    /// email; `a_la_place`: only the call.
    pub canal_oral: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheduler {
    pub intervalle_secondes: Option<u64>,
    /// How long a claimed delivery stays with its instance before another
    /// one may take it (the instance died): longer than any single send.
    pub bail_secondes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCases {
    /// How far ahead a step may be rescheduled, in days (365 by default).
    pub horizon_report_jours: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDigest {
    /// Cron expression with seconds, in Europe/Paris: `0 0 8 * * Mon`.
    pub cron: Spanned<String>,
    #[serde(default = "default_horizon")]
    pub periode: Spanned<String>,
}

fn default_horizon() -> Spanned<String> {
    Spanned::new(0..0, "semaine".to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDepartement {
    pub code: Spanned<String>,
    pub nom: String,
    pub adresse: Option<String>,
    pub telephone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    pub actif: Option<bool>,
    /// The console identity commands run as (`console:ID`).
    pub identite: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEstablishment {
    pub uai: Spanned<String>,
    pub nom: String,
    pub calendrier: Option<Spanned<String>>,
    pub zone: Option<Spanned<String>>,
    pub vendredi_saint: Option<bool>,
    #[serde(default)]
    pub fermetures: Vec<RawClosure>,
    pub adresse: Option<String>,
    pub telephone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClosure {
    pub date: Spanned<String>,
    pub motif: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPartner {
    pub id: Spanned<String>,
    pub nom: String,
    pub departement: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    pub id: Spanned<String>,
    pub nom: String,
    pub email: Option<String>,
    #[serde(default)]
    pub roles: Vec<RawGrant>,
    #[serde(default)]
    pub identites: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrant {
    pub role: Spanned<String>,
    pub etablissement: Option<Spanned<String>>,
    pub departement: Option<Spanned<String>>,
    pub partenaire: Option<Spanned<String>>,
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
            .field("console", console)
            .field("console_identity", console_identity)
            .field("establishments", establishments)
            .field("partners", partners)
            .field("people", people)
            .finish()
    }
}

/// A secret named by the configuration: the value of the environment
/// variable `env`, else the content of `file`, trailing whitespace (the
/// final newline of a file or a `.env` line) removed. `Ok(None)` when
/// neither is given; an error when the one given is absent or empty.
/// `what` names the secret in the French message ("mot de passe SMTP").
pub fn secret(env: Option<&str>, file: Option<&str>, what: &str) -> Result<Option<String>, String> {
    let value = match (env, file) {
        (Some(var), _) => match std::env::var(var) {
            Ok(v) => v,
            Err(_) => {
                return Err(format!("{what} : la variable d'environnement {var} est absente."));
            }
        },
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(v) => v,
            Err(e) => return Err(format!("{what} : lecture de {path} impossible ({e}).")),
        },
        (None, None) => return Ok(None),
    };
    let value = value.trim_end().to_string();
    if value.is_empty() {
        let source = match env {
            Some(var) => format!("la variable d'environnement {var}"),
            None => format!("le fichier {}", file.unwrap_or_default()),
        };
        return Err(format!("{what} : {source} est vide."));
    }
    Ok(Some(value))
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Channels a chat identity may name.
pub const CHANNELS: &[&str] = &["console", "matrix", "telegram"];

impl Settings {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path, library: Option<&Library>) -> Result<Settings, Vec<ConfigError>> {
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| {
            vec![ConfigError {
                file: name.clone(),
                line: 0,
                message: format!("lecture impossible : {e}"),
            }]
        })?;
        Self::parse(&name, &src, library)
    }

    /// Parses configuration text; `library` enables role checks.
    pub fn parse(file: &str, src: &str, library: Option<&Library>) -> Result<Settings, Vec<ConfigError>> {
        let raw: RawConfig = toml::from_str(src).map_err(|e| {
            vec![ConfigError {
                file: file.to_string(),
                line: e.span().map(|s| line_of(src, s.start)).unwrap_or(1),
                message: format!("fichier illisible : {}", e.message()),
            }]
        })?;
        Self::from_raw(raw, file, src, library)
    }

    /// Settings with every default and an empty directory. The environment
    /// still counts (`ECHEANCIER_DATABASE_URL`, `ECHEANCIER_DATA`), so this
    /// can fail like a file.
    pub fn defaults() -> Result<Settings, Vec<ConfigError>> {
        Self::from_raw(RawConfig::default(), "(défauts)", "", None)
    }

    fn from_raw(
        raw: RawConfig,
        file: &str,
        src: &str,
        library: Option<&Library>,
    ) -> Result<Settings, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut err = |at: std::ops::Range<usize>, message: String| {
            errors.push(ConfigError {
                file: file.to_string(),
                line: line_of(src, at.start),
                message,
            })
        };
        let data_dir = PathBuf::from(
            raw.data_dir
                .or_else(|| std::env::var("ECHEANCIER_DATA").ok())
                .unwrap_or_else(|| "echeancier-data".into()),
        );
        // The environment wins, so that a password in the URL need not be
        // written in the file.
        let url_in_file = raw.database_url.clone();
        let database_url = std::env::var("ECHEANCIER_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .or(raw.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("echeancier.db").display()));
        if crate::store::Backend::of_url(&database_url).is_none() {
            err(
                0..0,
                format!(
                    "database_url « {} » non prise en charge : attendu sqlite://CHEMIN ou postgres://HÔTE/BASE",
                    crate::store::redact_url(&database_url)
                ),
            );
        }
        let mut warnings = Vec::new();
        if let Some(u) = &url_in_file
            && url::Url::parse(u).is_ok_and(|u| u.password().is_some())
        {
            warnings.push(ConfigError {
                file: file.to_string(),
                line: line_of(src, src.find("database_url").unwrap_or(0)),
                message: "mot de passe écrit dans database_url : passez l'adresse par la variable ECHEANCIER_DATABASE_URL".into(),
            });
        }
        if let Some(p) = &raw.email.mot_de_passe {
            warnings.push(ConfigError {
                file: file.to_string(),
                line: line_of(src, p.span().start),
                message: "mot de passe écrit dans le fichier de configuration : il est ignoré ; utilisez mot_de_passe_env ou mot_de_passe_fichier".into(),
            });
        }
        let email = match raw.email.mode.as_ref().map(|m| m.get_ref().as_str()) {
            None | Some("fichiers") | Some("files") => EmailMode::Files(
                raw.email
                    .dir
                    .clone()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| data_dir.join("courriels")),
            ),
            Some("smtp") => {
                let security = match raw.email.securite.as_ref().map(|s| s.get_ref().as_str()) {
                    None | Some("starttls") => SmtpSecurity::StartTls,
                    Some("tls") => SmtpSecurity::Tls,
                    Some("aucune") => SmtpSecurity::None,
                    Some(other) => {
                        let span = raw.email.securite.as_ref().map(|m| m.span()).unwrap_or(0..0);
                        err(
                            span,
                            format!("sécurité « {other} » inconnue : attendu starttls, tls ou aucune"),
                        );
                        SmtpSecurity::StartTls
                    }
                };
                let host = raw.email.hote.clone().unwrap_or_else(|| "127.0.0.1".into());
                let loopback =
                    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
                if security == SmtpSecurity::None && !loopback {
                    let span = raw.email.securite.as_ref().map(|m| m.span()).unwrap_or(0..0);
                    err(
                        span,
                        "securite = \"aucune\" n'est permis que vers une adresse locale (127.0.0.1)".into(),
                    );
                }
                let password = secret(
                    raw.email.mot_de_passe_env.as_deref(),
                    raw.email.mot_de_passe_fichier.as_deref(),
                    "mot de passe SMTP",
                )
                .unwrap_or_else(|e| {
                    err(raw.email.mode.as_ref().map(|m| m.span()).unwrap_or(0..0), e);
                    None
                });
                EmailMode::Smtp(SmtpSettings {
                    port: raw.email.port.unwrap_or(match security {
                        SmtpSecurity::Tls => 465,
                        SmtpSecurity::StartTls => 587,
                        SmtpSecurity::None => 25,
                    }),
                    host,
                    security,
                    user: raw.email.utilisateur.clone(),
                    password,
                })
            }
            Some(other) => {
                let span = raw.email.mode.as_ref().map(|m| m.span()).unwrap_or(0..0);
                err(
                    span,
                    format!("mode de courriel « {other} » inconnu : attendu fichiers ou smtp"),
                );
                EmailMode::Files(data_dir.join("courriels"))
            }
        };
        let email_from = match &raw.email.expediteur {
            Some(f) if f.get_ref().parse::<lettre::Address>().is_ok() => f.get_ref().clone(),
            Some(f) => {
                err(
                    f.span(),
                    format!("adresse d'expéditeur « {} » invalide", f.get_ref()),
                );
                String::new()
            }
            None => "echeancier@localhost".into(),
        };
        let mut time = |v: &Option<Spanned<String>>, default: &str| {
            let s = v.as_ref().map(|s| s.get_ref().as_str()).unwrap_or(default);
            match chrono::NaiveTime::parse_from_str(s, "%H:%M") {
                Ok(t) => t,
                Err(_) => {
                    err(
                        v.as_ref().map(|s| s.span()).unwrap_or(0..0),
                        format!("heure « {s} » invalide : attendu HH:MM"),
                    );
                    chrono::NaiveTime::MIN
                }
            }
        };
        let hours = echeancier_core::reminder::WorkingHours {
            start: time(&raw.horaires.debut, "08:30"),
            end: time(&raw.horaires.fin, "18:00"),
        };
        if hours.start >= hours.end {
            err(0..0, "horaires : le début doit précéder la fin".into());
        }
        let oral = match raw.avis_parents.canal_oral.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("en_plus") => OralMode::AlsoEmail,
            Some("a_la_place") => OralMode::InsteadOfEmail,
            Some(other) => {
                let span = raw
                    .avis_parents
                    .canal_oral
                    .as_ref()
                    .map(|m| m.span())
                    .unwrap_or(0..0);
                err(
                    span,
                    format!("canal_oral « {other} » inconnu : attendu en_plus ou a_la_place"),
                );
                OralMode::AlsoEmail
            }
        };
        let mut digests = Vec::new();
        for d in &raw.recapitulatifs {
            match d.cron.get_ref().parse::<cron::Schedule>() {
                Ok(schedule) => digests.push(DigestSettings {
                    schedule,
                    expression: d.cron.get_ref().clone(),
                    month: d.periode.get_ref() == "mois",
                }),
                Err(e) => err(
                    d.cron.span(),
                    format!(
                        "expression cron « {} » invalide ({e}) : attendu par exemple \"0 0 8 * * Mon\"",
                        d.cron.get_ref()
                    ),
                ),
            }
            if !["semaine", "mois"].contains(&d.periode.get_ref().as_str()) {
                err(d.periode.span(), "periode : semaine ou mois".into());
            }
        }
        let telegram = match &raw.telegram {
            None => None,
            Some(t) => {
                if let Some(j) = &t.jeton {
                    warnings.push(ConfigError {
                        file: file.to_string(),
                        line: line_of(src, j.span().start),
                        message: "jeton Telegram écrit dans le fichier de configuration : il est ignoré ; utilisez jeton_env ou jeton_fichier".into(),
                    });
                }
                let token = secret(
                    t.jeton_env.as_deref(),
                    t.jeton_fichier.as_deref(),
                    "jeton Telegram",
                )
                .unwrap_or_else(|e| {
                    err(0..0, e);
                    None
                });
                if let Some(api) = &t.api
                    && !(api.get_ref().starts_with("http://") || api.get_ref().starts_with("https://"))
                {
                    err(
                        api.span(),
                        format!("adresse d'API « {} » invalide", api.get_ref()),
                    );
                }
                match token {
                    Some(token) => Some(TelegramSettings {
                        token,
                        api: t.api.as_ref().map(|a| a.get_ref().clone()),
                        groups: telegram_groups(&t.groupes),
                    }),
                    // No source given (one that failed has its own error).
                    None if t.jeton_env.is_none() && t.jeton_fichier.is_none() => {
                        err(
                            0..0,
                            "[telegram] : jeton introuvable (jeton_env ou jeton_fichier)".into(),
                        );
                        None
                    }
                    None => None,
                }
            }
        };
        let matrix = match &raw.matrix {
            None => None,
            Some(m) => {
                let mut required =
                    |env: &Option<String>, file: &Option<String>, what: &str, keys: &str| match secret(
                        env.as_deref(),
                        file.as_deref(),
                        what,
                    ) {
                        Ok(Some(v)) => Some(v),
                        Ok(None) => {
                            err(
                                m.serveur.span(),
                                format!("[matrix] : {what} introuvable : {keys}."),
                            );
                            None
                        }
                        Err(e) => {
                            err(m.serveur.span(), e);
                            None
                        }
                    };
                let password = required(
                    &m.mot_de_passe_env,
                    &m.mot_de_passe_fichier,
                    "mot de passe Matrix",
                    "donnez mot_de_passe_env ou mot_de_passe_fichier",
                );
                // The crypto store holds the device's keys: never unencrypted.
                let passphrase = required(
                    &m.phrase_secrete_env,
                    &m.phrase_secrete_fichier,
                    "phrase secrète du magasin Matrix",
                    "donnez phrase_secrete_env ou phrase_secrete_fichier (elle chiffre les clés du robot sur le disque)",
                );
                let mut rooms = Vec::new();
                for r in &m.salons {
                    // Room versions 12 and later drop the ":server" part.
                    if matrix_sdk::ruma::RoomId::parse(r.id.get_ref()).is_err() {
                        err(
                            r.id.span(),
                            format!(
                                "salon « {} » invalide : attendu !identifiant:serveur (ou !identifiant)",
                                r.id.get_ref()
                            ),
                        );
                        continue;
                    }
                    if r.etablissement.is_none() && r.departement.is_none() {
                        err(
                            r.id.span(),
                            "un salon est rattaché à un etablissement ou à un departement".into(),
                        );
                        continue;
                    }
                    rooms.push(MatrixRoom {
                        room_id: r.id.get_ref().clone(),
                        establishment: r.etablissement.clone(),
                        departement: r.departement.as_deref().map(normalize_departement),
                        roles: r.roles.clone(),
                        partners: r.partenaires,
                    });
                }
                match (password, passphrase) {
                    (Some(password), Some(passphrase)) => Some(MatrixSettings {
                        homeserver: m.serveur.get_ref().clone(),
                        user: m.compte.clone(),
                        password,
                        passphrase,
                        rooms,
                    }),
                    _ => None,
                }
            }
        };
        let http = match &raw.http.adresse {
            None => None,
            Some(a) => match a.get_ref().parse::<std::net::SocketAddr>() {
                Ok(addr) => {
                    // /healthz names the channels' last errors and /metrics
                    // counts cases: for operators, not for the network.
                    if !addr.ip().is_loopback() {
                        warnings.push(ConfigError {
                            file: file.to_string(),
                            line: line_of(src, a.span().start),
                            message: format!(
                                "[http] adresse {addr} n'est pas une adresse locale : /healthz et /metrics seront joignables depuis le réseau ; préférez 127.0.0.1 derrière un mandataire, ou au moins un jeton (jeton_env ou jeton_fichier)."
                            ),
                        });
                    }
                    Some(addr)
                }
                Err(_) => {
                    err(
                        a.span(),
                        format!(
                            "adresse « {} » invalide : attendu par exemple 127.0.0.1:9187",
                            a.get_ref()
                        ),
                    );
                    None
                }
            },
        };
        let http_token = secret(
            raw.http.jeton_env.as_deref(),
            raw.http.jeton_fichier.as_deref(),
            "jeton HTTP",
        )
        .unwrap_or_else(|e| {
            err(raw.http.adresse.as_ref().map(|a| a.span()).unwrap_or(0..0), e);
            None
        });
        let mut departements = Vec::new();
        for d in &raw.departements {
            let code = d.code.get_ref();
            if !(2..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                err(
                    d.code.span(),
                    format!("département « {code} » invalide : attendu par exemple 049"),
                );
                continue;
            }
            departements.push(DepartementSettings {
                code: normalize_departement(code),
                name: d.nom.clone(),
                address: d.adresse.clone(),
                phone: d.telephone.clone(),
            });
        }

        let mut establishments = Vec::new();
        for e in raw.etablissements {
            let uai = match e.uai.get_ref().parse::<Uai>() {
                Ok(u) => u,
                Err(x) => {
                    err(e.uai.span(), x.to_string());
                    continue;
                }
            };
            let calendar = match &e.calendrier {
                None => CalendarId::Metropole,
                Some(c) => match c.get_ref().parse::<CalendarId>() {
                    Ok(c) => c,
                    Err(x) => {
                        err(c.span(), x.to_string());
                        continue;
                    }
                },
            };
            let zone = match &e.zone {
                None => None,
                Some(z) if ["A", "B", "C"].contains(&z.get_ref().as_str()) => Some(z.get_ref().clone()),
                Some(z) => {
                    err(
                        z.span(),
                        format!("zone « {} » inconnue : attendu A, B ou C", z.get_ref()),
                    );
                    None
                }
            };
            let mut closed_days = BTreeMap::new();
            for c in e.fermetures {
                match echeancier_core::french::parse_date(c.date.get_ref()) {
                    Ok(d) => {
                        closed_days.insert(d, c.motif);
                    }
                    Err(x) => err(c.date.span(), x.to_string()),
                }
            }
            establishments.push(EstablishmentSettings {
                uai,
                name: e.nom,
                calendar,
                zone,
                good_friday: e.vendredi_saint,
                closed_days,
                address: e.adresse,
                phone: e.telephone,
            });
        }

        let mut partners = Vec::new();
        for p in raw.partenaires {
            let id = p.id.get_ref();
            if id.is_empty()
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                err(
                    p.id.span(),
                    format!("identifiant de partenaire « {id} » invalide : minuscules, chiffres et _"),
                );
                continue;
            }
            let dep = p.departement.get_ref();
            if !(2..=3).contains(&dep.len()) || !dep.bytes().all(|b| b.is_ascii_alphanumeric()) {
                err(
                    p.departement.span(),
                    format!("département « {dep} » invalide : attendu par exemple 049"),
                );
                continue;
            }
            partners.push(PartnerSettings {
                id: id.clone(),
                name: p.nom,
                departement: normalize_departement(dep),
            });
        }

        let mut people = Vec::new();
        // Each chat account belongs to one person: the person it was first
        // given to, and the line where.
        let mut owners: BTreeMap<(String, String), (String, usize)> = BTreeMap::new();
        for p in raw.personnes {
            let mut grants = Vec::new();
            for g in &p.roles {
                let role = g.role.get_ref();
                let scope = match library {
                    None => None,
                    Some(lib) => match lib.roles.get(role) {
                        Some(r) => Some(r.scope),
                        None => {
                            err(
                                g.role.span(),
                                format!("rôle « {role} » inconnu (voir procedures/roles.toml)"),
                            );
                            continue;
                        }
                    },
                };
                let establishment = match &g.etablissement {
                    Some(raw_uai) => match raw_uai.get_ref().parse::<Uai>() {
                        Ok(u) if establishments.iter().any(|e| e.uai == u) => Some(u.to_string()),
                        Ok(u) => {
                            err(
                                raw_uai.span(),
                                format!("établissement {u} non déclaré dans [[etablissements]]"),
                            );
                            continue;
                        }
                        Err(x) => {
                            err(raw_uai.span(), x.to_string());
                            continue;
                        }
                    },
                    None => None,
                };
                let departement = g.departement.as_ref().map(|d| normalize_departement(d.get_ref()));
                let partner = match &g.partenaire {
                    Some(pid) if partners.iter().any(|p| &p.id == pid.get_ref()) => {
                        Some(pid.get_ref().clone())
                    }
                    Some(pid) => {
                        err(
                            pid.span(),
                            format!(
                                "partenaire « {} » non déclaré dans [[partenaires]]",
                                pid.get_ref()
                            ),
                        );
                        continue;
                    }
                    None => None,
                };
                let needed = match scope {
                    Some(Scope::Etablissement) => establishment.is_some(),
                    Some(Scope::Departement) => departement.is_some(),
                    Some(Scope::Partenaire) => partner.is_some(),
                    None => true,
                };
                if !needed {
                    let what = match scope {
                        Some(Scope::Etablissement) => "etablissement = \"UAI\"",
                        Some(Scope::Departement) => "departement = \"049\"",
                        _ => "partenaire = \"ID\"",
                    };
                    err(g.role.span(), format!("le rôle « {role} » demande {what}"));
                    continue;
                }
                grants.push(Grant {
                    role: role.clone(),
                    establishment,
                    departement,
                    partner,
                });
            }
            let mut identities = Vec::new();
            for i in &p.identites {
                let identity = match i.get_ref().split_once(':') {
                    Some((channel, id)) if CHANNELS.contains(&channel) => identity(channel, id.trim()),
                    _ => Err(format!(
                        "identité « {} » invalide : attendu console:NOM, matrix:@compte:serveur ou telegram:NUMÉRO",
                        i.get_ref()
                    )),
                };
                let identity = match identity {
                    Ok(identity) => identity,
                    Err(e) => {
                        err(i.span(), e);
                        continue;
                    }
                };
                let line = line_of(src, i.span().start);
                match owners.get(&identity) {
                    Some((owner, _)) if owner == p.id.get_ref() => {}
                    Some((owner, at)) => err(
                        i.span(),
                        format!(
                            "identité « {}:{} » déjà attribuée à « {owner} » (ligne {at}) : un compte ne désigne qu'une personne.",
                            identity.0, identity.1
                        ),
                    ),
                    None => {
                        owners.insert(identity.clone(), (p.id.get_ref().clone(), line));
                        identities.push(identity);
                    }
                }
            }
            people.push(PersonSettings {
                slug: p.id.get_ref().clone(),
                name: p.nom,
                email: p.email,
                grants,
                identities,
            });
        }

        let console_identity = raw.console.identite.unwrap_or_else(|| "console".into());
        if errors.is_empty() {
            Ok(Settings {
                data_dir,
                database_url,
                procedures_dir: raw.procedures_dir.map(PathBuf::from),
                email,
                email_from,
                hours,
                oral,
                tick_seconds: raw.planificateur.intervalle_secondes.unwrap_or(30).clamp(1, 3600),
                lease_seconds: raw.planificateur.bail_secondes.unwrap_or(300).clamp(5, 86_400),
                reschedule_horizon_days: i64::from(
                    raw.dossiers.horizon_report_jours.unwrap_or(365).clamp(1, 3650),
                ),
                digests,
                departements,
                warnings,
                telegram,
                http,
                http_token,
                matrix,
                retention: match raw.conservation.mois_apres_cloture {
                    Some(n) => echeancier_core::retention::Retention::Months(n.clamp(1, 1200)),
                    None => echeancier_core::retention::Retention::FollowingSchoolYear,
                },
                console: raw.console.actif,
                console_identity,
                establishments,
                partners,
                people,
            })
        } else {
            Err(errors)
        }
    }
}

/// A chat identity checked for its channel, as the front-end will name the
/// account: Matrix user ids, Telegram user ids (decimal), console names.
fn identity(channel: &str, id: &str) -> Result<(String, String), String> {
    let id = match channel {
        "matrix" => match matrix_sdk::ruma::UserId::parse(id) {
            Ok(user) => user.to_string(),
            Err(_) => {
                return Err(format!(
                    "identité « matrix:{id} » invalide : attendu un compte Matrix @nom:serveur, par exemple matrix:@claire.martin:tchap.gouv.fr"
                ));
            }
        },
        // Telegram names a user by a positive integer; a leading zero or
        // sign would never match the id it sends.
        "telegram" => match id.parse::<u64>() {
            Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) && n.to_string() == id => id.to_string(),
            _ => {
                return Err(format!(
                    "identité « telegram:{id} » invalide : attendu le numéro de l'utilisateur Telegram, par exemple telegram:123456789"
                ));
            }
        },
        _ => {
            if id.is_empty() || id.chars().any(char::is_whitespace) {
                return Err(format!(
                    "identité « {channel}:{id} » invalide : attendu un nom sans espace, par exemple {channel}:cpe"
                ));
            }
            id.to_string()
        }
    };
    Ok((channel.to_string(), id))
}

fn telegram_groups(raw: &[RawTelegramGroup]) -> Vec<TelegramGroup> {
    use echeancier_core::authz::Place;
    raw.iter()
        .map(|g| match g {
            RawTelegramGroup::Id(id) => TelegramGroup {
                id: *id,
                place: Place::Undeclared,
            },
            RawTelegramGroup::Audience(a) => TelegramGroup {
                id: a.id,
                place: match (a.partenaires, &a.etablissement, &a.departement) {
                    (true, _, d) => Place::Partners {
                        departement: d.as_deref().map(normalize_departement),
                    },
                    (false, None, None) => Place::Undeclared,
                    (false, e, d) => Place::Staff {
                        establishment: e.clone(),
                        departement: d.as_deref().map(normalize_departement),
                    },
                },
            },
        })
        .collect()
}

/// Département codes are written with three characters, as in UAIs: `049`.
pub fn normalize_departement(d: &str) -> String {
    let d = d.trim().to_ascii_uppercase();
    if d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{d}")
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_checked_and_passwords_warned() {
        let s = Settings::parse(
            "c.toml",
            "database_url = \"postgres://app:S3cret@db.local/echeancier\"\n",
            None,
        )
        .expect("postgres accepted");
        assert!(s.database_url.starts_with("postgres://"));
        assert!(
            s.warnings
                .iter()
                .any(|w| w.line == 1 && w.message.contains("ECHEANCIER_DATABASE_URL")),
            "{:?}",
            s.warnings
        );
        let e = Settings::parse("c.toml", "database_url = \"mysql://app:S3cret@db/x\"\n", None)
            .expect_err("mysql refused");
        let text = format!("{e:?}");
        assert!(
            text.contains("non prise en charge") && !text.contains("S3cret"),
            "{text}"
        );
    }

    #[test]
    fn defaults_need_no_file() {
        let s = Settings::defaults().expect("valid defaults");
        assert!(s.database_url.starts_with("sqlite://"));
        assert_eq!(s.console, None, "automatic unless the file says");
    }

    #[test]
    fn errors_carry_lines() {
        let lib = crate::library::embedded().expect("procedures");
        let src = "[[etablissements]]\nuai = \"0490001A\"\nnom = \"Collège\"\n\n[[personnes]]\nid = \"x\"\nnom = \"X\"\nroles = [{ role = \"pape\" }]\nidentites = [\"irc:x\"]\n";
        let errors = Settings::parse("c.toml", src, Some(&lib)).expect_err("invalid");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 8, 9], "{errors:?}");
        assert!(errors[0].message.contains("lettre de contrôle"));
        assert!(errors[1].message.contains("pape"));
        assert!(errors[2].message.contains("irc:x"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = Settings::parse("c.toml", "data_dir = \"x\"\nmot_de_passe = \"y\"\n", None)
            .expect_err("unknown key");
        assert_eq!(e[0].line, 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// A damaged configuration file gives errors with lines, never a panic.
        #[test]
        fn mutated_configuration_never_panics(cut in 0usize..4000, insert in "\\PC{0,20}") {
            let lib = crate::library::embedded().expect("procedures");
            let mut src = crate::demo::CONFIG.to_string();
            let at = src.char_indices().map(|(i, _)| i).nth(cut % src.chars().count()).unwrap_or(0);
            src.insert_str(at, &insert);
            if let Err(errors) = Settings::parse("c.toml", &src, Some(&lib)) {
                proptest::prop_assert!(!errors.is_empty());
                for e in errors {
                    proptest::prop_assert!(e.line <= src.lines().count() + 1, "{e}");
                }
            }
        }
    }

    #[test]
    fn secrets_never_print() {
        let smtp = SmtpSettings {
            host: "127.0.0.1".into(),
            port: 25,
            security: SmtpSecurity::None,
            user: Some("u".into()),
            password: Some("tres-secret".into()),
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

    #[test]
    fn an_identity_belongs_to_one_person() {
        let src = "[[personnes]]\nid = \"a\"\nnom = \"A\"\nidentites = [\"console:x\", \"console:x\"]\n\n\
                   [[personnes]]\nid = \"b\"\nnom = \"B\"\nidentites = [\"console:y\",\n  \"console:x\"]\n";
        let e = Settings::parse("c.toml", src, None).expect_err("x is a's and b's");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, 10);
        assert!(
            e[0].message.contains("console:x") && e[0].message.contains("« a » (ligne 4)"),
            "{e:?}"
        );
        // Twice for the same person is harmless, and kept once.
        let ok = src.replace("\n  \"console:x\"]", "]");
        let s = Settings::parse("c.toml", &ok, None).expect("valid");
        assert_eq!(
            s.people[0].identities,
            vec![("console".to_string(), "x".to_string())]
        );
    }

    #[test]
    fn identities_are_checked_by_channel() {
        for (bad, hint) in [
            ("matrix:claire", "@nom:serveur"),
            ("matrix:@claire", "@nom:serveur"),
            ("matrix:claire:tchap.gouv.fr", "@nom:serveur"),
            ("telegram:@claire", "numéro"),
            ("telegram:-100123", "numéro"),
            ("telegram:12a", "numéro"),
            ("telegram:", "numéro"),
            ("console:", "sans espace"),
            ("console:chef adjoint", "sans espace"),
            ("irc:x", "attendu console:NOM"),
            ("chef", "attendu console:NOM"),
        ] {
            let src = format!("[[personnes]]\nid = \"a\"\nnom = \"A\"\nidentites = [\n  \"{bad}\"]\n");
            let e = Settings::parse("c.toml", &src, None).expect_err(bad);
            assert_eq!(e.len(), 1, "{bad}: {e:?}");
            assert_eq!(e[0].line, 5, "{bad}: {e:?}");
            assert!(
                e[0].message.contains(hint) && e[0].message.contains(bad),
                "{bad}: {e:?}"
            );
        }
        let src = "[[personnes]]\nid = \"a\"\nnom = \"A\"\n\
                   identites = [\"matrix:@claire.martin:tchap.gouv.fr\", \"telegram:123456789\", \"console: chef \"]\n";
        let s = Settings::parse("c.toml", src, None).expect("valid");
        assert_eq!(
            s.people[0].identities,
            vec![
                ("matrix".to_string(), "@claire.martin:tchap.gouv.fr".to_string()),
                ("telegram".to_string(), "123456789".to_string()),
                ("console".to_string(), "chef".to_string()),
            ]
        );
    }

    #[test]
    fn secrets_come_from_a_variable_or_a_file() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("s");
        std::fs::write(&file, "  tres secret \n\n").expect("write");
        let path = file.to_str().expect("utf8");
        // Trailing whitespace only: a passphrase may begin with a space.
        assert_eq!(secret(None, Some(path), "x"), Ok(Some("  tres secret".into())));
        assert_eq!(secret(None, None, "x"), Ok(None));
        let absent = secret(Some("ECHEANCIER_TEST_VARIABLE_ABSENTE"), Some(path), "jeton HTTP")
            .expect_err("the variable wins, and is absent");
        assert!(
            absent.starts_with("jeton HTTP : ") && absent.contains("ECHEANCIER_TEST_VARIABLE_ABSENTE"),
            "{absent}"
        );
        std::fs::write(&file, "\n").expect("write");
        let empty = secret(None, Some(path), "mot de passe SMTP").expect_err("empty");
        assert!(empty.contains("est vide"), "{empty}");
        let missing = dir.path().join("absent");
        let unreadable = secret(None, missing.to_str(), "mot de passe SMTP").expect_err("missing file");
        assert!(unreadable.contains("lecture de"), "{unreadable}");
    }

    #[test]
    fn matrix_needs_a_store_passphrase() {
        let dir = tempfile::tempdir().expect("dir");
        let password = dir.path().join("p");
        std::fs::write(&password, "motdepasse\n").expect("write");
        let base = format!(
            "[matrix]\nserveur = \"http://127.0.0.1:8008\"\ncompte = \"bot\"\nmot_de_passe_fichier = \"{}\"\n",
            password.display()
        );
        let e = Settings::parse("c.toml", &base, None).expect_err("no passphrase");
        assert!(
            e.len() == 1 && e[0].line == 2 && e[0].message.contains("phrase_secrete_fichier"),
            "{e:?}"
        );
        let with = format!("{base}phrase_secrete_fichier = \"{}\"\n", password.display());
        let s = Settings::parse("c.toml", &with, None).expect("valid");
        let m = s.matrix.expect("matrix");
        assert_eq!(
            (m.password.as_str(), m.passphrase.as_str()),
            ("motdepasse", "motdepasse")
        );
        assert!(!format!("{m:?}").contains("motdepasse"));
    }

    #[test]
    fn settings_never_print_the_database_password() {
        let s = Settings::parse(
            "c.toml",
            "database_url = \"postgres://u:secret@h/db?password=secret2\"\n",
            None,
        )
        .expect("valid");
        // The environment may name another database: the test sets its own.
        let s = Settings {
            database_url: "postgres://u:secret@h/db?password=secret2".into(),
            http_token: Some("secret3".into()),
            ..s
        };
        let printed = format!("{s:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(
            printed.contains("postgres://u:***@h/db?password=***"),
            "{printed}"
        );
    }

    #[test]
    fn http_outside_loopback_is_warned() {
        let s = Settings::parse("c.toml", "[http]\nadresse = \"127.0.0.1:9187\"\n", None).expect("valid");
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let s = Settings::parse("c.toml", "[http]\nadresse = \"0.0.0.0:9187\"\n", None).expect("valid");
        assert!(
            s.warnings.len() == 1
                && s.warnings[0].line == 2
                && s.warnings[0].message.contains("pas une adresse locale"),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn role_scope_needs_its_place() {
        let lib = crate::library::embedded().expect("procedures");
        let src = "[[personnes]]\nid = \"x\"\nnom = \"X\"\nroles = [{ role = \"cpe\" }]\n";
        let e = Settings::parse("c.toml", src, Some(&lib)).expect_err("cpe needs a school");
        assert!(e[0].message.contains("etablissement"), "{e:?}");
    }
}
