//! The command line: argument definitions (clap), how a command fails
//! ([`Failure`]), and `run`, which starts the daemon. The handlers of the
//! other subcommands are in `tools` (calculators and `check`) and `case`
//! (case administration and link codes). Bad input ends with one French
//! line on standard error and a non-zero exit code.

use std::path::{Path, PathBuf};

mod case;
mod indicators;
mod tools;

pub use case::{case, link_code};
pub use indicators::indicators;
pub use tools::{check, deadline, school_year, termination};

use chrono::NaiveDate;
use clap::{Args, CommandFactory, Parser, Subcommand};
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
    /// Fichier de configuration (TOML) ; sans lui, les réglages par défaut intégrés
    #[arg(long, short, global = true, env = "ECHEANCIER_CONFIG", value_name = "FICHIER")]
    pub config: Option<PathBuf>,
    /// Journal au format JSON (une ligne par événement), pour un collecteur de journaux
    #[arg(long, global = true, env = "ECHEANCIER_LOG_JSON")]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Calcule une échéance et explique le calcul
    Deadline(DeadlineArgs),
    /// Donne l'année scolaire d'une date (par exemple 2025-2026)
    SchoolYear {
        /// La date, AAAA-MM-JJ ou JJ/MM/AAAA
        #[arg(value_name = "DATE")]
        date: String,
        /// Calendrier des jours fériés : metropole, alsace-moselle, guadeloupe, martinique, guyane, reunion, mayotte, saint-martin ou saint-barthelemy
        #[arg(long, default_value = "metropole", value_name = "CALENDRIER")]
        calendar: String,
        /// L'académie (Nantes, Corse, La Réunion…), ou un département ou une UAI qui la donne
        #[arg(long, value_name = "ACADEMIE")]
        academie: Option<String>,
    },
    /// Calcule la prise d'effet d'une résiliation de la convention (article 9), selon les deux lectures
    Termination(TerminationArgs),
    /// Vérifie les fichiers de procédures, les modèles d'avis et la configuration si elle est donnée
    Check {
        /// Dossier des procédures (par défaut : ./procedures, sinon les procédures intégrées)
        #[arg(long, value_name = "DOSSIER")]
        procedures: Option<PathBuf>,
    },
    /// Lance le démon : base locale, courriels en fichiers, console sur l'entrée standard
    Run {
        /// Charge les données de démonstration (si la base est vide)
        #[arg(long)]
        demo: bool,
        /// Identité de console sous laquelle taper les commandes (par exemple cpe)
        #[arg(long = "as", value_name = "IDENTITE")]
        as_identity: Option<String>,
    },
    /// Lance le démon avec la configuration et les données de démonstration
    Demo {
        /// Identité de console sous laquelle taper les commandes : chef, cpe, dasen, ienio ou caf
        #[arg(long = "as", value_name = "IDENTITE")]
        as_identity: Option<String>,
    },
    /// Administration des dossiers depuis un terminal
    #[command(subcommand)]
    Case(CaseCommand),
    /// Donne un code à usage unique qui relie un compte de messagerie à une personne de l'annuaire
    Lien {
        /// Identifiant de la personne dans l'annuaire (par exemple cpe)
        #[arg(value_name = "PERSONNE")]
        personne: String,
        /// Messagerie du compte : telegram, matrix ou console
        #[arg(long, default_value = "telegram", value_name = "CANAL")]
        canal: String,
    },
    /// Donne les indicateurs de la relation avec les familles d'un établissement ou d'un département (les nombres de 1 à 4 s'affichent « < 5 »)
    Indicateurs {
        /// UAI de l'établissement (par défaut : tout le département)
        #[arg(long, value_name = "UAI")]
        etablissement: Option<String>,
        /// Département, par exemple 049 (par défaut : le premier de la configuration)
        #[arg(long, value_name = "DEPARTEMENT")]
        departement: Option<String>,
        /// Année scolaire (2026-2027) ou trimestre (2026-2027-T1) ; par défaut, l'année en cours
        #[arg(long, value_name = "PERIODE")]
        periode: Option<String>,
        /// Sortie CSV (séparateur point-virgule)
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// Point de départ, AAAA-MM-JJ (le jour de l'événement)
    #[arg(long, allow_hyphen_values = true, value_name = "DATE")]
    pub from: Option<String>,
    /// Durée en jours
    #[arg(long, allow_hyphen_values = true, value_name = "NOMBRE")]
    pub days: Option<String>,
    /// Durée en semaines (une semaine compte 7 jours)
    #[arg(long, allow_hyphen_values = true, value_name = "NOMBRE")]
    pub weeks: Option<String>,
    /// Durée en mois (même quantième, ou dernier jour du mois)
    #[arg(long, allow_hyphen_values = true, value_name = "NOMBRE")]
    pub months: Option<String>,
    /// Durée en années
    #[arg(long, allow_hyphen_values = true, value_name = "NOMBRE")]
    pub years: Option<String>,
    /// Jours ajoutés après les mois ou années (« 2 mois et 5 jours »)
    #[arg(long, allow_hyphen_values = true, value_name = "NOMBRE")]
    pub and_days: Option<String>,
    /// Calendrier des jours fériés : metropole, alsace-moselle, guadeloupe, martinique, guyane, reunion, mayotte, saint-martin ou saint-barthelemy
    #[arg(long, default_value = "metropole", value_name = "CALENDRIER")]
    pub calendar: String,
    /// Vendredi saint férié ou non (calendrier alsace-moselle) : oui ou non
    #[arg(long, value_name = "OUI_NON")]
    pub good_friday: Option<String>,
    /// Dernier jour non ouvré : forward (jour ouvré suivant), none (jamais reporté) ou backward (jour ouvré précédent)
    #[arg(long, default_value = "forward", value_name = "REPORT")]
    pub roll: String,
    /// Délai franc : ni le jour de départ ni le dernier jour ne comptent
    #[arg(long)]
    pub franc: bool,
    /// Le jour de départ compte (« en vigueur à partir du ... pour N ans »)
    #[arg(long)]
    pub inclusive: bool,
    /// Délai compté avant la date donnée
    #[arg(long)]
    pub before: bool,
    /// Résultat en JSON, pour un script
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TerminationArgs {
    /// Réception de la lettre recommandée par le dernier partenaire, AAAA-MM-JJ
    #[arg(long, allow_hyphen_values = true, value_name = "DATE")]
    pub received: Option<String>,
    /// Date de la demande, si elle diffère (par défaut : la réception)
    #[arg(long, allow_hyphen_values = true, value_name = "DATE")]
    pub requested: Option<String>,
    /// Durée du préavis en mois
    #[arg(long, default_value = "3", allow_hyphen_values = true, value_name = "NOMBRE")]
    pub notice_months: String,
    /// Calendrier des jours fériés : metropole, alsace-moselle, guadeloupe, martinique, guyane, reunion, mayotte, saint-martin ou saint-barthelemy
    #[arg(long, default_value = "metropole", value_name = "CALENDRIER")]
    pub calendar: String,
    /// L'académie dont l'année scolaire compte (ou un département, une UAI) ; par défaut, les dates communes à la métropole
    #[arg(long, value_name = "ACADEMIE")]
    pub academie: Option<String>,
    /// Résultat en JSON, pour un script
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Ouvre un dossier et affiche sa référence
    New(NewCaseArgs),
    /// Liste les dossiers ouverts
    List {
        /// Inclut les dossiers clos
        #[arg(long)]
        all: bool,
    },
    /// Affiche un dossier, ses étapes et leur calcul
    Show {
        /// Référence du dossier (par exemple PAR-2026-0001)
        #[arg(value_name = "REFERENCE")]
        reference: String,
        /// Affiche aussi le journal d'audit
        #[arg(long)]
        audit: bool,
        /// Affiche les coordonnées des responsables légaux (données personnelles)
        #[arg(long)]
        contacts: bool,
    },
    /// Marque une étape faite, ou la reporte
    Step {
        /// Référence du dossier (par exemple PAR-2026-0001)
        #[arg(value_name = "REFERENCE")]
        reference: String,
        /// Identifiant de l'étape (par exemple entretien)
        #[arg(value_name = "ETAPE")]
        step: String,
        /// fait (l'étape est faite) ou report (nouvelle échéance)
        #[arg(value_name = "ACTION")]
        action: String,
        /// Date (fait : aujourd'hui par défaut ; report : la nouvelle échéance)
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
        /// Motif d'un report (reste dans le dossier)
        #[arg(long, value_name = "MOTIF")]
        reason: Option<String>,
        /// Confirme un report au-delà de la date légale de l'étape
        #[arg(long)]
        confirm: bool,
    },
    /// Renseigne la date d'un événement du dossier
    Event {
        /// Référence du dossier (par exemple PAR-2026-0001)
        #[arg(value_name = "REFERENCE")]
        reference: String,
        /// Identifiant de l'événement (par exemple saisine_recue)
        #[arg(value_name = "EVENEMENT")]
        event: String,
        /// La date, AAAA-MM-JJ ou JJ/MM/AAAA
        #[arg(value_name = "DATE")]
        date: String,
    },
    /// Clôt un dossier
    Close {
        /// Référence du dossier (par exemple PAR-2026-0001)
        #[arg(value_name = "REFERENCE")]
        reference: String,
    },
    /// Donne le journal d'audit d'un dossier, en JSON (il reste disponible après la purge)
    Export {
        /// Référence du dossier (par exemple PAR-2026-0001)
        #[arg(value_name = "REFERENCE")]
        reference: String,
    },
    /// Purge les dossiers clos dont la durée de conservation est échue
    Purge,
    /// Applique à un dossier la version actuelle du fichier de sa procédure : ses dates sont recalculées avec les nouvelles règles, et le journal garde les deux versions (echeancier check --config liste les dossiers concernés)
    ApplyProcedure {
        /// Référence du dossier (par exemple PAR-2026-0001)
        #[arg(value_name = "REFERENCE", required_unless_present = "tous")]
        reference: Option<String>,
        /// Applique la version actuelle à tous les dossiers ouverts qui suivent une version précédente
        #[arg(long, conflicts_with = "reference")]
        tous: bool,
    },
}

#[derive(Debug, Args)]
pub struct NewCaseArgs {
    /// Procédure du dossier : par, parcours, convention, communication ou accompagnement
    #[arg(long, value_name = "PROCEDURE")]
    pub procedure: String,
    /// UAI de l'établissement (dossiers d'élèves)
    #[arg(long, value_name = "UAI")]
    pub uai: Option<String>,
    /// Département (éléments de partenariat), par exemple 049
    #[arg(long, value_name = "DEPARTEMENT")]
    pub departement: Option<String>,
    /// Dossier parent (la convention d'une communication)
    #[arg(long, value_name = "REFERENCE")]
    pub parent: Option<String>,
    /// Titre (éléments de partenariat seulement)
    #[arg(long, value_name = "TITRE")]
    pub title: Option<String>,
    /// Partenaire destinataire (répétable)
    #[arg(long = "partner", value_name = "PARTENAIRE")]
    pub partners: Vec<String>,
    /// Date d'un événement, EVENEMENT=DATE (répétable)
    #[arg(long = "event", value_name = "EVENEMENT=DATE")]
    pub events: Vec<String>,
    /// Valeur d'un paramètre de la procédure, PARAMETRE=VALEUR (répétable)
    #[arg(long = "param", value_name = "PARAMETRE=VALEUR")]
    pub params: Vec<String>,
    /// Nom de l'élève (jamais affiché dans les salons)
    #[arg(long, value_name = "NOM")]
    pub pupil: Option<String>,
    /// Classe de l'élève (jamais affichée dans les salons)
    #[arg(long, value_name = "CLASSE")]
    pub class: Option<String>,
    /// Responsable légal : "Nom;courriel;téléphone;langue;oral" (répétable)
    #[arg(long = "guardian", value_name = "RESPONSABLE")]
    pub guardians: Vec<String>,
    /// Date d'ouverture (par défaut : aujourd'hui)
    #[arg(long, value_name = "DATE")]
    pub opened: Option<String>,
    /// Ouvrir même si une date contredit l'ordre prévu ou la condition d'ouverture (le dossier reste signalé)
    #[arg(long = "confirme")]
    pub confirm: bool,
}

/// The command line with clap's own English replaced, on every
/// subcommand: the help and version flags, the `help` subcommand, the
/// headings of the help, its "Usage:" line, and the default values and
/// environment variables, said in the help text instead.
pub fn command() -> clap::Command {
    french(Cli::command(), true)
}

/// Parses the command line; `help [COMMANDE…]` at any level answers with
/// the help of that command, as `COMMANDE… --help` would.
pub fn parse() -> Result<Cli, clap::Error> {
    parse_from(std::env::args_os())
}

/// [`parse`] on the given words (the first is the program's name).
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    let matches = command().try_get_matches_from(args)?;
    let mut path = vec!["echeancier".to_string()];
    let mut m = &matches;
    while let Some((name, sub)) = m.subcommand() {
        if name == "help" {
            path.extend(sub.get_many::<String>("commande").into_iter().flatten().cloned());
            path.push("--help".into());
            return Err(match command().try_get_matches_from(path) {
                Err(e) => e,
                Ok(_) => command().error(clap::error::ErrorKind::InvalidSubcommand, "aide"),
            });
        }
        path.push(name.to_string());
        m = sub;
    }
    Cli::from_arg_matches(&matches)
}

