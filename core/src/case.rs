//! Case state: from a procedure and what is known of a case (event dates,
//! parameters, steps done, reschedulings, partner receipts and answers),
//! the plan of every step with its due date and explanation. A pure
//! function of its inputs and `today`: the store persists its output and
//! recomputes it whenever an input changes.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::calendar::Calendar;
use crate::deadline::{self, Deadline};
use crate::french::long_date;
use crate::procedure::{Anchor, Effect, Procedure, SchoolAnchor, StepDef};
use crate::school::{self, SchoolCalendar, SchoolYear};
use crate::termination;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reschedule {
    pub date: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerAnswer {
    Approved(NaiveDate),
    Objection { on: NaiveDate, reason: String },
}

/// Everything known about one case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseInputs {
    /// The day the case was opened: it fixes the case's school year.
    pub opened: Option<NaiveDate>,
    pub events: BTreeMap<String, NaiveDate>,
    pub params: BTreeMap<String, u32>,
    pub done: BTreeMap<String, NaiveDate>,
    pub rescheduled: BTreeMap<String, Reschedule>,
    /// Partners the item was submitted to (partnership items).
    pub partners: Vec<String>,
    pub receipts: BTreeMap<String, NaiveDate>,
    pub answers: BTreeMap<String, PartnerAnswer>,
}

/// The calendars a case is computed against.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub calendar: &'a Calendar,
    pub school: &'a SchoolCalendar,
    /// The académie (or zone) whose school calendar applies; without it,
    /// only the metropolitan dates common to every zone are known.
    pub school_scope: Option<school::Scope>,
    pub today: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    /// Cannot be dated yet: an input is missing.
    Waiting(String),
    Open,
    Overdue,
    Done(NaiveDate),
    /// Partner item approved, explicitly or by silence.
    Approved {
        on: NaiveDate,
        tacit: bool,
    },
    /// A partner objected.
    Blocked(String),
    /// The rule cannot be computed (e.g. beyond the school-calendar data).
    Error(String),
}

impl StepState {
    /// Still expects someone to act.
    pub fn is_pending(&self) -> bool {
        matches!(self, StepState::Open | StepState::Overdue)
    }
}

/// A step's computed plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepPlan {
    pub step: String,
    pub name: String,
    pub role: String,
    pub state: StepState,
    pub due: Option<NaiveDate>,
    /// The computed last day before any rescheduling.
    pub computed_due: Option<NaiveDate>,
    /// The date the step's deadline counts from, once known.
    pub start: Option<NaiveDate>,
    pub explanation: Vec<String>,
    /// Additional dates (e.g. the legal date beside an internal target).
    pub also: Vec<(String, NaiveDate)>,
    /// The rules allow two readings that differ: a human must decide.
    pub needs_decision: bool,
}

impl StepPlan {
    /// The latest date the texts give for this step (its computed date or
    /// a legal date shown beside it): a reschedule past it needs an
    /// explicit confirmation.
    pub fn legal_date(&self) -> Option<NaiveDate> {
        self.also.iter().map(|(_, d)| *d).chain(self.computed_due).max()
    }
}

enum Resolved {
    Date(NaiveDate, Vec<String>),
    Missing(String),
    Failed(String),
}

struct Planner<'a> {
    proc: &'a Procedure,
    inputs: &'a CaseInputs,
    env: Env<'a>,
    memo: BTreeMap<String, StepPlan>,
}

/// The plan of every step of `proc` for a case.
pub fn plan(proc: &Procedure, inputs: &CaseInputs, env: Env<'_>) -> Vec<StepPlan> {
    let mut p = Planner {
        proc,
        inputs,
        env,
        memo: BTreeMap::new(),
    };
    proc.steps.iter().map(|s| p.step(s, 0)).collect()
}

