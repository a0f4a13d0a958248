//! The command line: argument definitions (clap) and the handlers of each
//! subcommand. Bad input ends with one French line on standard error and a
//! non-zero exit code; see [`Failure`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use echeancier_core::calendar::{Calendar, CalendarId};
use echeancier_core::deadline::{self, Period, Roll, Rule};
use echeancier_core::french::{long_date, parse_date};
use echeancier_core::procedure::Library;
use echeancier_core::school::SchoolCalendar;
use echeancier_core::termination;
use serde_json::json;

use crate::app::{App, AppError, Change, GuardianInput, OpenCase, Who};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::library;
use crate::store::Store;
use crate::store::leader::Leader;

#[derive(Debug, Parser)]
#[command(
    name = "echeancier",
    version,
    about = "Échéances des procédures scolaires : calcul expliqué, suivi des dossiers, rappels."
)]
pub struct Cli {
    /// Fichier de configuration (TOML). Sans lui, les valeurs par défaut intégrées.
    #[arg(long, short, global = true, env = "ECHEANCIER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Journal au format JSON (une ligne par événement), pour un collecteur de journaux.
    #[arg(long, global = true, env = "ECHEANCIER_LOG_JSON")]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Calcule une échéance et explique le calcul.
    Deadline(DeadlineArgs),
    /// Donne l'année scolaire d'une date (par exemple 2025-2026).
    SchoolYear {
        /// La date, AAAA-MM-JJ.
        date: String,
        #[arg(long, default_value = "metropole")]
        calendar: String,
    },
    /// Calcule la prise d'effet d'une résiliation de convention (art. 9), selon les deux lectures.
    Termination(TerminationArgs),
    /// Vérifie les fichiers de procédures (et la configuration si elle est donnée).
    Check {
        /// Dossier des procédures (par défaut : ./procedures, sinon les procédures intégrées).
        #[arg(long)]
        procedures: Option<PathBuf>,
    },
    /// Lance le démon : base locale, courriels en fichiers, console sur l'entrée standard.
    Run {
        /// Charge les données de démonstration (si la base est vide).
        #[arg(long)]
        demo: bool,
        /// Identité de console sous laquelle taper les commandes.
        #[arg(long = "as")]
        as_identity: Option<String>,
    },
    /// Lance le démon avec la configuration et les données de démonstration.
    Demo {
        #[arg(long = "as")]
        as_identity: Option<String>,
    },
    /// Administration des dossiers depuis un terminal.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Donne un code à usage unique qui relie un compte de messagerie à une personne de l'annuaire.
    Lien {
        /// Identifiant de la personne dans l'annuaire (par exemple cpe).
        personne: String,
        /// telegram, matrix ou console.
        #[arg(long, default_value = "telegram")]
        canal: String,
    },
}

