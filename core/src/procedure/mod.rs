//! Procedures as data. A procedure file (TOML, French keys) names its
//! events, steps, the role responsible for each step, each step's deadline
//! rule relative to an event or another step, its roll policy and its
//! reminder policy. This module holds the domain types and the `Library`;
//! files are read into the serde structs of `raw`, then validated into these
//! types by `roles` (roles.toml), `validate` (a procedure file) and `step`
//! (one step: its anchor, deadline rules and reminders), with line-numbered
//! errors and a fix hint (`crate::located`).
//!
//! Adding a procedure is adding a file: nothing here knows any procedure.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::deadline::{Direction, Period, Roll, Rule, Unit};
pub use crate::located::FileError;

mod raw;
mod roles;
#[cfg(test)]
mod seed_plans;
mod step;
mod validate;

// ---------------------------------------------------------------- roles

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Acts on the cases of one establishment (chef d'établissement, CPE).
    Etablissement,
    /// Acts on the cases of a département (DSDEN offices).
    Departement,
    /// A convention partner: partnership items only, never individual cases.
    Partenaire,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub scope: Scope,
    /// May act on every step of the cases in its scope.
    pub supervises: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(BTreeMap<String, Role>);

impl Roles {
    pub fn get(&self, id: &str) -> Option<&Role> {
        self.0.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Role> {
        self.0.values()
    }

    /// The human name of a role, or its id if unknown.
    pub fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.0.get(id).map(|r| r.name.as_str()).unwrap_or(id)
    }
}

// ---------------------------------------------------------------- procedures

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// An individual case (a pupil): chat rooms get only its opaque reference.
    Case,
    /// A partnership item (convention, communication): no individual data.
    Partnership,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDef {
    pub id: String,
    pub name: String,
    /// The roles that may set its date: a clock is moved only by whom the
    /// text makes responsible for it.
    pub roles: Vec<String>,
    /// A receipt (of a referral, of a registered letter): never in the future.
    pub receipt: bool,
    /// Dates this one never precedes (`apres`): other events
    /// (`Anchor::Event`) and steps done (`Anchor::StepDone`) only.
    pub not_before: Vec<Anchor>,
    /// Entered and read on the web office only, never in chat: the date
    /// of a sanction, say. No step counts from it, so it is in no
    /// explanation either.
    pub confidential: bool,
    /// Dated the day the case is opened when not given (`a_l_ouverture`):
    /// a document submitted when its item is created.
    pub at_opening: bool,
}

/// What a case must meet to be opened (`[condition]`). A case that does
/// not is refused, or opened on confirmation and flagged while it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub name: String,
    /// Events that must all be dated.
    pub required: Vec<String>,
    /// Events that must fall in one school year of the case's calendar.
    pub same_school_year: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDef {
    pub id: String,
    pub name: String,
    pub default: Option<u32>,
}

/// Dates that come from the school calendar rather than from the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchoolAnchor {
    /// The rentrée of the case's school year.
    Rentree,
    /// The rentrée after it.
    NextRentree,
    /// The first day of the summer holidays of the case's school year.
    SummerStart,
}

/// What a step's deadline runs from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Anchor {
    Event(String),
    StepDone(String),
    StepDue(String),
    School(SchoolAnchor),
    /// Each partner's receipt of the item (convention art. 8).
    PartnerReceipt,
    /// The middle working day from the first date to the second, both
    /// included (`milieu(A, B)`; each an event or `ETAPE.fait`).
    Middle(Box<Anchor>, Box<Anchor>),
}

