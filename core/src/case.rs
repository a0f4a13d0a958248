//! Case state: from a procedure and what is known of a case (event dates,
//! parameters, steps done, reschedulings, partner receipts and answers),
//! the plan of every step with its due date and explanation. A pure
//! function of its inputs and `today`: the store persists its output and
//! recomputes it whenever an input changes.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::calendar::Calendar;
use crate::deadline::{self, Deadline, Roll};
use crate::french::{capitalize, count, long_date};
use crate::procedure::{Anchor, Effect, Procedure, SchoolAnchor, StepDef};
use crate::school::{self, SchoolCalendar, SchoolYear};
use crate::termination;

/// Why school holidays cannot be avoided for a case.
const NO_SCHOOL_SCOPE: &str =
    "zone scolaire de l'établissement non renseignée : les vacances scolaires ne sont pas connues";

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
    /// Their names, by id, for explanations; a partner without one is
    /// named by its id.
    pub partner_names: BTreeMap<String, String>,
    pub receipts: BTreeMap<String, NaiveDate>,
    pub answers: BTreeMap<String, PartnerAnswer>,
    /// Every day each recurring step was done (`done` keeps the last).
    pub history: BTreeMap<String, Vec<NaiveDate>>,
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
    /// A dated information step (`information = true`): reminded before
    /// and on its day, never late, before or after that day.
    Info,
}

impl StepState {
    /// Still expects someone to act.
    pub fn is_pending(&self) -> bool {
        matches!(self, StepState::Open | StepState::Overdue)
    }

    /// Has reminders: a step to do, or an information date (which has
    /// only those before and on its day).
    pub fn is_reminded(&self) -> bool {
        self.is_pending() || *self == StepState::Info
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

/// An event dated before a date it never precedes (`apres`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderViolation {
    pub event: String,
    pub on: NaiveDate,
    /// The event or step done (`Anchor::StepDone`) it never precedes.
    pub before: Anchor,
    pub before_on: NaiveDate,
    /// "Premier jour du stage (lundi 9 mars 2026)".
    subject: String,
    /// "l'étape « Validation par le DASEN », faite le mercredi 11 mars 2026".
    other: String,
}

impl OrderViolation {
    /// Why the date is refused: one sentence.
    pub fn refusal(&self) -> String {
        format!(
            "{} : cette date ne peut pas précéder {}.",
            self.subject, self.other
        )
    }

