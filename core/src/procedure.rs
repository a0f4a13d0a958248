//! Procedures as data. A procedure file (TOML, French keys) names its
//! events, steps, the role responsible for each step, each step's deadline
//! rule relative to an event or another step, its roll policy and its
//! reminder policy. Files are parsed into raw structs, then validated into
//! the domain types below, with line-numbered errors and a fix hint.
//!
//! Adding a procedure is adding a file: nothing here knows any procedure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use crate::deadline::{Direction, Period, Roll, Rule, Unit};

// ---------------------------------------------------------------- errors

/// An error in a procedure or roles file, located for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub message: String,
    pub hint: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} : {}", self.file, self.line, self.message)?;
        if !self.hint.is_empty() {
            write!(f, " (à corriger : {})", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for FileError {}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
    errors: Vec<FileError>,
}

impl Ctx<'_> {
    fn err<T>(&mut self, at: &Spanned<T>, message: impl Into<String>, hint: impl Into<String>) {
        self.errors.push(FileError {
            file: self.file.to_string(),
            line: line_of(self.src, at.span().start),
            message: message.into(),
            hint: hint.into(),
        });
    }
}

fn toml_error(file: &str, src: &str, e: toml::de::Error) -> FileError {
    let line = e.span().map(|s| line_of(src, s.start)).unwrap_or(1);
    let message = e.message().to_string();
    let hint = if message.contains("unknown field") {
        "clé inconnue : vérifier l'orthographe ; les clés possibles sont listées dans le message".to_string()
    } else if message.contains("missing field") {
        "ajouter la clé manquante".to_string()
    } else {
        "vérifier la syntaxe TOML de cette ligne".to_string()
    };
    FileError {
        file: file.to_string(),
        line,
        message: format!("fichier illisible : {message}"),
        hint,
    }
}

// ---------------------------------------------------------------- roles

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Acts on the cases of one establishment (chef d'établissement, CPE).
    Etablissement,
    /// Acts on the cases of a département (DSDEN offices).
    Departement,
    /// A convention partner: partnership items only, never individual cases.
    Partenaire,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub scope: Scope,
    /// May act on every step of the cases in its scope.
    pub supervises: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(BTreeMap<String, Role>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRolesFile {
    roles: Vec<RawRole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    id: Spanned<String>,
    nom: String,
    portee: Scope,
    #[serde(default)]
    supervise: bool,
}

impl Roles {
    pub fn parse(file: &str, src: &str) -> Result<Roles, Vec<FileError>> {
        let raw: RawRolesFile = toml::from_str(src).map_err(|e| vec![toml_error(file, src, e)])?;
        let mut ctx = Ctx {
            file,
            src,
            errors: vec![],
        };
        let mut map = BTreeMap::new();
        for r in raw.roles {
            if !is_ident(r.id.get_ref()) {
                ctx.err(
                    &r.id,
                    format!("identifiant de rôle « {} » invalide", r.id.get_ref()),
                    IDENT_HINT,
                );
                continue;
            }
            if map.contains_key(r.id.get_ref()) {
                ctx.err(
                    &r.id,
                    format!("rôle « {} » défini deux fois", r.id.get_ref()),
                    "supprimer le doublon",
                );
                continue;
            }
            let id = r.id.into_inner();
            map.insert(
                id.clone(),
                Role {
                    id,
                    name: r.nom,
                    scope: r.portee,
                    supervises: r.supervise,
                },
            );
        }
        if ctx.errors.is_empty() {
            Ok(Roles(map))
        } else {
            Err(ctx.errors)
        }
    }

    pub fn get(&self, id: &str) -> Option<&Role> {
        self.0.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Role> {
        self.0.values()
    }

    /// The human name of a role, or its id if unknown.
    pub fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.0.get(id).map(|r| r.name.as_str()).unwrap_or(id)
    }
}

// ---------------------------------------------------------------- domain types

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// An individual case (a pupil): chat rooms get only its opaque reference.
    Case,
    /// A partnership item (convention, communication): no individual data.
    Partnership,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDef {
    pub id: String,
    pub name: String,
    /// The roles that may set its date: a clock is moved only by whom the
    /// text makes responsible for it.
    pub roles: Vec<String>,
    /// A receipt (of a referral, of a registered letter): never in the future.
    pub receipt: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDef {
    pub id: String,
    pub name: String,
    pub default: Option<u32>,
}

/// Dates that come from the school calendar rather than from the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchoolAnchor {
    /// The rentrée of the case's school year.
    Rentree,
    /// The rentrée after it.
    NextRentree,
    /// The first day of the summer holidays of the case's school year.
    SummerStart,
}

/// What a step's deadline runs from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Anchor {
    Event(String),
    StepDone(String),
    StepDue(String),
    School(SchoolAnchor),
    /// Each partner's receipt of the item (convention art. 8).
    PartnerReceipt,
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::Event(e) => f.write_str(e),
            Anchor::StepDone(s) => write!(f, "{s}.fait"),
            Anchor::StepDue(s) => write!(f, "{s}.echeance"),
            Anchor::School(SchoolAnchor::Rentree) => f.write_str("@rentree"),
            Anchor::School(SchoolAnchor::NextRentree) => f.write_str("@rentree_suivante"),
            Anchor::School(SchoolAnchor::SummerStart) => f.write_str("@vacances_ete"),
            Anchor::PartnerReceipt => f.write_str("@reception_partenaire"),
        }
    }
}

