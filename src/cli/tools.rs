//! The calculators (`deadline`, `school-year`, `termination`) and `check`,
//! which validates procedures, notice templates and a configuration.

use std::path::Path;

use echeancier_core::deadline::{self, Period, Roll, Rule};
use echeancier_core::french::parse_date;
use echeancier_core::school::SchoolCalendar;
use echeancier_core::termination;
use serde_json::json;

use super::{
    DeadlineArgs, Failure, Outcome, TerminationArgs, amount_arg, calendar_arg, date_arg, input, print_json,
};
use std::sync::Arc;

use echeancier_core::procedure::Library;

use crate::app::App;
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::library;
use crate::store::Store;

pub fn deadline(a: &DeadlineArgs) -> Outcome {
    let start = date_arg(a.from.as_deref(), "from")?;
    let units = [
        (&a.days, "days", Period::days as fn(u32) -> Period),
        (&a.weeks, "weeks", Period::weeks),
        (&a.months, "months", Period::months),
        (&a.years, "years", Period::years),
    ];
    let given: Vec<_> = units.iter().filter(|(v, _, _)| v.is_some()).collect();
    let period = match given.as_slice() {
        [] => {
            return Err(input(
                "il manque la durée : une option parmi --days, --weeks, --months ou --years",
            ));
        }
        [(Some(v), name, make)] => make(amount_arg(v, name)?),
        _ => {
            return Err(input(
                "une seule unité à la fois : --days, --weeks, --months ou --years (pour « 2 mois et 5 jours » : --months 2 --and-days 5)",
            ));
        }
    };
    let period = match &a.and_days {
        Some(v) => period.and_days(amount_arg(v, "and-days")?),
        None => period,
    };
    let roll: Roll = a
        .roll
        .parse()
        .map_err(|e: deadline::UnknownRoll| input(e.to_string()))?;
    let mut rule = Rule::new(period, roll);
    rule.franc = a.franc;
    rule.inclusive = a.inclusive;
    if a.before {
        rule = rule.before();
    }
    let cal = calendar_arg(&a.calendar, a.good_friday.as_deref())?;
    let dl = deadline::compute(start, &rule, &cal).map_err(|e| input(e.to_string()))?;
    if a.json {
        print_json(&json!({
            "start": dl.start.to_string(),
            "raw_end": dl.raw_end.to_string(),
            "end": dl.end.to_string(),
            "roll": roll.as_str(),
            "calendar": cal.id.as_str(),
            "rule": rule.describe(),
            "franc": rule.franc,
            "inclusive": rule.inclusive,
            "before": a.before,
            "skipped": dl.skipped.iter().map(|s| json!({"date": s.day.to_string(), "reason": s.reason.to_string()})).collect::<Vec<_>>(),
            "expires_at": dl.expires_at().map(|t| t.to_rfc3339()),
            "explanation": dl.explanation(),
        }));
    } else {
        println!("{}", dl.end);
        for line in dl.explanation() {
            println!("{line}");
        }
    }
    Ok(())
}

/// `--academie`: an académie's name, or a département or UAI it follows
/// from (`075`, `0490001K`).
fn school_scope_arg(raw: Option<&str>) -> Result<Option<echeancier_core::school::Scope>, Failure> {
    use echeancier_core::academie::{Academie, academie_of_departement};
    let Some(raw) = raw.map(str::trim) else {
        return Ok(None);
    };
    if let Ok(a) = raw.parse::<Academie>() {
        return Ok(Some(a.into()));
    }
    if let Ok(uai) = raw.parse::<echeancier_core::ids::Uai>() {
        return Ok(Some(
            echeancier_core::academie::academie_of_uai(&uai)
                .map_err(|e| input(e.to_string()))?
                .into(),
        ));
    }
    academie_of_departement(raw)
        .map(|a| Some(a.into()))
        .map_err(|_| input(format!("option --academie : « {} » n'est ni une académie (Nantes, Corse, La Réunion…), ni un département, ni une UAI", raw.chars().take(40).collect::<String>())))
}

pub fn school_year(date: &str, calendar: &str, academie: Option<&str>) -> Outcome {
    let d = parse_date(date).map_err(|e| input(e.to_string()))?;
    let cal = calendar_arg(calendar, None)?;
    // Overseas, the calendar names the académie.
    let scope = match school_scope_arg(academie)? {
        Some(s) => Some(s),
        None => echeancier_core::academie::Academie::of_calendar(cal.id)
            .filter(|_| cal.id != echeancier_core::calendar::CalendarId::Metropole)
            .map(Into::into),
    };
    let school = SchoolCalendar::embedded();
    let year = match scope {
        Some(s) => school.school_year_in(d, s),
        None => school.school_year(d, cal.id),
    }
    .map_err(|e| input(e.to_string()))?;
    println!("{year}");
    Ok(())
}