impl Anchor {
    /// Whether the date depends on the event `event`.
    pub fn uses_event(&self, event: &str) -> bool {
        match self {
            Anchor::Event(e) => e == event,
            Anchor::Middle(a, b) => a.uses_event(event) || b.uses_event(event),
            _ => false,
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::Event(e) => f.write_str(e),
            Anchor::StepDone(s) => write!(f, "{s}.fait"),
            Anchor::StepDue(s) => write!(f, "{s}.echeance"),
            Anchor::School(SchoolAnchor::Rentree) => f.write_str("@rentree"),
            Anchor::School(SchoolAnchor::NextRentree) => f.write_str("@rentree_suivante"),
            Anchor::School(SchoolAnchor::SummerStart) => f.write_str("@vacances_ete"),
            Anchor::PartnerReceipt => f.write_str("@reception_partenaire"),
            Anchor::Middle(a, b) => write!(f, "milieu({a}, {b})"),
        }
    }
}

/// An amount fixed in the file or read from a case parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Amount {
    Fixed(u32),
    Param(String),
}

/// A deadline rule whose amount may come from the case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleSpec {
    pub amount: Amount,
    pub unit: Unit,
    pub and_days: u32,
    pub roll: Roll,
    pub franc: bool,
    pub inclusive: bool,
    pub before: bool,
    /// The roll also skips the school holidays (`hors_vacances`).
    pub avoid_holidays: bool,
}

impl RuleSpec {
    /// The concrete rule for a case, `None` if a parameter is missing.
    pub fn resolve(&self, params: &BTreeMap<String, u32>, defaults: &[ParamDef]) -> Option<Rule> {
        let amount = match &self.amount {
            Amount::Fixed(n) => *n,
            Amount::Param(p) => match params.get(p) {
                Some(v) => *v,
                None => defaults.iter().find(|d| &d.id == p)?.default?,
            },
        };
        Some(Rule {
            period: Period {
                amount,
                unit: self.unit,
                and_days: self.and_days,
            },
            roll: self.roll,
            franc: self.franc,
            inclusive: self.inclusive,
            direction: if self.before {
                Direction::Before
            } else {
                Direction::After
            },
        })
    }
}

/// What to do with a reminder that fell due while the daemon was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatePolicy {
    /// Send it late, once, marked late.
    Envoyer,
    /// Do not send it; post a notice that it was skipped.
    IgnorerAvecAvis,
    /// Send it to the escalation role instead.
    Escalader,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// Working days before the last day at which to remind.
    pub before_working_days: Vec<u32>,
    /// Remind on the morning of the last day.
    pub on_day: bool,
    /// Remind every working day while overdue.
    pub overdue_daily: bool,
    /// Escalate after this many overdue working days.
    pub escalate_after: Option<u32>,
    pub escalate_to: Option<String>,
    pub late: LatePolicy,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy {
            before_working_days: vec![5, 2],
            on_day: true,
            overdue_daily: true,
            escalate_after: None,
            escalate_to: None,
            late: LatePolicy::Envoyer,
        }
    }
}

/// What a step's due date becomes once computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Art. 9: effective only from the school year after the request.
    AnneeScolaireSuivante,
    /// Art. 7 and 9: the last day to send a termination that takes effect
    /// at the term (`depuis = "TERME.echeance"`), under both readings.
    DernierJourPourLeTerme,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlsoRule {
    pub label: String,
    pub rule: RuleSpec,
    /// Its own starting point; `None`: the step's.
    pub anchor: Option<Anchor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDef {
    pub id: String,
    pub name: String,
    pub role: String,
    /// What the responsible person has to do, in one sentence.
    pub action: String,
    pub anchor: Anchor,
    pub rule: RuleSpec,
    pub also: Vec<AlsoRule>,
    pub effect: Option<Effect>,
    /// For art. 9: the event giving the date of the request, if distinct.
    pub request_event: Option<String>,
    /// Art. 7: once the term passes without termination, the next term.
    pub tacit_renewal: bool,
    pub optional: bool,
    pub reminders: ReminderPolicy,
    /// The parent notice sent when an appointment is set for this step.
    pub parent_notice: Option<String>,
    /// Where the appointment takes place.
    pub place: Option<Place>,
    /// Done as soon as this event has a date, on that date (`fait_quand`):
    /// nobody marks it done by hand.
    pub done_by_event: Option<String>,
    /// An information date (`information = true`): reminded before and on
    /// the day, never late.
    pub information: bool,
    /// Roles told the date of this step's appointment (`presents`).
    pub present_roles: Vec<String>,
    /// Steps done the day this step's appointment is set
    /// (`rendez_vous_termine`).
    pub appointment_completes: Vec<String>,
    /// Comes back every so many weeks after it was done (`repetition`).
    pub repeat: Option<Repeat>,
    /// What a family's absence at this step's appointment sets off
    /// (`si_absent`).
    pub if_absent: IfAbsent,
}

/// What follows a family's absence at an appointment (`si_absent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IfAbsent {
    /// A new appointment to set: the role is asked to call the family
    /// (the default).
    #[default]
    Reconvoquer,
    /// Recorded and counted, no call: the step may be marked done
    /// without the family (a meeting offered, whose next occurrence
    /// comes anyway).
    Noter,
}