fn french(cmd: clap::Command, top: bool) -> clap::Command {
    use clap::{Arg, ArgAction};
    const LAST: usize = 1000;
    let mut cmd = cmd
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .subcommand_help_heading("Commandes")
        .subcommand_value_name("COMMANDE")
        .mut_args(french_arg)
        .arg(
            Arg::new("aide")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("Affiche cette aide")
                .display_order(LAST),
        );
    if top {
        // The options of every command after each command's own.
        cmd = cmd
            .mut_args(|a| match a.is_global_set() {
                true => a.display_order(LAST - 10),
                false => a,
            })
            .disable_version_flag(true)
            .arg(
                Arg::new("version")
                    .short('V')
                    .long("version")
                    .action(ArgAction::Version)
                    .help("Affiche la version")
                    .display_order(LAST),
            );
    }
    if cmd.has_subcommands() {
        let help = clap::Command::new("help")
            .about("Affiche l'aide d'une commande (par exemple : echeancier help case new)")
            .arg(
                Arg::new("commande")
                    .num_args(1..)
                    .value_name("COMMANDE")
                    .help("La commande, suivie de ses sous-commandes"),
            );
        cmd = cmd
            .mut_subcommands(|sub| french(sub, false))
            .subcommand(french(help, false));
    }
    let positionals = cmd.get_positionals().next().is_some();
    let subcommands = cmd.has_subcommands();
    cmd.help_template(template(positionals, subcommands))
}

