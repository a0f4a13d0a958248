//! Validates one `[[etapes]]` entry of a procedure file: what its deadline
//! runs from (`depuis`), its deadline rules (`delai`, `aussi`), its
//! reminder policy (`rappels`), its parent notice and its art. 7 and art. 9
//! options, against what the rest of the file declares.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::raw::{RawAmount, RawReminders, RawRule, RawStep};
use super::validate::check_role;
use super::{
    AlsoRule, Amount, Anchor, Audience, Effect, EventDef, LatePolicy, ParamDef, ReminderPolicy, Repeat,
    Roles, RuleSpec, SchoolAnchor, StepDef,
};
use crate::deadline::{Roll, Unit};
use crate::located::Findings;

/// What a step may refer to: the roles, the file's events, parameters and
/// step ids, and its audience.
pub(super) struct Known<'a> {
    pub(super) roles: &'a Roles,
    pub(super) events: &'a [EventDef],
    pub(super) params: &'a [ParamDef],
    pub(super) steps: &'a BTreeSet<&'a str>,
    /// The steps renewed tacitly (`renouvellement_tacite`).
    pub(super) renewing: &'a BTreeSet<&'a str>,
    pub(super) audience: Audience,
}

/// The step, or `None` when its anchor or its rule is unusable (the error
/// is recorded; the other checks of the step still ran).
pub(super) fn step(ctx: &mut Findings<'_>, s: &RawStep, known: &Known<'_>) -> Option<StepDef> {
    check_role(ctx, known.roles, &s.role);
    let anchor = parse_anchor(ctx, &s.depuis, known.events, known.steps, known.audience);
    if anchor
        .as_ref()
        .is_some_and(|a| starts_from_step(a, s.id.get_ref()))
    {
        ctx.err(
            &s.depuis,
            "une étape ne peut pas partir d'elle-même",
            "partir d'un événement ou d'une autre étape",
        );
    }
    let rule = parse_rule(ctx, &s.delai, known.params, false);
    let also: Vec<AlsoRule> = s
        .aussi
        .iter()
        .filter_map(|a| {
            let rule = parse_rule(ctx, a, known.params, true)?;
            let anchor = match &a.get_ref().depuis {
                None => None,
                Some(from) => Some(also_anchor(ctx, from, known)?),
            };
            Some(AlsoRule {
                label: a.get_ref().nom.clone().unwrap_or_default(),
                rule,
                anchor,
            })
        })
        .collect();
    if s.effet.is_some()
        && let Some(r) = &rule
        && r.avoid_holidays
    {
        ctx.err(
            &s.delai,
            "hors_vacances ne se combine pas avec effet : cette date découle du texte",
            "retirer hors_vacances",
        );
    }
    if let (Some(Effect::DernierJourPourLeTerme), Some(r)) = (s.effet, &rule) {
        if r.unit != Unit::Months || !r.before || r.roll == Roll::Forward || r.franc || r.inclusive {
            ctx.err(
                &s.delai,
                "l'effet « dernier_jour_pour_le_terme » demande un préavis en mois, avant le terme, avancé ou jamais reporté",
                "écrire delai = { mois = 3, avant = true, report = \"backward\" }",
            );
        }
        let term = s.depuis.get_ref().strip_suffix(".echeance");
        if !term.is_some_and(|t| known.renewing.contains(t)) {
            ctx.err(
                &s.depuis,
                "l'effet « dernier_jour_pour_le_terme » part du terme d'une étape renouvelée tacitement",
                "écrire depuis = \"ETAPE.echeance\", où ETAPE a renouvellement_tacite = true",
            );
        }
        if !s.information {
            ctx.err(
                &s.delai,
                "cette date est une information : ajouter information = true",
                "ajouter information = true à l'étape",
            );
        }
    }
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
        if known.events.iter().any(|e| &e.id == d.get_ref()) {
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
    let mut reminders = parse_reminders(ctx, s.rappels.as_ref(), known.roles);
    if s.information {
        let raw = s.rappels.as_ref();
        let late = raw.is_some_and(|r| {
            r.retard_chaque_jour_ouvre == Some(true)
                || r.escalade_apres_jours_ouvres.is_some()
                || r.escalade_vers.is_some()
                || r.si_en_retard == Some(LatePolicy::Escalader)
        });
        if late {
            ctx.err(
                &s.id,
                "une date d'information n'est jamais en retard : pas de rappel de retard ni d'escalade",
                "retirer retard_chaque_jour_ouvre, escalade_apres_jours_ouvres, escalade_vers et si_en_retard de rappels",
            );
        }
        reminders.overdue_daily = false;
        if matches!(anchor, Some(Anchor::PartnerReceipt)) {
            ctx.err(
                &s.id,
                "une étape par partenaire se conclut par les réponses des partenaires : elle n'est pas une date d'information",
                "retirer information",
            );
        }
    }
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
        if known.audience == Audience::Partnership {
            ctx.err(
                n,
                "un élément de partenariat n'envoie pas d'avis aux parents",
                "retirer avis_parents",
            );
            return None;
        }
        Some(n.get_ref().clone())
    });
    let done_by_event = s.fait_quand.as_ref().and_then(|e| {
        if !known.events.iter().any(|ev| &ev.id == e.get_ref()) {
            ctx.err(
                e,
                format!("événement « {} » inconnu", e.get_ref()),
                "déclarer cet événement dans [[evenements]]",
            );
            return None;
        }
        if matches!(anchor, Some(Anchor::PartnerReceipt)) {
            ctx.err(
                e,
                "une étape par partenaire se conclut par les réponses des partenaires, pas par un événement",
                "retirer fait_quand",
            );
            return None;
        }
        Some(e.get_ref().clone())
    });
    let present_roles: Vec<String> = s
        .presents
        .iter()
        .filter_map(|r| {
            if known.roles.get(r.get_ref()).is_none() {
                check_role(ctx, known.roles, r);
                return None;
            }
            Some(r.get_ref().clone())
        })
        .collect();
    let appointment_completes: Vec<String> = s
        .rendez_vous_termine
        .iter()
        .filter_map(|t| {
            if !known.steps.contains(t.get_ref().as_str()) || t.get_ref() == s.id.get_ref() {
                ctx.err(
                    t,
                    format!("étape « {} » inconnue ici", t.get_ref()),
                    "une autre étape de cette procédure, par exemple convocation",
                );
                return None;
            }
            Some(t.get_ref().clone())
        })
        .collect();
    if (!present_roles.is_empty() || !appointment_completes.is_empty() || s.si_absent.is_some())
        && parent_notice.is_none()
    {
        ctx.err(
            &s.id,
            "presents, rendez_vous_termine et si_absent vont avec un rendez-vous : l'étape n'a pas d'avis_parents",
            "ajouter avis_parents, ou retirer ces clés",
        );
    }
    let repeat = s.repetition.as_ref().and_then(|r| {
        let raw = r.get_ref();
        if !(1..=52).contains(&raw.semaines) {
            ctx.err(
                r,
                "repetition : semaines entre 1 et 52",
                "par exemple semaines = 4",
            );
            return None;
        }
        let until = match raw.jusqu_a.as_deref().unwrap_or("@vacances_ete") {
            "@vacances_ete" => SchoolAnchor::SummerStart,
            "@rentree_suivante" => SchoolAnchor::NextRentree,
            other => {
                ctx.err(
                    r,
                    format!("repetition : jusqu_a « {other} » inconnu"),
                    "@vacances_ete ou @rentree_suivante",
                );
                return None;
            }
        };
        let sessions = match (raw.heures_par_seance, raw.objectif_heures) {
            (None, None) => None,
            (Some(each @ 1..=12), Some(target @ 1..=2000)) if each <= target => Some(super::Sessions {
                hours_each: each,
                target_hours: target,
            }),
            _ => {
                ctx.err(
                    r,
                    "repetition : heures_par_seance (1 à 12) et objectif_heures (jusqu'à 2000) vont ensemble",
                    "par exemple heures_par_seance = 2, objectif_heures = 72",
                );
                return None;
            }
        };
        Some(Repeat {
            weeks: raw.semaines,
            until,
            sessions,
        })
    });
    let (Some(anchor), Some(rule)) = (anchor, rule) else {
        return None;
    };
    Some(StepDef {
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
        done_by_event,
        information: s.information,
        present_roles,
        appointment_completes,
        repeat,
        if_absent: s.si_absent.as_ref().map(|a| *a.get_ref()).unwrap_or_default(),
    })
}

