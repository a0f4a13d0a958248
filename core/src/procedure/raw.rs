//! The procedure and roles files as written: serde structs with French keys,
//! each value a person may get wrong kept with its span so that validation
//! can name its line. Nothing here is checked beyond TOML's types.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;

use super::{Effect, LatePolicy, Place, Scope};
use crate::located::FileError;

/// Reads a file into its raw structs, or the one error TOML found, with a
/// hint for the usual mistakes.
pub(super) fn read<T: DeserializeOwned>(file: &str, src: &str) -> Result<T, Vec<FileError>> {
    toml::from_str(src).map_err(|e| {
        let mut error = FileError::unreadable(file, src, &e);
        error.hint = if e.message().contains("unknown field") {
            "clé inconnue : vérifier l'orthographe ; les clés possibles sont listées dans le message"
        } else if e.message().contains("unknown variant") {
            "valeur inconnue : les valeurs possibles sont listées dans le message"
        } else if e.message().contains("missing field") {
            "ajouter la clé manquante"
        } else {
            "vérifier la syntaxe TOML de cette ligne"
        }
        .to_string();
        vec![error]
    })
}

// ---------------------------------------------------------------- roles.toml

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRolesFile {
    pub(super) roles: Vec<RawRole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRole {
    pub(super) id: Spanned<String>,
    pub(super) nom: String,
    pub(super) portee: Scope,
    #[serde(default)]
    pub(super) supervise: bool,
}

// ---------------------------------------------------------------- procedure file

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProcedure {
    pub(super) id: Spanned<String>,
    pub(super) nom: String,
    /// The version of the rules (an integer from 1; 1 when absent), any
    /// TOML value so that a wrong one gets a French error with its line.
    pub(super) version: Option<Spanned<toml::Value>>,
    pub(super) prefixe: Spanned<String>,
    pub(super) public: Spanned<String>,
    #[serde(default)]
    pub(super) source: String,
    #[serde(default)]
    pub(super) acteurs: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) evenements: Vec<RawEvent>,
    #[serde(default)]
    pub(super) parametres: Vec<RawParam>,
    /// What a case must meet to be opened.
    pub(super) condition: Option<RawCondition>,
    /// Dated milestones a case may add (`!jalon`).
    pub(super) jalons: Option<RawMilestones>,
    /// Who the procedure is meant for first: hints, never a refusal.
    pub(super) public_prioritaire: Option<RawPriority>,
    pub(super) etapes: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPriority {
    pub(super) texte: String,
    #[serde(default)]
    pub(super) classes: Vec<String>,
    pub(super) age_dans_l_annee: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMilestones {
    pub(super) nom: String,
    pub(super) role: Spanned<String>,
    pub(super) action: String,
    /// Who may add or move one.
    pub(super) roles: Spanned<Vec<Spanned<String>>>,
    pub(super) rappels: Option<RawReminders>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCondition {
    pub(super) nom: String,
    /// Events that must all be dated.
    #[serde(default)]
    pub(super) requis: Vec<Spanned<String>>,
    /// Events that must fall in one school year.
    #[serde(default)]
    pub(super) meme_annee_scolaire: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvent {
    pub(super) id: Spanned<String>,
    pub(super) nom: String,
    /// Who may set its date (required).
    pub(super) roles: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) reception: bool,
    /// Events and `ETAPE.fait` this date never precedes.
    #[serde(default)]
    pub(super) apres: Vec<Spanned<String>>,
    /// Entered and read on the web office only (a sanction's date).
    #[serde(default)]
    pub(super) confidentiel: bool,
    /// Dated the day the case is opened unless given.
    #[serde(default)]
    pub(super) a_l_ouverture: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParam {
    pub(super) id: Spanned<String>,
    pub(super) nom: String,
    pub(super) defaut: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawAmount {
    Fixed(i64),
    Param(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) jours: Option<Spanned<RawAmount>>,
    pub(super) semaines: Option<Spanned<RawAmount>>,
    pub(super) mois: Option<Spanned<RawAmount>>,
    pub(super) ans: Option<Spanned<RawAmount>>,
    pub(super) et_jours: Option<Spanned<i64>>,
    pub(super) report: Spanned<String>,
    #[serde(default)]
    pub(super) franc: bool,
    #[serde(default)]
    pub(super) inclusif: bool,
    #[serde(default)]
    pub(super) avant: bool,
    /// Only in `aussi`: the label of the additional date.
    pub(super) nom: Option<String>,
    /// Only in `aussi`: its own starting point (else the step's `depuis`).
    pub(super) depuis: Option<Spanned<String>>,
    /// The roll also skips the school holidays of the case's académie.
    #[serde(default)]
    pub(super) hors_vacances: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReminders {
    pub(super) avant_jours_ouvres: Option<Vec<Spanned<i64>>>,
    pub(super) le_jour: Option<bool>,
    pub(super) retard_chaque_jour_ouvre: Option<bool>,
    pub(super) escalade_apres_jours_ouvres: Option<Spanned<i64>>,
    pub(super) escalade_vers: Option<Spanned<String>>,
    pub(super) si_en_retard: Option<LatePolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub(super) id: Spanned<String>,
    pub(super) nom: String,
    pub(super) role: Spanned<String>,
    #[serde(default)]
    pub(super) action: String,
    pub(super) depuis: Spanned<String>,
    pub(super) delai: Spanned<RawRule>,
    #[serde(default)]
    pub(super) aussi: Vec<Spanned<RawRule>>,
    pub(super) effet: Option<Effect>,
    pub(super) demande: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) renouvellement_tacite: bool,
    #[serde(default)]
    pub(super) optionnelle: bool,
    pub(super) rappels: Option<RawReminders>,
    pub(super) avis_parents: Option<Spanned<String>>,
    pub(super) lieu: Option<Place>,
    /// The event whose date marks the step done.
    pub(super) fait_quand: Option<Spanned<String>>,
    /// An information date: reminded before, never late.
    #[serde(default)]
    pub(super) information: bool,
    /// Roles told the date of this step's appointment (who attends it).
    #[serde(default)]
    pub(super) presents: Vec<Spanned<String>>,
    /// Steps done once this step's appointment is set (the convocation).
    #[serde(default)]
    pub(super) rendez_vous_termine: Vec<Spanned<String>>,
    /// A step that comes back: every so many weeks after it was last done,
    /// until a date of the school year.
    pub(super) repetition: Option<Spanned<RawRepeat>>,
    /// What a family's absence at the appointment sets off.
    pub(super) si_absent: Option<Spanned<super::IfAbsent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRepeat {
    pub(super) semaines: u32,
    /// `@vacances_ete` (the default) or `@rentree_suivante`.
    #[serde(default)]
    pub(super) jusqu_a: Option<String>,
    /// Each occurrence is a session of this many hours...
    pub(super) heures_par_seance: Option<u32>,
    /// ...towards this many hours in the year.
    pub(super) objectif_heures: Option<u32>,
}
