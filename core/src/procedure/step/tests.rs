//! Tests of `procedure::step`.

use crate::procedure::Anchor;
use crate::testing::{PAR, procedure_errors as errors};

#[test]
fn reports_unknown_anchor_and_two_units() {
    let src = PAR
        .replace("depuis = \"saisine_recue\"", "depuis = \"saisine\"")
        .replace(
            "{ jours = 10, report = \"backward\" }",
            "{ jours = 10, mois = 1, report = \"backward\" }",
        );
    let e = errors(&src);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e.iter()
            .any(|e| e.message.contains("point de départ « saisine »"))
    );
    assert!(e.iter().any(|e| e.message.contains("exactement une unité")));
}

#[test]
fn reports_negative_amounts_and_bad_roll() {
    let e = errors(&PAR.replace(
        "jours = 10, report = \"backward\"",
        "jours = -3, report = \"plus tard\"",
    ));
    assert!(e.iter().any(|e| e.message.contains("négative")), "{e:?}");
}

#[test]
fn appointments_and_repetitions_are_checked() {
    let with = |extra: &str| {
        PAR.replace(
            "depuis = \"saisine_recue\"\n",
            &format!("depuis = \"saisine_recue\"\n{extra}"),
        )
    };
    // Who attends and what the appointment completes need an appointment.
    let e = errors(&with("presents = [\"dasen\"]\n"));
    assert!(
        e.iter().any(|e| e.message.contains("n'a pas d'avis_parents")),
        "{e:?}"
    );
    let e = errors(&with(
        "avis_parents = \"par-convocation\"\npresents = [\"inconnu\"]\n",
    ));
    assert!(
        e.iter().any(|e| e.message.contains("rôle « inconnu » inconnu")),
        "{e:?}"
    );
    let e = errors(&with(
        "avis_parents = \"par-convocation\"\nrendez_vous_termine = [\"nulle\"]\n",
    ));
    assert!(
        e.iter().any(|e| e.message.contains("étape « nulle » inconnue")),
        "{e:?}"
    );
    for bad in [
        "repetition = { semaines = 0 }",
        "repetition = { semaines = 4, jusqu_a = \"@noel\" }",
        "repetition = { semaines = 1, heures_par_seance = 2 }",
        "repetition = { semaines = 1, heures_par_seance = 0, objectif_heures = 72 }",
    ] {
        let e = errors(&with(&format!("{bad}\n")));
        assert!(e.iter().any(|e| e.message.contains("repetition")), "{bad}: {e:?}");
    }
    // What an absence sets off: a known value, at an appointment.
    let e = errors(&with("si_absent = \"noter\"\n"));
    assert!(
        e.iter().any(|e| e.message.contains("n'a pas d'avis_parents")),
        "{e:?}"
    );
    let e = errors(&with(
        "avis_parents = \"par-convocation\"\nsi_absent = \"oublier\"\n",
    ));
    assert!(e.iter().any(|e| e.hint.contains("valeur inconnue")), "{e:?}");
    let ok = crate::testing::procedure(&with(
        "avis_parents = \"par-convocation\"\nsi_absent = \"noter\"\n",
    ));
    assert_eq!(ok.steps[0].if_absent, crate::procedure::IfAbsent::Noter);
    let ok = crate::testing::procedure(&with("repetition = { semaines = 2 }\n"));
    assert_eq!(ok.steps[0].if_absent, crate::procedure::IfAbsent::Reconvoquer);
    assert_eq!(
        ok.steps[0].repeat,
        Some(crate::procedure::Repeat {
            weeks: 2,
            until: crate::procedure::SchoolAnchor::SummerStart,
            sessions: None,
        })
    );
    let ok = crate::testing::procedure(&with(
        "repetition = { semaines = 1, heures_par_seance = 2, objectif_heures = 72 }\n",
    ));
    assert_eq!(
        ok.steps[0].repeat.as_ref().and_then(|r| r.sessions),
        Some(crate::procedure::Sessions {
            hours_each: 2,
            target_hours: 72
        })
    );
}

