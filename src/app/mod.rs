//! The application service: opens cases, applies changes (recomputing the
//! plan and writing the audit trail in the same transaction) and answers
//! chat commands. Front-ends (console, Matrix, Telegram) call
//! [`App::handle`] with the sender's channel identity and the text, and
//! send back the reply; they decide nothing themselves.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use echeancier_core::authz::{Actor, Place, Refusal};
use echeancier_core::calendar::CalendarId;
use echeancier_core::case::PartnerAnswer;
use echeancier_core::procedure::{Library, Procedure, Scope};
use echeancier_core::school::SchoolCalendar;
use serde_json::json;
use sqlx::AnyConnection;

use echeancier_core::reminder::WorkingHours;

use crate::clock::Clock;
use crate::config::{OralMode, Settings};
use crate::notice::Templates;
use crate::store::{AuditEntry, CaseRow, StepRow, Store, StoreError};

mod accounts;
pub mod answers;
mod calls;
pub use notices::Slot;
mod cases;
pub mod commands;
mod feeds;
pub mod indicators;
mod links;
mod notices;
pub mod office;
mod partnership;
pub mod sessions;
mod status;
pub mod versions;

pub use accounts::BotAccount;

/// Who made a change, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub actor: String,
    pub channel: String,
}

impl Who {
    pub fn cli() -> Who {
        let user = std::env::var("USER").unwrap_or_else(|_| "admin".into());
        Who {
            actor: format!("cli:{user}"),
            channel: "cli".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or outside the actor's scope: one answer for both, so that
    /// nobody learns from outside which references exist.
    #[error("Désolé, le dossier {0} est introuvable dans votre périmètre.")]
    NotFound(String),
    /// An individual case asked for where its audience cannot read it.
    #[error(
        "Désolé, ce salon ne montre pas les dossiers individuels : écrivez-moi en message direct, ou dans le salon du personnel concerné."
    )]
    Place,
    #[error("Désolé, trop d'essais de code de liaison depuis ce compte : réessayez dans une heure.")]
    TooManyAttempts,
    #[error("Le dossier {0} est clos : il ne peut plus être modifié.")]
    Closed(String),
    // What was typed is not repeated: it may be a name written by mistake.
    #[error("Étape inconnue. Étapes de ce dossier : {available}.")]
    UnknownStep { step: String, available: String },
    #[error("Événement inconnu. Événements de ce dossier : {available}.")]
    UnknownEvent { event: String, available: String },
    #[error("Partenaire inconnu pour ce dossier. Partenaires : {available}.")]
    UnknownPartner { partner: String, available: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure of the machine, not of the input (the random source, a
    /// template that cannot render): exit code 1, never 2.
    #[error("{0}")]
    Runtime(String),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Store(StoreError::Db(e))
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

/// One change to a case's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Event {
        event: String,
        on: NaiveDate,
    },
    Param {
        param: String,
        value: u32,
    },
    StepDone {
        step: String,
        on: NaiveDate,
    },
    Reschedule {
        step: String,
        to: NaiveDate,
        reason: String,
        /// Accepts a date past the step's legal date (recorded in the audit).
        confirmed: bool,
    },
    Receipt {
        partner: String,
        on: NaiveDate,
    },
    Answer {
        partner: String,
        answer: PartnerAnswer,
    },
    Close,
    /// Recompute only (e.g. after the calendar or procedure changed).
    Recompute,
    /// Milestone `number` of the case's contract (`!jalon`): its title,
    /// kept for the web office, and its date, the event `jalon_N`.
    Milestone {
        number: u32,
        title: String,
        on: NaiveDate,
    },
}

impl Change {
    fn audit(&self) -> (&'static str, serde_json::Value) {
        match self {
            Change::Event { event, on } => ("evenement", json!({"evenement": event, "date": on.to_string()})),
            Change::Param { param, value } => ("parametre", json!({"parametre": param, "valeur": value})),
            Change::StepDone { step, on } => ("etape_faite", json!({"etape": step, "date": on.to_string()})),
            // The reason itself is a note of the case (see `apply`).
            Change::Reschedule { step, to, .. } => ("report", json!({"etape": step, "date": to.to_string()})),
            Change::Receipt { partner, on } => (
                "reception",
                json!({"partenaire": partner, "date": on.to_string()}),
            ),
            Change::Answer {
                partner,
                answer: PartnerAnswer::Approved(on),
            } => (
                "approbation",
                json!({"partenaire": partner, "date": on.to_string()}),
            ),
            Change::Answer {
                partner,
                answer: PartnerAnswer::Objection { on, .. },
            } => (
                "objection",
                json!({"partenaire": partner, "date": on.to_string()}),
            ),
            Change::Close => ("cloture", json!({})),
            // The title may name the pupil: the web page shows it, not the trail.
            Change::Milestone { number, on, .. } => {
                ("jalon", json!({"numero": number, "date": on.to_string()}))
            }
            Change::Recompute => ("recalcul", json!({})),
        }
    }
}

/// A guardian of the pupil (personal data, never shown in chat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardianInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A postal address (the web office's intake form).
    pub address: Option<String>,
    pub language: String,
    pub needs_oral: bool,
}

