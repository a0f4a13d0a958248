//! What the web office asks of the application: who a person is, the cases
//! and deadlines in their scope, a case with its personal data for those
//! allowed. Changes go through [`App::apply`] and the appointment code, as
//! chat commands do; links and sessions are in `app::sessions`.

use chrono::{Duration, NaiveDate};
use echeancier_core::authz::{self, Action, Actor, CaseScope, Visible};
use echeancier_core::procedure::Audience;
use serde_json::json;

use crate::store::web::{AppointmentLine, CaseLine, CaseQuery, InfoQuery};
use crate::store::{Appointment, AuditEntry, CaseRow, Guardian, StepRow, Store};

use super::{App, AppError, Change, Result, Who, record};

/// A person signed in to the office.
#[derive(Debug, Clone)]
pub struct Person {
    pub actor: Actor,
    pub name: String,
    pub email: Option<String>,
}

/// Everything the page of one case shows.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: CaseRow,
    pub steps: Vec<StepRow>,
    /// Steps this person may act on (done, reschedule, appointment).
    pub actionable: Vec<String>,
    /// Events this person may date.
    pub datable: Vec<String>,
    pub events: Vec<(String, NaiveDate)>,
    pub appointments: Vec<(String, Appointment)>,
    pub audit: Vec<AuditEntry>,
    /// Personal data: present only for staff allowed to see the case.
    pub pupil: Option<(String, Option<String>)>,
    pub guardians: Vec<Guardian>,
    pub partners: Vec<String>,
    /// Where each partner of a partnership item stands, by name.
    pub partner_states: Vec<PartnerState>,
    /// The procedure's opening condition on this case (staff who see
    /// names only: it names confidential dates).
    pub condition: Option<echeancier_core::condition::Check>,
    /// Which version of the rules gave the dates.
    pub rules: Option<RulesVersion>,
    /// The milestones of the case's contract: (number, title). Personal
    /// (the title may speak of the pupil): for staff who see names only.
    pub milestones: Vec<(u32, String)>,
    /// This person may add one.
    pub may_add_milestone: bool,
    /// The pupil's date of birth (personal).
    pub pupil_birth: Option<NaiveDate>,
    /// Whether the pupil is in the procedure's priority public, criterion
    /// by criterion (personal: class and age).
    pub priority: Vec<echeancier_core::eligibility::Hint>,
}

/// The version of its procedure file a case was planned with, and whether
/// the loaded file differs (a new version waits to be applied).
#[derive(Debug, Clone, Copy)]
pub struct RulesVersion {
    pub version: u32,
    pub newer_waiting: bool,
}

/// A partner of a partnership item: its receipt and its answer.
#[derive(Debug, Clone)]
pub struct PartnerState {
    pub id: String,
    pub name: String,
    pub received: Option<NaiveDate>,
    pub answer: Option<echeancier_core::case::PartnerAnswer>,
}

/// The most steps *Mes échéances* shows.
pub const DEADLINES_SHOWN: usize = 100;

/// The deadlines page.
#[derive(Debug, Clone, Default)]
pub struct Deadlines {
    pub late: Vec<(CaseRow, StepRow)>,
    pub coming: Vec<(CaseRow, StepRow)>,
    pub appointments: Vec<AppointmentLine>,
    /// More rows matched than a page shows.
    pub truncated: bool,
}

/// `rows` and `more`, both by date then reference, as one list in that
/// order (the steps of one case and day keep their order).
pub(crate) fn merge_by_date(rows: &mut Vec<(CaseRow, StepRow)>, more: Vec<(CaseRow, StepRow)>) {
    if more.is_empty() {
        return;
    }
    rows.extend(more);
    rows.sort_by(|(a, x), (b, y)| (x.due, &a.reference).cmp(&(y.due, &b.reference)));
}

impl App {
    /// How the audit trail names a person acting on the web.
    pub fn web_who(person_id: i64) -> Who {
        Who {
            actor: format!("personne:{person_id} (web)"),
            channel: "web".into(),
        }
    }

    pub async fn person(&self, person_id: i64) -> Result<Option<Person>> {
        let Some((actor, email)) = self.store.actor_by_person(person_id).await? else {
            return Ok(None);
        };
        let name = self.store.person_name(person_id).await?.unwrap_or_default();
        Ok(Some(Person { actor, name, email }))
    }

