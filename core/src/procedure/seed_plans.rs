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
        matches!(&step(&p, "bilan_etape").state, StepState::Waiting(w) if w.contains("Validation par le DASEN")),
        "{:?}",
        step(&p, "bilan_etape").state
    );

    inputs.done.insert("validation".into(), d("2026-03-11"));
    let p = plans("parcours", &inputs, "2026-03-12");
    let b = step(&p, "bilan_etape");
    // Wednesday 11 March + 42 days = Wednesday 22 April 2026, a working
    // day but in the spring holidays of the académie de Nantes (Saturday
    // 11 to Sunday 26 April 2026): brought back to the last day of classes
    // before them, Friday 10 April (`hors_vacances`, the tool's default).
    assert_eq!(b.due, Some(d("2026-04-10")));
    assert!(
        b.explanation.contains(
            &"Le mercredi 22 avril 2026 n'est pas un jour de classe pour l'académie de Nantes (vacances de printemps) : l'échéance est avancée au vendredi 10 avril 2026."
                .to_string()
        ),
        "{:?}",
        b.explanation
    );
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
                "date de réception à renseigner : réception de la saisine par le bureau du DASEN".into()
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

/// Seed 003: « Il repose sur une organisation qui s'écarte du cadre
/// réglementaire de droit commun et dispense l'élève d'une partie des
/// enseignements obligatoires, aussi doit-il être validé par l'IA-DASEN. »
/// and « Le projet de parcours individualisé dérogatoire peut être rédigé à
/// tout moment de l'année à l'aide du document pédagogique joint et adressé
/// à la DSDEN, sous le timbre IEN-IO pour validation par l'IA-DASEN. » The
/// internship does not start before the validation (`apres`), and its last
/// day does not precede its first.
#[test]
fn parcours_internship_never_starts_before_the_validation() {
    let lib = library();
    let parcours = lib.get("parcours").expect("parcours");
    // Validated Wednesday 11 March 2026, internship from Monday 9 March.
    let mut inputs = CaseInputs {
        done: dates(&[("validation", "2026-03-11")]),
        events: dates(&[("stage_debut", "2026-03-09")]),
        ..Default::default()
    };
    let v = crate::case::order_violations(parcours, &inputs);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].refusal(),
        "Premier jour du stage (lundi 9 mars 2026) : cette date ne peut pas précéder l'étape « Validation par le DASEN », faite le mercredi 11 mars 2026."
    );
    // Kept after a confirmation, the plan says so where it matters.
    let p = plans("parcours", &inputs, "2026-03-02");
    assert!(
        step(&p, "convention_stage").explanation.contains(
            &"⚠ Premier jour du stage (lundi 9 mars 2026) : cette date précède l'étape « Validation par le DASEN », faite le mercredi 11 mars 2026, ce qui ne devrait pas arriver. Vérifiez ces dates."
                .to_string()
        ),
        "{:?}",
        step(&p, "convention_stage").explanation
    );

    // The day of the validation itself is in order.
    inputs.events = dates(&[("stage_debut", "2026-03-11")]);
    assert_eq!(crate::case::order_violations(parcours, &inputs), vec![]);

    // A last day before the first day is not.
    inputs.events = dates(&[("stage_debut", "2026-03-16"), ("stage_fin", "2026-03-13")]);
    let v = crate::case::order_violations(parcours, &inputs);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].refusal(),
        "Dernier jour du stage (vendredi 13 mars 2026) : cette date ne peut pas précéder la date « premier jour du stage », le lundi 16 mars 2026."
    );

    // Not validated yet: accepted, with a warning on the convention de
    // stage, due the day before: Sunday 15 March → Friday 13 March.
    let inputs = CaseInputs {
        events: dates(&[("stage_debut", "2026-03-16")]),
        ..Default::default()
    };
    assert_eq!(crate::case::order_violations(parcours, &inputs), vec![]);
    let p = plans("parcours", &inputs, "2026-03-02");
    let c = step(&p, "convention_stage");
    assert_eq!(c.due, Some(d("2026-03-13")));
    assert!(
        c.explanation.contains(
            &"⚠ Premier jour du stage (lundi 16 mars 2026) : cette date ne peut pas précéder l'étape « Validation par le DASEN », qui n'est pas encore faite."
                .to_string()
        ),
        "{:?}",
        c.explanation
    );
}

