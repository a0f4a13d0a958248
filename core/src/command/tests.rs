//! Tests of `command`.

use super::*;
use crate::testing::d;

fn ok(s: &str) -> Command {
    match parse(s) {
        Some(Ok(c)) => c,
        other => panic!("{s}: {other:?}"),
    }
}

fn err(s: &str) -> String {
    match parse(s) {
        Some(Err(e)) => e.message,
        other => panic!("{s}: expected an error, got {other:?}"),
    }
}

fn r(s: &str) -> CaseRef {
    s.parse().expect("ref")
}

#[test]
fn not_a_command() {
    assert_eq!(parse("bonjour"), None);
    assert_eq!(parse("!"), None);
    assert_eq!(parse(""), None);
}

#[test]
fn every_command_parses() {
    assert_eq!(ok("!aide"), Command::Help(None));
    assert_eq!(ok("/help report"), Command::Help(Some("report".into())));
    assert_eq!(ok("/start"), Command::Help(None));
    assert_eq!(ok("!echeances"), Command::Deadlines(Horizon::Week));
    assert_eq!(ok("!échéances mois"), Command::Deadlines(Horizon::Month));
    assert_eq!(ok("!deadlines week"), Command::Deadlines(Horizon::Week));
    assert_eq!(ok("!dossier par-2026-0014"), Command::Case(r("PAR-2026-0014")));
    assert_eq!(
        ok("/case@echeancier_bot PAR-2026-0014"),
        Command::Case(r("PAR-2026-0014"))
    );
    assert_eq!(
        ok("!etape PAR-2026-0014 entretien fait"),
        Command::StepDone {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            on: None,
            confirmed: false
        }
    );
    assert_eq!(
        ok("!step PAR-2026-0014 entretien done 12/03/2026"),
        Command::StepDone {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            on: Some(d("2026-03-12")),
            confirmed: false
        }
    );
    assert_eq!(
        ok("!etape PAR-2026-0014 entretien fait 12/03/2026 confirme"),
        Command::StepDone {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            on: Some(d("2026-03-12")),
            confirmed: true
        }
    );
    assert_eq!(
        ok("!report PAR-2026-0014 entretien 2026-03-20 parents indisponibles le matin"),
        Command::Reschedule {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            to: d("2026-03-20"),
            confirmed: false,
            reason: "parents indisponibles le matin".into()
        }
    );
    assert_eq!(
        ok("!report PAR-2026-0014 entretien 2026-03-20 confirme parents absents"),
        Command::Reschedule {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            to: d("2026-03-20"),
            confirmed: true,
            reason: "parents absents".into()
        }
    );
    assert_eq!(
        ok("!date PDI-2026-0002 stage_debut 2026-03-02"),
        Command::SetEvent {
            case: r("PDI-2026-0002"),
            event: "stage_debut".into(),
            on: d("2026-03-02"),
            confirmed: false
        }
    );
    assert_eq!(
        ok("!date PDI-2026-0002 stage_debut 2026-03-02 confirme"),
        Command::SetEvent {
            case: r("PDI-2026-0002"),
            event: "stage_debut".into(),
            on: d("2026-03-02"),
            confirmed: true
        }
    );
    assert!(err("!date PDI-2026-0002 stage_debut 2026-03-02 peut-etre").contains("seul « confirme »"));
    assert_eq!(
        ok("!simuler par-2026-0014 saisine_recue 14/12/2026"),
        Command::Simulate {
            case: r("PAR-2026-0014"),
            event: "saisine_recue".into(),
            on: d("2026-12-14")
        }
    );
    assert_eq!(
        ok("/simulate PAR-2026-0014 saisine_recue 2026-12-14"),
        Command::Simulate {
            case: r("PAR-2026-0014"),
            event: "saisine_recue".into(),
            on: d("2026-12-14")
        }
    );
    let e = err("!simuler PAR-2026-0014 M.Dupont 2026-12-14");
    assert!(
        e.contains("Nom d'événement invalide") && !e.contains("Dupont"),
        "{e}"
    );
    assert!(err("!simuler PAR-2026-0014 saisine_recue").contains("Il manque"));
    assert!(err("!simuler PAR-2026-0014 saisine_recue 2026-02-30").contains("Date invalide"));
    assert_eq!(
        ok("!bilan-rdv PAR-2026-0014 entretien venu-accompagne"),
        Command::Outcome {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            outcome: MeetingOutcome::CameAccompanied
        }
    );
    assert!(err("!bilan-rdv PAR-2026-0014 entretien peut-etre").contains("Bilan inconnu"));
    assert_eq!(
        ok("!rdv PAR-2026-0014 entretien 2026-12-15 14h30"),
        Command::Appointment {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            at: d("2026-12-15").and_hms_opt(14, 30, 0).expect("time"),
            minutes: 60,
            confirmed: false
        }
    );
    assert_eq!(
        ok("!rdv PAR-2026-0014 entretien 15/12/2026 9:05 45"),
        Command::Appointment {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            at: d("2026-12-15").and_hms_opt(9, 5, 0).expect("time"),
            minutes: 45,
            confirmed: false
        }
    );
    assert_eq!(
        ok("!rdv PAR-2026-0014 entretien 15/12/2026 19h30 confirme"),
        Command::Appointment {
            case: r("PAR-2026-0014"),
            step: "entretien".into(),
            at: d("2026-12-15").and_hms_opt(19, 30, 0).expect("time"),
            minutes: 60,
            confirmed: true
        }
    );
    assert_eq!(ok("!ack 42"), Command::Ack(42));
    assert_eq!(ok("!vu #42"), Command::Ack(42));
    assert_eq!(
        ok("!appel PAR-2026-0014"),
        Command::Call {
            case: r("PAR-2026-0014"),
            guardian: None,
            on: None
        }
    );
    assert_eq!(
        ok("!appelé PAR-2026-0014 02/12/2026 2"),
        Command::Call {
            case: r("PAR-2026-0014"),
            guardian: Some(2),
            on: Some(d("2026-12-02"))
        }
    );
    assert_eq!(ok("/lier ab12cd34"), Command::Link("AB12CD34".into()));
    assert_eq!(
        ok("!lien cpe"),
        Command::LinkCode {
            person: "cpe".into(),
            channel: None
        }
    );
    assert_eq!(
        ok("!lien cpe Telegram"),
        Command::LinkCode {
            person: "cpe".into(),
            channel: Some("telegram".into())
        }
    );
    assert!(err("!lien cpe sms").contains("Canal inconnu"));
    assert!(err("!lien").contains("!lien PERSONNE"));
    assert_eq!(
        ok("!communication CONV-2024-0001 Plaquette de rentrée"),
        Command::Communication {
            convention: r("CONV-2024-0001"),
            title: "Plaquette de rentrée".into()
        }
    );
    assert_eq!(
        ok("!recu COM-2026-0003 caf 2026-06-29"),
        Command::Received {
            item: r("COM-2026-0003"),
            partner: "caf".into(),
            on: d("2026-06-29")
        }
    );
    assert_eq!(
        ok("!approuve COM-2026-0003"),
        Command::Approve {
            item: r("COM-2026-0003"),
            partner: None
        }
    );
    assert_eq!(
        ok("!version COM-2026-0003"),
        Command::NewVersion(r("COM-2026-0003"))
    );
    assert_eq!(
        ok("!nouvelle-version COM-2026-0003"),
        Command::NewVersion(r("COM-2026-0003"))
    );
    assert!(err("!version COM-2026-0003 encore").contains("!version COM"));
    assert_eq!(
        ok("!jalon PID-2026-0002 « Assiduité en atelier » 15/01/2027"),
        Command::Milestone {
            case: r("PID-2026-0002"),
            title: "Assiduité en atelier".into(),
            on: d("2027-01-15")
        }
    );
    assert_eq!(
        ok("!jalon PID-2026-0002 \"Stage trouvé\" 2027-02-01"),
        Command::Milestone {
            case: r("PID-2026-0002"),
            title: "Stage trouvé".into(),
            on: d("2027-02-01")
        }
    );
    assert!(err("!jalon PID-2026-0002 15/01/2027").contains("!jalon REF"));
    assert!(err("!jalon PID-2026-0002 \"\" 15/01/2027").contains("intitulé est vide"));
    assert!(err("!jalon PID-2026-0002 Stage demain").contains("date"));
    assert_eq!(
        ok("!approve COM-2026-0003 prefet"),
        Command::Approve {
            item: r("COM-2026-0003"),
            partner: Some("prefet".into())
        }
    );
    assert_eq!(
        ok("!objection COM-2026-0003 le logo de la CAF manque"),
        Command::Object {
            item: r("COM-2026-0003"),
            partner: None,
            reason: "le logo de la CAF manque".into()
        }
    );
    assert_eq!(
        ok("!objection COM-2026-0003 @caf logo absent"),
        Command::Object {
            item: r("COM-2026-0003"),
            partner: Some("caf".into()),
            reason: "logo absent".into()
        }
    );
    assert_eq!(
        ok("!resiliation CONV-2024-0001 2026-05-10"),
        Command::Terminate {
            convention: r("CONV-2024-0001"),
            received: d("2026-05-10"),
            requested: None
        }
    );
    assert_eq!(ok("!connexion"), Command::Login);
    assert_eq!(ok("/login"), Command::Login);
    assert_eq!(
        ok("!ouvrir par 0490001k saisine_recue=02/12/2026"),
        Command::Open {
            procedure: "par".into(),
            establishment: "0490001K".into(),
            events: vec![("saisine_recue".into(), d("2026-12-02"))]
        }
    );
    assert!(
        parse("!ouvrir par 0490001K Dupont").is_some_and(|r| r.is_err_and(|e| !e.message.contains("Dupont")))
    );
    assert!(parse("!connexion maintenant").is_some_and(|r| r.is_err()));
}

