//! The command line: argument definitions (clap), how a command fails
//! ([`Failure`]), and `run`, which starts the daemon. The handlers of the
//! other subcommands are in `tools` (calculators and `check`) and `case`
//! (case administration and link codes). Bad input ends with one French
//! line on standard error and a non-zero exit code.

use std::path::{Path, PathBuf};

mod case;
mod tools;

pub use case::{case, link_code};
pub use tools::{check, deadline, school_year, termination};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use echeancier_core::calendar::{Calendar, CalendarId};
use echeancier_core::deadline;
use echeancier_core::french::parse_date;
use echeancier_core::procedure::Library;

use crate::app::AppError;
use crate::config::Settings;
use crate::library;

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
        /// L'académie (Nantes, Corse, La Réunion…), ou un département ou une UAI qui la donne.
        #[arg(long)]
        academie: Option<String>,
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
    /// L'académie dont l'année scolaire compte (ou un département, une UAI) ; par défaut, les dates communes à la métropole.
    #[arg(long)]
    pub academie: Option<String>,
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

impl From<crate::daemon::Error> for Failure {
    fn from(e: crate::daemon::Error) -> Self {
        match e {
            crate::daemon::Error::Input(msg) => Failure::Input(msg),
            crate::daemon::Error::Runtime(msg) => Failure::Runtime(anyhow::anyhow!(msg)),
            crate::daemon::Error::App(e) => e.into(),
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

/// `run` and `demo`: the daemon on the configuration (or the embedded
/// defaults, or the demo's), until Ctrl-C or SIGTERM.
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
    let stop = crate::daemon::signals();
    let daemon = crate::daemon::Daemon::open(settings, lib).await?;
    if demo {
        let refs = crate::demo::load(daemon.app()).await?;
        if !refs.is_empty() {
            tracing::info!(cases = ?refs, "demo data loaded");
        }
        if let Some(web) = &daemon.settings().web {
            println!(
                "Bureau web : {} — tapez !connexion dans la console pour recevoir un lien de connexion.",
                web.public_url
            );
        }
    }
    daemon.run(stop).await?;
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