#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// Point de départ, AAAA-MM-JJ (le jour de l'événement).
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub days: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub weeks: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub months: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub years: Option<String>,
    /// Jours ajoutés après les mois ou années.
    #[arg(long, allow_hyphen_values = true)]
    pub and_days: Option<String>,
    #[arg(long, default_value = "metropole")]
    pub calendar: String,
    /// Vendredi saint férié ou non (calendrier alsace-moselle) : oui ou non.
    #[arg(long)]
    pub good_friday: Option<String>,
    /// forward (jour ouvré suivant), none (jamais reporté), backward (jour ouvré précédent).
    #[arg(long, default_value = "forward")]
    pub roll: String,
    /// Délai franc : le dernier jour ne compte pas.
    #[arg(long)]
    pub franc: bool,
    /// Le jour de départ compte (« en vigueur à partir du ... pour N ans »).
    #[arg(long)]
    pub inclusive: bool,
    /// Délai compté avant la date donnée.
    #[arg(long)]
    pub before: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TerminationArgs {
    /// Réception de la lettre recommandée par le dernier partenaire.
    #[arg(long, allow_hyphen_values = true)]
    pub received: Option<String>,
    /// Date de la demande, si elle diffère (par défaut : la réception).
    #[arg(long, allow_hyphen_values = true)]
    pub requested: Option<String>,
    #[arg(long, default_value = "3", allow_hyphen_values = true)]
    pub notice_months: String,
    #[arg(long, default_value = "metropole")]
    pub calendar: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Ouvre un dossier et affiche sa référence.
    New(NewCaseArgs),
    /// Liste les dossiers.
    List {
        /// Inclut les dossiers clos.
        #[arg(long)]
        all: bool,
    },
    /// Affiche un dossier, ses étapes et leur calcul.
    Show {
        reference: String,
        /// Affiche aussi le journal d'audit.
        #[arg(long)]
        audit: bool,
        /// Affiche les coordonnées des responsables légaux (données personnelles).
        #[arg(long)]
        contacts: bool,
    },
    /// Marque une étape faite, ou la reporte.
    Step {
        reference: String,
        step: String,
        /// fait (done) ou report (reschedule).
        action: String,
        /// Date (fait : aujourd'hui par défaut ; report : la nouvelle échéance).
        #[arg(long)]
        date: Option<String>,
        /// Motif d'un report.
        #[arg(long)]
        reason: Option<String>,
        /// Confirme un report au-delà de la date légale de l'étape.
        #[arg(long)]
        confirm: bool,
    },
    /// Renseigne la date d'un événement du dossier.
    Event {
        reference: String,
        event: String,
        date: String,
    },
    /// Clôt un dossier.
    Close { reference: String },
    /// Le journal d'audit d'un dossier, en JSON (reste disponible après la purge).
    Export { reference: String },
    /// Purge les dossiers clos dont la durée de conservation est échue.
    Purge,
}

#[derive(Debug, Args)]
pub struct NewCaseArgs {
    #[arg(long)]
    pub procedure: String,
    /// UAI de l'établissement (dossiers d'élèves).
    #[arg(long)]
    pub uai: Option<String>,
    /// Département (éléments de partenariat), par exemple 049.
    #[arg(long)]
    pub departement: Option<String>,
    /// Dossier parent (la convention d'une communication).
    #[arg(long)]
    pub parent: Option<String>,
    /// Titre (éléments de partenariat seulement).
    #[arg(long)]
    pub title: Option<String>,
    /// Partenaire destinataire (répétable).
    #[arg(long = "partner")]
    pub partners: Vec<String>,
    /// EVENEMENT=DATE (répétable).
    #[arg(long = "event")]
    pub events: Vec<String>,
    /// PARAMETRE=VALEUR (répétable).
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// Nom de l'élève (jamais affiché dans les salons).
    #[arg(long)]
    pub pupil: Option<String>,
    #[arg(long)]
    pub class: Option<String>,
    /// Responsable légal : "Nom;courriel;téléphone;langue;oral" (répétable).
    #[arg(long = "guardian")]
    pub guardians: Vec<String>,
    /// Date d'ouverture (par défaut : aujourd'hui).
    #[arg(long)]
    pub opened: Option<String>,
}

/// How a command failed: bad input (exit 2) or a runtime failure (exit 1).
#[derive(Debug)]
pub enum Failure {
    Input(String),
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(s) => Failure::Runtime(s.into()),
            AppError::Runtime(e) => Failure::Runtime(anyhow::anyhow!(e)),
            other => Failure::Input(other.to_string()),
        }
    }
}

type Outcome = Result<(), Failure>;

fn input(msg: impl Into<String>) -> Failure {
    Failure::Input(msg.into())
}

fn date_arg(value: Option<&str>, name: &str) -> Result<NaiveDate, Failure> {
    let v = value.ok_or_else(|| input(format!("il manque --{name} AAAA-MM-JJ")))?;
    parse_date(v).map_err(|e| input(format!("--{name} : {e}")))
}