/// Seed 000: « Le chef d'établissement accueillant un élève ayant fait
/// l'objet de deux exclusions définitives au cours de la même année
/// scolaire peut saisir le directeur académique des services de l'éducation
/// nationale afin de mettre en œuvre un protocole d'accompagnement et de
/// responsabilisation des parents (PAR). » The referral is received by the
/// DSDEN after the head of school sent it, never before.
#[test]
fn par_referral_is_received_after_it_is_sent() {
    let lib = library();
    let par = lib.get("par").expect("par");
    let mut inputs = CaseInputs {
        events: dates(&[("saisine_envoyee", "2026-03-05"), ("saisine_recue", "2026-03-04")]),
        ..Default::default()
    };
    let v = crate::case::order_violations(par, &inputs);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].refusal(),
        "Réception de la saisine par le bureau du DASEN (mercredi 4 mars 2026) : cette date ne peut pas précéder la date « envoi de la saisine par le chef d'établissement », le jeudi 5 mars 2026."
    );
    // Received the day it was sent, or later: in order.
    inputs.events.insert("saisine_recue".into(), d("2026-03-05"));
    assert_eq!(crate::case::order_violations(par, &inputs), vec![]);
    // The receipt alone: nothing to compare.
    inputs.events.remove("saisine_envoyee");
    assert_eq!(crate::case::order_violations(par, &inputs), vec![]);
}

/// Seed 003: « Il associe l'entreprise ou l'organisme d'accueil si un stage
/// est mis en place (dans ce cadre, une convention de stage doit être signée
/// et une visite sur le lieu de stage doit être prévue). » The visit is due
/// on the middle day with classes of the internship (the tool's default,
/// leaving time for the unexpected), never in the school holidays of the
/// académie de Nantes, and at the latest on the internship's last day with
/// classes.
#[test]
fn parcours_visit_in_the_middle_of_the_internship() {
    let visit = |first: &str, last: &str| {
        let inputs = CaseInputs {
            done: dates(&[("validation", "2026-03-02")]),
            events: dates(&[("stage_debut", first), ("stage_fin", last)]),
            ..Default::default()
        };
        step(&plans("parcours", &inputs, "2026-03-02"), "visite_stage").clone()
    };
    let latest = "dernier jour possible pendant le stage".to_string();

    // Monday 9 to Friday 20 March 2026: 10 days of classes, the 5th is
    // Friday 13 March.
    let v = visit("2026-03-09", "2026-03-20");
    assert_eq!(v.due, Some(d("2026-03-13")));
    assert_eq!(v.state, StepState::Open);
    assert_eq!(v.also, vec![(latest.clone(), d("2026-03-20"))]);

    // Monday 30 March to Friday 24 April 2026: Easter Monday 6 April and
    // the spring holidays (Saturday 11 to Sunday 26 April) leave 9 days of
    // classes (30 March to 3 April, 7 to 10 April); the 5th is Friday
    // 3 April. The last day, 24 April, is in the holidays: at the latest
    // Friday 10 April.
    let v = visit("2026-03-30", "2026-04-24");
    assert_eq!(v.due, Some(d("2026-04-03")));
    assert_eq!(v.also, vec![(latest.clone(), d("2026-04-10"))]);
    assert_eq!(v.legal_date(), Some(d("2026-04-10")));
    assert!(
        v.explanation.contains(
            &"Du lundi 30 mars 2026 au vendredi 24 avril 2026 : 9 jours de classe, hors week-ends, jours fériés et vacances scolaires. Le jour du milieu est le 5e, le vendredi 3 avril 2026."
                .to_string()
        ),
        "{:?}",
        v.explanation
    );
    assert!(
        v.explanation.contains(
            &"Le vendredi 24 avril 2026 n'est pas un jour de classe pour l'académie de Nantes (vacances de printemps) : l'échéance est avancée au vendredi 10 avril 2026."
                .to_string()
        ),
        "{:?}",
        v.explanation
    );

    // Monday 11 to Friday 22 May 2026: Ascension (Thursday 14) and the
    // bridge (Friday 15) leave 8 days; the 4th is Monday 18 May.
    let v = visit("2026-05-11", "2026-05-22");
    assert_eq!(v.due, Some(d("2026-05-18")));
    assert_eq!(v.also, vec![(latest, d("2026-05-22"))]);

    // Monday 13 to Friday 24 April 2026, all in the spring holidays.
    let v = visit("2026-04-13", "2026-04-24");
    assert_eq!(
        v.state,
        StepState::Error(
            "aucun jour de classe entre le lundi 13 avril 2026 et le vendredi 24 avril 2026".into()
        )
    );

    // A last day before the first: no date, never guessed.
    let v = visit("2026-03-20", "2026-03-09");
    assert!(
        matches!(&v.state, StepState::Error(e) if e.contains("précède son début")),
        "{:?}",
        v.state
    );
}