/// Whether `anchor` runs from the step `id` (done or due).
fn starts_from_step(anchor: &Anchor, id: &str) -> bool {
    match anchor {
        Anchor::StepDone(t) | Anchor::StepDue(t) => t == id,
        Anchor::Middle(a, b) => starts_from_step(a, id) || starts_from_step(b, id),
        _ => false,
    }
}

/// An event or `ETAPE.fait`: the dates `apres` and `milieu(A, B)` take.
pub(super) fn parse_date_ref(s: &str, events: &[&str], steps: &BTreeSet<&str>) -> Option<Anchor> {
    match s.split_once('.') {
        Some((step, "fait")) if steps.contains(step) => Some(Anchor::StepDone(step.to_string())),
        Some(_) => None,
        None if events.contains(&s) => Some(Anchor::Event(s.to_string())),
        None => None,
    }
}

/// The starting point of an `aussi` date: as `depuis`, but never a due
/// date (the order of due dates is checked on the steps' own `depuis`) nor
/// the partners' receipts.
fn also_anchor(ctx: &mut Findings<'_>, at: &Spanned<String>, known: &Known<'_>) -> Option<Anchor> {
    let anchor = parse_anchor(ctx, at, known.events, known.steps, known.audience)?;
    if matches!(anchor, Anchor::StepDue(_) | Anchor::PartnerReceipt) {
        ctx.err(
            at,
            format!(
                "« {} » ne peut pas être le point de départ d'une date supplémentaire",
                at.get_ref()
            ),
            "un événement, ETAPE.fait, milieu(A, B), @rentree, @rentree_suivante ou @vacances_ete",
        );
        return None;
    }
    Some(anchor)
}