fn amount_arg(value: &str, name: &str) -> Result<u32, Failure> {
    match value.trim().parse::<i64>() {
        Ok(n) if n < 0 => Err(input(format!(
            "--{name} {value} : une durée ne peut pas être négative (attendu un entier positif ; pour compter avant une date, --before)"
        ))),
        Ok(n) if n > i64::from(deadline::MAX_DAYS) => Err(input(format!(
            "--{name} {value} : durée trop longue (au plus {} jours ou {} mois)",
            deadline::MAX_DAYS,
            deadline::MAX_MONTHS
        ))),
        Ok(n) => Ok(n as u32),
        Err(_) => Err(input(format!(
            "--{name} « {value} » : attendu un nombre entier positif"
        ))),
    }
}

fn calendar_arg(name: &str, good_friday: Option<&str>) -> Result<Calendar, Failure> {
    let id: CalendarId = name
        .parse()
        .map_err(|e: echeancier_core::calendar::UnknownCalendar| input(e.to_string()))?;
    let mut cal = Calendar::new(id);
    match good_friday.map(str::trim) {
        None => {}
        Some("oui" | "yes" | "true") => cal = cal.with_good_friday(true),
        Some("non" | "no" | "false") => cal = cal.with_good_friday(false),
        Some(other) => {
            return Err(input(format!("--good-friday « {other} » : attendu oui ou non")));
        }
    }
    Ok(cal)
}

fn print_json(v: &serde_json::Value) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("{e}"),
    }
}

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
                "il manque la durée : une option parmi --days, --weeks, --months, --years",
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

pub fn school_year(date: &str, calendar: &str) -> Outcome {
    let d = parse_date(date).map_err(|e| input(e.to_string()))?;
    let cal = calendar_arg(calendar, None)?;
    let year = SchoolCalendar::embedded()
        .school_year(d, cal.id)
        .map_err(|e| input(e.to_string()))?;
    println!("{year}");
    Ok(())
}

pub fn termination(a: &TerminationArgs) -> Outcome {
    let received = date_arg(a.received.as_deref(), "received")?;
    let requested = match &a.requested {
        Some(r) => parse_date(r).map_err(|e| input(format!("--requested : {e}")))?,
        None => received,
    };
    let months = amount_arg(&a.notice_months, "notice-months")?;
    if months == 0 || months > 120 {
        return Err(input(
            "--notice-months : attendu un nombre de mois entre 1 et 120",
        ));
    }
    let cal = calendar_arg(&a.calendar, None)?;
    let t = termination::compute(received, requested, months, &cal, &SchoolCalendar::embedded())
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
            println!("{where_} : {} procédure(s) valides.", lib.procedures.len());
            lib
        }
        Err(library::LoadError::Invalid(errors)) => {
            for e in &errors {
                println!("{e}");
            }
            return Err(input(format!(
                "{} erreur(s) dans les procédures ({where_})",
                errors.len()
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
                    "{} : l'étape « {} » annonce l'avis « {n} », absent de messages/",
                    proc.id, step.id
                );
                template_errors += 1;
            }
        }
    }
    if template_errors > 0 {
        return Err(input(format!(
            "{template_errors} erreur(s) dans les modèles d'avis"
        )));
    }
    println!(
        "modèles d'avis : {} langue(s) valides.",
        templates.languages().count()
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
            }
            Err(errors) => {
                for e in &errors {
                    println!("{e}");
                }
                return Err(input(format!("{} erreur(s) dans la configuration", errors.len())));
            }
        }
    }
    Ok(())
}