/// Seed 004: « Calendrier précisant : √ les phases de diagnostic, √ le
/// rythme des ateliers, √ la concertation et les moments de régulation, √ le
/// bilan. » The regulation points are team meetings: never in the school
/// holidays of the académie (`hors_vacances`), carried to the next day of
/// classes.
#[test]
fn ap_regulation_points_avoid_school_holidays() {
    // 2025-2026, rentrée Monday 1 September 2025.
    let inputs = CaseInputs {
        opened: Some(d("2025-11-10")),
        ..Default::default()
    };
    let p = plans("accompagnement", &inputs, "2025-11-10");
    // + 12 weeks: Monday 24 November 2025, a day of classes.
    assert_eq!(step(&p, "regulation_1").due, Some(d("2025-11-24")));
    // + 24 weeks: Monday 16 February 2026, in the winter holidays of the
    // académie de Nantes (Saturday 14 February to Sunday 1 March): Monday
    // 2 March.
    let r2 = step(&p, "regulation_2");
    assert_eq!(r2.due, Some(d("2026-03-02")));
    assert_eq!(r2.computed_due, Some(d("2026-03-02")));
    assert!(
        r2.explanation.contains(
            &"Le lundi 16 février 2026 n'est pas un jour de classe pour l'académie de Nantes (vacances d'hiver) : l'échéance passe au lundi 2 mars 2026."
                .to_string()
        ),
        "{:?}",
        r2.explanation
    );
    // In zone A (winter holidays 7 to 22 February 2026): Monday 23 February.
    let p = plans_in(
        "accompagnement",
        &inputs,
        "2025-11-10",
        Some(crate::school::Zone::A.into()),
    );
    assert_eq!(step(&p, "regulation_2").due, Some(d("2026-02-23")));

    // 2026-2027, rentrée Tuesday 1 September 2026: + 12 weeks = Tuesday
    // 24 November 2026; + 24 weeks = Tuesday 16 February 2027, before the
    // winter holidays of Nantes (from Saturday 20 February 2027).
    let inputs = CaseInputs {
        opened: Some(d("2026-11-23")),
        ..Default::default()
    };
    let p = plans("accompagnement", &inputs, "2026-11-23");
    assert_eq!(step(&p, "regulation_1").due, Some(d("2026-11-24")));
    assert_eq!(step(&p, "regulation_2").due, Some(d("2027-02-16")));

    // Without the school's académie, the holidays are not known: refused.
    let p = plans_in("accompagnement", &inputs, "2026-11-23", None);
    assert!(
        matches!(&step(&p, "regulation_2").state, StepState::Error(e) if e.starts_with("zone scolaire de l'établissement non renseignée")),
        "{:?}",
        step(&p, "regulation_2").state
    );
    // A rule without hors_vacances is unaffected: + 4 weeks, Tuesday
    // 29 September 2026.
    assert_eq!(step(&p, "diagnostic").due, Some(d("2026-09-29")));
}

