//! The application service against a real SQLite file: cases, recompute in
//! the same transaction, authorization, audit trail, personal data.

use chrono::NaiveDate;
use echeancier::app::{Change, GuardianInput, OpenCase, Who};
use echeancier::store::Store;

use crate::util::{app_at, paris_noon};

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn who() -> Who {
    Who {
        actor: "test".into(),
        channel: "test".into(),
    }
}

/// Opens a PAR case whose referral was received on `received`.
async fn open(t: &crate::util::TestApp, received: &str) -> String {
    t.app
        .open_case(par(received), &who())
        .await
        .expect("open")
        .case
        .reference
}

fn par(received: &str) -> OpenCase {
    OpenCase {
        procedure: "par".into(),
        establishment: Some("0490001K".into()),
        events: vec![("saisine_recue".into(), d(received))],
        pupil: Some(("Jeanne Secret".into(), Some("4e Z".into()))),
        guardians: vec![GuardianInput {
            name: "Parent Secret".into(),
            email: Some("parent@example.org".into()),
            language: "fr".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn changing_a_date_recomputes_dependents_in_one_transaction() {
    let t = app_at(paris_noon(2026, 12, 1)).await;
    let snap = crate::util::intake(&t, par("2026-12-09")).await.expect("open");
    let reference = snap.case.reference.clone();
    let due = |s: &echeancier::app::Snapshot, step: &str| {
        s.steps.iter().find(|x| x.step == step).and_then(|x| x.due)
    };
    assert_eq!(due(&snap, "entretien"), Some(d("2026-12-18")));
    assert_eq!(due(&snap, "signature"), None);

    // Recorded once received (a receipt is never in the future).
    t.clock.set(paris_noon(2026, 12, 10));
    let snap = t
        .app
        .apply(
            &reference,
            vec![Change::Event {
                event: "saisine_recue".into(),
                on: d("2026-12-10"),
            }],
            &who(),
        )
        .await
        .expect("apply");
    assert_eq!(due(&snap, "entretien"), Some(d("2026-12-18")));
    let entretien = snap.steps.iter().find(|s| s.step == "entretien").expect("step");
    assert_eq!(entretien.also, vec![("date légale".to_string(), d("2026-12-21"))]);

    // The interview is held (an outcome is what makes it done).
    let at = d("2026-12-16").and_hms_opt(10, 0, 0).expect("time");
    t.app
        .set_appointment(&reference, "entretien", at, 60, false, &who())
        .await
        .expect("appointment");
    t.clock.set(paris_noon(2026, 12, 17));
    t.app
        .record_outcome(
            &reference,
            "entretien",
            echeancier_core::command::MeetingOutcome::Came,
            &who(),
        )
        .await
        .expect("outcome");
    let snap = t
        .app
        .apply(
            &reference,
            vec![Change::StepDone {
                step: "entretien".into(),
                on: d("2026-12-16"),
            }],
            &who(),
        )
        .await
        .expect("apply");
    assert_eq!(due(&snap, "signature"), Some(d("2026-12-16")));
    assert_eq!(due(&snap, "point_suivi"), None);

    // A failing change in a batch leaves everything as it was.
    let err = t
        .app
        .apply(
            &reference,
            vec![
                Change::Event {
                    event: "saisine_recue".into(),
                    on: d("2026-12-01"),
                },
                Change::StepDone {
                    step: "nope".into(),
                    on: d("2026-12-16"),
                },
            ],
            &who(),
        )
        .await
        .expect_err("unknown step");
    assert!(err.to_string().contains("Étape inconnue") && !err.to_string().contains("nope"));
    let snap = t.app.snapshot(&reference).await.expect("snapshot");
    let entretien = snap.steps.iter().find(|s| s.step == "entretien").expect("step");
    assert!(
        entretien
            .explanation
            .iter()
            .any(|l| l.contains("jeudi 10 décembre 2026"))
    );
    let trail = t.store.audit_trail(&reference).await.expect("audit");
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "ouverture",
            "evenement",
            "rendez_vous",
            // The appointment convokes: the convocation is done with it.
            "etape_faite",
            "bilan_rdv",
            "etape_faite"
        ]
    );
}

#[tokio::test]
async fn audit_trail_is_append_only() {
    let t = app_at(paris_noon(2026, 12, 1)).await;
    crate::util::intake(&t, par("2026-12-09")).await.expect("open");
    let upd = sqlx::query("UPDATE audit SET actor = 'x'")
        .execute(t.store.pool())
        .await;
    assert!(upd.is_err());
    let del = sqlx::query("DELETE FROM audit").execute(t.store.pool()).await;
    assert!(del.is_err());
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit")
        .fetch_one(t.store.pool())
        .await
        .expect("count");
    assert_eq!(n, 1);
}

#[tokio::test]
async fn references_are_sequential_per_prefix_and_year() {
    let t = app_at(paris_noon(2026, 12, 1)).await;
    let a = crate::util::intake(&t, par("2026-12-09")).await.expect("open");
    let b = crate::util::intake(&t, par("2026-12-09")).await.expect("open");
    assert_eq!(a.case.reference, "PAR-2026-0001");
    assert_eq!(b.case.reference, "PAR-2026-0002");
}

#[tokio::test]
async fn bad_cases_are_refused_and_nothing_is_stored() {
    let t = app_at(paris_noon(2026, 12, 9)).await;
    let mut bad = par("2026-12-09");
    bad.establishment = Some("0490001A".into());
    assert!(
        t.app
            .open_case(bad, &who())
            .await
            .expect_err("bad uai")
            .to_string()
            .contains("lettre de contrôle")
    );
    let mut bad = par("2026-12-09");
    bad.events.push(("inconnu".into(), d("2026-12-01")));
    assert!(
        t.app
            .open_case(bad, &who())
            .await
            .expect_err("bad event")
            .to_string()
            .contains("Événement inconnu. Événements de ce dossier")
    );
    let mut bad = par("2026-12-09");
    bad.title = Some("Dossier de Jeanne".into());
    assert!(t.app.open_case(bad, &who()).await.is_err());
    let mut bad = par("2026-12-09");
    bad.partners = vec!["caf".into()];
    assert!(t.app.open_case(bad, &who()).await.is_err());
    let mut com = OpenCase {
        procedure: "communication".into(),
        departement: Some("049".into()),
        partners: vec!["caf".into()],
        ..Default::default()
    };
    com.pupil = Some(("X".into(), None));
    assert!(
        t.app
            .open_case(com, &who())
            .await
            .expect_err("pupil in partnership")
            .to_string()
            .contains("aucune donnée individuelle")
    );
    assert_eq!(t.store.count_cases().await.expect("count"), 0);
}

#[tokio::test]
async fn chat_commands_with_authorization_and_audit() {
    let t = app_at(paris_noon(2026, 12, 1)).await;
    let r = open(&t, "2026-11-27").await;
    let say = |who: &'static str, text: String| {
        let app = t.app.clone();
        async move { app.handle("console", who, &text).await.expect("a command") }
    };
    // The CPE may see the case but not act on the DASEN's step.
    let reply = say("cpe", format!("!dossier {r}")).await;
    assert!(reply.contains("Entretien des parents avec le DASEN"), "{reply}");
    assert!(
        !reply.contains("Jeanne") && !reply.contains("4e Z") && !reply.contains("Parent Secret"),
        "{reply}"
    );
    let reply = say("cpe", format!("!etape {r} entretien fait")).await;
    assert!(reply.contains("relève d'un autre rôle"), "{reply}");
    // The partner never sees an individual case.
    let reply = say("caf", format!("!dossier {r}")).await;
    assert!(reply.contains("introuvable dans votre périmètre"), "{reply}");
    // An unknown account is told how to get linked.
    let reply = t
        .app
        .handle("matrix", "@inconnu:localhost", &format!("!dossier {r}"))
        .await
        .expect("reply");
    assert!(reply.contains("relié"), "{reply}");
    // The interview is done once the family came: its outcome first.
    let reply = say("dasen", format!("!rdv {r} entretien 2026-12-01 14h")).await;
    assert!(reply.contains("rendez-vous fixé"), "{reply}");
    let reply = say("dasen", format!("!bilan-rdv {r} entretien venu")).await;
    assert!(reply.contains("n'a pas encore eu lieu"), "{reply}");
    t.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-01T15:30:00Z")
            .expect("t")
            .to_utc(),
    );
    let reply = say("dasen", format!("!etape {r} entretien fait 2026-12-01")).await;
    assert!(reply.contains("notez d'abord le bilan du rendez-vous"), "{reply}");
    let reply = say("dasen", format!("!bilan-rdv {r} entretien sieste")).await;
    assert!(reply.contains("Bilan inconnu"), "{reply}");
    let reply = say("dasen", format!("!bilan-rdv {r} entretien venu-accompagne")).await;
    assert!(reply.contains("la famille est venue accompagnée"), "{reply}");
    // The DASEN office marks the interview done; the dependent step gets a date.
    let reply = say("dasen", format!("!etape {r} entretien fait 2026-12-01")).await;
    assert!(reply.contains("faite le mardi 1er décembre 2026"), "{reply}");
    assert!(reply.contains("Signature du PAR"), "{reply}");
    // Past the step's legal date (the signature was due the day of the
    // interview), a reschedule needs an explicit confirmation.
    let reply = say(
        "dasen",
        format!("!report {r} signature 2026-12-04 parents en déplacement"),
    )
    .await;
    assert!(
        reply.contains("dépasse la date légale") && reply.contains("confirme"),
        "{reply}"
    );
    let reply = say(
        "dasen",
        format!("!report {r} signature 2026-12-04 confirme parents en déplacement"),
    )
    .await;
    assert!(reply.contains("reportée au vendredi 4 décembre 2026"), "{reply}");
    assert!(
        !reply.contains("déplacement"),
        "free text stays out of chat: {reply}"
    );
    let reply = say("dasen", format!("!etape {r} entretien fait 2027-01-01")).await;
    assert!(reply.contains("date future"), "{reply}");
    let reply = say("dasen", "!echeances mois".into()).await;
    assert!(
        reply.contains(&r) && reply.contains("vendredi 4 décembre 2026"),
        "{reply}"
    );

    let trail = t.store.audit_trail(&r).await.expect("audit");
    let last = trail.last().expect("entry");
    assert_eq!(last.action, "report");
    assert_eq!(last.channel, "console");
    assert!(last.actor.contains("console:dasen"), "{}", last.actor);
    assert_eq!(last.detail["motif"], "parents en déplacement");
    assert_eq!(last.detail["au_dela_date_legale"], true);
    assert_eq!(last.detail["date_legale"], "2026-12-01");
}

