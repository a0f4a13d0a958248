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

const ROLES: &str = include_str!("../../../procedures/roles.toml");
const FILES: &[(&str, &str)] = &[
    ("par.toml", include_str!("../../../procedures/par.toml")),
    ("parcours.toml", include_str!("../../../procedures/parcours.toml")),
    (
        "communication.toml",
        include_str!("../../../procedures/communication.toml"),
    ),
    (
        "convention.toml",
        include_str!("../../../procedures/convention.toml"),
    ),
    (
        "accompagnement.toml",
        include_str!("../../../procedures/accompagnement.toml"),
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

fn plans(proc: &str, inputs: &CaseInputs, today: &str) -> Vec<StepPlan> {
    let lib = library();
    let cal = Calendar::new(CalendarId::Metropole);
    let school = SchoolCalendar::embedded();
    let academie = academie_of_departement("049").expect("049");
    plan(
        lib.get(proc).expect("procedure"),
        inputs,
        Env {
            calendar: &cal,
            school: &school,
            school_scope: Some(academie.into()),
            today: d(today),
        },
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

/// Seed 000 sets a time limit for the interview only, none for the
/// convocation: « Les parents de l'élève ou son représentant légal sont
/// convoqués pour un entretien avec le directeur académique des services de
/// l'éducation nationale dans les dix jours suivant la saisine par le chef
/// d'établissement afin de leur présenter le sens des engagements qu'ils
/// devront respecter. » The 3 days of the convocation are the tool's own
/// target: a parameter with a default, changed per case.
#[test]
fn par_convocation_is_a_configurable_default() {
    let lib = library();
    let par = lib.get("par").expect("par");
    let param = par
        .params
        .iter()
        .find(|p| p.id == "convocation_jours")
        .expect("parameter convocation_jours");
    assert_eq!(param.default, Some(3));

    // Received Thursday 5 March 2026.
    let mut inputs = CaseInputs {
        events: dates(&[("saisine_recue", "2026-03-05")]),
        ..Default::default()
    };
    let p = plans("par", &inputs, "2026-03-05");
    // Default: 5 Mar + 3 days = Sunday 8 Mar, brought back to Friday 6 Mar.
    assert_eq!(step(&p, "convocation").due, Some(d("2026-03-06")));
    assert_eq!(step(&p, "convocation").state, StepState::Open);
    // The interview: 5 Mar + 10 days = Sunday 15 Mar: internal target
    // Friday 13 Mar, legal date Monday 16 Mar.
    let entretien = step(&p, "entretien");
    assert_eq!(entretien.due, Some(d("2026-03-13")));
    assert_eq!(entretien.also, vec![("date légale".to_string(), d("2026-03-16"))]);

    // Five days for this case: Tuesday 10 March, a working day.
    inputs.params.insert("convocation_jours".into(), 5);
    let p = plans("par", &inputs, "2026-03-05");
    assert_eq!(step(&p, "convocation").due, Some(d("2026-03-10")));
    // The interview does not move: the text's ten days are not a parameter.
    assert_eq!(step(&p, "entretien").due, Some(d("2026-03-13")));
}

/// Seed 000: « Le protocole d'accompagnement et de responsabilisation des
/// parents doit permettre de poursuivre un dialogue avec les personnes
/// responsables de l'élève et de les guider, en cas de besoin, vers le
/// service ou le dispositif de soutien le plus approprié. » and « Les
/// personnels éducatifs, sociaux et de santé sont étroitement associés à ce
/// suivi, le cas échéant avec les partenaires (services socio-éducatifs ou
/// de soins) afin, s'il s'agit d'un problème social, familial ou de santé,
/// d'offrir un accompagnement adapté à l'élève et à ses parents. »
#[test]
fn par_orientation_follows_the_signature() {
    let inputs = CaseInputs {
        events: dates(&[("saisine_recue", "2026-02-20")]),
        done: dates(&[("entretien", "2026-03-02"), ("signature", "2026-03-16")]),
        ..Default::default()
    };
    let p = plans("par", &inputs, "2026-03-17");
    let o = step(&p, "orientation_soutien");
    // Monday 16 March + 3 weeks = Monday 6 April 2026, Easter Monday,
    // brought back to Friday 3 April.
    assert_eq!(o.due, Some(d("2026-04-03")));
    assert_eq!(o.start, Some(d("2026-03-16")));
    assert_eq!(o.state, StepState::Open);
    assert_eq!(o.role, "cpe");
    // After the actions in the establishment, before the follow-up meeting.
    assert!(position("par", "actions_etablissement") < position("par", "orientation_soutien"));
    assert!(position("par", "orientation_soutien") < position("par", "point_suivi"));
    // "En cas de besoin": optional, and not chased every day once past.
    let lib = library();
    let def = lib
        .get("par")
        .and_then(|p| p.step("orientation_soutien"))
        .expect("step");
    assert!(def.optional);
    assert!(!def.reminders.overdue_daily);
    assert_eq!(def.reminders.before_working_days, vec![5]);
}

/// Seed 003 encloses an interim review: « P.J. : Fiche cadre, Document
/// pédagogique et bilan d'étape Parcours individualisé dérogatoire », and
/// « Il donnera lieu à une évaluation permettant d'apprécier l'efficacité
/// et la pertinence des objectifs et des stratégies mises en place. »
#[test]
fn parcours_bilan_etape_six_weeks_after_validation() {
    let mut inputs = CaseInputs {
        done: dates(&[("contrat", "2026-02-02"), ("envoi_projet", "2026-02-05")]),
        ..Default::default()
    };
    let p = plans("parcours", &inputs, "2026-03-12");
    assert!(
        matches!(&step(&p, "bilan_etape").state, StepState::Waiting(w) if w.contains("Validation par l'IA-DASEN")),
        "{:?}",
        step(&p, "bilan_etape").state
    );

    inputs.done.insert("validation".into(), d("2026-03-11"));
    let p = plans("parcours", &inputs, "2026-03-12");
    let b = step(&p, "bilan_etape");
    // Wednesday 11 March + 42 days = Wednesday 22 April 2026, a working day.
    // School holidays are not skipped by this rule: 22 April is in the
    // spring holidays of the académie de Nantes (11–26 April 2026).
    assert_eq!(b.due, Some(d("2026-04-22")));
    assert_eq!(b.state, StepState::Open);
    assert_eq!(b.role, "referent");
    // The interim review comes before the final one.
    assert!(position("parcours", "bilan_etape") < position("parcours", "bilan"));
    assert!(matches!(step(&p, "bilan").state, StepState::Waiting(_)));
}

/// Seed 004: « Organisation préalable en juin (validation du projet au
/// CA). », « Calendrier précisant : √ les phases de diagnostic, √ le rythme
/// des ateliers, √ la concertation et les moments de régulation, √ le
/// bilan. », « Consultation des instances : conseil pédagogique, CA, CVL. »,
/// « Évaluation du dispositif avec les équipes de l’AP lors des conseils
/// pédagogiques. » and « Communication au CA. »
#[test]
fn ap_bilan_precedes_the_project_and_the_ca_validates_in_june() {
    let order = [
        "bilan",
        "projet_annee_suivante",
        "consultation_conseil_pedagogique",
        "validation_ca",
        "communication_ca",
    ];
    for w in order.windows(2) {
        assert!(
            position("accompagnement", w[0]) < position("accompagnement", w[1]),
            "{w:?}"
        );
    }

    // 2025-2026: the summer holidays start on Saturday 4 July 2026.
    let mut inputs = CaseInputs {
        opened: Some(d("2025-11-10")),
        ..Default::default()
    };
    let p = plans("accompagnement", &inputs, "2025-11-10");
    let due = |p: &[StepPlan], id: &str| step(p, id).due;
    // 6 weeks before: Saturday 23 May, brought back to Friday 22 May.
    assert_eq!(due(&p, "bilan"), Some(d("2026-05-22")));
    // 4 weeks before: Saturday 6 June → Friday 5 June.
    assert_eq!(due(&p, "projet_annee_suivante"), Some(d("2026-06-05")));
    // 3 weeks before: Saturday 13 June → Friday 12 June.
    assert_eq!(due(&p, "consultation_conseil_pedagogique"), Some(d("2026-06-12")));
    assert_eq!(due(&p, "consultation_cvl"), Some(d("2026-06-12")));
    // 2 weeks before: Saturday 20 June → Friday 19 June, in June.
    assert_eq!(due(&p, "validation_ca"), Some(d("2026-06-19")));
    assert_eq!(due(&p, "communication_ca"), Some(d("2026-06-19")));
    let dated: Vec<_> = order.iter().map(|s| due(&p, s).expect(s)).collect();
    assert!(dated[0] < dated[1] && dated[1] < dated[2] && dated[2] < dated[3]);
    assert_eq!(dated[3].month(), 6);
    assert!(
        step(&p, "bilan")
            .explanation
            .iter()
            .any(|l| l.contains("samedi 4 juillet 2026")),
        "{:?}",
        step(&p, "bilan").explanation
    );

    // The report goes to the CA that validates: it follows a new date.
    inputs.rescheduled.insert(
        "validation_ca".into(),
        Reschedule {
            date: d("2026-06-23"),
            reason: "CA reporté".into(),
        },
    );
    let p = plans("accompagnement", &inputs, "2025-11-10");
    assert_eq!(due(&p, "validation_ca"), Some(d("2026-06-23")));
    assert_eq!(due(&p, "communication_ca"), Some(d("2026-06-23")));

    // 2026-2027: the summer holidays start on Saturday 3 July 2027.
    let inputs = CaseInputs {
        opened: Some(d("2026-11-23")),
        ..Default::default()
    };
    let p = plans("accompagnement", &inputs, "2026-11-23");
    assert_eq!(due(&p, "bilan"), Some(d("2027-05-21")));
    assert_eq!(due(&p, "projet_annee_suivante"), Some(d("2027-06-04")));
    assert_eq!(due(&p, "consultation_conseil_pedagogique"), Some(d("2027-06-11")));
    assert_eq!(due(&p, "consultation_cvl"), Some(d("2027-06-11")));
    assert_eq!(due(&p, "validation_ca"), Some(d("2027-06-18")));
    assert_eq!(due(&p, "communication_ca"), Some(d("2027-06-18")));
}

/// Seed 000: « Le chef d'établissement accueillant un élève ayant fait
/// l'objet de deux exclusions définitives au cours de la même année
/// scolaire peut saisir le directeur académique des services de l'éducation
/// nationale afin de mettre en œuvre un protocole d'accompagnement et de
/// responsabilisation des parents (PAR). » and « … dans les dix jours
/// suivant la saisine par le chef d'établissement … ». The ten days run
/// from the receipt of the referral (domain.md §4): until the DSDEN enters
/// it, a step reminds the DASEN's office, and it is done by the receipt.
#[test]
fn par_reception_date_to_enter_reminds_the_dasen_office() {
    // Sent Thursday 5 March 2026; the receipt is not entered yet.
    let mut inputs = CaseInputs {
        events: dates(&[("saisine_envoyee", "2026-03-05")]),
        ..Default::default()
    };
    let p = plans("par", &inputs, "2026-03-06");
    assert_eq!(p[0].step, "reception_a_renseigner");
    let r = step(&p, "reception_a_renseigner");
    // 5 Mar + 2 days = Saturday 7 March, carried to Monday 9 March.
    assert_eq!(r.due, Some(d("2026-03-09")));
    assert_eq!(r.state, StepState::Open);
    assert_eq!(r.role, "dasen");
    for id in ["convocation", "entretien"] {
        assert_eq!(
            step(&p, id).state,
            StepState::Waiting(
                "date de réception à renseigner : réception de la saisine par la DSDEN".into()
            ),
            "{id}"
        );
    }
    assert_eq!(plans("par", &inputs, "2026-03-10")[0].state, StepState::Overdue);

    // The DASEN's office is reminded on the Monday, then every working day.
    let lib = library();
    let def = lib
        .get("par")
        .and_then(|p| p.step("reception_a_renseigner"))
        .expect("step");
    let cal = Calendar::new(CalendarId::Metropole);
    let intents = reminder::intents(
        &PendingStep {
            case_ref: "PAR-2026-0001",
            step: &def.id,
            role: &def.role,
            due: d("2026-03-09"),
            policy: &def.reminders,
        },
        &cal,
        &WorkingHours::default(),
        d("2026-03-11"),
    );
    let got: Vec<(Kind, chrono::NaiveDate, &str)> =
        intents.iter().map(|i| (i.kind, i.day, i.role.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (Kind::OnDay, d("2026-03-09"), "dasen"),
            (Kind::Overdue(1), d("2026-03-10"), "dasen"),
            (Kind::Overdue(2), d("2026-03-11"), "dasen"),
        ]
    );

    // Received Friday 6 March: the step is done that day; the interview
    // is due 6 Mar + 10 days = Monday 16 March (a working day: both the
    // target and the legal date).
    inputs.events.insert("saisine_recue".into(), d("2026-03-06"));
    let p = plans("par", &inputs, "2026-03-10");
    assert_eq!(
        step(&p, "reception_a_renseigner").state,
        StepState::Done(d("2026-03-06"))
    );
    assert_eq!(step(&p, "entretien").due, Some(d("2026-03-16")));
    assert_eq!(
        step(&p, "entretien").also,
        vec![("date légale".to_string(), d("2026-03-16"))]
    );

    // Opened with the receipt only: done, not waiting for the sending date.
    let inputs = CaseInputs {
        events: dates(&[("saisine_recue", "2026-03-06")]),
        ..Default::default()
    };
    let p = plans("par", &inputs, "2026-03-06");
    assert_eq!(
        step(&p, "reception_a_renseigner").state,
        StepState::Done(d("2026-03-06"))
    );
}