pub fn termination(a: &TerminationArgs) -> Outcome {
    let received = date_arg(a.received.as_deref(), "received")?;
    let requested = match &a.requested {
        Some(r) => parse_date(r).map_err(|e| input(format!("option --requested : {e}")))?,
        None => received,
    };
    let months = amount_arg(&a.notice_months, "notice-months")?;
    if months == 0 || months > 120 {
        return Err(input(
            "option --notice-months : attendu un nombre de mois entre 1 et 120",
        ));
    }
    let cal = calendar_arg(&a.calendar, None)?;
    let scope = school_scope_arg(a.academie.as_deref())?;
    let t = termination::compute(
        received,
        requested,
        months,
        &cal,
        &SchoolCalendar::embedded(),
        scope,
    )
    .map_err(|e| input(e.to_string()))?;
    if a.json {
        print_json(&json!({
            "received": received.to_string(),
            "requested": requested.to_string(),
            "notice_last_day": t.notice.end.to_string(),
            "request_school_year": t.request_year.to_string(),
            "next_rentree": t.next_rentree.to_string(),
            "effective": t.effective.to_string(),
            "effective_at_rentree": t.effective_at_rentree.as_ref().ok().map(|d| d.to_string()),
            "effective_at_rentree_error": t.effective_at_rentree.as_ref().err().map(|e| e.to_string()),
            "diverge": t.diverge,
            "explanation": t.explanation(),
        }));
    } else {
        println!("{}", t.effective);
        for line in t.explanation() {
            println!("{line}");
        }
    }
    Ok(())
}

/// Validates procedures (and the configuration if given); prints each error
/// with its file, line and fix hint.
pub fn check(procedures: Option<&Path>, config: Option<&Path>) -> Outcome {
    let default_dir = Path::new("procedures");
    let dir = procedures.or(default_dir.is_dir().then_some(default_dir));
    let lib = match dir {
        Some(d) => library::from_dir(d),
        None => library::embedded(),
    };
    let where_ = dir
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| "procédures intégrées".into());
    let lib = match lib {
        Ok(lib) => {
            println!(
                "{where_} : {}.",
                echeancier_core::french::count(
                    lib.procedures.len(),
                    "procédure valide",
                    "procédures valides"
                )
            );
            lib
        }
        Err(library::LoadError::Invalid(errors)) => {
            for e in &errors {
                println!("{e}");
            }
            return Err(input(format!(
                "{} dans les procédures ({where_})",
                echeancier_core::french::count(errors.len(), "erreur", "erreurs")
            )));
        }
        Err(e) => return Err(input(e.to_string())),
    };
    let templates = match Path::new("messages").is_dir() {
        true => crate::notice::Templates::from_dir(Path::new("messages")),
        false => crate::notice::Templates::embedded(),
    }
    .map_err(|e| input(e.to_string()))?;
    let findings = templates.check();
    let mut template_errors = 0;
    for (notice, f) in &findings {
        let level = match f.severity {
            echeancier_core::plain::Severity::Error => {
                template_errors += 1;
                "erreur"
            }
            echeancier_core::plain::Severity::Warning => "avertissement",
        };
        if f.excerpt.is_empty() {
            println!("messages/{notice} : {level} [{}] {}", f.rule, f.message);
        } else {
            println!(
                "messages/{notice} : {level} [{}] {} — « {} »",
                f.rule, f.message, f.excerpt
            );
        }
    }
    for proc in lib.procedures.values() {
        for step in &proc.steps {
            if let Some(n) = &step.parent_notice
                && !templates.has(n)
            {
                println!(
                    "{} : l'étape « {} » annonce l'avis « {n} », absent du dossier messages.",
                    proc.id, step.id
                );
                template_errors += 1;
            }
        }
    }
    if template_errors > 0 {
        return Err(input(format!(
            "{} dans les modèles d'avis",
            echeancier_core::french::count(template_errors, "erreur", "erreurs")
        )));
    }
    println!(
        "Modèles d'avis : {}.",
        echeancier_core::french::count(templates.languages().count(), "langue valide", "langues valides")
    );
    if let Some(path) = config {
        match Settings::load(path, Some(&lib)) {
            Ok(s) => {
                for w in &s.warnings {
                    println!("avertissement : {w}");
                }
                for w in exposed_data(&s) {
                    println!("avertissement : {w}");
                }
                println!("{} : configuration valide.", path.display());
                let explicit = procedures.map(|d| (lib.clone(), d.display().to_string()));
                report_versions(&s, explicit)?;
            }
            Err(errors) => {
                for e in &errors {
                    println!("{e}");
                }
                return Err(input(format!(
                    "{} dans la configuration",
                    echeancier_core::french::count(errors.len(), "erreur", "erreurs")
                )));
            }
        }
    }
    Ok(())
}