#[test]
fn errors_show_the_syntax() {
    let e = err("!dossier");
    assert!(e.contains("Il manque") && e.contains("!dossier REF"), "{e}");
    // What was typed is never repeated: it may be a name.
    let e = err("!dossier Dupont");
    assert!(
        e.contains("Référence de dossier") && e.contains("PAR-2026-0014") && !e.contains("Dupont"),
        "{e}"
    );
    let e = err("!etape PAR-2026-0014 entretien Dupont");
    assert!(e.contains("Seul « fait »") && !e.contains("Dupont"), "{e}");
    let e = err("!etape PAR-2026-0014 entretien fait 2026-02-31");
    assert!(
        e.contains("Date invalide") && e.contains("!etape REF ETAPE fait [DATE]"),
        "{e}"
    );
    assert!(!err("!Dupont").contains("Dupont"));
    assert!(!help(Some("Dupont")).contains("Dupont"));
    assert!(err("!report PAR-2026-0014 entretien 2026-03-20 confirme").contains("motif est obligatoire"));
    let e = err("!report PAR-2026-0014 entretien 2026-03-20");
    assert!(e.contains("motif est obligatoire"), "{e}");
    let e = err("!ack zéro");
    assert!(e.contains("Numéro de rappel"), "{e}");
    assert!(err("!ack -3").contains("Numéro"));
    assert!(err("!appel PAR-2026-0014 0").contains("Numéro de responsable"));
    assert!(err("!appel PAR-2026-0014 1 2").contains("Un seul numéro"));
    let e = err("!appel PAR-2026-0014 Dupont");
    assert!(e.contains("Date invalide") && !e.contains("Dupont"), "{e}");
    assert!(err("!appel").contains("Il manque"));
    let e = err("!echeances annee");
    assert!(e.contains("semaine ou mois"), "{e}");
    let e = err("!frobnique");
    assert!(e.contains("Commande inconnue") && e.contains("!aide"), "{e}");
    let e = err("!recu COM-2026-0003 C.A.F 2026-06-29");
    assert!(e.contains("Partenaire invalide"), "{e}");
    assert!(err("!objection COM-2026-0003 @caf").contains("motif est obligatoire"));
    assert!(err("!resiliation CONV-2024-0001").contains("Il manque"));
    assert!(err("!dossier PAR-2026-0014 en trop").contains("Trop d'éléments"));
    assert!(err("!communication CONV-2024-0001").contains("titre"));
    assert!(err("!date PDI-2026-0002 stage_debut").contains("Il manque"));
    assert!(err("!aide a b").contains("Trop"));
    assert!(err("!lier 123").contains("Code invalide"));
    assert!(err("!rdv PAR-2026-0014 entretien 2026-12-15 25h").contains("Heure invalide"));
    assert!(err("!rdv PAR-2026-0014 entretien 2026-12-15 14h30 2").contains("Durée invalide"));
    assert!(err("!rdv PAR-2026-0014 entretien 2026-12-15").contains("Il manque"));
    assert!(err(&format!("!aide {}", "x".repeat(3000))).contains("trop long"));
}

#[test]
fn help_lists_every_verb() {
    let h = help(None);
    for v in VERBS {
        assert!(h.contains(v.usage), "{}", v.name);
    }
    assert!(help(Some("report")).contains("!reschedule"));
    assert!(help(Some("xyz")).contains("Pas de commande"));
}