/// An amount fixed in the file or read from a case parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Amount {
    Fixed(u32),
    Param(String),
}

/// A deadline rule whose amount may come from the case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleSpec {
    pub amount: Amount,
    pub unit: Unit,
    pub and_days: u32,
    pub roll: Roll,
    pub franc: bool,
    pub inclusive: bool,
    pub before: bool,
}

impl RuleSpec {
    /// The concrete rule for a case, `None` if a parameter is missing.
    pub fn resolve(&self, params: &BTreeMap<String, u32>, defaults: &[ParamDef]) -> Option<Rule> {
        let amount = match &self.amount {
            Amount::Fixed(n) => *n,
            Amount::Param(p) => match params.get(p) {
                Some(v) => *v,
                None => defaults.iter().find(|d| &d.id == p)?.default?,
            },
        };
        Some(Rule {
            period: Period {
                amount,
                unit: self.unit,
                and_days: self.and_days,
            },
            roll: self.roll,
            franc: self.franc,
            inclusive: self.inclusive,
            direction: if self.before {
                Direction::Before
            } else {
                Direction::After
            },
        })
    }
}

/// What to do with a reminder that fell due while the daemon was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatePolicy {
    /// Send it late, once, marked late.
    Envoyer,
    /// Do not send it; post a notice that it was skipped.
    IgnorerAvecAvis,
    /// Send it to the escalation role instead.
    Escalader,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// Working days before the last day at which to remind.
    pub before_working_days: Vec<u32>,
    /// Remind on the morning of the last day.
    pub on_day: bool,
    /// Remind every working day while overdue.
    pub overdue_daily: bool,
    /// Escalate after this many overdue working days.
    pub escalate_after: Option<u32>,
    pub escalate_to: Option<String>,
    pub late: LatePolicy,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy {
            before_working_days: vec![5, 2],
            on_day: true,
            overdue_daily: true,
            escalate_after: None,
            escalate_to: None,
            late: LatePolicy::Envoyer,
        }
    }
}

/// What a step's due date becomes once computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Art. 9: effective only from the school year after the request.
    AnneeScolaireSuivante,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlsoRule {
    pub label: String,
    pub rule: RuleSpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDef {
    pub id: String,
    pub name: String,
    pub role: String,
    /// What the responsible person has to do, in one sentence.
    pub action: String,
    pub anchor: Anchor,
    pub rule: RuleSpec,
    pub also: Vec<AlsoRule>,
    pub effect: Option<Effect>,
    /// For art. 9: the event giving the date of the request, if distinct.
    pub request_event: Option<String>,
    /// Art. 7: once the term passes without termination, the next term.
    pub tacit_renewal: bool,
    pub optional: bool,
    pub reminders: ReminderPolicy,
    /// The parent notice sent when an appointment is set for this step.
    pub parent_notice: Option<String>,
    /// Where the appointment takes place.
    pub place: Option<Place>,
}

/// Where parents are received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Etablissement,
    Dsden,
}