/// The open cases of the configuration's database whose procedure file
/// changed since they were planned, and how their dates would move with
/// the file loaded: old date → new date, with both explanations. The
/// procedures compared are `--procedures` when given (to try a folder
/// before it is deployed), else those the daemon loads. Changes nothing.
fn report_versions(settings: &Settings, explicit: Option<(Library, String)>) -> Outcome {
    let (lib, where_) = match explicit {
        Some(given) => given,
        None => match &settings.procedures_dir {
            Some(dir) => (
                library::from_dir(dir).map_err(|e| input(e.to_string()))?,
                dir.display().to_string(),
            ),
            None => (
                library::embedded().map_err(|e| input(e.to_string()))?,
                "procédures intégrées".to_string(),
            ),
        },
    };
    if let Some(db) = crate::daemon::sqlite_file(&settings.database_url)
        && !db.exists()
    {
        println!("Dossiers : pas encore de base de données, rien à comparer aux procédures.");
        return Ok(());
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| Failure::Runtime(e.into()))?;
    rt.block_on(async {
        let store = match Store::open(&settings.database_url).await {
            Ok(s) => s,
            Err(e) => {
                println!(
                    "avertissement : base de données injoignable, les dossiers ne sont pas comparés aux procédures ({e})."
                );
                return Ok(());
            }
        };
        let app = App::new(store, lib, Arc::new(SystemClock));
        let pending = app.pending_versions().await?;
        if pending.is_empty() {
            println!("Dossiers : tous les dossiers ouverts suivent la version actuelle de leur procédure ({where_}).");
            return Ok(());
        }
        let mut same_version: Vec<(&str, u32)> = pending
            .iter()
            .filter(|p| p.from.version == p.to.version)
            .map(|p| (p.procedure.as_str(), p.to.version))
            .collect();
        same_version.dedup();
        for (procedure, version) in same_version {
            println!(
                "avertissement : le fichier de la procédure {procedure} a changé sans que sa version change (version {version}) : augmentez version dans le fichier, pour que le journal des dossiers distingue les deux."
            );
        }
        let (moving, still): (Vec<_>, Vec<_>) = pending
            .iter()
            .partition(|p| !p.moves.is_empty() || p.unreadable.is_some());
        if !moving.is_empty() {
            println!("Dossiers ouverts dont les dates changeraient avec les procédures actuelles ({where_}) :");
        }
        for p in &moving {
            println!(
                "{} — {}, version {} → version {} :",
                p.reference, p.procedure, p.from.version, p.to.version
            );
            if p.unreadable.is_some() {
                println!(
                    "  ⚠ la version enregistrée ne se relit plus : ce dossier refuse toute modification tant que la nouvelle version ne lui est pas appliquée."
                );
            }
            for m in &p.moves {
                println!("  • {}", m.line());
                for (label, lines) in [("avant", &m.explanation_before), ("après", &m.explanation_after)] {
                    if lines.is_empty() {
                        continue;
                    }
                    println!("    {label} :");
                    for line in lines.iter() {
                        println!("      {line}");
                    }
                }
            }
            println!("  Pour appliquer : echeancier case apply-procedure {}", p.reference);
        }
        if !still.is_empty() {
            println!(
                "{} une version précédente de leur procédure sans qu'aucune date ne change : echeancier case apply-procedure --tous les met à jour.",
                echeancier_core::french::count(still.len(), "dossier suit", "dossiers suivent")
            );
        }
        Ok(())
    })
}

/// The data folder, the SQLite database and the folder of `.eml` files
/// hold personal data: one sentence for each that its group or others may
/// read (checked only where it exists).
fn exposed_data(settings: &Settings) -> Vec<String> {
    let mut places = vec![("le dossier de données", settings.data_dir.clone(), true)];
    if let Some(db) = crate::daemon::sqlite_file(&settings.database_url) {
        places.push(("la base de données", db.to_path_buf(), false));
    }
    if let crate::config::EmailMode::Files(dir) = &settings.email {
        places.push(("le dossier des courriels", dir.clone(), true));
    }
    places
        .into_iter()
        .filter_map(|(what, path, folder)| {
            let mode = crate::files::open_to_others(&path)?;
            Some(format!(
                "{what} {} a le mode {mode:o} : ses données personnelles sont accessibles au groupe ou aux autres utilisateurs ; corrigez avec chmod {} {}.",
                path.display(),
                if folder { "700" } else { "600" },
                path.display()
            ))
        })
        .collect()
}
