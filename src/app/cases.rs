//! Case writes: opening a case, applying changes, replanning, snapshots and purging.

use chrono::{Duration, NaiveDate};
use echeancier_core::calendar::{Calendar, CalendarId};
use echeancier_core::case::{self, Env, OrderViolation, PartnerAnswer, StepPlan};
use echeancier_core::condition;
use echeancier_core::ids::Uai;
use echeancier_core::procedure::{Audience, Procedure};
use echeancier_core::school::Zone;
use serde_json::json;
use sqlx::AnyConnection;

use echeancier_core::reminder::{self, PendingStep};

use crate::config::Settings;
use crate::store::{CaseRow, Establishment, NewCase, Store};
use crate::view;

use super::{
    App, AppError, Change, OpenCase, Result, Snapshot, Who, check_event, check_event_date, check_param,
    check_step, clean_text, record, unknown_partner,
};

impl App {
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
            self.store.set_admin(&p.slug, p.admin).await?;
        }
        Ok(())
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

    /// Recomputes and stores the plan of a case, inside `conn`'s
    /// transaction, with the rules it was planned with (`app::versions`):
    /// a procedure file changed since moves none of its dates.
    pub(super) async fn replan(&self, conn: &mut AnyConnection, case: &CaseRow) -> Result<Vec<StepPlan>> {
        let rules = self.case_rules(conn, case).await?;
        if rules.recorded.is_none() {
            self.record_rules(conn, case).await?;
        }
        let proc = &*rules.proc;
        let inputs = Store::inputs(conn, case).await?;
        let (plans, calendar) = self.plan_with(conn, case, proc, &inputs).await?;
        // When the scheduler should look at each step: its first reminder;
        // the scheduler then walks forward from there.
        let next: Vec<_> = plans
            .iter()
            .map(|p| {
                let def = proc.step(&p.step)?;
                let due = p.due.filter(|_| p.state.is_reminded())?;
                let pending = PendingStep {
                    case_ref: &case.reference,
                    step: &p.step,
                    role: &p.role,
                    due,
                    policy: &def.reminders,
                };
                let until = due + Duration::days(400);
                // An information date has no late reminder.
                reminder::intents(&pending, &calendar, &self.options.hours, until)
                    .into_iter()
                    .find(|i| p.state.is_pending() || i.kind.by_the_day())
                    .map(|i| i.send_at)
            })
            .collect();
        Store::save_plan(conn, case.id, &plans, &next).await?;
        Ok(plans)
    }

    /// The plan of a case as its stored inputs give it, with its own
    /// rules, without saving.
    pub(super) async fn plan_of(
        &self,
        conn: &mut AnyConnection,
        case: &CaseRow,
    ) -> Result<(Vec<StepPlan>, Calendar)> {
        let rules = self.case_rules(conn, case).await?;
        let inputs = Store::inputs(conn, case).await?;
        self.plan_with(conn, case, &rules.proc, &inputs).await
    }

    /// The plan of `case` with `proc` and `inputs`, without saving.
    pub(super) async fn plan_with(
        &self,
        conn: &mut AnyConnection,
        case: &CaseRow,
        proc: &Procedure,
        inputs: &case::CaseInputs,
    ) -> Result<(Vec<StepPlan>, Calendar)> {
        let calendar = Self::calendar(conn, case).await?;
        let plans = case::plan(proc, inputs, self.env_of(case, &calendar));
        Ok((plans, calendar))
    }

    /// Who may move a clock, and how far: a rescheduled date is a working
    /// day after the step's start, not past, within the horizon; past the
    /// step's legal date it needs `confirmed`. Returns the legal date.
    pub(super) fn check_reschedule(
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

    /// The dates of `case`, as written so far in `conn`'s transaction, that
    /// contradict the order its procedure sets (`apres` on an event).
    async fn order_violations(
        conn: &mut AnyConnection,
        proc: &Procedure,
        case: &CaseRow,
    ) -> Result<Vec<OrderViolation>> {
        if proc.events.iter().all(|e| e.not_before.is_empty()) {
            return Ok(Vec::new());
        }
        let inputs = Store::inputs(conn, case).await?;
        Ok(case::order_violations(proc, &inputs))
    }

    /// Dates newly out of order are refused, unless `confirmed`: then they
    /// are kept, and returned for the audit trail.
    fn check_order(new: &[OrderViolation], confirmed: bool) -> Result<Option<serde_json::Value>> {
        let Some(first) = new.first() else {
            return Ok(None);
        };
        if !confirmed {
            return Err(AppError::Invalid(format!(
                "{} Si cette date est juste, refaites la même demande en ajoutant « confirme » après la date.",
                first.refusal()
            )));
        }
        Ok(Some(json!(
            new.iter().map(OrderViolation::refusal).collect::<Vec<_>>()
        )))
    }

    /// The procedure's opening condition checked on the case's dates as
    /// written so far in `conn`'s transaction; `None` without a condition.
    pub(super) async fn condition_of(
        &self,
        conn: &mut AnyConnection,
        proc: &Procedure,
        case: &CaseRow,
    ) -> Result<Option<condition::Check>> {
        if proc.condition.is_none() {
            return Ok(None);
        }
        let calendar = Self::calendar(conn, case).await?;
        let inputs = Store::inputs(conn, case).await?;
        Ok(condition::check(
            proc,
            &inputs.events,
            &self.env_of(case, &calendar),
        ))
    }

    /// The calendars `case` is computed against, today included.
    pub(super) fn env_of<'a>(&'a self, case: &CaseRow, calendar: &'a Calendar) -> Env<'a> {
        Env {
            calendar,
            school: &self.school,
            school_scope: school_scope(&case.departement, case.zone.as_deref()),
            today: self.clock.today(calendar.id),
        }
    }

    /// A condition contradicted by the dates, or with dates missing (unless
    /// they come later), refuses the case unless `confirmed`. Returns what
    /// the audit trail records.
    fn check_condition(
        check: Option<&condition::Check>,
        confirmed: bool,
        later: bool,
    ) -> Result<Option<&'static str>> {
        let Some(check) = check else {
            return Ok(None);
        };
        if check.is_met() {
            return Ok(Some("remplie"));
        }
        if !check.is_contradicted() && later {
            return Ok(Some("dates à renseigner sur le bureau web"));
        }
        if confirmed {
            return Ok(Some("non remplie, ouverture confirmée"));
        }
        let why: Vec<String> = check.findings.iter().map(condition::Finding::sentence).collect();
        Err(AppError::Invalid(format!(
            "Condition d'ouverture non vérifiée ({}) : {} Si le dossier doit être ouvert quand même, confirmez-le : il restera signalé tant que la condition n'est pas remplie.",
            check.name,
            why.join(" ")
        )))
    }

    /// Adds the next milestone of a case's contract (`!jalon`, the web
    /// office), by the roles its procedure names. Returns its number.
    pub async fn add_milestone(
        &self,
        actor: &echeancier_core::authz::Actor,
        case: &CaseRow,
        title: String,
        on: NaiveDate,
        who: &Who,
    ) -> Result<(u32, Snapshot)> {
        self.scope_check(Some(actor), case, echeancier_core::authz::Action::View)
            .await?;
        if self.procedure(&case.procedure)?.milestones.is_none() {
            return Err(AppError::Invalid(format!(
                "La procédure de {} n'a pas d'échéances de contrat : les jalons servent aux dossiers dont le contrat fixe des échéances (parcours individualisé).",
                case.reference
            )));
        }
        let mut conn = self.store.pool().acquire().await?;
        let number = Store::milestones(&mut conn, case.id)
            .await?
            .last()
            .map_or(1, |(n, _)| n + 1);
        drop(conn);
        let event = format!("{}{number}", echeancier_core::procedure::MILESTONE);
        self.scope_check(Some(actor), case, echeancier_core::authz::Action::Event(&event))
            .await?;
        let snap = self
            .apply(
                &case.reference,
                vec![Change::Milestone { number, title, on }],
                who,
            )
            .await?;
        Ok((number, snap))
    }

    /// Opens a case and computes its plan in one transaction. With
    /// `spec.confirmed`, event dates that contradict the order the
    /// procedure sets, or its condition, are kept, and the audit trail
    /// says so.
    pub async fn open_case(&self, spec: OpenCase, who: &Who) -> Result<Snapshot> {
        let confirmed = spec.confirmed;
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
            let has_address = g.address.as_deref().is_some_and(|a| !a.trim().is_empty());
            if g.email.is_none() && g.phone.is_none() && !has_address {
                return Err(AppError::Invalid(format!(
                    "Le responsable {n} ne pourrait être joint d'aucune façon : donnez un courriel, un téléphone ou une adresse postale."
                )));
            }
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
        // A document is submitted the day its item is created, unless told.
        for e in proc.events.iter().filter(|e| e.at_opening) {
            if !spec.events.iter().any(|(id, _)| *id == e.id) {
                Store::set_event(&mut tx, id, &e.id, opened_on).await?;
            }
        }
        for (param, value) in &spec.params {
            check_param(&proc, param)?;
            Store::set_param(&mut tx, id, param, *value).await?;
        }
        if let Some((name, class)) = &spec.pupil {
            Store::set_pupil(&mut tx, id, name, class.as_deref()).await?;
            Store::set_pupil_birth(&mut tx, id, spec.pupil_birth).await?;
        }
        for g in &guardians {
            let id = Store::add_guardian(
                &mut tx,
                id,
                &g.name,
                g.email.as_deref(),
                g.phone.as_deref(),
                &g.language,
                g.needs_oral,
            )
            .await?;
            if g.address.is_some() {
                Store::set_guardian_address(&mut tx, id, g.address.as_deref()).await?;
            }
        }
        let case = Store::case_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        let out_of_order = Self::order_violations(&mut tx, &proc, &case).await?;
        let confirmed_order = Self::check_order(&out_of_order, confirmed)?;
        let check = self.condition_of(&mut tx, &proc, &case).await?;
        let condition = Self::check_condition(check.as_ref(), confirmed, !spec.condition_required)?;
        self.replan(&mut tx, &case).await?;
        let mut detail = json!({
            "procedure": proc.id,
            "evenements": spec.events.iter().map(|(e, d)| (e.clone(), d.to_string())).collect::<Vec<_>>(),
            "parametres": spec.params,
            "partenaires": partners,
        });
        if let (Some(order), Some(obj)) = (confirmed_order, detail.as_object_mut()) {
            obj.insert("ordre_des_dates_confirme".into(), order);
        }
        if let (Some(condition), Some(obj)) = (condition, detail.as_object_mut()) {
            obj.insert("condition".into(), condition.into());
        }
        record(
            &mut tx,
            who,
            self.clock.now(),
            Some(reference.to_string()),
            "ouverture",
            detail,
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
        self.apply_confirmed(reference, changes, who, false).await
    }

    /// As [`App::apply`]. Dates the changes put out of the order the
    /// procedure sets (`apres`: an internship before its validation, a
    /// receipt before its sending) are refused, unless `confirmed`: then
    /// they are kept, the audit trail records it, and the plan warns.
    pub async fn apply_confirmed(
        &self,
        reference: &str,
        changes: Vec<Change>,
        who: &Who,
        confirmed: bool,
    ) -> Result<Snapshot> {
        let mut tx = self.store.begin().await?;
        let case = Store::case_by_ref(&mut tx, reference)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        // The rules the case was planned with, even if its file changed
        // since (`app::versions`): they check and compute the changes.
        let proc = self.case_rules(&mut tx, &case).await?.proc;
        let today = self.today();
        // Dates already out of order (kept on an earlier confirmation) do
        // not block other changes.
        let out_of_order = Self::order_violations(&mut tx, &proc, &case).await?;
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
                Change::Milestone { number, title, on } => {
                    if proc.milestones.is_none() {
                        return Err(AppError::Invalid(
                            "La procédure de ce dossier n'a pas d'échéances de contrat (jalons).".into(),
                        ));
                    }
                    let title = clean_text(title, "titre de l'échéance")?;
                    // Two adding the same number at once: one fails, nothing is lost.
                    Store::add_milestone(&mut tx, case.id, *number, &title).await?;
                    let event = format!("{}{number}", echeancier_core::procedure::MILESTONE);
                    Store::set_event(&mut tx, case.id, &event, *on).await?;
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
                    if let Some(event) = &def.done_by_event {
                        let name = proc.event(event).map(|e| e.name.as_str()).unwrap_or(event);
                        return Err(AppError::Invalid(format!(
                            "Cette étape se termine quand la date « {name} » est renseignée : renseignez cette date (!date {} {event} DATE).",
                            case.reference
                        )));
                    }
                    if *on > today {
                        return Err(AppError::Invalid(
                            "Une étape ne peut pas être faite à une date future.".into(),
                        ));
                    }
                    // A meeting with the family is done once it was held:
                    // its outcome says so.
                    if def.parent_notice.is_some() {
                        let held = Store::appointment(&mut tx, case.id, step)
                            .await?
                            .and_then(|a| a.outcome)
                            .and_then(|o| o.parse::<echeancier_core::command::MeetingOutcome>().ok())
                            .is_some_and(|o| def.settled_by(o));
                        if !held {
                            return Err(AppError::Invalid(format!(
                                "« {} » est faite quand la famille est venue : notez d'abord le bilan du rendez-vous (!bilan-rdv {} {step} venu, venu-accompagne, absent ou excuse).",
                                def.name, case.reference
                            )));
                        }
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
        let new_out_of_order: Vec<OrderViolation> = Self::order_violations(&mut tx, &proc, &case)
            .await?
            .into_iter()
            .filter(|v| !out_of_order.contains(v))
            .collect();
        if let Some(order) = Self::check_order(&new_out_of_order, confirmed)? {
            for (i, change) in changes.iter().enumerate() {
                if matches!(change, Change::Event { .. } | Change::StepDone { .. }) {
                    let extra = notes.entry(i).or_insert_with(|| json!({}));
                    if let Some(obj) = extra.as_object_mut() {
                        obj.insert("ordre_des_dates_confirme".into(), order.clone());
                    }
                }
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
            record(
                &mut tx,
                who,
                self.clock.now(),
                Some(case.reference.clone()),
                action,
                detail,
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
            record(
                &mut tx,
                who,
                self.clock.now(),
                Some(reference.clone()),
                "purge",
                json!({"cloture": closed.to_string(), "purge_des": from.to_string()}),
            )
            .await?;
            tx.commit().await?;
            purged.push(reference);
        }
        Ok(purged)
    }
}

/// The school calendar of a case: its département's académie (the
/// dataset is per académie, Corse and overseas included), else the zone
/// configured for its establishment.
pub(crate) fn school_scope(departement: &str, zone: Option<&str>) -> Option<echeancier_core::school::Scope> {
    use echeancier_core::academie::academie_of_departement;
    match academie_of_departement(departement) {
        Ok(a) => Some(a.into()),
        Err(_) => zone.and_then(|z| z.parse::<Zone>().ok()).map(Into::into),
    }
}