#[test]
fn done_by_an_event_must_name_a_declared_event() {
    let src = PAR.replace(
        "depuis = \"saisine_recue\"\n",
        "depuis = \"saisine_recue\"\nfait_quand = \"inconnu\"\n",
    );
    let e = errors(&src);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("événement « inconnu » inconnu"), "{e:?}");
    assert_eq!(e[0].line, 18, "{e:?}");
    assert!(e[0].hint.contains("[[evenements]]"), "{e:?}");
    // A declared event is accepted.
    let ok = crate::testing::procedure(&PAR.replace(
        "depuis = \"saisine_recue\"\n",
        "depuis = \"saisine_recue\"\nfait_quand = \"saisine_recue\"\n",
    ));
    assert_eq!(ok.steps[0].done_by_event.as_deref(), Some("saisine_recue"));
    // A per-partner step ends with the partners' answers, never an event.
    let src = PAR
        .replace("public = \"dossier\"", "public = \"partenariat\"")
        .replace(
            "depuis = \"saisine_recue\"\n",
            "depuis = \"@reception_partenaire\"\nfait_quand = \"saisine_recue\"\n",
        );
    let e = errors(&src);
    assert!(
        e.iter()
            .any(|e| e.line == 18 && e.message.contains("réponses des partenaires")),
        "{e:?}"
    );
}

#[test]
fn partner_receipt_only_for_partnerships() {
    let e = errors(&PAR.replace("depuis = \"saisine_recue\"", "depuis = \"@reception_partenaire\""));
    assert!(e[0].message.contains("partenariat"), "{e:?}");
}