/// A recurring step: due `weeks` after it was last done, until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    pub weeks: u32,
    pub until: SchoolAnchor,
    /// Each occurrence a session towards a yearly volume of hours.
    pub sessions: Option<Sessions>,
}

/// A yearly volume of hours held in sessions (accompagnement
/// personnalisé: 72 h a year, 2 h a week).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sessions {
    pub hours_each: u32,
    pub target_hours: u32,
}

/// Where parents are received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Etablissement,
    Dsden,
}

impl StepDef {
    pub fn per_partner(&self) -> bool {
        self.anchor == Anchor::PartnerReceipt
    }

    /// Whether its date, or one shown beside it, counts from `event`.
    pub fn uses_event(&self, event: &str) -> bool {
        self.anchor.uses_event(event)
            || self
                .also
                .iter()
                .any(|a| a.anchor.as_ref().is_some_and(|x| x.uses_event(event)))
    }

    /// Whether a meeting with this outcome lets the step be marked done:
    /// the family came, or it was absent where `si_absent = "noter"`.
    pub fn settled_by(&self, outcome: crate::command::MeetingOutcome) -> bool {
        outcome.held()
            || (outcome == crate::command::MeetingOutcome::Absent && self.if_absent == IfAbsent::Noter)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    pub id: String,
    pub name: String,
    /// The version of its rules (`version = N`, 1 when absent).
    pub version: u32,
    /// The file's text as loaded: the adapters record its digest with
    /// each case, and the text itself, so that a case keeps the rules it
    /// was planned with until a new version is applied to it.
    pub text: String,
    pub prefix: String,
    pub audience: Audience,
    pub source: String,
    /// Roles that may see the procedure's cases (plus each step's role).
    pub actors: Vec<String>,
    pub events: Vec<EventDef>,
    pub params: Vec<ParamDef>,
    pub condition: Option<Condition>,
    /// Dated milestones a case may add (`[jalons]`, `!jalon`).
    pub milestones: Option<Milestones>,
    /// Who the procedure is meant for first (`[public_prioritaire]`).
    pub priority: Option<Priority>,
    pub steps: Vec<StepDef>,
}

/// The milestones of a case (the parcours' contract: « objectifs et
/// échéances »): milestone N is the event `jalon_N` (its date, set and
/// moved like any event) and the step `jalon_N` (done like any step), both
/// after these templates. Its own wording is personal, kept on the web.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestones {
    pub step: StepDef,
    pub event: EventDef,
}

/// Who a procedure is meant for first: shown beside a case, never
/// enforced (`eligibility::hints`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priority {
    /// The text's own sentence, shown as is.
    pub text: String,
    /// Class levels ("4e", "3e"), compared by their number.
    pub classes: Vec<String>,
    /// The age reached during the case's school year (16: the end of
    /// compulsory schooling).
    pub age_in_year: Option<u32>,
}

/// The prefix of a milestone's event and step ids: `jalon_1`, `jalon_2`…
pub const MILESTONE: &str = "jalon_";

/// The number of milestone `id` (`jalon_3` → 3).
pub fn milestone_number(id: &str) -> Option<u32> {
    id.strip_prefix(MILESTONE)
        .filter(|n| !n.starts_with('0'))
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=100).contains(n))
}