/// The data folder, the SQLite database and the folder of `.eml` files
/// hold personal data: one sentence for each that its group or others may
/// read (checked only where it exists).
fn exposed_data(settings: &Settings) -> Vec<String> {
    let mut places = vec![("le dossier de données", settings.data_dir.clone(), true)];
    if let Some(db) = sqlite_file(&settings.database_url) {
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

/// Settings and procedures for commands that use the database.
pub fn settings(config: Option<&Path>, demo: bool) -> Result<(Settings, Library), Failure> {
    let bootstrap = library::embedded().map_err(|e| input(e.to_string()))?;
    let settings = match (config, demo) {
        (Some(path), _) => Settings::load(path, Some(&bootstrap)),
        (None, true) => Settings::parse("demo/demo.toml", crate::demo::CONFIG, Some(&bootstrap)),
        (None, false) => Settings::defaults(),
    }
    .map_err(|errors| {
        input(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ; "),
        )
    })?;
    let lib = match &settings.procedures_dir {
        Some(dir) => library::from_dir(dir).map_err(|e| match e {
            library::LoadError::Invalid(errors) => input(
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ; "),
            ),
            other => input(other.to_string()),
        })?,
        None => bootstrap,
    };
    Ok((settings, lib))
}

/// The file of a SQLite database URL (`None` for PostgreSQL or memory).
fn sqlite_file(url: &str) -> Option<&Path> {
    let path = url.strip_prefix("sqlite://")?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.contains(":memory:")).then(|| Path::new(path))
}

/// Opens the store and syncs the directory.
pub async fn open_app(settings: &Settings, lib: Library) -> Result<App, Failure> {
    if let Some(path) = sqlite_file(&settings.database_url) {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            crate::files::create_private_dir(parent)
                .map_err(|e| Failure::Runtime(anyhow::anyhow!("création de {} : {e}", parent.display())))?;
        }
        // Created here rather than by SQLite so that it is 0600 whatever
        // the umask; SQLite gives its -wal and -shm files the same mode.
        crate::files::create_private_file(path)
            .map_err(|e| Failure::Runtime(anyhow::anyhow!("création de {} : {e}", path.display())))?;
    }
    let store = Store::open(&settings.database_url)
        .await
        .map_err(|e| Failure::Runtime(e.into()))?;
    let templates = crate::notice::Templates::embedded().map_err(|e| input(e.to_string()))?;
    let app = App::new(store, lib, Arc::new(SystemClock))
        .with_options(crate::app::Options::from_settings(settings, templates));
    app.sync_directory(settings).await?;
    Ok(app)
}