fn parse_anchor(
    ctx: &mut Findings<'_>,
    at: &Spanned<String>,
    events: &[EventDef],
    steps: &BTreeSet<&str>,
    audience: Audience,
) -> Option<Anchor> {
    let s = at.get_ref().as_str();
    let event_ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    if let Some(args) = s.strip_prefix("milieu(") {
        let parts: Option<Vec<Anchor>> = args.strip_suffix(')').and_then(|inner| {
            let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
            if parts.len() != 2 {
                return None;
            }
            parts
                .iter()
                .map(|p| parse_date_ref(p, &event_ids, steps))
                .collect()
        });
        return match parts.as_deref() {
            Some([a, b]) => Some(Anchor::Middle(Box::new(a.clone()), Box::new(b.clone()))),
            _ => {
                ctx.err(
                    at,
                    format!("point de départ « {s} » invalide"),
                    format!(
                        "milieu(A, B) avec deux dates, chacune un événement déclaré ({}) ou ETAPE.fait, par exemple milieu(stage_debut, stage_fin)",
                        event_ids.join(", ")
                    ),
                );
                None
            }
        };
    }
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
        ctx.err(
            at,
            format!("point de départ « {s} » inconnu"),
            format!(
                "un événement déclaré ({}), ETAPE.fait, ETAPE.echeance, milieu(A, B), @rentree, @rentree_suivante, @vacances_ete ou @reception_partenaire",
                event_ids.join(", ")
            ),
        );
    }
    anchor
}

fn parse_rule(
    ctx: &mut Findings<'_>,
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
    if let Some(from) = &raw.depuis
        && !is_also
    {
        ctx.err(
            from,
            "la clé depuis d'un délai n'a de sens que dans aussi",
            "le point de départ du délai principal est la clé depuis de l'étape",
        );
    }
    if raw.hors_vacances && roll == Roll::None {
        ctx.err(
            &raw.report,
            "hors_vacances demande report = \"forward\" ou \"backward\"",
            "choisir le sens dans lequel l'échéance sort des vacances scolaires",
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
        avoid_holidays: raw.hors_vacances,
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

fn parse_reminders(ctx: &mut Findings<'_>, raw: Option<&RawReminders>, roles: &Roles) -> ReminderPolicy {
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

/// `[jalons]`: the templates of a case's milestones. A milestone is due on
/// its own date (no roll: the contract fixed it), by `role`, reminded by
/// `rappels`; `roles` may add or move one.
pub(super) fn milestones(
    ctx: &mut Findings<'_>,
    raw: &super::raw::RawMilestones,
    roles: &super::Roles,
) -> super::Milestones {
    check_role(ctx, roles, &raw.role);
    if raw.roles.get_ref().is_empty() {
        ctx.err(
            &raw.roles,
            "jalons : aucun rôle ne peut les ajouter",
            "nommer au moins un rôle de roles.toml dans roles",
        );
    }
    for r in raw.roles.get_ref() {
        check_role(ctx, roles, r);
    }
    let id = "jalon".to_string();
    super::Milestones {
        step: StepDef {
            id: id.clone(),
            name: raw.nom.clone(),
            role: raw.role.get_ref().clone(),
            action: raw.action.clone(),
            anchor: Anchor::Event(id.clone()),
            rule: super::RuleSpec {
                amount: Amount::Fixed(0),
                unit: Unit::Days,
                and_days: 0,
                roll: Roll::None,
                franc: false,
                inclusive: false,
                before: false,
                avoid_holidays: false,
            },
            also: Vec::new(),
            effect: None,
            request_event: None,
            tacit_renewal: false,
            optional: false,
            reminders: parse_reminders(ctx, raw.rappels.as_ref(), roles),
            parent_notice: None,
            place: None,
            done_by_event: None,
            information: false,
            present_roles: Vec::new(),
            appointment_completes: Vec::new(),
            repeat: None,
            if_absent: super::IfAbsent::default(),
        },
        event: EventDef {
            id,
            name: format!("date de l'étape « {} »", raw.nom),
            roles: raw.roles.get_ref().iter().map(|r| r.get_ref().clone()).collect(),
            receipt: false,
            not_before: Vec::new(),
            confidential: false,
            at_opening: false,
        },
    }
}

#[cfg(test)]
mod tests;