/// What it takes to open a case.
#[derive(Debug, Clone, Default)]
pub struct OpenCase {
    pub procedure: String,
    pub establishment: Option<String>,
    pub departement: Option<String>,
    pub parent: Option<String>,
    pub title: Option<String>,
    pub partners: Vec<String>,
    pub events: Vec<(String, NaiveDate)>,
    pub params: Vec<(String, u32)>,
    pub pupil: Option<(String, Option<String>)>,
    /// The pupil's date of birth, where the procedure's priority public
    /// is told by age (personal: the web office only).
    pub pupil_birth: Option<NaiveDate>,
    pub guardians: Vec<GuardianInput>,
    pub opened_on: Option<NaiveDate>,
    /// Dates out of the procedure's order, or its condition unmet, are kept
    /// rather than refused; the audit trail and the case say so.
    pub confirmed: bool,
    /// The opener could give the condition's dates (the web office's
    /// intake form): missing ones refuse the case unless `confirmed`.
    /// Elsewhere (chat, where they may not be typed; the operator's
    /// command line) they are entered later, and the case shows them to
    /// enter until then.
    pub condition_required: bool,
}

/// A case as stored after a change.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub case: CaseRow,
    pub steps: Vec<StepRow>,
}

/// Settings the service needs beyond the store and procedures.
#[derive(Debug)]
pub struct Options {
    pub hours: WorkingHours,
    pub templates: Templates,
    pub oral: OralMode,
    /// The hours appointments with families keep to (start, end).
    pub family_hours: (chrono::NaiveTime, chrono::NaiveTime),
    /// The console identity that receives reminders, when the console runs.
    pub console: Option<String>,
    pub email_from: String,
    /// Reminders also go to the Telegram private chats of linked staff.
    pub telegram: bool,
    pub retention: echeancier_core::retention::Retention,
    /// Matrix rooms and the establishments, roles and items they receive.
    pub matrix_rooms: Vec<crate::config::MatrixRoom>,
    /// How far ahead a step may be rescheduled, in days from today.
    pub reschedule_horizon_days: i64,
    /// Matrix accounts that also get their reminders in a direct message.
    pub matrix_direct: Vec<String>,
    /// The web office's public address, when it runs: links point there.
    pub web_url: Option<String>,
    /// Bot accounts whose expiry the configuration gives.
    pub accounts: Vec<BotAccount>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            hours: WorkingHours::default(),
            templates: match Templates::embedded() {
                Ok(t) => t,
                Err(e) => panic!("embedded templates are invalid: {e}"),
            },
            oral: OralMode::AlsoEmail,
            family_hours: (
                chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
                chrono::NaiveTime::from_hms_opt(19, 0, 0).unwrap_or_default(),
            ),
            console: None,
            email_from: "echeancier@localhost".into(),
            telegram: false,
            retention: echeancier_core::retention::Retention::FollowingSchoolYear,
            matrix_rooms: Vec::new(),
            reschedule_horizon_days: 365,
            matrix_direct: Vec::new(),
            web_url: None,
            accounts: Vec::new(),
        }
    }
}

