//! Chat commands: parsing, authorization and one function per verb.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use echeancier_core::authz::{self, Action, Actor, CaseScope, Place, Refusal};
use echeancier_core::command::{self, Command, Horizon};
use echeancier_core::ids::CaseRef;
use echeancier_core::procedure::Audience;
use serde_json::json;

use crate::store::{CaseRow, Store};
use crate::view;

use super::{App, AppError, Change, OpenCase, Result, Snapshot, Who, check_chat_event, record};

/// What the sender is told of a failed command or button: the French
/// message of a refusal or a bad input; for a failure of the machine, a
/// generic line (the detail goes to the log).
pub fn reply_to(e: &AppError, channel: &str) -> String {
    match e {
        AppError::Store(_) | AppError::Runtime(_) => {
            tracing::error!(error = %e, channel, "command failed");
            "Erreur interne : rien n'a été modifié. L'équipe technique est prévenue.".into()
        }
        other => other.to_string(),
    }
}

/// A button on a reminder (Telegram's inline buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonAction {
    Done,
    Seen,
    Reschedule,
}

/// What a button did, for the front-end to show: typed, so that no
/// front-end reads the French reply to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonOutcome {
    /// The step is marked done today.
    Done,
    /// The reminder is acknowledged (now or before).
    Seen,
    /// Allowed to reschedule: the front-end says how to send the new date.
    Reschedule { case: String, step: String },
}

impl App {
    /// Acts on reminder `id` for the account `channel:external_id`, with the
    /// checks of the matching chat command. Returns what was done and the
    /// person's display name (for the line appended to the reminder).
    pub async fn press(
        &self,
        channel: &str,
        external_id: &str,
        id: i64,
        action: ButtonAction,
    ) -> Result<(ButtonOutcome, String)> {
        let Some((actor, name)) = self.store.actor(channel, external_id).await? else {
            return Err(AppError::Refused(Refusal::Unknown));
        };
        let who = Who {
            actor: format!("personne:{} ({channel}:{external_id})", actor.person_id),
            channel: channel.to_string(),
        };
        Ok((self.press_as(&actor, &who, id, action).await?, name))
    }

    /// Acts on reminder `id` as `actor` (a button, a reaction, a one-click
    /// link from an email): the checks of the matching chat command.
    pub async fn press_as(
        &self,
        actor: &Actor,
        who: &Who,
        id: i64,
        action: ButtonAction,
    ) -> Result<ButtonOutcome> {
        let not_found = || AppError::Invalid(format!("Rappel n° {id} introuvable."));
        let mut conn = self.store.pool().acquire().await?;
        let reminder = Store::reminder(&mut conn, id).await?.ok_or_else(not_found)?;
        let (Some(case_id), Some(step)) = (reminder.case_id, reminder.step.clone()) else {
            return Err(AppError::Invalid("Ce message n'a pas d'étape associée.".into()));
        };
        let case = Store::case_by_id(&mut conn, case_id)
            .await?
            .ok_or_else(not_found)?;
        drop(conn);
        Ok(match action {
            ButtonAction::Done => {
                self.scope_check(Some(actor), &case, Action::Step(&step)).await?;
                let on = self.today();
                self.apply(&case.reference, vec![Change::StepDone { step, on }], who)
                    .await?;
                ButtonOutcome::Done
            }
            ButtonAction::Seen => {
                self.ack(&Place::Direct, actor, id, who).await?;
                ButtonOutcome::Seen
            }
            // Authorization first: the instructions are for who may act.
            ButtonAction::Reschedule => {
                self.scope_check(Some(actor), &case, Action::Step(&step)).await?;
                ButtonOutcome::Reschedule {
                    case: case.reference.clone(),
                    step,
                }
            }
        })
    }
}

/// The sender of a command, once identified: where they wrote, who they
/// are, how the audit trail names them, and the day it is.
pub(super) struct Caller<'a> {
    pub(super) place: &'a Place,
    pub(super) actor: Actor,
    pub(super) who: Who,
    pub(super) today: NaiveDate,
}