    /// What a plan says of such dates, kept after a confirmation.
    pub fn warning(&self) -> String {
        format!(
            "⚠ {} : cette date précède {}, ce qui ne devrait pas arriver. Vérifiez ces dates.",
            self.subject, self.other
        )
    }
}

/// The day a step was done: marked by hand, or the date of the event that
/// completes it (`fait_quand`).
fn done_on(proc: &Procedure, inputs: &CaseInputs, step: &str) -> Option<NaiveDate> {
    let by_event = proc
        .step(step)
        .and_then(|s| s.done_by_event.as_ref())
        .and_then(|e| inputs.events.get(e));
    by_event.or_else(|| inputs.done.get(step)).copied()
}

fn event_name<'a>(proc: &'a Procedure, id: &'a str) -> &'a str {
    proc.event(id).map_or(id, |e| e.name.as_str())
}

fn step_name<'a>(proc: &'a Procedure, id: &'a str) -> &'a str {
    proc.step(id).map_or(id, |s| s.name.as_str())
}

/// The dates of a case that contradict the order its procedure sets
/// (`apres` on an event), both dates known. A date equal to the one it
/// follows is in order: an internship may start on the day it is validated.
pub fn order_violations(proc: &Procedure, inputs: &CaseInputs) -> Vec<OrderViolation> {
    let mut out = Vec::new();
    for ev in &proc.events {
        let Some(on) = inputs.events.get(&ev.id).copied() else {
            continue;
        };
        for r in &ev.not_before {
            let (before_on, other) = match r {
                // A confidential date is not repeated: this sentence may
                // reach chat, in a refusal or a step's explanation.
                Anchor::Event(e) => match inputs.events.get(e) {
                    Some(d) if proc.event(e).is_some_and(|x| x.confidential) => (
                        *d,
                        format!(
                            "la date « {} » (confidentielle, voir le bureau web)",
                            event_name(proc, e)
                        ),
                    ),
                    Some(d) => (
                        *d,
                        format!("la date « {} », le {}", event_name(proc, e), long_date(*d)),
                    ),
                    None => continue,
                },
                Anchor::StepDone(s) => match done_on(proc, inputs, s) {
                    Some(d) => (
                        d,
                        format!("l'étape « {} », faite le {}", step_name(proc, s), long_date(d)),
                    ),
                    None => continue,
                },
                _ => continue,
            };
            if on < before_on {
                out.push(OrderViolation {
                    event: ev.id.clone(),
                    on,
                    before: r.clone(),
                    before_on,
                    subject: format!("{} ({})", capitalize(&ev.name), long_date(on)),
                    other,
                });
            }
        }
    }
    out
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
    violations: Vec<OrderViolation>,
}

/// The plan of every step of `proc` for a case.
pub fn plan(proc: &Procedure, inputs: &CaseInputs, env: Env<'_>) -> Vec<StepPlan> {
    let mut p = Planner {
        proc,
        inputs,
        env,
        memo: BTreeMap::new(),
        violations: order_violations(proc, inputs),
    };
    let mut plans: Vec<StepPlan> = proc.steps.iter().map(|s| p.step(s, 0)).collect();
    if let Some(m) = &proc.milestones {
        let mut dated: Vec<(u32, NaiveDate)> = inputs
            .events
            .iter()
            .filter_map(|(id, on)| crate::procedure::milestone_number(id).map(|n| (n, *on)))
            .collect();
        dated.sort();
        plans.extend(dated.into_iter().map(|(n, on)| p.milestone(m, n, on)));
    }
    plans
}

impl Planner<'_> {
    /// Milestone `n`, due on the date the contract fixed (`on`), or the
    /// date it was rescheduled to.
    fn milestone(&self, m: &crate::procedure::Milestones, n: u32, on: NaiveDate) -> StepPlan {
        let id = format!("{}{n}", crate::procedure::MILESTONE);
        let mut explanation = vec![format!("Échéance fixée au contrat : le {}.", long_date(on))];
        let due = match self.inputs.rescheduled.get(&id) {
            Some(r) => {
                explanation.push(format!("Reportée au {}.", long_date(r.date)));
                r.date
            }
            None => on,
        };
        let state = match self.inputs.done.get(&id) {
            Some(d) => StepState::Done(*d),
            None if due < self.env.today => StepState::Overdue,
            None => StepState::Open,
        };
        StepPlan {
            step: id,
            name: format!("{} n° {n}", m.step.name),
            role: m.step.role.clone(),
            state,
            due: Some(due),
            computed_due: Some(on),
            start: self.inputs.opened,
            explanation,
            also: Vec::new(),
            needs_decision: false,
        }
    }

    fn school_year(&self) -> Result<SchoolYear, String> {
        let opened = self.inputs.opened.unwrap_or(self.env.today);
        match self.env.school_scope {
            Some(scope) => self.env.school.school_year_in(opened, scope),
            None => self.env.school.school_year(opened, self.env.calendar.id),
        }
        .map_err(|e| e.to_string())
    }

    fn done_on(&self, step: &str) -> Option<NaiveDate> {
        done_on(self.proc, self.inputs, step)
    }