/// Seed 001: « Article 7 - DURÉE La présente convention est conclue pour une
/// période de … ans, renouvelable par tacite reconduction. » and « La
/// convention peut être résiliée avant son terme à la demande écrite de
/// l’une des parties, sous réserve d’un préavis de trois mois. La partie
/// qui prend l’initiative doit en aviser par lettre recommandée les autres
/// parties dans ce délai. La résiliation ne prend effet qu’à compter de
/// l’année scolaire qui suit celle au cours de laquelle la résiliation a
/// été demandée. » The last day to send a termination that takes effect at
/// the term, under both readings, is an information date (domain.md §9).
#[test]
fn convention_last_day_for_a_termination_at_the_term() {
    let entry = |on: &str| CaseInputs {
        events: dates(&[("entree_en_vigueur", on)]),
        ..Default::default()
    };
    // In force from Monday 15 January 2024 for 3 years: until Thursday
    // 14 January 2027. Term minus 3 months would say 14 October 2026, but a
    // letter of October 2026 is a request of 2026-2027, effective from the
    // 2027 rentrée only. The request must be made by Monday 31 August 2026;
    // the other reading (effect at a rentrée only) needs the notice to end
    // before the rentrée of Tuesday 1 September 2026: received by Sunday
    // 31 May 2026, brought back to Friday 29 May.
    let inputs = entry("2024-01-15");
    let p = plans("convention", &inputs, "2026-03-01");
    assert_eq!(step(&p, "terme").due, Some(d("2027-01-14")));
    let r = step(&p, "resiliation_au_terme");
    assert_eq!(r.due, Some(d("2026-08-31")));
    assert_eq!(r.state, StepState::Info);
    assert!(r.needs_decision);
    assert_eq!(
        r.also,
        vec![(
            "dernier jour selon l'autre lecture, effet à une rentrée seulement".to_string(),
            d("2026-05-29")
        )]
    );
    for line in [
        "Fin de la période en cours : jeudi 14 janvier 2027. Pour que la convention ne soit pas reconduite, la résiliation doit prendre effet au plus tard le vendredi 15 janvier 2027.",
        "Ce jour fait partie de l'année scolaire 2026-2027, qui commence à la rentrée du mardi 1er septembre 2026. La résiliation ne prend effet que l'année scolaire qui suit sa demande : il faut donc la demander au plus tard le lundi 31 août 2026.",
        "Le dimanche 31 mai 2026 n'est pas un jour ouvré : ce dernier jour est avancé au vendredi 29 mai 2026.",
        "Les deux lectures donnent des dates différentes : c'est à vous de trancher.",
        "Cette date est une information : des rappels sont envoyés avant, mais l'étape n'est jamais en retard.",
    ] {
        assert!(
            r.explanation.contains(&line.to_string()),
            "{line}\n{:?}",
            r.explanation
        );
    }
    // Past that day it is never a late task.
    let p = plans("convention", &inputs, "2026-09-15");
    let r = step(&p, "resiliation_au_terme");
    assert_eq!(r.due, Some(d("2026-08-31")));
    assert_eq!(r.state, StepState::Info);

    // Reminded 40, 20 and 5 working days before and on the day, never late.
    let lib = library();
    let def = lib
        .get("convention")
        .and_then(|p| p.step("resiliation_au_terme"))
        .expect("step");
    assert!(def.information);
    let cal = Calendar::new(CalendarId::Metropole);
    let intents = reminder::intents(
        &PendingStep {
            case_ref: "CONV-2024-0001",
            step: &def.id,
            role: &def.role,
            due: d("2026-08-31"),
            policy: &def.reminders,
        },
        &cal,
        &WorkingHours::default(),
        d("2026-12-31"),
    );
    let got: Vec<(Kind, chrono::NaiveDate)> = intents.iter().map(|i| (i.kind, i.day)).collect();
    assert_eq!(
        got,
        vec![
            // 14 July is a holiday: 40 working days before is Friday 3 July.
            (Kind::Before(40), d("2026-07-03")),
            (Kind::Before(20), d("2026-08-03")),
            (Kind::Before(5), d("2026-08-24")),
            (Kind::OnDay, d("2026-08-31")),
        ]
    );

    // In force from Monday 4 September 2023: until Thursday 3 September
    // 2026; the notice must end by then: received by Wednesday 3 June 2026
    // (the other reading: Friday 29 May).
    let p = plans("convention", &entry("2023-09-04"), "2026-01-10");
    let r = step(&p, "resiliation_au_terme");
    assert_eq!(r.due, Some(d("2026-06-03")));
    assert!(r.needs_decision);

    // From Friday 1 September 2023: until Monday 31 August 2026, the eve of
    // the rentrée; both readings: received by Sunday 31 May 2026 → Friday
    // 29 May.
    let p = plans("convention", &entry("2023-09-01"), "2026-01-10");
    let r = step(&p, "resiliation_au_terme");
    assert_eq!(r.due, Some(d("2026-05-29")));
    assert!(r.also.is_empty());
    assert!(!r.needs_decision);

    // From Friday 1 December 2023: until Monday 30 November 2026.
    // 31 August + 3 months is 30 November (no 31 November): the request
    // limit and the receipt limit are both Monday 31 August 2026.
    let p = plans("convention", &entry("2023-12-01"), "2026-01-10");
    assert_eq!(step(&p, "resiliation_au_terme").due, Some(d("2026-08-31")));

    // From Monday 2 September 2024: until Wednesday 1 September 2027; the
    // rentrée 2027 is not published: refused, never guessed.
    let p = plans("convention", &entry("2024-09-02"), "2026-03-01");
    assert!(
        matches!(&step(&p, "resiliation_au_terme").state, StepState::Error(e) if e.contains("calendrier scolaire")),
        "{:?}",
        step(&p, "resiliation_au_terme").state
    );
}

