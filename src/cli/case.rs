//! `case` (case administration from a terminal, as the operator) and
//! `lien` (link codes).

use std::path::Path;

use echeancier_core::french::{long_date, parse_date};
use serde_json::json;

use super::{CaseCommand, Failure, Outcome, amount_arg, date_arg, input, print_json, settings};
use crate::app::{Change, GuardianInput, OpenCase, Who};
use crate::daemon::open_app;

fn split_pair(s: &str, what: &str) -> Result<(String, String), Failure> {
    s.split_once('=')
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .ok_or_else(|| input(format!("option {what} « {s} » : attendu NOM=VALEUR")))
}

pub async fn case(config: Option<&Path>, cmd: &CaseCommand) -> Outcome {
    let (settings, lib) = settings(config, false)?;
    for w in &settings.warnings {
        eprintln!("avertissement : {w}");
    }
    let app = open_app(&settings, lib).await?;
    let who = Who::cli();
    match cmd {
        CaseCommand::New(a) => {
            let mut events = Vec::new();
            for e in &a.events {
                let (name, date) = split_pair(e, "--event")?;
                events.push((
                    name,
                    parse_date(&date).map_err(|e| input(format!("option --event : {e}")))?,
                ));
            }
            let mut params = Vec::new();
            for p in &a.params {
                let (name, value) = split_pair(p, "--param")?;
                params.push((name, amount_arg(&value, "param")?));
            }
            let mut guardians = Vec::new();
            for g in &a.guardians {
                let f: Vec<&str> = g.split(';').map(str::trim).collect();
                let opt = |i: usize| f.get(i).filter(|s| !s.is_empty()).map(|s| s.to_string());
                let name = opt(0)
                    .ok_or_else(|| input("option --guardian : le nom du responsable est obligatoire"))?;
                guardians.push(GuardianInput {
                    name,
                    email: opt(1),
                    phone: opt(2),
                    language: opt(3).unwrap_or_else(|| "fr".into()),
                    needs_oral: matches!(f.get(4), Some(&"oral" | &"oui" | &"1")),
                    address: None,
                });
            }
            let opened_on = a
                .opened
                .as_deref()
                .map(|d| parse_date(d).map_err(|e| input(format!("option --opened : {e}"))))
                .transpose()?;
            let snap = app
                .open_case(
                    OpenCase {
                        procedure: a.procedure.clone(),
                        establishment: a.uai.clone(),
                        departement: a.departement.clone(),
                        parent: a.parent.clone(),
                        title: a.title.clone(),
                        partners: a.partners.clone(),
                        events,
                        params,
                        pupil: a.pupil.clone().map(|p| (p, a.class.clone())),
                        pupil_birth: None,
                        guardians,
                        opened_on,
                        confirmed: a.confirm,
                        // The condition's dates may be completed on the web office.
                        condition_required: false,
                    },
                    &who,
                )
                .await?;
            println!("{}", snap.case.reference);
        }
        CaseCommand::List { all } => {
            for c in app.cases(!all).await? {
                let next = app
                    .snapshot(&c.reference)
                    .await?
                    .steps
                    .into_iter()
                    .filter(|s| s.state.is_pending())
                    .filter_map(|s| s.due.map(|d| (d, s.step)))
                    .min()
                    .map(|(d, step)| {
                        let name = app
                            .library
                            .get(&c.procedure)
                            .and_then(|p| p.step(&step))
                            .map_or(step.clone(), |s| s.name.clone());
                        (d, name)
                    });
                let next = next
                    .map(|(d, s)| format!("prochaine échéance le {} : {s}", long_date(d)))
                    .unwrap_or_else(|| "aucune échéance en cours".into());
                println!(
                    "{}\t{}\t{}\t{}",
                    c.reference,
                    c.procedure,
                    if c.open { "ouvert" } else { "clos" },
                    next
                );
            }
        }
        CaseCommand::Show {
            reference,
            audit,
            contacts,
        } => {
            let snap = app.snapshot(&reference.to_uppercase()).await?;
            println!("{}", app.render(&snap));
            if *contacts {
                println!("\nResponsables légaux :");
                for g in app.guardians(&snap.case).await? {
                    println!(
                        "• n° {} — courriel {} — téléphone {} — langue {}{}{}",
                        g.id,
                        g.email.as_deref().unwrap_or("aucun"),
                        g.phone.as_deref().unwrap_or("aucun"),
                        g.language,
                        if g.needs_oral { " — échange oral" } else { "" },
                        if g.restricted {
                            " — ne reçoit pas les avis"
                        } else {
                            ""
                        }
                    );
                }
            }
            if *audit {
                println!("\nJournal :");
                let zone = echeancier_core::calendar::CalendarId::Metropole.time_zone();
                for e in app.audit_trail(&snap.case.reference).await? {
                    let at = e.at.with_timezone(&zone);
                    println!(
                        "{} à {}\t{}\t{}\t{}\t{}",
                        long_date(at.date_naive()),
                        echeancier_core::french::time(at.time()),
                        e.channel,
                        e.actor,
                        e.action,
                        e.detail
                    );
                }
            }
        }
        CaseCommand::Step {
            reference,
            step,
            action,
            date,
            reason,
            confirm,
        } => {
            let change = match action.as_str() {
                "fait" | "done" => Change::StepDone {
                    step: step.clone(),
                    on: match date {
                        Some(d) => parse_date(d).map_err(|e| input(e.to_string()))?,
                        None => app.today(),
                    },
                },
                "report" | "reschedule" => Change::Reschedule {
                    step: step.clone(),
                    to: date_arg(date.as_deref(), "date")?,
                    reason: reason
                        .clone()
                        .ok_or_else(|| input("un report demande un motif : --reason \"...\""))?,
                    confirmed: *confirm,
                },
                other => {
                    return Err(input(format!(
                        "action « {other} » inconnue : attendu fait ou report"
                    )));
                }
            };
            let snap = app.apply(&reference.to_uppercase(), vec![change], &who).await?;
            println!("{}", app.render(&snap));
        }
        CaseCommand::Event {
            reference,
            event,
            date,
        } => {
            let on = parse_date(date).map_err(|e| input(e.to_string()))?;
            let snap = app
                .apply(
                    &reference.to_uppercase(),
                    vec![Change::Event {
                        event: event.clone(),
                        on,
                    }],
                    &who,
                )
                .await?;
            println!("{}", app.render(&snap));
        }
        CaseCommand::Export { reference } => {
            let reference = reference.to_uppercase();
            let trail = app.audit_trail(&reference).await?;
            if trail.is_empty() {
                return Err(input(format!("aucune trace pour le dossier {reference}")));
            }
            let entries: Vec<_> = trail
                .iter()
                .map(|e| {
                    json!({"at": e.at.to_rfc3339(), "actor": e.actor, "channel": e.channel, "action": e.action, "detail": e.detail})
                })
                .collect();
            print_json(&json!({"reference": reference, "audit": entries}));
        }
        CaseCommand::Purge => {
            for r in app.purge(&who).await? {
                println!("{r}");
            }
        }
        CaseCommand::ApplyProcedure { reference, tous } => {
            let references = match reference {
                Some(r) => vec![r.to_uppercase()],
                None => {
                    debug_assert!(*tous);
                    app.pending_versions()
                        .await?
                        .into_iter()
                        .map(|p| p.reference)
                        .collect()
                }
            };
            if references.is_empty() {
                println!("Tous les dossiers ouverts suivent déjà la version actuelle de leur procédure.");
            }
            for r in references {
                let applied = app.apply_procedure(&r, &who).await?;
                let from = applied.from.as_ref().map_or_else(
                    || "version non enregistrée".to_string(),
                    |f| format!("version {}", f.version),
                );
                println!(
                    "{} : {from} → version {} de la procédure {}.",
                    applied.snapshot.case.reference, applied.to.version, applied.snapshot.case.procedure
                );
                if applied.moves.is_empty() {
                    println!("  Aucune date ne change.");
                }
                for m in &applied.moves {
                    println!("  • {}", m.line());
                }
            }
        }
        CaseCommand::Close { reference } => {
            let snap = app
                .apply(&reference.to_uppercase(), vec![Change::Close], &who)
                .await?;
            println!("{} clos le {}.", snap.case.reference, long_date(app.today()));
        }
    }
    Ok(())
}

pub async fn link_code(config: Option<&Path>, person: &str, channel: &str) -> Outcome {
    let (settings, lib) = settings(config, false)?;
    let app = open_app(&settings, lib).await?;
    let code = app.issue_link_code(person, channel, &Who::cli()).await?;
    println!("{code}");
    eprintln!("Code valable 24 heures, une seule fois : la personne l'envoie au robot avec !lier {code}.");
    Ok(())
}