pub async fn run(config: Option<&Path>, demo: bool, as_identity: Option<String>) -> Outcome {
    let (mut settings, lib) = settings(config, demo)?;
    if let Some(id) = as_identity {
        settings.console_identity = id;
    }
    for w in &settings.warnings {
        tracing::warn!("{w}");
    }
    // The console runs when asked ([console] actif = true), for the demo, or
    // when standard input is a terminal; `actif = false` turns it off.
    let console_on = settings
        .console
        .unwrap_or_else(|| demo || std::io::IsTerminal::is_terminal(&std::io::stdin()));
    settings.console = Some(console_on);
    let app = open_app(&settings, lib).await?;
    if demo {
        let refs = crate::demo::load(&app).await?;
        if !refs.is_empty() {
            tracing::info!(cases = ?refs, "demo data loaded");
        }
    }
    let mailer = crate::email::Mailer::new(&settings.email, &settings.email_from).map_err(input)?;
    let (console_tx, mut console_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    // The composition of the outbox: one sender per channel.
    let mut scheduler =
        crate::scheduler::Scheduler::new(app.clone(), settings.digests.clone()).with_sender(Arc::new(mailer));
    if console_on {
        scheduler = scheduler.with_sender(Arc::new(crate::console::ConsoleSender(console_tx)));
    }
    scheduler.lease = chrono::Duration::seconds(i64::try_from(settings.lease_seconds).unwrap_or(300));
    // Several instances may share a PostgreSQL database: one decides (the
    // tick), all deliver, and each chat account syncs in one instance.
    let tick_leader = Arc::new(Leader::new(&app.store, "planificateur"));
    scheduler = scheduler.with_tick_leader(tick_leader.clone());
    let every = std::time::Duration::from_secs(settings.tick_seconds.min(5));
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let mut matrix_task = None;
    let mut channels = vec![crate::http::ChannelInfo::new(
        "email",
        match &settings.email {
            crate::config::EmailMode::Files(_) => "fichiers",
            crate::config::EmailMode::Smtp(_) => "smtp",
        },
    )];
    if console_on {
        channels.push(crate::http::ChannelInfo::new("console", "console"));
    }
    if let Some(m) = &settings.matrix {
        let leader = Arc::new(Leader::new(&app.store, &format!("matrix:{}", m.user)));
        channels.push(crate::http::ChannelInfo {
            leader: Some(leader.clone()),
            ..crate::http::ChannelInfo::new("matrix", "configuré")
        });
        let ms = m.clone();
        let store_dir = settings.data_dir.join("matrix");
        let slot = crate::matrix::MatrixSlot::default();
        scheduler = scheduler.with_sender(crate::matrix::MatrixSender::new(slot.clone()));
        let app = app.clone();
        let rx = shutdown_rx.clone();
        matrix_task = Some(tokio::spawn(crate::daemon::while_leading(
            leader,
            every,
            rx,
            move |stop| {
                let (app, ms, slot, store_dir) = (app.clone(), ms.clone(), slot.clone(), store_dir.clone());
                async move {
                    match crate::matrix::MatrixBot::connect(app, &ms, &store_dir).await {
                        Ok(bot) => {
                            *slot.write().unwrap_or_else(|e| e.into_inner()) = Some(bot.clone());
                            tracing::info!("matrix front-end started");
                            if let Err(e) = bot.run(stop).await {
                                tracing::error!(error = %e, "matrix front-end stopped");
                            }
                            *slot.write().unwrap_or_else(|e| e.into_inner()) = None;
                        }
                        Err(e) => tracing::error!(error = %e, "matrix connection failed"),
                    }
                }
            },
        )));
    }
    let mut telegram_task = None;
    if let Some(t) = &settings.telegram {
        let bot = Arc::new(
            crate::telegram::Telegram::new(app.clone(), &t.token, t.api.as_deref(), t.groups.clone())
                .map_err(input)?,
        );
        // Any instance sends; one polls (Telegram refuses two pollers).
        scheduler = scheduler.with_sender(bot.clone());
        let token_id = crate::store::leader::lock_key(&t.token);
        let leader = Arc::new(Leader::new(&app.store, &format!("telegram:{token_id}")));
        // Sends work from every instance; the lock only says who polls.
        channels.push(crate::http::ChannelInfo::new("telegram", "configuré"));
        let rx = shutdown_rx.clone();
        telegram_task = Some(tokio::spawn(crate::daemon::while_leading(
            leader,
            every,
            rx,
            move |stop| {
                let bot = bot.clone();
                async move {
                    tracing::info!("telegram polling started");
                    bot.run(stop).await;
                }
            },
        )));
    }
    let interval = std::time::Duration::from_secs(settings.tick_seconds);
    let scheduler_rx = shutdown_rx.clone();
    let scheduler_task = tokio::spawn(async move { scheduler.run(interval, scheduler_rx).await });
    let printer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let mut out = tokio::io::stdout();
        while let Some(line) = console_rx.recv().await {
            let _ = out.write_all(format!("\n{line}\n> ").as_bytes()).await;
            let _ = out.flush().await;
        }
    });
    // Installed before "started" is logged: a SIGTERM from then on is ours.
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminate = async move {
        #[cfg(unix)]
        if let Some(s) = sigterm.as_mut() {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    let mut http_task = None;
    if let Some(addr) = settings.http {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| input(format!("écoute HTTP sur {addr} : {e}")))?;
        let mut rx = shutdown_rx.clone();
        let router = crate::http::router(
            app.clone(),
            channels,
            Some(tick_leader),
            settings.http_token.clone(),
        );
        http_task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.changed().await;
                })
                .await;
        }));
        tracing::info!(%addr, "health and metrics served");
    }
    tracing::info!(database = %crate::store::redact_url(&settings.database_url), "echeancier started");
    // A service stops on a signal only: the end of standard input closes
    // the console, not the daemon (under systemd it is /dev/null).
    let stop = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate => {}
        }
    };
    tokio::pin!(stop);
    if console_on {
        let stdin = tokio::io::BufReader::new(tokio::io::stdin());
        tokio::select! {
            r = crate::console::run(&app, &settings.console_identity, stdin, tokio::io::stdout()) => {
                r.map_err(|e| Failure::Runtime(e.into()))?;
                tracing::info!("end of standard input: the console is closed, the daemon goes on");
                (&mut stop).await;
            }
            _ = &mut stop => {}
        }
    } else {
        (&mut stop).await;
    }
    // Graceful stop: the scheduler finishes its batch, then exits.
    let _ = shutdown_tx.send(true);
    let _ = scheduler_task.await;
    if let Some(t) = telegram_task {
        let _ = t.await;
    }
    if let Some(t) = matrix_task {
        let _ = t.await;
    }
    if let Some(t) = http_task {
        let _ = t.await;
    }
    printer.abort();
    tracing::info!("echeancier stopped");
    Ok(())
}