#[test]
fn middle_takes_two_events_or_steps_done() {
    let at = |depuis: &str| PAR.replace("depuis = \"saisine_recue\"", &format!("depuis = \"{depuis}\""));
    let ok = crate::testing::procedure(&at("milieu(saisine_recue, saisine_recue)"));
    assert_eq!(
        ok.steps[0].anchor,
        Anchor::Middle(
            Box::new(Anchor::Event("saisine_recue".into())),
            Box::new(Anchor::Event("saisine_recue".into()))
        )
    );
    assert_eq!(
        ok.steps[0].anchor.to_string(),
        "milieu(saisine_recue, saisine_recue)"
    );
    // Not from the step itself.
    let e = errors(&at("milieu(saisine_recue, entretien.fait)"));
    assert!(e.iter().any(|e| e.message.contains("elle-même")), "{e:?}");
    for bad in [
        "milieu(saisine_recue)",
        "milieu(saisine_recue, autre.echeance)",
        "milieu(@rentree, saisine_recue)",
        "milieu(saisine_recue, saisine_recue, saisine_recue)",
        "milieu(saisine_recue, saisine_recue",
    ] {
        let e = errors(&at(bad));
        assert!(
            e.iter()
                .any(|e| e.line == 17 && e.hint.contains("milieu(A, B) avec deux dates")),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn an_additional_date_may_have_its_own_start() {
    let src = PAR.replace(
            "aussi = [{ nom = \"date légale\", jours = 10, report = \"forward\" }]",
            "aussi = [{ nom = \"date légale\", depuis = \"saisine_recue\", jours = 10, report = \"forward\", hors_vacances = true }]",
        );
    let ok = crate::testing::procedure(&src);
    assert_eq!(
        ok.steps[0].also[0].anchor,
        Some(Anchor::Event("saisine_recue".into()))
    );
    assert!(ok.steps[0].also[0].rule.avoid_holidays);
    // Never from a due date (its order is checked on the steps' own
    // depuis), nor in the main rule.
    let e = errors(&src.replace(
        "depuis = \"saisine_recue\", jours",
        "depuis = \"entretien.echeance\", jours",
    ));
    assert!(
        e.iter()
            .any(|e| e.line == 19 && e.message.contains("date supplémentaire")),
        "{e:?}"
    );
    let e = errors(&PAR.replace(
        "delai = { jours = 10, report = \"backward\" }",
        "delai = { jours = 10, report = \"backward\", depuis = \"saisine_recue\" }",
    ));
    assert!(
        e.iter()
            .any(|e| e.line == 18 && e.message.contains("que dans aussi")),
        "{e:?}"
    );
}

#[test]
fn avoiding_school_holidays_needs_a_direction() {
    let e = errors(&PAR.replace(
        "delai = { jours = 10, report = \"backward\" }",
        "delai = { jours = 10, report = \"none\", hors_vacances = true }",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, 18, "{e:?}");
    assert!(e[0].message.contains("hors_vacances demande report"), "{e:?}");
    let ok = crate::testing::procedure(&PAR.replace(
        "delai = { jours = 10, report = \"backward\" }",
        "delai = { jours = 10, report = \"backward\", hors_vacances = true }",
    ));
    assert!(ok.steps[0].rule.avoid_holidays);
}

#[test]
fn an_information_date_is_never_late() {
    // The fixture escalates: refused for an information date.
    let e = errors(&PAR.replace("id = \"entretien\"\n", "id = \"entretien\"\ninformation = true\n"));
    assert!(e.iter().any(|e| e.message.contains("jamais en retard")), "{e:?}");
    let src = PAR
        .replace("id = \"entretien\"\n", "id = \"entretien\"\ninformation = true\n")
        .replace(
            ", escalade_apres_jours_ouvres = 1, escalade_vers = \"chef_etablissement\"",
            "",
        );
    let ok = crate::testing::procedure(&src);
    assert!(ok.steps[0].information);
    assert!(!ok.steps[0].reminders.overdue_daily);
    let e = errors(&src.replace("[2, 5]", "[2, 5], retard_chaque_jour_ouvre = true"));
    assert!(e.iter().any(|e| e.message.contains("jamais en retard")), "{e:?}");
}

/// A convention: a renewing term and the last day for a termination.
const TERM: &str = r#"
id = "conv"
nom = "Convention"
prefixe = "CONV"
public = "partenariat"

[[evenements]]
id = "entree_en_vigueur"
nom = "entrée en vigueur"
roles = ["dasen"]

[[etapes]]
id = "terme"
nom = "Terme"
role = "dasen"
depuis = "entree_en_vigueur"
delai = { ans = 3, inclusif = true, report = "none" }
renouvellement_tacite = true

[[etapes]]
id = "au_terme"
nom = "Dernier jour"
role = "dasen"
depuis = "terme.echeance"
delai = { mois = 3, avant = true, report = "backward" }
effet = "dernier_jour_pour_le_terme"
information = true
"#;

#[test]
fn the_last_day_for_the_term_runs_from_a_renewing_term() {
    let ok = crate::testing::procedure(TERM);
    assert_eq!(
        ok.steps[1].effect,
        Some(crate::procedure::Effect::DernierJourPourLeTerme)
    );
    let e = errors(&TERM.replace("information = true\n", ""));
    assert!(
        e.iter().any(|e| e.message.contains("ajouter information = true")),
        "{e:?}"
    );
    let e = errors(&TERM.replace("renouvellement_tacite = true\n", ""));
    assert!(
        e.iter()
            .any(|e| e.line == 23 && e.message.contains("renouvelée tacitement")),
        "{e:?}"
    );
    let e = errors(&TERM.replace("mois = 3, avant = true", "mois = 3"));
    assert!(e.iter().any(|e| e.message.contains("avant le terme")), "{e:?}");
    let e = errors(&TERM.replace(
        "report = \"backward\" }\neffet",
        "report = \"backward\", hors_vacances = true }\neffet",
    ));
    assert!(
        e.iter()
            .any(|e| e.message.contains("ne se combine pas avec effet")),
        "{e:?}"
    );
}