impl App {
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
                Err(e) => reply_to(&e, channel),
            },
        };
        self.metrics
            .command_seconds
            .get_or_create(&label)
            .observe(started.elapsed().as_secs_f64());
        crate::view::chat_out(channel, &reply);
        Some(reply)
    }

    pub(super) async fn execute(
        &self,
        place: &Place,
        channel: &str,
        external_id: &str,
        cmd: Command,
    ) -> Result<String> {
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
        let c = Caller {
            place,
            actor,
            who,
            today,
        };
        match cmd {
            Command::Help(_) => Ok(command::help(None)),
            Command::Deadlines(h) => self.deadlines_in(c.place, &c.actor, h, c.today).await,
            Command::Case(r) => self.cmd_case(&c, r).await,
            Command::StepDone {
                case,
                step,
                on,
                confirmed,
            } => self.cmd_step_done(&c, case, step, on, confirmed).await,
            Command::Reschedule {
                case,
                step,
                to,
                confirmed,
                reason,
            } => self.cmd_reschedule(&c, case, step, to, confirmed, reason).await,
            Command::SetEvent {
                case,
                event,
                on,
                confirmed,
            } => self.cmd_set_event(&c, case, event, on, confirmed).await,
            Command::Simulate { case, event, on } => {
                self.simulate(c.place, &c.actor, &case, &event, on).await
            }
            Command::Ack(id) => self.ack(c.place, &c.actor, id, &c.who).await,
            Command::Call { case, guardian, on } => {
                let row = self.visible_case(c.place, &case).await?;
                self.record_call(&c.actor, &row, guardian, on, &c.who).await
            }
            Command::Link(code) => self.link(channel, external_id, &code).await,
            Command::LinkCode { person, channel: to } => {
                self.cmd_link_code(&c, &person, to.as_deref().unwrap_or(channel))
                    .await
            }
            Command::Appointment {
                case,
                step,
                at,
                minutes,
                confirmed,
            } => self.cmd_appointment(&c, case, step, at, minutes, confirmed).await,
            Command::CancelAppointment { case, step } => {
                let row = self.visible_case(c.place, &case).await?;
                self.scope_check(Some(&c.actor), &row, Action::Step(&step))
                    .await?;
                self.cancel_appointment(case.as_str(), &step, &c.who).await
            }
            Command::Outcome { case, step, outcome } => {
                let row = self.visible_case(c.place, &case).await?;
                self.scope_check(Some(&c.actor), &row, Action::Step(&step))
                    .await?;
                self.record_outcome(case.as_str(), &step, outcome, &c.who).await
            }
            Command::Communication { convention, title } => {
                self.cmd_communication(&c, convention, title).await
            }
            Command::Received { item, partner, on } => self.cmd_received(&c, item, partner, on).await,
            Command::Approve { item, partner } => self.cmd_approve(&c, item, partner).await,
            Command::NewVersion(item) => self.cmd_new_version(&c, item).await,
            Command::Milestone { case, title, on } => {
                // Its title may speak of the pupil: never typed in a room.
                Self::direct_only(&c)?;
                let row = self.visible_case(c.place, &case).await?;
                let (number, snap) = self.add_milestone(&c.actor, &row, title, on, &c.who).await?;
                let proc = self.procedure(&row.procedure)?;
                Ok(format!(
                    "🎯 {case} : {} le {} ; son intitulé est sur le bureau web seulement.\n{}",
                    proc.step_title(&format!("{}{number}", echeancier_core::procedure::MILESTONE)),
                    echeancier_core::french::long_date(on),
                    self.next_steps(&snap, c.today)
                ))
            }
            Command::Object {
                item,
                partner,
                reason,
            } => self.cmd_object(&c, item, partner, reason).await,
            Command::Terminate {
                convention,
                received,
                requested,
            } => self.cmd_terminate(&c, convention, received, requested).await,
            Command::Login => self.cmd_login(&c).await,
            Command::Open {
                procedure,
                establishment,
                events,
            } => self.cmd_open(&c, procedure, establishment, events).await,
        }
    }

    /// A one-time link is personal: only in a direct conversation.
    fn direct_only(c: &Caller<'_>) -> Result<()> {
        if *c.place == Place::Direct {
            Ok(())
        } else {
            Err(AppError::Invalid(
                "Ce lien est personnel : écrivez-moi cette commande en message direct.".into(),
            ))
        }
    }

    /// An administrator gives, in a direct message, the code that links a
    /// person's chat account (as `echeancier link-code` does).
    async fn cmd_link_code(&self, c: &Caller<'_>, person: &str, channel: &str) -> Result<String> {
        Self::direct_only(c)?;
        if !self.store.is_admin(c.actor.person_id).await? {
            return Err(AppError::Invalid(
                "Seul un administrateur donne des codes de liaison (administrateur = true dans l'annuaire)."
                    .into(),
            ));
        }
        let code = self.issue_link_code(person, channel, &c.who).await?;
        Ok(format!(
            "🔗 Code de liaison de « {person} » pour {channel}, valable 24 heures et une seule fois : {code}\nTransmettez-le à cette personne seulement ; elle l'envoie au robot depuis son compte : !lier {code}"
        ))
    }

    async fn cmd_login(&self, c: &Caller<'_>) -> Result<String> {
        Self::direct_only(c)?;
        let (url, _) = self.web_link(c.actor.person_id, "/").await?;
        Ok(format!(
            "🔑 Votre lien de connexion au bureau échéancier (une seule fois, pendant {} minutes) : {url}",
            super::sessions::LINK_MINUTES
        ))
    }

    async fn cmd_open(
        &self,
        c: &Caller<'_>,
        procedure: String,
        establishment: String,
        events: Vec<(String, NaiveDate)>,
    ) -> Result<String> {
        Self::direct_only(c)?;
        if self.options.web_url.is_none() {
            return Err(AppError::Invalid(
                "Le bureau web n'est pas activé sur ce serveur : la famille ne pourrait pas être saisie."
                    .into(),
            ));
        }
        let proc = self.procedure(&procedure).map_err(|_| {
            AppError::Invalid(format!(
                "Procédure inconnue. Procédures : {}.",
                self.library
                    .procedures
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if proc.audience != Audience::Case {
            return Err(AppError::Invalid(
                "!ouvrir ouvre un dossier d'élève ; pour soumettre un document aux partenaires : !communication.".into(),
            ));
        }
        for (event, _) in &events {
            check_chat_event(proc, event)?;
        }
        let spec = OpenCase {
            procedure,
            establishment: Some(establishment),
            events,
            ..Default::default()
        };
        let snap = self.web_open_case(&c.actor, spec, &c.who).await?;
        let reference = snap.case.reference.clone();
        // The case exists now: a link refused (too many asked) only
        // changes how the family page is reached.
        let family = format!("/dossiers/{reference}/famille");
        let link = match self.web_link(c.actor.person_id, &family).await {
            Ok((url, _)) => format!(
                "Saisissez l'élève et sa famille sur le bureau (lien personnel, une seule fois, {} minutes) : {url}",
                super::sessions::LINK_MINUTES
            ),
            Err(AppError::Invalid(_)) => format!(
                "Saisissez l'élève et sa famille sur le bureau, page {}{family}.",
                self.options.web_url.as_deref().unwrap_or_default()
            ),
            Err(e) => return Err(e),
        };
        Ok(format!(
            "📂 Dossier {reference} ouvert. {link}\n{}",
            self.next_steps(&snap, c.today)
        ))
    }

    async fn cmd_case(&self, c: &Caller<'_>, r: CaseRef) -> Result<String> {
        let case = self.visible_case(c.place, &r).await?;
        self.scope_check(Some(&c.actor), &case, Action::View).await?;
        let mut text = self.render(&self.snapshot(r.as_str()).await?);
        let mut conn = self.store.pool().acquire().await?;
        let appointments = Store::appointments(&mut conn, case.id).await?;
        if !appointments.is_empty() {
            let proc = self.library.get(&case.procedure);
            text.push_str("\nRendez-vous avec la famille :");
            for (step, a) in &appointments {
                text.push('\n');
                text.push_str(&view::appointment_line(&case.reference, step, proc, a));
            }
        }
        // Whether the case meets its procedure's condition; what keeps it
        // from it names confidential dates, so only the web office says.
        let proc = self.procedure(&case.procedure)?;
        if let Some(check) = self.condition_of(&mut conn, proc, &case).await?
            && !check.is_met()
        {
            text.push_str(
                "\n⚠ Condition d'ouverture de la procédure non remplie ou à compléter : voir le dossier sur le bureau web.",
            );
        }
        // Which rules the dates come from: the version the case was planned with.
        if let (Some(with), Ok((_, loaded))) = (
            Store::planned_with(&mut conn, case.id).await?,
            self.loaded(&case.procedure),
        ) {
            text.push_str(&format!(
                "\nDates calculées avec la version {} des règles.",
                with.version
            ));
            if with.hash != loaded.hash {
                text.push_str(" Une nouvelle version des règles attend d'être appliquée à ce dossier (echeancier check).");
            }
        }
        Ok(text)
    }

    async fn cmd_step_done(
        &self,
        c: &Caller<'_>,
        case: CaseRef,
        step: String,
        on: Option<NaiveDate>,
        confirmed: bool,
    ) -> Result<String> {
        let row = self.visible_case(c.place, &case).await?;
        self.scope_check(Some(&c.actor), &row, Action::Step(&step))
            .await?;
        let on = on.unwrap_or(c.today);
        let snap = self
            .apply_confirmed(
                case.as_str(),
                vec![Change::StepDone {
                    step: step.clone(),
                    on,
                }],
                &c.who,
                confirmed,
            )
            .await?;
        Ok(format!(
            "✅ {case} : étape « {} » faite le {}.\n{}",
            self.step_name(&row, &step),
            echeancier_core::french::long_date(on),
            self.next_steps(&snap, c.today)
        ))
    }

    async fn cmd_reschedule(
        &self,
        c: &Caller<'_>,
        case: CaseRef,
        step: String,
        to: NaiveDate,
        confirmed: bool,
        reason: String,
    ) -> Result<String> {
        let row = self.visible_case(c.place, &case).await?;
        self.scope_check(Some(&c.actor), &row, Action::Step(&step))
            .await?;
        let snap = self
            .apply(
                case.as_str(),
                vec![Change::Reschedule {
                    step: step.clone(),
                    to,
                    reason,
                    confirmed,
                }],
                &c.who,
            )
            .await?;
        Ok(format!(
            "📅 {case} : étape « {} » reportée au {} (motif enregistré au dossier).\n{}",
            self.step_name(&row, &step),
            echeancier_core::french::long_date(to),
            self.next_steps(&snap, c.today)
        ))
    }

    async fn cmd_set_event(
        &self,
        c: &Caller<'_>,
        case: CaseRef,
        event: String,
        on: NaiveDate,
        confirmed: bool,
    ) -> Result<String> {
        let row = self.visible_case(c.place, &case).await?;
        self.scope_check(Some(&c.actor), &row, Action::View).await?;
        check_chat_event(self.procedure(&row.procedure)?, &event)?;
        self.scope_check(Some(&c.actor), &row, Action::Event(&event))
            .await?;
        let snap = self
            .apply_confirmed(
                case.as_str(),
                vec![Change::Event { event, on }],
                &c.who,
                confirmed,
            )
            .await?;
        Ok(format!(
            "{case} : date enregistrée.\n{}",
            self.next_steps(&snap, c.today)
        ))
    }

    async fn cmd_appointment(
        &self,
        c: &Caller<'_>,
        case: CaseRef,
        step: String,
        at: NaiveDateTime,
        minutes: u32,
        confirmed: bool,
    ) -> Result<String> {
        let row = self.visible_case(c.place, &case).await?;
        self.scope_check(Some(&c.actor), &row, Action::Step(&step))
            .await?;
        let decided = self
            .set_appointment(case.as_str(), &step, at, minutes, confirmed, &c.who)
            .await?;
        let mut text = format!(
            "📅 {case} : rendez-vous fixé le {} à {}.",
            echeancier_core::french::long_date(at.date()),
            echeancier_core::french::time(at.time())
        );
        text.push_str(&format!("\nAvis aux parents : {}.", decided.french()));
        if decided.calls + decided.letters > 0 {
            text.push_str("\n📞 Les tâches (appels, courriers) sont envoyées au rôle responsable.");
        }
        Ok(text)
    }

    /// The case a command names, if `place` may show it: individual cases
    /// are refused in rooms whose audience cannot read them (known from the
    /// reference's prefix, before any lookup), and a case outside a staff
    /// room's scope is answered like a missing one.
    pub(super) async fn visible_case(&self, place: &Place, reference: &CaseRef) -> Result<CaseRow> {
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

    pub(super) async fn scope_check(
        &self,
        actor: Option<&Actor>,
        case: &CaseRow,
        action: Action<'_>,
    ) -> Result<()> {
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

    pub(super) async fn case_row(&self, reference: &CaseRef) -> Result<CaseRow> {
        let mut conn = self.store.pool().acquire().await?;
        Store::case_by_ref(&mut conn, reference.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))
    }

    pub(super) fn step_name(&self, case: &CaseRow, step: &str) -> String {
        self.library
            .get(&case.procedure)
            .map_or_else(|| step.to_string(), |p| p.step_title(step))
    }

    /// The pending steps of a snapshot, in one short paragraph.
    pub(super) fn next_steps(&self, snap: &Snapshot, today: NaiveDate) -> String {
        let lines: Vec<String> = snap
            .steps
            .iter()
            .filter(|s| s.state.is_pending())
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
    pub(super) async fn answering_partner(
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
        let own: Vec<&str> = self
            .partner_orgs(actor)
            .into_iter()
            .filter(|p| partners.iter().any(|c| c == p))
            .collect();
        match own.as_slice() {
            [one] => Ok((*one).to_string()),
            _ => Err(AppError::Invalid(format!(
                "Précisez le partenaire pour lequel vous répondez : {}.",
                partners.join(", ")
            ))),
        }
    }

    pub(super) async fn ack(&self, place: &Place, actor: &Actor, id: i64, who: &Who) -> Result<String> {
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
            record(
                &mut tx,
                who,
                self.clock.now(),
                Some(case.reference.clone()),
                "accuse_reception",
                json!({"rappel": id, "etape": step}),
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
        let mut rows = self.store.pending_steps_until(until).await?;
        // Information dates to come, among the others: never late.
        let procedures = self.information_procedures();
        let info = self
            .store
            .info_steps(&crate::store::web::InfoQuery {
                procedures: &procedures,
                from: today,
                until,
                within: None,
                limit: 1000,
            })
            .await?;
        super::office::merge_by_date(&mut rows, info);
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
        // Appointments with families, in the same scope and audience.
        let mut meetings = Vec::new();
        let scopes = self.scopes(actor);
        for a in self
            .store
            .scoped_appointments(&scopes, None, today, until)
            .await?
        {
            let Some(proc) = self.library.get(&a.procedure) else {
                continue;
            };
            let Ok(r) = a.reference.parse::<CaseRef>() else {
                continue;
            };
            let Ok(case) = self.case_row(&r).await else {
                continue;
            };
            if self.scope_check(Some(actor), &case, Action::View).await.is_err() {
                continue;
            }
            if !place.shows(proc.audience, case.establishment.as_deref(), &case.departement) {
                hidden += 1;
                continue;
            }
            meetings.push(view::appointment_line(
                &a.reference,
                &a.step,
                Some(proc),
                &a.appointment,
            ));
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
        if !meetings.is_empty() {
            out.push_str(&format!(
                "\nRendez-vous avec les familles :\n{}",
                meetings.join("\n")
            ));
        }
        if hidden > 0 {
            out.push_str(
                "\nLes dossiers individuels ne s'affichent pas dans ce salon : écrivez-moi en message direct pour les voir.",
            );
        }
        Ok(out)
    }
}
