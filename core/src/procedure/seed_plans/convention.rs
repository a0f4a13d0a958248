//! Seed 001: the absenteeism partnership convention and its communications.

use super::*;

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
