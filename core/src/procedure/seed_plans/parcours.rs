//! Seed 003: the parcours individualisé dérogatoire.

use super::*;

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