#[tokio::test]
async fn partner_communication_silent_approval_and_objection() {
    let t = app_at(paris_noon(2026, 6, 20)).await;
    let conv = t
        .app
        .open_case(
            OpenCase {
                procedure: "convention".into(),
                departement: Some("049".into()),
                partners: vec!["prefet".into(), "caf".into()],
                events: vec![("entree_en_vigueur".into(), d("2024-09-02"))],
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("convention")
        .case
        .reference;
    let reply = t
        .app
        .handle(
            "console",
            "dasen",
            &format!("!communication {conv} Affiche de rentrée"),
        )
        .await
        .expect("reply");
    assert!(reply.contains("COM-2026-0001"), "{reply}");
    // Art. 8, first sentence: the logos are checked the day the document
    // is sent, which is the day it is submitted here.
    let logos =
        |snap: &echeancier::app::Snapshot| snap.steps.iter().find(|s| s.step == "logos").and_then(|s| s.due);
    // Saturday 20 June: brought back to the working day before.
    let first = t.app.snapshot("COM-2026-0001").await.expect("snapshot");
    assert_eq!(logos(&first), Some(d("2026-06-19")));
    // No objection yet: no new version.
    let reply = t
        .app
        .handle("console", "dasen", "!version COM-2026-0001")
        .await
        .expect("reply");
    assert!(reply.contains("aucune objection"), "{reply}");
    t.clock.set(paris_noon(2026, 7, 1));
    for (partner, date) in [("prefet", "2026-06-25"), ("caf", "2026-06-29")] {
        let reply = t
            .app
            .handle(
                "console",
                "dasen",
                &format!("!recu COM-2026-0001 {partner} {date}"),
            )
            .await
            .expect("reply");
        assert!(reply.contains("réception enregistrée"), "{reply}");
    }
    let snap = t.app.snapshot("COM-2026-0001").await.expect("snapshot");
    let approval = |snap: &echeancier::app::Snapshot| {
        snap.steps
            .iter()
            .find(|s| s.step == "approbation")
            .cloned()
            .expect("approbation")
    };
    assert_eq!(approval(&snap).due, Some(d("2026-07-15")));
    // The CAF answers for itself only.
    let reply = t
        .app
        .handle("console", "caf", "!approuve COM-2026-0001 prefet")
        .await
        .expect("reply");
    assert!(reply.contains("votre propre organisme"), "{reply}");
    let reply = t
        .app
        .handle("console", "caf", "!objection COM-2026-0001 logo absent")
        .await
        .expect("reply");
    assert!(reply.contains("objection enregistrée"), "{reply}");
    let snap = t.app.snapshot("COM-2026-0001").await.expect("snapshot");
    assert_eq!(approval(&snap).state, echeancier::store::StepStatus::Blocked);
    // Art. 8: « l'absence de réponse dans un délai de quinze jours vaut
    // approbation ». A corrected document is a new version, submitted to
    // the same partners, with its own fifteen days from each receipt.
    let reply = t
        .app
        .handle("console", "dasen", "!version COM-2026-0001")
        .await
        .expect("reply");
    assert!(
        reply.contains("COM-2026-0002") && reply.contains("version 2"),
        "{reply}"
    );
    let old = t.app.snapshot("COM-2026-0001").await.expect("snapshot");
    assert!(!old.case.open, "the objected version is closed");
    let v2 = t.app.snapshot("COM-2026-0002").await.expect("snapshot");
    assert_eq!(v2.case.title.as_deref(), Some("Affiche de rentrée (version 2)"));
    assert_eq!(v2.case.parent_id, old.case.parent_id);
    assert_eq!(logos(&v2), Some(d("2026-07-01")));
    assert_eq!(approval(&v2).state, echeancier::store::StepStatus::Waiting);
    for partner in ["prefet", "caf"] {
        let reply = t
            .app
            .handle(
                "console",
                "dasen",
                &format!("!recu COM-2026-0002 {partner} 2026-07-01"),
            )
            .await
            .expect("reply");
        assert!(reply.contains("réception enregistrée"), "{reply}");
    }
    let v2 = t.app.snapshot("COM-2026-0002").await.expect("snapshot");
    assert_eq!(approval(&v2).due, Some(d("2026-07-16")));
    let trail = t.store.audit_trail("COM-2026-0002").await.expect("audit");
    assert!(
        trail
            .iter()
            .any(|e| e.action == "nouvelle_version" && e.detail["remplace"] == "COM-2026-0001"),
        "{trail:?}"
    );
    // A partner sees partnership items but never an individual case.
    let reply = t
        .app
        .handle("console", "caf", "!dossier COM-2026-0001")
        .await
        .expect("reply");
    assert!(reply.contains("Affiche de rentrée"), "{reply}");
    let mut conn = t.store.pool().acquire().await.expect("conn");
    let case = Store::case_by_ref(&mut conn, "COM-2026-0001")
        .await
        .expect("db")
        .expect("case");
    assert_eq!(case.establishment, None);
}

#[tokio::test]
async fn termination_by_command_flags_divergence() {
    let t = app_at(paris_noon(2025, 7, 20)).await;
    let conv = t
        .app
        .open_case(
            OpenCase {
                procedure: "convention".into(),
                departement: Some("049".into()),
                partners: vec!["prefet".into(), "caf".into()],
                events: vec![("entree_en_vigueur".into(), d("2024-09-02"))],
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("convention");
    let r = conv.case.reference;
    let term = conv.steps.iter().find(|s| s.step == "terme").expect("term");
    assert_eq!(term.due, Some(d("2027-09-01")));
    let reply = t
        .app
        .handle("console", "dasen", &format!("!resiliation {r} 2025-07-15"))
        .await
        .expect("reply");
    assert!(reply.contains("Prise d'effet : jeudi 16 octobre 2025"), "{reply}");
    assert!(reply.contains("mardi 1er septembre 2026"), "{reply}");
    assert!(
        reply.contains(
            "Les deux lectures de l'article 9 donnent des dates différentes : c'est à vous de trancher."
        ),
        "{reply}"
    );
    let snap = t.app.snapshot(&r).await.expect("snapshot");
    assert!(snap.case.needs_decision);
    let reply = t
        .app
        .handle("console", "chef", &format!("!resiliation {r} 2025-07-15"))
        .await
        .expect("reply");
    assert!(reply.contains("introuvable dans votre périmètre"), "{reply}");
}

#[tokio::test]
async fn closed_cases_are_purged_after_the_following_school_year() {
    let t = app_at(paris_noon(2024, 3, 1)).await;
    let r = open(&t, "2024-03-01").await;
    // A reason is a note of the case: shown while it is kept, purged with it.
    t.app
        .apply(
            &r,
            vec![Change::Reschedule {
                step: "entretien".into(),
                to: d("2024-03-05"),
                reason: "motif qui vieillit avec le dossier".into(),
                confirmed: false,
            }],
            &who(),
        )
        .await
        .expect("reschedule");
    let motif = |trail: &[echeancier::store::AuditEntry]| {
        trail
            .iter()
            .find(|e| e.action == "report")
            .map(|e| e.detail["motif"].clone())
            .expect("report entry")
    };
    let trail = t.store.audit_trail(&r).await.expect("audit");
    assert_eq!(motif(&trail), "motif qui vieillit avec le dossier");
    let raw: Vec<String> = sqlx::query_scalar("SELECT detail FROM audit")
        .fetch_all(t.store.pool())
        .await
        .expect("raw audit");
    assert!(raw.iter().all(|d| !d.contains("vieillit")), "{raw:?}");
    t.app.apply(&r, vec![Change::Close], &who()).await.expect("close");
    // Kept through 2024-2025.
    t.clock.set(paris_noon(2025, 8, 31));
    assert!(t.app.purge(&who()).await.expect("purge").is_empty());
    assert!(t.app.snapshot(&r).await.is_ok());
    t.clock.set(paris_noon(2025, 9, 1));
    assert_eq!(t.app.purge(&who()).await.expect("purge"), vec![r.clone()]);
    assert!(t.app.snapshot(&r).await.is_err());
    for table in ["pupils", "guardians", "steps", "case_events", "case_notes"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(t.store.pool())
            .await
            .expect("count");
        assert_eq!(n, 0, "{table}");
    }
    // The audit trail stays, and says so.
    let trail = t.store.audit_trail(&r).await.expect("audit");
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["ouverture", "report", "cloture", "purge"]);
    assert_eq!(motif(&trail), echeancier::store::NOTE_PURGED);
    // An open case is never purged.
    let open = open(&t, "2025-09-01").await;
    t.clock.set(paris_noon(2026, 9, 2));
    assert!(t.app.purge(&who()).await.expect("purge").is_empty());
    assert!(t.app.snapshot(&open).await.is_ok());
}

#[tokio::test]
async fn partner_rooms_never_receive_individual_cases() {
    use echeancier::config::MatrixRoom;
    let t = app_at(paris_noon(2026, 12, 1)).await;
    let room = |id: &str, partners: bool| MatrixRoom {
        room_id: id.into(),
        establishment: None,
        departement: Some("049".into()),
        roles: vec!["dasen".into(), "coordination_partenariats".into()],
        partners,
    };
    let app = t.app.clone().with_options(echeancier::app::Options {
        matrix_rooms: vec![
            room("!staff:localhost", false),
            room("!partenaires:localhost", true),
        ],
        ..Default::default()
    });
    // Opened the day the referral arrives (a receipt is never in the future).
    t.clock.set(paris_noon(2026, 12, 9));
    let par = app.open_case(par("2026-12-09"), &who()).await.expect("par").case;
    let com = app
        .open_case(
            OpenCase {
                procedure: "communication".into(),
                departement: Some("049".into()),
                partners: vec!["caf".into()],
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("com")
        .case;
    let mut conn = t.store.pool().acquire().await.expect("conn");
    let rooms = |d: Vec<echeancier::store::outbox::Destination>| -> Vec<String> {
        d.into_iter()
            .filter(|d| d.channel == echeancier::channel::Channel::Matrix)
            .map(|d| d.recipient)
            .collect()
    };
    let to_par = rooms(
        app.destinations(&mut conn, &par, "dasen")
            .await
            .expect("destinations"),
    );
    assert_eq!(to_par, vec!["!staff:localhost".to_string()]);
    let to_com = rooms(
        app.destinations(&mut conn, &com, "coordination_partenariats")
            .await
            .expect("destinations"),
    );
    assert_eq!(
        to_com,
        vec![
            "!staff:localhost".to_string(),
            "!partenaires:localhost".to_string()
        ]
    );
}

/// An account linked with `!lier CODE` is still known after the directory
/// sync of the next start; an account the configuration gives to someone
/// else goes to that person (the configuration wins).
#[tokio::test]
async fn linked_accounts_survive_a_restart() {
    let t = app_at(paris_noon(2026, 12, 10)).await;
    let reference = open(&t, "2026-12-09").await;
    let code = t
        .app
        .issue_link_code("chef", "telegram", &who())
        .await
        .expect("code");
    let reply = t
        .app
        .handle("telegram", "424242", &format!("!lier {code}"))
        .await
        .expect("reply");
    assert!(reply.contains("Compte relié"), "{reply}");
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = echeancier::config::Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib))
        .expect("demo config");
    // What every start (and every command line) does.
    t.app.sync_directory(&settings).await.expect("sync");
    let reply = t
        .app
        .handle("telegram", "424242", &format!("!dossier {reference}"))
        .await
        .expect("reply");
    assert!(
        reply.contains(&reference) && !reply.contains("aucune fiche"),
        "{reply}"
    );
    // A stranger is still refused: the answer above is not a default.
    let reply = t
        .app
        .handle("telegram", "777", &format!("!dossier {reference}"))
        .await
        .expect("reply");
    assert!(reply.contains("aucune fiche"), "{reply}");

    let given = echeancier::demo::CONFIG.replace(
        "identites = [\"console:dasen\"",
        "identites = [\"telegram:424242\", \"console:dasen\"",
    );
    assert_ne!(
        given,
        echeancier::demo::CONFIG,
        "the demo names dasen's identities"
    );
    let settings = echeancier::config::Settings::parse("demo.toml", &given, Some(&lib)).expect("config");
    t.app.sync_directory(&settings).await.expect("sync");
    let (dasen, _) = t.store.person_by_slug("dasen").await.expect("db").expect("dasen");
    let (actor, _) = t
        .store
        .actor("telegram", "424242")
        .await
        .expect("db")
        .expect("known");
    assert_eq!(actor.person_id, dasen);
}

/// Rooms have an audience: an individual case is shown only where its
/// audience may read it, and a room learns nothing from a refusal.
#[tokio::test]
async fn rooms_show_cases_only_to_their_audience() {
    use echeancier::core::authz::Place;
    let t = app_at(paris_noon(2026, 12, 10)).await;
    let r = open(&t, "2026-12-09").await;
    let com = t
        .app
        .open_case(
            OpenCase {
                procedure: "communication".into(),
                departement: Some("049".into()),
                partners: vec!["caf".into()],
                title: Some("Affiche".into()),
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("com")
        .case
        .reference;
    t.app
        .apply(
            &com,
            vec![Change::Receipt {
                partner: "caf".into(),
                on: d("2026-12-10"),
            }],
            &who(),
        )
        .await
        .expect("receipt");
    let partners = Place::Partners {
        departement: Some("049".into()),
    };
    let school = Place::Staff {
        establishment: Some("0490001K".into()),
        departement: None,
    };
    let other_school = Place::Staff {
        establishment: Some("0490002L".into()),
        departement: None,
    };
    let say = |place: Place, who: &'static str, text: String| {
        let app = t.app.clone();
        async move { app.handle_in(&place, "console", who, &text).await.expect("reply") }
    };
    let before = t.store.audit_trail(&r).await.expect("audit").len();
    // A staff member typing in the partners' room, or in an undeclared one.
    for place in [partners.clone(), Place::Undeclared] {
        let reply = say(place.clone(), "dasen", format!("!dossier {r}")).await;
        assert!(
            reply.contains("message direct") && !reply.contains("Entretien"),
            "{reply}"
        );
        let reply = say(place.clone(), "dasen", format!("!etape {r} convocation fait")).await;
        assert!(reply.contains("message direct"), "{reply}");
        // A reference that does not exist gets the same answer.
        let missing = say(place.clone(), "dasen", "!dossier PAR-2026-0999".into()).await;
        assert_eq!(missing, reply_for_dossier(&t, &place, &r).await);
        let list = say(place.clone(), "dasen", "!echeances mois".into()).await;
        assert!(!list.contains(&r) && list.contains("message direct"), "{list}");
        assert!(list.contains(&com), "partnership items stay visible: {list}");
    }
    assert_eq!(t.store.audit_trail(&r).await.expect("audit").len(), before);
    // Partnership items are fine in the partners' room.
    let reply = say(partners.clone(), "caf", format!("!dossier {com}")).await;
    assert!(reply.contains(&com) && !reply.starts_with("Désolé"), "{reply}");
    // The school's staff room shows its cases; another school's room does not.
    let reply = say(school, "chef", format!("!dossier {r}")).await;
    assert!(reply.contains("Entretien"), "{reply}");
    let reply = say(other_school, "chef", format!("!dossier {r}")).await;
    assert!(reply.contains("introuvable dans votre périmètre"), "{reply}");
    // Missing or out of scope: one answer, for a partner as for anyone.
    let hidden = say(Place::Direct, "caf", format!("!dossier {r}")).await;
    let missing = say(Place::Direct, "caf", "!dossier PAR-2026-0999".into()).await;
    assert_eq!(hidden.replace(&r, "REF"), missing.replace("PAR-2026-0999", "REF"));
}

async fn reply_for_dossier(
    t: &crate::util::TestApp,
    place: &echeancier::core::authz::Place,
    r: &str,
) -> String {
    t.app
        .handle_in(place, "console", "dasen", &format!("!dossier {r}"))
        .await
        .expect("reply")
}

/// Who may move a clock: each event names its roles, a receipt is never in
/// the future, and a reschedule lands on a working day after the step's
/// start, within the horizon.
#[tokio::test]
async fn clocks_move_only_within_the_rules() {
    let t = app_at(paris_noon(2026, 12, 10)).await;
    let r = open(&t, "2026-12-09").await;
    let say = |who: &'static str, text: String| {
        let app = t.app.clone();
        async move { app.handle("console", who, &text).await.expect("reply") }
    };
    let due = || async {
        t.app
            .snapshot(&r)
            .await
            .expect("snapshot")
            .steps
            .iter()
            .find(|s| s.step == "entretien")
            .and_then(|s| s.due)
    };
    let before = due().await;
    // The CPE set the DSDEN's receipt to 2200 and silenced the PAR: refused.
    let reply = say("cpe", format!("!date {r} saisine_recue 2200-01-01")).await;
    assert!(
        reply.contains("relève d'un autre rôle") && reply.contains("bureau du DASEN"),
        "{reply}"
    );
    let reply = say("chef", format!("!date {r} saisine_recue 2026-12-08")).await;
    assert!(reply.contains("relève d'un autre rôle"), "{reply}");
    // Even the DSDEN cannot date a receipt in the future.
    let reply = say("dasen", format!("!date {r} saisine_recue 2200-01-01")).await;
    assert!(reply.contains("futur"), "{reply}");
    let reply = say("dasen", format!("!date {r} saisine_recue 2026-12-04")).await;
    assert!(reply.contains("date enregistrée"), "{reply}");
    let after = due().await;
    assert_ne!(before, after);
    for (date, why) in [
        ("1900-01-01", "jour ouvré"),
        ("2200-12-31", "trop lointaine"),
        ("2026-12-13", "jour ouvré"),
        ("2026-12-03", "point de départ"),
        ("2027-03-01", "date légale"),
    ] {
        let reply = say("dasen", format!("!report {r} entretien {date} motif")).await;
        assert!(reply.contains(why), "{date}: {reply}");
        assert_eq!(due().await, after, "{date} changed nothing");
    }
    let reply = say(
        "dasen",
        format!("!report {r} entretien 2027-03-01 confirme motif"),
    )
    .await;
    assert!(reply.contains("reportée au lundi 1er mars 2027"), "{reply}");
    let trail = t.store.audit_trail(&r).await.expect("audit");
    let last = trail.last().expect("entry");
    assert_eq!(last.detail["au_dela_date_legale"], true, "{:?}", last.detail);
}

/// Link codes cannot be guessed: attempts are limited per account.
#[tokio::test]
async fn link_code_attempts_are_limited_per_account() {
    let t = app_at(paris_noon(2026, 12, 10)).await;
    for _ in 0..5 {
        let reply = t
            .app
            .handle("telegram", "4242", "!lier AAAAAAAA")
            .await
            .expect("reply");
        assert!(reply.contains("Code inconnu"), "{reply}");
    }
    let code = t
        .app
        .issue_link_code("cpe", "telegram", &who())
        .await
        .expect("code");
    let reply = t
        .app
        .handle("telegram", "4242", &format!("!lier {code}"))
        .await
        .expect("reply");
    assert!(reply.contains("trop d'essais"), "{reply}");
    // Another account is not held back by the first one's attempts.
    let reply = t
        .app
        .handle("telegram", "4343", &format!("!lier {code}"))
        .await
        .expect("reply");
    assert!(reply.contains("Compte relié"), "{reply}");
}

/// A console run as a partner prints only what a partner may see.
#[tokio::test]
async fn the_console_receives_only_what_its_identity_may_see() {
    let t = app_at(paris_noon(2026, 12, 10)).await;
    let r = t
        .app
        .open_case(par("2026-12-09"), &who())
        .await
        .expect("open")
        .case;
    let options = echeancier::app::Options {
        console: Some("caf".into()),
        ..Default::default()
    };
    let as_partner = t.app.clone().with_options(options);
    let mut conn = t.store.pool().acquire().await.expect("conn");
    let case = Store::case_by_id(&mut conn, r.id)
        .await
        .expect("case")
        .expect("row");
    let to = as_partner
        .destinations(&mut conn, &case, "dasen")
        .await
        .expect("destinations");
    assert!(
        to.iter()
            .all(|d| d.channel != echeancier::channel::Channel::Console),
        "{to:?}"
    );
    let options = echeancier::app::Options {
        console: Some("dasen".into()),
        ..Default::default()
    };
    let as_dasen = t.app.clone().with_options(options);
    let to = as_dasen
        .destinations(&mut conn, &case, "dasen")
        .await
        .expect("destinations");
    assert!(
        to.iter()
            .any(|d| d.channel == echeancier::channel::Channel::Console),
        "{to:?}"
    );
}

/// Contacts are validated when entered: a French error naming the field,
/// without repeating what was typed, and nothing stored.
#[tokio::test]
async fn contacts_are_validated_at_intake() {
    let t = app_at(paris_noon(2026, 12, 10)).await;
    let count = || async { t.store.count_cases().await.expect("count") };
    let before = count().await;
    for (email, phone, field) in [
        (Some("Dupont sans arobase"), None, "courriel du responsable 2"),
        (None, Some("Dupont 12"), "téléphone du responsable 2"),
    ] {
        let mut spec = par("2026-12-09");
        spec.guardians.push(GuardianInput {
            name: "Parent Secret".into(),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            language: "fr".into(),
            needs_oral: false,
            address: None,
        });
        let e = t
            .app
            .open_case(spec, &who())
            .await
            .expect_err("refused")
            .to_string();
        assert!(e.starts_with(field), "{e}");
        assert!(!e.contains("Dupont"), "{e}");
    }
    assert_eq!(count().await, before);
    let mut spec = par("2026-12-09");
    spec.guardians[0].phone = Some("+44 20 7946 0958".into());
    assert!(t.app.open_case(spec, &who()).await.is_ok());
}

/// Seed 000: « Le chef d'établissement accueillant un élève ayant fait
/// l'objet de deux exclusions définitives au cours de la même année
/// scolaire peut saisir le directeur académique des services de l'éducation
/// nationale afin de mettre en œuvre un protocole d'accompagnement et de
/// responsabilisation des parents (PAR). » and « … dans les dix jours
/// suivant la saisine par le chef d'établissement … ». The ten days run
/// from the DSDEN's receipt (domain.md §4): a case opened with the sending
/// date only reminds the DASEN's office to enter the receipt, and the
/// receipt, once entered, is what completes that step.
#[tokio::test]
async fn par_receipt_to_enter_reminds_the_dasen_office_until_it_is_entered() {
    use std::sync::Arc;

    use echeancier::scheduler::Scheduler;
    use echeancier::store::StepStatus;

    // Thursday 5 March 2026: the head of school sends the referral.
    let t = app_at(paris_noon(2026, 3, 5)).await;
    let r = t
        .app
        .open_case(
            OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                events: vec![("saisine_envoyee".into(), d("2026-03-05"))],
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("open")
        .case
        .reference;
    let say = |who: &'static str, text: String| {
        let app = t.app.clone();
        async move { app.handle("console", who, &text).await.expect("a command") }
    };
    let reply = say("dasen", format!("!dossier {r}")).await;
    assert!(
        reply.contains("Date de réception de la saisine à renseigner"),
        "{reply}"
    );
    assert!(
        reply.contains("date de réception à renseigner : réception de la saisine par le bureau du DASEN"),
        "{reply}"
    );
    let snap = t.app.snapshot(&r).await.expect("snapshot");
    let step = |s: &echeancier::app::Snapshot, id: &str| {
        s.steps
            .iter()
            .find(|x| x.step == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id}"))
    };
    // 5 March + 2 days = Saturday 7 March, carried to Monday 9 March.
    let reception = step(&snap, "reception_a_renseigner");
    assert_eq!(reception.state, StepStatus::Open);
    assert_eq!(reception.due, Some(d("2026-03-09")));
    assert_eq!(reception.role, "dasen");
    assert_eq!(step(&snap, "entretien").state, StepStatus::Waiting);

    // The scheduler reminds the DASEN's office on Monday 9 March at 08:30
    // (Paris, UTC+1), then on each working day it stays overdue.
    let mail = tempfile::tempdir().expect("dir");
    let mailer = echeancier::email::Mailer::new(
        &echeancier::config::EmailMode::Files(mail.path().into()),
        "x@example.org",
    )
    .expect("mailer");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let scheduler = Scheduler::new(t.app.clone(), vec![])
        .with_sender(Arc::new(mailer))
        .with_sender(Arc::new(echeancier::console::ConsoleSender(tx)));
    let mut run_at = async |y: i32, m: u32, day: u32, h: u32, min: u32| {
        use chrono::TimeZone;
        t.clock.set(
            chrono::Utc
                .with_ymd_and_hms(y, m, day, h, min, 0)
                .single()
                .expect("instant"),
        );
        scheduler.tick().await.expect("tick");
        scheduler.deliver().await.expect("deliver");
        let mut out = Vec::new();
        while let Ok(m) = rx.try_recv() {
            out.push(m);
        }
        out
    };
    assert!(run_at(2026, 3, 6, 7, 31).await.is_empty());
    let m = run_at(2026, 3, 9, 7, 31).await;
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains(&r)
            && m[0].contains("Date de réception de la saisine à renseigner — bureau du DASEN")
            && m[0].contains("aujourd'hui, dernier jour")
            && m[0].contains("!date REF saisine_recue DATE"),
        "{}",
        m[0]
    );
    let m = run_at(2026, 3, 10, 7, 31).await;
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("dépassée de 1 jour ouvré"), "{}", m[0]);

    // It cannot be marked done by hand: the receipt date does it.
    let reply = say("dasen", format!("!etape {r} reception_a_renseigner fait")).await;
    assert!(
        reply.contains(&format!(
            "Cette étape se termine quand la date « réception de la saisine par le bureau du DASEN » est renseignée : renseignez cette date (!date {r} saisine_recue DATE)."
        )),
        "{reply}"
    );
    let snap = t.app.snapshot(&r).await.expect("snapshot");
    assert_eq!(step(&snap, "reception_a_renseigner").state, StepStatus::Overdue);

    // Received Friday 6 March: the step is done that day, and the interview
    // is due 6 March + 10 days = Monday 16 March.
    let reply = say("dasen", format!("!date {r} saisine_recue 2026-03-06")).await;
    assert!(!reply.contains("Cette étape"), "{reply}");
    let snap = t.app.snapshot(&r).await.expect("snapshot");
    assert_eq!(step(&snap, "reception_a_renseigner").state, StepStatus::Done);
    assert_eq!(step(&snap, "entretien").due, Some(d("2026-03-16")));
    assert!(
        step(&snap, "reception_a_renseigner")
            .explanation
            .iter()
            .any(|l| l == "Étape faite le vendredi 6 mars 2026, date renseignée pour « réception de la saisine par le bureau du DASEN »."),
        "{:?}",
        step(&snap, "reception_a_renseigner").explanation
    );
    // No more reminder about the receipt.
    let m = run_at(2026, 3, 11, 7, 31).await;
    assert!(about_receipt(&m).is_empty(), "{m:?}");
}

fn about_receipt(messages: &[String]) -> Vec<&String> {
    messages
        .iter()
        .filter(|m| m.contains("Date de réception de la saisine"))
        .collect()
}

/// Seed 003: « Il repose sur une organisation qui s'écarte du cadre
/// réglementaire de droit commun et dispense l'élève d'une partie des
/// enseignements obligatoires, aussi doit-il être validé par l'IA-DASEN. »
/// An internship dated before the validation is refused, nothing is
/// written; confirmed, it is kept and the audit trail says so. Seed 000
/// (« … peut saisir le directeur académique des services de l'éducation
/// nationale … »): the referral is not received before it is sent.
#[tokio::test]
async fn event_dates_keep_the_order_of_the_procedure() {
    let t = app_at(paris_noon(2026, 3, 12)).await;
    let r = t
        .app
        .open_case(
            OpenCase {
                procedure: "parcours".into(),
                establishment: Some("0490001K".into()),
                events: vec![("ouverture".into(), d("2026-02-02"))],
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("open")
        .case
        .reference;
    let say = |who: &'static str, text: String| {
        let app = t.app.clone();
        async move { app.handle("console", who, &text).await.expect("a command") }
    };
    let events = || async {
        let mut conn = t.store.pool().acquire().await.expect("conn");
        let case = Store::case_by_ref(&mut conn, &r)
            .await
            .expect("db")
            .expect("case");
        Store::inputs(&mut conn, &case).await.expect("inputs").events
    };
    // Validated by the IA-DASEN on Wednesday 11 March 2026.
    let reply = say("ienio", format!("!etape {r} validation fait 2026-03-11")).await;
    assert!(reply.contains("faite le mercredi 11 mars 2026"), "{reply}");
    // An internship from Monday 9 March: refused, nothing written.
    let reply = say("chef", format!("!date {r} stage_debut 2026-03-09")).await;
    assert!(
        reply.contains(
            "Premier jour du stage (lundi 9 mars 2026) : cette date ne peut pas précéder l'étape « Validation par le DASEN », faite le mercredi 11 mars 2026."
        ) && reply.contains("« confirme »"),
        "{reply}"
    );
    assert!(!events().await.contains_key("stage_debut"));
    // From Monday 16 March: accepted.
    let reply = say("chef", format!("!date {r} stage_debut 2026-03-16")).await;
    assert!(reply.contains("date enregistrée"), "{reply}");
    // The other way round: a validation marked after the internship began.
    t.clock.set(paris_noon(2026, 3, 18));
    let reply = say("ienio", format!("!etape {r} validation fait 2026-03-17")).await;
    assert!(reply.contains("ne peut pas précéder"), "{reply}");
    // A last day before the first: refused, unless confirmed.
    let reply = say("chef", format!("!date {r} stage_fin 2026-03-13")).await;
    assert!(
        reply.contains("ne peut pas précéder la date « premier jour du stage »"),
        "{reply}"
    );
    // The chat's word for it, as the refusal says.
    let reply = say("chef", format!("!date {r} stage_fin 2026-03-13 confirme")).await;
    assert!(reply.contains("date enregistrée"), "{reply}");
    let snap = t.app.snapshot(&r).await.expect("snapshot");
    assert_eq!(events().await.get("stage_fin"), Some(&d("2026-03-13")));
    let visit = snap
        .steps
        .iter()
        .find(|s| s.step == "visite_stage")
        .expect("visit");
    assert_eq!(visit.state, echeancier::store::StepStatus::Error);
    let trail = t.store.audit_trail(&r).await.expect("audit");
    let last = trail.last().expect("entry");
    assert_eq!(last.action, "evenement");
    assert!(
        last.detail["ordre_des_dates_confirme"][0]
            .as_str()
            .is_some_and(|s| s.starts_with("Dernier jour du stage (vendredi 13 mars 2026)")),
        "{:?}",
        last.detail
    );
    // Dates kept on confirmation do not block the other changes.
    let reply = say("chef", format!("!etape {r} tuteur fait 2026-03-12")).await;
    assert!(reply.contains("faite le jeudi 12 mars 2026"), "{reply}");

    // PAR: sent Thursday 5 March, received Wednesday 4 March.
    let par = t
        .app
        .open_case(
            OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                events: vec![("saisine_envoyee".into(), d("2026-03-05"))],
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("open")
        .case
        .reference;
    let reply = say("dasen", format!("!date {par} saisine_recue 2026-03-04")).await;
    assert!(
        reply.contains(
            "Réception de la saisine par le bureau du DASEN (mercredi 4 mars 2026) : cette date ne peut pas précéder la date « envoi de la saisine par le chef d'établissement », le jeudi 5 mars 2026."
        ),
        "{reply}"
    );
    let reply = say("dasen", format!("!date {par} saisine_recue 2026-03-05")).await;
    assert!(reply.contains("date enregistrée"), "{reply}");
    // Opening with both dates out of order: refused, unless confirmed.
    let both = || OpenCase {
        procedure: "par".into(),
        establishment: Some("0490001K".into()),
        events: vec![
            ("saisine_envoyee".into(), d("2026-03-05")),
            ("saisine_recue".into(), d("2026-03-04")),
        ],
        ..Default::default()
    };
    let e = t.app.open_case(both(), &who()).await.expect_err("out of order");
    assert!(e.to_string().contains("ne peut pas précéder"), "{e}");
    let snap = t
        .app
        .open_case(
            OpenCase {
                confirmed: true,
                ..both()
            },
            &who(),
        )
        .await
        .expect("confirmed");
    let entretien = snap.steps.iter().find(|s| s.step == "entretien").expect("step");
    assert!(
        entretien
            .explanation
            .iter()
            .any(|l| l.starts_with("⚠ Réception de la saisine par le bureau du DASEN")),
        "{:?}",
        entretien.explanation
    );
}

/// Seed 001, art. 7 (« renouvelable par tacite reconduction ») and art. 9
/// (« La résiliation ne prend effet qu’à compter de l’année scolaire qui
/// suit celle au cours de laquelle la résiliation a été demandée. »): the
/// last day to send a termination that takes effect at the term is shown
/// as information, with both readings, and never becomes a late task.
#[tokio::test]
async fn the_last_day_for_a_termination_at_the_term_is_information() {
    use echeancier::scheduler::Scheduler;
    use echeancier::store::StepStatus;

    let t = app_at(paris_noon(2026, 8, 24)).await;
    let r = t
        .app
        .open_case(
            OpenCase {
                procedure: "convention".into(),
                departement: Some("049".into()),
                partners: vec!["prefet".into(), "caf".into()],
                events: vec![("entree_en_vigueur".into(), d("2024-01-15"))],
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("convention")
        .case
        .reference;
    let reply = t
        .app
        .handle("console", "dasen", &format!("!dossier {r}"))
        .await
        .expect("reply");
    assert!(
        reply.contains("Dernier jour pour envoyer une résiliation qui prend effet au terme")
            && reply.contains("échéance lundi 31 août 2026")
            && reply.contains(
                "Dernier jour selon l'autre lecture, effet à une rentrée seulement : vendredi 29 mai 2026"
            )
            && reply
                .contains("Les deux lectures du texte donnent des dates différentes : à trancher par vous.")
            && reply.contains("c'est à vous de trancher")
            && reply.contains("pour information, échéance lundi 31 août 2026"),
        "{reply}"
    );
    // Among the coming deadlines and in the calendar feed, as information.
    let line = "Dernier jour pour envoyer une résiliation qui prend effet au terme — coordination des partenariats de la DSDEN — lundi 31 août 2026, pour information";
    let list = t
        .app
        .handle("console", "dasen", "!echeances mois")
        .await
        .expect("reply");
    let coming = list.split("À venir").nth(1).unwrap_or_default();
    assert!(coming.contains(&format!("{r} — {line}")), "{list}");
    let actor = t
        .app
        .actor("console", "dasen")
        .await
        .expect("actor")
        .expect("dasen");
    let d = t.app.my_deadlines(&actor, None, 4).await.expect("deadlines");
    assert!(d.late.iter().all(|(c, _)| c.reference != r), "{:?}", d.late);
    assert!(
        d.coming.iter().any(|(c, s)| c.reference == r
            && s.step == "resiliation_au_terme"
            && s.state == StepStatus::Info),
        "{:?}",
        d.coming
    );
    let ics = t
        .app
        .feed_ics(actor.person_id)
        .await
        .expect("feed")
        .replace("\r\n ", "");
    assert!(
        ics.contains(&format!("SUMMARY:{r} : Dernier jour pour envoyer une résiliation qui prend effet au terme (coordination des partenariats de la DSDEN)\\, pour information")),
        "{ics}"
    );
    assert!(
        ics.contains("Date donnée pour information\\, jamais en retard"),
        "{ics}"
    );

    let mail = tempfile::tempdir().expect("dir");
    let mailer = echeancier::email::Mailer::new(
        &echeancier::config::EmailMode::Files(mail.path().into()),
        "x@example.org",
    )
    .expect("mailer");
    let scheduler = Scheduler::new(t.app.clone(), vec![]).with_sender(std::sync::Arc::new(mailer));
    for day in [24, 31] {
        t.clock.set(paris_noon(2026, 8, day));
        scheduler.tick().await.expect("tick");
        scheduler.deliver().await.expect("deliver");
    }
    for day in [1, 2, 3] {
        t.clock.set(paris_noon(2026, 9, day));
        scheduler.tick().await.expect("tick");
        scheduler.deliver().await.expect("deliver");
    }
    // The reminders of an information date leave (none is dropped as having
    // no more purpose).
    let states: Vec<String> = sqlx::query_scalar(
        "SELECT d.state FROM deliveries d JOIN reminders r ON r.id = d.reminder_id JOIN cases c ON c.id = r.case_id
         WHERE c.reference = $1 AND r.step = 'resiliation_au_terme' AND d.channel = 'email'",
    )
    .bind(&r)
    .fetch_all(t.store.pool())
    .await
    .expect("deliveries");
    assert!(
        !states.is_empty() && states.iter().all(|s| s == "sent"),
        "{states:?}"
    );
    // Past its day: neither late nor coming.
    let list = t
        .app
        .handle("console", "dasen", "!echeances mois")
        .await
        .expect("reply");
    assert!(
        !list.contains("Dernier jour pour envoyer une résiliation"),
        "{list}"
    );
    let d = t.app.my_deadlines(&actor, None, 4).await.expect("deadlines");
    assert!(
        d.late
            .iter()
            .chain(&d.coming)
            .all(|(_, s)| s.step != "resiliation_au_terme"),
        "{d:?}"
    );
    let (_, overdue) = t.app.case_gauges().await.expect("gauges");
    assert_eq!(overdue, 0);
    let snap = t.app.snapshot(&r).await.expect("snapshot");
    let step = snap
        .steps
        .iter()
        .find(|s| s.step == "resiliation_au_terme")
        .expect("step");
    assert_eq!(step.state, StepStatus::Info);
    assert_eq!(step.state_detail, None);
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT r.kind FROM reminders r JOIN cases c ON c.id = r.case_id WHERE c.reference = $1 AND r.step = 'resiliation_au_terme' ORDER BY r.id",
    )
    .bind(&r)
    .fetch_all(t.store.pool())
    .await
    .expect("reminders");
    assert!(kinds.iter().any(|k| k == "jour"), "{kinds:?}");
    assert!(!kinds.iter().any(|k| k.starts_with("retard")), "{kinds:?}");
}

/// Seed 003: « Il associe l'entreprise ou l'organisme d'accueil si un stage
/// est mis en place (dans ce cadre, une convention de stage doit être signée
/// et une visite sur le lieu de stage doit être prévue). » The visit is due
/// in the middle of the internship; moving it past the internship's last
/// day of classes needs a confirmation.
#[tokio::test]
async fn the_internship_visit_stays_within_the_internship() {
    let t = app_at(paris_noon(2026, 3, 25)).await;
    let r = t
        .app
        .open_case(
            OpenCase {
                procedure: "parcours".into(),
                establishment: Some("0490001K".into()),
                events: vec![
                    ("ouverture".into(), d("2026-02-02")),
                    ("stage_debut".into(), d("2026-03-30")),
                    ("stage_fin".into(), d("2026-04-24")),
                ],
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("open")
        .case
        .reference;
    let visit = |s: &echeancier::app::Snapshot| {
        s.steps
            .iter()
            .find(|x| x.step == "visite_stage")
            .cloned()
            .expect("visit")
    };
    // 30 March to 24 April 2026 in the académie de Nantes: 9 days of
    // classes (spring holidays from Saturday 11 April); the 5th is Friday
    // 3 April; at the latest Friday 10 April.
    let snap = t.app.snapshot(&r).await.expect("snapshot");
    assert_eq!(visit(&snap).due, Some(d("2026-04-03")));
    assert_eq!(
        visit(&snap).also,
        vec![(
            "dernier jour possible pendant le stage".to_string(),
            d("2026-04-10")
        )]
    );
    let say = |who: &'static str, text: String| {
        let app = t.app.clone();
        async move { app.handle("console", who, &text).await.expect("a command") }
    };
    let reply = say(
        "chef",
        format!("!report {r} visite_stage 2026-04-13 tuteur absent"),
    )
    .await;
    assert!(reply.contains("dépasse la date légale"), "{reply}");
    let reply = say(
        "chef",
        format!("!report {r} visite_stage 2026-04-08 tuteur absent"),
    )
    .await;
    assert!(reply.contains("reportée au mercredi 8 avril 2026"), "{reply}");
}

/// The shipped procedures copied to a folder of their own, `par.toml`
/// changed by `edit`: a procedure file changed on disk.
fn procedures_with(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("procedures");
    for entry in std::fs::read_dir(&src).expect("procedures") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, dir.path().join(p.file_name().expect("name"))).expect("copy");
    }
    let par = dir.path().join("par.toml");
    let text = std::fs::read_to_string(&par).expect("read");
    let changed = edit(&text);
    assert_ne!(changed, text, "the edit changes the file");
    std::fs::write(&par, changed).expect("write");
    dir
}

/// Version 2 of the PAR: the convocation leaves within 6 days, not 3.
fn par_version_2(text: &str) -> String {
    text.replace("version = 1", "version = 2")
        .replace("defaut = 3", "defaut = 6")
}

/// The app of `t` (same database, same clock) restarted on the
/// procedures of `dir`.
fn restarted_on(t: &crate::util::TestApp, dir: &std::path::Path) -> echeancier::app::App {
    let lib = echeancier::library::from_dir(dir).expect("procedures");
    let settings = echeancier::config::Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib))
        .expect("demo config");
    let options = echeancier::app::Options::from_settings(
        &settings,
        echeancier::notice::Templates::embedded().expect("templates"),
    );
    let clock: std::sync::Arc<dyn echeancier::clock::Clock> = t.clock.clone();
    echeancier::app::App::new(t.store.clone(), lib, clock).with_options(options)
}

async fn planned_with(t: &crate::util::TestApp, reference: &str) -> (i64, String) {
    sqlx::query_as("SELECT procedure_version, procedure_hash FROM cases WHERE reference = $1")
        .bind(reference)
        .fetch_one(t.store.pool())
        .await
        .expect("case")
}

fn due_of(s: &echeancier::app::Snapshot, step: &str) -> Option<NaiveDate> {
    s.steps.iter().find(|x| x.step == step).and_then(|x| x.due)
}

/// A procedure file changed on disk moves no date of an open case: the
/// case keeps the rules it was planned with (a recomputation, the
/// scheduler's refresh and its own changes use them) until an operator
/// applies the new version, which moves its dates in one audited step.
#[tokio::test]
async fn a_changed_procedure_moves_no_date_until_it_is_applied() {
    use echeancier::scheduler::Scheduler;
    let t = app_at(paris_noon(2026, 12, 10)).await;
    let r = open(&t, "2026-12-09").await;
    let shipped = t.app.library().get("par").expect("par").text.clone();
    assert_eq!(
        planned_with(&t, &r).await,
        (1, echeancier::app::versions::digest(&shipped)),
        "the version and the SHA-256 of the file are recorded at opening"
    );
    // 9 December + 3 days is a Saturday: Friday 11 December.
    let snap = t.app.snapshot(&r).await.expect("snapshot");
    assert_eq!(due_of(&snap, "convocation"), Some(d("2026-12-11")));

    let dir = procedures_with(par_version_2);
    let app = restarted_on(&t, dir.path());
    let snap = app
        .apply(&r, vec![Change::Recompute], &who())
        .await
        .expect("recompute");
    assert_eq!(
        due_of(&snap, "convocation"),
        Some(d("2026-12-11")),
        "no silent move"
    );
    assert_eq!(planned_with(&t, &r).await.0, 1);
    // Its own changes are computed with its own rules: received Monday 7
    // December, the convocation is due Thursday 10 (3 days; 6 would give
    // Friday 11).
    let snap = app
        .apply(
            &r,
            vec![Change::Event {
                event: "saisine_recue".into(),
                on: d("2026-12-07"),
            }],
            &who(),
        )
        .await
        .expect("its own change");
    assert_eq!(due_of(&snap, "convocation"), Some(d("2026-12-10")));
    assert_eq!(due_of(&snap, "entretien"), Some(d("2026-12-17")));
    // The scheduler's refresh turns it late, on the same date.
    t.clock.set(paris_noon(2026, 12, 14));
    let report = Scheduler::new(app.clone(), vec![]).tick().await.expect("tick");
    assert!(report.refreshed >= 1, "{report:?}");
    let snap = app.snapshot(&r).await.expect("snapshot");
    let convocation = snap.steps.iter().find(|s| s.step == "convocation").expect("step");
    assert_eq!(convocation.due, Some(d("2026-12-10")));
    assert_eq!(convocation.state, echeancier::store::StepStatus::Overdue);
    // A simulation uses the case's rules too: its own dates give its dates.
    let reply = app
        .handle(
            "console",
            "dasen",
            &format!("!simuler {r} saisine_recue 2026-12-07"),
        )
        .await
        .expect("reply");
    assert!(reply.contains("Aucune date ne changerait"), "{reply}");

    // What check lists: old date → new date, with both explanations.
    let pending = app.pending_versions().await.expect("pending");
    assert_eq!(pending.len(), 1, "{pending:?}");
    let p = &pending[0];
    assert_eq!(
        (p.reference.as_str(), p.from.version, p.to.version),
        (r.as_str(), 1, 2)
    );
    assert_eq!(p.from.hash, echeancier::app::versions::digest(&shipped));
    assert_ne!(p.to.hash, p.from.hash);
    assert!(p.unreadable.is_none());
    let moved: Vec<_> = p
        .moves
        .iter()
        .map(|m| (m.step.as_str(), m.before, m.after))
        .collect();
    assert_eq!(
        moved,
        vec![("convocation", Some(d("2026-12-10")), Some(d("2026-12-11")))]
    );
    assert_eq!(
        p.moves[0].line(),
        "Convocation des parents : jeudi 10 décembre 2026 → vendredi 11 décembre 2026"
    );
    assert!(
        p.moves[0]
            .explanation_before
            .iter()
            .any(|l| l.contains("3 jours")),
        "{:?}",
        p.moves[0].explanation_before
    );
    assert!(
        p.moves[0].explanation_after.iter().any(|l| l.contains("6 jours")),
        "{:?}",
        p.moves[0].explanation_after
    );
    assert_eq!(
        app.snapshot(&r).await.expect("snapshot").steps,
        snap.steps,
        "listing changes nothing"
    );

    // The case says which rules its dates come from, and that newer ones wait.
    let reply = app
        .handle("console", "dasen", &format!("!dossier {r}"))
        .await
        .expect("reply");
    assert!(
        reply.contains("version 1 des règles") && reply.contains("nouvelle version des règles attend"),
        "{reply}"
    );

    // Applying it moves the dates and says so in the audit trail.
    let applied = app.apply_procedure(&r, &who()).await.expect("apply");
    assert_eq!(due_of(&applied.snapshot, "convocation"), Some(d("2026-12-11")));
    assert_eq!(applied.moves.len(), 1);
    assert_eq!(planned_with(&t, &r).await, (2, p.to.hash.clone()));
    let trail = app.audit_trail(&r).await.expect("audit");
    let entry = trail
        .iter()
        .find(|e| e.action == "nouvelle_version_procedure")
        .expect("audited");
    assert_eq!(entry.detail["ancienne_version"], 1);
    assert_eq!(entry.detail["nouvelle_version"], 2);
    assert_eq!(entry.detail["ancienne_empreinte"], p.from.hash.as_str());
    assert_eq!(entry.detail["nouvelle_empreinte"], p.to.hash.as_str());
    assert_eq!(
        entry.detail["dates"],
        serde_json::json!([{"etape": "convocation", "avant": "2026-12-10", "apres": "2026-12-11"}])
    );
    assert!(app.pending_versions().await.expect("pending").is_empty());
    let reply = app
        .handle("console", "dasen", &format!("!dossier {r}"))
        .await
        .expect("reply");
    assert!(
        reply.contains("version 2 des règles") && !reply.contains("attend d'être appliquée"),
        "{reply}"
    );
    let again = app.apply_procedure(&r, &who()).await.expect_err("already");
    assert!(again.to_string().contains("suit déjà la version 2"), "{again}");
    let missing = app
        .apply_procedure("PAR-2026-0999", &who())
        .await
        .expect_err("missing");
    assert!(missing.to_string().contains("introuvable"), "{missing}");
    // From now on, its changes follow version 2, as new cases do.
    let snap = app
        .apply(
            &r,
            vec![Change::Event {
                event: "saisine_recue".into(),
                on: d("2026-12-09"),
            }],
            &who(),
        )
        .await
        .expect("change");
    assert_eq!(due_of(&snap, "convocation"), Some(d("2026-12-15")));
    let other = app.open_case(par("2026-12-09"), &who()).await.expect("open");
    assert_eq!(planned_with(&t, &other.case.reference).await.0, 2);
}

/// A version that no longer reads (here: its text lost) keeps the case's
/// dates and refuses its changes with a French sentence that names the
/// commands; applying the new version lifts it.
#[tokio::test]
async fn a_version_that_no_longer_reads_refuses_changes_until_applied() {
    let t = app_at(paris_noon(2026, 12, 10)).await;
    let r = open(&t, "2026-12-09").await;
    sqlx::query("DELETE FROM procedure_texts")
        .execute(t.store.pool())
        .await
        .expect("delete");
    let dir = procedures_with(par_version_2);
    let app = restarted_on(&t, dir.path());
    let e = app
        .apply(
            &r,
            vec![Change::Event {
                event: "saisine_recue".into(),
                on: d("2026-12-08"),
            }],
            &who(),
        )
        .await
        .expect_err("refused");
    let text = e.to_string();
    assert!(
        text.contains("ne se relit plus") && text.contains("echeancier case apply-procedure"),
        "{text}"
    );
    let snap = app.snapshot(&r).await.expect("still readable");
    assert_eq!(due_of(&snap, "convocation"), Some(d("2026-12-11")));
    let pending = app.pending_versions().await.expect("pending");
    assert!(pending[0].unreadable.is_some(), "{pending:?}");
    let applied = app.apply_procedure(&r, &who()).await.expect("apply");
    assert_eq!(due_of(&applied.snapshot, "convocation"), Some(d("2026-12-15")));
    app.apply(
        &r,
        vec![Change::Event {
            event: "saisine_recue".into(),
            on: d("2026-12-08"),
        }],
        &who(),
    )
    .await
    .expect("accepted once applied");
}

/// `!simuler` shows how the dates would move if an event had another
/// date, and writes nothing: step names and dates, no personal data.
#[tokio::test]
async fn simulating_a_date_moves_nothing() {
    let t = app_at(paris_noon(2026, 12, 10)).await;
    let r = open(&t, "2026-12-09").await;
    let count = |sql: &'static str| crate::util::count(&t, sql);
    let audits = count("SELECT COUNT(*) FROM audit").await;
    let before = t.app.snapshot(&r).await.expect("snapshot");
    let reply = t
        .app
        .handle(
            "console",
            "dasen",
            &format!("!simuler {r} saisine_recue 2026-12-14"),
        )
        .await
        .expect("reply");
    assert!(reply.contains(&format!("Simulation pour {r}")), "{reply}");
    assert!(reply.contains("rien n'est enregistré"), "{reply}");
    assert!(reply.contains("au lieu du mercredi 9 décembre 2026"), "{reply}");
    assert!(
        reply.contains(
            "Entretien des parents avec le DASEN : vendredi 18 décembre 2026 → jeudi 24 décembre 2026 ; date légale : lundi 21 décembre 2026 → jeudi 24 décembre 2026"
        ),
        "{reply}"
    );
    assert!(
        reply.contains("Convocation des parents : vendredi 11 décembre 2026 → jeudi 17 décembre 2026"),
        "{reply}"
    );
    assert!(!reply.contains("Jeanne") && !reply.contains("4e Z"), "{reply}");
    let after = t.app.snapshot(&r).await.expect("snapshot");
    assert_eq!(before.steps, after.steps, "no step changed");
    assert_eq!(
        count("SELECT COUNT(*) FROM audit").await,
        audits,
        "nothing audited"
    );
    let on: String = sqlx::query_scalar("SELECT on_date FROM case_events WHERE event = 'saisine_recue'")
        .fetch_one(t.store.pool())
        .await
        .expect("event");
    assert_eq!(on, "2026-12-09");
    // The same date moves nothing; an unknown event is named by the list.
    let reply = t
        .app
        .handle(
            "console",
            "dasen",
            &format!("!simuler {r} saisine_recue 2026-12-09"),
        )
        .await
        .expect("reply");
    assert!(reply.contains("Aucune date ne changerait"), "{reply}");
    let reply = t
        .app
        .handle("console", "dasen", &format!("!simuler {r} dupont 2026-12-09"))
        .await
        .expect("reply");
    assert!(
        reply.contains("Événement inconnu") && !reply.contains("dupont"),
        "{reply}"
    );
    // An event that would come before the one it follows is flagged.
    let reply = t
        .app
        .handle(
            "console",
            "dasen",
            &format!("!simuler {r} saisine_envoyee 2026-12-10"),
        )
        .await
        .expect("reply");
    assert!(reply.contains("⚠") && reply.contains("confirme"), "{reply}");
    // Outside one's scope, like a missing case.
    let reply = t
        .app
        .handle(
            "console",
            "caf",
            &format!("!simuler {r} saisine_recue 2026-12-14"),
        )
        .await
        .expect("reply");
    assert!(!reply.contains("Simulation"), "{reply}");
}

/// Seed 004: « 72 h/année pouvant être déclinées à raison de 2 h/semaine ».
/// Each workshop session marked held is kept (the step keeps only its
/// last day), counted once per day, and the case says the hours held.
#[tokio::test]
async fn workshop_sessions_held_are_counted_in_hours() {
    let t = app_at(paris_noon(2026, 10, 14)).await;
    let ap = t
        .app
        .open_case(
            OpenCase {
                procedure: "accompagnement".into(),
                establishment: Some("0490001K".into()),
                opened_on: Some(d("2026-09-01")),
                ..Default::default()
            },
            &who(),
        )
        .await
        .expect("open")
        .case
        .reference;
    for day in ["2026-10-06", "2026-10-13", "2026-10-13"] {
        let reply = t
            .app
            .handle("console", "chef", &format!("!etape {ap} ateliers fait {day}"))
            .await
            .expect("reply");
        assert!(reply.contains("faite"), "{reply}");
    }
    let reply = t
        .app
        .handle("console", "chef", &format!("!dossier {ap}"))
        .await
        .expect("reply");
    assert!(reply.contains("2 séances tenues (4 h)"), "{reply}");
    let snap = t.app.snapshot(&ap).await.expect("snapshot");
    let ateliers = snap.steps.iter().find(|s| s.step == "ateliers").expect("step");
    assert_eq!(
        ateliers.due,
        Some(d("2026-11-02")),
        "after the Toussaint holidays"
    );
}

/// Tchap's bot accounts expire after 13 months unless renewed. With the
/// date in the configuration, the administrators hear of it 30, 7 and 1
/// days ahead, once each whatever the ticks, by email and on their other
/// channels, never on the account's own.
#[tokio::test]
async fn an_expiring_bot_account_is_told_30_7_and_1_days_ahead() {
    use echeancier::app::BotAccount;
    use echeancier::channel::Channel;
    let t = app_at(paris_noon(2027, 11, 30)).await;
    let app = t.app.clone().with_options(echeancier::app::Options {
        accounts: vec![BotAccount {
            channel: Channel::Matrix,
            account: "@echeancier:agent.tchap.gouv.fr".into(),
            expires_on: d("2027-12-31"),
        }],
        console: Some("dasen".into()),
        ..Default::default()
    });
    let mut decided = Vec::new();
    for (month, day, expected) in [
        (11, 30, 0),
        (12, 1, 1),
        (12, 1, 0),
        (12, 2, 0),
        (12, 24, 1),
        (12, 25, 0),
        (12, 30, 1),
        (12, 31, 0),
    ] {
        t.clock.set(paris_noon(2027, month, day));
        let n = app.account_checks().await.expect("checks");
        decided.push(n);
        assert_eq!(n, expected, "on {day}/{month}: {decided:?}");
    }
    let to: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT d.channel, d.recipient FROM reminders r JOIN deliveries d ON d.reminder_id = r.id
         WHERE r.kind = 'compte-robot' ORDER BY 1, 2",
    )
    .fetch_all(t.store.pool())
    .await
    .expect("outbox");
    assert_eq!(
        to,
        vec![
            ("console".to_string(), "dasen".to_string()),
            ("email".to_string(), "dasen49@example.org".to_string()),
        ]
    );
    let health = app.metrics().health();
    assert_eq!(
        health.get("matrix").and_then(|h| h.account_expires_on),
        Some(d("2027-12-31"))
    );
}

