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
mod tests {
    use crate::procedure::Anchor;
    use crate::testing::{PAR, procedure_errors as errors};

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
    fn reports_negative_amounts_and_bad_roll() {
        let e = errors(&PAR.replace(
            "jours = 10, report = \"backward\"",
            "jours = -3, report = \"plus tard\"",
        ));
        assert!(e.iter().any(|e| e.message.contains("négative")), "{e:?}");
    }

    #[test]
    fn appointments_and_repetitions_are_checked() {
        let with = |extra: &str| {
            PAR.replace(
                "depuis = \"saisine_recue\"\n",
                &format!("depuis = \"saisine_recue\"\n{extra}"),
            )
        };
        // Who attends and what the appointment completes need an appointment.
        let e = errors(&with("presents = [\"dasen\"]\n"));
        assert!(
            e.iter().any(|e| e.message.contains("n'a pas d'avis_parents")),
            "{e:?}"
        );
        let e = errors(&with(
            "avis_parents = \"par-convocation\"\npresents = [\"inconnu\"]\n",
        ));
        assert!(
            e.iter().any(|e| e.message.contains("rôle « inconnu » inconnu")),
            "{e:?}"
        );
        let e = errors(&with(
            "avis_parents = \"par-convocation\"\nrendez_vous_termine = [\"nulle\"]\n",
        ));
        assert!(
            e.iter().any(|e| e.message.contains("étape « nulle » inconnue")),
            "{e:?}"
        );
        for bad in [
            "repetition = { semaines = 0 }",
            "repetition = { semaines = 4, jusqu_a = \"@noel\" }",
            "repetition = { semaines = 1, heures_par_seance = 2 }",
            "repetition = { semaines = 1, heures_par_seance = 0, objectif_heures = 72 }",
        ] {
            let e = errors(&with(&format!("{bad}\n")));
            assert!(e.iter().any(|e| e.message.contains("repetition")), "{bad}: {e:?}");
        }
        // What an absence sets off: a known value, at an appointment.
        let e = errors(&with("si_absent = \"noter\"\n"));
        assert!(
            e.iter().any(|e| e.message.contains("n'a pas d'avis_parents")),
            "{e:?}"
        );
        let e = errors(&with(
            "avis_parents = \"par-convocation\"\nsi_absent = \"oublier\"\n",
        ));
        assert!(e.iter().any(|e| e.hint.contains("valeur inconnue")), "{e:?}");
        let ok = crate::testing::procedure(&with(
            "avis_parents = \"par-convocation\"\nsi_absent = \"noter\"\n",
        ));
        assert_eq!(ok.steps[0].if_absent, crate::procedure::IfAbsent::Noter);
        let ok = crate::testing::procedure(&with("repetition = { semaines = 2 }\n"));
        assert_eq!(ok.steps[0].if_absent, crate::procedure::IfAbsent::Reconvoquer);
        assert_eq!(
            ok.steps[0].repeat,
            Some(crate::procedure::Repeat {
                weeks: 2,
                until: crate::procedure::SchoolAnchor::SummerStart,
                sessions: None,
            })
        );
        let ok = crate::testing::procedure(&with(
            "repetition = { semaines = 1, heures_par_seance = 2, objectif_heures = 72 }\n",
        ));
        assert_eq!(
            ok.steps[0].repeat.as_ref().and_then(|r| r.sessions),
            Some(crate::procedure::Sessions {
                hours_each: 2,
                target_hours: 72
            })
        );
    }