impl StepDef {
    pub fn per_partner(&self) -> bool {
        self.anchor == Anchor::PartnerReceipt
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub audience: Audience,
    pub source: String,
    /// Roles that may see the procedure's cases (plus each step's role).
    pub actors: Vec<String>,
    pub events: Vec<EventDef>,
    pub params: Vec<ParamDef>,
    pub steps: Vec<StepDef>,
}

impl Procedure {
    pub fn step(&self, id: &str) -> Option<&StepDef> {
        self.steps.iter().find(|s| s.id == id)
    }
    pub fn event(&self, id: &str) -> Option<&EventDef> {
        self.events.iter().find(|e| e.id == id)
    }
    /// Every role involved: the actors and each step's role.
    pub fn involves(&self, role: &str) -> bool {
        self.actors.iter().any(|a| a == role) || self.steps.iter().any(|s| s.role == role)
    }
}

// ---------------------------------------------------------------- raw file

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcedure {
    id: Spanned<String>,
    nom: String,
    prefixe: Spanned<String>,
    public: Spanned<String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    acteurs: Vec<Spanned<String>>,
    #[serde(default)]
    evenements: Vec<RawEvent>,
    #[serde(default)]
    parametres: Vec<RawParam>,
    etapes: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    id: Spanned<String>,
    nom: String,
    /// Who may set its date (required).
    roles: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    reception: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    id: Spanned<String>,
    nom: String,
    defaut: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawAmount {
    Fixed(i64),
    Param(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    jours: Option<Spanned<RawAmount>>,
    semaines: Option<Spanned<RawAmount>>,
    mois: Option<Spanned<RawAmount>>,
    ans: Option<Spanned<RawAmount>>,
    et_jours: Option<Spanned<i64>>,
    report: Spanned<String>,
    #[serde(default)]
    franc: bool,
    #[serde(default)]
    inclusif: bool,
    #[serde(default)]
    avant: bool,
    /// Only in `aussi`: the label of the additional date.
    nom: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReminders {
    avant_jours_ouvres: Option<Vec<Spanned<i64>>>,
    le_jour: Option<bool>,
    retard_chaque_jour_ouvre: Option<bool>,
    escalade_apres_jours_ouvres: Option<Spanned<i64>>,
    escalade_vers: Option<Spanned<String>>,
    si_en_retard: Option<LatePolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    nom: String,
    role: Spanned<String>,
    #[serde(default)]
    action: String,
    depuis: Spanned<String>,
    delai: Spanned<RawRule>,
    #[serde(default)]
    aussi: Vec<Spanned<RawRule>>,
    effet: Option<Effect>,
    demande: Option<Spanned<String>>,
    #[serde(default)]
    renouvellement_tacite: bool,
    #[serde(default)]
    optionnelle: bool,
    rappels: Option<RawReminders>,
    avis_parents: Option<Spanned<String>>,
    lieu: Option<Place>,
}

const IDENT_HINT: &str = "lettres minuscules sans accent, chiffres et _ seulement, par exemple saisine_recue";

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

impl Procedure {
    /// Parses and validates one procedure file against the known roles.
    pub fn parse(file: &str, src: &str, roles: &Roles) -> Result<Procedure, Vec<FileError>> {
        let raw: RawProcedure = toml::from_str(src).map_err(|e| vec![toml_error(file, src, e)])?;
        let mut ctx = Ctx {
            file,
            src,
            errors: vec![],
        };
        let proc = validate(raw, roles, &mut ctx);
        if ctx.errors.is_empty() {
            Ok(proc)
        } else {
            Err(ctx.errors)
        }
    }
}

fn validate(raw: RawProcedure, roles: &Roles, ctx: &mut Ctx<'_>) -> Procedure {
    if !is_ident(raw.id.get_ref()) {
        ctx.err(
            &raw.id,
            format!("identifiant « {} » invalide", raw.id.get_ref()),
            IDENT_HINT,
        );
    }
    let prefix = raw.prefixe.get_ref();
    if !(2..=8).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
        ctx.err(
            &raw.prefixe,
            format!("préfixe « {prefix} » invalide"),
            "2 à 8 lettres majuscules sans accent, par exemple PAR",
        );
    }
    let audience = match raw.public.get_ref().as_str() {
        "dossier" => Audience::Case,
        "partenariat" => Audience::Partnership,
        other => {
            ctx.err(
                &raw.public,
                format!("public « {other} » inconnu"),
                "écrire public = \"dossier\" (un élève) ou public = \"partenariat\"",
            );
            Audience::Case
        }
    };
    let check_role = |ctx: &mut Ctx<'_>, r: &Spanned<String>| {
        if roles.get(r.get_ref()).is_none() {
            let known: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
            ctx.err(
                r,
                format!("rôle « {} » inconnu", r.get_ref()),
                format!("utiliser un rôle de roles.toml : {}", known.join(", ")),
            );
        }
    };
    for a in &raw.acteurs {
        check_role(ctx, a);
    }

    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut unique = |ctx: &mut Ctx<'_>, id: &Spanned<String>| {
        if !is_ident(id.get_ref()) {
            ctx.err(
                id,
                format!("identifiant « {} » invalide", id.get_ref()),
                IDENT_HINT,
            );
        } else if !names.insert(id.get_ref().clone()) {
            ctx.err(
                id,
                format!("identifiant « {} » utilisé deux fois", id.get_ref()),
                "chaque événement, paramètre et étape a un identifiant unique",
            );
        }
    };
    for e in &raw.evenements {
        unique(ctx, &e.id);
    }
    for p in &raw.parametres {
        unique(ctx, &p.id);
    }
    for s in &raw.etapes {
        unique(ctx, &s.id);
    }
    if raw.etapes.is_empty() {
        ctx.errors.push(FileError {
            file: ctx.file.to_string(),
            line: 1,
            message: "aucune étape".into(),
            hint: "ajouter au moins une section [[etapes]]".into(),
        });
    }

    for e in &raw.evenements {
        match &e.roles {
            None => ctx.err(
                &e.id,
                format!(
                    "l'événement « {} » ne dit pas qui peut renseigner sa date",
                    e.id.get_ref()
                ),
                "ajouter roles = [\"...\"] avec les rôles responsables de cette date",
            ),
            Some(list) if list.get_ref().is_empty() => ctx.err(
                list,
                format!("l'événement « {} » n'a aucun rôle", e.id.get_ref()),
                "nommer au moins un rôle de roles.toml",
            ),
            Some(list) => {
                for r in list.get_ref() {
                    check_role(ctx, r);
                }
            }
        }
    }
    let events: Vec<EventDef> = raw
        .evenements
        .iter()
        .map(|e| EventDef {
            id: e.id.get_ref().clone(),
            name: e.nom.clone(),
            roles: e
                .roles
                .as_ref()
                .map(|l| l.get_ref().iter().map(|r| r.get_ref().clone()).collect())
                .unwrap_or_default(),
            receipt: e.reception,
        })
        .collect();
    let mut params = Vec::new();
    for p in &raw.parametres {
        let default = match &p.defaut {
            Some(v) if !(0..=1000).contains(v.get_ref()) => {
                ctx.err(v, "valeur par défaut hors limites", "un entier entre 0 et 1000");
                None
            }
            Some(v) => Some(*v.get_ref() as u32),
            None => None,
        };
        params.push(ParamDef {
            id: p.id.get_ref().clone(),
            name: p.nom.clone(),
            default,
        });
    }
    let step_ids: BTreeSet<&str> = raw.etapes.iter().map(|s| s.id.get_ref().as_str()).collect();

    let mut steps = Vec::new();
    for s in &raw.etapes {
        check_role(ctx, &s.role);
        let anchor = parse_anchor(ctx, &s.depuis, &events, &step_ids, audience);
        if let Some(Anchor::StepDone(t) | Anchor::StepDue(t)) = &anchor
            && t == s.id.get_ref()
        {
            ctx.err(
                &s.depuis,
                "une étape ne peut pas partir d'elle-même",
                "partir d'un événement ou d'une autre étape",
            );
        }
        let rule = parse_rule(ctx, &s.delai, &params, false);
        let also: Vec<AlsoRule> = s
            .aussi
            .iter()
            .filter_map(|a| {
                let rule = parse_rule(ctx, a, &params, true)?;
                Some(AlsoRule {
                    label: a.get_ref().nom.clone().unwrap_or_default(),
                    rule,
                })
            })
            .collect();
        if let (Some(Effect::AnneeScolaireSuivante), Some(r)) = (s.effet, &rule)
            && (r.roll != Roll::None || r.unit != Unit::Months || r.before)
        {
            ctx.err(
                &s.delai,
                "l'effet « annee_scolaire_suivante » demande un préavis en mois, jamais reporté",
                "écrire delai = { mois = 3, report = \"none\" }",
            );
        }
        let request_event = s.demande.as_ref().and_then(|d| {
            if events.iter().any(|e| &e.id == d.get_ref()) {
                Some(d.get_ref().clone())
            } else {
                ctx.err(
                    d,
                    format!("événement « {} » inconnu", d.get_ref()),
                    "déclarer cet événement dans [[evenements]]",
                );
                None
            }
        });
        if s.demande.is_some()
            && s.effet.is_none()
            && let Some(d) = &s.demande
        {
            ctx.err(
                d,
                "« demande » ne sert qu'avec effet = \"annee_scolaire_suivante\"",
                "retirer la clé demande",
            );
        }
        if s.renouvellement_tacite
            && let Some(r) = &rule
            && (!matches!(r.unit, Unit::Years | Unit::Months) || r.before)
        {
            ctx.err(
                &s.delai,
                "le renouvellement tacite demande une durée en mois ou en ans",
                "écrire par exemple ans = \"duree_ans\"",
            );
        }
        let reminders = parse_reminders(ctx, s.rappels.as_ref(), roles);
        let parent_notice = s.avis_parents.as_ref().and_then(|n| {
            let ok = !n.get_ref().is_empty()
                && n.get_ref()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                ctx.err(
                    n,
                    format!("modèle d'avis « {} » invalide", n.get_ref()),
                    "minuscules, chiffres et tirets, par exemple par-convocation",
                );
                return None;
            }
            if audience == Audience::Partnership {
                ctx.err(
                    n,
                    "un élément de partenariat n'envoie pas d'avis aux parents",
                    "retirer avis_parents",
                );
                return None;
            }
            Some(n.get_ref().clone())
        });
        if let (Some(anchor), Some(rule)) = (anchor, rule) {
            steps.push(StepDef {
                id: s.id.get_ref().clone(),
                name: s.nom.clone(),
                role: s.role.get_ref().clone(),
                action: s.action.clone(),
                anchor,
                rule,
                also,
                effect: s.effet,
                request_event,
                tacit_renewal: s.renouvellement_tacite,
                optional: s.optionnelle,
                reminders,
                parent_notice,
                place: s.lieu,
            });
        }
    }
    // Due-date dependencies must not loop.
    if ctx.errors.is_empty()
        && let Some(cycle) = find_cycle(&steps)
    {
        let at = raw
            .etapes
            .iter()
            .find(|s| s.id.get_ref() == &cycle)
            .map(|s| &s.depuis);
        if let Some(at) = at {
            ctx.err(
                at,
                format!("dépendance circulaire entre étapes autour de « {cycle} »"),
                "une étape ne peut pas dépendre, même indirectement, de sa propre échéance",
            );
        }
    }
    Procedure {
        id: raw.id.into_inner(),
        name: raw.nom,
        prefix: raw.prefixe.into_inner(),
        audience,
        source: raw.source,
        actors: raw.acteurs.into_iter().map(Spanned::into_inner).collect(),
        events,
        params,
        steps,
    }
}