/// Seed 001, art. 8, first sentence: « Toute communication [...] réalisée
/// dans le cadre de cette convention de partenariat devra faire apparaître
/// le logo de chacune des parties. » A checklist item of every
/// communication, due the day it is sent to the partners.
#[test]
fn communication_checks_every_partys_logo() {
    let inputs = CaseInputs {
        events: dates(&[("soumission", "2026-03-02")]),
        ..Default::default()
    };
    let p = plans("communication", &inputs, "2026-03-02");
    let logos = step(&p, "logos");
    assert_eq!(logos.due, Some(d("2026-03-02")));
    assert_eq!(logos.state, StepState::Open);
    assert_eq!(logos.role, "coordination_partenariats");
    assert!(position("communication", "logos") < position("communication", "approbation"));
}

/// Seed 000, first sentence: « Le chef d'établissement accueillant un élève
/// ayant fait l'objet de deux exclusions définitives au cours de la même
/// année scolaire peut saisir le directeur académique des services de
/// l'éducation nationale ». The two exclusions are dated, and the school
/// year is the académie's: Nantes' rentrée of 1 September 2025 splits June
/// from October. The receiving establishment is the one that saw the pupil
/// arrive after the second exclusion, and refers after that arrival.
#[test]
fn par_needs_two_exclusions_in_one_school_year_and_the_receiving_school() {
    let lib = library();
    let par = lib.get("par").expect("par");
    let cal = Calendar::new(CalendarId::Metropole);
    let school = SchoolCalendar::embedded();
    let env = env_049(&cal, &school, "2026-03-02");
    let check =
        |pairs: &[(&str, &str)]| crate::condition::check(par, &dates(pairs), &env).expect("condition");
    let met = check(&[
        ("exclusion_1", "2025-10-06"),
        ("exclusion_2", "2026-01-12"),
        ("accueil", "2026-01-26"),
    ]);
    assert!(met.is_met(), "{met:?}");
    let split = check(&[
        ("exclusion_1", "2025-06-02"),
        ("exclusion_2", "2025-10-06"),
        ("accueil", "2025-10-20"),
    ]);
    assert!(split.is_contradicted(), "{split:?}");
    // Opened from chat, before the dates are entered: to complete.
    let pending = check(&[]);
    assert!(!pending.is_met() && !pending.is_contradicted());
    assert_eq!(pending.findings.len(), 3, "{pending:?}");
    // The dates are confidential, and in order: the referral follows the
    // arrival, which follows the second exclusion.
    for e in ["exclusion_1", "exclusion_2", "accueil"] {
        assert!(par.event(e).is_some_and(|x| x.confidential), "{e}");
    }
    let inputs = CaseInputs {
        events: dates(&[
            ("exclusion_1", "2025-10-06"),
            ("exclusion_2", "2026-01-12"),
            ("accueil", "2026-01-26"),
            ("saisine_envoyee", "2026-01-20"),
        ]),
        ..Default::default()
    };
    let late = crate::case::order_violations(par, &inputs);
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].event, "saisine_envoyee");
    // The arrival's date is confidential: not repeated in the refusal.
    assert!(!late[0].refusal().contains("26 janvier"), "{}", late[0].refusal());
}

