//! Seed 000: the PAR (protocole d'accompagnement et de responsabilisation des parents).

use super::*;

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