fn parse_anchor(
    ctx: &mut Ctx<'_>,
    at: &Spanned<String>,
    events: &[EventDef],
    steps: &BTreeSet<&str>,
    audience: Audience,
) -> Option<Anchor> {
    let s = at.get_ref().as_str();
    let anchor = match s {
        "@rentree" => Some(Anchor::School(SchoolAnchor::Rentree)),
        "@rentree_suivante" => Some(Anchor::School(SchoolAnchor::NextRentree)),
        "@vacances_ete" => Some(Anchor::School(SchoolAnchor::SummerStart)),
        "@reception_partenaire" => {
            if audience != Audience::Partnership {
                ctx.err(
                    at,
                    "@reception_partenaire n'existe que pour public = \"partenariat\"",
                    "partir d'un événement du dossier",
                );
                return None;
            }
            Some(Anchor::PartnerReceipt)
        }
        _ => {
            if let Some((step, what)) = s.split_once('.') {
                if !steps.contains(step) {
                    None
                } else {
                    match what {
                        "fait" => Some(Anchor::StepDone(step.to_string())),
                        "echeance" => Some(Anchor::StepDue(step.to_string())),
                        _ => None,
                    }
                }
            } else if events.iter().any(|e| e.id == s) {
                Some(Anchor::Event(s.to_string()))
            } else {
                None
            }
        }
    };
    if anchor.is_none() {
        let evs: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        ctx.err(
            at,
            format!("point de départ « {s} » inconnu"),
            format!(
                "un événement déclaré ({}), ETAPE.fait, ETAPE.echeance, @rentree, @rentree_suivante, @vacances_ete ou @reception_partenaire",
                evs.join(", ")
            ),
        );
    }
    anchor
}