    /// The date `anchor` gives; with `school_days`, the middle of a period
    /// (`milieu`) counts only the days with classes.
    fn anchor(&mut self, anchor: &Anchor, depth: usize, school_days: bool) -> Resolved {
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
                let label = |y: SchoolYear| scope.map_or_else(|| y.to_string(), |s| s.year_label(y));
                let (r, what) = match which {
                    SchoolAnchor::Rentree => (
                        rentree(year),
                        format!("Rentrée de l'année scolaire {}", label(year)),
                    ),
                    SchoolAnchor::NextRentree => {
                        let next = SchoolYear(year.0 + 1);
                        (
                            rentree(next),
                            format!("Rentrée de l'année scolaire {}", label(next)),
                        )
                    }
                    SchoolAnchor::SummerStart => match scope {
                        Some(s) => (
                            school.summer_start_in(year, s),
                            format!("Début des vacances d'été de l'année scolaire {}", label(year)),
                        ),
                        None => {
                            return Resolved::Failed(
                                "zone scolaire de l'établissement non renseignée".into(),
                            );
                        }
                    },
                };
                match r {
                    Ok(d) => Resolved::Date(d, vec![format!("{what} : {}.", long_date(d))]),
                    Err(e) => Resolved::Failed(e.to_string()),
                }
            }
            Anchor::PartnerReceipt => Resolved::Failed("réception par partenaire traitée à part".into()),
            Anchor::Middle(a, b) => {
                let first = match self.anchor(a, depth, false) {
                    Resolved::Date(d, _) => d,
                    other => return other,
                };
                let last = match self.anchor(b, depth, false) {
                    Resolved::Date(d, _) => d,
                    other => return other,
                };
                self.middle(first, last, school_days)
            }
        }
    }

    /// The middle working day from `first` to `last`, both included (the
    /// earlier of the two middle days when their number is even); with
    /// `school_days`, school holidays are left out too.
    fn middle(&self, first: NaiveDate, last: NaiveDate, school_days: bool) -> Resolved {
        if last < first {
            return Resolved::Failed(format!(
                "la fin de la période, le {}, précède son début, le {}",
                long_date(last),
                long_date(first)
            ));
        }
        if (last - first).num_days() > 400 {
            return Resolved::Failed("période de plus de 400 jours : vérifiez ses dates".into());
        }
        let scope = match (school_days, self.env.school_scope) {
            (false, _) => None,
            (true, Some(s)) => Some(s),
            (true, None) => return Resolved::Failed(NO_SCHOOL_SCOPE.into()),
        };
        let mut days = Vec::new();
        for d in first.iter_days().take_while(|d| *d <= last) {
            if !self.env.calendar.is_working_day(d) {
                continue;
            }
            let off = match scope {
                Some(s) => match self.env.school.in_holidays(d, s) {
                    Ok(off) => off,
                    Err(e) => return Resolved::Failed(e.to_string()),
                },
                None => false,
            };
            if !off {
                days.push(d);
            }
        }
        let (kind, kinds, excluded) = if school_days {
            (
                "jour de classe",
                "jours de classe",
                "hors week-ends, jours fériés et vacances scolaires",
            )
        } else {
            ("jour ouvré", "jours ouvrés", "hors week-ends et jours fériés")
        };
        let Some(mid) = days.get(days.len().saturating_sub(1) / 2).copied() else {
            return Resolved::Failed(format!(
                "aucun {kind} entre le {} et le {}",
                long_date(first),
                long_date(last)
            ));
        };
        let rank = days.len().saturating_sub(1) / 2 + 1;
        let rank = if rank == 1 {
            "1er".to_string()
        } else {
            format!("{rank}e")
        };
        Resolved::Date(
            mid,
            vec![format!(
                "Du {} au {} : {}, {excluded}. Le jour du milieu est le {rank}, le {}.",
                long_date(first),
                long_date(last),
                count(days.len(), kind, kinds),
                long_date(mid)
            )],
        )
    }

    /// `day`, moved out of the school holidays in the direction of `roll`
    /// (and past the days that are not working days on the way). One line
    /// says why when it moved. `Err` without the school's académie, or
    /// past the published school calendar: never guessed.
    fn avoid_holidays(
        &self,
        day: NaiveDate,
        roll: Roll,
        lines: &mut Vec<String>,
    ) -> Result<NaiveDate, String> {
        let scope = self.env.school_scope.ok_or_else(|| NO_SCHOOL_SCOPE.to_string())?;
        let school = self.env.school;
        let mut first_off: Option<(NaiveDate, String)> = None;
        let mut d = day;
        for _ in 0..400 {
            if self.env.calendar.is_working_day(d) {
                if !school.in_holidays(d, scope).map_err(|e| e.to_string())? {
                    if let Some((off, name)) = first_off {
                        let moved = match roll {
                            Roll::Backward => "l'échéance est avancée au",
                            _ => "l'échéance passe au",
                        };
                        lines.push(format!(
                            "Le {} n'est pas un jour de classe {} ({name}) : {moved} {}.",
                            long_date(off),
                            scope.place_phrase(),
                            long_date(d)
                        ));
                    }
                    return Ok(d);
                }
                if first_off.is_none() {
                    let rows = school.holidays_on(d, scope).map_err(|e| e.to_string())?;
                    let row = rows
                        .iter()
                        .find(|p| p.concerns_all_pupils())
                        .or_else(|| rows.first());
                    let name = row.map_or_else(
                        || "vacances scolaires".to_string(),
                        |p| holiday_words(&p.description),
                    );
                    first_off = Some((d, name));
                }
            }
            d = match roll {
                Roll::Backward => d.pred_opt(),
                _ => d.succ_opt(),
            }
            .ok_or_else(|| "date hors de la plage de calcul".to_string())?;
        }
        Err("aucun jour de classe dans les 400 jours qui suivent".into())
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
            plan.state = StepState::Error("étapes trop imbriquées : vérifiez la procédure".into());
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
        if let (Some(repeat), StepState::Done(done)) = (&def.repeat, plan.state.clone()) {
            self.next_occurrence(def, repeat, done, &mut plan, depth);
        }
        if let Some(repeat) = &def.repeat
            && let Some(sessions) = repeat.sessions
        {
            self.tally(def, repeat, sessions, &mut plan, depth);
        }
        self.memo.insert(def.id.clone(), plan.clone());
        plan
    }

    fn dated_step(&mut self, def: &StepDef, plan: &mut StepPlan, depth: usize) {
        let (start, mut lines) = match self.anchor(&def.anchor, depth, def.rule.avoid_holidays) {
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
            Some(Effect::DernierJourPourLeTerme) => self.last_day_for_term(start, rule, plan),
            None => self.renewing_deadline(def, start, rule),
        };
        let computed = computed.and_then(|(due, mut explanation)| {
            if def.rule.avoid_holidays {
                let due = self.avoid_holidays(due, rule.roll, &mut explanation)?;
                Ok((due, explanation))
            } else {
                Ok((due, explanation))
            }
        });
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
            let Some(rule) = also.rule.resolve(&self.inputs.params, &self.proc.params) else {
                continue;
            };
            let from = match &also.anchor {
                None => start,
                Some(a) => match self.anchor(a, depth, also.rule.avoid_holidays) {
                    Resolved::Date(d, _) => d,
                    _ => continue,
                },
            };
            let Ok(dl) = deadline::compute(from, &rule, self.env.calendar) else {
                continue;
            };
            let mut moved = Vec::new();
            let end = if also.rule.avoid_holidays {
                match self.avoid_holidays(dl.end, rule.roll, &mut moved) {
                    Ok(d) => d,
                    Err(e) => {
                        lines.push(format!("{} : pas de date, {e}.", capitalize(&also.label)));
                        continue;
                    }
                }
            } else {
                dl.end
            };
            match &also.anchor {
                None => lines.push(format!(
                    "{} : {} ({}).",
                    capitalize(&also.label),
                    long_date(end),
                    rule.describe()
                )),
                Some(_) => lines.push(format!(
                    "{} : {}. Compté à partir du {} : {}.",
                    capitalize(&also.label),
                    long_date(end),
                    long_date(from),
                    rule.describe()
                )),
            }
            lines.append(&mut moved);
            plan.also.push((also.label.clone(), end));
        }
        self.order_warnings(def, &mut lines);
        if let Some(r) = self.inputs.rescheduled.get(&def.id) {
            // The reason is free text: it stays in the case file, out of chat views.
            lines.push(format!(
                "Reporté au {} (motif enregistré au dossier).",
                long_date(r.date)
            ));
            plan.due = Some(r.date);
        }
        if def.information {
            lines.push(
                "Cette date est une information : des rappels sont envoyés avant, mais l'étape n'est jamais en retard."
                    .into(),
            );
        }
        plan.explanation = lines;
        plan.state = match plan.due {
            Some(_) if def.information => StepState::Info,
            Some(due) if due < self.env.today => StepState::Overdue,
            _ => StepState::Open,
        };
    }

    /// The warnings of a step that runs from an event dated out of order
    /// (kept on confirmation), or whose prerequisite step is not done yet.
    fn order_warnings(&self, def: &StepDef, lines: &mut Vec<String>) {
        for ev in &self.proc.events {
            let uses = def.uses_event(&ev.id);
            let Some(on) = self.inputs.events.get(&ev.id).filter(|_| uses) else {
                continue;
            };
            for v in self.violations.iter().filter(|v| v.event == ev.id) {
                lines.push(v.warning());
            }
            for r in &ev.not_before {
                if let Anchor::StepDone(s) = r
                    && self.done_on(s).is_none()
                {
                    lines.push(format!(
                        "⚠ {} ({}) : cette date ne peut pas précéder l'étape « {} », qui n'est pas encore faite.",
                        capitalize(&ev.name),
                        long_date(*on),
                        step_name(self.proc, s)
                    ));
                }
            }
        }
    }
}

/// A holiday's description as a sentence says it: "vacances d'hiver",
/// "pont de l'Ascension", "vacances de la Toussaint".
fn holiday_words(description: &str) -> String {
    let lower = description.to_lowercase();
    let mut out = lower;
    for name in ["Toussaint", "Noël", "Ascension", "Pâques", "Pentecôte"] {
        out = out.replace(&name.to_lowercase(), name);
    }
    out
}

mod recurring;
mod terms;

#[cfg(test)]
mod tests;