    /// Whether a person holds a partner's role.
    pub fn is_partner(&self, actor: &Actor) -> bool {
        actor.grants.iter().any(|g| {
            self.library
                .roles
                .get(&g.role)
                .is_some_and(|r| r.scope == echeancier_core::procedure::Scope::Partenaire)
        })
    }

    /// The partner organisations a person answers for.
    pub fn partner_orgs<'a>(&self, actor: &'a Actor) -> Vec<&'a str> {
        actor
            .grants
            .iter()
            .filter(|g| {
                self.library
                    .roles
                    .get(&g.role)
                    .is_some_and(|r| r.scope == echeancier_core::procedure::Scope::Partenaire)
            })
            .filter_map(|g| g.partner.as_deref())
            .collect()
    }

    pub fn scopes(&self, actor: &Actor) -> Vec<Visible> {
        authz::visible(actor, &self.library.roles, &self.library)
    }

    /// A page of the open cases in the person's scope.
    pub async fn case_lines(&self, actor: &Actor, query: CaseQuery<'_>) -> Result<(Vec<CaseLine>, i64)> {
        let scopes = self.scopes(actor);
        let q = CaseQuery {
            scopes: &scopes,
            ..query
        };
        Ok(self.store.case_lines(&q).await?)
    }

    /// The id and reference prefix of each procedure with information
    /// steps (`information = true`), for [`Store::info_steps`].
    pub(crate) fn information_procedures(&self) -> Vec<(String, String)> {
        self.library
            .procedures
            .values()
            .filter(|p| p.steps.iter().any(|s| s.information))
            .map(|p| (p.id.clone(), p.prefix.clone()))
            .collect()
    }

    /// Late steps, then those due within `weeks`, then appointments, of the
    /// cases in scope: only the steps the person may act on.
    pub async fn my_deadlines(
        &self,
        actor: &Actor,
        establishment: Option<&str>,
        weeks: i64,
    ) -> Result<Deadlines> {
        // A week's work fits in a hundred rows; past that, the list of
        // cases sorts and pages the rest.
        const MAX: usize = DEADLINES_SHOWN;
        let today = self.today();
        let until = today + Duration::weeks(weeks);
        let scopes = self.scopes(actor);
        // The roles whose steps this person may act on: their own, and
        // those a supervisor acts for at its level (`authorize` decides
        // each row; this only keeps the others out of the query).
        let mut roles: Vec<String> = Vec::new();
        for g in &actor.grants {
            let Some(role) = self.library.roles.get(&g.role) else {
                continue;
            };
            roles.push(role.id.clone());
            if role.supervises {
                roles.extend(
                    self.library
                        .roles
                        .iter()
                        .filter(|r| r.scope == role.scope)
                        .map(|r| r.id.clone()),
                );
            }
        }
        roles.sort();
        roles.dedup();
        let mut rows = self
            .store
            .scoped_pending_steps(&scopes, &roles, establishment, until, (MAX + 1) as i64)
            .await?;
        // Information dates to come, among the others: never late.
        let procedures = self.information_procedures();
        let info = self
            .store
            .info_steps(&InfoQuery {
                procedures: &procedures,
                from: today,
                until,
                within: Some((&scopes, &roles, establishment)),
                limit: (MAX + 1) as i64,
            })
            .await?;
        merge_by_date(&mut rows, info);
        let mut out = Deadlines::default();
        for (case, step) in rows {
            let Some(proc) = self.library.get(&case.procedure) else {
                continue;
            };
            // Steps are never a partner's: the case's partners do not matter here.
            let scope = CaseScope {
                establishment: case.establishment.as_deref(),
                departement: &case.departement,
                partners: &[],
            };
            if authz::authorize(
                Some(actor),
                &self.library.roles,
                proc,
                &scope,
                &Action::Step(&step.step),
            )
            .is_err()
            {
                continue;
            }
            if out.late.len() + out.coming.len() >= MAX {
                out.truncated = true;
                break;
            }
            if step.due.is_some_and(|d| d < today) {
                out.late.push((case, step));
            } else {
                out.coming.push((case, step));
            }
        }
        out.appointments = self
            .store
            .scoped_appointments(&scopes, establishment, today, until)
            .await?;
        Ok(out)
    }

    /// A case with what the person may see of it; personal data only for
    /// staff (partners never get an individual case).
    pub async fn case_view(&self, actor: &Actor, reference: &str) -> Result<CaseView> {
        let reference = reference.trim().to_uppercase();
        let r: echeancier_core::ids::CaseRef = reference
            .parse()
            .map_err(|_| AppError::NotFound(reference.clone()))?;
        let case = self.case_row(&r).await?;
        self.scope_check(Some(actor), &case, Action::View).await?;
        let proc = self.procedure(&case.procedure)?.clone();
        let mut conn = self.store.pool().acquire().await?;
        let steps = Store::steps(&mut conn, case.id).await?;
        let partners = Store::case_partners(&mut conn, case.id).await?;
        let scope = CaseScope {
            establishment: case.establishment.as_deref(),
            departement: &case.departement,
            partners: &partners,
        };
        let allowed = |action: &Action<'_>| {
            authz::authorize(Some(actor), &self.library.roles, &proc, &scope, action).is_ok()
        };
        let actionable = proc
            .steps
            .iter()
            .filter(|s| allowed(&Action::Step(&s.id)))
            .map(|s| s.id.clone())
            .collect();
        let datable = proc
            .events
            .iter()
            .filter(|e| allowed(&Action::Event(&e.id)))
            .map(|e| e.id.clone())
            .collect();
        let inputs = Store::inputs(&mut conn, &case).await?;
        let personal = proc.audience == Audience::Case && self.is_staff(actor);
        // A confidential date (a sanction's) is for the staff who see names.
        let events = inputs
            .events
            .iter()
            .filter(|(k, _)| personal || !proc.event(k).is_some_and(|e| e.confidential))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        // The condition and the priority public name personal dates.
        let calendar = match personal && (proc.condition.is_some() || proc.priority.is_some()) {
            true => Some(Self::calendar(&mut conn, &case).await?),
            false => None,
        };
        let env = calendar.as_ref().map(|c| self.env_of(&case, c));
        let condition = env
            .as_ref()
            .and_then(|env| echeancier_core::condition::check(&proc, &inputs.events, env));
        let rules = match (
            Store::planned_with(&mut conn, case.id).await?,
            self.loaded(&case.procedure),
        ) {
            (Some(with), Ok((_, loaded))) => Some(RulesVersion {
                version: with.version,
                newer_waiting: with.hash != loaded.hash,
            }),
            _ => None,
        };
        let appointments = Store::appointments(&mut conn, case.id).await?;
        let names = if partners.is_empty() {
            Vec::new()
        } else {
            self.store.partners_of(&case.departement).await?
        };
        let partner_states = partners
            .iter()
            .map(|id| PartnerState {
                id: id.clone(),
                name: names
                    .iter()
                    .find(|(p, _)| p == id)
                    .map_or_else(|| id.clone(), |(_, n)| n.clone()),
                received: inputs.receipts.get(id).copied(),
                answer: inputs.answers.get(id).cloned(),
            })
            .collect();
        let milestones = if personal && proc.milestones.is_some() {
            Store::milestones(&mut conn, case.id).await?
        } else {
            Vec::new()
        };
        let next = format!(
            "{}{}",
            echeancier_core::procedure::MILESTONE,
            milestones.last().map_or(1, |(n, _)| n + 1)
        );
        let may_add_milestone = personal && proc.milestones.is_some() && allowed(&Action::Event(&next));
        let (pupil, guardians) = if personal {
            (
                Store::pupil(&mut conn, case.id).await?,
                Store::guardians(&mut conn, case.id).await?,
            )
        } else {
            (None, Vec::new())
        };
        let pupil_birth = if personal {
            Store::pupil_birth(&mut conn, case.id).await?
        } else {
            None
        };
        let priority = match (&proc.priority, &env) {
            (Some(p), Some(env)) => {
                let class = pupil.as_ref().and_then(|(_, c)| c.as_deref());
                echeancier_core::eligibility::hints(p, class, pupil_birth, case.opened_on, env)
            }
            _ => Vec::new(),
        };
        drop(conn);
        let audit = self.store.audit_trail(&case.reference).await?;
        Ok(CaseView {
            case,
            steps,
            actionable,
            datable,
            events,
            appointments,
            audit,
            pupil,
            guardians,
            partners,
            partner_states,
            condition,
            rules,
            milestones,
            may_add_milestone,
            pupil_birth,
            priority,
        })
    }

    /// Establishments by name, for the intake form.
    pub async fn establishments(&self) -> Result<Vec<(String, String)>> {
        Ok(self.store.establishment_names().await?)
    }

    /// The establishments whose cases this person sees, by name: the
    /// filters of the lists.
    pub async fn establishments_in_scope(&self, actor: &Actor) -> Result<Vec<(String, String)>> {
        let scopes = self.scopes(actor);
        let all = self.store.establishment_names().await?;
        Ok(all
            .into_iter()
            .filter(|(uai, _)| {
                scopes.iter().any(|v| match &v.within {
                    authz::Within::Establishment(u) => u == uai,
                    // A UAI starts with its département's code.
                    authz::Within::Departement(d) => uai.get(..3) == Some(d.as_str()),
                    authz::Within::Partner(_) => false,
                })
            })
            .collect())
    }

    /// A change to one step from the web, with the chat command's checks.
    pub async fn web_change(
        &self,
        actor: &Actor,
        reference: &str,
        step: &str,
        change: Change,
        who: &Who,
    ) -> Result<()> {
        let case = self.web_case(reference).await?;
        self.scope_check(Some(actor), &case, Action::Step(step)).await?;
        self.apply(&case.reference, vec![change], who).await?;
        Ok(())
    }

    /// What came of a meeting, from the web: the reply's text.
    pub async fn web_outcome(
        &self,
        actor: &Actor,
        reference: &str,
        step: &str,
        outcome: echeancier_core::command::MeetingOutcome,
        who: &Who,
    ) -> Result<String> {
        let case = self.web_case(reference).await?;
        self.scope_check(Some(actor), &case, Action::Step(step)).await?;
        self.record_outcome(&case.reference, step, outcome, who).await
    }

    /// An event's date from the web, with the chat command's checks.
    pub async fn web_event(
        &self,
        actor: &Actor,
        reference: &str,
        (event, on, confirmed): (&str, NaiveDate, bool),
        who: &Who,
    ) -> Result<()> {
        let case = self.web_case(reference).await?;
        self.scope_check(Some(actor), &case, Action::View).await?;
        super::check_event(self.procedure(&case.procedure)?, event)?;
        self.scope_check(Some(actor), &case, Action::Event(event)).await?;
        self.apply_confirmed(
            &case.reference,
            vec![Change::Event {
                event: event.to_string(),
                on,
            }],
            who,
            confirmed,
        )
        .await?;
        Ok(())
    }

    /// An appointment from the web: (notices, family calls) decided.
    pub async fn web_appointment(
        &self,
        actor: &Actor,
        reference: &str,
        step: &str,
        slot: super::notices::Slot,
        who: &Who,
    ) -> Result<super::notices::Decided> {
        let case = self.web_case(reference).await?;
        self.scope_check(Some(actor), &case, Action::Step(step)).await?;
        self.set_appointment(&case.reference, step, slot.at, slot.minutes, slot.confirmed, who)
            .await
    }

    /// A milestone of the case's contract, added from the web.
    pub async fn web_milestone(
        &self,
        actor: &Actor,
        reference: &str,
        (title, on): (String, NaiveDate),
        who: &Who,
    ) -> Result<u32> {
        let case = self.web_case(reference).await?;
        Ok(self.add_milestone(actor, &case, title, on, who).await?.0)
    }

    pub(super) async fn web_case(&self, reference: &str) -> Result<CaseRow> {
        let reference = reference.trim().to_uppercase();
        let r: echeancier_core::ids::CaseRef = reference
            .parse()
            .map_err(|_| AppError::NotFound(reference.clone()))?;
        self.case_row(&r).await
    }

    /// Opens a case from the web: the person must be allowed to open a
    /// case of this procedure there, and to date each event given.
    pub async fn web_open_case(
        &self,
        actor: &Actor,
        spec: super::OpenCase,
        who: &Who,
    ) -> Result<super::Snapshot> {
        let proc = self.procedure(&spec.procedure)?.clone();
        let (establishment, departement) = match proc.audience {
            Audience::Case => {
                let uai = spec.establishment.clone().unwrap_or_default();
                let mut conn = self.store.pool().acquire().await?;
                let e = Store::establishment(&mut conn, &uai).await?.ok_or_else(|| {
                    AppError::Invalid("Établissement non déclaré dans la configuration.".into())
                })?;
                (Some(e.uai), e.departement)
            }
            Audience::Partnership => (
                None,
                spec.departement
                    .clone()
                    .map(|d| crate::config::normalize_departement(&d))
                    .unwrap_or_default(),
            ),
        };
        let scope = CaseScope {
            establishment: establishment.as_deref(),
            departement: &departement,
            partners: &spec.partners,
        };
        let roles = &self.library.roles;
        authz::authorize(Some(actor), roles, &proc, &scope, &Action::Open).map_err(|e| match e {
            authz::Refusal::OutOfScope => AppError::Invalid(
                "Vous ne pouvez pas ouvrir un dossier de cette procédure pour cet établissement.".into(),
            ),
            other => other.into(),
        })?;
        for (event, _) in &spec.events {
            super::check_event(&proc, event)?;
            authz::authorize(Some(actor), roles, &proc, &scope, &Action::Event(event))?;
        }
        self.open_case(spec, who).await
    }

    /// The pupil and guardians of a case, rewritten from the web: existing
    /// guardians (by id) updated, new ones added, in one transaction.
    pub async fn web_save_family(
        &self,
        actor: &Actor,
        reference: &str,
        (pupil, birth): (Option<(String, Option<String>)>, Option<NaiveDate>),
        guardians: Vec<(Option<i64>, super::GuardianInput, bool)>,
        who: &Who,
    ) -> Result<()> {
        let case = self.web_case(reference).await?;
        self.scope_check(Some(actor), &case, Action::View).await?;
        if !self.is_staff(actor) || self.procedure(&case.procedure)?.audience != Audience::Case {
            return Err(AppError::NotFound(case.reference));
        }
        if !case.open {
            return Err(AppError::Closed(case.reference));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if let Some((name, class)) = &pupil {
            Store::set_pupil(&mut tx, case.id, name, class.as_deref()).await?;
            Store::set_pupil_birth(&mut tx, case.id, birth).await?;
        }
        let (mut updated, mut added) = (0, 0);
        for (id, g, restricted) in &guardians {
            match id {
                Some(id) => {
                    let row = Guardian {
                        id: *id,
                        number: 0,
                        name: g.name.clone(),
                        email: g.email.clone(),
                        address: g.address.clone(),
                        phone: g.phone.clone(),
                        language: g.language.clone(),
                        needs_oral: g.needs_oral,
                        restricted: *restricted,
                    };
                    if !Store::update_guardian(&mut tx, case.id, &row).await? {
                        return Err(AppError::Invalid("Responsable inconnu pour ce dossier.".into()));
                    }
                    updated += 1;
                }
                None => {
                    let id = Store::add_guardian(
                        &mut tx,
                        case.id,
                        &g.name,
                        g.email.as_deref(),
                        g.phone.as_deref(),
                        &g.language,
                        g.needs_oral,
                    )
                    .await?;
                    Store::set_guardian_address(&mut tx, id, g.address.as_deref()).await?;
                    added += 1;
                }
            }
        }
        // Counts only: the audit trail outlives the personal data.
        record(
            &mut tx,
            who,
            now,
            Some(case.reference.clone()),
            "famille",
            json!({"eleve": pupil.is_some(), "responsables_modifies": updated, "responsables_ajoutes": added}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Procedures this person may open cases of, with where (UAI or
    /// département codes).
    pub fn openable(
        &self,
        actor: &Actor,
    ) -> Vec<(&echeancier_core::procedure::Procedure, Vec<authz::Within>)> {
        let scopes = self.scopes(actor);
        self.library
            .procedures
            .values()
            .filter_map(|p| {
                let within: Vec<authz::Within> = scopes
                    .iter()
                    .filter(|v| v.procedures.contains(&p.id))
                    .filter(|v| !matches!(v.within, authz::Within::Partner(_)))
                    .map(|v| v.within.clone())
                    .collect();
                (!within.is_empty()).then_some((p, within))
            })
            .collect()
    }

    /// The languages parent notices can be written in.
    pub fn notice_languages(&self) -> Vec<String> {
        self.options.templates.languages().map(str::to_string).collect()
    }

    /// A partner's answer from the web (`None`: approved; `Some(reason)`:
    /// objection), with the chat commands' checks.
    pub async fn web_answer(
        &self,
        actor: &Actor,
        reference: &str,
        partner: Option<String>,
        objection: Option<String>,
        who: &Who,
    ) -> Result<()> {
        let case = self.web_case(reference).await?;
        if !self
            .procedure(&case.procedure)?
            .steps
            .iter()
            .any(|s| s.per_partner())
        {
            return Err(AppError::Invalid(format!(
                "{} n'attend pas de réponse des partenaires.",
                case.reference
            )));
        }
        // A named partner must be one the person answers for: the scope
        // check below refuses any other.
        let partner = self.answering_partner(actor, &case, partner).await?;
        self.scope_check(Some(actor), &case, Action::ForPartner(&partner))
            .await?;
        let today = self.today();
        let answer = match objection {
            None => echeancier_core::case::PartnerAnswer::Approved(today),
            Some(reason) => echeancier_core::case::PartnerAnswer::Objection { on: today, reason },
        };
        self.apply(&case.reference, vec![Change::Answer { partner, answer }], who)
            .await?;
        Ok(())
    }

    /// The person reached at this address.
    pub async fn person_by_email(&self, email: &str) -> Result<Option<Person>> {
        match self.store.person_by_email(email).await? {
            Some(id) => self.person(id).await,
            None => Ok(None),
        }
    }

    /// A reminder's case, step and due date while the step is still to do
    /// or an information date (the one-click links of an email are valid
    /// that long).
    pub async fn open_reminder_step(&self, reminder: i64) -> Result<Option<(String, String, NaiveDate)>> {
        let mut conn = self.store.pool().acquire().await?;
        let Some(r) = Store::reminder(&mut conn, reminder).await? else {
            return Ok(None);
        };
        let (Some(case_id), Some(step)) = (r.case_id, r.step) else {
            return Ok(None);
        };
        let Some(case) = Store::case_by_id(&mut conn, case_id).await? else {
            return Ok(None);
        };
        let row = Store::step(&mut conn, case_id, &step).await?;
        Ok(match row {
            Some(s) if case.open && s.state.is_reminded() => s.due.map(|d| (case.reference, step, d)),
            _ => None,
        })
    }

    /// Reschedules the step of a reminder (an email's "Reporter" link).
    pub async fn reschedule_reminder(
        &self,
        actor: &Actor,
        who: &Who,
        reminder: i64,
        to: NaiveDate,
        reason: &str,
        confirmed: bool,
    ) -> Result<()> {
        let Some((reference, step, _)) = self.open_reminder_step(reminder).await? else {
            return Err(AppError::Invalid(
                "Cette étape n'est plus ouverte : rien n'a été modifié.".into(),
            ));
        };
        let change = Change::Reschedule {
            step: step.clone(),
            to,
            reason: reason.to_string(),
            confirmed,
        };
        self.web_change(actor, &reference, &step, change, who).await
    }

    /// What a partnership item's intake offers in a département: the
    /// partners, and the open items an item may belong to (a convention
    /// for a communication), as (reference, title).
    pub async fn partnership_choices(
        &self,
        actor: &Actor,
        departement: &str,
    ) -> Result<(Vec<(String, String)>, Vec<(String, String)>)> {
        let partners = self.store.partners_of(departement).await?;
        let scopes = self.scopes(actor);
        let query = CaseQuery {
            scopes: &scopes,
            limit: 500,
            ..Default::default()
        };
        let (lines, _) = self.store.case_lines(&query).await?;
        let mut parents = Vec::new();
        for l in lines {
            let is_item = self
                .library
                .get(&l.procedure)
                .is_some_and(|p| p.audience == Audience::Partnership);
            if is_item && l.departement == departement {
                let title = l.title.unwrap_or_else(|| {
                    self.library
                        .get(&l.procedure)
                        .map_or(String::new(), |p| p.name.clone())
                });
                parents.push((l.reference, title));
            }
        }
        Ok((partners, parents))
    }
}