impl Options {
    /// The hours appointments with families keep to.
    pub fn hours_for_families(&self) -> (chrono::NaiveTime, chrono::NaiveTime) {
        self.family_hours
    }

    pub fn from_settings(settings: &Settings, templates: Templates) -> Options {
        Options {
            hours: settings.hours,
            templates,
            oral: settings.oral,
            family_hours: settings.family_hours,
            console: (settings.console == Some(true)).then(|| settings.console_identity.clone()),
            email_from: settings.email_from.clone(),
            telegram: settings.telegram.is_some(),
            retention: settings.retention,
            matrix_rooms: settings
                .matrix
                .as_ref()
                .map(|m| m.rooms.clone())
                .unwrap_or_default(),
            reschedule_horizon_days: settings.reschedule_horizon_days,
            // Only where the bot runs.
            matrix_direct: match settings.matrix {
                Some(_) => settings
                    .people
                    .iter()
                    .filter(|p| p.direct_reminders)
                    .flat_map(|p| {
                        p.identities
                            .iter()
                            .filter(|(c, _)| c == "matrix")
                            .map(|(_, id)| id.clone())
                    })
                    .collect(),
                None => Vec::new(),
            },
            web_url: settings.web.as_ref().map(|w| w.public_url.clone()),
            accounts: settings
                .matrix
                .iter()
                .filter_map(|m| {
                    m.expires_on.map(|on| BotAccount {
                        channel: crate::channel::Channel::Matrix,
                        account: m.user.clone(),
                        expires_on: on,
                    })
                })
                .collect(),
        }
    }
}

/// Link-code attempts per chat account (`channel:id`).
type LinkLimiter = governor::DefaultKeyedRateLimiter<String>;

/// The fields are the crate's: front-ends call methods, never the store.
#[derive(Clone)]
pub struct App {
    pub(crate) store: Store,
    pub(crate) library: Arc<Library>,
    pub(crate) school: Arc<SchoolCalendar>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) options: Arc<Options>,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    link_attempts: Arc<LinkLimiter>,
    /// The day the bot accounts' expiry was last checked: once a day, not
    /// at every tick.
    accounts_checked: Arc<std::sync::Mutex<Option<NaiveDate>>>,
    /// The procedure files loaded and their digests, and the earlier
    /// versions some cases still follow.
    versions: Arc<versions::Versions>,
}

/// Five attempts, then one more every twelve minutes: a 40-bit code
/// cannot be guessed at that pace, and a typo costs nothing.
fn link_limiter() -> LinkLimiter {
    let quota = governor::Quota::per_hour(std::num::NonZeroU32::new(5).unwrap_or(std::num::NonZeroU32::MIN));
    governor::RateLimiter::dashmap(quota)
}

/// The audience of a configured Matrix room.
pub fn room_place(room: &crate::config::MatrixRoom) -> Place {
    if room.partners {
        Place::Partners {
            departement: room.departement.clone(),
        }
    } else {
        Place::Staff {
            establishment: room.establishment.clone(),
            departement: room.departement.clone(),
        }
    }
}

const MAX_TEXT: usize = 500;

impl App {
    pub fn new(store: Store, library: Library, clock: Arc<dyn Clock>) -> App {
        App {
            versions: Arc::new(versions::Versions::new(&library)),
            store,
            library: Arc::new(library),
            school: Arc::new(SchoolCalendar::embedded()),
            clock,
            options: Arc::new(Options::default()),
            metrics: Arc::new(crate::metrics::Metrics::default()),
            link_attempts: Arc::new(link_limiter()),
            accounts_checked: Arc::default(),
        }
    }

