//! The application service: opens cases, applies changes (recomputing the
//! plan and writing the audit trail in the same transaction) and answers
//! chat commands. Front-ends (console, Matrix, Telegram) call
//! [`App::handle`] with the sender's channel identity and the text, and
//! send back the reply; they decide nothing themselves.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use echeancier_core::authz::{self, Action, Actor, CaseScope, Place, Refusal};
use echeancier_core::calendar::{Calendar, CalendarId};
use echeancier_core::case::{self, Env, PartnerAnswer, StepPlan};
use echeancier_core::command::{self, Command, Horizon};
use echeancier_core::ids::{CaseRef, Uai};
use echeancier_core::procedure::{Anchor, Audience, Library, Procedure, Scope};
use echeancier_core::school::{SchoolCalendar, Zone};
use serde_json::json;
use sqlx::AnyConnection;

use echeancier_core::reminder::{self, PendingStep, WorkingHours};

use crate::clock::Clock;
use crate::config::{OralMode, Settings};
use crate::notice::Templates;
use crate::store::outbox::NewReminder;
use crate::store::{AuditEntry, CaseRow, Establishment, NewCase, StepRow, Store, StoreError};
use crate::view;

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
    pub guardians: Vec<GuardianInput>,
    pub opened_on: Option<NaiveDate>,
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
            console: None,
            email_from: "echeancier@localhost".into(),
            telegram: false,
            retention: echeancier_core::retention::Retention::FollowingSchoolYear,
            matrix_rooms: Vec::new(),
            reschedule_horizon_days: 365,
        }
    }
}

impl Options {
    pub fn from_settings(settings: &Settings, templates: Templates) -> Options {
        Options {
            hours: settings.hours,
            templates,
            oral: settings.oral,
            console: settings.console.then(|| settings.console_identity.clone()),
            email_from: settings.email_from.clone(),
            telegram: settings.telegram.is_some(),
            retention: settings.retention,
            matrix_rooms: settings
                .matrix
                .as_ref()
                .map(|m| m.rooms.clone())
                .unwrap_or_default(),
            reschedule_horizon_days: settings.reschedule_horizon_days,
        }
    }
}

/// Link-code attempts per chat account (`channel:id`).
type LinkLimiter = governor::DefaultKeyedRateLimiter<String>;