    #[test]
    fn done_by_an_event_must_name_a_declared_event() {
        let src = PAR.replace(
            "depuis = \"saisine_recue\"\n",
            "depuis = \"saisine_recue\"\nfait_quand = \"inconnu\"\n",
        );
        let e = errors(&src);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("événement « inconnu » inconnu"), "{e:?}");
        assert_eq!(e[0].line, 18, "{e:?}");
        assert!(e[0].hint.contains("[[evenements]]"), "{e:?}");
        // A declared event is accepted.
        let ok = crate::testing::procedure(&PAR.replace(
            "depuis = \"saisine_recue\"\n",
            "depuis = \"saisine_recue\"\nfait_quand = \"saisine_recue\"\n",
        ));
        assert_eq!(ok.steps[0].done_by_event.as_deref(), Some("saisine_recue"));
        // A per-partner step ends with the partners' answers, never an event.
        let src = PAR
            .replace("public = \"dossier\"", "public = \"partenariat\"")
            .replace(
                "depuis = \"saisine_recue\"\n",
                "depuis = \"@reception_partenaire\"\nfait_quand = \"saisine_recue\"\n",
            );
        let e = errors(&src);
        assert!(
            e.iter()
                .any(|e| e.line == 18 && e.message.contains("réponses des partenaires")),
            "{e:?}"
        );
    }

    #[test]
    fn partner_receipt_only_for_partnerships() {
        let e = errors(&PAR.replace("depuis = \"saisine_recue\"", "depuis = \"@reception_partenaire\""));
        assert!(e[0].message.contains("partenariat"), "{e:?}");
    }

    #[test]
    fn middle_takes_two_events_or_steps_done() {
        let at = |depuis: &str| PAR.replace("depuis = \"saisine_recue\"", &format!("depuis = \"{depuis}\""));
        let ok = crate::testing::procedure(&at("milieu(saisine_recue, saisine_recue)"));
        assert_eq!(
            ok.steps[0].anchor,
            Anchor::Middle(
                Box::new(Anchor::Event("saisine_recue".into())),
                Box::new(Anchor::Event("saisine_recue".into()))
            )
        );
        assert_eq!(
            ok.steps[0].anchor.to_string(),
            "milieu(saisine_recue, saisine_recue)"
        );
        // Not from the step itself.
        let e = errors(&at("milieu(saisine_recue, entretien.fait)"));
        assert!(e.iter().any(|e| e.message.contains("elle-même")), "{e:?}");
        for bad in [
            "milieu(saisine_recue)",
            "milieu(saisine_recue, autre.echeance)",
            "milieu(@rentree, saisine_recue)",
            "milieu(saisine_recue, saisine_recue, saisine_recue)",
            "milieu(saisine_recue, saisine_recue",
        ] {
            let e = errors(&at(bad));
            assert!(
                e.iter()
                    .any(|e| e.line == 17 && e.hint.contains("milieu(A, B) avec deux dates")),
                "{bad}: {e:?}"
            );
        }
    }

    #[test]
    fn an_additional_date_may_have_its_own_start() {
        let src = PAR.replace(
            "aussi = [{ nom = \"date légale\", jours = 10, report = \"forward\" }]",
            "aussi = [{ nom = \"date légale\", depuis = \"saisine_recue\", jours = 10, report = \"forward\", hors_vacances = true }]",
        );
        let ok = crate::testing::procedure(&src);
        assert_eq!(
            ok.steps[0].also[0].anchor,
            Some(Anchor::Event("saisine_recue".into()))
        );
        assert!(ok.steps[0].also[0].rule.avoid_holidays);
        // Never from a due date (its order is checked on the steps' own
        // depuis), nor in the main rule.
        let e = errors(&src.replace(
            "depuis = \"saisine_recue\", jours",
            "depuis = \"entretien.echeance\", jours",
        ));
        assert!(
            e.iter()
                .any(|e| e.line == 19 && e.message.contains("date supplémentaire")),
            "{e:?}"
        );
        let e = errors(&PAR.replace(
            "delai = { jours = 10, report = \"backward\" }",
            "delai = { jours = 10, report = \"backward\", depuis = \"saisine_recue\" }",
        ));
        assert!(
            e.iter()
                .any(|e| e.line == 18 && e.message.contains("que dans aussi")),
            "{e:?}"
        );
    }

    #[test]
    fn avoiding_school_holidays_needs_a_direction() {
        let e = errors(&PAR.replace(
            "delai = { jours = 10, report = \"backward\" }",
            "delai = { jours = 10, report = \"none\", hors_vacances = true }",
        ));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, 18, "{e:?}");
        assert!(e[0].message.contains("hors_vacances demande report"), "{e:?}");
        let ok = crate::testing::procedure(&PAR.replace(
            "delai = { jours = 10, report = \"backward\" }",
            "delai = { jours = 10, report = \"backward\", hors_vacances = true }",
        ));
        assert!(ok.steps[0].rule.avoid_holidays);
    }

    #[test]
    fn an_information_date_is_never_late() {
        // The fixture escalates: refused for an information date.
        let e = errors(&PAR.replace("id = \"entretien\"\n", "id = \"entretien\"\ninformation = true\n"));
        assert!(e.iter().any(|e| e.message.contains("jamais en retard")), "{e:?}");
        let src = PAR
            .replace("id = \"entretien\"\n", "id = \"entretien\"\ninformation = true\n")
            .replace(
                ", escalade_apres_jours_ouvres = 1, escalade_vers = \"chef_etablissement\"",
                "",
            );
        let ok = crate::testing::procedure(&src);
        assert!(ok.steps[0].information);
        assert!(!ok.steps[0].reminders.overdue_daily);
        let e = errors(&src.replace("[2, 5]", "[2, 5], retard_chaque_jour_ouvre = true"));
        assert!(e.iter().any(|e| e.message.contains("jamais en retard")), "{e:?}");
    }

    /// A convention: a renewing term and the last day for a termination.
    const TERM: &str = r#"
id = "conv"
nom = "Convention"
prefixe = "CONV"
public = "partenariat"

[[evenements]]
id = "entree_en_vigueur"
nom = "entrée en vigueur"
roles = ["dasen"]

[[etapes]]
id = "terme"
nom = "Terme"
role = "dasen"
depuis = "entree_en_vigueur"
delai = { ans = 3, inclusif = true, report = "none" }
renouvellement_tacite = true

[[etapes]]
id = "au_terme"
nom = "Dernier jour"
role = "dasen"
depuis = "terme.echeance"
delai = { mois = 3, avant = true, report = "backward" }
effet = "dernier_jour_pour_le_terme"
information = true
"#;

    #[test]
    fn the_last_day_for_the_term_runs_from_a_renewing_term() {
        let ok = crate::testing::procedure(TERM);
        assert_eq!(
            ok.steps[1].effect,
            Some(crate::procedure::Effect::DernierJourPourLeTerme)
        );
        let e = errors(&TERM.replace("information = true\n", ""));
        assert!(
            e.iter().any(|e| e.message.contains("ajouter information = true")),
            "{e:?}"
        );
        let e = errors(&TERM.replace("renouvellement_tacite = true\n", ""));
        assert!(
            e.iter()
                .any(|e| e.line == 23 && e.message.contains("renouvelée tacitement")),
            "{e:?}"
        );
        let e = errors(&TERM.replace("mois = 3, avant = true", "mois = 3"));
        assert!(e.iter().any(|e| e.message.contains("avant le terme")), "{e:?}");
        let e = errors(&TERM.replace(
            "report = \"backward\" }\neffet",
            "report = \"backward\", hors_vacances = true }\neffet",
        ));
        assert!(
            e.iter()
                .any(|e| e.message.contains("ne se combine pas avec effet")),
            "{e:?}"
        );
    }
}
