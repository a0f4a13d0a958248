//! Demo data: realistic cases dated relative to today, so that a newcomer
//! first sees what is coming — a referral just received, a parcours whose
//! contract was just signed, an internship ahead, a partner communication
//! waiting for answers — and nothing late. All people are fictitious.

use chrono::{Duration, NaiveDate};
use echeancier_core::calendar::{Calendar, CalendarId};

use crate::app::{App, GuardianInput, OpenCase, Result, Who};

/// The demo configuration (directory of fictitious people).
pub const CONFIG: &str = include_str!("../demo/demo.toml");

/// Loads the demo cases unless the database already has cases.
pub async fn load(app: &App) -> Result<Vec<String>> {
    if app.store.count_cases().await? > 0 {
        return Ok(vec![]);
    }
    let today = app.today();
    let calendar = Calendar::new(CalendarId::Metropole);
    // Events happen on working days: `worked(0)` is today, or the last
    // working day before it on a weekend or a holiday.
    let last_worked = if calendar.is_working_day(today) {
        today
    } else {
        calendar.add_working_days(today, -1).unwrap_or(today)
    };
    let worked = |n: i64| calendar.add_working_days(last_worked, -n).unwrap_or(last_worked);
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
                // Received today: the convocation and the interview are ahead.
                // The condition: two exclusions, then the pupil's arrival.
                events: vec![
                    ("exclusion_1".into(), worked(8)),
                    ("exclusion_2".into(), worked(6)),
                    ("accueil".into(), worked(4)),
                    ("saisine_envoyee".into(), worked(1)),
                    ("saisine_recue".into(), worked(0)),
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
                opened_on: Some(worked(1)),
                // Just after a rentrée the first exclusion may fall in the
                // year before: the case is then opened and flagged.
                confirmed: true,
                ..Default::default()
            },
            &who,
        )
        .await?;
    refs.push(par.case.reference);

    // Contract signed, project sent, validated this week, all on time: the
    // internship starts in two weeks, its agreement is to be signed before.
    let parcours = app
        .open_case(
            OpenCase {
                procedure: "parcours".into(),
                establishment: Some("0490001K".into()),
                events: vec![("ouverture".into(), worked(20))],
                pupil: Some(("Autre Élève Fictif".into(), Some("3e A".into()))),
                opened_on: Some(worked(20)),
                ..Default::default()
            },
            &who,
        )
        .await?;
    let done = [
        ("contrat", 15),
        ("envoi_projet", 12),
        ("tuteur", 12),
        ("validation", 2),
    ];
    let changes = done
        .iter()
        .map(|(step, n)| crate::app::Change::StepDone {
            step: (*step).into(),
            on: worked(*n),
        })
        .collect();
    app.apply(&parcours.case.reference, changes, &who).await?;
    // The internship is dated once the parcours is validated.
    let stage = [("stage_debut", ahead(14)), ("stage_fin", ahead(28))];
    let changes = stage
        .iter()
        .map(|(event, on)| crate::app::Change::Event {
            event: (*event).into(),
            on: *on,
        })
        .collect();
    app.apply(&parcours.case.reference, changes, &who).await?;
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
                opened_on: Some(worked(4)),
                ..Default::default()
            },
            &who,
        )
        .await?;
    // Three partners received it this week; the CAF's receipt is still
    // to be entered.
    let receipts = [("prefet", 3), ("dtpjj", 3), ("cd", 2)];
    let changes = receipts
        .iter()
        .map(|(p, n)| crate::app::Change::Receipt {
            partner: (*p).into(),
            on: worked(*n),
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

/// The demo starts as if echeancier had been running: what fell due
/// before now was dealt with, nothing goes out as a late batch. Only for
/// the `demo` command's first start: tests load the demo and tick.
pub async fn as_if_running(app: &App) -> Result<()> {
    app.store.set_last_tick(app.clock.now()).await?;
    Ok(())
}

/// The demo's first screen: what is coming for the console identity,
/// before any reminder.
pub async fn welcome(app: &App, identity: &str) -> String {
    let deadlines = app
        .handle("console", identity, "!echeances mois")
        .await
        .unwrap_or_default();
    format!(
        "Démonstration : des dossiers fictifs, datés autour d'aujourd'hui. Ce qui vous attend :\n{deadlines}\n\
         Tapez !dossier suivi d'une référence pour voir les étapes d'un dossier et le calcul de chaque date."
    )
}