/// A help page in French: clap's headings are English, so each section is
/// named here ("Options :", with the French space before the colon).
fn template(positionals: bool, subcommands: bool) -> String {
    let mut t = String::from("{before-help}{about-with-newline}\nUtilisation : {usage}\n");
    if subcommands {
        t.push_str("\nCommandes :\n{subcommands}\n");
    }
    if positionals {
        t.push_str("\nArguments :\n{positionals}\n");
    }
    t.push_str("\nOptions :\n{options}{after-help}");
    t
}

/// An argument's default value and environment variable, said in French
/// in its help rather than by clap ("[default: …]", "[env: …]").
fn french_arg(arg: clap::Arg) -> clap::Arg {
    let mut notes = Vec::new();
    let mut arg = arg;
    if let [value] = arg.get_default_values() {
        notes.push(format!("par défaut : {}", value.to_string_lossy()));
        arg = arg.hide_default_value(true);
    }
    if let Some(var) = arg.get_env() {
        notes.push(format!("variable d'environnement {}", var.to_string_lossy()));
        arg = arg.hide_env(true);
    }
    if notes.is_empty() {
        return arg;
    }
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    arg.help(format!("{help} ({})", notes.join(" ; ")))
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
    parse_date(v).map_err(|e| input(format!("option --{name} : {e}")))
}