impl Planner<'_> {
    fn school_year(&self) -> Result<SchoolYear, String> {
        let opened = self.inputs.opened.unwrap_or(self.env.today);
        match self.env.school_scope {
            Some(scope) => self.env.school.school_year_in(opened, scope),
            None => self.env.school.school_year(opened, self.env.calendar.id),
        }
        .map_err(|e| e.to_string())
    }

    /// The day a step was done: marked by hand, or the date of the event
    /// that completes it (`fait_quand`).
    fn done_on(&self, step: &str) -> Option<NaiveDate> {
        let by_event = self
            .proc
            .step(step)
            .and_then(|s| s.done_by_event.as_ref())
            .and_then(|e| self.inputs.events.get(e));
        by_event.or_else(|| self.inputs.done.get(step)).copied()
    }

    fn anchor(&mut self, anchor: &Anchor, depth: usize) -> Resolved {
        match anchor {
            Anchor::Event(e) => match self.inputs.events.get(e) {
                Some(d) => Resolved::Date(*d, vec![]),
                None => Resolved::Missing(match self.proc.event(e) {
                    Some(ev) if ev.receipt => format!("date de réception à renseigner : {}", ev.name),
                    Some(ev) => format!("date à renseigner : {}", ev.name),
                    None => format!("date à renseigner : {e}"),
                }),
            },
            Anchor::StepDone(s) => match self.done_on(s) {
                Some(d) => Resolved::Date(d, vec![]),
                None => {
                    let name = self.proc.step(s).map(|s| s.name.as_str()).unwrap_or(s);
                    Resolved::Missing(format!("attend que l'étape « {name} » soit faite"))
                }
            },
            Anchor::StepDue(s) => {
                let Some(def) = self.proc.step(s) else {
                    return Resolved::Failed(format!("étape « {s} » inconnue"));
                };
                let plan = self.step(def, depth + 1);
                match plan.due {
                    Some(d) => Resolved::Date(d, vec![]),
                    None => Resolved::Missing(format!("attend l'échéance de « {} »", def.name)),
                }
            }
            Anchor::School(which) => {
                let year = match self.school_year() {
                    Ok(y) => y,
                    Err(e) => return Resolved::Failed(e),
                };
                let school = self.env.school;
                let scope = self.env.school_scope;
                let rentree = |y: SchoolYear| match scope {
                    Some(s) => school.rentree_in(y, s),
                    None => school.rentree(y),
                };
                let r = match which {
                    SchoolAnchor::Rentree => rentree(year),
                    SchoolAnchor::NextRentree => rentree(SchoolYear(year.0 + 1)),
                    SchoolAnchor::SummerStart => match scope {
                        Some(s) => school.summer_start_in(year, s),
                        None => {
                            return Resolved::Failed(
                                "zone scolaire de l'établissement non renseignée".into(),
                            );
                        }
                    },
                };
                match r {
                    Ok(d) => Resolved::Date(
                        d,
                        vec![format!("Date du calendrier scolaire {year} : {}.", long_date(d))],
                    ),
                    Err(e) => Resolved::Failed(e.to_string()),
                }
            }
            Anchor::PartnerReceipt => Resolved::Failed("réception par partenaire traitée à part".into()),
        }
    }

    fn step(&mut self, def: &StepDef, depth: usize) -> StepPlan {
        if let Some(p) = self.memo.get(&def.id) {
            return p.clone();
        }
        let mut plan = StepPlan {
            step: def.id.clone(),
            name: def.name.clone(),
            role: def.role.clone(),
            state: StepState::Waiting(String::new()),
            due: None,
            computed_due: None,
            start: None,
            explanation: vec![],
            also: vec![],
            needs_decision: false,
        };
        // Validation forbids cycles; the depth bound keeps a bad input harmless.
        if depth > 64 {
            plan.state = StepState::Error("dépendances trop profondes".into());
            return plan;
        }
        if def.per_partner() {
            self.partner_step(def, &mut plan);
        } else {
            self.dated_step(def, &mut plan, depth);
        }
        // `fait_quand`: the event's date is the day the step was done, even
        // if the step could not be dated (its own anchor still unknown).
        if let Some(e) = &def.done_by_event
            && let Some(on) = self.inputs.events.get(e)
            && !matches!(plan.state, StepState::Error(_))
        {
            let name = self.proc.event(e).map(|ev| ev.name.as_str()).unwrap_or(e);
            plan.explanation.push(format!(
                "Étape faite le {}, date renseignée pour « {name} ».",
                long_date(*on)
            ));
            plan.state = StepState::Done(*on);
        }
        if !matches!(
            plan.state,
            StepState::Approved { .. } | StepState::Blocked(_) | StepState::Error(_)
        ) && let Some(done) = self.inputs.done.get(&def.id)
        {
            plan.state = StepState::Done(*done);
        }
        self.memo.insert(def.id.clone(), plan.clone());
        plan
    }

    fn dated_step(&mut self, def: &StepDef, plan: &mut StepPlan, depth: usize) {
        let (start, mut lines) = match self.anchor(&def.anchor, depth) {
            Resolved::Date(d, lines) => (d, lines),
            Resolved::Missing(why) => {
                plan.state = StepState::Waiting(why);
                return;
            }
            Resolved::Failed(why) => {
                plan.state = StepState::Error(why);
                return;
            }
        };
        plan.start = Some(start);
        let Some(rule) = def.rule.resolve(&self.inputs.params, &self.proc.params) else {
            plan.state = StepState::Waiting("paramètre du dossier à renseigner".into());
            return;
        };
        let computed = match def.effect {
            Some(Effect::AnneeScolaireSuivante) => {
                let requested = def
                    .request_event
                    .as_ref()
                    .and_then(|e| self.inputs.events.get(e))
                    .copied()
                    .unwrap_or(start);
                termination::compute(
                    start,
                    requested,
                    rule.period.amount,
                    self.env.calendar,
                    self.env.school,
                    self.env.school_scope,
                )
                .map(|t| {
                    plan.needs_decision = t.diverge;
                    if let Ok(other) = &t.effective_at_rentree
                        && t.diverge
                    {
                        plan.also.push(("effet à la rentrée seulement".into(), *other));
                    }
                    plan.also.push(("fin du préavis".into(), t.notice.end));
                    (t.effective, t.explanation())
                })
                .map_err(|e| e.to_string())
            }
            None => self.renewing_deadline(def, start, rule),
        };
        match computed {
            Ok((due, mut explanation)) => {
                lines.append(&mut explanation);
                plan.computed_due = Some(due);
                plan.due = Some(due);
            }
            Err(e) => {
                plan.state = StepState::Error(e);
                return;
            }
        }
        for also in &def.also {
            if let Some(rule) = also.rule.resolve(&self.inputs.params, &self.proc.params)
                && let Ok(dl) = deadline::compute(start, &rule, self.env.calendar)
            {
                lines.push(format!(
                    "{} : {} ({}).",
                    crate::french::capitalize(&also.label),
                    long_date(dl.end),
                    rule.describe()
                ));
                plan.also.push((also.label.clone(), dl.end));
            }
        }
        if let Some(r) = self.inputs.rescheduled.get(&def.id) {
            // The reason is free text: it stays in the case file, out of chat views.
            lines.push(format!(
                "Reporté au {} (motif enregistré au dossier).",
                long_date(r.date)
            ));
            plan.due = Some(r.date);
        }
        plan.explanation = lines;
        plan.state = match plan.due {
            Some(due) if due < self.env.today => StepState::Overdue,
            _ => StepState::Open,
        };
    }

    /// A deadline, renewed tacitely while its term has passed.
    fn renewing_deadline(
        &self,
        def: &StepDef,
        start: NaiveDate,
        rule: deadline::Rule,
    ) -> Result<(NaiveDate, Vec<String>), String> {
        let first = deadline::compute(start, &rule, self.env.calendar).map_err(|e| e.to_string())?;
        if !def.tacit_renewal || first.end >= self.env.today || self.inputs.done.contains_key(&def.id) {
            return Ok((first.end, first.explanation()));
        }
        // Each term counts from the origin in one step: k × N from the start.
        let mut k = 1u32;
        let mut current: Deadline = first;
        while current.end < self.env.today && k < 200 {
            k += 1;
            let mut r = rule;
            r.period.amount = rule.period.amount.saturating_mul(k);
            current = deadline::compute(start, &r, self.env.calendar).map_err(|e| e.to_string())?;
        }
        let mut lines = current.explanation();
        lines.push(format!(
            "Renouvelée tacitement {} fois : période en cours jusqu'au {}.",
            k - 1,
            long_date(current.end)
        ));
        Ok((current.end, lines))
    }

    fn partner_step(&mut self, def: &StepDef, plan: &mut StepPlan) {
        let inputs = self.inputs;
        if inputs.partners.is_empty() {
            plan.state = StepState::Waiting("aucun partenaire destinataire".into());
            return;
        }
        let Some(rule) = def.rule.resolve(&inputs.params, &self.proc.params) else {
            plan.state = StepState::Waiting("paramètre du dossier à renseigner".into());
            return;
        };
        let mut lines = vec![format!(
            "Règle : {} à compter de la réception par chaque partenaire ; le silence vaut approbation.",
            rule.describe()
        )];
        let mut missing = Vec::new();
        let mut latest: Option<NaiveDate> = None;
        let mut approvals: Vec<NaiveDate> = Vec::new();
        for partner in &inputs.partners {
            match inputs.answers.get(partner) {
                // The reason is free text: kept in the case file only.
                Some(PartnerAnswer::Objection { on, .. }) => {
                    lines.push(format!(
                        "{partner} : objection le {} (motif enregistré au dossier).",
                        long_date(*on)
                    ));
                    plan.explanation = lines;
                    plan.state = StepState::Blocked(format!("objection de {partner}"));
                    return;
                }
                Some(PartnerAnswer::Approved(on)) => {
                    lines.push(format!(
                        "{partner} : approbation explicite le {}.",
                        long_date(*on)
                    ));
                    approvals.push(*on);
                    continue;
                }
                None => {}
            }
            match inputs.receipts.get(partner) {
                None => missing.push(partner.clone()),
                Some(received) => match deadline::compute(*received, &rule, self.env.calendar) {
                    Ok(dl) => {
                        let rolled = if dl.skipped.is_empty() {
                            String::new()
                        } else {
                            format!(", reporté du {}", long_date(dl.raw_end))
                        };
                        lines.push(format!(
                            "{partner} : reçu le {}, silence jusqu'au {}{rolled}.",
                            long_date(*received),
                            long_date(dl.end)
                        ));
                        latest = latest.max(Some(dl.end));
                    }
                    Err(e) => {
                        plan.state = StepState::Error(e.to_string());
                        return;
                    }
                },
            }
        }
        if approvals.len() == inputs.partners.len() {
            let on = approvals.iter().max().copied().unwrap_or(self.env.today);
            lines.push(format!(
                "Approuvé explicitement par tous les partenaires le {}.",
                long_date(on)
            ));
            plan.explanation = lines;
            plan.state = StepState::Approved { on, tacit: false };
            return;
        }
        if !missing.is_empty() {
            lines.push(format!("Réception à renseigner pour : {}.", missing.join(", ")));
            plan.explanation = lines;
            plan.state = StepState::Waiting(format!("réception à renseigner pour {}", missing.join(", ")));
            return;
        }
        let Some(due) = latest else {
            plan.state = StepState::Waiting("aucune réception".into());
            return;
        };
        lines.push(format!(
            "Approbation tacite à 24 h le {}, dernier jour du partenaire le plus tardif, sauf objection.",
            long_date(due)
        ));
        plan.due = Some(due);
        plan.computed_due = Some(due);
        plan.explanation = lines;
        plan.state = if due < self.env.today {
            StepState::Approved { on: due, tacit: true }
        } else {
            StepState::Open
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarId;
    use crate::procedure::Procedure;
    use crate::testing::{d, procedure as proc};

    fn run(p: &Procedure, inputs: &CaseInputs, today: &str) -> Vec<StepPlan> {
        let cal = Calendar::new(CalendarId::Metropole);
        let school = SchoolCalendar::embedded();
        plan(
            p,
            inputs,
            Env {
                calendar: &cal,
                school: &school,
                school_scope: Some(crate::school::Zone::A.into()),
                today: d(today),
            },
        )
    }

    const CHAIN: &str = r#"
id = "chaine"
nom = "Chaîne"
prefixe = "CH"
public = "dossier"
[[evenements]]
id = "debut"
nom = "Début"
roles = ["dasen"]
[[etapes]]
id = "a"
nom = "A"
role = "dasen"
depuis = "debut"
delai = { jours = 10, report = "backward" }
aussi = [{ nom = "date légale", jours = 10, report = "forward" }]
[[etapes]]
id = "b"
nom = "B"
role = "dasen"
depuis = "a.echeance"
delai = { semaines = 1, report = "forward" }
[[etapes]]
id = "c"
nom = "C"
role = "dasen"
depuis = "a.fait"
delai = { jours = 3, report = "forward" }
"#;

    #[test]
    fn dependent_steps_follow_their_anchor() {
        let p = proc(CHAIN);
        let mut inputs = CaseInputs::default();
        let plans = run(&p, &inputs, "2026-12-01");
        assert!(plans.iter().all(|s| matches!(s.state, StepState::Waiting(_))));

        inputs.events.insert("debut".into(), d("2026-12-09"));
        let plans = run(&p, &inputs, "2026-12-01");
        assert_eq!(plans[0].due, Some(d("2026-12-18")));
        assert_eq!(plans[0].also, vec![("date légale".to_string(), d("2026-12-21"))]);
        assert_eq!(plans[1].due, Some(d("2026-12-28")));
        assert!(matches!(plans[2].state, StepState::Waiting(_)));

        // Rescheduling A moves B, which runs from A's due date.
        inputs.rescheduled.insert(
            "a".into(),
            Reschedule {
                date: d("2027-01-05"),
                reason: "DASEN absent".into(),
            },
        );
        inputs.done.insert("a".into(), d("2027-01-05"));
        let plans = run(&p, &inputs, "2027-01-06");
        assert_eq!(plans[0].state, StepState::Done(d("2027-01-05")));
        assert_eq!(plans[0].computed_due, Some(d("2026-12-18")));
        assert_eq!(plans[1].due, Some(d("2027-01-12")));
        assert_eq!(plans[2].due, Some(d("2027-01-08")));
        assert!(
            plans[0]
                .explanation
                .iter()
                .any(|l| l.contains("Reporté au mardi 5 janvier 2027"))
        );
        assert!(!plans[0].explanation.iter().any(|l| l.contains("DASEN absent")));
    }

    #[test]
    fn overdue_when_past() {
        let p = proc(CHAIN);
        let mut inputs = CaseInputs::default();
        inputs.events.insert("debut".into(), d("2026-12-09"));
        let plans = run(&p, &inputs, "2026-12-19");
        assert_eq!(plans[0].state, StepState::Overdue);
        let plans = run(&p, &inputs, "2026-12-18");
        assert_eq!(plans[0].state, StepState::Open);
    }

    /// A referral sent then received, a step done by the receipt itself.
    const RECEIPT: &str = r#"
id = "reception"
nom = "Réception"
prefixe = "REC"
public = "dossier"
[[evenements]]
id = "saisine_envoyee"
nom = "envoi de la saisine"
roles = ["dasen"]
[[evenements]]
id = "saisine_recue"
nom = "réception de la saisine"
roles = ["dasen"]
reception = true
[[etapes]]
id = "reception_a_renseigner"
nom = "Date de réception à renseigner"
role = "dasen"
depuis = "saisine_envoyee"
delai = { jours = 2, report = "forward" }
fait_quand = "saisine_recue"
[[etapes]]
id = "entretien"
nom = "Entretien"
role = "dasen"
depuis = "saisine_recue"
delai = { jours = 10, report = "backward" }
aussi = [{ nom = "date légale", jours = 10, report = "forward" }]
[[etapes]]
id = "accuse"
nom = "Accusé de réception"
role = "dasen"
depuis = "reception_a_renseigner.fait"
delai = { jours = 1, report = "forward" }
"#;

    #[test]
    fn a_step_done_by_an_event_is_done_on_its_date() {
        let p = proc(RECEIPT);
        let mut inputs = CaseInputs::default();
        inputs.events.insert("saisine_envoyee".into(), d("2026-03-05"));
        let plans = run(&p, &inputs, "2026-03-06");
        // Thursday 5 March + 2 days = Saturday 7 March → Monday 9 March.
        assert_eq!(plans[0].due, Some(d("2026-03-09")));
        assert_eq!(plans[0].state, StepState::Open);
        // A step waiting for a receipt says so.
        assert!(
            matches!(&plans[1].state, StepState::Waiting(w) if w.starts_with("date de réception à renseigner")),
            "{:?}",
            plans[1].state
        );
        assert_eq!(run(&p, &inputs, "2026-03-10")[0].state, StepState::Overdue);
        assert!(
            matches!(&plans[2].state, StepState::Waiting(w) if w.contains("Date de réception à renseigner")),
            "{:?}",
            plans[2].state
        );

        inputs.events.insert("saisine_recue".into(), d("2026-03-06"));
        let plans = run(&p, &inputs, "2026-03-10");
        assert_eq!(plans[0].state, StepState::Done(d("2026-03-06")));
        assert!(
            plans[0].explanation.contains(
                &"Étape faite le vendredi 6 mars 2026, date renseignée pour « réception de la saisine »."
                    .to_string()
            ),
            "{:?}",
            plans[0].explanation
        );
        // Friday 6 March + 10 days = Monday 16 March, a working day.
        assert_eq!(plans[1].due, Some(d("2026-03-16")));
        assert_eq!(plans[1].also, vec![("date légale".to_string(), d("2026-03-16"))]);
        // A step that follows it runs from the event's date: Monday 9 March.
        assert_eq!(plans[2].start, Some(d("2026-03-06")));
        assert_eq!(plans[2].due, Some(d("2026-03-09")));

        // Only the receipt is known: done, although its own start is not.
        inputs.events.remove("saisine_envoyee");
        let plans = run(&p, &inputs, "2026-03-10");
        assert_eq!(plans[0].state, StepState::Done(d("2026-03-06")));
        assert_eq!(plans[0].due, None);
    }

    #[test]
    fn a_step_waiting_for_an_ordinary_event_says_date_to_enter() {
        let plans = run(&proc(CHAIN), &CaseInputs::default(), "2026-12-01");
        assert_eq!(
            plans[0].state,
            StepState::Waiting("date à renseigner : Début".into())
        );
    }

    const COMM: &str = r#"
id = "comm"
nom = "Communication"
prefixe = "COM"
public = "partenariat"
[[etapes]]
id = "approbation"
nom = "Approbation"
role = "dasen"
depuis = "@reception_partenaire"
delai = { jours = 15, report = "forward" }
"#;

    fn comm_inputs() -> CaseInputs {
        CaseInputs {
            partners: vec!["caf".into(), "prefet".into()],
            ..Default::default()
        }
    }

    #[test]
    fn silent_approval_runs_from_the_latest_receipt() {
        let p = proc(COMM);
        let mut inputs = comm_inputs();
        inputs.receipts.insert("caf".into(), d("2026-06-29"));
        let plans = run(&p, &inputs, "2026-07-01");
        assert!(matches!(plans[0].state, StepState::Waiting(ref w) if w.contains("prefet")));
        inputs.receipts.insert("prefet".into(), d("2026-06-25"));
        let plans = run(&p, &inputs, "2026-07-01");
        // caf: 29 Jun + 15 = 14 Jul (holiday) → 15 Jul; prefet: 10 Jul.
        assert_eq!(plans[0].due, Some(d("2026-07-15")));
        assert_eq!(plans[0].state, StepState::Open);
        let plans = run(&p, &inputs, "2026-07-16");
        assert_eq!(
            plans[0].state,
            StepState::Approved {
                on: d("2026-07-15"),
                tacit: true
            }
        );
    }

    #[test]
    fn objection_blocks_and_explicit_approvals_end_early() {
        let p = proc(COMM);
        let mut inputs = comm_inputs();
        inputs.receipts.insert("caf".into(), d("2026-06-29"));
        inputs.receipts.insert("prefet".into(), d("2026-06-29"));
        inputs
            .answers
            .insert("caf".into(), PartnerAnswer::Approved(d("2026-06-30")));
        inputs
            .answers
            .insert("prefet".into(), PartnerAnswer::Approved(d("2026-07-01")));
        let plans = run(&p, &inputs, "2026-07-02");
        assert_eq!(
            plans[0].state,
            StepState::Approved {
                on: d("2026-07-01"),
                tacit: false
            }
        );
        inputs.answers.insert(
            "prefet".into(),
            PartnerAnswer::Objection {
                on: d("2026-07-01"),
                reason: "logo absent".into(),
            },
        );
        let plans = run(&p, &inputs, "2026-08-01");
        assert!(matches!(plans[0].state, StepState::Blocked(_)));
    }

    const CONV: &str = r#"
id = "convention"
nom = "Convention"
prefixe = "CONV"
public = "partenariat"
[[evenements]]
id = "entree_en_vigueur"
nom = "Entrée en vigueur"
roles = ["dasen"]
[[evenements]]
id = "resiliation_recue"
nom = "Réception de la lettre de résiliation"
roles = ["dasen"]
reception = true
[[parametres]]
id = "duree_ans"
nom = "Durée en années"
defaut = 3
[[etapes]]
id = "terme"
nom = "Terme"
role = "dasen"
depuis = "entree_en_vigueur"
delai = { ans = "duree_ans", inclusif = true, report = "none" }
renouvellement_tacite = true
[[etapes]]
id = "resiliation"
nom = "Prise d'effet de la résiliation"
role = "dasen"
depuis = "resiliation_recue"
delai = { mois = 3, report = "none" }
effet = "annee_scolaire_suivante"
"#;

    #[test]
    fn convention_term_renews_tacitly() {
        let p = proc(CONV);
        let mut inputs = CaseInputs::default();
        inputs.events.insert("entree_en_vigueur".into(), d("2020-09-01"));
        let plans = run(&p, &inputs, "2024-01-10");
        // 2020-09-01 + 3 years − 1 day = 2023-08-31, passed: renewed once.
        assert_eq!(plans[0].due, Some(d("2026-08-31")));
        assert!(
            plans[0]
                .explanation
                .iter()
                .any(|l| l.contains("Renouvelée tacitement 1 fois"))
        );
        inputs.params.insert("duree_ans".into(), 1);
        let plans = run(&p, &inputs, "2026-11-23");
        assert_eq!(plans[0].due, Some(d("2027-08-31")));
    }

    #[test]
    fn termination_flags_divergence() {
        let p = proc(CONV);
        let mut inputs = CaseInputs::default();
        inputs.events.insert("resiliation_recue".into(), d("2025-07-15"));
        let plans = run(&p, &inputs, "2025-07-20");
        assert_eq!(plans[1].due, Some(d("2025-10-16")));
        assert!(plans[1].needs_decision);
        assert!(
            plans[1]
                .also
                .contains(&("effet à la rentrée seulement".to_string(), d("2026-09-01")))
        );
    }
}