#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub library: Arc<Library>,
    pub school: Arc<SchoolCalendar>,
    pub clock: Arc<dyn Clock>,
    pub options: Arc<Options>,
    pub metrics: Arc<crate::metrics::Metrics>,
    link_attempts: Arc<LinkLimiter>,
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
            store,
            library: Arc::new(library),
            school: Arc::new(SchoolCalendar::embedded()),
            clock,
            options: Arc::new(Options::default()),
            metrics: Arc::new(crate::metrics::Metrics::default()),
            link_attempts: Arc::new(link_limiter()),
        }
    }

    pub fn with_options(mut self, options: Options) -> App {
        self.options = Arc::new(options);
        self
    }

    /// Writes the configured directory into the database.
    pub async fn sync_directory(&self, settings: &Settings) -> Result<()> {
        for e in &settings.establishments {
            self.store
                .upsert_establishment(&Establishment {
                    uai: e.uai.to_string(),
                    name: e.name.clone(),
                    departement: e.uai.departement().to_string(),
                    calendar: e.calendar.to_string(),
                    good_friday: e.good_friday,
                    zone: e.zone.clone(),
                    closed_days: e.closed_days.clone(),
                    address: e.address.clone(),
                    phone: e.phone.clone(),
                })
                .await?;
        }
        for p in &settings.partners {
            self.store.upsert_partner(&p.id, &p.name, &p.departement).await?;
        }
        for d in &settings.departements {
            self.store
                .upsert_departement(&crate::store::Departement {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    address: d.address.clone(),
                    phone: d.phone.clone(),
                })
                .await?;
        }
        for p in &settings.people {
            self.store
                .upsert_person(&p.slug, &p.name, p.email.as_deref(), &p.grants, &p.identities)
                .await?;
        }
        Ok(())
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

    fn procedure(&self, id: &str) -> Result<&Procedure> {
        self.library.get(id).ok_or_else(|| {
            AppError::Invalid(format!(
                "Procédure « {id} » inconnue : son fichier a-t-il été retiré ?"
            ))
        })
    }

    pub async fn calendar(conn: &mut AnyConnection, case: &CaseRow) -> Result<Calendar> {
        let id: CalendarId = case
            .calendar
            .parse()
            .map_err(|e: echeancier_core::calendar::UnknownCalendar| AppError::Invalid(e.to_string()))?;
        let mut cal = Calendar::new(id);
        if let Some(uai) = &case.establishment
            && let Some(e) = Store::establishment(conn, uai).await?
        {
            if let Some(gf) = e.good_friday {
                cal = cal.with_good_friday(gf);
            }
            cal.closed_days = e.closed_days;
        }
        Ok(cal)
    }

    /// Recomputes and stores the plan of a case, inside `conn`'s transaction.
    async fn replan(&self, conn: &mut AnyConnection, case: &CaseRow) -> Result<Vec<StepPlan>> {
        let proc = self.procedure(&case.procedure)?;
        let (plans, calendar) = self.plan_of(conn, case).await?;
        // When the scheduler should look at each step: its first reminder;
        // the scheduler then walks forward from there.
        let next: Vec<_> = plans
            .iter()
            .map(|p| {
                let def = proc.step(&p.step)?;
                let due = p.due.filter(|_| p.state.is_pending())?;
                let pending = PendingStep {
                    case_ref: &case.reference,
                    step: &p.step,
                    role: &p.role,
                    due,
                    policy: &def.reminders,
                };
                let until = due + Duration::days(400);
                reminder::intents(&pending, &calendar, &self.options.hours, until)
                    .first()
                    .map(|i| i.send_at)
            })
            .collect();
        Store::save_plan(conn, case.id, &plans, &next).await?;
        Ok(plans)
    }

    /// The plan of a case as its stored inputs give it, without saving.
    async fn plan_of(&self, conn: &mut AnyConnection, case: &CaseRow) -> Result<(Vec<StepPlan>, Calendar)> {
        let proc = self.procedure(&case.procedure)?;
        let inputs = Store::inputs(conn, case).await?;
        let calendar = Self::calendar(conn, case).await?;
        let zone = case.zone.as_deref().and_then(|z| z.parse::<Zone>().ok());
        let plans = case::plan(
            proc,
            &inputs,
            Env {
                calendar: &calendar,
                school: &self.school,
                zone,
                today: self.clock.today(calendar.id),
            },
        );
        Ok((plans, calendar))
    }

    /// Who may move a clock, and how far: a rescheduled date is a working
    /// day after the step's start, not past, within the horizon; past the
    /// step's legal date it needs `confirmed`. Returns the legal date.
    fn check_reschedule(
        &self,
        plan: Option<&StepPlan>,
        calendar: &Calendar,
        to: NaiveDate,
        confirmed: bool,
        today: NaiveDate,
    ) -> Result<Option<NaiveDate>> {
        use echeancier_core::french::long_date;
        let Some(start) = plan.and_then(|p| p.start) else {
            return Err(AppError::Invalid(
                "Cette étape n'a pas encore de point de départ : renseignez d'abord la date dont elle dépend.".into(),
            ));
        };
        if !calendar.is_working_day(to) {
            return Err(AppError::Invalid(format!(
                "Le {} n'est pas un jour ouvré : choisissez un jour ouvré.",
                long_date(to)
            )));
        }
        if to <= start {
            return Err(AppError::Invalid(format!(
                "La nouvelle date doit suivre le point de départ de l'étape, le {}.",
                long_date(start)
            )));
        }
        if to < today {
            return Err(AppError::Invalid(
                "La nouvelle date ne peut pas être passée.".into(),
            ));
        }
        let limit = today + Duration::days(self.options.reschedule_horizon_days);
        if to > limit {
            return Err(AppError::Invalid(format!(
                "La nouvelle date est trop lointaine : au plus tard le {}.",
                long_date(limit)
            )));
        }
        let legal = plan.and_then(StepPlan::legal_date);
        if let Some(l) = legal
            && to > l
            && !confirmed
        {
            return Err(AppError::Invalid(format!(
                "Le {} dépasse la date légale de cette étape, le {}. Pour reporter quand même, écrivez « confirme » après la date : !report REF ETAPE DATE confirme motif.",
                long_date(to),
                long_date(l)
            )));
        }
        Ok(legal)
    }

    /// Opens a case and computes its plan in one transaction.
    pub async fn open_case(&self, spec: OpenCase, who: &Who) -> Result<Snapshot> {
        let proc = self.procedure(&spec.procedure)?.clone();
        // Contacts are checked before anything is written; the error names
        // the field and never repeats what was typed.
        let mut guardians = Vec::with_capacity(spec.guardians.len());
        for (i, g) in spec.guardians.iter().enumerate() {
            let n = i + 1;
            let mut g = g.clone();
            g.email = match g.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                Some(e) => Some(
                    crate::contact::email(e, &format!("courriel du responsable {n}"))
                        .map_err(AppError::Invalid)?,
                ),
                None => None,
            };
            g.phone = match g.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => Some(
                    crate::contact::phone(p, &format!("téléphone du responsable {n}"))
                        .map_err(AppError::Invalid)?,
                ),
                None => None,
            };
            guardians.push(g);
        }
        let today = self.today();
        for (event, on) in &spec.events {
            check_event(&proc, event)?;
            check_event_date(&proc, event, *on, today)?;
        }
        let mut tx = self.store.begin().await?;
        let parent = match &spec.parent {
            Some(r) => Some(
                Store::case_by_ref(&mut tx, r)
                    .await?
                    .ok_or_else(|| AppError::NotFound(r.clone()))?,
            ),
            None => None,
        };
        let (establishment, departement, calendar, zone) = match proc.audience {
            Audience::Case => {
                let raw = spec.establishment.as_deref().ok_or_else(|| {
                    AppError::Invalid(
                        "Un dossier d'élève appartient à un établissement : donnez son UAI.".into(),
                    )
                })?;
                let uai: Uai = raw
                    .parse()
                    .map_err(|e: echeancier_core::ids::UaiError| AppError::Invalid(e.to_string()))?;
                let e = Store::establishment(&mut tx, uai.as_str())
                    .await?
                    .ok_or_else(|| {
                        AppError::Invalid(format!("Établissement {uai} non déclaré dans la configuration."))
                    })?;
                (Some(e.uai), e.departement, e.calendar, e.zone)
            }
            Audience::Partnership => {
                if spec.pupil.is_some() || !spec.guardians.is_empty() {
                    return Err(AppError::Invalid(
                        "Un élément de partenariat ne contient aucune donnée individuelle (ni élève ni responsable).".into(),
                    ));
                }
                let dep = spec
                    .departement
                    .clone()
                    .map(|d| crate::config::normalize_departement(&d))
                    .or_else(|| parent.as_ref().map(|p| p.departement.clone()))
                    .ok_or_else(|| {
                        AppError::Invalid("Donnez le département de la convention (par exemple 049).".into())
                    })?;
                let cal = parent
                    .as_ref()
                    .map(|p| p.calendar.clone())
                    .unwrap_or_else(|| "metropole".into());
                (None, dep, cal, parent.as_ref().and_then(|p| p.zone.clone()))
            }
        };
        let title = match (&spec.title, proc.audience) {
            (Some(t), Audience::Partnership) => Some(clean_text(t, "titre")?),
            (Some(_), Audience::Case) => {
                return Err(AppError::Invalid(
                    "Un dossier d'élève n'a pas de titre libre : la référence suffit et ne nomme personne."
                        .into(),
                ));
            }
            (None, _) => None,
        };
        let opened_on = spec.opened_on.unwrap_or_else(|| self.today());
        let (id, reference) = Store::insert_case(
            &mut tx,
            &NewCase {
                procedure: proc.id.clone(),
                prefix: proc.prefix.clone(),
                establishment,
                departement,
                parent_id: parent.as_ref().map(|p| p.id),
                title,
                calendar,
                zone,
                opened_on,
            },
            self.clock.now(),
        )
        .await?;
        let mut partners = spec.partners.clone();
        if partners.is_empty()
            && let Some(p) = &parent
        {
            partners = Store::case_partners(&mut tx, p.id).await?;
        }
        if proc.audience == Audience::Case && !partners.is_empty() {
            return Err(AppError::Invalid(
                "Un dossier d'élève n'est jamais transmis aux partenaires de la convention.".into(),
            ));
        }
        for p in &partners {
            if !self.store.partner_exists(p).await? {
                return Err(AppError::Invalid(format!(
                    "Partenaire « {p} » non déclaré dans la configuration."
                )));
            }
            Store::add_case_partner(&mut tx, id, p).await?;
        }
        for (event, on) in &spec.events {
            check_event(&proc, event)?;
            Store::set_event(&mut tx, id, event, *on).await?;
        }
        for (param, value) in &spec.params {
            check_param(&proc, param)?;
            Store::set_param(&mut tx, id, param, *value).await?;
        }
        if let Some((name, class)) = &spec.pupil {
            Store::set_pupil(&mut tx, id, name, class.as_deref()).await?;
        }
        for g in &guardians {
            Store::add_guardian(
                &mut tx,
                id,
                &g.name,
                g.email.as_deref(),
                g.phone.as_deref(),
                &g.language,
                g.needs_oral,
            )
            .await?;
        }
        let case = Store::case_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        self.replan(&mut tx, &case).await?;
        Store::audit(
            &mut tx,
            &audit_entry(
                who,
                self.clock.now(),
                Some(reference.to_string()),
                "ouverture",
                json!({
                    "procedure": proc.id,
                    "evenements": spec.events.iter().map(|(e, d)| (e.clone(), d.to_string())).collect::<Vec<_>>(),
                    "parametres": spec.params,
                    "partenaires": partners,
                }),
            ),
        )
        .await?;
        let snapshot = Snapshot {
            case: Store::case_by_id(&mut tx, id)
                .await?
                .ok_or_else(|| AppError::NotFound(reference.to_string()))?,
            steps: Store::steps(&mut tx, id).await?,
        };
        tx.commit().await?;
        Ok(snapshot)
    }

    /// Applies changes to a case, recomputes its plan and records the audit
    /// trail, all in one transaction: on any error nothing is changed.
    pub async fn apply(&self, reference: &str, changes: Vec<Change>, who: &Who) -> Result<Snapshot> {
        let mut tx = self.store.begin().await?;
        let case = Store::case_by_ref(&mut tx, reference)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        let proc = self.procedure(&case.procedure)?.clone();
        let today = self.today();
        // The plan before the changes, computed once if a check needs it.
        let mut plans: Option<(Vec<StepPlan>, Calendar)> = None;
        // Audit details that refer to the notes written for the changes.
        let mut notes: std::collections::BTreeMap<usize, serde_json::Value> = Default::default();
        for (i, change) in changes.iter().enumerate() {
            if !case.open && *change != Change::Recompute {
                return Err(AppError::Closed(case.reference.clone()));
            }
            match change {
                Change::Event { event, on } => {
                    check_event(&proc, event)?;
                    check_event_date(&proc, event, *on, today)?;
                    Store::set_event(&mut tx, case.id, event, *on).await?;
                }
                Change::Param { param, value } => {
                    check_param(&proc, param)?;
                    Store::set_param(&mut tx, case.id, param, *value).await?;
                }
                Change::StepDone { step, on } => {
                    let def = check_step(&proc, step)?;
                    if def.per_partner() {
                        return Err(AppError::Invalid(
                            "Cette étape se conclut par les réponses des partenaires (!approuve, !objection) ou par leur silence.".into(),
                        ));
                    }
                    if *on > today {
                        return Err(AppError::Invalid(
                            "Une étape ne peut pas être faite à une date future.".into(),
                        ));
                    }
                    Store::set_done(&mut tx, case.id, step, *on).await?;
                }
                Change::Reschedule {
                    step,
                    to,
                    reason,
                    confirmed,
                } => {
                    let def = check_step(&proc, step)?;
                    if def.per_partner() || def.effect.is_some() {
                        return Err(AppError::Invalid(
                            "Cette échéance découle du texte et ne se reporte pas : le délai n'est jamais prolongé.".into(),
                        ));
                    }
                    let reason = clean_text(reason, "motif")?;
                    if plans.is_none() {
                        plans = Some(self.plan_of(&mut tx, &case).await?);
                    }
                    let (plan, calendar) = plans
                        .as_ref()
                        .map(|(p, c)| (p, c))
                        .ok_or_else(|| AppError::Invalid("Plan du dossier indisponible.".into()))?;
                    let plan = plan.iter().find(|p| &p.step == step);
                    let legal = self.check_reschedule(plan, calendar, *to, *confirmed, today)?;
                    let note = Store::add_note(&mut tx, case.id, &reason, self.clock.now()).await?;
                    Store::set_rescheduled(&mut tx, case.id, step, *to, &reason).await?;
                    notes.insert(
                        i,
                        json!({
                            "motif": {"note": note},
                            "au_dela_date_legale": legal.is_some_and(|l| *to > l),
                            "date_legale": legal.map(|l| l.to_string()),
                        }),
                    );
                }
                Change::Receipt { partner, on } => {
                    if *on > today {
                        return Err(AppError::Invalid(
                            "Une réception ne peut pas être datée dans le futur.".into(),
                        ));
                    }
                    if !Store::set_receipt(&mut tx, case.id, partner, *on).await? {
                        return Err(unknown_partner(&mut tx, case.id, partner).await);
                    }
                }
                Change::Answer { partner, answer } => {
                    let answer = match answer {
                        PartnerAnswer::Objection { on, reason } => {
                            let reason = clean_text(reason, "motif")?;
                            let note = Store::add_note(&mut tx, case.id, &reason, self.clock.now()).await?;
                            notes.insert(i, json!({"motif": {"note": note}}));
                            PartnerAnswer::Objection { on: *on, reason }
                        }
                        other => other.clone(),
                    };
                    if !Store::set_answer(&mut tx, case.id, partner, &answer).await? {
                        return Err(unknown_partner(&mut tx, case.id, partner).await);
                    }
                }
                Change::Close => Store::close_case(&mut tx, case.id, today).await?,
                Change::Recompute => {}
            }
        }
        self.replan(&mut tx, &case).await?;
        // A recomputation changes no input: nothing for the audit trail.
        for (i, change) in changes
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != Change::Recompute)
        {
            let (action, mut detail) = change.audit();
            if let (Some(extra), Some(obj)) = (notes.remove(&i), detail.as_object_mut())
                && let Some(extra) = extra.as_object()
            {
                obj.extend(extra.clone());
            }
            Store::audit(
                &mut tx,
                &audit_entry(
                    who,
                    self.clock.now(),
                    Some(case.reference.clone()),
                    action,
                    detail,
                ),
            )
            .await?;
        }
        let snapshot = Snapshot {
            case: Store::case_by_id(&mut tx, case.id)
                .await?
                .ok_or_else(|| AppError::NotFound(reference.to_string()))?,
            steps: Store::steps(&mut tx, case.id).await?,
        };
        tx.commit().await?;
        Ok(snapshot)
    }

    pub async fn snapshot(&self, reference: &str) -> Result<Snapshot> {
        let mut conn = self.store.pool().acquire().await?;
        let case = Store::case_by_ref(&mut conn, reference)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        let steps = Store::steps(&mut conn, case.id).await?;
        Ok(Snapshot { case, steps })
    }

    /// The chat-safe text of a case.
    pub fn render(&self, snap: &Snapshot) -> String {
        match self.library.get(&snap.case.procedure) {
            Some(proc) => view::case(&snap.case, proc, &self.library.roles, &snap.steps, self.today()),
            None => format!(
                "{} — procédure « {} » inconnue",
                snap.case.reference, snap.case.procedure
            ),
        }
    }

    /// The case a command names, if `place` may show it: individual cases
    /// are refused in rooms whose audience cannot read them (known from the
    /// reference's prefix, before any lookup), and a case outside a staff
    /// room's scope is answered like a missing one.
    async fn visible_case(&self, place: &Place, reference: &CaseRef) -> Result<CaseRow> {
        let prefix = reference.as_str().split('-').next().unwrap_or_default();
        if let Some(p) = self.library.by_prefix(prefix)
            && p.audience == Audience::Case
            && !place.shows_cases()
        {
            return Err(AppError::Place);
        }
        let case = self.case_row(reference).await?;
        let audience = self.procedure(&case.procedure)?.audience;
        if !place.shows(audience, case.establishment.as_deref(), &case.departement) {
            return Err(if place.shows_cases() {
                AppError::NotFound(case.reference)
            } else {
                AppError::Place
            });
        }
        Ok(case)
    }

    async fn scope_check(&self, actor: Option<&Actor>, case: &CaseRow, action: Action<'_>) -> Result<()> {
        let proc = self.procedure(&case.procedure)?;
        let mut conn = self.store.pool().acquire().await?;
        let partners = Store::case_partners(&mut conn, case.id).await?;
        drop(conn);
        // Out of scope reads like missing: nothing is learnt from outside.
        match authz::authorize(
            actor,
            &self.library.roles,
            proc,
            &CaseScope {
                establishment: case.establishment.as_deref(),
                departement: &case.departement,
                partners: &partners,
            },
            &action,
        ) {
            Ok(()) => Ok(()),
            Err(Refusal::OutOfScope) => Err(AppError::NotFound(case.reference.clone())),
            Err(e) => Err(e.into()),
        }
    }

    async fn case_row(&self, reference: &CaseRef) -> Result<CaseRow> {
        let mut conn = self.store.pool().acquire().await?;
        Store::case_by_ref(&mut conn, reference.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))
    }

    /// Answers a message sent in private (the console, a direct message):
    /// see [`App::handle_in`].
    pub async fn handle(&self, channel: &str, external_id: &str, text: &str) -> Option<String> {
        self.handle_in(&Place::Direct, channel, external_id, text).await
    }

    /// Answers a chat message from `channel:external_id` written in `place`,
    /// whose audience bounds what the reply may show. `None` when the text
    /// is not a command. Never fails: errors become French replies.
    pub async fn handle_in(
        &self,
        place: &Place,
        channel: &str,
        external_id: &str,
        text: &str,
    ) -> Option<String> {
        let parsed = command::parse(text)?;
        let started = std::time::Instant::now();
        let label = crate::metrics::Metrics::channel(channel);
        self.metrics.commands.get_or_create(&label).inc();
        let reply = match parsed {
            Err(e) => e.message,
            Ok(cmd) => match self.execute(place, channel, external_id, cmd).await {
                Ok(text) => text,
                Err(AppError::Store(e)) => {
                    tracing::error!(error = %e, channel, "command failed on storage");
                    "Erreur interne : rien n'a été modifié. L'équipe technique est prévenue.".into()
                }
                Err(e) => e.to_string(),
            },
        };
        self.metrics
            .command_seconds
            .get_or_create(&label)
            .observe(started.elapsed().as_secs_f64());
        crate::view::chat_out(channel, &reply);
        Some(reply)
    }

    async fn execute(&self, place: &Place, channel: &str, external_id: &str, cmd: Command) -> Result<String> {
        if let Command::Help(topic) = &cmd {
            return Ok(command::help(topic.as_deref()));
        }
        // Linking is for accounts not linked yet.
        if let Command::Link(code) = &cmd {
            return self.link(channel, external_id, code).await;
        }
        let found = self.store.actor(channel, external_id).await?;
        let Some((actor, _name)) = found else {
            return Err(AppError::Refused(Refusal::Unknown));
        };
        let who = Who {
            actor: format!("personne:{} ({channel}:{external_id})", actor.person_id),
            channel: channel.to_string(),
        };
        let today = self.today();
        match cmd {
            Command::Help(_) => Ok(command::help(None)),
            Command::Deadlines(h) => self.deadlines_in(place, &actor, h, today).await,
            Command::Case(r) => {
                let case = self.visible_case(place, &r).await?;
                self.scope_check(Some(&actor), &case, Action::View).await?;
                Ok(self.render(&self.snapshot(r.as_str()).await?))
            }
            Command::StepDone { case, step, on } => {
                let row = self.visible_case(place, &case).await?;
                self.scope_check(Some(&actor), &row, Action::Step(&step)).await?;
                let on = on.unwrap_or(today);
                let snap = self
                    .apply(
                        case.as_str(),
                        vec![Change::StepDone {
                            step: step.clone(),
                            on,
                        }],
                        &who,
                    )
                    .await?;
                Ok(format!(
                    "✅ {case} : étape « {} » faite le {}.\n{}",
                    self.step_name(&row, &step),
                    echeancier_core::french::long_date(on),
                    self.next_steps(&snap, today)
                ))
            }
            Command::Reschedule {
                case,
                step,
                to,
                confirmed,
                reason,
            } => {
                let row = self.visible_case(place, &case).await?;
                self.scope_check(Some(&actor), &row, Action::Step(&step)).await?;
                let snap = self
                    .apply(
                        case.as_str(),
                        vec![Change::Reschedule {
                            step: step.clone(),
                            to,
                            reason,
                            confirmed,
                        }],
                        &who,
                    )
                    .await?;
                Ok(format!(
                    "📅 {case} : étape « {} » reportée au {} (motif enregistré au dossier).\n{}",
                    self.step_name(&row, &step),
                    echeancier_core::french::long_date(to),
                    self.next_steps(&snap, today)
                ))
            }
            Command::SetEvent { case, event, on } => {
                let row = self.visible_case(place, &case).await?;
                self.scope_check(Some(&actor), &row, Action::View).await?;
                check_event(self.procedure(&row.procedure)?, &event)?;
                self.scope_check(Some(&actor), &row, Action::Event(&event))
                    .await?;
                let snap = self
                    .apply(case.as_str(), vec![Change::Event { event, on }], &who)
                    .await?;
                Ok(format!(
                    "{case} : date enregistrée.\n{}",
                    self.next_steps(&snap, today)
                ))
            }
            Command::Ack(id) => self.ack(place, &actor, id, &who).await,
            Command::Link(code) => self.link(channel, external_id, &code).await,
            Command::Appointment {
                case,
                step,
                at,
                minutes,
            } => {
                let row = self.visible_case(place, &case).await?;
                self.scope_check(Some(&actor), &row, Action::Step(&step)).await?;
                let (notices, calls) = self
                    .set_appointment(case.as_str(), &step, at, minutes, &who)
                    .await?;
                let mut text = format!(
                    "📅 {case} : rendez-vous fixé le {} à {}.",
                    echeancier_core::french::long_date(at.date()),
                    at.format("%H h %M")
                );
                text.push_str(&format!(
                    "\nAvis aux parents : {notices} courriel(s) en partance."
                ));
                if calls > 0 {
                    text.push_str(&format!(
                        "\n📞 {calls} famille(s) à appeler : une tâche est envoyée au rôle responsable."
                    ));
                }
                Ok(text)
            }
            Command::Communication { convention, title } => {
                let conv = self.visible_case(place, &convention).await?;
                self.scope_check(Some(&actor), &conv, Action::Open).await?;
                let proc = self
                    .library
                    .procedures
                    .values()
                    .find(|p| p.audience == Audience::Partnership && p.steps.iter().any(|s| s.per_partner()))
                    .ok_or_else(|| {
                        AppError::Invalid(
                            "Aucune procédure de communication aux partenaires n'est définie.".into(),
                        )
                    })?;
                let snap = self
                    .open_case(
                        OpenCase {
                            procedure: proc.id.clone(),
                            parent: Some(conv.reference.clone()),
                            title: Some(title),
                            ..Default::default()
                        },
                        &who,
                    )
                    .await?;
                Ok(format!(
                    "📨 Communication {} créée et soumise aux partenaires de {convention}. Enregistrez chaque réception avec !recu {} PARTENAIRE DATE.",
                    snap.case.reference, snap.case.reference
                ))
            }
            Command::Received { item, partner, on } => {
                let row = self.visible_case(place, &item).await?;
                self.scope_check(Some(&actor), &row, Action::ForPartner(&partner))
                    .await?;
                let snap = self
                    .apply(item.as_str(), vec![Change::Receipt { partner, on }], &who)
                    .await?;
                Ok(format!(
                    "{item} : réception enregistrée.\n{}",
                    self.next_steps(&snap, today)
                ))
            }
            Command::Approve { item, partner } => {
                let row = self.visible_case(place, &item).await?;
                let partner = self.answering_partner(&actor, &row, partner).await?;
                self.scope_check(Some(&actor), &row, Action::ForPartner(&partner))
                    .await?;
                let answer = PartnerAnswer::Approved(today);
                let snap = self
                    .apply(item.as_str(), vec![Change::Answer { partner, answer }], &who)
                    .await?;
                Ok(format!(
                    "👍 {item} : approbation enregistrée.\n{}",
                    self.next_steps(&snap, today)
                ))
            }
            Command::Object {
                item,
                partner,
                reason,
            } => {
                let row = self.visible_case(place, &item).await?;
                let partner = self.answering_partner(&actor, &row, partner).await?;
                self.scope_check(Some(&actor), &row, Action::ForPartner(&partner))
                    .await?;
                let answer = PartnerAnswer::Objection { on: today, reason };
                let snap = self
                    .apply(item.as_str(), vec![Change::Answer { partner, answer }], &who)
                    .await?;
                Ok(format!(
                    "✋ {item} : objection enregistrée ; le document ne peut pas être diffusé.\n{}",
                    self.next_steps(&snap, today)
                ))
            }
            Command::Terminate {
                convention,
                received,
                requested,
            } => {
                let row = self.visible_case(place, &convention).await?;
                let proc = self.procedure(&row.procedure)?;
                let step = proc.steps.iter().find(|s| s.effect.is_some()).ok_or_else(|| {
                    AppError::Invalid(format!("{convention} n'est pas une convention résiliable."))
                })?;
                let Anchor::Event(received_event) = &step.anchor else {
                    return Err(AppError::Invalid(
                        "La résiliation de cette procédure ne part pas d'un événement.".into(),
                    ));
                };
                self.scope_check(Some(&actor), &row, Action::Step(&step.id))
                    .await?;
                let mut changes = vec![Change::Event {
                    event: received_event.clone(),
                    on: received,
                }];
                if let Some(ev) = &step.request_event {
                    changes.push(Change::Event {
                        event: ev.clone(),
                        on: requested.unwrap_or(received),
                    });
                }
                let step_id = step.id.clone();
                let snap = self.apply(convention.as_str(), changes, &who).await?;
                let s = snap.steps.iter().find(|s| s.step == step_id);
                let mut text = format!("{convention} : résiliation enregistrée.");
                if let Some(s) = s {
                    if let Some(due) = s.due {
                        text.push_str(&format!(
                            "\nPrise d'effet : {}.",
                            echeancier_core::french::long_date(due)
                        ));
                    }
                    for (label, d) in &s.also {
                        text.push_str(&format!(
                            "\n{label} : {}.",
                            echeancier_core::french::long_date(*d)
                        ));
                    }
                    if s.needs_decision {
                        text.push_str(
                            "\n⚠ Les deux lectures de l'article 9 divergent : décision humaine requise.",
                        );
                    }
                    if s.state == "error" {
                        text.push_str(&format!("\n{}", s.state_detail.clone().unwrap_or_default()));
                    }
                }
                Ok(text)
            }
        }
    }

    fn step_name(&self, case: &CaseRow, step: &str) -> String {
        self.library
            .get(&case.procedure)
            .and_then(|p| p.step(step))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| step.to_string())
    }

    /// The pending steps of a snapshot, in one short paragraph.
    fn next_steps(&self, snap: &Snapshot, today: NaiveDate) -> String {
        let lines: Vec<String> = snap
            .steps
            .iter()
            .filter(|s| matches!(s.state.as_str(), "open" | "overdue"))
            .map(|s| {
                format!(
                    "• {} — {} — {}{}",
                    self.step_name(&snap.case, &s.step),
                    self.library.roles.name(&s.role),
                    s.due.map(echeancier_core::french::long_date).unwrap_or_default(),
                    if s.due.is_some_and(|d| d < today) {
                        " (en retard)"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        if lines.is_empty() {
            "Plus aucune étape en cours.".into()
        } else {
            format!("Étapes en cours :\n{}", lines.join("\n"))
        }
    }

    /// The partner an answer is given for: the one named, or the actor's own.
    async fn answering_partner(
        &self,
        actor: &Actor,
        case: &CaseRow,
        named: Option<String>,
    ) -> Result<String> {
        if let Some(p) = named {
            return Ok(p);
        }
        let mut conn = self.store.pool().acquire().await?;
        let partners = Store::case_partners(&mut conn, case.id).await?;
        let own: Vec<&String> = actor
            .grants
            .iter()
            .filter(|g| {
                self.library
                    .roles
                    .get(&g.role)
                    .is_some_and(|r| r.scope == Scope::Partenaire)
            })
            .filter_map(|g| g.partner.as_ref())
            .filter(|p| partners.contains(p))
            .collect();
        match own.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(AppError::Invalid(format!(
                "Précisez le partenaire pour lequel vous répondez : {}.",
                partners.join(", ")
            ))),
        }
    }

    async fn ack(&self, place: &Place, actor: &Actor, id: i64, who: &Who) -> Result<String> {
        let mut conn = self.store.pool().acquire().await?;
        let not_found = || AppError::Invalid(format!("Rappel n° {id} introuvable."));
        let reminder = Store::reminder(&mut conn, id).await?.ok_or_else(not_found)?;
        let (Some(case_id), Some(step)) = (reminder.case_id, reminder.step.clone()) else {
            return Err(not_found());
        };
        let case = Store::case_by_id(&mut conn, case_id)
            .await?
            .ok_or_else(not_found)?;
        drop(conn);
        let audience = self.procedure(&case.procedure)?.audience;
        if !place.shows(audience, case.establishment.as_deref(), &case.departement) {
            return Err(AppError::Place);
        }
        self.scope_check(Some(actor), &case, Action::Step(&step))
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => not_found(),
                other => other,
            })?;
        let mut tx = self.store.begin().await?;
        let first = Store::acknowledge(&mut tx, id, &who.actor, self.clock.now()).await?;
        if first {
            Store::audit(
                &mut tx,
                &audit_entry(
                    who,
                    self.clock.now(),
                    Some(case.reference.clone()),
                    "accuse_reception",
                    json!({"rappel": id, "etape": step}),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(if first {
            format!(
                "👀 Rappel n° {id} ({}) : vu, merci. Les relances quotidiennes de cette étape s'arrêtent.",
                case.reference
            )
        } else {
            format!("Rappel n° {id} : déjà vu, rien à changer.")
        })
    }

    /// Purges the cases whose retention period has ended, leaving an audit
    /// record for each. Returns their references.
    pub async fn purge(&self, who: &Who) -> Result<Vec<String>> {
        let today = self.today();
        let mut purged = Vec::new();
        for (id, reference, closed, calendar) in self.store.closed_cases().await? {
            let calendar: CalendarId = calendar.parse().unwrap_or(CalendarId::Metropole);
            let from = match echeancier_core::retention::purge_from(
                closed,
                calendar,
                &self.school,
                self.options.retention,
            ) {
                Ok(d) => d,
                // The school calendar does not say yet when: keep.
                Err(_) => continue,
            };
            if from > today {
                continue;
            }
            let mut tx = self.store.begin().await?;
            Store::purge_case(&mut tx, id).await?;
            Store::audit(
                &mut tx,
                &audit_entry(
                    who,
                    self.clock.now(),
                    Some(reference.clone()),
                    "purge",
                    json!({"cloture": closed.to_string(), "purge_des": from.to_string()}),
                ),
            )
            .await?;
            tx.commit().await?;
            purged.push(reference);
        }
        Ok(purged)
    }

    /// Issues a one-time code that links a `channel` account to a person.
    pub async fn issue_link_code(&self, slug: &str, channel: &str, who: &Who) -> Result<String> {
        if !crate::config::CHANNELS.contains(&channel) {
            return Err(AppError::Invalid(format!(
                "Canal « {channel} » inconnu : console, matrix ou telegram."
            )));
        }
        let (person, _) = self
            .store
            .person_by_slug(slug)
            .await?
            .ok_or_else(|| AppError::Invalid(format!("Personne « {slug} » inconnue dans l'annuaire.")))?;
        let now = self.clock.now();
        // 8 characters from an unambiguous alphabet (32 symbols: 40 bits),
        // drawn from the operating system's random source.
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)
            .map_err(|e| AppError::Invalid(format!("Source aléatoire indisponible : {e}")))?;
        let code: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        self.store
            .insert_link_code(&code, person, channel, now + Duration::hours(24))
            .await?;
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            &audit_entry(
                who,
                now,
                None,
                "code_liaison",
                json!({"personne": slug, "canal": channel}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(code)
    }

    async fn link(&self, channel: &str, external_id: &str, code: &str) -> Result<String> {
        if self
            .link_attempts
            .check_key(&format!("{channel}:{external_id}"))
            .is_err()
        {
            return Err(AppError::TooManyAttempts);
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let Some(person) = Store::use_link_code(&mut tx, code, channel, external_id, now).await? else {
            return Err(AppError::Invalid(
                "Code inconnu, déjà utilisé ou expiré. Demandez un nouveau code à un administrateur.".into(),
            ));
        };
        Store::audit(
            &mut tx,
            &AuditEntry {
                at: now,
                actor: format!("personne:{person} ({channel}:{external_id})"),
                channel: channel.to_string(),
                case_ref: None,
                action: "liaison".into(),
                detail: json!({"canal": channel}),
            },
        )
        .await?;
        tx.commit().await?;
        let name = self.store.person_name(person).await?.unwrap_or_default();
        Ok(format!(
            "✅ Compte relié à la fiche de {name}. Tapez !aide pour la liste des commandes."
        ))
    }

    /// Where a reminder for `role` on `case` goes: the console (when it
    /// runs) and the email of each staff member holding the role there.
    pub async fn destinations(
        &self,
        conn: &mut AnyConnection,
        case: &CaseRow,
        role: &str,
    ) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let proc = self.procedure(&case.procedure)?;
        // The console shows only what its identity may see.
        if let Some(identity) = &self.options.console
            && let Some((actor, _)) = self.store.actor("console", identity).await?
        {
            let partners = Store::case_partners(conn, case.id).await?;
            let scope = CaseScope {
                establishment: case.establishment.as_deref(),
                departement: &case.departement,
                partners: &partners,
            };
            if authz::authorize(Some(&actor), &self.library.roles, proc, &scope, &Action::View).is_ok() {
                out.push(("console".to_string(), identity.clone()));
            }
        }
        for email in Store::staff_emails(conn, role, case.establishment.as_deref(), &case.departement).await?
        {
            out.push(("email".to_string(), email));
        }
        for room in &self.options.matrix_rooms {
            // Each room's audience: partner rooms never get an individual case.
            let shown =
                room_place(room).shows(proc.audience, case.establishment.as_deref(), &case.departement);
            if shown && room.roles.iter().any(|r| r == role) {
                out.push(("matrix".to_string(), room.room_id.clone()));
            }
        }
        if self.options.telegram {
            let ids = Store::staff_identities(
                conn,
                "telegram",
                role,
                case.establishment.as_deref(),
                &case.departement,
            )
            .await?;
            out.extend(ids.into_iter().map(|id| ("telegram".to_string(), id)));
        }
        Ok(out)
    }

    /// Sets the appointment of a step and, in the same transaction, decides
    /// the parent notices (both guardians unless restricted) and the staff
    /// calls for families who need an oral channel.
    pub async fn set_appointment(
        &self,
        reference: &str,
        step: &str,
        at: chrono::NaiveDateTime,
        minutes: u32,
        who: &Who,
    ) -> Result<(usize, usize)> {
        let mut tx = self.store.begin().await?;
        let case = Store::case_by_ref(&mut tx, reference)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        if !case.open {
            return Err(AppError::Closed(case.reference));
        }
        let proc = self.procedure(&case.procedure)?.clone();
        let def = check_step(&proc, step)?;
        let Some(notice) = def.parent_notice.clone() else {
            return Err(AppError::Invalid(format!(
                "L'étape « {} » n'a pas de rendez-vous avec les parents.",
                def.name
            )));
        };
        if !self.options.templates.has(&notice) {
            return Err(AppError::Invalid(format!(
                "Modèle d'avis « {notice} » introuvable dans messages/."
            )));
        }
        let calendar = Self::calendar(&mut tx, &case).await?;
        let now = self.clock.now();
        let start = crate::notice::local_to_utc(at, calendar.id.time_zone())
            .ok_or_else(|| AppError::Invalid("Heure inexistante ce jour-là (changement d'heure).".into()))?;
        if start <= now {
            return Err(AppError::Invalid(
                "Le rendez-vous doit être dans le futur.".into(),
            ));
        }
        if !calendar.is_working_day(at.date()) {
            return Err(AppError::Invalid(format!(
                "Le {} n'est pas un jour ouvré : choisissez un autre jour.",
                echeancier_core::french::long_date(at.date())
            )));
        }
        let (place, phone) = match def
            .place
            .unwrap_or(echeancier_core::procedure::Place::Etablissement)
        {
            echeancier_core::procedure::Place::Dsden => {
                let d = Store::departement(&mut tx, &case.departement).await?;
                (
                    d.as_ref().and_then(|d| d.address.clone()),
                    d.and_then(|d| d.phone),
                )
            }
            echeancier_core::procedure::Place::Etablissement => {
                let e = match &case.establishment {
                    Some(u) => Store::establishment(&mut tx, u).await?,
                    None => None,
                };
                (
                    e.as_ref().and_then(|e| e.address.clone()),
                    e.and_then(|e| e.phone),
                )
            }
        };
        let (Some(place), Some(phone)) = (place, phone) else {
            return Err(AppError::Invalid(
                "Adresse ou téléphone du lieu de rendez-vous non renseigné dans la configuration : l'avis aux parents ne peut pas partir.".into(),
            ));
        };
        let appointment = crate::store::Appointment {
            starts_at: at,
            minutes: i64::from(minutes),
            place,
            phone,
        };
        Store::set_appointment(&mut tx, case.id, step, &appointment).await?;
        let not_before = self.options.hours.next_open(&calendar, now).unwrap_or(now);
        let stamp = at.format("%Y-%m-%dT%H%M");
        let mut notices = 0;
        let mut calls = 0;
        for g in Store::guardians(&mut tx, case.id).await? {
            if g.restricted {
                continue;
            }
            let oral = g.needs_oral || g.email.is_none();
            let email = g
                .email
                .clone()
                .filter(|_| !(g.needs_oral && self.options.oral == OralMode::InsteadOfEmail));
            if let Some(email) = email {
                let key = format!("{}/{step}/rdv-{stamp}/avis-{}", case.reference, g.id);
                let r = NewReminder {
                    key: key.clone(),
                    case_id: Some(case.id),
                    step: Some(step.to_string()),
                    due_on: Some(at.date()),
                    kind: "avis-parents".into(),
                    role: None,
                    send_at: not_before,
                    late: false,
                    payload: json!({"avis": notice, "responsable": g.id}),
                };
                if let Some(id) = Store::insert_reminder(&mut tx, &r, now).await? {
                    Store::insert_delivery(&mut tx, id, &key, "email", &email, not_before, None, now).await?;
                    notices += 1;
                }
            }
            if oral {
                let key = format!("{}/{step}/rdv-{stamp}/appel-{}", case.reference, g.id);
                let r = NewReminder {
                    key: key.clone(),
                    case_id: Some(case.id),
                    step: Some(step.to_string()),
                    due_on: Some(at.date()),
                    kind: "appel-famille".into(),
                    role: Some(def.role.clone()),
                    send_at: now,
                    late: false,
                    payload: json!({"responsable": g.id}),
                };
                if let Some(id) = Store::insert_reminder(&mut tx, &r, now).await? {
                    for (channel, recipient) in self.destinations(&mut tx, &case, &def.role).await? {
                        Store::insert_delivery(&mut tx, id, &key, &channel, &recipient, now, None, now)
                            .await?;
                    }
                    calls += 1;
                }
            }
        }
        Store::audit(
            &mut tx,
            &audit_entry(who, now, Some(case.reference.clone()), "rendez_vous", json!({"etape": step, "debut": at.to_string(), "minutes": minutes, "avis": notices, "appels": calls})),
        )
        .await?;
        tx.commit().await?;
        Ok((notices, calls))
    }

    /// Pending deadlines the actor may see, late ones first.
    pub async fn deadlines(&self, actor: &Actor, horizon: Horizon, today: NaiveDate) -> Result<String> {
        self.deadlines_in(&Place::Direct, actor, horizon, today).await
    }

    /// Pending deadlines the actor may see and `place` may show.
    pub async fn deadlines_in(
        &self,
        place: &Place,
        actor: &Actor,
        horizon: Horizon,
        today: NaiveDate,
    ) -> Result<String> {
        let until = today + Duration::days(horizon.days() as i64);
        let mut hidden = 0usize;
        let rows = self.store.pending_steps_until(until).await?;
        let mut late = Vec::new();
        let mut coming = Vec::new();
        for (case, step) in rows {
            let Some(proc) = self.library.get(&case.procedure) else {
                continue;
            };
            if self.scope_check(Some(actor), &case, Action::View).await.is_err() {
                continue;
            }
            if !place.shows(proc.audience, case.establishment.as_deref(), &case.departement) {
                hidden += 1;
                continue;
            }
            let line = view::deadline_line(&case, &step, Some(proc), &self.library.roles);
            if step.due.is_some_and(|d| d < today) {
                late.push(line);
            } else {
                coming.push(line);
            }
        }
        let period = match horizon {
            Horizon::Week => "les 7 prochains jours",
            Horizon::Month => "les 31 prochains jours",
        };
        let mut out = String::new();
        if !late.is_empty() {
            out.push_str(&format!("En retard :\n{}\n", late.join("\n")));
        }
        if coming.is_empty() {
            out.push_str(&format!("Aucune échéance dans {period}."));
        } else {
            out.push_str(&format!("À venir dans {period} :\n{}", coming.join("\n")));
        }
        if hidden > 0 {
            out.push_str(
                "\nLes dossiers individuels ne s'affichent pas dans ce salon : écrivez-moi en message direct pour les voir.",
            );
        }
        Ok(out)
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

/// An audit entry for a change `who` made.
fn audit_entry(
    who: &Who,
    at: DateTime<Utc>,
    case_ref: Option<String>,
    action: &str,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: who.actor.clone(),
        channel: who.channel.clone(),
        case_ref,
        action: action.to_string(),
        detail,
    }
}