    pub fn with_options(mut self, options: Options) -> App {
        self.options = Arc::new(options);
        self
    }

    /// Whether a person holds any staff role (not only a partner's).
    pub fn is_staff(&self, actor: &Actor) -> bool {
        actor.grants.iter().any(|g| {
            self.library
                .roles
                .get(&g.role)
                .is_some_and(|r| r.scope != Scope::Partenaire)
        })
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today(CalendarId::Metropole)
    }

    /// The local time in metropolitan France (appointments are stored in
    /// local time).
    pub fn now_local(&self) -> chrono::NaiveDateTime {
        self.clock
            .now()
            .with_timezone(&CalendarId::Metropole.time_zone())
            .naive_local()
    }

    fn procedure(&self, id: &str) -> Result<&Procedure> {
        self.library.get(id).ok_or_else(|| {
            AppError::Invalid(format!(
                "Procédure « {id} » inconnue : son fichier a-t-il été retiré ?"
            ))
        })
    }
}

fn check_step<'a>(proc: &'a Procedure, step: &str) -> Result<&'a echeancier_core::procedure::StepDef> {
    proc.step(step).ok_or_else(|| AppError::UnknownStep {
        step: step.to_string(),
        available: proc
            .steps
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn check_event(proc: &Procedure, event: &str) -> Result<()> {
    if proc.event(event).is_some() {
        return Ok(());
    }
    Err(AppError::UnknownEvent {
        event: event.to_string(),
        available: proc
            .events
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// An event chat may date: declared, and not confidential (those are
/// entered and read on the web office only).
fn check_chat_event(proc: &Procedure, event: &str) -> Result<()> {
    check_event(proc, event)?;
    if proc.event(event).is_some_and(|e| e.confidential) {
        return Err(AppError::Invalid(format!(
            "« {event} » est une date confidentielle : elle se saisit et se lit sur le bureau web seulement."
        )));
    }
    Ok(())
}

/// A receipt cannot be dated in the future.
fn check_event_date(proc: &Procedure, event: &str, on: NaiveDate, today: NaiveDate) -> Result<()> {
    if proc.event(event).is_some_and(|e| e.receipt) && on > today {
        return Err(AppError::Invalid(
            "Une réception ne peut pas être datée dans le futur.".into(),
        ));
    }
    Ok(())
}

fn check_param(proc: &Procedure, param: &str) -> Result<()> {
    if proc.params.iter().any(|p| p.id == param) {
        return Ok(());
    }
    Err(AppError::Invalid(format!(
        "Paramètre inconnu. Paramètres : {}.",
        proc.params
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

async fn unknown_partner(conn: &mut AnyConnection, case_id: i64, partner: &str) -> AppError {
    let available = Store::case_partners(conn, case_id)
        .await
        .unwrap_or_default()
        .join(", ");
    AppError::UnknownPartner {
        partner: partner.to_string(),
        available,
    }
}

/// Free text from a user: trimmed, bounded, no control characters.
fn clean_text(s: &str, what: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(AppError::Invalid(format!("Le {what} est vide.")));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(AppError::Invalid(format!(
            "Le {what} dépasse {MAX_TEXT} caractères."
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::Invalid(format!(
            "Le {what} contient des caractères de contrôle."
        )));
    }
    Ok(t.to_string())
}

/// Appends to the audit trail, in the caller's transaction, a change
/// `who` made at `at`.
async fn record(
    conn: &mut AnyConnection,
    who: &Who,
    at: DateTime<Utc>,
    case_ref: Option<String>,
    action: &str,
    detail: serde_json::Value,
) -> std::result::Result<(), StoreError> {
    Store::audit(
        conn,
        &AuditEntry {
            at,
            actor: who.actor.clone(),
            channel: who.channel.clone(),
            case_ref,
            action: action.to_string(),
            detail,
        },
    )
    .await
}