fn amount_arg(value: &str, name: &str) -> Result<u32, Failure> {
    match value.trim().parse::<i64>() {
        Ok(n) if n < 0 => Err(input(format!(
            "option --{name} {value} : une durée ne peut pas être négative (attendu un nombre entier positif ; pour compter avant une date, ajoutez --before)"
        ))),
        Ok(n) if n > i64::from(deadline::MAX_DAYS) => Err(input(format!(
            "option --{name} {value} : durée trop longue (au plus {} jours ou {} mois)",
            deadline::MAX_DAYS,
            deadline::MAX_MONTHS
        ))),
        Ok(n) => Ok(n as u32),
        Err(_) => Err(input(format!(
            "option --{name} « {value} » : attendu un nombre entier positif"
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
            return Err(input(format!(
                "option --good-friday « {other} » : attendu oui ou non"
            )));
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
        input(format!(
            "configuration à corriger : {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ; ")
        ))
    })?;
    let lib = match &settings.procedures_dir {
        Some(dir) => library::from_dir(dir).map_err(|e| match e {
            library::LoadError::Invalid(errors) => input(format!(
                "procédures à corriger : {}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ; ")
            )),
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
            crate::demo::as_if_running(daemon.app()).await?;
            tracing::info!(cases = ?refs, "demo data loaded");
        }
        if let Some(web) = &daemon.settings().web {
            println!(
                "Bureau web : {} — tapez !connexion dans la console pour recevoir un lien de connexion.",
                web.public_url
            );
        }
        let identity = daemon.settings().console_identity.clone();
        println!("{}", crate::demo::welcome(daemon.app(), &identity).await);
    }
    daemon.run(stop).await?;
    Ok(())
}

/// Turns a clap error into one French line (help and version pass
/// through), pointing to the help of the command that was typed.
pub fn french_usage_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ErrorKind};
    let context = |kind| e.get(kind).map(|v| v.to_string()).unwrap_or_default();
    let arg = context(ContextKind::InvalidArg);
    let help = format!("voir {} --help", typed_command(e));
    let suggestion = |kind| match context(kind) {
        s if s.is_empty() => String::new(),
        s => format!(" (vouliez-vous dire {s} ?)"),
    };
    let msg = match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return None;
        }
        ErrorKind::UnknownArgument => format!(
            "option inconnue {arg}{} : {help}",
            suggestion(ContextKind::SuggestedArg)
        ),
        ErrorKind::InvalidSubcommand => format!(
            "commande inconnue « {} »{} : {help}",
            context(ContextKind::InvalidSubcommand),
            suggestion(ContextKind::SuggestedSubcommand)
        ),
        ErrorKind::MissingRequiredArgument => {
            format!("il manque un argument obligatoire, {arg} : {help}")
        }
        ErrorKind::MissingSubcommand => format!("il manque la commande : {help}"),
        ErrorKind::InvalidValue if context(ContextKind::InvalidValue).is_empty() => {
            format!("il manque la valeur de {arg} : {help}")
        }
        ErrorKind::InvalidValue => format!("valeur invalide pour {arg} : {help}"),
        ErrorKind::ArgumentConflict => format!("options incompatibles, {arg} : {help}"),
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            format!("trop de valeurs pour {arg} : {help}")
        }
        _ => format!("arguments invalides : {help}"),
    };
    Some(msg)
}

/// The command an error is about ("echeancier case show"), read from the
/// usage line clap attaches to it.
fn typed_command(e: &clap::Error) -> String {
    let usage = e
        .get(clap::error::ContextKind::Usage)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let words: Vec<&str> = usage
        .split_whitespace()
        .skip_while(|w| *w != "echeancier")
        .take_while(|w| !w.starts_with('-') && w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect();
    if words.is_empty() {
        "echeancier".to_string()
    } else {
        words.join(" ")
    }
}
