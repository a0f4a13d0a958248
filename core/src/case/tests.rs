//! Tests of `case`.

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

/// A period between two events and steps that avoid school holidays.
const SCHOOL_DAYS: &str = r#"
id = "periode"
nom = "Période"
prefixe = "PER"
public = "dossier"
[[evenements]]
id = "debut"
nom = "premier jour"
roles = ["dasen"]
[[evenements]]
id = "fin"
nom = "dernier jour"
roles = ["dasen"]
apres = ["debut"]
[[etapes]]
id = "milieu_ouvre"
nom = "Milieu, jours ouvrés"
role = "dasen"
depuis = "milieu(debut, fin)"
delai = { jours = 0, report = "forward" }
[[etapes]]
id = "milieu_classe"
nom = "Milieu, jours de classe"
role = "dasen"
depuis = "milieu(debut, fin)"
delai = { jours = 0, report = "forward", hors_vacances = true }
[[etapes]]
id = "avant"
nom = "Avant"
role = "dasen"
depuis = "debut"
delai = { jours = 10, report = "backward", hors_vacances = true }
"#;

#[test]
fn the_middle_of_a_period_and_school_holidays_in_zone_a() {
    let p = proc(SCHOOL_DAYS);
    let mut inputs = CaseInputs::default();
    inputs.events.insert("debut".into(), d("2026-03-30"));
    inputs.events.insert("fin".into(), d("2026-04-24"));
    let plans = run(&p, &inputs, "2026-03-01");
    // 30 March to 24 April 2026: 19 working days (Easter Monday 6 April
    // excluded); the 10th is Monday 13 April.
    assert_eq!(plans[0].due, Some(d("2026-04-13")));
    // Without the zone A spring holidays (4 to 19 April): 10 days of
    // classes, the 5th is Friday 3 April.
    assert_eq!(plans[1].due, Some(d("2026-04-03")));
    // 30 March + 10 days = Thursday 9 April, in the holidays: back to
    // Friday 3 April.
    assert_eq!(plans[2].due, Some(d("2026-04-03")));

    // Wednesday 6 May + 10 days = Saturday 16 May → Friday 15 May, the
    // Ascension bridge in zone A; Thursday 14 is Ascension: Wednesday 13.
    inputs.events.insert("debut".into(), d("2026-05-06"));
    inputs.events.insert("fin".into(), d("2026-05-22"));
    let plans = run(&p, &inputs, "2026-03-01");
    assert_eq!(plans[2].due, Some(d("2026-05-13")));
    assert!(
            plans[2].explanation.contains(
                &"Le vendredi 15 mai 2026 n'est pas un jour de classe pour la zone A (pont de l'Ascension) : l'échéance est avancée au mercredi 13 mai 2026."
                    .to_string()
            ),
            "{:?}",
            plans[2].explanation
        );

    // A last day before the first is out of order, and has no middle.
    inputs.events.insert("fin".into(), d("2026-05-05"));
    let v = order_violations(&p, &inputs);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].before, Anchor::Event("debut".into()));
    let plans = run(&p, &inputs, "2026-03-01");
    assert!(matches!(&plans[0].state, StepState::Error(e) if e.contains("précède son début")));
    // A step that runs from the first day only carries no warning.
    assert!(!plans[2].explanation.iter().any(|l| l.starts_with('⚠')));
}

/// A date given for information: never late, before or after its day.
const INFO: &str = r#"
id = "info"
nom = "Information"
prefixe = "INF"
public = "dossier"
[[evenements]]
id = "debut"
nom = "Début"
roles = ["dasen"]
[[etapes]]
id = "repere"
nom = "Repère"
role = "dasen"
depuis = "debut"
delai = { jours = 10, report = "forward" }
information = true
rappels = { avant_jours_ouvres = [2], le_jour = true, retard_chaque_jour_ouvre = false }
"#;

#[test]
fn an_information_step_is_never_late() {
    let p = proc(INFO);
    let mut inputs = CaseInputs::default();
    assert!(matches!(
        run(&p, &inputs, "2026-12-01")[0].state,
        StepState::Waiting(_)
    ));
    inputs.events.insert("debut".into(), d("2026-12-09"));
    for today in ["2026-12-01", "2026-12-21", "2027-02-01"] {
        let plans = run(&p, &inputs, today);
        assert_eq!(plans[0].due, Some(d("2026-12-21")), "{today}");
        assert_eq!(plans[0].state, StepState::Info, "{today}");
        assert!(!plans[0].state.is_pending() && plans[0].state.is_reminded());
    }
    inputs.done.insert("repere".into(), d("2026-12-15"));
    assert_eq!(
        run(&p, &inputs, "2027-02-01")[0].state,
        StepState::Done(d("2026-12-15"))
    );
}

#[test]
fn partners_are_named_in_explanations() {
    let p = proc(COMM);
    let mut inputs = comm_inputs();
    inputs
        .partner_names
        .insert("caf".into(), "Caisse d'allocations familiales".into());
    let plans = run(&p, &inputs, "2026-07-01");
    // The préfet has no name: named by its id.
    assert_eq!(
        plans[0].state,
        StepState::Waiting("réception à renseigner pour Caisse d'allocations familiales, prefet".into())
    );
    inputs.receipts.insert("caf".into(), d("2026-06-29"));
    inputs.receipts.insert("prefet".into(), d("2026-06-25"));
    let plans = run(&p, &inputs, "2026-07-01");
    for line in [
        "Règle : 15 jours à compter de la réception par chaque partenaire, report au jour ouvré suivant ; sans réponse, le document est approuvé.",
        "Caisse d'allocations familiales : reçu le lundi 29 juin 2026 ; sans réponse, approuvé à la fin du mercredi 15 juillet 2026 (dernier jour reporté du mardi 14 juillet 2026, non ouvré).",
        "prefet : reçu le jeudi 25 juin 2026 ; sans réponse, approuvé à la fin du vendredi 10 juillet 2026.",
        "Sans objection, le document est approuvé le mercredi 15 juillet 2026 à 24 h, dernier jour du partenaire qui l'a reçu le plus tard.",
    ] {
        assert!(
            plans[0].explanation.contains(&line.to_string()),
            "{line}\n{:?}",
            plans[0].explanation
        );
    }
    inputs.answers.insert(
        "caf".into(),
        PartnerAnswer::Objection {
            on: d("2026-07-02"),
            reason: "logo absent".into(),
        },
    );
    assert_eq!(
        run(&p, &inputs, "2026-07-03")[0].state,
        StepState::Blocked("objection de Caisse d'allocations familiales".into())
    );
}

#[test]
fn a_school_date_is_named() {
    let p = proc(
        r#"
id = "ecole"
nom = "École"
prefixe = "ECO"
public = "dossier"
[[etapes]]
id = "bilan"
nom = "Bilan"
role = "dasen"
depuis = "@rentree_suivante"
delai = { jours = 0, report = "forward" }
"#,
    );
    let inputs = CaseInputs {
        opened: Some(d("2025-11-03")),
        ..Default::default()
    };
    let plans = run(&p, &inputs, "2025-11-03");
    assert!(
        plans[0]
            .explanation
            .contains(&"Rentrée de l'année scolaire 2026-2027 : mardi 1er septembre 2026.".to_string()),
        "{:?}",
        plans[0].explanation
    );
}
