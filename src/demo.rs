//! Demo data: realistic cases dated relative to today, so a newcomer sees
//! deadlines coming, one late and a pending partner communication at once.
//! All people are fictitious.

use chrono::{Duration, NaiveDate};

use crate::app::{App, GuardianInput, OpenCase, Result, Who};

/// The demo configuration (directory of fictitious people).
pub const CONFIG: &str = include_str!("../demo/demo.toml");

/// Loads the demo cases unless the database already has cases.
pub async fn load(app: &App) -> Result<Vec<String>> {
    if app.store.count_cases().await? > 0 {
        return Ok(vec![]);
    }
    let today = app.today();
    let ago = |n: i64| today - Duration::days(n);
    let ahead = |n: i64| today + Duration::days(n);
    let who = Who {
        actor: "demo".into(),
        channel: "demo".into(),
    };
    let mut refs = Vec::new();

    let par = app
        .open_case(
            OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                events: vec![
                    ("saisine_envoyee".into(), ago(8)),
                    ("saisine_recue".into(), ago(6)),
                ],
                pupil: Some(("Élève Fictif".into(), Some("4e B".into()))),
                guardians: vec![
                    GuardianInput {
                        name: "Parent Fictif Un".into(),
                        email: Some("parent1@example.org".into()),
                        phone: None,
                        language: "fr".into(),
                        needs_oral: false,
                        address: None,
                    },
                    GuardianInput {
                        name: "Parent Fictif Deux".into(),
                        email: Some("parent2@example.org".into()),
                        phone: Some("06 00 00 00 00".into()),
                        language: "ar".into(),
                        needs_oral: true,
                        address: None,
                    },
                ],
                opened_on: Some(ago(8)),
                ..Default::default()
            },
            &who,
        )
        .await?;
    refs.push(par.case.reference);

    let parcours = app
        .open_case(
            OpenCase {
                procedure: "parcours".into(),
                establishment: Some("0490001K".into()),
                events: vec![
                    ("ouverture".into(), ago(20)),
                    ("stage_debut".into(), ahead(10)),
                    ("stage_fin".into(), ahead(24)),
                ],
                pupil: Some(("Autre Élève Fictif".into(), Some("3e A".into()))),
                opened_on: Some(ago(20)),
                ..Default::default()
            },
            &who,
        )
        .await?;
    app.apply(
        &parcours.case.reference,
        vec![crate::app::Change::StepDone {
            step: "contrat".into(),
            on: ago(12),
        }],
        &who,
    )
    .await?;
    refs.push(parcours.case.reference);

    let start = NaiveDate::from_ymd_opt(2024, 9, 2).unwrap_or(today);
    let conv = app
        .open_case(
            OpenCase {
                procedure: "convention".into(),
                departement: Some("049".into()),
                title: Some("Convention départementale contre l'absentéisme".into()),
                partners: vec!["prefet".into(), "dtpjj".into(), "cd".into(), "caf".into()],
                events: vec![("entree_en_vigueur".into(), start)],
                params: vec![("duree_ans".into(), 3)],
                opened_on: Some(start),
                ..Default::default()
            },
            &who,
        )
        .await?;
    let com = app
        .open_case(
            OpenCase {
                procedure: "communication".into(),
                parent: Some(conv.case.reference.clone()),
                title: Some("Plaquette « L'assiduité, on en parle »".into()),
                opened_on: Some(ago(5)),
                ..Default::default()
            },
            &who,
        )
        .await?;
    let receipts = [("prefet", 4), ("dtpjj", 4), ("cd", 3)];
    let changes = receipts
        .iter()
        .map(|(p, n)| crate::app::Change::Receipt {
            partner: (*p).into(),
            on: ago(*n),
        })
        .collect();
    app.apply(&com.case.reference, changes, &who).await?;
    refs.push(conv.case.reference);
    refs.push(com.case.reference);

    let ap = app
        .open_case(
            OpenCase {
                procedure: "accompagnement".into(),
                establishment: Some("0490001K".into()),
                ..Default::default()
            },
            &who,
        )
        .await?;
    // The year's calendar has started: steps already past are done.
    let past: Vec<_> = ap
        .steps
        .iter()
        .filter_map(|s| s.due.filter(|d| *d < today).map(|d| (s.step.clone(), d)))
        .map(|(step, on)| crate::app::Change::StepDone { step, on })
        .collect();
    if !past.is_empty() {
        app.apply(&ap.case.reference, past, &who).await?;
    }
    refs.push(ap.case.reference);
    Ok(refs)
}