/// Seed 004: « Barrettes : 72 h/année pouvant être déclinées à raison de
/// 2 h/semaine en blocs de deux heures ou non ». One session a week with
/// classes after the diagnostic (Nantes 2026-2027: rentrée Tuesday 1
/// September, diagnostic by Tuesday 29 September, first session Tuesday 6
/// October); a session falling in the holidays moves to the first day
/// with classes after them; each one held is counted in hours against
/// the 72.
#[test]
fn ap_workshops_count_hours_held_and_planned_against_72() {
    let opened = CaseInputs {
        opened: Some(d("2026-09-01")),
        ..Default::default()
    };
    let p = plans("accompagnement", &opened, "2026-09-01");
    let first = step(&p, "ateliers");
    assert_eq!(first.due, Some(d("2026-10-06")));
    assert!(
        first.explanation[0].starts_with("0 séance tenue (0 h) ;"),
        "{:?}",
        first.explanation
    );
    // Two sessions held; the next, Tuesday 20 October, is in the Toussaint
    // holidays (17 October – 2 November): Monday 2 November.
    let held = CaseInputs {
        opened: Some(d("2026-09-01")),
        done: [("ateliers".to_string(), d("2026-10-13"))].into(),
        history: [("ateliers".to_string(), vec![d("2026-10-06"), d("2026-10-13")])].into(),
        ..Default::default()
    };
    let p = plans("accompagnement", &held, "2026-10-14");
    let next = step(&p, "ateliers");
    assert_eq!(next.due, Some(d("2026-11-02")));
    assert_eq!(next.state, StepState::Open);
    let tally = &next.explanation[0];
    assert!(tally.starts_with("2 séances tenues (4 h) ;"), "{tally}");
    assert!(
        next.explanation
            .iter()
            .any(|l| l.contains("pas un jour de classe")),
        "{:?}",
        next.explanation
    );
    // 72 h at 2 h a week needs 36 sessions. Worked out by hand from 2
    // November to the summer (Saturday 3 July 2027): 18 Mondays to 29
    // March (Noël and winter holidays skipped); Easter Monday brings the
    // session back to Friday 2 April, then Fridays 9 and 16 April; after the
    // spring holidays Mondays 3 and 10 May; Whit Monday brings it back to
    // Friday 14 May, then Fridays to 2 July (8 in all): 31 sessions, 62 h, and
    // with the 4 h held, 6 h short of 72.
    assert_eq!(
        tally,
        "2 séances tenues (4 h) ; 31 séances prévues d'ici le samedi 3 juillet 2027 (62 h) : au rythme prévu, il manquera 6 h pour l'objectif de 72 h de l'année."
    );
}