fn split_pair(s: &str, what: &str) -> Result<(String, String), Failure> {
    s.split_once('=')
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .ok_or_else(|| input(format!("{what} « {s} » : attendu NOM=VALEUR")))
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
                    parse_date(&date).map_err(|e| input(format!("--event : {e}")))?,
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
                let name = opt(0).ok_or_else(|| input("--guardian : le nom est obligatoire"))?;
                guardians.push(GuardianInput {
                    name,
                    email: opt(1),
                    phone: opt(2),
                    language: opt(3).unwrap_or_else(|| "fr".into()),
                    needs_oral: matches!(f.get(4), Some(&"oral" | &"oui" | &"1")),
                });
            }
            let opened_on = a
                .opened
                .as_deref()
                .map(|d| parse_date(d).map_err(|e| input(format!("--opened : {e}"))))
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
                        guardians,
                        opened_on,
                    },
                    &who,
                )
                .await?;
            println!("{}", snap.case.reference);
        }
        CaseCommand::List { all } => {
            for c in app
                .store
                .list_cases(!all)
                .await
                .map_err(|e| Failure::Runtime(e.into()))?
            {
                let next = app
                    .snapshot(&c.reference)
                    .await?
                    .steps
                    .into_iter()
                    .filter(|s| s.state.is_pending())
                    .filter_map(|s| s.due.map(|d| (d, s.step)))
                    .min();
                let next = next
                    .map(|(d, s)| format!("prochaine échéance {d} ({s})"))
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
                let mut conn = app
                    .store
                    .pool()
                    .acquire()
                    .await
                    .map_err(|e| Failure::Runtime(e.into()))?;
                println!("\nResponsables légaux :");
                for g in Store::guardians(&mut conn, snap.case.id)
                    .await
                    .map_err(|e| Failure::Runtime(e.into()))?
                {
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
                for e in app
                    .store
                    .audit_trail(&snap.case.reference)
                    .await
                    .map_err(|e| Failure::Runtime(e.into()))?
                {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        e.at.to_rfc3339(),
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
            let trail = app
                .store
                .audit_trail(&reference)
                .await
                .map_err(|e| Failure::Runtime(e.into()))?;
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
    eprintln!("Code valable 24 heures, une seule fois : la personne l'envoie au robot avec !lier {code}");
    Ok(())
}

/// Turns a clap error into one French line (help and version pass through).
pub fn french_usage_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ErrorKind};
    let arg = e
        .get(ContextKind::InvalidArg)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let msg = match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return None;
        }
        ErrorKind::UnknownArgument => format!("option inconnue {arg} : voir echeancier --help"),
        ErrorKind::InvalidSubcommand => {
            let sub = e
                .get(ContextKind::InvalidSubcommand)
                .map(|v| v.to_string())
                .unwrap_or_default();
            format!("commande inconnue « {sub} » : voir echeancier --help")
        }
        ErrorKind::MissingRequiredArgument => {
            format!("il manque un argument obligatoire {arg} : voir echeancier --help")
        }
        ErrorKind::InvalidValue => format!("valeur invalide pour {arg} : voir echeancier --help"),
        ErrorKind::ArgumentConflict => {
            format!("options incompatibles {arg} : voir echeancier --help")
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            format!("trop de valeurs {arg} : voir echeancier --help")
        }
        _ => "arguments invalides : voir echeancier --help".to_string(),
    };
    Some(msg)
}
