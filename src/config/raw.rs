//! The configuration file as written: serde structs with French keys, each
//! value a person may get wrong kept with its span so that validation can
//! name its line. Nothing here is checked beyond TOML's types; the
//! sections' own files turn these into `Settings`.

use serde::Deserialize;
use toml::Spanned;

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
    pub web: Option<RawWeb>,
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
    /// A certificate authority (PEM) trusted besides the public ones, for a
    /// server whose certificate an internal authority signed.
    pub certificat_ac: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatrix {
    pub serveur: Spanned<String>,
    /// The bot's account, e.g. "@echeancier:tchap.gouv.fr" or "echeancier".
    pub compte: String,
    pub mot_de_passe_env: Option<String>,
    pub mot_de_passe_fichier: Option<String>,
    /// An access token instead of the password (a device made for the bot).
    pub jeton_env: Option<String>,
    pub jeton_fichier: Option<String>,
    /// The recovery key or passphrase of the bot's secret storage: its
    /// cross-signing keys survive a new device.
    pub cle_recuperation_env: Option<String>,
    pub cle_recuperation_fichier: Option<String>,
    /// Environment variable holding the passphrase of the crypto store.
    pub phrase_secrete_env: Option<String>,
    /// File holding the passphrase of the crypto store.
    pub phrase_secrete_fichier: Option<String>,
    /// Messages the bot may send per second (0: no limit). By default 1
    /// towards a Tchap homeserver, no limit elsewhere.
    pub messages_par_seconde: Option<Spanned<f64>>,
    /// When the bot's account expires unless renewed (Tchap: 13 months),
    /// AAAA-MM-JJ: the administrators hear of it 30, 7 and 1 days ahead.
    pub compte_expire_le: Option<Spanned<String>>,
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

/// The staff web office.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    /// Where it listens, e.g. "127.0.0.1:8080".
    pub adresse: Option<Spanned<String>>,
    /// The address staff open, as links in emails and chat give it
    /// (https://… behind a reverse proxy); by default http://ADRESSE.
    pub url_publique: Option<Spanned<String>>,
    /// How long a session lasts, in hours (default 8).
    pub duree_session_heures: Option<Spanned<u32>>,
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
    /// The hours an appointment with a family may take, `HH:MM` (by
    /// default 08:00 to 19:00, for parents' working hours).
    pub rendez_vous_debut: Option<Spanned<String>>,
    pub rendez_vous_fin: Option<Spanned<String>>,
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
    /// Reminders in a direct message with the bot on Matrix, beside the
    /// rooms of the person's roles.
    #[serde(default)]
    pub rappels_en_direct: bool,
    /// Gives link codes from chat (`!lien`) and hears about the bot
    /// accounts' health (their expiry).
    #[serde(default)]
    pub administrateur: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrant {
    pub role: Spanned<String>,
    pub etablissement: Option<Spanned<String>>,
    pub departement: Option<Spanned<String>>,
    pub partenaire: Option<Spanned<String>>,
}