/// Seed 003: « un contrat entre le jeune, sa famille et le chef
/// d'établissement fixant des objectifs et des échéances sur lesquels les
/// parties s'engagent ». Each deadline of the contract is a milestone of
/// the case: due on its date, by the référent, done like any step.
#[test]
fn parcours_contract_deadlines_are_milestones() {
    let lib = library();
    let parcours = lib.get("parcours").expect("parcours");
    let inputs = CaseInputs {
        opened: Some(d("2026-09-14")),
        events: dates(&[
            ("ouverture", "2026-09-14"),
            ("jalon_2", "2027-01-15"),
            ("jalon_1", "2026-11-20"),
        ]),
        done: [("jalon_1".to_string(), d("2026-11-19"))].into(),
        ..Default::default()
    };
    let p = plans("parcours", &inputs, "2026-12-01");
    let first = step(&p, "jalon_1");
    assert_eq!(first.state, StepState::Done(d("2026-11-19")));
    let second = step(&p, "jalon_2");
    assert_eq!(second.due, Some(d("2027-01-15")));
    assert_eq!(second.state, StepState::Open);
    assert_eq!(second.role, "referent");
    assert_eq!(second.name, "Échéance du contrat n° 2");
    // After the file's steps, in their own order.
    let ids: Vec<&str> = p.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(&ids[ids.len() - 2..], ["jalon_1", "jalon_2"]);
    // The step and event behind every milestone, for who acts and who dates.
    assert_eq!(
        parcours.step("jalon_7").map(|s| s.role.as_str()),
        Some("referent")
    );
    assert!(
        parcours
            .event("jalon_7")
            .is_some_and(|e| e.roles.contains(&"chef_etablissement".to_string()))
    );
    assert!(parcours.step("jalon_0").is_none() && parcours.step("jalon_x").is_none());
    assert!(
        lib.get("par").expect("par").step("jalon_1").is_none(),
        "the PAR has no milestones"
    );
}

/// Seed 003: « Le parcours individualisé dérogatoire s'adresse en priorité
/// aux élèves scolarisés en classe de 4ème ou 3ème et doit concerner plus
/// particulièrement ceux qui atteindront l'âge de 16 ans, soit la limite
/// légale de scolarité, au cours de l'année scolaire. » Hints, never a
/// refusal: the school year is Nantes' 2026-2027, from Tuesday 1 September
/// 2026; the snapshot does not publish the rentrée 2027 yet, so the year is
/// certain until the summer holidays (Saturday 3 July 2027), and a
/// birthday after that is not guessed.
#[test]
fn parcours_priority_public_is_hinted_by_class_and_age() {
    let lib = library();
    let priority = lib
        .get("parcours")
        .and_then(|p| p.priority.clone())
        .expect("priority");
    let cal = Calendar::new(CalendarId::Metropole);
    let school = SchoolCalendar::embedded();
    let env = env_049(&cal, &school, "2026-10-01");
    let hints = |class: Option<&str>, birth: Option<&str>| {
        crate::eligibility::hints(&priority, class, birth.map(d), d("2026-10-01"), &env)
    };
    let h = hints(Some("4e B"), Some("2011-03-14"));
    assert_eq!(
        h.iter().map(|h| h.met).collect::<Vec<_>>(),
        [Some(true), Some(true)],
        "{h:?}"
    );
    assert!(h[1].text.contains("16 ans le dimanche 14 mars 2027"), "{h:?}");
    assert_eq!(hints(None, Some("2011-07-02"))[1].met, Some(true));
    // Sixteen on the rentrée is in the year; the day before, not.
    assert_eq!(hints(None, Some("2010-09-01"))[1].met, Some(true));
    assert_eq!(hints(None, Some("2010-08-31"))[1].met, Some(false));
    let summer = hints(None, Some("2011-08-31"));
    assert_eq!(summer[1].met, None, "{summer:?}");
    assert!(summer[1].text.contains("pas encore publiée"), "{summer:?}");
    let h = hints(Some("5e A"), Some("2010-05-02"));
    assert_eq!(h[0].met, Some(false));
    assert!(h[0].text.contains("ce qui n'interdit pas le dossier"), "{h:?}");
    assert!(h[1].text.contains("avant cette année scolaire"), "{h:?}");
    let h = hints(None, None);
    assert!(h.iter().all(|h| h.met.is_none()), "{h:?}");
}
