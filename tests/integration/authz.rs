//! The authorization matrix: every command by every kind of actor on every
//! kind of case, allowed or refused. A refusal changes nothing.

use echeancier::app::{OpenCase, Who};
use echeancier::core::authz::Grant;

use crate::util::{TestApp, app_at, paris_noon};

const ACTORS: [&str; 8] = [
    "chef", "cpe", "dasen", "ienio", "caf", "chef67", "dasen44", "inconnu",
];

struct Cases {
    par: String,
    parcours: String,
    ap: String,
    com: String,
    conv: String,
}

impl Cases {
    fn all(&self) -> [&String; 5] {
        [&self.par, &self.parcours, &self.ap, &self.com, &self.conv]
    }
}

async fn setup() -> (TestApp, Cases) {
    let t = app_at(paris_noon(2026, 12, 1)).await;
    // A head of school elsewhere, and the DASEN office of another département.
    t.store
        .upsert_person(
            "chef67",
            "Chef 67",
            None,
            &[Grant {
                role: "chef_etablissement".into(),
                establishment: Some("0671234C".into()),
                departement: None,
                partner: None,
            }],
            &[("console".into(), "chef67".into())],
        )
        .await
        .expect("person");
    t.store
        .upsert_person(
            "dasen44",
            "DASEN 44",
            None,
            &[Grant {
                role: "dasen".into(),
                establishment: None,
                departement: Some("044".into()),
                partner: None,
            }],
            &[("console".into(), "dasen44".into())],
        )
        .await
        .expect("person");
    let who = Who {
        actor: "test".into(),
        channel: "test".into(),
    };
    let par = t
        .app
        .open_case(
            OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                events: vec![("saisine_recue".into(), "2026-11-30".parse().expect("date"))],
                ..Default::default()
            },
            &who,
        )
        .await
        .expect("par")
        .case
        .reference;
    let conv = t
        .app
        .open_case(
            OpenCase {
                procedure: "convention".into(),
                departement: Some("049".into()),
                partners: vec!["prefet".into(), "caf".into()],
                events: vec![("entree_en_vigueur".into(), "2024-09-02".parse().expect("date"))],
                ..Default::default()
            },
            &who,
        )
        .await
        .expect("conv")
        .case
        .reference;
    let com = t
        .app
        .open_case(
            OpenCase {
                procedure: "communication".into(),
                parent: Some(conv.clone()),
                title: Some("Affiche".into()),
                ..Default::default()
            },
            &who,
        )
        .await
        .expect("com")
        .case
        .reference;
    let parcours = t
        .app
        .open_case(
            OpenCase {
                procedure: "parcours".into(),
                establishment: Some("0490001K".into()),
                events: vec![
                    ("ouverture".into(), "2026-11-20".parse().expect("date")),
                    ("stage_debut".into(), "2027-01-11".parse().expect("date")),
                    ("stage_fin".into(), "2027-01-22".parse().expect("date")),
                ],
                ..Default::default()
            },
            &who,
        )
        .await
        .expect("parcours")
        .case
        .reference;
    let ap = t
        .app
        .open_case(
            OpenCase {
                procedure: "accompagnement".into(),
                establishment: Some("0490001K".into()),
                ..Default::default()
            },
            &who,
        )
        .await
        .expect("accompagnement")
        .case
        .reference;
    (
        t,
        Cases {
            par,
            parcours,
            ap,
            com,
            conv,
        },
    )
}

/// (command, actors allowed); every other actor is refused.
fn matrix(c: &Cases) -> Vec<(String, Vec<&'static str>)> {
    vec![
        (format!("!dossier {}", c.par), vec!["chef", "cpe", "dasen"]),
        (format!("!etape {} convocation fait", c.par), vec!["dasen"]),
        (
            format!("!report {} actions_etablissement 2027-01-15 conseil", c.par),
            vec!["chef"],
        ),
        (
            format!("!report {} point_suivi 2027-01-20 vacances", c.par),
            vec!["chef", "cpe"],
        ),
        // Each event names who sets it: the head refers, the DSDEN records
        // the receipt (a CPE sets neither).
        (
            format!("!date {} saisine_envoyee 2026-11-27", c.par),
            vec!["chef", "dasen"],
        ),
        (format!("!date {} saisine_recue 2026-11-30", c.par), vec!["dasen"]),
        (
            format!("!date {} stage_debut 2027-01-11", c.parcours),
            vec!["chef", "cpe"],
        ),
        (format!("!rdv {} entretien 2026-12-09 10h", c.par), vec!["dasen"]),
        // The CPE is also the parcours' referent in the demo directory.
        (
            format!("!dossier {}", c.parcours),
            vec!["chef", "cpe", "dasen", "ienio"],
        ),
        (format!("!etape {} contrat fait", c.parcours), vec!["chef"]),
        (
            format!("!etape {} validation fait", c.parcours),
            vec!["dasen", "ienio"],
        ),
        (
            format!("!etape {} visite_stage fait", c.parcours),
            vec!["chef", "cpe"],
        ),
        (
            format!("!report {} bilan 2027-06-30 fin d'année", c.parcours),
            vec!["chef", "cpe"],
        ),
        (format!("!dossier {}", c.ap), vec!["chef"]),
        (format!("!etape {} regulation_1 fait", c.ap), vec!["chef"]),
        (format!("!dossier {}", c.com), vec!["dasen", "caf"]),
        (format!("!recu {} caf 2026-11-30", c.com), vec!["dasen", "caf"]),
        (format!("!recu {} prefet 2026-11-30", c.com), vec!["dasen"]),
        (format!("!approuve {} caf", c.com), vec!["dasen", "caf"]),
        (format!("!objection {} @prefet logo", c.com), vec!["dasen"]),
        (format!("!dossier {}", c.conv), vec!["dasen", "caf"]),
        (format!("!communication {} Plaquette", c.conv), vec!["dasen"]),
        (format!("!resiliation {} 2026-03-10", c.conv), vec!["dasen"]),
    ]
}

async fn trail_len(t: &TestApp, cases: &Cases) -> usize {
    let mut n = 0;
    for c in cases.all() {
        n += t.store.audit_trail(c).await.expect("audit").len();
    }
    n
}

#[tokio::test]
async fn every_command_by_every_actor() {
    let mut failures = Vec::new();
    for actor in ACTORS {
        // A fresh database per actor: what one did does not change the next.
        let (t, cases) = setup().await;
        for (command, allowed) in matrix(&cases) {
            let before = trail_len(&t, &cases).await;
            let reply = t.app.handle("console", actor, &command).await.expect("a reply");
            let refused = reply.starts_with("Désolé");
            let expected = !allowed.contains(&actor);
            if refused != expected {
                failures.push(format!("{actor} « {command} » : {reply}"));
            }
            if refused {
                let after = trail_len(&t, &cases).await;
                assert_eq!(before, after, "a refusal changed something: {actor} {command}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
