//! Plans of the procedure files shipped in `procedures/` (the very files
//! the binary embeds), against the embedded school calendar of the
//! académie of Maine-et-Loire (049, académie de Nantes, zone B), as the
//! application plans a case of the demo collège 0490001K. Each test quotes
//! the sentence of the source text (work/shared/seeds) it implements; the
//! expected dates were worked out by hand from domain.md §2–3 and
//! `data/calendrier-scolaire/calendrier-scolaire.csv`.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::Library;
use crate::academie::academie_of_departement;
use crate::calendar::{Calendar, CalendarId};
use crate::case::{CaseInputs, Env, Reschedule, StepPlan, StepState, plan};
use crate::reminder::{self, Kind, PendingStep, WorkingHours};
use crate::school::SchoolCalendar;
use crate::testing::d;

const ROLES: &str = include_str!("../../../../procedures/roles.toml");
const FILES: &[(&str, &str)] = &[
    ("par.toml", include_str!("../../../../procedures/par.toml")),
    (
        "parcours.toml",
        include_str!("../../../../procedures/parcours.toml"),
    ),
    (
        "communication.toml",
        include_str!("../../../../procedures/communication.toml"),
    ),
    (
        "convention.toml",
        include_str!("../../../../procedures/convention.toml"),
    ),
    (
        "accompagnement.toml",
        include_str!("../../../../procedures/accompagnement.toml"),
    ),
];

fn library() -> Library {
    match Library::build(("roles.toml", ROLES), FILES.iter().copied()) {
        Ok(lib) => lib,
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("invalid procedures:\n{}", text.join("\n"));
        }
    }
}

/// The calendars of a case of the demo collège (049, académie de Nantes).
fn env_049<'a>(cal: &'a Calendar, school: &'a SchoolCalendar, today: &str) -> Env<'a> {
    Env {
        calendar: cal,
        school,
        school_scope: Some(academie_of_departement("049").expect("049").into()),
        today: d(today),
    }
}

fn plans(proc: &str, inputs: &CaseInputs, today: &str) -> Vec<StepPlan> {
    let lib = library();
    let cal = Calendar::new(CalendarId::Metropole);
    let school = SchoolCalendar::embedded();
    plan(
        lib.get(proc).expect("procedure"),
        inputs,
        env_049(&cal, &school, today),
    )
}

fn step<'a>(p: &'a [StepPlan], id: &str) -> &'a StepPlan {
    p.iter()
        .find(|s| s.step == id)
        .unwrap_or_else(|| panic!("step {id}"))
}

fn dates(pairs: &[(&str, &str)]) -> BTreeMap<String, chrono::NaiveDate> {
    pairs.iter().map(|(k, v)| (k.to_string(), d(v))).collect()
}

fn position(proc: &str, id: &str) -> usize {
    let lib = library();
    let p = lib.get(proc).expect("procedure");
    p.steps
        .iter()
        .position(|s| s.id == id)
        .unwrap_or_else(|| panic!("step {id}"))
}

/// As [`plans`], with another school calendar scope (or none).
fn plans_in(
    proc: &str,
    inputs: &CaseInputs,
    today: &str,
    school_scope: Option<crate::school::Scope>,
) -> Vec<StepPlan> {
    let lib = library();
    let cal = Calendar::new(CalendarId::Metropole);
    let school = SchoolCalendar::embedded();
    plan(
        lib.get(proc).expect("procedure"),
        inputs,
        Env {
            calendar: &cal,
            school: &school,
            school_scope,
            today: d(today),
        },
    )
}

mod ap;
mod convention;
mod par;
mod parcours;