fn parse_rule(
    ctx: &mut Ctx<'_>,
    at: &Spanned<RawRule>,
    params: &[ParamDef],
    is_also: bool,
) -> Option<RuleSpec> {
    let raw = at.get_ref();
    let units = [
        (&raw.jours, Unit::Days),
        (&raw.semaines, Unit::Weeks),
        (&raw.mois, Unit::Months),
        (&raw.ans, Unit::Years),
    ];
    let given: Vec<_> = units
        .iter()
        .filter_map(|(v, u)| v.as_ref().map(|v| (v, *u)))
        .collect();
    if given.len() != 1 {
        ctx.err(
            at,
            "un délai a exactement une unité",
            "une seule des clés jours, semaines, mois, ans (et_jours peut compléter mois ou ans)",
        );
        return None;
    }
    let (value, unit) = given[0];
    let amount = match value.get_ref() {
        RawAmount::Fixed(n) if (0..=i64::from(crate::deadline::MAX_DAYS)).contains(n) => {
            Amount::Fixed(*n as u32)
        }
        RawAmount::Fixed(_) => {
            ctx.err(
                value,
                "durée négative ou trop grande",
                "un entier positif raisonnable",
            );
            return None;
        }
        RawAmount::Param(p) => {
            if !params.iter().any(|d| &d.id == p) {
                ctx.err(
                    value,
                    format!("paramètre « {p} » inconnu"),
                    "déclarer ce paramètre dans [[parametres]]",
                );
                return None;
            }
            Amount::Param(p.clone())
        }
    };
    let and_days = match &raw.et_jours {
        None => 0,
        Some(v) if !(0..=366).contains(v.get_ref()) => {
            ctx.err(v, "et_jours hors limites", "un entier entre 0 et 366");
            return None;
        }
        Some(v) => *v.get_ref() as u32,
    };
    let roll = match raw.report.get_ref().parse::<Roll>() {
        Ok(r) => r,
        Err(e) => {
            ctx.err(
                &raw.report,
                e.to_string(),
                "report = \"forward\", \"none\" ou \"backward\"",
            );
            return None;
        }
    };
    if raw.nom.is_some() && !is_also {
        ctx.err(
            at,
            "la clé nom n'a de sens que dans aussi",
            "retirer nom du délai principal",
        );
    }
    if is_also && raw.nom.as_deref().unwrap_or("").is_empty() {
        ctx.err(
            at,
            "une date supplémentaire doit avoir un nom",
            "ajouter nom = \"date légale\"",
        );
    }
    let spec = RuleSpec {
        amount,
        unit,
        and_days,
        roll,
        franc: raw.franc,
        inclusive: raw.inclusif,
        before: raw.avant,
    };
    // A fixed rule can be checked whole now.
    if let Amount::Fixed(_) = spec.amount
        && let Some(rule) = spec.resolve(&BTreeMap::new(), &[])
        && let Err(e) = rule.validate()
    {
        ctx.err(at, e.to_string(), "corriger la règle de délai");
        return None;
    }
    Some(spec)
}