impl Procedure {
    /// A step of the file, or a milestone's (`jalon_N`, after its template).
    pub fn step(&self, id: &str) -> Option<&StepDef> {
        self.steps.iter().find(|s| s.id == id).or_else(|| {
            self.milestones
                .as_ref()
                .filter(|_| milestone_number(id).is_some())
                .map(|m| &m.step)
        })
    }
    /// An event of the file, or a milestone's date (`jalon_N`).
    pub fn event(&self, id: &str) -> Option<&EventDef> {
        self.events.iter().find(|e| e.id == id).or_else(|| {
            self.milestones
                .as_ref()
                .filter(|_| milestone_number(id).is_some())
                .map(|m| &m.event)
        })
    }
    /// A step's name, a milestone's with its number ("Échéance du contrat
    /// n° 2"), or the id itself.
    pub fn step_title(&self, id: &str) -> String {
        if let Some(s) = self.steps.iter().find(|s| s.id == id) {
            return s.name.clone();
        }
        match (&self.milestones, milestone_number(id)) {
            (Some(m), Some(n)) => format!("{} n° {n}", m.step.name),
            _ => id.to_string(),
        }
    }
    /// Every role involved: the actors and each step's role.
    pub fn involves(&self, role: &str) -> bool {
        self.actors.iter().any(|a| a == role) || self.steps.iter().any(|s| s.role == role)
    }
}

// ---------------------------------------------------------------- library

/// All procedures of a folder, keyed by id.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub roles: Roles,
    pub procedures: BTreeMap<String, Procedure>,
}

impl Library {
    /// Builds a library from file contents: `roles` then `(name, source)` of
    /// each procedure file. Collects every error instead of stopping at one.
    pub fn build<'a>(
        roles_file: (&str, &str),
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Library, Vec<FileError>> {
        let roles = Roles::parse(roles_file.0, roles_file.1)?;
        let mut errors = Vec::new();
        let mut procedures = BTreeMap::new();
        let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
        for (name, src) in files {
            match Procedure::parse(name, src, &roles) {
                Ok(p) => {
                    if let Some(other) = prefixes.insert(p.prefix.clone(), name.to_string()) {
                        errors.push(FileError::new(
                            name,
                            1,
                            format!("préfixe {} déjà utilisé par {other}", p.prefix),
                            "chaque procédure a son propre préfixe de référence",
                        ));
                    }
                    if procedures.contains_key(&p.id) {
                        errors.push(FileError::new(
                            name,
                            1,
                            format!("procédure « {} » définie deux fois", p.id),
                            "changer l'id de l'une des deux",
                        ));
                    }
                    procedures.insert(p.id.clone(), p);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(Library { roles, procedures })
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, id: &str) -> Option<&Procedure> {
        self.procedures.get(id)
    }

    pub fn by_prefix(&self, prefix: &str) -> Option<&Procedure> {
        self.procedures.values().find(|p| p.prefix == prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{PAR, ROLES};

    #[test]
    fn a_library_refuses_a_prefix_or_an_id_twice() {
        let lib = Library::build(("roles.toml", ROLES), [("par.toml", PAR)]).expect("valid");
        assert_eq!(lib.by_prefix("PAR").map(|p| p.id.as_str()), Some("par"));
        assert!(lib.get("par").is_some_and(|p| p.involves("dasen")));
        let e = Library::build(("roles.toml", ROLES), [("par.toml", PAR), ("bis.toml", PAR)])
            .expect_err("same id, same prefix");
        let found: Vec<(&str, usize)> = e.iter().map(|e| (e.file.as_str(), e.line)).collect();
        assert_eq!(found, vec![("bis.toml", 1), ("bis.toml", 1)], "{e:?}");
        assert!(
            e[0].message.contains("préfixe PAR déjà utilisé par par.toml"),
            "{e:?}"
        );
        assert!(e[1].message.contains("définie deux fois"), "{e:?}");
    }
}
