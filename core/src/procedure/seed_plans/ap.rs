//! Seed 004: the accompagnement personnalisé.

use super::*;

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
