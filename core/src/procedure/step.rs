//! Validates one `[[etapes]]` entry of a procedure file: what its deadline
//! runs from (`depuis`), its deadline rules (`delai`, `aussi`), its
//! reminder policy (`rappels`), its parent notice and its art. 7 and art. 9
//! options, against what the rest of the file declares.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::raw::{RawAmount, RawReminders, RawRule, RawStep};
use super::validate::check_role;
use super::{
    AlsoRule, Amount, Anchor, Audience, Effect, EventDef, LatePolicy, ParamDef, ReminderPolicy, Roles,
    RuleSpec, SchoolAnchor, StepDef,
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
    pub(super) audience: Audience,
}

/// The step, or `None` when its anchor or its rule is unusable (the error
/// is recorded; the other checks of the step still ran).
pub(super) fn step(ctx: &mut Findings<'_>, s: &RawStep, known: &Known<'_>) -> Option<StepDef> {
    check_role(ctx, known.roles, &s.role);
    let anchor = parse_anchor(ctx, &s.depuis, known.events, known.steps, known.audience);
    if let Some(Anchor::StepDone(t) | Anchor::StepDue(t)) = &anchor
        && t == s.id.get_ref()
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
    let reminders = parse_reminders(ctx, s.rappels.as_ref(), known.roles);
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
    })
}

fn parse_anchor(
    ctx: &mut Findings<'_>,
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

#[cfg(test)]
mod tests {
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
}
