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
    pub rooms: Vec<MatrixRoom>,
}

impl std::fmt::Debug for MatrixSettings {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixSettings")
            .field("homeserver", &self.homeserver)
            .field("user", &self.user)
            .field("password", &"***")
            .field("rooms", &self.rooms)
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// Address of /healthz and /metrics, e.g. "127.0.0.1:9187"; off when absent.
    pub adresse: Option<Spanned<String>>,
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
    /// Group chats where commands are accepted.
    #[serde(default)]
    pub groupes: Vec<i64>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct TelegramSettings {
    pub token: String,
    pub api: Option<String>,
    pub groups: Vec<i64>,
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
#[derive(Debug, Clone)]
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
    pub digests: Vec<DigestSettings>,
    pub departements: Vec<DepartementSettings>,
    /// Findings that do not stop the daemon (e.g. a secret written in the file).
    pub warnings: Vec<ConfigError>,
    pub telegram: Option<TelegramSettings>,
    pub retention: echeancier_core::retention::Retention,
    pub http: Option<std::net::SocketAddr>,
    pub matrix: Option<MatrixSettings>,
    pub console: bool,
    pub console_identity: String,
    pub establishments: Vec<EstablishmentSettings>,
    pub partners: Vec<PartnerSettings>,
    pub people: Vec<PersonSettings>,
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

    /// Settings with every default and an empty directory.
    pub fn defaults() -> Settings {
        match Self::from_raw(RawConfig::default(), "(défauts)", "", None) {
            Ok(s) => s,
            Err(e) => panic!("built-in defaults are invalid: {e:?}"),
        }
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
                let password = match (&raw.email.mot_de_passe_env, &raw.email.mot_de_passe_fichier) {
                    (Some(var), _) => match std::env::var(var) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            err(
                                0..0,
                                format!("variable d'environnement {var} absente (mot de passe SMTP)"),
                            );
                            None
                        }
                    },
                    (None, Some(path)) => match std::fs::read_to_string(path) {
                        Ok(v) => Some(v.trim_end().to_string()),
                        Err(e) => {
                            err(0..0, format!("lecture du mot de passe SMTP dans {path} : {e}"));
                            None
                        }
                    },
                    (None, None) => None,
                };
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
                let token = match (&t.jeton_env, &t.jeton_fichier) {
                    (Some(var), _) => std::env::var(var).ok(),
                    (None, Some(path)) => std::fs::read_to_string(path).ok().map(|s| s.trim().to_string()),
                    (None, None) => None,
                };
                if let Some(api) = &t.api
                    && !(api.get_ref().starts_with("http://") || api.get_ref().starts_with("https://"))
                {
                    err(
                        api.span(),
                        format!("adresse d'API « {} » invalide", api.get_ref()),
                    );
                }
                match token {
                    Some(token) if !token.is_empty() => Some(TelegramSettings {
                        token,
                        api: t.api.as_ref().map(|a| a.get_ref().clone()),
                        groups: t.groupes.clone(),
                    }),
                    _ => {
                        err(
                            0..0,
                            "[telegram] : jeton introuvable (jeton_env ou jeton_fichier)".into(),
                        );
                        None
                    }
                }
            }
        };
        let matrix = match &raw.matrix {
            None => None,
            Some(m) => {
                let password = match (&m.mot_de_passe_env, &m.mot_de_passe_fichier) {
                    (Some(var), _) => std::env::var(var).ok(),
                    (None, Some(path)) => std::fs::read_to_string(path)
                        .ok()
                        .map(|s| s.trim_end().to_string()),
                    (None, None) => None,
                };
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
                match password {
                    Some(password) if !password.is_empty() => Some(MatrixSettings {
                        homeserver: m.serveur.get_ref().clone(),
                        user: m.compte.clone(),
                        password,
                        rooms,
                    }),
                    _ => {
                        err(
                            m.serveur.span(),
                            "[matrix] : mot de passe introuvable (mot_de_passe_env ou mot_de_passe_fichier)"
                                .into(),
                        );
                        None
                    }
                }
            }
        };
        let http = match &raw.http.adresse {
            None => None,
            Some(a) => match a.get_ref().parse::<std::net::SocketAddr>() {
                Ok(addr) => Some(addr),
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
                match i.get_ref().split_once(':') {
                    Some((channel, id)) if CHANNELS.contains(&channel) && !id.trim().is_empty() => {
                        identities.push((channel.to_string(), id.trim().to_string()))
                    }
                    _ => err(
                        i.span(),
                        format!(
                            "identité « {} » invalide : attendu console:NOM, matrix:@compte:serveur ou telegram:NUMÉRO",
                            i.get_ref()
                        ),
                    ),
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
                digests,
                departements,
                warnings,
                telegram,
                http,
                matrix,
                retention: match raw.conservation.mois_apres_cloture {
                    Some(n) => echeancier_core::retention::Retention::Months(n.clamp(1, 1200)),
                    None => echeancier_core::retention::Retention::FollowingSchoolYear,
                },
                console: raw.console.actif.unwrap_or(true),
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
        let s = Settings::defaults();
        assert!(s.database_url.starts_with("sqlite://"));
        assert!(s.console);
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
    fn role_scope_needs_its_place() {
        let lib = crate::library::embedded().expect("procedures");
        let src = "[[personnes]]\nid = \"x\"\nnom = \"X\"\nroles = [{ role = \"cpe\" }]\n";
        let e = Settings::parse("c.toml", src, Some(&lib)).expect_err("cpe needs a school");
        assert!(e[0].message.contains("etablissement"), "{e:?}");
    }
}