fn parse_reminders(ctx: &mut Ctx<'_>, raw: Option<&RawReminders>, roles: &Roles) -> ReminderPolicy {
    let mut p = ReminderPolicy::default();
    let Some(raw) = raw else { return p };
    if let Some(list) = &raw.avant_jours_ouvres {
        p.before_working_days.clear();
        for v in list {
            if (1..=60).contains(v.get_ref()) {
                p.before_working_days.push(*v.get_ref() as u32);
            } else {
                ctx.err(
                    v,
                    "rappel hors limites",
                    "un nombre de jours ouvrés entre 1 et 60",
                );
            }
        }
        p.before_working_days.sort_unstable_by(|a, b| b.cmp(a));
        p.before_working_days.dedup();
    }
    if let Some(v) = raw.le_jour {
        p.on_day = v;
    }
    if let Some(v) = raw.retard_chaque_jour_ouvre {
        p.overdue_daily = v;
    }
    if let Some(v) = &raw.escalade_apres_jours_ouvres {
        if (1..=60).contains(v.get_ref()) {
            p.escalate_after = Some(*v.get_ref() as u32);
        } else {
            ctx.err(
                v,
                "escalade hors limites",
                "un nombre de jours ouvrés entre 1 et 60",
            );
        }
    }
    if let Some(r) = &raw.escalade_vers {
        if roles.get(r.get_ref()).is_none() {
            ctx.err(
                r,
                format!("rôle « {} » inconnu", r.get_ref()),
                "utiliser un rôle de roles.toml",
            );
        } else {
            p.escalate_to = Some(r.get_ref().clone());
        }
    }
    if p.escalate_after.is_some() != p.escalate_to.is_some() {
        if let Some(r) = raw.escalade_vers.as_ref() {
            ctx.err(
                r,
                "escalade incomplète",
                "donner à la fois escalade_apres_jours_ouvres et escalade_vers",
            );
        } else if let Some(v) = raw.escalade_apres_jours_ouvres.as_ref() {
            ctx.err(
                v,
                "escalade incomplète",
                "donner à la fois escalade_apres_jours_ouvres et escalade_vers",
            );
        }
    }
    if let Some(l) = raw.si_en_retard {
        p.late = l;
        if l == LatePolicy::Escalader && p.escalate_to.is_none() {
            p.late = LatePolicy::Envoyer;
        }
    }
    p
}