/// An administrator gives a link code from chat, in a direct message: the
/// person then links their account with it. Nobody else may, nor in a room.
#[tokio::test]
async fn an_administrator_gives_link_codes_from_chat() {
    let t = app_at(paris_noon(2026, 12, 1)).await;
    let reply = t
        .app
        .handle("console", "chef", "!lien cpe telegram")
        .await
        .expect("reply");
    assert!(reply.contains("Seul un administrateur"), "{reply}");
    let room = echeancier::core::authz::Place::Staff {
        establishment: None,
        departement: Some("049".into()),
    };
    let reply = t
        .app
        .handle_in(&room, "console", "dasen", "!lien cpe telegram")
        .await
        .expect("reply");
    assert!(reply.contains("message direct"), "{reply}");
    let reply = t
        .app
        .handle("console", "dasen", "!lien inconnu")
        .await
        .expect("reply");
    assert!(reply.contains("inconnue dans l'annuaire"), "{reply}");
    let reply = t
        .app
        .handle("console", "dasen", "!lien cpe telegram")
        .await
        .expect("reply");
    let code = reply
        .split_whitespace()
        .find(|w| w.len() == 8 && w.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {reply}"))
        .to_string();
    let reply = t
        .app
        .handle("telegram", "4242", &format!("!lier {code}"))
        .await
        .expect("reply");
    assert!(
        reply.contains("Compte relié à la fiche de Karim Benali"),
        "{reply}"
    );
    let reply = t.app.handle("telegram", "4242", "!aide").await.expect("reply");
    assert!(!reply.contains("relié à aucune fiche"), "{reply}");
}