/// A step on a due-date dependency cycle, if any.
fn find_cycle(steps: &[StepDef]) -> Option<String> {
    let deps = |id: &str| -> Option<String> {
        let s = steps.iter().find(|s| s.id == id)?;
        match &s.anchor {
            Anchor::StepDue(t) => Some(t.clone()),
            _ => None,
        }
    };
    for s in steps {
        let mut seen = BTreeSet::new();
        let mut cur = s.id.clone();
        while let Some(next) = deps(&cur) {
            if !seen.insert(next.clone()) || next == s.id {
                return Some(s.id.clone());
            }
            cur = next;
        }
    }
    None
}

/// All procedures of a folder, keyed by id.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub roles: Roles,
    pub procedures: BTreeMap<String, Procedure>,
}

impl Library {
    /// Builds a library from file contents: `roles` then `(name, source)` of
    /// each procedure file. Collects every error instead of stopping at one.
    pub fn build<'a>(
        roles_file: (&str, &str),
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Library, Vec<FileError>> {
        let roles = Roles::parse(roles_file.0, roles_file.1)?;
        let mut errors = Vec::new();
        let mut procedures = BTreeMap::new();
        let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
        for (name, src) in files {
            match Procedure::parse(name, src, &roles) {
                Ok(p) => {
                    if let Some(other) = prefixes.insert(p.prefix.clone(), name.to_string()) {
                        errors.push(FileError {
                            file: name.to_string(),
                            line: 1,
                            message: format!("préfixe {} déjà utilisé par {other}", p.prefix),
                            hint: "chaque procédure a son propre préfixe de référence".into(),
                        });
                    }
                    if procedures.contains_key(&p.id) {
                        errors.push(FileError {
                            file: name.to_string(),
                            line: 1,
                            message: format!("procédure « {} » définie deux fois", p.id),
                            hint: "changer l'id de l'une des deux".into(),
                        });
                    }
                    procedures.insert(p.id.clone(), p);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(Library { roles, procedures })
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, id: &str) -> Option<&Procedure> {
        self.procedures.get(id)
    }

    pub fn by_prefix(&self, prefix: &str) -> Option<&Procedure> {
        self.procedures.values().find(|p| p.prefix == prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: &str = r#"
[[roles]]
id = "chef_etablissement"
nom = "chef d'établissement"
portee = "etablissement"
supervise = true

[[roles]]
id = "dasen"
nom = "bureau du DASEN"
portee = "departement"
"#;

    fn roles() -> Roles {
        Roles::parse("roles.toml", ROLES).expect("roles")
    }

    const PAR: &str = r#"
id = "par"
nom = "PAR"
prefixe = "PAR"
public = "dossier"

[[evenements]]
id = "saisine_recue"
nom = "Réception de la saisine"
roles = ["dasen"]
reception = true

[[etapes]]
id = "entretien"
nom = "Entretien"
role = "dasen"
depuis = "saisine_recue"
delai = { jours = 10, report = "backward" }
aussi = [{ nom = "date légale", jours = 10, report = "forward" }]
rappels = { avant_jours_ouvres = [2, 5], escalade_apres_jours_ouvres = 1, escalade_vers = "chef_etablissement" }
"#;

    #[test]
    fn parses_a_valid_procedure() {
        let p = Procedure::parse("par.toml", PAR, &roles()).expect("valid");
        let step = p.step("entretien").expect("step");
        assert_eq!(step.anchor, Anchor::Event("saisine_recue".into()));
        assert_eq!(step.rule.roll, Roll::Backward);
        assert_eq!(step.also.len(), 1);
        assert_eq!(step.reminders.before_working_days, vec![5, 2]);
        assert_eq!(step.reminders.escalate_to.as_deref(), Some("chef_etablissement"));
    }

    fn errors(src: &str) -> Vec<FileError> {
        Procedure::parse("x.toml", src, &roles()).expect_err("invalid")
    }

    #[test]
    fn events_name_who_sets_them() {
        let p = Procedure::parse("par.toml", PAR, &roles()).expect("valid");
        let e = p.event("saisine_recue").expect("event");
        assert_eq!(e.roles, vec!["dasen".to_string()]);
        assert!(e.receipt);
        let missing = errors(&PAR.replace("roles = [\"dasen\"]\n", ""));
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(missing[0].message.contains("qui peut renseigner"), "{missing:?}");
        let unknown = errors(&PAR.replace("roles = [\"dasen\"]", "roles = [\"recteur\"]"));
        assert!(unknown[0].message.contains("recteur"), "{unknown:?}");
        let empty = errors(&PAR.replace("roles = [\"dasen\"]", "roles = []"));
        assert!(empty[0].message.contains("aucun rôle"), "{empty:?}");
    }

    #[test]
    fn reports_unknown_role_with_line_and_hint() {
        let src = PAR.replace("role = \"dasen\"", "role = \"recteur\"");
        let e = errors(&src);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, 16);
        assert!(e[0].message.contains("recteur"));
        assert!(e[0].hint.contains("chef_etablissement"));
    }

    #[test]
    fn reports_unknown_anchor_and_two_units() {
        let src = PAR
            .replace("depuis = \"saisine_recue\"", "depuis = \"saisine\"")
            .replace(
                "{ jours = 10, report = \"backward\" }",
                "{ jours = 10, mois = 1, report = \"backward\" }",
            );
        let e = errors(&src);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e.iter()
                .any(|e| e.message.contains("point de départ « saisine »"))
        );
        assert!(e.iter().any(|e| e.message.contains("exactement une unité")));
    }

    #[test]
    fn reports_syntax_and_unknown_keys() {
        let e = errors("id = \"par\"\nnom = \n");
        assert_eq!(e[0].line, 2);
        let e = errors(&PAR.replace("nom = \"PAR\"", "nom = \"PAR\"\ncouleur = \"bleu\""));
        assert!(e[0].message.contains("couleur"), "{e:?}");
        assert_eq!(e[0].line, 4);
    }

    #[test]
    fn reports_negative_amounts_and_bad_roll() {
        let e = errors(&PAR.replace(
            "jours = 10, report = \"backward\"",
            "jours = -3, report = \"plus tard\"",
        ));
        assert!(e.iter().any(|e| e.message.contains("négative")), "{e:?}");
    }

    #[test]
    fn detects_cycles() {
        let src = r#"
id = "boucle"
nom = "Boucle"
prefixe = "BCL"
public = "dossier"

[[etapes]]
id = "a"
nom = "A"
role = "dasen"
depuis = "b.echeance"
delai = { jours = 1, report = "none" }

[[etapes]]
id = "b"
nom = "B"
role = "dasen"
depuis = "a.echeance"
delai = { jours = 1, report = "none" }
"#;
        let e = errors(src);
        assert!(e.iter().any(|e| e.message.contains("circulaire")), "{e:?}");
    }

    #[test]
    fn partner_receipt_only_for_partnerships() {
        let e = errors(&PAR.replace("depuis = \"saisine_recue\"", "depuis = \"@reception_partenaire\""));
        assert!(e[0].message.contains("partenariat"), "{e:?}");
    }
}
